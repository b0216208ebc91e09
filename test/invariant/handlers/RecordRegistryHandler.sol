// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../../utils/Vm.sol";
import {RecordRegistry} from "../../../contracts/records/RecordRegistry.sol";
import {Scopes} from "../../../contracts/libraries/Scopes.sol";

/// @notice Drives anchors, supersedes (direct and signed) and retractions of one patient's records by
///         every kind of actor — the hospital, the lab (both holding WRITE grants for every category),
///         the patient and a stranger — each picking any record, so an attempt to version another
///         custodian's record is tried as often as a lawful one. Keeps each version's predecessor and
///         the organisation of whoever wrote it (0 for the patient), the model the invariant checks.
contract RecordRegistryHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    RecordRegistry public immutable records;
    uint256 public immutable patientId;
    uint256 internal immutable _patientKey;
    address[4] internal _actors; // hospital's operator, lab's operator, patient, stranger
    uint256[4] internal _actorOrgs; // hospital, lab, 0, 0

    bytes32[] public ids;
    mapping(bytes32 recordId => bytes32) public predecessorOf;
    mapping(bytes32 recordId => uint256) public writerOrgOf;

    // ghost counters
    uint256 public anchors;
    uint256 public supersedes;
    uint256 public signedSupersedes;
    uint256 public retractions;
    uint256 public refusedSupersedes;
    uint256 internal _nonce;

    constructor(
        RecordRegistry records_,
        uint256 patientId_,
        uint256 patientKey_,
        address[4] memory actors_,
        uint256[4] memory actorOrgs_
    ) {
        records = records_;
        patientId = patientId_;
        _patientKey = patientKey_;
        _actors = actors_;
        _actorOrgs = actorOrgs_;
    }

    function idCount() external view returns (uint256) {
        return ids.length;
    }

    function anchor(uint256 actorSeed, uint8 category) external {
        uint256 a = actorSeed % 4;
        bytes32 id = _newId();
        vm.prank(_actors[a]);
        try records.anchor(id, patientId, uint8(category % Scopes.CATEGORY_COUNT), keccak256(abi.encode(id)), id) {
            ids.push(id);
            writerOrgOf[id] = _actorOrgs[a];
            ++anchors;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function supersede(uint256 actorSeed, uint256 recordSeed) external {
        if (ids.length == 0) return;
        bytes32 old = ids[recordSeed % ids.length];
        bytes32 id = _newId();
        uint256 a = actorSeed % 4;
        vm.prank(_actors[a]);
        try records.supersede(old, id, patientId, keccak256(abi.encode(id)), id) {
            _versioned(old, id, _actorOrgs[a]);
            ++supersedes;
        } catch {
            ++refusedSupersedes;
        }
    }

    /// @dev The patient's signed supersede of any record (refused unless the patient anchored it).
    function supersedeWithSig(uint256 recordSeed) external {
        if (ids.length == 0) return;
        bytes32 old = ids[recordSeed % ids.length];
        bytes32 id = _newId();
        uint256 nonce = records.nonces(patientId);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(records.SUPERSEDE_TYPEHASH(), old, id, patientId, keccak256(abi.encode(id)), id, nonce, deadline)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", records.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_patientKey, digest);
        address signer = vm.addr(_patientKey);
        try
            records.supersedeWithSig(
                old,
                id,
                patientId,
                keccak256(abi.encode(id)),
                id,
                signer,
                nonce,
                deadline,
                abi.encodePacked(r, s, v)
            )
        {
            _versioned(old, id, 0);
            ++signedSupersedes;
        } catch {
            ++refusedSupersedes;
        }
    }

    function retract(uint256 actorSeed, uint256 recordSeed) external {
        if (ids.length == 0) return;
        bytes32 id = ids[recordSeed % ids.length];
        vm.prank(_actors[actorSeed % 4]);
        try records.retract(id, patientId, keccak256("reason")) {
            ++retractions;
        } catch {} // solhint-disable-line no-empty-blocks
    }

    function _versioned(bytes32 old, bytes32 id, uint256 writerOrg) private {
        ids.push(id);
        predecessorOf[id] = old;
        writerOrgOf[id] = writerOrg;
    }

    function _newId() private returns (bytes32) {
        return keccak256(abi.encode("record", ++_nonce));
    }
}
