// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ITrialRegistry
/// @notice Tamper-evident clinical trials (DESIGN.md §5). A sponsor pre-registers a trial's protocol,
///         analysis plan and a commitment to its outcome definitions; participants enrol under per-trial
///         participant ids bound to the protocol version they consented to; authorised sites commit the
///         data as append-only Merkle roots; results are published only after the database lock, and
///         reveal outcome definitions that must match the commitment made at registration.
/// @dev No patient id is stored or emitted: participants are `keccak256(abi.encode(patientId, trialId,
///      salt))`, computed by the contract from the calldata of the patient's own actions. Data rows are
///      leaves `keccak256(bytes.concat(keccak256(abi.encode(participantId, protocolVersion, rowHash,
///      salt))))` with a per-row random salt, so a low-entropy row cannot be guessed from a proof.
///      Order is measured in batches: an enrolment, consent or withdrawal records the trial's batch count
///      at that moment, so "committed after withdrawal" is exact, even within one block.
interface ITrialRegistry {
    // ------------------------------------------------------------------ types

    /// @notice Lifecycle of a trial: Open (collecting) → Locked (database frozen) → Reported (results out).
    enum TrialStatus {
        None,
        Open,
        Locked,
        Reported
    }

    /// @notice What `verifyDataPoint` found for a row. NotIncluded is 0, so nothing defaults to Included.
    /// @dev NotIncluded: the proof does not reach the batch root (a tampered row lands here).
    ///      Included: the row is in the batch, and its participant was enrolled, not withdrawn and had
    ///      consented to the row's protocol version when the batch was committed.
    ///      NotEnrolled: in the batch, but the participant was not enrolled when it was committed.
    ///      WithdrawnBeforeCommit: in the batch, but committed after the participant withdrew.
    ///      VersionMismatch: in the batch, but the participant had not consented to the row's protocol
    ///      version when it was committed (an amendment without re-consent).
    enum DataPointStatus {
        NotIncluded,
        Included,
        NotEnrolled,
        WithdrawnBeforeCommit,
        VersionMismatch
    }

    /// @notice A trial, in two storage slots: what the rules read (the hashes travel in events).
    /// @param sponsorOrgId The Sponsor organisation that registered it.
    /// @param monitorOrgId The data-monitoring board's organisation (0: no board, no interim results).
    /// @param protocolVersion The current protocol version (1 at registration, +1 per amendment).
    /// @param batchCount Number of data batches committed (batch indexes run from 0).
    /// @param dataScopes Data categories (`Scopes.sol`) the protocol collects; the patient's RESEARCH grant
    ///        to the sponsor must cover them.
    /// @param status Open, Locked or Reported.
    /// @param outcomesCommitment `keccak256(abi.encode(bytes32 salt, bytes32 outcomesDefinitionHash))`.
    struct Trial {
        uint64 sponsorOrgId;
        uint64 monitorOrgId;
        uint32 protocolVersion;
        uint32 batchCount;
        uint32 dataScopes;
        TrialStatus status;
        bytes32 outcomesCommitment;
    }

    /// @notice A participant of a trial, one storage slot. "FromBatch" fields hold the trial's batch count
    ///         when the action happened: batches with an index at or above it were committed after it.
    /// @param enrolledAt When the participant enrolled (0: never).
    /// @param enrolledFromBatch The batch count at enrolment.
    /// @param consentedVersion The latest protocol version the participant consented to.
    /// @param consentedFromBatch The batch count when `consentedVersion` was consented to.
    /// @param withdrawnAt When the participant withdrew (0: still in the trial).
    /// @param withdrawnFromBatch The batch count at withdrawal.
    struct Participant {
        uint64 enrolledAt;
        uint32 enrolledFromBatch;
        uint32 consentedVersion;
        uint32 consentedFromBatch;
        uint64 withdrawnAt;
        uint32 withdrawnFromBatch;
    }

