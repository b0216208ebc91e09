// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IResearchConsent} from "../interfaces/IResearchConsent.sol";

/// @notice Test-only stand-in for the ConsentManager: answers `hasAccess` from a table the test sets, so a
///         test that grants exactly (patient, sponsor, scopes, READ, RESEARCH) also checks what was asked.
contract MockResearchConsent is IResearchConsent {
    mapping(bytes32 key => bool) private _answers;

    /// @notice Sets the answer for (patient, grantee, scopes, action, purpose).
    function setAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose,
        bool allowed
    ) external {
        _answers[keccak256(abi.encode(patientId, granteeOrg, scopes, action, purpose))] = allowed;
    }

    /// @inheritdoc IResearchConsent
    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) external view returns (bool) {
        return _answers[keccak256(abi.encode(patientId, granteeOrg, scopes, action, purpose))];
    }
}
