// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {Scopes} from "../libraries/Scopes.sol";
import {IResearchConsent} from "../interfaces/IResearchConsent.sol";
import {ITrialRegistry} from "../interfaces/ITrialRegistry.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {TrialHashes} from "../libraries/TrialHashes.sol";

/// @title TrialRegistry
/// @notice Tamper-evident clinical trials: pre-registered protocols and outcomes, participants bound to the
///         protocol version they consented to, append-only data commitments, results only after the lock.
/// @dev Not upgradeable. Governed by one AccessManager: `pause` is wired to PAUSER, `unpause` to ADMIN.
///      Everything else is decided by the IdentityRegistry (sponsors, sites, monitoring boards, patients'
///      controllers and guardians) and by the patient's RESEARCH consent.
contract TrialRegistry is ITrialRegistry, AccessManaged, Pausable, EIP712 {
    // ------------------------------------------------------------------ constants

    bytes32 public constant ENROL_TYPEHASH =
        keccak256(
            "Enrol(bytes32 trialId,uint256 patientId,bytes32 salt,uint32 protocolVersion,"
            "uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant RECONSENT_TYPEHASH =
        keccak256(
            "Reconsent(bytes32 trialId,uint256 patientId,bytes32 salt,uint32 protocolVersion,"
            "uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(bytes32 trialId,uint256 patientId,bytes32 salt,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ immutables

    /// @notice The identity registry every role check asks.
    IIdentityRegistry public immutable IDENTITY;
    /// @notice The consent manager asked for the patient's RESEARCH grant to the sponsor.
    IResearchConsent public immutable CONSENT;

    // ------------------------------------------------------------------ storage

    mapping(bytes32 trialId => Trial) private _trials;
    mapping(bytes32 trialId => mapping(uint256 batchIndex => bytes32 root)) private _batchRoots;
    mapping(bytes32 trialId => mapping(uint256 orgId => bool)) private _sites;
    mapping(bytes32 trialId => mapping(bytes32 participantId => Participant)) private _participants;
    mapping(bytes32 trialId => mapping(bytes32 participantId => mapping(uint32 version => VersionConsent)))
        private _versionConsents;
    mapping(bytes32 trialId => mapping(uint256 orgId => uint64 expiresAt)) private _dataAccess;
    mapping(uint256 patientId => uint256 nonce) private _nonces;

    // ------------------------------------------------------------------ constructor

    constructor(
        address initialAuthority,
        IIdentityRegistry identityRegistry,
        IResearchConsent consentManager
    ) AccessManaged(initialAuthority) EIP712("MedChain TrialRegistry", "1") {
        IDENTITY = identityRegistry;
        CONSENT = consentManager;
    }

    // ------------------------------------------------------------------ PAUSER / ADMIN

    /// @inheritdoc ITrialRegistry
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc ITrialRegistry
    function unpause() external restricted {
        _unpause();
    }

    // ------------------------------------------------------------------ sponsor

    /// @inheritdoc ITrialRegistry
    function registerTrial(
        bytes32 registryIdHash,
        bytes32 protocolHash,
        bytes32 analysisPlanHash,
        bytes32 outcomesCommitment,
        uint32 dataScopes,
        uint256 monitorOrgId
    ) external whenNotPaused returns (bytes32 trialId) {
        (uint256 sponsorOrgId, IIdentityRegistry.OrgKind kind, uint32 capabilities) = IDENTITY.activeRoleOf(msg.sender);
        if (
            sponsorOrgId == 0 ||
            kind != IIdentityRegistry.OrgKind.Sponsor ||
            capabilities & Capabilities.SPONSOR_TRIALS == 0
        ) {
            if (sponsorOrgId == 0) _explainInactive(msg.sender);
            revert TrialNotSponsorOrganization(msg.sender);
        }
        if (dataScopes == 0) revert TrialNoDataScopes();
        if (monitorOrgId != 0) {
            if (monitorOrgId == sponsorOrgId) revert TrialInvalidMonitor(monitorOrgId);
            // An unknown or inactive board: the registry names it and why.
            if (!IDENTITY.isActiveOrganization(monitorOrgId)) IDENTITY.requireActiveOrganizationId(monitorOrgId);
        }
        trialId = TrialHashes.trialId(sponsorOrgId, registryIdHash);
        Trial storage trial = _trials[trialId];
        if (trial.status != TrialStatus.None) revert TrialRegistryIdTaken(sponsorOrgId, registryIdHash);

        // Organisation ids fit uint64: the IdentityRegistry binds operators with uint64 org ids.
        _trials[trialId] = Trial({
            sponsorOrgId: uint64(sponsorOrgId),
            monitorOrgId: uint64(monitorOrgId),
            protocolVersion: 1,
            batchCount: 0,
            dataScopes: dataScopes,
            status: TrialStatus.Open,
            outcomesCommitment: outcomesCommitment
        });
        emit TrialRegistered(
            trialId,
            sponsorOrgId,
            registryIdHash,
            protocolHash,
            analysisPlanHash,
            outcomesCommitment,
            dataScopes,
            monitorOrgId
        );
    }

    /// @inheritdoc ITrialRegistry
    function amendProtocol(
        bytes32 trialId,
        bytes32 protocolHash,
        bytes32 analysisPlanHash,
        bytes32 reasonHash
    ) external whenNotPaused returns (uint32 version) {
        Trial storage trial = _checkSponsor(trialId);
        _checkOpen(trial, trialId);
        version = trial.protocolVersion + 1;
        trial.protocolVersion = version;
        emit ProtocolAmended(trialId, version, protocolHash, analysisPlanHash, reasonHash);
    }

    /// @inheritdoc ITrialRegistry
    function setSite(bytes32 trialId, uint256 siteOrgId, bool authorized) external whenNotPaused {
        Trial storage trial = _checkSponsor(trialId);
        _checkOpen(trial, trialId);
        if (authorized) _checkResearchOrganization(siteOrgId);
        _sites[trialId][siteOrgId] = authorized;
        emit SiteSet(trialId, siteOrgId, authorized);
    }

    /// @inheritdoc ITrialRegistry
    function lockDatabase(bytes32 trialId) external whenNotPaused {
        Trial storage trial = _checkSponsor(trialId);
        _checkOpen(trial, trialId);
        trial.status = TrialStatus.Locked;
        emit DatabaseLocked(trialId, trial.batchCount);
    }

    /// @inheritdoc ITrialRegistry
    function publishResults(
        bytes32 trialId,
        bytes32 resultsHash,
        bytes32 outcomesSalt,
        bytes32 outcomesDefinitionHash
    ) external whenNotPaused {
        Trial storage trial = _checkSponsor(trialId);
        if (trial.status == TrialStatus.Open) revert TrialDatabaseNotLocked(trialId);
        if (trial.status == TrialStatus.Reported) revert TrialResultsAlreadyPublished(trialId);
        bytes32 revealed = TrialHashes.outcomesCommitment(outcomesSalt, outcomesDefinitionHash);
        if (revealed != trial.outcomesCommitment) {
            revert TrialOutcomesMismatch(trialId, trial.outcomesCommitment, revealed);
        }
        trial.status = TrialStatus.Reported;
        emit ResultsPublished(trialId, resultsHash, outcomesSalt, outcomesDefinitionHash);
    }

    /// @inheritdoc ITrialRegistry
    function grantDataAccess(bytes32 trialId, uint256 orgId, bytes32 duaHash, uint64 expiresAt) external whenNotPaused {
        _checkSponsor(trialId);
        _checkResearchOrganization(orgId);
        if (expiresAt <= block.timestamp) revert TrialExpiryInPast(expiresAt, block.timestamp);
        _dataAccess[trialId][orgId] = expiresAt;
        emit DataAccessGranted(trialId, orgId, duaHash, expiresAt);
    }

    /// @inheritdoc ITrialRegistry
    function revokeDataAccess(bytes32 trialId, uint256 orgId) external {
        _checkSponsor(trialId);
        if (_dataAccess[trialId][orgId] == 0) revert TrialNoDataAccess(trialId, orgId);
        delete _dataAccess[trialId][orgId];
        emit DataAccessRevoked(trialId, orgId);
    }

    // ------------------------------------------------------------------ sites and board

    /// @inheritdoc ITrialRegistry
    function commitData(
        bytes32 trialId,
        bytes32 root,
        uint32 leafCount,
        bytes32 schemaHash
    ) external whenNotPaused returns (uint32 batchIndex) {
        Trial storage trial = _trials[trialId];
        _checkOpen(trial, trialId);
        (uint256 siteOrgId, , uint32 capabilities) = IDENTITY.activeRoleOf(msg.sender);
        if (!_sites[trialId][siteOrgId] || capabilities & Capabilities.RESEARCH == 0) {
            if (siteOrgId == 0) _explainInactive(msg.sender);
            revert TrialSiteNotAuthorized(trialId, msg.sender);
        }
        if (root == 0 || leafCount == 0) revert TrialInvalidBatch(root, leafCount);
        batchIndex = trial.batchCount;
        _batchRoots[trialId][batchIndex] = root;
        trial.batchCount = batchIndex + 1;
        emit DataCommitted(trialId, batchIndex, siteOrgId, root, leafCount, schemaHash);
    }

    /// @inheritdoc ITrialRegistry
    function publishInterim(bytes32 trialId, bytes32 interimHash) external whenNotPaused {
        Trial storage trial = _trials[trialId];
        _checkOpen(trial, trialId);
        (uint256 orgId, , ) = IDENTITY.activeRoleOf(msg.sender);
        if (orgId == 0 || orgId != trial.monitorOrgId) {
            if (orgId == 0) _explainInactive(msg.sender);
            revert TrialNotMonitor(trialId, msg.sender);
        }
        emit InterimPublished(trialId, orgId, interimHash, trial.batchCount);
    }

    // ------------------------------------------------------------------ participants

    /// @inheritdoc ITrialRegistry
    function enrol(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion
    ) external whenNotPaused returns (bytes32 participantId) {
        _useNonce(patientId);
        return _enrol(trialId, patientId, salt, protocolVersion, msg.sender);
    }

    /// @inheritdoc ITrialRegistry
    function enrolWithSig(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused returns (bytes32 participantId) {
        bytes32 structHash = _consentStructHash(ENROL_TYPEHASH, trialId, patientId, salt, protocolVersion, deadline);
        _checkSignature(signer, structHash, deadline, signature);
        return _enrol(trialId, patientId, salt, protocolVersion, signer);
    }

    /// @inheritdoc ITrialRegistry
    function reconsent(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion
    ) external whenNotPaused {
        _useNonce(patientId);
        _reconsent(trialId, patientId, salt, protocolVersion, msg.sender);
    }

    /// @inheritdoc ITrialRegistry
    function reconsentWithSig(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        bytes32 structHash = _consentStructHash(
            RECONSENT_TYPEHASH,
            trialId,
            patientId,
            salt,
            protocolVersion,
            deadline
        );
        _checkSignature(signer, structHash, deadline, signature);
        _reconsent(trialId, patientId, salt, protocolVersion, signer);
    }

    /// @inheritdoc ITrialRegistry
    function withdraw(bytes32 trialId, uint256 patientId, bytes32 salt) external {
        _useNonce(patientId);
        _withdraw(trialId, patientId, salt, msg.sender);
    }

    /// @inheritdoc ITrialRegistry
    function withdrawWithSig(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external {
        uint256 nonce = _useNonce(patientId);
        bytes32 structHash = keccak256(abi.encode(WITHDRAW_TYPEHASH, trialId, patientId, salt, nonce, deadline));
        _checkSignature(signer, structHash, deadline, signature);
        _withdraw(trialId, patientId, salt, signer);
    }

    // ------------------------------------------------------------------ verification and views

    /// @inheritdoc ITrialRegistry
    function verifyDataPoint(
        bytes32 trialId,
        uint256 batchIndex,
        bytes32 participantId,
        uint32 protocolVersion,
        bytes32 rowHash,
        bytes32 salt,
        bytes32[] calldata proof
    ) external view returns (DataPointStatus) {
        bytes32 root = _batchRoots[trialId][batchIndex];
        if (root == 0) revert TrialUnknownBatch(trialId, batchIndex);
        DataPointStatus status = _consentStatus(trialId, participantId, protocolVersion, batchIndex);
        if (status != DataPointStatus.Included) return status;
        bytes32 leaf = TrialHashes.dataLeaf(participantId, protocolVersion, rowHash, salt);
        if (TrialHashes.processProof(proof, leaf) != root) return DataPointStatus.NotIncluded;
        return DataPointStatus.Included;
    }

    /// @inheritdoc ITrialRegistry
    function hasDataAccess(bytes32 trialId, uint256 orgId) external view returns (bool) {
        return _dataAccess[trialId][orgId] > block.timestamp && IDENTITY.isActiveOrganization(orgId);
    }

    /// @inheritdoc ITrialRegistry
    function dataAccessExpiry(bytes32 trialId, uint256 orgId) external view returns (uint64) {
        return _dataAccess[trialId][orgId];
    }

    /// @inheritdoc ITrialRegistry
    function getTrial(bytes32 trialId) external view returns (Trial memory) {
        return _trials[trialId];
    }

    /// @inheritdoc ITrialRegistry
    function batchRoot(bytes32 trialId, uint256 batchIndex) external view returns (bytes32) {
        return _batchRoots[trialId][batchIndex];
    }

    /// @inheritdoc ITrialRegistry
    function isSite(bytes32 trialId, uint256 siteOrgId) external view returns (bool) {
        return _sites[trialId][siteOrgId];
    }

    /// @inheritdoc ITrialRegistry
    function getParticipant(bytes32 trialId, bytes32 participantId) external view returns (Participant memory) {
        return _participants[trialId][participantId];
    }

    /// @inheritdoc ITrialRegistry
    function versionConsent(
        bytes32 trialId,
        bytes32 participantId,
        uint32 version
    ) external view returns (VersionConsent memory) {
        return _versionConsents[trialId][participantId][version];
    }

    /// @inheritdoc ITrialRegistry
    function nonces(uint256 patientId) external view returns (uint256) {
        return _nonces[patientId];
    }

    /// @inheritdoc ITrialRegistry
    function computeTrialId(uint256 sponsorOrgId, bytes32 registryIdHash) external pure returns (bytes32) {
        return TrialHashes.trialId(sponsorOrgId, registryIdHash);
    }

    /// @inheritdoc ITrialRegistry
    function computeParticipantId(uint256 patientId, bytes32 trialId, bytes32 salt) external pure returns (bytes32) {
        return TrialHashes.participantId(patientId, trialId, salt);
    }

    /// @inheritdoc ITrialRegistry
    function dataLeaf(
        bytes32 participantId,
        uint32 protocolVersion,
        bytes32 rowHash,
        bytes32 salt
    ) external pure returns (bytes32) {
        return TrialHashes.dataLeaf(participantId, protocolVersion, rowHash, salt);
    }

    /// @notice The EIP-712 domain separator (for off-chain signers and tests).
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ internal: checks

    /// @dev The participant's standing for a row under `version` committed in batch `batchIndex`, from that
    ///      version's consent alone; a version never consented to reads the participant's slot (to tell
    ///      NotEnrolled, WithdrawnBeforeCommit and VersionMismatch apart), and no proof is hashed then.
    function _consentStatus(
        bytes32 trialId,
        bytes32 participantId,
        uint32 version,
        uint256 batchIndex
    ) private view returns (DataPointStatus) {
        // Both slots are read as raw words, fields in struct order from the low bits: unpacking them into
        // memory structs would cost more than the rest of the logic.
        // VersionConsent: consentedAt (64) | fromBatch (32) | enrolledFromBatch (32) | previousVersion (32) |
        // withdrawn (8) | withdrawnFromBatch (32)
        uint256 c = _word(_versionConsents[trialId][participantId][version]);
        if (c == 0) {
            // Participant: enrolledAt (64) | enrolledFromBatch (32) | consentedVersion (32) |
            // consentedFromBatch (32) | withdrawnAt (64) | withdrawnFromBatch (32)
            uint256 p = _word(_participants[trialId][participantId]);
            if (uint64(p) == 0 || batchIndex < uint32(p >> 64)) return DataPointStatus.NotEnrolled;
            if (uint64(p >> 160) != 0 && batchIndex >= p >> 224) return DataPointStatus.WithdrawnBeforeCommit;
            return DataPointStatus.VersionMismatch;
        }
        if (batchIndex < uint32(c >> 96)) return DataPointStatus.NotEnrolled;
        if (uint8(c >> 160) != 0 && batchIndex >= uint32(c >> 168)) return DataPointStatus.WithdrawnBeforeCommit;
        if (batchIndex < uint32(c >> 64)) return DataPointStatus.VersionMismatch;
        return DataPointStatus.Included;
    }

    /// @dev The raw word of a version consent's slot.
    function _word(VersionConsent storage consent) private view returns (uint256 word) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := sload(consent.slot)
        }
    }

    /// @dev The raw word of a participant's slot.
    function _word(Participant storage participant) private view returns (uint256 word) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            word := sload(participant.slot)
        }
    }

    /// @dev The trial exists and the caller operates for its (still active) sponsor organisation.
    function _checkSponsor(bytes32 trialId) private view returns (Trial storage trial) {
        trial = _trials[trialId];
        if (trial.status == TrialStatus.None) revert TrialUnknown(trialId);
        (uint256 orgId, , ) = IDENTITY.activeRoleOf(msg.sender);
        if (orgId != trial.sponsorOrgId) {
            if (orgId == 0) _explainInactive(msg.sender);
            revert TrialNotSponsor(trialId, msg.sender);
        }
    }

    /// @dev The refusal path of a role check to which `activeRoleOf` answered no active organisation: when
    ///      `account` operates for a suspended, revoked or expired one, the registry's error names it and
    ///      why (it bubbles up); an account that is no operator at all returns, and the caller reverts its own.
    function _explainInactive(address account) private view {
        IDENTITY.requireActiveOrganization(account);
    }

    /// @dev The trial exists and its database is not locked.
    function _checkOpen(Trial storage trial, bytes32 trialId) private view {
        if (trial.status == TrialStatus.None) revert TrialUnknown(trialId);
        if (trial.status != TrialStatus.Open) revert TrialDatabaseLocked(trialId);
    }

    /// @dev `orgId` is active and holds RESEARCH (sites, data recipients). An unknown or inactive one is
    ///      refused by the registry, which names it and why.
    function _checkResearchOrganization(uint256 orgId) private view {
        if (!IDENTITY.isActiveOrganization(orgId)) IDENTITY.requireActiveOrganizationId(orgId);
        if (IDENTITY.getOrganization(orgId).capabilities & Capabilities.RESEARCH == 0) {
            revert TrialNotResearchOrganization(orgId);
        }
    }

    /// @dev `actor` is a controller or a current guardian of `patientId`, checked now.
    function _checkActor(address actor, uint256 patientId, bytes32 participantId) private view {
        if (!IDENTITY.canActForPatient(actor, patientId)) revert TrialNotAuthorizedForPatient(actor, participantId);
    }

    /// @dev The patient's RESEARCH grant to the sponsor covers the trial's data categories for READ.
    function _checkResearchConsent(
        Trial storage trial,
        bytes32 trialId,
        uint256 patientId,
        bytes32 participantId
    ) private view {
        if (!CONSENT.hasAccess(patientId, trial.sponsorOrgId, trial.dataScopes, Scopes.READ, Scopes.RESEARCH)) {
            revert TrialNoResearchConsent(trialId, participantId);
        }
    }

    /// @dev The patient consents to the current version (what they read is what they are bound to).
    function _checkCurrentVersion(Trial storage trial, bytes32 trialId, uint32 protocolVersion) private view {
        if (protocolVersion != trial.protocolVersion) {
            revert TrialVersionNotCurrent(trialId, protocolVersion, trial.protocolVersion);
        }
    }

    function _checkSignature(
        address signer,
        bytes32 structHash,
        uint256 deadline,
        bytes calldata signature
    ) private view {
        if (block.timestamp > deadline) revert TrialExpiredSignature(deadline, block.timestamp);
        if (!SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert TrialInvalidSignature(signer);
        }
    }

    // ------------------------------------------------------------------ internal: patient actions

    /// @dev Consumes the patient's current nonce and returns it (what a signature must have covered).
    function _useNonce(uint256 patientId) private returns (uint256 nonce) {
        nonce = _nonces[patientId];
        unchecked {
            // One increment per transaction: 2^256 transactions cannot happen.
            _nonces[patientId] = nonce + 1;
        }
    }

    /// @dev The struct hash of an `Enrol` or `Reconsent` message, consuming the nonce it covers.
    function _consentStructHash(
        bytes32 typehash,
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        uint256 deadline
    ) private returns (bytes32) {
        uint256 nonce = _useNonce(patientId);
        return keccak256(abi.encode(typehash, trialId, patientId, salt, protocolVersion, nonce, deadline));
    }

    function _enrol(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        address actor
    ) private returns (bytes32 participantId) {
        Trial storage trial = _trials[trialId];
        _checkOpen(trial, trialId);
        participantId = TrialHashes.participantId(patientId, trialId, salt);
        _checkActor(actor, patientId, participantId);
        _checkCurrentVersion(trial, trialId, protocolVersion);
        Participant storage p = _participants[trialId][participantId];
        if (p.enrolledAt != 0) revert TrialAlreadyEnrolled(trialId, participantId);
        _checkResearchConsent(trial, trialId, patientId, participantId);

        uint32 fromBatch = trial.batchCount;
        p.enrolledAt = uint64(block.timestamp);
        p.enrolledFromBatch = fromBatch;
        p.consentedVersion = protocolVersion;
        p.consentedFromBatch = fromBatch;
        _versionConsents[trialId][participantId][protocolVersion] = VersionConsent({
            consentedAt: uint64(block.timestamp),
            fromBatch: fromBatch,
            enrolledFromBatch: fromBatch,
            previousVersion: 0,
            withdrawn: false,
            withdrawnFromBatch: 0
        });
        emit ParticipantEnrolled(trialId, participantId, protocolVersion);
    }

    function _reconsent(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        address actor
    ) private {
        Trial storage trial = _trials[trialId];
        _checkOpen(trial, trialId);
        bytes32 participantId = TrialHashes.participantId(patientId, trialId, salt);
        _checkActor(actor, patientId, participantId);
        _checkCurrentVersion(trial, trialId, protocolVersion);
        Participant storage p = _participants[trialId][participantId];
        if (p.enrolledAt == 0) revert TrialNotEnrolled(trialId, participantId);
        if (p.withdrawnAt != 0) revert TrialParticipantWithdrawn(trialId, participantId);
        if (p.consentedVersion == protocolVersion) {
            revert TrialAlreadyConsented(trialId, participantId, protocolVersion);
        }
        _checkResearchConsent(trial, trialId, patientId, participantId);

        uint32 fromBatch = trial.batchCount;
        uint32 previousVersion = p.consentedVersion;
        p.consentedVersion = protocolVersion;
        p.consentedFromBatch = fromBatch;
        _versionConsents[trialId][participantId][protocolVersion] = VersionConsent({
            consentedAt: uint64(block.timestamp),
            fromBatch: fromBatch,
            enrolledFromBatch: p.enrolledFromBatch,
            previousVersion: previousVersion,
            withdrawn: false,
            withdrawnFromBatch: 0
        });
        emit ParticipantReconsented(trialId, participantId, protocolVersion);
    }

    /// @dev Allowed while paused and after the lock: a participant can always leave.
    function _withdraw(bytes32 trialId, uint256 patientId, bytes32 salt, address actor) private {
        bytes32 participantId = TrialHashes.participantId(patientId, trialId, salt);
        _checkActor(actor, patientId, participantId);
        Participant storage p = _participants[trialId][participantId];
        if (p.enrolledAt == 0) revert TrialNotEnrolled(trialId, participantId);
        if (p.withdrawnAt != 0) revert TrialParticipantWithdrawn(trialId, participantId);
        uint32 fromBatch = _trials[trialId].batchCount;
        p.withdrawnAt = uint64(block.timestamp);
        p.withdrawnFromBatch = fromBatch;
        // Every version the participant consented to learns of the withdrawal, so that `verifyDataPoint` reads
        // one slot for any of them. The chain is the participant's own consents (one per re-consent it
        // signed), newest first; versions only grow, so it ends at the enrolment's (previousVersion 0).
        uint32 version = p.consentedVersion;
        while (version != 0) {
            VersionConsent storage c = _versionConsents[trialId][participantId][version];
            c.withdrawn = true;
            c.withdrawnFromBatch = fromBatch;
            version = c.previousVersion;
        }
        emit ParticipantWithdrawn(trialId, participantId, uint64(block.timestamp), fromBatch);
    }
}
