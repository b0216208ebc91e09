// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";
import {Adjudication} from "../libraries/Adjudication.sol";

/// @notice Test-only: exposes the pure Adjudication library to TypeScript (reference fuzzing, table rows).
contract AdjudicationHarness {
    /// @notice The code's coverage (step 1–4 inputs).
    struct Coverage {
        bool covered;
        uint256 rateBps;
        uint256 cap;
        uint256 copay;
    }

    /// @notice The plan's yearly limits.
    struct Limits {
        uint256 deductible;
        uint256 outOfPocketMax;
        uint256 annualLimit;
    }

    /// @notice The policy year's accumulators before the claim.
    struct Totals {
        uint256 deductibleMet;
        uint256 outOfPocketPaid;
        uint256 benefitUsed;
    }

    /// @notice The FHIR adjudication categories of the claim, plus the provider's write-off.
    struct Result {
        bool covered;
        uint256 eligible;
        uint256 copay;
        uint256 deductible;
        uint256 benefit;
        uint256 patient;
        uint256 notCovered;
        uint256 writeOff;
    }

    /// @notice Adjudicates with ClaimEscrow's record types (values must fit them: uint16 rate, uint48 amounts).
    function adjudicate(
        uint256 amount,
        Coverage calldata coverage,
        Limits calldata limits,
        Totals calldata totals
    ) external pure returns (Result memory) {
        (bool covered, IClaimEscrow.ExplanationOfBenefits memory eob) = Adjudication.adjudicate(
            amount,
            IClaimEscrow.CodeRule({
                rateBps: SafeCast.toUint16(coverage.rateBps),
                cap: SafeCast.toUint48(coverage.cap),
                copay: SafeCast.toUint48(coverage.copay),
                preauthRequired: false,
                covered: coverage.covered
            }),
            IClaimEscrow.PlanTerms({
                deductible: SafeCast.toUint48(limits.deductible),
                outOfPocketMax: SafeCast.toUint48(limits.outOfPocketMax),
                annualLimit: SafeCast.toUint48(limits.annualLimit),
                autoApproveThreshold: 0,
                reviewWindow: 0,
                timelyFilingWindow: 0
            }),
            IClaimEscrow.Accumulators({
                deductibleMet: SafeCast.toUint48(totals.deductibleMet),
                outOfPocketPaid: SafeCast.toUint48(totals.outOfPocketPaid),
                benefitUsed: SafeCast.toUint48(totals.benefitUsed)
            })
        );
        if (!covered) return Result(false, 0, 0, 0, 0, 0, 0, 0); // denied: no categories, no write-off
        return
            Result({
                covered: covered,
                eligible: eob.eligible,
                copay: eob.copay,
                deductible: eob.deductible,
                benefit: eob.benefit,
                patient: eob.patientResponsibility,
                notCovered: eob.notCovered,
                writeOff: eob.submitted - eob.eligible
            });
    }

    /// @notice The salted procedure-code hash the SDK computes off chain (its twin's check).
    function codeHash(bytes32 planSalt, string calldata code) external pure returns (bytes32) {
        return keccak256(abi.encode(planSalt, code));
    }
}
