// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Adjudication
/// @notice DESIGN.md §6 adjudication of one claim, steps 1–7, as pure arithmetic on token units.
/// @dev Preconditions kept by ClaimEscrow (and tolerated here by saturating): deductibleMet <= deductible,
///      outOfPocketPaid <= outOfPocketMax, benefitUsed <= annualLimit, rateBps <= 10,000. Every result is
///      at most `amount`, so callers may narrow it to the amount's type.
library Adjudication {
    /// @notice Basis points in one.
    uint256 internal constant BPS = 10_000;

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

    /// @notice Adjudicates a claim of `amount` (steps 1–6); an uncovered code gives `covered = false`
    ///         and zeros (the claim is denied).
    function adjudicate(
        uint256 amount,
        Coverage memory coverage,
        Limits memory limits,
        Totals memory totals
    ) internal pure returns (Result memory r) {
        if (!coverage.covered) return r;
        r.covered = true;
        // 1. eligible E = min(A, cap); A - E is the provider's write-off.
        uint256 eligible = _min(amount, coverage.cap);
        // 2. co-pay K = min(copay, E).
        uint256 copay = _min(coverage.copay, eligible);
        uint256 base;
        // Unchecked: E <= A, K <= E, and D <= E - K (each a min of the left-hand side).
        unchecked {
            r.writeOff = amount - eligible;
            // 3. deductible D = min(E - K, deductible - deductibleMet).
            base = eligible - copay;
            r.deductible = _min(base, _room(limits.deductible, totals.deductibleMet));
            // 4. B = E - K - D; R = floor(B * rate / 10,000); S = K + D + (B - R).
            base -= r.deductible;
        }
        uint256 benefit = (base * coverage.rateBps) / BPS;
        uint256 patient = copay + r.deductible + (base - benefit);
        // 5. out-of-pocket maximum: the excess over it moves from S to R.
        uint256 oopRoom = _room(limits.outOfPocketMax, totals.outOfPocketPaid);
        if (patient > oopRoom) {
            benefit += patient - oopRoom;
            patient = oopRoom;
        }
        // 6. annual limit: the excess Y over it moves from R to not covered.
        uint256 limitRoom = _room(limits.annualLimit, totals.benefitUsed);
        if (benefit > limitRoom) {
            unchecked {
                r.notCovered = benefit - limitRoom; // just compared
            }
            benefit = limitRoom;
        }
        r.eligible = eligible;
        r.copay = copay;
        r.benefit = benefit;
        r.patient = patient;
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
