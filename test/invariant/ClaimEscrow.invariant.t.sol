// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../../contracts/interfaces/IClaimEscrow.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {IRecordRegistry} from "../../contracts/interfaces/IRecordRegistry.sol";
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
    bytes32 internal constant RECORD2 = keccak256("record 2");
    uint8 internal constant RECORD2_CATEGORY = 3;
    address internal rogue = address(0x7A);
    address internal roguePayout = address(0x8B);
    uint256 internal constant ROGUE_ORG = 4;
    uint256 internal policy2;

    function setUp() public {
        _deploy(address(this));
        identity.setOrganization(provider2, PROVIDER2_ORG, IIdentityRegistry.OrgKind.Pharmacy, Capabilities.BILL);
        vm.prank(provider2);
        escrow.setPayoutAddress(payout2);
        _tieProvidersAndAddRogue();
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
        handler.setRecordsAndRogue([RECORD, RECORD2], rogue);
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
    /// @notice No claim is paid twice, and none pays more than its rule amount; none is appealed twice.
    function invariant_nothingPaidTwiceNorBeyondTheRules() public view {
        uint256 n = handler.claimCount();
        uint256 expectedPaid;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.claimIds(i);
            assertLe(handler.timesPaid(id), 1, "paid at most once");
            IClaimEscrow.Claim memory c = escrow.getClaim(id);
            uint256 ruleBenefit = handler.ruleBenefitOf(id);
            assertLe(c.benefit, ruleBenefit, "benefit <= rule amount");
            bool settled = c.status == IClaimEscrow.ClaimStatus.Paid || c.status == IClaimEscrow.ClaimStatus.Owed;
            if (c.status == IClaimEscrow.ClaimStatus.Paid) expectedPaid += c.benefit;
            if (settled && c.flags & 4 == 0) expectedPaid += uint256(c.patientShare) + c.notCovered;
        }
        uint256 received = token.balanceOf(payout) + token.balanceOf(payout2);
        received += escrow.creditOf(payout) + escrow.creditOf(payout2);
        assertEq(received, expectedPaid, "providers received exactly what settled claims say");
        assertFalse(handler.appealedTwice(), "no claim appealed twice, a void and resubmission in between");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// @notice No claim is paid to a provider the patient's data does not tie to the service: every claim's
    ///         provider is the custodian of its evidence or holds the patient's TREATMENT grant for the
    ///         record's category; the rogue's attempts all failed with `ClaimsProviderNotTiedToService`, and
    ///         it received nothing.
    function invariant_claimsOnlyByProvidersTiedToTheService() public view {
        uint256 n = handler.claimCount();
        for (uint256 i = 0; i < n; ++i) {
            _assertTied(handler.claimIds(i));
        }
        assertFalse(handler.rogueClaimAccepted(), "the rogue never got a claim in");
        assertEq(token.balanceOf(roguePayout) + escrow.creditOf(roguePayout), 0, "the rogue was paid nothing");
    }

    /// hardhat-config: invariant.failOnRevert = true
    /// @notice No money owed on claims leaves the escrow except to its payee: what the insurer put in is
    ///         what it took out, what claims' payees got as benefits, and what is free or reserved; what it
    ///         owes is the sum of its Owed claims; no withdrawal ever left less free than owed.
    function invariant_owedMoneyLeavesOnlyToItsPayee() public view {
        uint256 n = handler.claimCount();
        uint256 paidBenefits;
        uint256 owedBenefits;
        for (uint256 i = 0; i < n; ++i) {
            IClaimEscrow.Claim memory c = escrow.getClaim(handler.claimIds(i));
            if (c.status == IClaimEscrow.ClaimStatus.Paid) paidBenefits += c.benefit;
            if (c.status == IClaimEscrow.ClaimStatus.Owed) owedBenefits += c.benefit;
        }
        IClaimEscrow.Escrow memory e = escrow.escrowOf(INSURER_ORG);
        assertEq(escrow.owedOf(INSURER_ORG), owedBenefits, "owed = the benefits of Owed claims");
        assertEq(
            handler.deposited() + 1_000_000 * USD,
            handler.withdrawn() + paidBenefits + e.free + e.reserved,
            "deposited = withdrawn + benefits paid to payees + free + reserved"
        );
        assertFalse(handler.withdrawalTookOwed(), "no withdrawal took money owed on claims");
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

    /// @dev The patient's data ties each provider to each record: RECORD is held by provider 1 and provider 2
    ///      has a TREATMENT grant for its category; RECORD2 the other way round. The rogue has neither.
    function _tieProvidersAndAddRogue() internal {
        records.setRecord(RECORD2, PATIENT, uint64(PROVIDER2_ORG), RECORD2_CATEGORY, true);
        consent.setTreatment(PATIENT, PROVIDER2_ORG, uint32(1));
        consent.setTreatment(PATIENT, PROVIDER_ORG, uint32(1) << RECORD2_CATEGORY);
        identity.setOrganization(rogue, ROGUE_ORG, IIdentityRegistry.OrgKind.Provider, Capabilities.BILL);
        vm.prank(rogue);
        escrow.setPayoutAddress(roguePayout);
    }

    function _assertTied(bytes32 id) internal view {
        uint256 org = uint48(uint256(id) >> 160);
        (uint64 custodianOrg, uint8 category, IRecordRegistry.RecordStatus status, bool ofPatient) = records.recordFor(
            handler.recordOf(id),
            PATIENT
        );
        assertTrue(status == IRecordRegistry.RecordStatus.Live && ofPatient, "evidence of the patient");
        assertTrue(
            custodianOrg == org || consent.hasAccess(PATIENT, org, uint32(1) << category, 1, 1),
            "provider tied to the service"
        );
        assertTrue(org != ROGUE_ORG, "no claim of the rogue");
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
