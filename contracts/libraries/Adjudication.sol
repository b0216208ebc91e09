// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";

/// @title Adjudication
/// @notice DESIGN.md §6 adjudication of one claim, steps 1–7, as pure arithmetic on token units.
/// @dev Preconditions kept by ClaimEscrow (and tolerated here by saturating): deductibleMet <= deductible,
///      outOfPocketPaid <= outOfPocketMax, benefitUsed <= annualLimit, rateBps <= 10,000. Every result is
///      at most `amount`, so callers may narrow it to the amount's type.
library Adjudication {
    /// @notice Basis points in one.
    uint256 internal constant BPS = 10_000;

    /// @notice Adjudicates a claim of `amount` (steps 1–6) under the code's `rule` (steps 1–4 inputs), the
    ///         plan's yearly limits in `terms` and the policy year's accumulators `totals` before the claim,
    ///         into its explanation of benefits (FHIR categories; the provider's write-off is `submitted -
    ///         eligible`). An uncovered code gives `covered = false` and zeros but `submitted` (the claim is
    ///         denied). Takes ClaimEscrow's records as read from storage and returns the event's struct, so
    ///         nothing is copied on the way.
    function adjudicate(
        uint256 amount,
        IClaimEscrow.CodeRule memory rule,
        IClaimEscrow.PlanTerms memory terms,
        IClaimEscrow.Accumulators memory totals
    ) internal pure returns (bool covered, IClaimEscrow.ExplanationOfBenefits memory eob) {
        eob.submitted = amount;
        if (!rule.covered) return (false, eob);
        // 1. eligible E = min(A, cap); A - E is the provider's write-off.
        uint256 eligible = _min(amount, rule.cap);
        // 2. co-pay K = min(copay, E).
        uint256 copay = _min(rule.copay, eligible);
        // 3. deductible D = min(E - K, deductible - deductibleMet).
        uint256 base;
        uint256 deductible;
        // Unchecked: K <= E and D <= E - K (each a min of the left-hand side).
        unchecked {
            base = eligible - copay;
            deductible = _min(base, _room(terms.deductible, totals.deductibleMet));
            // 4. B = E - K - D; R = floor(B * rate / 10,000); S = K + D + (B - R).
            base -= deductible;
        }
        uint256 benefit = (base * rule.rateBps) / BPS;
        uint256 patient = copay + deductible + (base - benefit);
        // 5. out-of-pocket maximum: the excess over it moves from S to R.
        uint256 oopRoom = _room(terms.outOfPocketMax, totals.outOfPocketPaid);
        if (patient > oopRoom) {
            benefit += patient - oopRoom;
            patient = oopRoom;
        }
        // 6. annual limit: the excess Y over it moves from R to not covered.
        uint256 limitRoom = _room(terms.annualLimit, totals.benefitUsed);
        if (benefit > limitRoom) {
            unchecked {
                eob.notCovered = benefit - limitRoom; // just compared
            }
            benefit = limitRoom;
        }
        eob.eligible = eligible;
        eob.copay = copay;
        eob.deductible = deductible;
        eob.benefit = benefit;
        eob.patientResponsibility = patient;
        return (true, eob);
    }

    /// @notice `limit - used`, or 0 once `used` reached `limit`.
    function _room(uint256 limit, uint256 used) private pure returns (uint256) {
        if (used >= limit) return 0;
        unchecked {
            return limit - used; // just compared
        }
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        if (a < b) return a;
        return b;
    }
}
