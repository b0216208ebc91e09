// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ISupplyChain} from "../interfaces/ISupplyChain.sol";

/// @title LotLifecycle
/// @notice The state machine of a drug lot and what it means for one of its units.
/// @dev Moves: Active <-> Quarantined; Active or Quarantined -> Recalled or Illegitimate (both final).
///      Expiry is not a status: it follows from time. Release (a passing quality check) is a flag.
library LotLifecycle {
    /// @notice Moves `lot` to `to`, or reverts `SupplyInvalidTransition` when the move is not allowed.
    function transition(ISupplyChain.Lot storage lot, bytes32 lotId, ISupplyChain.LotStatus to) internal {
        ISupplyChain.LotStatus from = lot.status;
        if (!isAllowed(from, to)) revert ISupplyChain.SupplyInvalidTransition(lotId, from, to);
        lot.status = to;
    }

    /// @notice Whether a lot may move from `from` to `to`.
    function isAllowed(ISupplyChain.LotStatus from, ISupplyChain.LotStatus to) internal pure returns (bool) {
        if (from == ISupplyChain.LotStatus.Active) return to >= ISupplyChain.LotStatus.Quarantined;
        if (from == ISupplyChain.LotStatus.Quarantined) {
            return to == ISupplyChain.LotStatus.Active || to >= ISupplyChain.LotStatus.Recalled;
        }
        return false;
    }

    /// @notice Reverts unless units of a lot may ship, be accepted or be dispensed now: Active, released,
    ///         not expired.
    function checkSaleable(bytes32 lotId, ISupplyChain.LotStatus status, bool released, uint64 expiry) internal view {
        if (status != ISupplyChain.LotStatus.Active) revert ISupplyChain.SupplyLotNotSaleable(lotId, status);
        if (!released) revert ISupplyChain.SupplyLotNotReleased(lotId);
        if (block.timestamp >= expiry) revert ISupplyChain.SupplyLotExpired(lotId, expiry);
    }

    /// @notice The status of an authentic unit of `lot`, `dispensed` or not. The worst condition wins:
    ///         dispensed, then recalled, illegitimate, quarantined, expired, unreleased.
    function unitStatus(ISupplyChain.Lot memory lot, bool dispensed) internal view returns (ISupplyChain.UnitStatus) {
        if (dispensed) return ISupplyChain.UnitStatus.Dispensed;
        if (lot.status == ISupplyChain.LotStatus.Recalled) return ISupplyChain.UnitStatus.Recalled;
        if (lot.status == ISupplyChain.LotStatus.Illegitimate) return ISupplyChain.UnitStatus.Illegitimate;
        if (lot.status == ISupplyChain.LotStatus.Quarantined) return ISupplyChain.UnitStatus.Quarantined;
        if (block.timestamp >= lot.expiry) return ISupplyChain.UnitStatus.Expired;
        if (!lot.released) return ISupplyChain.UnitStatus.Unreleased;
        return ISupplyChain.UnitStatus.Active;
    }
}
