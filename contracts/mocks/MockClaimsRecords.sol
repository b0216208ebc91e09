// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsRecords} from "../interfaces/IClaimsRecords.sol";

/// @notice Test-only RecordRegistry stand-in: a record is live for the patient it was set for.
contract MockClaimsRecords is IClaimsRecords {
    mapping(bytes32 recordId => uint256 patientId) public ownerOf;
    mapping(bytes32 recordId => bool) public live;

    function setRecord(bytes32 recordId, uint256 patientId, bool isLive) external {
        ownerOf[recordId] = patientId;
        live[recordId] = isLive;
    }

    function isLiveRecordOf(bytes32 recordId, uint256 patientId) external view returns (bool) {
        return live[recordId] && ownerOf[recordId] == patientId;
    }
}
