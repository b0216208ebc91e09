// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IRecordRegistry} from "./IRecordRegistry.sol";

/// @title IConsentManager
/// @notice Patient-controlled access to medical data (DESIGN.md §2): grants from a patient to an
///         organisation (scopes × actions × purposes × time window, one storage slot), a patient deny mask
///         that overrides every grant, break-glass emergency access, and the audit trail (`logAccess`).
///         Every patient action, direct or signed (EIP-712), consumes the patient's nonce.
interface IConsentManager {
    // ------------------------------------------------------------------ types

    /// @notice A grant, one storage slot. Masks are `Scopes` bits.
    /// @param scopes Data categories.
    /// @param actions READ and/or WRITE.
    /// @param purposes Purposes of use.
    /// @param notBefore Start of the window (unix seconds, inclusive).
    /// @param expiresAt End of the window (exclusive).
    struct Grant {
        uint32 scopes;
        uint8 actions;
        uint8 purposes;
        uint64 notBefore;
        uint64 expiresAt;
    }

    /// @notice A break-glass opening, two storage slots.
    /// @param patientId Whose data.
    /// @param orgId The Provider that opened it.
    /// @param openedAt When; the justification is due `JUSTIFICATION_PERIOD` later.
    /// @param closesAt End of the window (moved to the closing time when closed early).
    /// @param justified Whether a justification hash was recorded.
    /// @param reported Whether REGULATOR flagged it overdue.
    struct EmergencyAccess {
        uint256 patientId;
        uint64 orgId;
        uint64 openedAt;
        uint64 closesAt;
        bool justified;
        bool reported;
    }

    // ------------------------------------------------------------------ events

    /// @notice ADMIN set the break-glass window and the daily cap of openings per organisation.
    event EmergencyParametersSet(uint64 window, uint8 dailyCap);
    /// @notice A grant was made or replaced (scopes redacted: the RESTRICTED group shows as a whole).
    event ConsentGranted(
        uint256 indexed patientId,
        uint256 indexed granteeOrg,
        uint32 scopes,
        uint8 actions,
        uint8 purposes,
        uint64 notBefore,
        uint64 expiresAt
    );
    /// @notice A grant was revoked.
    event ConsentRevoked(uint256 indexed patientId, uint256 indexed granteeOrg);
    /// @notice The patient's deny mask (redacted) and emergency policy changed.
    event DenyMaskSet(uint256 indexed patientId, uint32 denyMask, uint8 emergencyPolicy);
    /// @notice A Provider opened break-glass access to a patient's data until `closesAt`.
    event EmergencyAccessOpened(
        uint256 indexed accessId,
        uint256 indexed patientId,
        uint256 indexed orgId,
        address operator,
        bytes32 reasonHash,
        uint64 closesAt
    );
    /// @notice A break-glass access was closed early by `by` (the patient's side or the Provider's).
    event EmergencyAccessClosed(uint256 indexed accessId, address indexed by);
    /// @notice The Provider justified a break-glass access (`late` when after the deadline).
    event EmergencyAccessJustified(uint256 indexed accessId, bytes32 justificationHash, bool late);
    /// @notice REGULATOR flagged an unjustified break-glass access past its deadline.
    event EmergencyAccessOverdue(uint256 indexed accessId, uint256 indexed orgId, uint64 dueAt);
    /// @notice A custodian disclosed `recordId` to `recipientOrg` (scopes redacted). `accessId` is the
    ///         break-glass access that covered it, 0 when a grant did.
    event AccessLogged(
        uint256 indexed patientId,
        uint256 indexed recipientOrg,
        bytes32 indexed recordId,
        uint256 custodianOrg,
        uint32 scopes,
        uint8 purpose,
        uint256 accessId
    );

    // ------------------------------------------------------------------ errors

