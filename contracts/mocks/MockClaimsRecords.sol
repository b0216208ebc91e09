// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsRecords} from "../interfaces/IClaimsRecords.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";

/// @notice Test-only RecordRegistry stand-in: a record of one patient, with its custodian, category and
///         status as set (test only: two slots).
contract MockClaimsRecords is IClaimsRecords {
    struct Entry {
        uint256 patientId;
        uint64 custodianOrg;
        uint8 category;
        IRecordRegistry.RecordStatus status;
    }

    mapping(bytes32 recordId => Entry) public entries;

    /// @notice A record of `patientId` held by `custodianOrg` (0: the patient's own), live or retracted.
    function setRecord(bytes32 recordId, uint256 patientId, uint64 custodianOrg, uint8 category, bool isLive) external {
        entries[recordId] = Entry({
            patientId: patientId,
            custodianOrg: custodianOrg,
            category: category,
            status: isLive ? IRecordRegistry.RecordStatus.Live : IRecordRegistry.RecordStatus.Retracted
        });
    }

    function recordFor(
        bytes32 recordId,
        uint256 patientId
    ) external view returns (uint64 custodianOrg, uint8 category, IRecordRegistry.RecordStatus status, bool ofPatient) {
        Entry memory e = entries[recordId];
        ofPatient = e.status != IRecordRegistry.RecordStatus.None && e.patientId == patientId;
        return (e.custodianOrg, e.category, e.status, ofPatient);
    }
}
