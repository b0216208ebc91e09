// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TrialsBase} from "./TrialsBase.sol";
import {ITrialRegistry} from "../../contracts/interfaces/ITrialRegistry.sol";
import {TrialHashes} from "../../contracts/libraries/TrialHashes.sol";
import {TrialRegistry} from "../../contracts/trials/TrialRegistry.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @notice Unit and fuzz tests of the TrialRegistry's commitment and proof logic.
contract TrialRegistryTest is TrialsBase {
    bytes32 internal constant SALT = keccak256("participant salt");

    // ------------------------------------------------------------------ unit

    function test_registerTrial_idIsSponsorAndRegistryId() public view {
        assertEq(trialId, keccak256(abi.encode(sponsorOrg, keccak256("NCT00000001"))), "trial id");
        assertEq(trialId, TrialHashes.trialId(sponsorOrg, keccak256("NCT00000001")), "library");
        assertEq(uint256(trials.getTrial(trialId).status), uint256(ITrialRegistry.TrialStatus.Open), "open");
    }

    function test_RevertWhen_registryIdReusedBySameSponsor() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITrialRegistry.TrialRegistryIdTaken.selector, sponsorOrg, keccak256("NCT00000001"))
        );
        _registerTrial(keccak256("NCT00000001"));
    }

    function test_RevertWhen_resultsBeforeLock() public {
        vm.prank(sponsorOp);
        vm.expectRevert(abi.encodeWithSelector(ITrialRegistry.TrialDatabaseNotLocked.selector, trialId));
        trials.publishResults(trialId, keccak256("results"), outcomesSalt, outcomesDefinition);
    }

    function test_RevertWhen_dataCommittedAfterLock() public {
        vm.prank(sponsorOp);
        trials.lockDatabase(trialId);
        vm.prank(siteOp);
        vm.expectRevert(abi.encodeWithSelector(ITrialRegistry.TrialDatabaseLocked.selector, trialId));
        trials.commitData(trialId, keccak256("root"), 1, keccak256("schema"));
    }

    function test_RevertWhen_siteNotAuthorised() public {
        vm.prank(monitorOp);
        vm.expectRevert(abi.encodeWithSelector(ITrialRegistry.TrialSiteNotAuthorized.selector, trialId, monitorOp));
        trials.commitData(trialId, keccak256("root"), 1, keccak256("schema"));
    }

    function test_enrolWithSig_relayedBySite() public {
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(trials.ENROL_TYPEHASH(), trialId, patientId, SALT, uint32(1), uint256(0), deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", trials.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(patientKey, digest);
        vm.prank(siteOp);
        bytes32 pid = trials.enrolWithSig(trialId, patientId, SALT, 1, patient, deadline, abi.encodePacked(r, s, v));
        assertEq(pid, keccak256(abi.encode(patientId, trialId, SALT)), "participant id");
        assertEq(trials.nonces(patientId), 1, "nonce used");
    }

    // ------------------------------------------------------------------ fuzz: proofs

    /// @notice A row is Included exactly when its fields are the committed ones; any change fails.
    function testFuzz_dataPointIncludedOnlyForTheCommittedRow(
        bytes32 rowHash,
        bytes32 rowSalt,
        bytes32 seed,
        uint8 depth,
        bytes32 tamper
    ) public {
        vm.assume(tamper != bytes32(0));
        bytes32 pid = _enrol(SALT);
        bytes32[] memory proof = _siblings(seed, bound(depth, 0, 24));
        bytes32 leaf = trials.dataLeaf(pid, 1, rowHash, rowSalt);
        uint32 batchIndex = _commit(_rootOf(leaf, proof));

        _expect(batchIndex, pid, rowHash, rowSalt, proof, ITrialRegistry.DataPointStatus.Included);
        _expect(batchIndex, pid, rowHash ^ tamper, rowSalt, proof, ITrialRegistry.DataPointStatus.NotIncluded);
        _expect(batchIndex, pid, rowHash, rowSalt ^ tamper, proof, ITrialRegistry.DataPointStatus.NotIncluded);
        // Another participant id names nobody enrolled: the participant's standing is checked before the proof.
        _expect(batchIndex, pid ^ tamper, rowHash, rowSalt, proof, ITrialRegistry.DataPointStatus.NotEnrolled);
    }

    function _expect(
        uint32 batchIndex,
        bytes32 pid,
        bytes32 rowHash,
        bytes32 rowSalt,
        bytes32[] memory proof,
        ITrialRegistry.DataPointStatus expected
    ) internal view {
        assertEq(
            _status(trials.verifyDataPoint(trialId, batchIndex, pid, 1, rowHash, rowSalt, proof)),
            _status(expected),
            "verifyDataPoint"
        );
    }

    /// @notice The contract's leaf is the double hash of the abi-encoded row fields (never a given leaf).
    function testFuzz_dataLeafIsDoubleHash(bytes32 pid, uint32 version, bytes32 rowHash, bytes32 rowSalt) public view {
        bytes32 expected = keccak256(bytes.concat(keccak256(abi.encode(pid, version, rowHash, rowSalt))));
        assertEq(trials.dataLeaf(pid, version, rowHash, rowSalt), expected, "leaf");
        // An inner node (64 bytes) never equals a leaf of the same words: leaves are hashed twice.
        assertNotEq(expected, keccak256(abi.encode(pid, version, rowHash, rowSalt)), "single hash");
    }

    /// @notice Withdrawal splits the batches exactly: before it Included, from it WithdrawnBeforeCommit.
    function testFuzz_withdrawalSplitsBatches(uint8 before, uint8 afterwards, bytes32 rowHash) public {
        uint256 nBefore = bound(before, 0, 4);
        uint256 nAfter = bound(afterwards, 1, 4);
        bytes32 pid = _enrol(SALT);
        bytes32 leaf = trials.dataLeaf(pid, 1, rowHash, SALT);
        bytes32[] memory proof = new bytes32[](0);
        for (uint256 i = 0; i < nBefore; ++i) _commit(leaf);
        vm.prank(patient);
        trials.withdraw(trialId, patientId, SALT);
        for (uint256 i = 0; i < nAfter; ++i) _commit(leaf);
        for (uint256 i = 0; i < nBefore + nAfter; ++i) {
            ITrialRegistry.DataPointStatus expected = i < nBefore
                ? ITrialRegistry.DataPointStatus.Included
                : ITrialRegistry.DataPointStatus.WithdrawnBeforeCommit;
            assertEq(
                _status(trials.verifyDataPoint(trialId, i, pid, 1, rowHash, SALT, proof)),
                _status(expected),
                "batch"
            );
        }
    }

    /// @notice After an amendment, rows under the new version are VersionMismatch until re-consent, and
    ///         stay so for batches committed before it.
    function testFuzz_amendmentNeedsReconsent(uint8 gap, bytes32 rowHash) public {
        bytes32 pid = _enrol(SALT);
        vm.prank(sponsorOp);
        trials.amendProtocol(trialId, keccak256("protocol v2"), keccak256("plan v2"), keccak256("reason"));
        bytes32 leaf = trials.dataLeaf(pid, 2, rowHash, SALT);
        bytes32[] memory proof = new bytes32[](0);
        uint256 n = bound(gap, 1, 4);
        for (uint256 i = 0; i < n; ++i) _commit(leaf);
        vm.prank(patient);
        trials.reconsent(trialId, patientId, SALT, 2);
        uint32 afterIndex = _commit(leaf);
        for (uint256 i = 0; i < n; ++i) {
            assertEq(
                _status(trials.verifyDataPoint(trialId, i, pid, 2, rowHash, SALT, proof)),
                _status(ITrialRegistry.DataPointStatus.VersionMismatch),
                "before re-consent"
            );
        }
        assertEq(
            _status(trials.verifyDataPoint(trialId, afterIndex, pid, 2, rowHash, SALT, proof)),
            _status(ITrialRegistry.DataPointStatus.Included),
            "after re-consent"
        );
    }

    /// @notice Whatever the history (enrolment, commits, amendments, re-consents, a withdrawal, in any order),
    ///         `verifyDataPoint` answers for every version and batch what the rule says, written out here from
    ///         the history alone: NotEnrolled before the enrolment, WithdrawnBeforeCommit from the withdrawal
    ///         on, VersionMismatch for a version not consented to by then, Included otherwise (every batch
    ///         holds a row under each version 1..4).
    function testFuzz_statusFollowsTheConsentHistory(uint256 seed) public {
        bytes32 pid = TrialHashes.participantId(patientId, trialId, SALT);
        bytes32[4] memory leaves;
        for (uint32 v = 1; v <= 4; ++v) leaves[v - 1] = trials.dataLeaf(pid, v, keccak256(abi.encode(v)), SALT);
        bytes32 root = _hashPair(_hashPair(leaves[0], leaves[1]), _hashPair(leaves[2], leaves[3]));

        History memory h;
        h.withdrawnFrom = type(uint256).max;
        uint32 version = 1;
        uint32 consented;
        for (uint256 i = 0; i < 14; ++i) {
            uint256 op = uint256(keccak256(abi.encode(seed, i))) % 5;
            uint32 batches = trials.getTrial(trialId).batchCount;
            if (op == 0) {
                _commit(root);
            } else if (op == 1 && version < 4) {
                vm.prank(sponsorOp);
                trials.amendProtocol(trialId, keccak256(abi.encode(i)), keccak256("plan"), keccak256("reason"));
                ++version;
            } else if (op == 2 && !h.enrolled) {
                _enrol(SALT);
                (h.enrolled, h.enrolledFrom, consented) = (true, batches, version);
                h.consentedFrom[version] = batches + 1;
            } else if (op == 3 && h.enrolled && h.withdrawnFrom == type(uint256).max && consented != version) {
                vm.prank(patient);
                trials.reconsent(trialId, patientId, SALT, version);
                consented = version;
                h.consentedFrom[version] = batches + 1;
            } else if (op == 4 && h.enrolled && h.withdrawnFrom == type(uint256).max) {
                vm.prank(patient);
                trials.withdraw(trialId, patientId, SALT);
                h.withdrawnFrom = batches;
            }
        }
        _commit(root);

        uint32 count = trials.getTrial(trialId).batchCount;
        for (uint32 v = 1; v <= 4; ++v) {
            bytes32[] memory proof = new bytes32[](2);
            proof[0] = leaves[(v - 1) ^ 1];
            proof[1] = v <= 2 ? _hashPair(leaves[2], leaves[3]) : _hashPair(leaves[0], leaves[1]);
            for (uint256 b = 0; b < count; ++b) {
                assertEq(
                    _status(trials.verifyDataPoint(trialId, b, pid, v, keccak256(abi.encode(v)), SALT, proof)),
                    uint256(_expected(h, v, b)),
                    "status"
                );
            }
        }
    }

    /// @dev A participant's history as the fuzz test saw it. `consentedFrom[v]`: 1 + the batch count when
    ///      version v was consented to (0: never).
    struct History {
        bool enrolled;
        uint256 enrolledFrom;
        uint256 withdrawnFrom;
        uint256[5] consentedFrom;
    }

    function _expected(History memory h, uint32 v, uint256 b) internal pure returns (ITrialRegistry.DataPointStatus) {
        if (!h.enrolled || b < h.enrolledFrom) return ITrialRegistry.DataPointStatus.NotEnrolled;
        if (b >= h.withdrawnFrom) return ITrialRegistry.DataPointStatus.WithdrawnBeforeCommit;
        if (h.consentedFrom[v] == 0 || b + 1 < h.consentedFrom[v])
            return ITrialRegistry.DataPointStatus.VersionMismatch;
        return ITrialRegistry.DataPointStatus.Included;
    }

    // ------------------------------------------------------------------ fuzz: commitments

    /// @notice Results reveal only the committed outcome definitions; anything else is outcome switching.
    function testFuzz_outcomesRevealMustMatchCommitment(bytes32 salt, bytes32 definition, bytes32 other) public {
        vm.assume(other != definition);
        bytes32 registered = keccak256(abi.encode(salt, definition));
        vm.prank(sponsorOp);
        bytes32 id = trials.registerTrial(keccak256(abi.encode(salt)), bytes32(0), bytes32(0), registered, SCOPES, 0);
        vm.prank(sponsorOp);
        trials.lockDatabase(id);
        vm.prank(sponsorOp);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITrialRegistry.TrialOutcomesMismatch.selector,
                id,
                registered,
                keccak256(abi.encode(salt, other))
            )
        );
        trials.publishResults(id, keccak256("results"), salt, other);
        vm.prank(sponsorOp);
        trials.publishResults(id, keccak256("results"), salt, definition);
        assertEq(uint256(trials.getTrial(id).status), uint256(ITrialRegistry.TrialStatus.Reported), "reported");
    }

    /// @notice The participant id binds patient, trial and salt: another salt is another (unenrolled) participant.
    function testFuzz_participantIdBindsSalt(bytes32 salt, bytes32 otherSalt) public {
        vm.assume(salt != otherSalt);
        bytes32 pid = _enrol(salt);
        assertEq(pid, TrialHashes.participantId(patientId, trialId, salt), "participant id");
        assertGt(trials.getParticipant(trialId, pid).enrolledAt, 0, "enrolled");
        vm.prank(patient);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITrialRegistry.TrialNotEnrolled.selector,
                trialId,
                TrialHashes.participantId(patientId, trialId, otherSalt)
            )
        );
        trials.withdraw(trialId, patientId, otherSalt);
    }

    /// @notice Batches are append-only: each commit takes the next index and earlier roots never change.
    function testFuzz_batchesAppendOnly(bytes32 a, bytes32 b) public {
        vm.assume(a != 0 && b != 0);
        assertEq(_commit(a), 0, "first index");
        assertEq(_commit(b), 1, "second index");
        assertEq(trials.batchRoot(trialId, 0), a, "first root kept");
        assertEq(trials.batchRoot(trialId, 1), b, "second root");
        vm.expectRevert(abi.encodeWithSelector(ITrialRegistry.TrialUnknownBatch.selector, trialId, 2));
        trials.verifyDataPoint(trialId, 2, a, 1, a, a, new bytes32[](0));
    }
}

