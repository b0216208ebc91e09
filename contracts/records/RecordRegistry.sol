// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IConsentManager} from "../interfaces/IConsentManager.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {Scopes} from "../libraries/Scopes.sol";

/// @title RecordRegistry
/// @notice Anchors of encrypted medical records held off chain: two storage slots a record, a version
///         chain (a new version supersedes, nothing is overwritten), retraction for erasure, and `verify`
///         for anyone holding a copy.
/// @dev Not upgradeable. Governed by one AccessManager: `pause` is wired to PAUSER, `unpause` stays ADMIN.
///      The patient id is not stored: a 160-bit tag of (recordId, patientId) binds the record to it.
contract RecordRegistry is IRecordRegistry, AccessManaged, Pausable {
    // ------------------------------------------------------------------ immutables

    IIdentityRegistry private immutable _IDENTITY;

    // ------------------------------------------------------------------ storage

    IConsentManager private _consent;
    mapping(bytes32 recordId => Record) private _records;

    // ------------------------------------------------------------------ constructor

    constructor(address initialAuthority, IIdentityRegistry identity) AccessManaged(initialAuthority) {
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

    /// @inheritdoc IRecordRegistry
    function supersede(
        bytes32 oldRecordId,
        bytes32 newRecordId,
        uint256 patientId,
        bytes32 contentHash,
        bytes32 locatorCommitment
    ) external whenNotPaused {
        Record storage old = _checkRecordOf(oldRecordId, patientId);
        if (old.status != RecordStatus.Live) revert RecordInvalidStatus(oldRecordId, old.status);
        if (old.version == type(uint16).max) revert RecordVersionOverflow(oldRecordId);
        uint8 category = old.category;
        uint16 version = old.version + 1;
        uint64 custodianOrg = _checkWriter(patientId, category);
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

    /// @inheritdoc IRecordRegistry
    function retract(bytes32 recordId, uint256 patientId, bytes32 reasonHash) external whenNotPaused {
        Record storage record = _checkRecordOf(recordId, patientId);
        if (record.status == RecordStatus.Retracted) revert RecordInvalidStatus(recordId, record.status);
        (uint256 callerOrg, , ) = _IDENTITY.activeRoleOf(msg.sender);
        if (callerOrg == 0 || callerOrg != record.custodianOrg) {
            if (!_IDENTITY.canActForPatient(msg.sender, patientId)) revert RecordNotRetractor(msg.sender, recordId);
        }
        record.status = RecordStatus.Retracted;
        emit RecordRetracted(recordId, msg.sender, reasonHash);
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

    /// @notice The IdentityRegistry this contract asks.
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    // ------------------------------------------------------------------ internal

    /// @dev The caller may write `category` for `patientId`; returns its organisation (0 for the patient).
    ///      An operator is checked first (the common case), so a provider never pays the patient check.
    function _checkWriter(uint256 patientId, uint8 category) private view returns (uint64) {
        (uint256 orgId, IIdentityRegistry.OrgKind kind, uint32 capabilities) = _IDENTITY.activeRoleOf(msg.sender);
        if (orgId == 0) {
            if (!_IDENTITY.canActForPatient(msg.sender, patientId)) {
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
