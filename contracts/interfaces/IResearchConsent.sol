// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IResearchConsent
/// @notice The one view of the ConsentManager the TrialRegistry asks: whether a patient's grant lets an
///         organisation act on some data categories for a purpose. A minimal interface so the trial
///         registry does not depend on the whole consent API (the ConsentManager implements it).
interface IResearchConsent {
    /// @notice Whether `granteeOrg` may perform `action` on every category of `scopes` of `patientId`'s
    ///         data for `purpose`, now (grant window, deny mask and revocations applied).
    /// @param patientId The patient.
    /// @param granteeOrg The organisation asking.
    /// @param scopes Bitmask of data categories (`Scopes.sol`).
    /// @param action The action bit (`Scopes.READ` or `Scopes.WRITE`).
    /// @param purpose The purpose bit (`Scopes.RESEARCH`, …).
    /// @return Whether a current grant covers the request.
    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) external view returns (bool);
}
