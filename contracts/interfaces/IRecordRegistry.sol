// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title IRecordRegistry
/// @notice Anchors of medical records held off chain, encrypted (DESIGN.md §3). The chain keeps, per
///         record, the content hash of the ciphertext, a patient tag, the custodian organisation, the
///         category, the status and the version: two storage slots. The locator travels in the event as a
///         32-byte commitment (never free text); erasure is by destroying the record's key off chain.
///         A record's versions have one custodian: only the record's custodian versions it (or the patient,
///         for a record the patient anchored). The patient's own record actions (anchor, supersede,
///         retract) also exist as `…WithSig`, and every patient action, direct or signed, consumes the
///         patient's nonce in this contract. Retraction (erasure) works while paused.
interface IRecordRegistry {
    // ------------------------------------------------------------------ types

    /// @notice Lifecycle of an anchor. A new version supersedes; nothing is overwritten.
    enum RecordStatus {
        None,
        Live,
        Superseded,
        Retracted
    }

    /// @notice A record anchor, two storage slots.
    /// @param contentHash keccak256 of the stored ciphertext (slot 1).
    /// @param patientTag `bytes20(keccak256(abi.encode(recordId, patientId)))`: binds the record to its
    ///        patient without storing the id (a 160-bit second preimage is out of reach), and differs per
    ///        record, so storage does not link a patient's records together.
    /// @param custodianOrg The organisation that wrote and holds it (0 when the patient wrote it).
    /// @param category Bit index of its data category (`Scopes`), below 16.
    /// @param status Live, Superseded or Retracted.
    /// @param version 1 for a first anchor, the superseded record's version + 1 for a new version.
    struct Record {
        bytes32 contentHash;
        bytes20 patientTag;
        uint64 custodianOrg;
        uint8 category;
        RecordStatus status;
        uint16 version;
    }

    // ------------------------------------------------------------------ events

    /// @notice A record was anchored. `categories` is the category's mask with the RESTRICTED group
    ///         widened (`Scopes.redact`); `supersedes` is the record it replaces (0 for a first version).
    event RecordAnchored(
        bytes32 indexed recordId,
        uint256 indexed patientId,
        uint256 indexed custodianOrg,
        uint32 categories,
        bytes32 contentHash,
        bytes32 locatorCommitment,
        bytes32 supersedes,
        uint16 version
    );
    /// @notice `recordId` was replaced by `newRecordId`.
    event RecordSuperseded(bytes32 indexed recordId, bytes32 indexed newRecordId);
    /// @notice ADMIN set the ConsentManager asked for WRITE grants (once).
    event ConsentManagerSet(address indexed consentManager);
    /// @notice `recordId` was retracted by `by` (its key is destroyed off chain).
    event RecordRetracted(bytes32 indexed recordId, address indexed by, bytes32 reasonHash);

    // ------------------------------------------------------------------ errors

    /// @notice Record ids are random and non-zero; content hashes are non-zero.
    error RecordZeroValue(bytes32 recordId, bytes32 contentHash);
    /// @notice `recordId` is taken.
    error RecordExists(bytes32 recordId);
    /// @notice No record `recordId` exists.
    error RecordUnknown(bytes32 recordId);
    /// @notice `category` is not a category index (0..15).
    error RecordInvalidCategory(uint8 category);
    /// @notice `account` may not write a record of `category` for `patientId`: it is neither the patient
    ///         (controller or guardian) nor an operator of an active Provider or Lab with WRITE_RECORDS
    ///         holding a WRITE grant for that category and purpose TREATMENT.
    error RecordWriterNotAuthorized(address account, uint256 patientId, uint8 category);
    /// @notice `recordId` is `status`, which does not allow this move.
    error RecordInvalidStatus(bytes32 recordId, RecordStatus status);
    /// @notice `recordId` does not belong to `patientId`.
    error RecordOfAnotherPatient(bytes32 recordId, uint256 patientId);
    /// @notice `recordId` reached the last version number.
    error RecordVersionOverflow(bytes32 recordId);
    /// @notice The ConsentManager is set once: it is `current` already (or the zero address was given).
    error RecordConsentManagerAlreadySet(address current);
    /// @notice The ConsentManager is not set yet, so no organisation can write.
    error RecordConsentManagerNotSet();
    /// @notice `account` may not retract `recordId`: neither its custodian's operator nor the patient.
    error RecordNotRetractor(address account, bytes32 recordId);
    /// @notice Only `recordId`'s custodian versions it: the caller writes for `callerOrg` (0: the patient),
    ///         the record's custodian is `custodianOrg` (0: the patient anchored it).
    error RecordNotCustodian(bytes32 recordId, uint256 callerOrg, uint256 custodianOrg);
    /// @notice `account` is neither a controller nor a current guardian of `patientId` (a signed record
    ///         action is the patient's own).
    error RecordUnauthorized(address account, uint256 patientId);
    /// @notice The signature's deadline `deadline` passed (now `nowTs`).
    error RecordSignatureExpired(uint256 deadline, uint256 nowTs);
    /// @notice The signature was made for nonce `nonce`, but `patientId`'s next nonce here is `expected`:
    ///         replayed, or outdated by a later patient action.
    error RecordInvalidNonce(uint256 patientId, uint256 nonce, uint256 expected);
    /// @notice The signature is not `signer`'s over this message in this contract's EIP-712 domain (wrong
    ///         key, or made for another chain id or contract). `recovered` is the EOA it recovers to here
    ///         (0 when none).
    error RecordInvalidSignature(address signer, address recovered);

