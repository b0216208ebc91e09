// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IIdentityRegistry
/// @notice Who is who in MedChain: accredited organisations (with their operator accounts) and
///         pseudonymous patients (random ids, controller accounts, guardians, key recovery).
///         No personal data: organisations are public and carry only a profile hash; patients carry a
///         random id and a uniqueness commitment (an HMAC only registrars can compute).
interface IIdentityRegistry {
    // ------------------------------------------------------------------ types

    /// @notice Kinds of organisation. A registrar accredits only the kinds ADMIN gave it.
    enum OrgKind {
        None,
        Provider,
        Pharmacy,
        Manufacturer,
        Distributor,
        Lab,
        Insurer,
        Sponsor,
        Regulator
    }

    /// @notice Lifecycle of an organisation. Revoked is final.
    enum OrgStatus {
        None,
        Active,
        Suspended,
        Revoked
    }

    /// @notice An organisation, packed in one storage slot. Its profile hash is not stored (no rule reads
    ///         it): it travels in `OrganizationRegistered` / `OrganizationUpdated`, where indexers find it.
    /// @param kind What the organisation is.
    /// @param status Active, Suspended or Revoked.
    /// @param validUntil End of its licence (accreditation), unix seconds.
    /// @param capabilities Bitmask of `Capabilities` it holds.
    /// @param companyPrefix GS1 company prefix (manufacturers), as a number; 0 when none.
    /// @param prefixLength Number of digits of `companyPrefix` (6..12), 0 when none.
    struct Organization {
        OrgKind kind;
        OrgStatus status;
        uint64 validUntil;
        uint32 capabilities;
        uint40 companyPrefix;
        uint8 prefixLength;
    }

    /// @notice An offer to `account` to become an operator of an organisation: it binds nothing until the
    ///         account accepts it (`acceptOperator`), before `expiresAt`.
    /// @param offeredBy The operator or registrar who made it (named in `OperatorAdded` on acceptance).
    /// @param expiresAt The offer can be accepted while `block.timestamp < expiresAt`; 0 when there is none.
    struct OperatorOffer {
        address offeredBy;
        uint64 expiresAt;
    }

    /// @notice A pending recovery of a patient's lost key.
    struct Recovery {
        address newController;
        uint64 executableAt;
    }

    // ------------------------------------------------------------------ events

    /// @notice ADMIN set the kinds (bitmask of `1 << OrgKind`) `registrar` may accredit.
    event RegistrarKindsSet(address indexed registrar, uint16 kinds);
    /// @notice A registrar accredited a new organisation.
    event OrganizationRegistered(
        uint256 indexed orgId,
        OrgKind indexed kind,
        address indexed registrar,
        uint32 capabilities,
        uint64 validUntil,
        bytes32 profileHash
    );
    /// @notice A registrar changed an organisation's capabilities, licence end or profile.
    event OrganizationUpdated(uint256 indexed orgId, uint32 capabilities, uint64 validUntil, bytes32 profileHash);
    /// @notice A registrar recorded a manufacturer's GS1 company prefix.
    event CompanyPrefixSet(uint256 indexed orgId, uint40 companyPrefix, uint8 prefixLength);
    /// @notice An organisation's status changed (suspended, reinstated or revoked) by `by`.
    event OrganizationStatusChanged(uint256 indexed orgId, OrgStatus status, address indexed by, bytes32 reasonHash);
    /// @notice `by` offered `account` to act for `orgId`; nothing is bound until the account accepts.
    event OperatorOffered(uint256 indexed orgId, address indexed account, address indexed by, uint64 expiresAt);
    /// @notice `by` withdrew the pending offer to `account` to act for `orgId`.
    event OperatorOfferWithdrawn(uint256 indexed orgId, address indexed account, address indexed by);
    /// @notice `account` accepted the offer of `by` and now acts for `orgId`.
    event OperatorAdded(uint256 indexed orgId, address indexed account, address indexed by);
    /// @notice `account` no longer acts for `orgId`.
    event OperatorRemoved(uint256 indexed orgId, address indexed account, address indexed by);
    /// @notice `account` published a compressed secp256k1 encryption public key (prefix 0x02/0x03, x).
    event EncryptionKeySet(address indexed account, bytes1 prefix, bytes32 x);
    /// @notice A patient identity was created with an attested uniqueness commitment.
    event PatientRegistered(uint256 indexed patientId, address indexed controller, address indexed registrar);
    /// @notice A controller account was added to (`enabled`) or removed from a patient.
    event ControllerSet(uint256 indexed patientId, address indexed account, bool enabled);
    /// @notice A guardian was set (validUntil > 0) or removed (validUntil = 0).
    event GuardianSet(uint256 indexed patientId, address indexed guardian, uint64 validUntil);
    /// @notice A registrar proposed to recover a patient's identity to `newController`.
    event RecoveryProposed(
        uint256 indexed patientId,
        address indexed newController,
        address indexed registrar,
        uint64 executableAt
    );
    /// @notice A controller or guardian cancelled the pending recovery.
    event RecoveryCancelled(uint256 indexed patientId, address indexed by);
    /// @notice The recovery executed: every earlier controller lost its authority.
    event RecoveryExecuted(uint256 indexed patientId, address indexed newController);

