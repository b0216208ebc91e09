// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRecordRegistry} from "./IRecordRegistry.sol";

/// @title IClaimsRecords
/// @notice The one view of the RecordRegistry that ClaimEscrow asks of a claim's evidence: its custodian,
///         category and status, and whether it belongs to the policy's patient (the record's second slot
///         only). `IRecordRegistry.recordFor`, so the RecordRegistry is passed as is.
interface IClaimsRecords {
    /// @notice The custodian organisation (0 when the patient wrote it), category index and status of
    ///         `recordId`, and whether it belongs to `patientId`.
    function recordFor(
        bytes32 recordId,
        uint256 patientId
    ) external view returns (uint64 custodianOrg, uint8 category, IRecordRegistry.RecordStatus status, bool ofPatient);
}