    /// @notice A participant's consent to one protocol version, one storage slot: with the batch root, all that
    ///         `verifyDataPoint` reads for a row under a version the participant consented to.
    /// @param consentedAt When (0: never).
    /// @param fromBatch The trial's batch count then: rows under this version count from this batch on.
    /// @param enrolledFromBatch The participant's batch count at enrolment (a copy, so this slot answers alone).
    /// @param previousVersion The version the participant had consented to before (0: this one is the
    ///        enrolment's): the chain a withdrawal walks.
    /// @param withdrawn Whether the participant has withdrawn (set on every version it consented to).
    /// @param withdrawnFromBatch The batch count at the withdrawal.
    struct VersionConsent {
        uint64 consentedAt;
        uint32 fromBatch;
        uint32 enrolledFromBatch;
        uint32 previousVersion;
        bool withdrawn;
        uint32 withdrawnFromBatch;
    }

    // ------------------------------------------------------------------ events

    /// @notice A sponsor registered a trial (its protocol is version 1).
    event TrialRegistered(
        bytes32 indexed trialId,
        uint256 indexed sponsorOrgId,
        bytes32 indexed registryIdHash,
        bytes32 protocolHash,
        bytes32 analysisPlanHash,
        bytes32 outcomesCommitment,
        uint32 dataScopes,
        uint256 monitorOrgId
    );
    /// @notice The sponsor amended the protocol: `version` is now current; participants must re-consent.
    event ProtocolAmended(
        bytes32 indexed trialId,
        uint32 indexed version,
        bytes32 protocolHash,
        bytes32 analysisPlanHash,
        bytes32 reasonHash
    );
    /// @notice The sponsor authorised (`authorized`) or deauthorised a site organisation for the trial.
    event SiteSet(bytes32 indexed trialId, uint256 indexed siteOrgId, bool authorized);
    /// @notice A participant enrolled, consenting to protocol `consentedVersion`.
    event ParticipantEnrolled(bytes32 indexed trialId, bytes32 indexed participantId, uint32 consentedVersion);
    /// @notice A participant consented to protocol `version` after an amendment.
    event ParticipantReconsented(bytes32 indexed trialId, bytes32 indexed participantId, uint32 version);
    /// @notice A participant withdrew; batches committed from `fromBatch` on no longer count their rows.
    event ParticipantWithdrawn(
        bytes32 indexed trialId,
        bytes32 indexed participantId,
        uint64 withdrawnAt,
        uint32 fromBatch
    );
    /// @notice A site committed batch `batchIndex` of the trial's data.
    event DataCommitted(
        bytes32 indexed trialId,
        uint32 indexed batchIndex,
        uint256 indexed siteOrgId,
        bytes32 root,
        uint32 leafCount,
        bytes32 schemaHash
    );
    /// @notice The data-monitoring board recorded interim results over the first `batchCount` batches.
    event InterimPublished(
        bytes32 indexed trialId,
        uint256 indexed monitorOrgId,
        bytes32 interimHash,
        uint32 batchCount
    );
    /// @notice The sponsor locked the database after `batchCount` batches: no more data, enrolment or amendment.
    event DatabaseLocked(bytes32 indexed trialId, uint32 batchCount);
    /// @notice The sponsor published results, revealing the outcome definitions (salt and hash) committed to.
    event ResultsPublished(
        bytes32 indexed trialId,
        bytes32 resultsHash,
        bytes32 outcomesSalt,
        bytes32 outcomesDefinitionHash
    );
    /// @notice The sponsor granted `orgId` access to the trial's data under a data-use agreement until `expiresAt`.
    event DataAccessGranted(bytes32 indexed trialId, uint256 indexed orgId, bytes32 duaHash, uint64 expiresAt);
    /// @notice The sponsor revoked `orgId`'s access to the trial's data.
    event DataAccessRevoked(bytes32 indexed trialId, uint256 indexed orgId);

    // ------------------------------------------------------------------ errors