/// @notice Measures `verifyDataPoint` with a depth-20 proof as another contract would call it. The batches and
///         the participant are set up in `setUp`, so each test reads their slots cold, as a fresh transaction
///         does. Figures go to `snapshots/` (`--snapshot`); they are measured, not asserted.
contract TrialRegistryGasTest is TrialsBase {
    bytes32 internal constant ROW = keccak256("row");
    bytes32 internal constant ROW_SALT = keccak256("row salt");
    bytes32 internal pid;
    bytes32[] internal proof;

    function setUp() public override {
        super.setUp();
        pid = _enrol(keccak256("participant salt"));
        proof = _siblings(keccak256("siblings"), 20);
        // Batch 0: a version-1 row. Then an amendment and re-consent; batch 1: a version-2 row; batch 2: a
        // version-1 row committed late (after the re-consent).
        _commit(_rootOf(trials.dataLeaf(pid, 1, ROW, ROW_SALT), proof));
        vm.prank(sponsorOp);
        trials.amendProtocol(trialId, keccak256("protocol v2"), keccak256("plan v2"), keccak256("reason"));
        vm.prank(patient);
        trials.reconsent(trialId, patientId, keccak256("participant salt"), 2);
        _commit(_rootOf(trials.dataLeaf(pid, 2, ROW, ROW_SALT), proof));
        _commit(_rootOf(trials.dataLeaf(pid, 1, ROW, ROW_SALT), proof));
    }

    /// @notice A row under the latest version consented to: batch root and that version's consent, both cold.
    function test_verifyDataPoint_depth20_gas_latestVersion() public {
        vm.snapshotValue("verifyDataPoint_depth20_latestVersion", _measure(1, 2, true));
    }

    /// @notice A row under an earlier version, committed while it was the participant's latest consent: the
    ///         same two cold slots.
    function test_verifyDataPoint_depth20_gas_earlierVersion() public {
        vm.snapshotValue("verifyDataPoint_depth20_earlierVersion", _measure(0, 1, true));
    }

    /// @notice A row under an earlier version committed after the participant had re-consented to a later one:
    ///         the same two cold slots (the earlier version's consent knows of any withdrawal too).
    function test_verifyDataPoint_depth20_gas_earlierVersionCommittedLate() public {
        vm.snapshotValue("verifyDataPoint_depth20_earlierVersionCommittedLate", _measure(2, 1, true));
    }

    /// @notice As the latest-version case, but the registry's account is also cold (+2,600 access cost): what a
    ///         contract pays when this is its first call to the registry in the transaction.
    function test_verifyDataPoint_depth20_gas_coldAccount() public {
        vm.snapshotValue("verifyDataPoint_depth20_latestVersion_coldAccount", _measure(1, 2, false));
    }

    /// @dev gasleft() difference around the call alone: the calldata is encoded before (encoding is the
    ///      caller's own code), and the registry's account is warmed, when `warm`, by a call that reads none of
    ///      the measured slots.
    function _measure(uint256 batchIndex, uint32 version, bool warm) internal view returns (uint256 used) {
        TrialRegistry t = trials;
        bytes memory data = abi.encodeCall(
            t.verifyDataPoint,
            (trialId, batchIndex, pid, version, ROW, ROW_SALT, proof)
        );
        if (warm) t.DOMAIN_SEPARATOR();
        uint256 start = gasleft();
        (bool ok, bytes memory result) = address(t).staticcall(data);
        used = start - gasleft();
        assertTrue(ok, "call");
        assertEq(abi.decode(result, (uint256)), uint256(ITrialRegistry.DataPointStatus.Included), "included");
    }
}

