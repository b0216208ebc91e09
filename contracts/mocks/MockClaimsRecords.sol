// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsRecords} from "../interfaces/IClaimsRecords.sol";

/// @notice Test-only RecordRegistry stand-in: a record is live for the patient it was set for (one slot
///         per record, like the real registry's first anchor slot).
contract MockClaimsRecords is IClaimsRecords {
    mapping(bytes32 recordId => uint256 livePatientId) public livePatientOf;

    function setRecord(bytes32 recordId, uint256 patientId, bool isLive) external {
        livePatientOf[recordId] = isLive ? patientId : 0;
    }

    function isLiveRecordOf(bytes32 recordId, uint256 patientId) external view returns (bool) {
        return patientId != 0 && livePatientOf[recordId] == patientId;
    }
}