    /// @notice `caller` is not an operator of an active Sponsor organisation holding SPONSOR_TRIALS. An operator
    ///         of a suspended, revoked or expired organisation is refused by the IdentityRegistry's
    ///         `IdentityOrganizationNotActive` / `IdentityOrganizationExpired` instead (this and every refusal
    ///         below of an inactive party: the error names the organisation and why).
    error TrialNotSponsorOrganization(address caller);
    /// @notice `sponsorOrgId` already registered a trial under `registryIdHash`.
    error TrialRegistryIdTaken(uint256 sponsorOrgId, bytes32 registryIdHash);
    /// @notice A trial collects at least one data category: `dataScopes` is empty.
    error TrialNoDataScopes();
    /// @notice The monitoring board must be an organisation other than the sponsor: got `monitorOrgId` (an
    ///         unknown or inactive board is refused by the IdentityRegistry's errors, which name it and why).
    error TrialInvalidMonitor(uint256 monitorOrgId);
    /// @notice No trial `trialId` exists.
    error TrialUnknown(bytes32 trialId);
    /// @notice `caller` does not operate for the sponsor of `trialId` (or the sponsor is no longer active).
    error TrialNotSponsor(bytes32 trialId, address caller);
    /// @notice `orgId` does not hold the RESEARCH capability (sites, data recipients); an unknown or inactive
    ///         one is refused by the IdentityRegistry's errors, which name it and why.
    error TrialNotResearchOrganization(uint256 orgId);
    /// @notice `caller` does not operate for an active site authorised for `trialId`.
    error TrialSiteNotAuthorized(bytes32 trialId, address caller);
    /// @notice `caller` does not operate for the data-monitoring board of `trialId`.
    error TrialNotMonitor(bytes32 trialId, address caller);
    /// @notice The database of `trialId` is locked: no data, enrolment, consent, amendment or interim.
    error TrialDatabaseLocked(bytes32 trialId);
    /// @notice Results of `trialId` come only after its database is locked.
    error TrialDatabaseNotLocked(bytes32 trialId);
    /// @notice The results of `trialId` were already published.
    error TrialResultsAlreadyPublished(bytes32 trialId);
    /// @notice Outcome switching: the revealed definitions hash to `revealed`, not the registered `committed`.
    error TrialOutcomesMismatch(bytes32 trialId, bytes32 committed, bytes32 revealed);
    /// @notice A batch has a non-zero root and at least one leaf: got `root` with `leafCount` leaves.
    error TrialInvalidBatch(bytes32 root, uint32 leafCount);
    /// @notice `trialId` has no batch `batchIndex`.
    error TrialUnknownBatch(bytes32 trialId, uint256 batchIndex);
    /// @notice The signature's deadline `deadline` passed (now `nowTs`).
    error TrialExpiredSignature(uint256 deadline, uint256 nowTs);
    /// @notice The signature is not `signer`'s over this message.
    error TrialInvalidSignature(address signer);
    /// @notice `account` may not act for the patient behind `participantId` (not a controller or guardian).
    error TrialNotAuthorizedForPatient(address account, bytes32 participantId);
    /// @notice The patient behind `participantId` has no RESEARCH grant covering the trial's data for its sponsor.
    error TrialNoResearchConsent(bytes32 trialId, bytes32 participantId);
    /// @notice The patient consented to protocol `version`, but `current` is the trial's current version.
    error TrialVersionNotCurrent(bytes32 trialId, uint32 version, uint32 current);
    /// @notice `participantId` is already enrolled in `trialId`.
    error TrialAlreadyEnrolled(bytes32 trialId, bytes32 participantId);
    /// @notice `participantId` is not enrolled in `trialId`.
    error TrialNotEnrolled(bytes32 trialId, bytes32 participantId);
    /// @notice `participantId` withdrew from `trialId`.
    error TrialParticipantWithdrawn(bytes32 trialId, bytes32 participantId);
    /// @notice `participantId` already consented to protocol `version`.
    error TrialAlreadyConsented(bytes32 trialId, bytes32 participantId, uint32 version);
    /// @notice A data-access grant must end in the future: `expiresAt` <= `nowTs`.
    error TrialExpiryInPast(uint64 expiresAt, uint256 nowTs);
    /// @notice `orgId` holds no data-access grant for `trialId`.
    error TrialNoDataAccess(bytes32 trialId, uint256 orgId);

    // ------------------------------------------------------------------ PAUSER / ADMIN

    /// @notice Stops every write except a participant's withdrawal. PAUSER.
    function pause() external;

    /// @notice Resumes writes. ADMIN.
    function unpause() external;

    // ------------------------------------------------------------------ sponsor