/// @notice Exposes the assembly proof loop and OpenZeppelin's for the differential fuzz test.
contract ProofHarness {
    function ours(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return TrialHashes.processProof(proof, leaf);
    }

    function openZeppelin(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leaf);
    }
}

/// @notice `TrialHashes.processProof` equals OpenZeppelin's `MerkleProof.processProofCalldata`.
contract TrialHashesTest is TrialsBase {
    ProofHarness internal harness;

    function setUp() public override {
        harness = new ProofHarness();
    }

    function testFuzz_processProofEqualsOpenZeppelin(bytes32 leaf, bytes32[] calldata proof) public view {
        assertEq(harness.ours(proof, leaf), harness.openZeppelin(proof, leaf), "root");
    }

    function testFuzz_processProofEqualsOpenZeppelinWithEqualAndOrderedNodes(bytes32 leaf, uint8 depth) public view {
        bytes32[] memory proof = new bytes32[](bound(depth, 1, 32));
        for (uint256 i = 0; i < proof.length; ++i) {
            // Equal, smaller and larger siblings in turn: both orders of every pair and the tie.
            proof[i] = i % 3 == 0 ? leaf : (i % 3 == 1 ? bytes32(0) : bytes32(type(uint256).max));
        }
        assertEq(harness.ours(proof, leaf), harness.openZeppelin(proof, leaf), "root");
    }
}
