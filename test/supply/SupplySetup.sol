// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MedChainAccessManager} from "../../contracts/governance/MedChainAccessManager.sol";
import {IdentityRegistry} from "../../contracts/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {Roles} from "../../contracts/governance/Roles.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";
import {SupplyChain} from "../../contracts/supply/SupplyChain.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice A full-binary sorted-pair Merkle tree over (index, serialHash) leaves, as small as the tests need.
library SerialTree {
    function leaf(uint256 index, bytes32 serialHash) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, serialHash))));
    }

    /// @dev The serial hash of unit `index` of lot `salt`.
    function serial(uint256 salt, uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode("serial", salt, index));
    }

    function leaves(uint256 salt, uint256 n) internal pure returns (bytes32[] memory out) {
        out = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) out[i] = leaf(i, serial(salt, i));
    }

    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @dev Root of a power-of-two number of leaves.
    function root(bytes32[] memory level) internal pure returns (bytes32) {
        uint256 n = level.length;
        bytes32[] memory cur = level;
        while (n > 1) {
            bytes32[] memory next = new bytes32[](n / 2);
            for (uint256 i = 0; i < n / 2; i++) next[i] = hashPair(cur[2 * i], cur[2 * i + 1]);
            cur = next;
            n /= 2;
        }
        return cur[0];
    }

    /// @dev Proof of leaf `index` in a power-of-two tree.
    function proof(bytes32[] memory level, uint256 index) internal pure returns (bytes32[] memory out) {
        uint256 n = level.length;
        uint256 depth = 0;
        for (uint256 m = n; m > 1; m /= 2) depth++;
        out = new bytes32[](depth);
        bytes32[] memory cur = level;
        for (uint256 d = 0; d < depth; d++) {
            out[d] = cur[index ^ 1];
            bytes32[] memory next = new bytes32[](cur.length / 2);
            for (uint256 i = 0; i < next.length; i++) next[i] = hashPair(cur[2 * i], cur[2 * i + 1]);
            cur = next;
            index /= 2;
        }
    }
}

/// @notice Deploys AccessManager + IdentityRegistry + SupplyChain with a manufacturer (prefix 0614141), a
///         distributor, two pharmacies and a lab. The deploying contract is ADMIN and REGISTRAR.
contract SupplyWorld {
    Vm private constant _VM = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint40 internal constant PREFIX = 614141;
    uint8 internal constant PREFIX_LENGTH = 7;

    MedChainAccessManager public manager;
    IdentityRegistry public identity;
    SupplyChain public supply;
    address public regulator = address(0xBEEF);
    /// @dev Operators and org ids: 0 manufacturer, 1 distributor, 2 pharmacy, 3 pharmacy.
    address[4] public ops;
    uint256[4] public orgs;
    address public labOp = address(0x1AB);
    uint256 public lab;

    constructor() {
        manager = new MedChainAccessManager(address(this));
        identity = new IdentityRegistry(address(manager));
        bytes4[] memory sel = new bytes4[](1);
        sel[0] = IdentityRegistry.registerOrganization.selector;
        manager.setTargetFunctionRole(address(identity), sel, Roles.REGISTRAR);
        manager.grantRole(Roles.REGISTRAR, address(this), 0);
        manager.grantRole(Roles.REGULATOR, regulator, 0);
        identity.setRegistrarKinds(address(this), 0x1fe);
        supply = new SupplyChain(address(manager), identity);

        uint32 trade = Capabilities.TRADE;
        IIdentityRegistry.OrgKind[4] memory kinds = [
            IIdentityRegistry.OrgKind.Manufacturer,
            IIdentityRegistry.OrgKind.Distributor,
            IIdentityRegistry.OrgKind.Pharmacy,
            IIdentityRegistry.OrgKind.Pharmacy
        ];
        uint32[4] memory caps = [
            trade | Capabilities.MANUFACTURE,
            trade,
            trade | Capabilities.DISPENSE,
            trade | Capabilities.DISPENSE
        ];
        for (uint256 i = 0; i < 4; i++) {
            ops[i] = address(uint160(0xA000 + i));
            orgs[i] = identity.registerOrganization(kinds[i], caps[i], type(uint64).max, bytes32(i), ops[i]);
            _accept(orgs[i], ops[i]);
        }
        identity.setCompanyPrefix(orgs[0], PREFIX, PREFIX_LENGTH);
        lab = identity.registerOrganization(
            IIdentityRegistry.OrgKind.Lab,
            Capabilities.QUALITY_CONTROL,
            type(uint64).max,
            bytes32("lab"),
            labOp
        );
        _accept(lab, labOp);
    }

    /// @dev The offered operator accepts (an account becomes an operator only with its own consent).
    function _accept(uint256 orgId, address account) private {
        _VM.prank(account);
        identity.acceptOperator(orgId);
    }

    function op(uint256 i) external view returns (address) {
        return ops[i];
    }

    function org(uint256 i) external view returns (uint256) {
        return orgs[i];
    }
}
