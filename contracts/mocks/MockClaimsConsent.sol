// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IClaimsConsent} from "../interfaces/IClaimsConsent.sol";

/// @notice Test-only ConsentManager stand-in: answers `hasAccess` from the scopes set per (patient,
///         grantee, purpose), for action READ only. `setAccess` sets the insurer's BILLING/PAYMENT answer;
///         `setTreatment` a provider's TREATMENT scopes.
contract MockClaimsConsent is IClaimsConsent {
    mapping(uint256 patientId => mapping(uint256 granteeOrg => mapping(uint8 purpose => uint32 scopes))) public held;
    uint32 public constant EXPECTED_SCOPES = 1 << 11; // BILLING
    uint8 public constant EXPECTED_ACTION = 1; // READ
    uint8 public constant EXPECTED_PURPOSE = 1 << 1; // PAYMENT
    uint8 public constant TREATMENT = 1; // Scopes.TREATMENT

    function setAccess(uint256 patientId, uint256 granteeOrg, bool allowed) external {
        held[patientId][granteeOrg][EXPECTED_PURPOSE] = allowed ? EXPECTED_SCOPES : 0;
    }

    function setTreatment(uint256 patientId, uint256 granteeOrg, uint32 scopes) external {
        held[patientId][granteeOrg][TREATMENT] = scopes;
    }

    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) external view returns (bool) {
        if (action != EXPECTED_ACTION || scopes == 0) return false;
        return held[patientId][granteeOrg][purpose] & scopes == scopes;
    }
}
