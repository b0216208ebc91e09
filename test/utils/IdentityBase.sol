// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./Test.sol";
import {MedChainAccessManager} from "../../contracts/governance/MedChainAccessManager.sol";
import {Roles} from "../../contracts/governance/Roles.sol";
import {IdentityRegistry} from "../../contracts/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";

/// @notice The identity layer every domain's Solidity tests stand on: an AccessManager (this contract is
///         ADMIN) and an IdentityRegistry wired as src/wiring.ts says, a registrar with a known key allowed
///         every kind, and helpers to accredit organisations and register patients.
abstract contract IdentityBase is Test {
    MedChainAccessManager internal manager;
    IdentityRegistry internal identity;
    address internal registrar;
    uint256 internal registrarKey;

    /// @dev Deploys the AccessManager and the IdentityRegistry at a fixed time; call first in `setUp`.
    function _deployIdentity() internal {
        vm.warp(1_767_225_600);
        manager = new MedChainAccessManager(address(this));
        identity = new IdentityRegistry(address(manager));
        bytes4[] memory fns = new bytes4[](2);
        fns[0] = IdentityRegistry.registerOrganization.selector;
        fns[1] = IdentityRegistry.proposeRecovery.selector;
        manager.setTargetFunctionRole(address(identity), fns, Roles.REGISTRAR);
        bytes4[] memory pauseFns = new bytes4[](1);
        pauseFns[0] = IdentityRegistry.pause.selector;
        manager.setTargetFunctionRole(address(identity), pauseFns, Roles.PAUSER);
        (registrar, registrarKey) = makeAddrAndKey("registrar");
        manager.grantRole(Roles.REGISTRAR, registrar, 0);
        identity.setRegistrarKinds(registrar, 0x1fe);
    }

    /// @dev Accredits an organisation for ten years with `operator` as its first operator (the registrar
    ///      offers, `operator` accepts: an account becomes an operator only with its own consent).
    function _registerOrg(
        IIdentityRegistry.OrgKind kind,
        uint32 capabilities,
        address operator
    ) internal returns (uint256 orgId) {
        vm.prank(registrar);
        orgId = identity.registerOrganization(
            kind,
            capabilities,
            uint64(block.timestamp + 3650 days),
            keccak256(abi.encode(operator)),
            operator
        );
        vm.prank(operator);
        identity.acceptOperator(orgId);
    }

    /// @dev `by` (an operator of `orgId`, or its registrar) offers `account` to act for `orgId`; `account`
    ///      accepts.
    function _addOperator(uint256 orgId, address by, address account) internal {
        vm.prank(by);
        identity.addOperator(orgId, account);
        vm.prank(account);
        identity.acceptOperator(orgId);
    }

    /// @dev Registers patient `id` controlled by `controller`, with the registrar's EIP-712 attestation.
    function _registerPatient(address controller, uint256 id) internal {
        bytes32 commitment = keccak256(abi.encode("commitment", id));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                identity.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(identity.PATIENT_ATTESTATION_TYPEHASH(), commitment, controller, id, deadline))
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(registrarKey, digest);
        identity.registerPatient(id, commitment, controller, deadline, registrar, abi.encodePacked(r, s, v));
    }
}
