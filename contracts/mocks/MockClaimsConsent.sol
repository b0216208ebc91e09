// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsConsent} from "../interfaces/IClaimsConsent.sol";

/// @notice Test-only ConsentManager stand-in: answers `hasAccess` as set per (patient, grantee), and
///         records the last scopes, action and purpose asked so tests can check them.
contract MockClaimsConsent is IClaimsConsent {
    mapping(uint256 patientId => mapping(uint256 granteeOrg => bool)) public answer;
    uint32 public constant EXPECTED_SCOPES = 1 << 11; // BILLING
    uint8 public constant EXPECTED_ACTION = 1; // READ
    uint8 public constant EXPECTED_PURPOSE = 1 << 1; // PAYMENT

    function setAccess(uint256 patientId, uint256 granteeOrg, bool allowed) external {
        answer[patientId][granteeOrg] = allowed;
    }

    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) external view returns (bool) {
        if (scopes != EXPECTED_SCOPES || action != EXPECTED_ACTION || purpose != EXPECTED_PURPOSE) return false;
        return answer[patientId][granteeOrg];
    }
}