    /// @notice Registers a trial before enrolment. An operator of an active Sponsor organisation holding
    ///         SPONSOR_TRIALS. The id is `keccak256(abi.encode(sponsorOrgId, registryIdHash))`, so a registry
    ///         id is unique per sponsor and nobody else can squat it.
    /// @param registryIdHash Hash of the public registry id (e.g. the ClinicalTrials.gov NCT number).
    /// @param protocolHash Hash of the protocol document (version 1).
    /// @param analysisPlanHash Hash of the statistical analysis plan.
    /// @param outcomesCommitment `keccak256(abi.encode(bytes32 salt, bytes32 outcomesDefinitionHash))`.
    /// @param dataScopes Data categories (`Scopes.sol`) the trial collects (non-empty).
    /// @param monitorOrgId The independent data-monitoring board's organisation (active, not the sponsor),
    ///        the only one that may publish interim results; 0 for a trial without a board.
    /// @return trialId The trial's id.
    function registerTrial(
        bytes32 registryIdHash,
        bytes32 protocolHash,
        bytes32 analysisPlanHash,
        bytes32 outcomesCommitment,
        uint32 dataScopes,
        uint256 monitorOrgId
    ) external returns (bytes32 trialId);

    /// @notice Amends the protocol (and analysis plan): a new version, with the reason's hash. Every
    ///         version stays in the event history. Participants must re-consent. The sponsor, while Open.
    /// @return version The new protocol version.
    function amendProtocol(
        bytes32 trialId,
        bytes32 protocolHash,
        bytes32 analysisPlanHash,
        bytes32 reasonHash
    ) external returns (uint32 version);

    /// @notice Authorises (`authorized`) or deauthorises a site organisation to commit data. The sponsor,
    ///         while Open; an authorised site is an active organisation with the RESEARCH capability.
    function setSite(bytes32 trialId, uint256 siteOrgId, bool authorized) external;

    /// @notice Ends data collection: no batch, enrolment, consent, amendment or interim after it. The sponsor.
    function lockDatabase(bytes32 trialId) external;

    /// @notice Publishes the results after the lock, revealing the outcome definitions: they must hash to
    ///         the registered commitment (outcome switching is refused). The sponsor, once.
    /// @param resultsHash Hash of the results report.
    /// @param outcomesSalt The salt of the outcomes commitment.
    /// @param outcomesDefinitionHash Hash of the outcome definitions document.
    function publishResults(
        bytes32 trialId,
        bytes32 resultsHash,
        bytes32 outcomesSalt,
        bytes32 outcomesDefinitionHash
    ) external;

    /// @notice Grants `orgId` (active, RESEARCH capability) access to the trial's data under the data-use
    ///         agreement `duaHash` until `expiresAt` (replacing an earlier grant). The sponsor.
    function grantDataAccess(bytes32 trialId, uint256 orgId, bytes32 duaHash, uint64 expiresAt) external;

    /// @notice Revokes `orgId`'s data access. The sponsor; works while paused.
    function revokeDataAccess(bytes32 trialId, uint256 orgId) external;

    // ------------------------------------------------------------------ sites and board

    /// @notice Commits the next batch of data rows as a Merkle root (append-only). An operator of an
    ///         authorised, active site with the RESEARCH capability, while Open.
    /// @param root Root of the `StandardMerkleTree` over (participantId, protocolVersion, rowHash, salt).
    /// @param leafCount Number of rows (event only).
    /// @param schemaHash Hash of the row schema (event only).
    /// @return batchIndex The batch's index (sequential from 0).
    function commitData(
        bytes32 trialId,
        bytes32 root,
        uint32 leafCount,
        bytes32 schemaHash
    ) external returns (uint32 batchIndex);

    /// @notice Records interim results without unlocking. An operator of the trial's monitoring board, while Open.
    function publishInterim(bytes32 trialId, bytes32 interimHash) external;

    // ------------------------------------------------------------------ participants (patient actions)

    /// @notice Enrols the caller's patient under `keccak256(abi.encode(patientId, trialId, salt))`, consenting
    ///         to protocol `protocolVersion` (must be current). The caller is a controller or guardian of the
    ///         patient, whose RESEARCH grant to the sponsor must cover the trial's data. Consumes a nonce.
    /// @return participantId The participant id (neither stored nor emitted with the patient id).
    function enrol(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion
    ) external returns (bytes32 participantId);

