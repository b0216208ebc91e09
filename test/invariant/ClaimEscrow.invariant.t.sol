// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../../contracts/interfaces/IClaimEscrow.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";
import {ClaimsBase} from "../claims/ClaimsBase.sol";
import {ClaimEscrowHandler} from "./handlers/ClaimEscrowHandler.sol";

/// @notice ClaimEscrow's money and rules invariants under random sequences of every action.
contract ClaimEscrowInvariantTest is ClaimsBase {
    ClaimEscrowHandler internal handler;
    address internal provider2 = address(0x5E);
    address internal payout2 = address(0x6F);
    uint256 internal constant PROVIDER2_ORG = 3;
    bytes32 internal constant CODE_FULL = keccak256("code FULL");
    uint256 internal policy2;

    function setUp() public {
        _deploy(address(this));
        identity.setOrganization(provider2, PROVIDER2_ORG, IIdentityRegistry.OrgKind.Pharmacy, Capabilities.BILL);
        vm.prank(provider2);
        escrow.setPayoutAddress(payout2);
        // A second plan (codes at 80% and 100%) with a long policy, so warps stay inside it.
        bytes32[] memory codes = new bytes32[](2);
        codes[0] = CODE;
        codes[1] = CODE_FULL;
        IClaimEscrow.CodeRule[] memory rules = new IClaimEscrow.CodeRule[](2);
        rules[0] = _codeRule();
        rules[1] = _codeRule();
        rules[1].rateBps = 10_000;
        IClaimEscrow.PlanTerms memory terms = _terms();
        terms.timelyFilingWindow = 90 days;
        vm.prank(insurer);
        uint256 plan2 = escrow.createPlan(terms, codes, rules);
        vm.prank(insurer);
        uint256 p1 = escrow.bindPolicy(
            plan2,
            PATIENT,
            uint40(block.timestamp - 30 days),
            uint40(block.timestamp + 20 * 365 days)
        );
        vm.prank(insurer);
        policy2 = escrow.bindPolicy(
            plan2,
            PATIENT,
            uint40(block.timestamp - 1 days),
            uint40(block.timestamp + 20 * 365 days)
        );

        handler = new ClaimEscrowHandler(
            escrow,
            token,
            insurer,
            patient,
            PATIENT,
            plan2,
            [provider, provider2],
            [PROVIDER_ORG, PROVIDER2_ORG],
            [payout, payout2],
            [p1, policy2],
            [CODE, CODE_FULL]
        );
        manager.grantRole(0, address(handler), 0); // ADMIN: sweeps surplus
        targetContract(address(handler));
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// @notice The escrow holds at least what it owes, and its own total is the sum of the parts.
    function invariant_balanceCoversLiabilities() public view {
        uint256 owed = _sumOfParts();
        assertEq(escrow.totalLiabilities(), owed, "liabilities = free + reserved + credits + deposits + earmarks");
        assertGe(token.balanceOf(address(escrow)), owed, "balance >= liabilities");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// @notice No claim is paid twice, and none pays more than its rule amount.
    function invariant_nothingPaidTwiceNorBeyondTheRules() public view {
        uint256 n = handler.claimCount();
        uint256 expectedPaid;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.claimIds(i);
            assertLe(handler.timesPaid(id), 1, "paid at most once");
            IClaimEscrow.Claim memory c = escrow.getClaim(id);
            (, , , , , uint256 ruleBenefit) = handler.meta(id);
            assertLe(c.benefit, ruleBenefit, "benefit <= rule amount");
            bool settled = c.status == IClaimEscrow.ClaimStatus.Paid || c.status == IClaimEscrow.ClaimStatus.Owed;
            if (c.status == IClaimEscrow.ClaimStatus.Paid) expectedPaid += c.benefit;
            if (settled && c.flags & 4 == 0) expectedPaid += uint256(c.patientShare) + c.notCovered;
        }
        uint256 received = token.balanceOf(payout) + token.balanceOf(payout2);
        received += escrow.creditOf(payout) + escrow.creditOf(payout2);
        assertEq(received, expectedPaid, "providers received exactly what settled claims say");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// @notice Accumulators never pass the plan's limits.
    function invariant_accumulatorsWithinLimits() public view {
        IClaimEscrow.PlanTerms memory t = _terms();
        uint256 policies = handler.policyCount();
        for (uint256 i = 0; i < policies; ++i) {
            uint256 p = handler.policies(i);
            for (uint8 y = 0; y < 3; ++y) {
                IClaimEscrow.Accumulators memory a = escrow.accumulatorsOf(p, y);
                assertLe(a.deductibleMet, t.deductible, "deductible");
                assertLe(a.outOfPocketPaid, t.outOfPocketMax, "out of pocket");
                assertLe(a.benefitUsed, t.annualLimit, "annual limit");
            }
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// @notice Every handler action the fuzzer called succeeded (the handler builds what each action needs,
    ///         so the invariants above saw real sequences: reviews, appeals, prompt pay, owed payments...).
    function invariant_handlerActionsRan() public view {
        _assertCalledActionsRan();
    }

    /// @notice At the end of each run: the same, and the run did real work.
    function afterInvariant() public view {
        assertGt(_assertCalledActionsRan(), 0, "a run did real work");
    }

    function _assertCalledActionsRan() internal view returns (uint256 total) {
        uint256 n = handler.actionCount();
        for (uint256 i = 0; i < n; ++i) {
            string memory action = handler.actions(i);
            assertEq(handler.ran(action), handler.called(action), action);
            total += handler.ran(action);
        }
    }

    function _sumOfParts() internal view returns (uint256 sum) {
        IClaimEscrow.Escrow memory e = escrow.escrowOf(INSURER_ORG);
        sum = uint256(e.free) + e.reserved;
        sum += escrow.creditOf(payout) + escrow.creditOf(payout2);
        sum += escrow.patientDepositOf(PATIENT);
        uint256 policies = handler.policyCount();
        for (uint256 i = 0; i < policies; ++i) {
            uint256 p = handler.policies(i);
            sum += escrow.authorizationOf(p, PROVIDER_ORG) + escrow.authorizationOf(p, PROVIDER2_ORG);
        }
    }
}
