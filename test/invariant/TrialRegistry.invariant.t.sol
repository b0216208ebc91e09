// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../utils/Vm.sol";
import {TrialsBase} from "../trials/TrialsBase.sol";
import {ITrialRegistry} from "../../contracts/interfaces/ITrialRegistry.sol";
import {TrialRegistry} from "../../contracts/trials/TrialRegistry.sol";

/// @notice Drives trials through registration, enrolment, amendments, re-consent, withdrawals, data batches and
///         locks, keeping ghost copies of every committed root and counting batches accepted after a lock.
contract TrialHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    struct Enrolment {
        bytes32 trialId;
        uint256 patientIndex;
        bytes32 salt;
        bytes32 participantId;
        uint64 withdrawnAt;
    }

    TrialRegistry public immutable trials;
    address public immutable sponsorOp;
    address public immutable siteOp;
    uint256 public immutable siteOrg;
    address[3] internal _patients;
    uint256[3] internal _patientIds;

    // ghost state
    bytes32[] internal _trialIds;
    mapping(bytes32 trialId => bytes32[] roots) internal _roots;
    mapping(bytes32 trialId => bool) public locked;
    Enrolment[] internal _enrolments;

    // ghost counters
    uint256 public registrations;
    uint256 public commits;
    uint256 public locks;
    uint256 public enrols;
    uint256 public withdrawals;
    uint256 public amendments;
    uint256 public reconsents;
    uint256 public commitsRefusedAfterLock;
    uint256 public commitsAcceptedAfterLock;
    uint256 public patientActions;

    constructor(
        TrialRegistry trials_,
        address sponsorOp_,
        address siteOp_,
        uint256 siteOrg_,
        address[3] memory patients_,
        uint256[3] memory patientIds_
    ) {
        trials = trials_;
        sponsorOp = sponsorOp_;
        siteOp = siteOp_;
        siteOrg = siteOrg_;
        _patients = patients_;
        _patientIds = patientIds_;
    }

    // ------------------------------------------------------------------ actions

    function registerTrial() public {
        bytes32 registryIdHash = keccak256(abi.encode("registry id", registrations));
        vm.prank(sponsorOp);
        bytes32 id = trials.registerTrial(registryIdHash, registryIdHash, registryIdHash, registryIdHash, 1 << 3, 0);
        vm.prank(sponsorOp);
        trials.setSite(id, siteOrg, true);
        _trialIds.push(id);
        ++registrations;
    }

    function commit(uint256 trialSeed, bytes32 rootSeed) public {
        bytes32 id = _pickTrial(trialSeed);
        bytes32 root = keccak256(abi.encode(rootSeed, commits, commitsRefusedAfterLock));
        vm.prank(siteOp);
        if (locked[id]) {
            try trials.commitData(id, root, 1, bytes32(0)) {
                ++commitsAcceptedAfterLock;
            } catch {
                ++commitsRefusedAfterLock;
            }
            return;
        }
        uint32 index = trials.commitData(id, root, 1, bytes32(0));
        if (index != _roots[id].length) ++commitsAcceptedAfterLock; // an index out of sequence breaks the ghost
        _roots[id].push(root);
        ++commits;
    }

    function lock(uint256 trialSeed) public {
        bytes32 id = _pickTrial(trialSeed);
        if (locked[id]) return;
        vm.prank(sponsorOp);
        trials.lockDatabase(id);
        locked[id] = true;
        ++locks;
    }

    function amend(uint256 trialSeed) public {
        bytes32 id = _pickTrial(trialSeed);
        if (locked[id]) return;
        vm.prank(sponsorOp);
        trials.amendProtocol(id, bytes32(amendments), bytes32(0), bytes32(0));
        ++amendments;
    }

    function enrol(uint256 trialSeed, uint256 patientSeed) public {
        bytes32 id = _pickTrial(trialSeed);
        if (locked[id]) return;
        uint256 i = patientSeed % 3;
        bytes32 salt = keccak256(abi.encode("salt", enrols));
        uint32 version = trials.getTrial(id).protocolVersion;
        vm.prank(_patients[i]);
        bytes32 pid = trials.enrol(id, _patientIds[i], salt, version);
        _enrolments.push(Enrolment(id, i, salt, pid, 0));
        ++enrols;
        ++patientActions;
    }

    function reconsent(uint256 enrolmentSeed) public {
        if (_enrolments.length == 0) return;
        Enrolment storage e = _enrolments[enrolmentSeed % _enrolments.length];
        uint32 current = trials.getTrial(e.trialId).protocolVersion;
        if (
            locked[e.trialId] ||
            e.withdrawnAt != 0 ||
            trials.getParticipant(e.trialId, e.participantId).consentedVersion == current
        ) return;
        vm.prank(_patients[e.patientIndex]);
        trials.reconsent(e.trialId, _patientIds[e.patientIndex], e.salt, current);
        ++reconsents;
        ++patientActions;
    }

    function withdraw(uint256 enrolmentSeed) public {
        if (_enrolments.length == 0) return;
        Enrolment storage e = _enrolments[enrolmentSeed % _enrolments.length];
        if (e.withdrawnAt != 0) return;
        vm.prank(_patients[e.patientIndex]);
        trials.withdraw(e.trialId, _patientIds[e.patientIndex], e.salt);
        e.withdrawnAt = uint64(block.timestamp);
        ++withdrawals;
        ++patientActions;
    }

    // ------------------------------------------------------------------ ghost views

    function trialCount() external view returns (uint256) {
        return _trialIds.length;
    }

    function trialAt(uint256 i) external view returns (bytes32) {
        return _trialIds[i];
    }

    function ghostRoots(bytes32 id) external view returns (bytes32[] memory) {
        return _roots[id];
    }

    function enrolmentCount() external view returns (uint256) {
        return _enrolments.length;
    }

    function enrolmentAt(uint256 i) external view returns (Enrolment memory) {
        return _enrolments[i];
    }

    function patientIdAt(uint256 i) external view returns (uint256) {
        return _patientIds[i];
    }

    /// @dev Mostly the newest trial (the open one), sometimes an older, possibly locked one.
    function _pickTrial(uint256 seed) internal view returns (bytes32) {
        uint256 n = _trialIds.length;
        if (seed % 4 != 0) return _trialIds[n - 1];
        return _trialIds[(seed / 4) % n];
    }
}