    /// @notice `enrol` by the EIP-712 `Enrol` signature of `signer` (a controller or guardian, checked now),
    ///         relayed by anyone (typically the site), so the patient's account sends no transaction.
    function enrolWithSig(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 participantId);

    /// @notice Consents to the current protocol version `protocolVersion` after an amendment. Same actors
    ///         and consent check as `enrol`; consumes a nonce.
    function reconsent(bytes32 trialId, uint256 patientId, bytes32 salt, uint32 protocolVersion) external;

    /// @notice `reconsent` by the EIP-712 `Reconsent` signature of `signer`.
    function reconsentWithSig(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        uint32 protocolVersion,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Withdraws the participant: batches committed from now on do not count its rows. A controller
    ///         or guardian; works while paused and after the lock; consumes a nonce. Marks the withdrawal on
    ///         each protocol version the participant consented to (one slot write each; they are its own
    ///         re-consents), so `verifyDataPoint` answers from one slot.
    function withdraw(bytes32 trialId, uint256 patientId, bytes32 salt) external;

    /// @notice `withdraw` by the EIP-712 `Withdraw` signature of `signer`.
    function withdrawWithSig(
        bytes32 trialId,
        uint256 patientId,
        bytes32 salt,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ------------------------------------------------------------------ verification and views

    /// @notice Checks a data row against batch `batchIndex`: first the participant's enrolment, withdrawal and
    ///         consent to `protocolVersion` when the batch was committed (`NotEnrolled`, `WithdrawnBeforeCommit`,
    ///         `VersionMismatch`, in that order), then, when those allow the row, its inclusion: it hashes the
    ///         row's fields itself (it never takes a leaf) and verifies the proof (`NotIncluded` or
    ///         `Included`). Reverts for an unknown batch.
    /// @param proof The Merkle proof (siblings from the leaf up, sorted-pair hashing).
    /// @return status What was found.
    function verifyDataPoint(
        bytes32 trialId,
        uint256 batchIndex,
        bytes32 participantId,
        uint32 protocolVersion,
        bytes32 rowHash,
        bytes32 salt,
        bytes32[] calldata proof
    ) external view returns (DataPointStatus status);

    /// @notice Whether `orgId` holds an unexpired data-access grant for `trialId` and is an active organisation.
    function hasDataAccess(bytes32 trialId, uint256 orgId) external view returns (bool);

    /// @notice End of `orgId`'s data-access grant for `trialId` (0 when none).
    function dataAccessExpiry(bytes32 trialId, uint256 orgId) external view returns (uint64);

    /// @notice A trial's record (zero when unknown).
    function getTrial(bytes32 trialId) external view returns (Trial memory);

    /// @notice The Merkle root of batch `batchIndex` (zero when none).
    function batchRoot(bytes32 trialId, uint256 batchIndex) external view returns (bytes32);

    /// @notice Whether `siteOrgId` is authorised to commit data for `trialId`.
    function isSite(bytes32 trialId, uint256 siteOrgId) external view returns (bool);

    /// @notice A participant's record (zero when unknown).
    function getParticipant(bytes32 trialId, bytes32 participantId) external view returns (Participant memory);

    /// @notice A participant's consent to protocol `version` (zero when none).
    function versionConsent(
        bytes32 trialId,
        bytes32 participantId,
        uint32 version
    ) external view returns (VersionConsent memory);

    /// @notice The next nonce of `patientId` in this contract (what the next signature must cover).
    function nonces(uint256 patientId) external view returns (uint256);

    /// @notice `keccak256(abi.encode(sponsorOrgId, registryIdHash))`: the id of a sponsor's trial.
    function computeTrialId(uint256 sponsorOrgId, bytes32 registryIdHash) external pure returns (bytes32);

    /// @notice `keccak256(abi.encode(patientId, trialId, salt))`: a participant id (compute it off chain:
    ///         calling this from a node's RPC tells the node the patient id).
    function computeParticipantId(uint256 patientId, bytes32 trialId, bytes32 salt) external pure returns (bytes32);

    /// @notice The data leaf `keccak256(bytes.concat(keccak256(abi.encode(participantId, protocolVersion,
    ///         rowHash, salt))))`.
    function dataLeaf(
        bytes32 participantId,
        uint32 protocolVersion,
        bytes32 rowHash,
        bytes32 salt
    ) external pure returns (bytes32);
}
