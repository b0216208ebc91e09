// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IClaimsConsent
/// @notice The one view of the ConsentManager that ClaimEscrow asks: whether a patient granted an
///         organisation access for a purpose. Mapped onto `IConsentManager.hasAccess` at integration.
interface IClaimsConsent {
    /// @notice Whether `granteeOrg` holds a live grant from `patientId` covering `scopes`, `action` and
    ///         `purpose` (bitmasks of `Scopes`).
    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) external view returns (bool);
}