    // ------------------------------------------------------------------ errors

    /// @notice `registrar` may not accredit or manage organisations of `kind`.
    error IdentityKindNotAllowed(address registrar, OrgKind kind);
    /// @notice `kind` is not a kind of organisation.
    error IdentityInvalidKind(OrgKind kind);
    /// @notice No organisation `orgId` exists.
    error IdentityUnknownOrganization(uint256 orgId);
    /// @notice The move of `orgId` from `from` to `to` is not allowed (Revoked is final).
    error IdentityInvalidStatusTransition(uint256 orgId, OrgStatus from, OrgStatus to);
    /// @notice A licence must end in the future: `validUntil` <= `nowTs`.
    error IdentityValidUntilInPast(uint64 validUntil, uint256 nowTs);
    /// @notice A GS1 company prefix has 6 to 12 digits and fits them: got `companyPrefix` of `prefixLength`.
    error IdentityInvalidCompanyPrefix(uint40 companyPrefix, uint8 prefixLength);
    /// @notice A company prefix is recorded only for manufacturers: `orgId` is `kind`.
    error IdentityNotManufacturer(uint256 orgId, OrgKind kind);
    /// @notice `account` already belongs to an organisation or a patient (one identity per account).
    error IdentityAccountAlreadyBound(address account);
    /// @notice The zero address cannot hold an identity.
    error IdentityZeroAddress();
    /// @notice `account` is not an operator of `orgId`.
    error IdentityNotOperator(address account, uint256 orgId);
    /// @notice `caller` may not change the status of `orgId` (not its kind's registrar, nor a regulator).
    error IdentityUnauthorized(address caller, uint256 orgId);
    /// @notice An encryption key is a compressed secp256k1 point: prefix 0x02 or 0x03, got `prefix`.
    error IdentityInvalidEncryptionKey(bytes1 prefix);
    /// @notice `account` neither operates for an organisation nor controls a patient.
    error IdentityUnboundAccount(address account);
    /// @notice Patient ids are random and non-zero.
    error IdentityZeroPatientId();
    /// @notice `patientId` is already registered.
    error IdentityPatientExists(uint256 patientId);
    /// @notice `commitment` was already used: one person, one identity.
    error IdentityCommitmentUsed(bytes32 commitment);
    /// @notice No patient `patientId` exists.
    error IdentityUnknownPatient(uint256 patientId);
    /// @notice The signature's deadline `deadline` passed (now `nowTs`).
    error IdentityExpiredSignature(uint256 deadline, uint256 nowTs);
    /// @notice The signature is not `signer`'s over this message.
    error IdentityInvalidSignature(address signer);
    /// @notice The attestation's signer `attester` does not hold the REGISTRAR role.
    error IdentityAttesterNotRegistrar(address attester);
    /// @notice `account` is not a current controller of `patientId`.
    error IdentityNotController(address account, uint256 patientId);
    /// @notice `account` is neither a controller nor a current guardian of `patientId`.
    error IdentityNotAuthorizedForPatient(address account, uint256 patientId);
    /// @notice A patient keeps at least one controller: `patientId` would have none.
    error IdentityLastController(uint256 patientId);
    /// @notice `patientId` already has `maxControllers` controllers (remove or rotate one instead).
    error IdentityTooManyControllers(uint256 patientId, uint256 maxControllers);
    /// @notice A guardian cannot be the zero address or one of the patient's own controllers: `guardian`.
    error IdentityInvalidGuardian(uint256 patientId, address guardian);
    /// @notice `patientId` has a pending recovery already.
    error IdentityRecoveryPending(uint256 patientId);
    /// @notice `patientId` has no pending recovery.
    error IdentityNoRecoveryPending(uint256 patientId);
    /// @notice The recovery of `patientId` executes only from `executableAt`.
    error IdentityRecoveryNotReady(uint256 patientId, uint64 executableAt);
    /// @notice `account` holds no pending offer to act for `orgId` (an operator binds only by its own acceptance).
    error IdentityNoOperatorOffer(address account, uint256 orgId);
    /// @notice The offer to `account` to act for `orgId` lapsed at `expiresAt` (now `nowTs`).
    error IdentityOperatorOfferExpired(address account, uint256 orgId, uint64 expiresAt, uint256 nowTs);
    /// @notice The encryption key (`prefix`, `x`) is no point of secp256k1 (x is not on the curve, or >= p).
    error IdentityEncryptionKeyNotOnCurve(bytes1 prefix, bytes32 x);
    /// @notice The encryption key offered is `account`'s own signing key: the two must differ.
    error IdentityEncryptionKeyIsSigningKey(address account);
    /// @notice `orgId` cannot act: its status is not Active (Suspended or Revoked).
    error IdentityOrganizationNotActive(uint256 orgId, OrgStatus status);
    /// @notice `orgId` cannot act: its licence (accreditation) ended at `validUntil`.
    error IdentityOrganizationExpired(uint256 orgId, uint64 validUntil, uint256 nowTs);

