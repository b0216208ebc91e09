// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IdentityBase} from "../utils/IdentityBase.sol";
import {Roles} from "../../contracts/governance/Roles.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {ITrialRegistry} from "../../contracts/interfaces/ITrialRegistry.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";
import {MockResearchConsent} from "../../contracts/mocks/MockResearchConsent.sol";
import {TrialRegistry} from "../../contracts/trials/TrialRegistry.sol";

/// @notice Deploys IdentityRegistry and TrialRegistry (with a settable consent mock) wired as src/wiring.ts
///         says, with a sponsor, a site, a monitoring board, a patient with a known key, an open trial whose
///         outcomes commitment is known, and helpers to build Merkle paths.
abstract contract TrialsBase is IdentityBase {
    uint32 internal constant SCOPES = (1 << 3) | (1 << 6);
    uint8 internal constant READ = 1;
    uint8 internal constant RESEARCH = 1 << 3;

    MockResearchConsent internal consent;
    TrialRegistry internal trials;

    address internal sponsorOp;
    address internal siteOp;
    address internal monitorOp;
    address internal patient;
    uint256 internal patientKey;
    uint256 internal sponsorOrg;
    uint256 internal siteOrg;
    uint256 internal monitorOrg;
    uint256 internal patientId;

    bytes32 internal trialId;
    bytes32 internal outcomesSalt = keccak256("outcomes salt");
    bytes32 internal outcomesDefinition = keccak256("outcomes definition");

    function setUp() public virtual {
        _deployIdentity();
        consent = new MockResearchConsent();
        trials = new TrialRegistry(address(manager), identity, consent);

        bytes4[] memory pauseFns = new bytes4[](1);
        pauseFns[0] = TrialRegistry.pause.selector;
        manager.setTargetFunctionRole(address(trials), pauseFns, Roles.PAUSER);

        sponsorOp = makeAddr("sponsorOp");
        siteOp = makeAddr("siteOp");
        monitorOp = makeAddr("monitorOp");
        (patient, patientKey) = makeAddrAndKey("patient");

        sponsorOrg = _registerOrg(IIdentityRegistry.OrgKind.Sponsor, Capabilities.SPONSOR_TRIALS, sponsorOp);
        siteOrg = _registerOrg(IIdentityRegistry.OrgKind.Provider, Capabilities.RESEARCH, siteOp);
        monitorOrg = _registerOrg(IIdentityRegistry.OrgKind.Provider, Capabilities.RESEARCH, monitorOp);
        patientId = uint256(keccak256("patientId")) | 1;
        _registerPatient(patient, patientId);
        consent.setAccess(patientId, sponsorOrg, SCOPES, READ, RESEARCH, true);

        trialId = _registerTrial(keccak256("NCT00000001"));
        vm.prank(sponsorOp);
        trials.setSite(trialId, siteOrg, true);
    }

    function _registerTrial(bytes32 registryIdHash) internal returns (bytes32 id) {
        vm.prank(sponsorOp);
        id = trials.registerTrial(
            registryIdHash,
            keccak256("protocol"),
            keccak256("plan"),
            keccak256(abi.encode(outcomesSalt, outcomesDefinition)),
            SCOPES,
            monitorOrg
        );
    }

    /// @dev Enrols the patient at the trial's current version under `salt`; returns the participant id.
    function _enrol(bytes32 salt) internal returns (bytes32 pid) {
        uint32 version = trials.getTrial(trialId).protocolVersion;
        vm.prank(patient);
        pid = trials.enrol(trialId, patientId, salt, version);
    }

    /// @dev Commits `root` as the site; returns the batch index.
    function _commit(bytes32 root) internal returns (uint32 batchIndex) {
        vm.prank(siteOp);
        batchIndex = trials.commitData(trialId, root, 1, keccak256("schema"));
    }

    /// @dev OpenZeppelin's commutative pair hash.
    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @dev The root reached from `leaf` through `proof` (a Merkle path of any shape).
    function _rootOf(bytes32 leaf, bytes32[] memory proof) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 i = 0; i < proof.length; ++i) node = _hashPair(node, proof[i]);
    }

    /// @dev A path of `depth` pseudo-random siblings derived from `seed`.
    function _siblings(bytes32 seed, uint256 depth) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](depth);
        for (uint256 i = 0; i < depth; ++i) proof[i] = keccak256(abi.encode(seed, i));
    }

    function _status(ITrialRegistry.DataPointStatus s) internal pure returns (uint256) {
        return uint256(s);
    }
}