    /// @notice `account` is neither a controller nor a current guardian of `patientId`.
    error ConsentUnauthorized(address account, uint256 patientId);
    /// @notice The signature's deadline `deadline` passed (now `nowTs`).
    error ConsentSignatureExpired(uint256 deadline, uint256 nowTs);
    /// @notice The signature was made for nonce `nonce`, but `patientId`'s next nonce is `expected`:
    ///         replayed, or outdated by a later patient action.
    error ConsentInvalidNonce(uint256 patientId, uint256 nonce, uint256 expected);
    /// @notice The signature is not `signer`'s over this message in this contract's EIP-712 domain (wrong
    ///         key, or made for another chain id or contract). `recovered` is the EOA it recovers to
    ///         here (0 when it recovers to none).
    error ConsentInvalidSignature(address signer, address recovered);
    /// @notice A grant needs non-empty, valid scopes, actions and purposes.
    error ConsentInvalidGrant(uint32 scopes, uint8 actions, uint8 purposes);
    /// @notice A grant's window must end after now and after it starts.
    error ConsentInvalidWindow(uint64 notBefore, uint64 expiresAt, uint256 nowTs);
    /// @notice `orgId` is not an active organisation.
    error ConsentInactiveOrganization(uint256 orgId);
    /// @notice `patientId` holds no grant for `granteeOrg`.
    error ConsentNoGrant(uint256 patientId, uint256 granteeOrg);
    /// @notice A deny mask is within the categories and an emergency policy within its two flags.
    error ConsentInvalidPolicy(uint32 denyMask, uint8 emergencyPolicy);
    /// @notice Break-glass window (1 h .. 72 h) or daily cap (1 .. `MAX_DAILY_CAP`) out of bounds.
    error ConsentInvalidEmergencyParameters(uint64 window, uint8 dailyCap);
    /// @notice Break-glass covers READ only: `actions` asked.
    error ConsentEmergencyReadOnly(uint8 actions);
    /// @notice `account` is not an operator of an active Provider with EMERGENCY_ACCESS (its org: `orgId`).
    error ConsentEmergencyNotProvider(address account, uint256 orgId);
    /// @notice No patient `patientId` exists.
    error ConsentUnknownPatient(uint256 patientId);
    /// @notice `patientId` opted out of break-glass access.
    error ConsentEmergencyOptedOut(uint256 patientId);
    /// @notice `orgId` already holds the open access `accessId` to `patientId`.
    error ConsentEmergencyAlreadyOpen(uint256 patientId, uint256 orgId, uint256 accessId);
    /// @notice `orgId` reached its cap of `dailyCap` openings in 24 h; the next is possible at `nextAt`.
    error ConsentEmergencyDailyCap(uint256 orgId, uint8 dailyCap, uint256 nextAt);
    /// @notice No break-glass access `accessId` exists.
    error ConsentUnknownEmergencyAccess(uint256 accessId);
    /// @notice Break-glass access `accessId` is closed (since `closesAt`).
    error ConsentEmergencyClosed(uint256 accessId, uint64 closesAt);
    /// @notice `account` is not an operator of `orgId`, which opened the access.
    error ConsentNotEmergencyOrg(address account, uint256 orgId);
    /// @notice Break-glass access `accessId` is justified already.
    error ConsentEmergencyAlreadyJustified(uint256 accessId);
    /// @notice Break-glass access `accessId` is not overdue (justified, reported, or due at `dueAt`).
    error ConsentEmergencyNotOverdue(uint256 accessId, uint64 dueAt);
    /// @notice `account` does not operate for `recordId`'s active custodian `custodianOrg`.
    error ConsentNotCustodian(address account, bytes32 recordId, uint256 custodianOrg);
    /// @notice `recordId` is not live.
    error ConsentRecordNotLive(bytes32 recordId, IRecordRegistry.RecordStatus status);
    /// @notice `recordId` does not belong to `patientId`.
    error ConsentRecordOfAnotherPatient(bytes32 recordId, uint256 patientId);
    /// @notice `recordId`'s category (index `category`) is not within `scopes`.
    error ConsentCategoryOutsideScopes(bytes32 recordId, uint8 category, uint32 scopes);
    /// @notice `recipientOrg` holds no grant (nor, for purpose EMERGENCY, open break-glass access)
    ///         covering READ of `scopes` for `purpose` to `patientId`'s data.
    error ConsentNotCovered(uint256 patientId, uint256 recipientOrg, uint32 scopes, uint8 purpose);

    // ------------------------------------------------------------------ ADMIN / PAUSER / REGULATOR

    /// @notice Sets the break-glass window (1 h .. 72 h) and the daily cap per organisation. ADMIN.
    function setEmergencyParameters(uint64 window, uint8 dailyCap) external;

    /// @notice Stops every write except revocation, closing break-glass access, and a deny mask or
    ///         emergency policy that only restricts (see `setDenyMask`). PAUSER.
    function pause() external;

    /// @notice Resumes writes. ADMIN.
    function unpause() external;

    /// @notice Flags an unjustified break-glass access past its deadline (an event for the record). REGULATOR.
    function reportOverdue(uint256 accessId) external;

    // ------------------------------------------------------------------ patient actions

    /// @notice Grants (or replaces the grant of) `granteeOrg`, an active organisation. The patient's
    ///         controller or guardian; consumes a nonce.
    /// @param patientId The patient.
    /// @param granteeOrg The organisation.
    /// @param scopes Data categories (`Scopes`), non-empty.
    /// @param actions READ and/or WRITE.
    /// @param purposes Purposes, non-empty.
    /// @param notBefore Start (0 = now).
    /// @param expiresAt End, after now and after `notBefore`.
    function grant(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 actions,
        uint8 purposes,
        uint64 notBefore,
        uint64 expiresAt
    ) external;

