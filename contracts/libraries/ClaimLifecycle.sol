// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimEscrow} from "../interfaces/IClaimEscrow.sol";

/// @title ClaimLifecycle
/// @notice The claim state machine: the one place that says which status may follow which.
///         None/Voided -> Pending | Paid | Owed | Denied (submission); Pending -> Paid | Owed | Denied |
///         Voided; Denied -> Pending (appeal); Owed -> Paid. Paid is final.
library ClaimLifecycle {
    /// @notice Whether a claim may move from `from` to `to`.
    function canTransition(IClaimEscrow.ClaimStatus from, IClaimEscrow.ClaimStatus to) internal pure returns (bool) {
        if (from == IClaimEscrow.ClaimStatus.None || from == IClaimEscrow.ClaimStatus.Voided) {
            return to != IClaimEscrow.ClaimStatus.None && to != IClaimEscrow.ClaimStatus.Voided;
        }
        if (from == IClaimEscrow.ClaimStatus.Pending) {
            return to != IClaimEscrow.ClaimStatus.None && to != IClaimEscrow.ClaimStatus.Pending;
        }
        if (from == IClaimEscrow.ClaimStatus.Denied) return to == IClaimEscrow.ClaimStatus.Pending;
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
}