    // ------------------------------------------------------------------ ADMIN / PAUSER

    /// @notice Sets the ConsentManager once (it is deployed after this contract, which it reads). ADMIN.
    function setConsentManager(address consentManager) external;

    /// @notice Stops anchoring and superseding (never retraction: erasure works while paused). PAUSER.
    function pause() external;

    /// @notice Resumes writes. ADMIN.
    function unpause() external;

    // ------------------------------------------------------------------ writes

    /// @notice Anchors a new record. The patient (controller or guardian; consumes the patient's nonce), or
    ///         an operator of an active Provider or Lab with WRITE_RECORDS holding a WRITE grant for
    ///         `category` (purpose TREATMENT), which becomes its custodian.
    /// @param recordId A random, unused, non-zero id chosen by the writer (the encryption binds it).
    /// @param patientId The patient the record is about.
    /// @param category Bit index of its data category.
    /// @param contentHash keccak256 of the ciphertext.
    /// @param locatorCommitment A commitment to (or an encryption of) where the blob is stored.
    function anchor(
        bytes32 recordId,
        uint256 patientId,
        uint8 category,
        bytes32 contentHash,
        bytes32 locatorCommitment
    ) external;

    /// @notice `anchor` by the patient's EIP-712 `Anchor` signature of `signer` (controller or guardian
    ///         when executed), for the patient's nonce `nonce`, relayed by anyone. The patient anchors it
    ///         (no custodian).
    function anchorWithSig(
        bytes32 recordId,
        uint256 patientId,
        uint8 category,
        bytes32 contentHash,
        bytes32 locatorCommitment,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Anchors `newRecordId` as the next version of the live `oldRecordId` (same patient, same
    ///         category, same custodian), which becomes Superseded. Only the record's custodian (an
    ///         operator of it that may write the category, as for `anchor`), or the patient for a record
    ///         the patient anchored (consuming the patient's nonce).
    function supersede(
        bytes32 oldRecordId,
        bytes32 newRecordId,
        uint256 patientId,
        bytes32 contentHash,
        bytes32 locatorCommitment
    ) external;

    /// @notice The patient's `supersede` of a record the patient anchored, by an EIP-712 `Supersede`
    ///         signature.
    function supersedeWithSig(
        bytes32 oldRecordId,
        bytes32 newRecordId,
        uint256 patientId,
        bytes32 contentHash,
        bytes32 locatorCommitment,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Marks a live or superseded record Retracted (erasure: its key is destroyed off chain).
    ///         An operator of its (active) custodian, or the patient (controller or guardian) for any
    ///         record about it, whoever anchored it: erasure is the patient's right (consumes the
    ///         patient's nonce). Works while paused.
    function retract(bytes32 recordId, uint256 patientId, bytes32 reasonHash) external;

    /// @notice The patient's `retract` by an EIP-712 `Retract` signature. Works while paused.
    function retractWithSig(
        bytes32 recordId,
        uint256 patientId,
        bytes32 reasonHash,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------ views

    /// @notice Whether `contentHash` is the registered content of `recordId`, and the record's status.
    function verify(bytes32 recordId, bytes32 contentHash) external view returns (bool matches, RecordStatus status);

    /// @notice A record anchor (zero when unknown).
    function getRecord(bytes32 recordId) external view returns (Record memory);

    /// @notice What ConsentManager's `logAccess` asks of a record (its second slot only): custodian,
    ///         category, status, and whether it belongs to `patientId`.
    function recordFor(
        bytes32 recordId,
        uint256 patientId
    ) external view returns (uint64 custodianOrg, uint8 category, RecordStatus status, bool ofPatient);

    /// @notice Whether `recordId` is a live anchor of `patientId` (what ClaimEscrow asks of a claim's
    ///         evidence: not superseded, not retracted, of that patient).
    function isLiveRecordOf(bytes32 recordId, uint256 patientId) external view returns (bool);

    /// @notice The patient tag of (`recordId`, `patientId`).
    function patientTag(bytes32 recordId, uint256 patientId) external pure returns (bytes20);

    /// @notice The ConsentManager asked for WRITE grants (0 until set).
    function consentManager() external view returns (address);

    /// @notice The next nonce of `patientId` in this contract (what the next signature must cover).
    function nonces(uint256 patientId) external view returns (uint256);
}
