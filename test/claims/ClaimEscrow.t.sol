// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../../contracts/interfaces/IClaimEscrow.sol";
import {Adjudication} from "../../contracts/libraries/Adjudication.sol";
import {ClaimsBase} from "./ClaimsBase.sol";

contract ClaimEscrowTest is ClaimsBase {
    function setUp() public {
        _deploy(address(this));
    }

    function test_submitClaim_paysBelowThresholdAtOnce() public {
        // 900: deductible 500, coinsurance 400 at 80% = 320.
        bytes32 id = _submit(uint40(900 * USD), keccak256("line 1"));
        assertEq(token.balanceOf(payout), 320 * USD, "provider paid the benefit");
        IClaimEscrow.Claim memory c = escrow.getClaim(id);
        assertEq(uint256(c.status), uint256(IClaimEscrow.ClaimStatus.Paid), "paid");
        assertEq(uint256(c.patientShare), 580 * USD, "patient share");
        assertEq(token.balanceOf(address(escrow)), escrow.totalLiabilities(), "balance equals liabilities");
    }

    function test_RevertWhen_sameRepeatLineClaimedTwice() public {
        _submit(uint40(100 * USD), keccak256("line"));
        bytes32 repeat = _submit(uint40(100 * USD), keccak256("line")); // a repeat: reviewed
        assertEq(uint256(escrow.getClaim(repeat).status), uint256(IClaimEscrow.ClaimStatus.Pending), "reviewed");
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(IClaimEscrow.ClaimsDuplicate.selector, repeat));
        escrow.submitClaim(
            policyId,
            CODE,
            keccak256("line"),
            uint40(5 * USD),
            uint64(block.timestamp - 1 days),
            RECORD
        );
    }

    function test_RevertWhen_approvingAboveTheRule() public {
        bytes32 id = _submit(uint40(2_000 * USD), keccak256("line"));
        uint40 rule = escrow.getClaim(id).benefit;
        vm.prank(insurer);
        vm.expectRevert(
            abi.encodeWithSelector(IClaimEscrow.ClaimsApprovalExceedsRules.selector, id, uint256(rule) + 1, rule)
        );
        escrow.approveClaim(id, rule + 1);
    }

    /// @notice Adjudication conserves money: eligible = benefit + patient + not covered, submitted =
    ///         eligible + write-off, and the accumulators stay within their limits.
    function testFuzz_adjudicationConservesAndRespectsLimits(
        uint40 amount,
        uint48 cap,
        uint48 copay,
        uint16 rate,
        uint48[3] memory limits,
        uint48[3] memory used
    ) public pure {
        IClaimEscrow.PlanTerms memory lim = IClaimEscrow.PlanTerms(limits[0], limits[1], limits[2], 0, 0, 0);
        IClaimEscrow.Accumulators memory t = IClaimEscrow.Accumulators(
            uint48(bound(used[0], 0, limits[0])),
            uint48(bound(used[1], 0, limits[1])),
            uint48(bound(used[2], 0, limits[2]))
        );
        (bool covered, IClaimEscrow.ExplanationOfBenefits memory r) = Adjudication.adjudicate(
            amount,
            IClaimEscrow.CodeRule(uint16(bound(rate, 0, 10_000)), cap, copay, false, true),
            lim,
            t
        );
        assertTrue(covered, "covered");
        assertEq(r.eligible, r.benefit + r.patientResponsibility + r.notCovered, "eligible = R + S + N");
        assertEq(r.submitted, amount, "submitted");
        assertEq(r.eligible, amount < cap ? amount : cap, "eligible = min(submitted, cap): the rest is written off");
        assertLe(r.copay, r.eligible, "copay <= eligible");
        assertLe(uint256(t.deductibleMet) + r.deductible, lim.deductible, "deductible within limit");
        assertLe(
            uint256(t.outOfPocketPaid) + r.patientResponsibility,
            lim.outOfPocketMax,
            "out of pocket within limit"
        );
        assertLe(uint256(t.benefitUsed) + r.benefit, lim.annualLimit, "benefit within limit");
    }

    /// @notice A claim below the threshold pays exactly the rule amount; the escrow stays whole.
    function testFuzz_autoClaimPaysTheRuleAmount(uint40 amount) public {
        amount = uint40(bound(amount, 1, 1_000 * USD - 1));
        uint256 before = token.balanceOf(payout);
        bytes32 id = _submit(amount, keccak256(abi.encode(amount)));
        IClaimEscrow.Claim memory c = escrow.getClaim(id);
        assertEq(token.balanceOf(payout) - before, c.benefit, "paid the benefit");
        assertEq(uint256(c.benefit) + c.patientShare + c.notCovered, amount, "no write-off under the cap");
        assertEq(token.balanceOf(address(escrow)), escrow.totalLiabilities(), "balance equals liabilities");
    }

    /// @notice Reserved funds cannot be withdrawn: a withdrawal of more than the free funds fails.
    function testFuzz_withdrawalNeverTakesReservedFunds(uint40 amount) public {
        amount = uint40(bound(amount, 1_000 * USD, 5_000 * USD));
        _submit(amount, keccak256("line"));
        IClaimEscrow.Escrow memory e = escrow.escrowOf(INSURER_ORG);
        vm.prank(insurer);
        escrow.requestWithdrawal(uint128(e.free) + 1);
        vm.warp(block.timestamp + 7 days);
        vm.prank(insurer);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClaimEscrow.ClaimsInsufficientEscrow.selector,
                INSURER_ORG,
                e.free,
                uint256(e.free) + 1
            )
        );
        escrow.executeWithdrawal(insurer);
    }
}
