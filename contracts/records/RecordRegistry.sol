// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IConsentManager} from "../interfaces/IConsentManager.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {Scopes} from "../libraries/Scopes.sol";

/// @title RecordRegistry
/// @notice Anchors of encrypted medical records held off chain: two storage slots a record, a version
///         chain (a new version supersedes, nothing is overwritten), retraction for erasure, and `verify`
///         for anyone holding a copy. One custodian a version chain; the patient's actions also signed.
/// @dev Not upgradeable. Governed by one AccessManager: `pause` is wired to PAUSER, `unpause` stays ADMIN.
///      The patient id is not stored: a 160-bit tag of (recordId, patientId) binds the record to it.
contract RecordRegistry is IRecordRegistry, AccessManaged, Pausable, EIP712 {
    // ------------------------------------------------------------------ constants

    bytes32 public constant ANCHOR_TYPEHASH =
        keccak256(
            "Anchor(bytes32 recordId,uint256 patientId,uint8 category,bytes32 contentHash,bytes32 locatorCommitment,"
            "uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant SUPERSEDE_TYPEHASH =
        keccak256(
            "Supersede(bytes32 oldRecordId,bytes32 newRecordId,uint256 patientId,bytes32 contentHash,"
            "bytes32 locatorCommitment,uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant RETRACT_TYPEHASH =
        keccak256("Retract(bytes32 recordId,uint256 patientId,bytes32 reasonHash,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ immutables

    IIdentityRegistry private immutable _IDENTITY;

    // ------------------------------------------------------------------ storage

    IConsentManager private _consent;
    mapping(bytes32 recordId => Record) private _records;
    mapping(uint256 patientId => uint256) private _nonces;

    // ------------------------------------------------------------------ constructor

    constructor(
        address initialAuthority,
        IIdentityRegistry identity
    ) AccessManaged(initialAuthority) EIP712("MedChain RecordRegistry", "1") {
        _IDENTITY = identity;
    }

    // ------------------------------------------------------------------ ADMIN / PAUSER

    /// @inheritdoc IRecordRegistry
    function setConsentManager(address consentManager_) external restricted {
        if (address(_consent) != address(0) || consentManager_ == address(0)) {
            revert RecordConsentManagerAlreadySet(address(_consent));
        }
        _consent = IConsentManager(consentManager_);
        emit ConsentManagerSet(consentManager_);
    }

    /// @inheritdoc IRecordRegistry
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IRecordRegistry
    function unpause() external restricted {
        _unpause();
    }

    // ------------------------------------------------------------------ writes

    /// @inheritdoc IRecordRegistry
    function anchor(
        bytes32 recordId,
        uint256 patientId,
        uint8 category,
        bytes32 contentHash,
        bytes32 locatorCommitment
    ) external whenNotPaused {
        if (category >= Scopes.CATEGORY_COUNT) revert RecordInvalidCategory(category);
        uint64 custodianOrg = _checkWriter(patientId, category);
        if (custodianOrg == 0) _useNonce(patientId);
        _anchor(recordId, patientId, category, contentHash, locatorCommitment, custodianOrg);
    }

    /// @inheritdoc IRecordRegistry
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
    ) external whenNotPaused {
        if (category >= Scopes.CATEGORY_COUNT) revert RecordInvalidCategory(category);
        bytes32 structHash = keccak256(
            abi.encode(ANCHOR_TYPEHASH, recordId, patientId, category, contentHash, locatorCommitment, nonce, deadline)
        );
        _useSignature(patientId, signer, nonce, deadline, structHash, signature);
        _anchor(recordId, patientId, category, contentHash, locatorCommitment, 0);
    }

    /// @inheritdoc IRecordRegistry
    function supersede(
        bytes32 oldRecordId,
        bytes32 newRecordId,
        uint256 patientId,
        bytes32 contentHash,
        bytes32 locatorCommitment
    ) external whenNotPaused {
        Record storage old = _checkVersionable(oldRecordId, patientId);
        uint64 writerOrg = _checkWriter(patientId, old.category);
        uint64 custodianOrg = old.custodianOrg;
        // One custodian a chain: a WRITE grant for the category lets an organisation write its own
        // records, never version another custodian's (nor the patient's, nor the patient an organisation's).
        if (writerOrg != custodianOrg) revert RecordNotCustodian(oldRecordId, writerOrg, custodianOrg);
        if (custodianOrg == 0) _useNonce(patientId);
        _supersede(old, oldRecordId, newRecordId, patientId, contentHash, locatorCommitment);
    }

    /// @inheritdoc IRecordRegistry
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
    ) external whenNotPaused {
        Record storage old = _checkVersionable(oldRecordId, patientId);
        if (old.custodianOrg != 0) revert RecordNotCustodian(oldRecordId, 0, old.custodianOrg);
        bytes32 structHash = _supersedeHash(
            oldRecordId,
            newRecordId,
            patientId,
            contentHash,
            locatorCommitment,
            nonce,
            deadline
        );
        _useSignature(patientId, signer, nonce, deadline, structHash, signature);
        _supersede(old, oldRecordId, newRecordId, patientId, contentHash, locatorCommitment);
    }

    /// @inheritdoc IRecordRegistry
    function retract(bytes32 recordId, uint256 patientId, bytes32 reasonHash) external {
        Record storage record = _checkRetractable(recordId, patientId);
        (uint256 callerOrg, , ) = _IDENTITY.activeRoleOf(msg.sender);
        if (callerOrg == 0 || callerOrg != record.custodianOrg) {
            // Not its custodian: the patient (erasure is the patient's right, whoever anchored the record).
            if (!_IDENTITY.canActForPatient(msg.sender, patientId)) {
                // An operator of an inactive organisation learns which and why (the registry reverts).
                if (callerOrg == 0) _IDENTITY.requireActiveOrganization(msg.sender);
                revert RecordNotRetractor(msg.sender, recordId);
            }
            _useNonce(patientId);
        }
        record.status = RecordStatus.Retracted;
        emit RecordRetracted(recordId, msg.sender, reasonHash);
    }

    /// @inheritdoc IRecordRegistry
    function retractWithSig(
        bytes32 recordId,
        uint256 patientId,
        bytes32 reasonHash,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        Record storage record = _checkRetractable(recordId, patientId);
        bytes32 structHash = keccak256(abi.encode(RETRACT_TYPEHASH, recordId, patientId, reasonHash, nonce, deadline));
        _useSignature(patientId, signer, nonce, deadline, structHash, signature);
        record.status = RecordStatus.Retracted;
        emit RecordRetracted(recordId, signer, reasonHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRecordRegistry
    function verify(bytes32 recordId, bytes32 contentHash) external view returns (bool matches, RecordStatus status) {
        Record storage record = _records[recordId];
        status = record.status;
        matches = status != RecordStatus.None && record.contentHash == contentHash;
    }

    /// @inheritdoc IRecordRegistry
    function getRecord(bytes32 recordId) external view returns (Record memory) {
        return _records[recordId];
    }

    /// @inheritdoc IRecordRegistry
    function recordFor(
        bytes32 recordId,
        uint256 patientId
    ) external view returns (uint64 custodianOrg, uint8 category, RecordStatus status, bool ofPatient) {
        Record storage record = _records[recordId];
        status = record.status;
        ofPatient = status != RecordStatus.None && record.patientTag == patientTag(recordId, patientId);
        return (record.custodianOrg, record.category, status, ofPatient);
    }

    /// @inheritdoc IRecordRegistry
    function isLiveRecordOf(bytes32 recordId, uint256 patientId) external view returns (bool) {
        Record storage record = _records[recordId];
        return record.status == RecordStatus.Live && record.patientTag == patientTag(recordId, patientId);
    }

    /// @inheritdoc IRecordRegistry
    function patientTag(bytes32 recordId, uint256 patientId) public pure returns (bytes20) {
        return bytes20(keccak256(abi.encode(recordId, patientId)));
    }

    /// @inheritdoc IRecordRegistry
    function consentManager() external view returns (address) {
        return address(_consent);
    }

    /// @inheritdoc IRecordRegistry
    function nonces(uint256 patientId) external view returns (uint256) {
        return _nonces[patientId];
    }

    /// @notice The IdentityRegistry this contract asks.
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @notice The EIP-712 domain separator (for off-chain signers and tests).
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ internal

    /// @dev The caller may write `category` for `patientId`; returns its organisation (0 for the patient).
    ///      An operator is checked first (the common case), so a provider never pays the patient check.
    function _checkWriter(uint256 patientId, uint8 category) private view returns (uint64) {
        (uint256 orgId, IIdentityRegistry.OrgKind kind, uint32 capabilities) = _IDENTITY.activeRoleOf(msg.sender);
        if (orgId == 0) {
            if (!_IDENTITY.canActForPatient(msg.sender, patientId)) {
                // An operator of an inactive organisation learns which and why (the registry reverts).
                _IDENTITY.requireActiveOrganization(msg.sender);
                revert RecordWriterNotAuthorized(msg.sender, patientId, category);
            }
            return 0;
        }
        IConsentManager consent = _consent;
        if (address(consent) == address(0)) revert RecordConsentManagerNotSet();
        if (
            (kind != IIdentityRegistry.OrgKind.Provider && kind != IIdentityRegistry.OrgKind.Lab) ||
            capabilities & Capabilities.WRITE_RECORDS == 0 ||
            !consent.hasAccess(patientId, orgId, Scopes.bit(category), Scopes.WRITE, Scopes.TREATMENT)
        ) {
            revert RecordWriterNotAuthorized(msg.sender, patientId, category);
        }
        return uint64(orgId);
    }

    function _checkRecordOf(bytes32 recordId, uint256 patientId) private view returns (Record storage record) {
        record = _records[recordId];
        if (record.status == RecordStatus.None) revert RecordUnknown(recordId);
        if (record.patientTag != patientTag(recordId, patientId)) revert RecordOfAnotherPatient(recordId, patientId);
    }

    /// @dev `recordId` is `patientId`'s, live, and not at the last version number.
    function _checkVersionable(bytes32 recordId, uint256 patientId) private view returns (Record storage record) {
        record = _checkRecordOf(recordId, patientId);
        if (record.status != RecordStatus.Live) revert RecordInvalidStatus(recordId, record.status);
        if (record.version == type(uint16).max) revert RecordVersionOverflow(recordId);
    }

    /// @dev `recordId` is `patientId`'s and not retracted yet.
    function _checkRetractable(bytes32 recordId, uint256 patientId) private view returns (Record storage record) {
        record = _checkRecordOf(recordId, patientId);
        if (record.status == RecordStatus.Retracted) revert RecordInvalidStatus(recordId, record.status);
    }

    /// @dev Consumes the patient's current nonce and returns it.
    function _useNonce(uint256 patientId) private returns (uint256 nonce) {
        nonce = _nonces[patientId];
        unchecked {
            // Bumped by one per transaction: a uint256 cannot reach its end.
            _nonces[patientId] = nonce + 1;
        }
    }

    /// @dev Checks a patient action's signature (deadline, nonce, signer's authority now, signature in
    ///      this domain, ERC-1271 for a smart account) and consumes the nonce. Each failure has its own error.
    function _useSignature(
        uint256 patientId,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes32 structHash,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert RecordSignatureExpired(deadline, block.timestamp);
        uint256 expected = _useNonce(patientId);
        if (nonce != expected) revert RecordInvalidNonce(patientId, nonce, expected);
        if (!_IDENTITY.canActForPatient(signer, patientId)) revert RecordUnauthorized(signer, patientId);
        bytes32 digest = _hashTypedDataV4(structHash);
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            (address recovered, , ) = ECDSA.tryRecover(digest, signature);
            revert RecordInvalidSignature(signer, recovered);
        }
    }

    function _supersedeHash(
        bytes32 oldRecordId,
        bytes32 newRecordId,
        uint256 patientId,
        bytes32 contentHash,
        bytes32 locatorCommitment,
        uint256 nonce,
        uint256 deadline
    ) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    SUPERSEDE_TYPEHASH,
                    oldRecordId,
                    newRecordId,
                    patientId,
                    contentHash,
                    locatorCommitment,
                    nonce,
                    deadline
                )
            );
    }

    function _anchor(
        bytes32 recordId,
        uint256 patientId,
        uint8 category,
        bytes32 contentHash,
        bytes32 locatorCommitment,
        uint64 custodianOrg
    ) private {
        _store(recordId, patientId, custodianOrg, category, contentHash, 1);
        emit RecordAnchored(
            recordId,
            patientId,
            custodianOrg,
            Scopes.redact(Scopes.bit(category)),
            contentHash,
            locatorCommitment,
            bytes32(0),
            1
        );
    }

    /// @dev The new version keeps the old one's category and custodian (the caller checked it may).
    function _supersede(
        Record storage old,
        bytes32 oldRecordId,
        bytes32 newRecordId,
        uint256 patientId,
        bytes32 contentHash,
        bytes32 locatorCommitment
    ) private {
        (uint8 category, uint64 custodianOrg, uint16 version) = (old.category, old.custodianOrg, old.version + 1);
        old.status = RecordStatus.Superseded;
        _store(newRecordId, patientId, custodianOrg, category, contentHash, version);
        emit RecordSuperseded(oldRecordId, newRecordId);
        emit RecordAnchored(
            newRecordId,
            patientId,
            custodianOrg,
            Scopes.redact(Scopes.bit(category)),
            contentHash,
            locatorCommitment,
            oldRecordId,
            version
        );
    }

    function _store(
        bytes32 recordId,
        uint256 patientId,
        uint64 custodianOrg,
        uint8 category,
        bytes32 contentHash,
        uint16 version
    ) private {
        if (recordId == bytes32(0) || contentHash == bytes32(0)) revert RecordZeroValue(recordId, contentHash);
        if (_records[recordId].status != RecordStatus.None) revert RecordExists(recordId);
        _records[recordId] = Record({
            contentHash: contentHash,
            patientTag: patientTag(recordId, patientId),
            custodianOrg: custodianOrg,
            category: category,
            status: RecordStatus.Live,
            version: version
        });
    }
}