    /// @notice `grant` by the EIP-712 `Grant` signature of `signer` (controller or guardian now), for
    ///         nonce `nonce`, relayed by anyone.
    function grantWithSig(
        uint256 patientId,
        uint256 granteeOrg,
        Grant calldata terms,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Revokes `granteeOrg`'s grant. Works while paused; consumes a nonce.
    function revoke(uint256 patientId, uint256 granteeOrg) external;

    /// @notice `revoke` by an EIP-712 `Revoke` signature. Works while paused.
    function revokeWithSig(
        uint256 patientId,
        uint256 granteeOrg,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Sets the deny mask (categories never shared, whatever the grants) and the emergency
    ///         policy (`EMERGENCY_OPT_OUT`, `EMERGENCY_OVERRIDES_DENY`). Consumes a nonce. While paused
    ///         only a restriction passes (no denied category cleared; break-glass opted out of, or neither
    ///         opted back into nor newly let override the deny mask), anything wider reverts
    ///         `EnforcedPause`. Opting out stops every open break-glass window at once, for good.
    function setDenyMask(uint256 patientId, uint32 denyMask, uint8 emergencyPolicy) external;

    /// @notice `setDenyMask` by an EIP-712 `SetDenyMask` signature (the same rule under pause).
    function setDenyMaskWithSig(
        uint256 patientId,
        uint32 denyMask,
        uint8 emergencyPolicy,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------ break-glass

    /// @notice Opens emergency READ access to `patientId`'s data for the caller's organisation, for the
    ///         window. An operator of an active Provider with EMERGENCY_ACCESS, unless the patient opted
    ///         out; at most `dailyCap` openings per organisation in any 24 h.
    /// @param patientId The patient.
    /// @param actions Must be READ.
    /// @param reasonHash Hash of the off-chain reason.
    /// @return accessId The opening's id (sequential, from 1).
    function openEmergencyAccess(
        uint256 patientId,
        uint8 actions,
        bytes32 reasonHash
    ) external returns (uint256 accessId);

    /// @notice Closes an open access early: an operator of the opening organisation, or the patient
    ///         (which consumes a nonce). Works while paused.
    function closeEmergencyAccess(uint256 accessId) external;

    /// @notice The patient's `closeEmergencyAccess` by an EIP-712 `CloseEmergencyAccess` signature.
    function closeEmergencyAccessWithSig(
        uint256 accessId,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Records the justification of an access (due `JUSTIFICATION_PERIOD` after opening; a late
    ///         one is still recorded, marked late). An operator of the opening organisation.
    function justifyEmergencyAccess(uint256 accessId, bytes32 justificationHash) external;

    // ------------------------------------------------------------------ audit

    /// @notice Logs a disclosure of `recordId` to `recipientOrg`. An operator of the record's active
    ///         custodian; reverts unless the record is live and `patientId`'s, its category is within
    ///         `scopes`, and the recipient holds a grant covering READ of `scopes` for `purpose` (or, for
    ///         purpose EMERGENCY, open break-glass access).
    function logAccess(
        uint256 patientId,
        uint256 recipientOrg,
        bytes32 recordId,
        uint32 scopes,
        uint8 purpose
    ) external;

    // ------------------------------------------------------------------ views

    /// @notice Whether `granteeOrg` is active and its grant from `patientId`, now inside its window,
    ///         covers every bit of `scopes`, `action` and `purpose` (each non-empty), none of the scopes
    ///         being in the deny mask.
    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) external view returns (bool);

    /// @notice Whether `orgId` holds open break-glass access to `patientId`'s data covering `scopes`
    ///         (non-empty; the deny mask applies unless the patient let emergencies override it). Checked
    ///         at use: the window stops at once when the patient opts out (and stays stopped after an
    ///         opt-in), and counts only while `orgId` is an active Provider holding EMERGENCY_ACCESS.
    function hasEmergencyAccess(uint256 patientId, uint256 orgId, uint32 scopes) external view returns (bool);

    /// @notice The grant of `patientId` to `granteeOrg` (zero when none).
    function getGrant(uint256 patientId, uint256 granteeOrg) external view returns (Grant memory);

    /// @notice The patient's deny mask and emergency policy.
    function policyOf(uint256 patientId) external view returns (uint32 denyMask, uint8 emergencyPolicy);

    /// @notice The next nonce of `patientId` (what the next signature must cover).
    function nonces(uint256 patientId) external view returns (uint256);

    /// @notice A break-glass access (zero when unknown).
    function getEmergencyAccess(uint256 accessId) external view returns (EmergencyAccess memory);

    /// @notice Whether `accessId` is unjustified past its deadline.
    function isOverdue(uint256 accessId) external view returns (bool);

    /// @notice The break-glass window and daily cap.
    function emergencyParameters() external view returns (uint64 window, uint8 dailyCap);

    /// @notice The number of break-glass openings so far (ids run from 1 to this).
    function emergencyAccessCount() external view returns (uint256);

    /// @notice The RecordRegistry whose records `logAccess` checks.
    function recordRegistry() external view returns (IRecordRegistry);
}