    // ------------------------------------------------------------------ ADMIN

    /// @notice Sets the kinds (bitmask of `1 << OrgKind`) that `registrar` may accredit. ADMIN only.
    /// @param registrar An account holding the REGISTRAR role.
    /// @param kinds Bitmask over `OrgKind` (bit 0, None, is ignored).
    function setRegistrarKinds(address registrar, uint16 kinds) external;

    /// @notice Stops every write except a patient's recovery cancellation and guardian removal. PAUSER.
    function pause() external;

    /// @notice Resumes writes. ADMIN.
    function unpause() external;

    // ------------------------------------------------------------------ organisations (registrars)

    /// @notice Accredits a new organisation and offers `firstOperator` to act for it. REGISTRAR of `kind`.
    ///         The account becomes the first operator only when it accepts (`acceptOperator`) within
    ///         `OPERATOR_OFFER_WINDOW`: an account becomes an operator only with its own consent.
    /// @param kind What it is.
    /// @param capabilities Bitmask of `Capabilities`.
    /// @param validUntil End of the licence (future).
    /// @param profileHash Hash of the off-chain public profile (names, GLN, NPI, licence number).
    /// @param firstOperator The account offered to act for it first (unbound; it must accept).
    /// @return orgId The new organisation's id (sequential, from 1).
    function registerOrganization(
        OrgKind kind,
        uint32 capabilities,
        uint64 validUntil,
        bytes32 profileHash,
        address firstOperator
    ) external returns (uint256 orgId);

    /// @notice Changes capabilities, licence end and profile hash. REGISTRAR of the organisation's kind.
    function updateOrganization(uint256 orgId, uint32 capabilities, uint64 validUntil, bytes32 profileHash) external;

    /// @notice Records a manufacturer's GS1 company prefix (GTINs are checked against it).
    ///         REGISTRAR of Manufacturer.
    function setCompanyPrefix(uint256 orgId, uint40 companyPrefix, uint8 prefixLength) external;

    /// @notice Suspends an active organisation: it fails every check at once. Its kind's registrar or REGULATOR.
    function suspendOrganization(uint256 orgId, bytes32 reasonHash) external;

    /// @notice Lifts a suspension. Its kind's registrar or REGULATOR.
    function reinstateOrganization(uint256 orgId, bytes32 reasonHash) external;

    /// @notice Revokes an organisation for good. Its kind's registrar or REGULATOR.
    function revokeOrganization(uint256 orgId, bytes32 reasonHash) external;

    // ------------------------------------------------------------------ organisations (operators)

    /// @notice Offers a staff account to act for `orgId`; it binds nothing until `account` accepts it
    ///         (`acceptOperator`) within `OPERATOR_OFFER_WINDOW`. A new offer replaces a pending one. An
    ///         operator of that organisation, or its kind's registrar; only while the organisation is active
    ///         (else `IdentityOrganizationNotActive` / `IdentityOrganizationExpired`).
    function addOperator(uint256 orgId, address account) external;

