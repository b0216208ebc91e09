// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";

/// @title ClaimLifecycle
/// @notice The claim state machine: the one place that says which status may follow which, and how.
///         A submission (`transition`): None/Voided -> Pending | Paid | Owed | Denied. A decision or a void:
///         Pending -> Paid | Owed | Denied | Voided; Owed -> Paid. An appeal (`appeal`, the only way back
///         from a decision): Denied -> Pending, once per claim id. Paid is final; nothing but a submission
///         leaves None or Voided, so no appeal makes a claim out of nothing or revives a voided one.
library ClaimLifecycle {
    /// @notice Claim flag: the claim was appealed (or cannot be: not covered). Kept across a void and a
    ///         resubmission under the same id, so the appeal stays once only.
    uint8 internal constant FLAG_APPEALED = 1;
    /// @notice Claim flag: the claim's benefit is reserved in its insurer's escrow.
    uint8 internal constant FLAG_RESERVED = 2;

    /// @notice Whether a submission, a decision or a void may move a claim from `from` to `to`.
    function canTransition(IClaimEscrow.ClaimStatus from, IClaimEscrow.ClaimStatus to) internal pure returns (bool) {
        if (from == IClaimEscrow.ClaimStatus.None || from == IClaimEscrow.ClaimStatus.Voided) {
            return to != IClaimEscrow.ClaimStatus.None && to != IClaimEscrow.ClaimStatus.Voided;
        }
        if (from == IClaimEscrow.ClaimStatus.Pending) {
            return to != IClaimEscrow.ClaimStatus.None && to != IClaimEscrow.ClaimStatus.Pending;
        }
        if (from == IClaimEscrow.ClaimStatus.Owed) return to == IClaimEscrow.ClaimStatus.Paid;
        return false;
    }

    /// @notice Reverts with `ClaimsInvalidTransition` unless `from` -> `to` is allowed; returns `to`.
    function transition(
        bytes32 claimId,
        IClaimEscrow.ClaimStatus from,
        IClaimEscrow.ClaimStatus to
    ) internal pure returns (IClaimEscrow.ClaimStatus) {
        if (!canTransition(from, to)) revert IClaimEscrow.ClaimsInvalidTransition(claimId, from, to);
        return to;
    }

    /// @notice An appeal of a claim in `from` with `flags`: only a Denied claim never appealed goes back to
    ///         Pending. Reverts `ClaimsInvalidTransition` (not Denied) or `ClaimsAlreadyAppealed`.
    function appeal(
        bytes32 claimId,
        IClaimEscrow.ClaimStatus from,
        uint8 flags
    ) internal pure returns (IClaimEscrow.ClaimStatus) {
        if (from != IClaimEscrow.ClaimStatus.Denied) {
            revert IClaimEscrow.ClaimsInvalidTransition(claimId, from, IClaimEscrow.ClaimStatus.Pending);
        }
        if (flags & FLAG_APPEALED != 0) revert IClaimEscrow.ClaimsAlreadyAppealed(claimId);
        return IClaimEscrow.ClaimStatus.Pending;
    }
}
