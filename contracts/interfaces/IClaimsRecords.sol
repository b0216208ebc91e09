// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IClaimsRecords
/// @notice The one view of the RecordRegistry that ClaimEscrow asks: whether a claim's evidence is a
///         live (not superseded, not retracted) record anchor of the patient. Mapped at integration.
interface IClaimsRecords {
    /// @notice Whether `recordId` is a live record anchor belonging to `patientId`.
    function isLiveRecordOf(bytes32 recordId, uint256 patientId) external view returns (bool);
}