    /// @notice The caller accepts the pending offer to act for `orgId` and becomes its operator (the only
    ///         way an account becomes one). Refused when no offer is pending or it lapsed, when the caller
    ///         is bound since, or when the organisation is not active.
    function acceptOperator(uint256 orgId) external;

    /// @notice Withdraws the pending offer to `account` to act for `orgId`. An operator of it, or its kind's
    ///         registrar.
    function withdrawOperatorOffer(uint256 orgId, address account) external;

    /// @notice Removes a staff account from `orgId` (also oneself). An operator of it, or its kind's registrar.
    function removeOperator(uint256 orgId, address account) external;

    /// @notice Publishes the caller's encryption public key (compressed secp256k1), separate from its
    ///         signing key: a point of the curve, never the caller's own signing key. Operators and patient
    ///         controllers; a controller's call is a patient action and consumes the patient's nonce.
    function setEncryptionKey(bytes1 prefix, bytes32 x) external;

    /// @notice `setEncryptionKey` for a patient's controller by its EIP-712 signature (`SetEncryptionKey`),
    ///         relayed by anyone, so a patient publishes its key without holding ether. `signer` (an EOA or an
    ///         ERC-1271 account) must control `patientId` when it executes; consumes the patient's nonce.
    ///         The key is `signer`'s (`encryptionKeyOf(signer)`).
    function setEncryptionKeyWithSig(
        uint256 patientId,
        bytes1 prefix,
        bytes32 x,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------ patients

    /// @notice Creates a patient identity for the controller the registrar attested. The attestation
    ///         binds the controller, so only that account can ever hold it (a front-runner can only
    ///         register it for that same account); anyone may relay it, so the patient needs no ether.
    ///         The commitment is usable once.
    /// @param patientId A random, non-zero id.
    /// @param uniquenessCommitment HMAC-SHA256(registrars' pepper, normalised national id).
    /// @param controller The patient's first controller account, as attested.
    /// @param deadline End of the attestation's validity.
    /// @param registrar The attesting registrar (an EOA or an ERC-1271 account).
    /// @param signature The registrar's EIP-712 `PatientAttestation` signature.
    function registerPatient(
        uint256 patientId,
        bytes32 uniquenessCommitment,
        address controller,
        uint256 deadline,
        address registrar,
        bytes calldata signature
    ) external;

    /// @notice Adds (`enabled`) or removes a controller account. A controller; consumes a nonce.
    function setController(uint256 patientId, address account, bool enabled) external;

    /// @notice `setController` by a controller's EIP-712 signature, relayed by anyone.
    function setControllerWithSig(
        uint256 patientId,
        address account,
        bool enabled,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Replaces the caller's controller key with `newController` (key rotation). Consumes a nonce.
    function rotateKey(uint256 patientId, address newController) external;

    /// @notice `rotateKey` by the EIP-712 signature of the key being replaced (`signer`).
    function rotateKeyWithSig(
        uint256 patientId,
        address newController,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Sets a guardian until `validUntil`, or removes it (`validUntil` = 0; allowed while paused).
    ///         A controller; consumes a nonce.
    function setGuardian(uint256 patientId, address guardian, uint64 validUntil) external;

    /// @notice `setGuardian` by a controller's EIP-712 signature.
    function setGuardianWithSig(
        uint256 patientId,
        address guardian,
        uint64 validUntil,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice A registrar proposes to recover `patientId` to `newController`; executable after the delay.
    ///         `newController` is reserved meanwhile: no identity can bind it, so nobody can block the
    ///         recovery by binding its target elsewhere. Cancelling releases it.
    function proposeRecovery(uint256 patientId, address newController) external;

    /// @notice Cancels the pending recovery. A controller or guardian; works while paused; consumes a nonce.
    function cancelRecovery(uint256 patientId) external;

    /// @notice `cancelRecovery` by a controller's or guardian's EIP-712 signature.
    function cancelRecoveryWithSig(
        uint256 patientId,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Executes a recovery whose delay has passed (anyone): the new controller replaces every
    ///         earlier one and the nonce is bumped, so signatures made before are dead.
    function executeRecovery(uint256 patientId) external;

    // ------------------------------------------------------------------ views other contracts use

    /// @notice Whether `orgId` is Active and its licence has not expired.
    function isActiveOrganization(uint256 orgId) external view returns (bool);

    /// @notice `canActForPatient(account, patientId)` and `isActiveOrganization(orgId)` in one call, for a
    ///         patient action that names an organisation (a consent grant): one call's overhead, not two.
    function actorAndOrganization(
        address account,
        uint256 patientId,
        uint256 orgId
    ) external view returns (bool canAct, bool orgActive);

    /// @notice The organisation `account` operates for (0 when none), whatever its status.
    function organizationOf(address account) external view returns (uint256 orgId);

    /// @notice The active organisation `account` operates for, with its record; orgId 0 when none is active.
    function activeOrganizationOf(address account) external view returns (uint256 orgId, Organization memory org);

    /// @notice Whether `account` operates for an active organisation holding every bit of `capabilities`.
    function hasCapability(address account, uint32 capabilities) external view returns (bool);

    /// @notice The patient `account` currently controls (0 when none).
    function patientOf(address account) external view returns (uint256 patientId);

    /// @notice Whether `account` is a current controller of `patientId`, or a guardian whose term runs.
    function canActForPatient(address account, uint256 patientId) external view returns (bool);

    /// @notice The active organisation `account` operates for, with only its kind and capabilities (a lean
    ///         `activeOrganizationOf` for callers that check a role per transaction); zeros when none is active.
    function activeRoleOf(address account) external view returns (uint256 orgId, OrgKind kind, uint32 capabilities);

    /// @notice Why `account` acts for no active organisation: reverts `IdentityOrganizationNotActive` (its
    ///         organisation is suspended or revoked) or `IdentityOrganizationExpired` (its licence ended);
    ///         returns (0) when `account` is no operator at all, or its organisation's id when it is active.
    /// @dev    Contracts call it only on their refusal path, after `activeRoleOf` answered zero, so a refusal
    ///         names the organisation and the reason while the passing path costs nothing more.
    function requireActiveOrganization(address account) external view returns (uint256 orgId);

    /// @notice Why `orgId` cannot act: reverts `IdentityUnknownOrganization`, `IdentityOrganizationNotActive`
    ///         or `IdentityOrganizationExpired`; returns when it is active.
    /// @dev    For the refusal path of a check by organisation id, after `isActiveOrganization` answered false.
    function requireActiveOrganizationId(uint256 orgId) external view;

    // ------------------------------------------------------------------ other views

    /// @notice The pending offer to `account` to act for `orgId` (zeros when none).
    function operatorOffer(uint256 orgId, address account) external view returns (OperatorOffer memory);

    /// @notice How long an offer to become an operator can be accepted.
    function OPERATOR_OFFER_WINDOW() external view returns (uint64);

    /// @notice An organisation's record.
    function getOrganization(uint256 orgId) external view returns (Organization memory);

    /// @notice The number of organisations registered so far (ids run from 1 to this).
    function organizationCount() external view returns (uint256);

    /// @notice The kinds `registrar` may accredit (bitmask of `1 << OrgKind`).
    function registrarKinds(address registrar) external view returns (uint16);

    /// @notice The compressed encryption public key `account` published (prefix 0 when none, or when the
    ///         account no longer belongs to an organisation or patient).
    function encryptionKeyOf(address account) external view returns (bytes1 prefix, bytes32 x);

    /// @notice Whether `patientId` exists.
    function isPatient(uint256 patientId) external view returns (bool);

    /// @notice Whether `account` is a current controller of `patientId`.
    function isController(address account, uint256 patientId) external view returns (bool);

    /// @notice End of `guardian`'s term for `patientId` (0 when none).
    function guardianUntil(uint256 patientId, address guardian) external view returns (uint64);

    /// @notice Whether `commitment` was used.
    function isCommitmentUsed(bytes32 commitment) external view returns (bool);

    /// @notice The next nonce of `patientId` (what the next signature must cover).
    function nonces(uint256 patientId) external view returns (uint256);

    /// @notice The pending recovery of `patientId` (zero when none).
    function pendingRecovery(uint256 patientId) external view returns (Recovery memory);

    /// @notice The delay between proposing and executing a recovery.
    function RECOVERY_DELAY() external view returns (uint64);

    /// @notice The most controller accounts a patient may hold at once (a recovery retires them in a
    ///         bounded loop).
    function MAX_CONTROLLERS() external view returns (uint8);
}