/// @notice Invariants: committed batches never change and are numbered in sequence; no batch is accepted
///         after a lock; every patient action consumed exactly one nonce; participants' records follow the
///         actions that made them.
contract TrialRegistryInvariantTest is TrialsBase {
    TrialHandler internal handler;

    function setUp() public override {
        super.setUp();
        address[3] memory patients = [patient, makeAddr("patient 2"), makeAddr("patient 3")];
        uint256[3] memory ids = [patientId, uint256(keccak256("patient 2")) | 1, uint256(keccak256("patient 3")) | 1];
        _registerPatient(patients[1], ids[1]);
        _registerPatient(patients[2], ids[2]);
        for (uint256 i = 0; i < 3; ++i) consent.setAccess(ids[i], sponsorOrg, 1 << 3, READ, RESEARCH, true);
        handler = new TrialHandler(trials, sponsorOp, siteOp, siteOrg, patients, ids);

        // Warm-up: every action once, so `invariant_handlerActionsRan` holds from the first check and shows
        // each can succeed; a second, still open trial follows the locked one. The runs then add sequences.
        handler.registerTrial();
        handler.enrol(1, 0);
        handler.commit(1, bytes32("first"));
        handler.amend(1);
        handler.reconsent(0);
        handler.withdraw(0);
        handler.lock(1);
        handler.commit(1, bytes32("after lock"));
        handler.registerTrial();
        targetContract(address(handler));
    }

    function invariant_committedBatchesNeverChange() public view {
        for (uint256 t = 0; t < handler.trialCount(); ++t) {
            bytes32 id = handler.trialAt(t);
            bytes32[] memory roots = handler.ghostRoots(id);
            assertEq(trials.getTrial(id).batchCount, roots.length, "batch count");
            for (uint256 i = 0; i < roots.length; ++i) assertEq(trials.batchRoot(id, i), roots[i], "root");
            assertEq(trials.batchRoot(id, roots.length), bytes32(0), "no batch beyond the count");
        }
    }

    function invariant_noBatchAcceptedAfterLock() public view {
        assertEq(handler.commitsAcceptedAfterLock(), 0, "accepted after lock");
        for (uint256 t = 0; t < handler.trialCount(); ++t) {
            bytes32 id = handler.trialAt(t);
            ITrialRegistry.TrialStatus status = trials.getTrial(id).status;
            assertEq(handler.locked(id), status == ITrialRegistry.TrialStatus.Locked, "lock state");
        }
    }

    function invariant_everyPatientActionConsumedOneNonce() public view {
        uint256 total;
        for (uint256 i = 0; i < 3; ++i) total += trials.nonces(handler.patientIdAt(i));
        assertEq(total, handler.patientActions(), "nonces");
    }

    function invariant_participantsFollowTheirActions() public view {
        for (uint256 i = 0; i < handler.enrolmentCount(); ++i) {
            TrialHandler.Enrolment memory e = handler.enrolmentAt(i);
            ITrialRegistry.Participant memory p = trials.getParticipant(e.trialId, e.participantId);
            assertGt(p.enrolledAt, 0, "enrolled");
            assertEq(p.withdrawnAt, e.withdrawnAt, "withdrawnAt");
            assertLe(p.consentedVersion, trials.getTrial(e.trialId).protocolVersion, "consented version");
            assertGt(trials.versionConsent(e.trialId, e.participantId, p.consentedVersion).consentedAt, 0, "history");
        }
    }

    function invariant_handlerActionsRan() public view {
        assertGt(handler.registrations(), 0, "registerTrial");
        assertGt(handler.commits(), 0, "commit");
        assertGt(handler.locks(), 0, "lock");
        assertGt(handler.enrols(), 0, "enrol");
        assertGt(handler.withdrawals(), 0, "withdraw");
        assertGt(handler.amendments(), 0, "amend");
        assertGt(handler.reconsents(), 0, "reconsent");
        assertGt(handler.commitsRefusedAfterLock(), 0, "commit after lock refused");
    }
}
