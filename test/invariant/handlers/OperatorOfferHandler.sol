// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../../utils/Vm.sol";
import {IdentityRegistry} from "../../../contracts/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../../contracts/interfaces/IIdentityRegistry.sol";

/// @title OperatorOfferHandler
/// @notice The second target of the IdentityRegistry invariant campaign: the attacks on operator binding.
///         A rogue organisation (its own, with its own operator) offers accounts of its own pool a place,
///         which they never accept, while the fuzzer also suspends and reinstates it and lets time pass:
///         no offer may bind (`invariant_offersBindNothing`), and while the organisation is suspended or
///         its licence has ended an offer is refused with the error that names it and why.
/// @dev Its accounts are outside `IdentityHandler`'s pool, so the two models never meet. Holds REGISTRAR
///      (every kind) and REGULATOR. Every entry point succeeds (failOnRevert) or reverts the campaign.
contract OperatorOfferHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    uint256 public constant POOL_SIZE = 6;

    error HandlerUnexpected(bytes reason);

    IdentityRegistry public immutable registry;
    address public immutable rogue;
    uint256 public rogueOrg;
    uint64 public validUntil;
    bool public suspended;
    uint256 public offers;
    uint256 public refusals;

    constructor(IdentityRegistry registry_) {
        registry = registry_;
        rogue = vm.addr(uint256(keccak256("MedChain rogue operator")));
    }

    /// @dev Called by the test's setUp once the roles are granted; a no-op after (the fuzzer may call it).
    function init() external {
        if (rogueOrg != 0) return;
        validUntil = uint64(block.timestamp + 30 days);
        rogueOrg = registry.registerOrganization(IIdentityRegistry.OrgKind.Provider, 0, validUntil, 0, rogue);
        vm.prank(rogue);
        registry.acceptOperator(rogueOrg);
    }

    function poolAccount(uint256 i) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode("MedChain offered account", i)))));
    }

    /// @notice The rogue operator offers an account a place; the account never accepts. Refused with the
    ///         named error while the organisation cannot act.
    function offer(uint256 seed) external {
        address account = poolAccount(seed % POOL_SIZE);
        vm.prank(rogue);
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = address(registry).call(
            abi.encodeCall(IIdentityRegistry.addOperator, (rogueOrg, account))
        );
        bytes memory expected;
        if (suspended) {
            expected = abi.encodeWithSelector(
                IIdentityRegistry.IdentityOrganizationNotActive.selector,
                rogueOrg,
                IIdentityRegistry.OrgStatus.Suspended
            );
        } else if (validUntil <= block.timestamp) {
            expected = abi.encodeWithSelector(
                IIdentityRegistry.IdentityOrganizationExpired.selector,
                rogueOrg,
                validUntil,
                block.timestamp
            );
        }
        if (ok != (expected.length == 0) || keccak256(reason) != keccak256(expected)) revert HandlerUnexpected(reason);
        if (ok) ++offers;
        else ++refusals;
    }

    /// @notice A regulator suspends or reinstates the rogue organisation.
    function toggleSuspension(bytes32 reasonHash) external {
        if (suspended) registry.reinstateOrganization(rogueOrg, reasonHash);
        else registry.suspendOrganization(rogueOrg, reasonHash);
        suspended = !suspended;
    }

    /// @notice Time passes (the licence may end); one call in four renews the licence.
    function passTime(uint256 seconds_) external {
        vm.warp(block.timestamp + (seconds_ % 10 days));
        if (seconds_ % 4 == 0) {
            validUntil = uint64(block.timestamp + 30 days);
            registry.updateOrganization(rogueOrg, 0, validUntil, 0);
        }
    }
}
