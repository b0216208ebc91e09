// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ConsentBase} from "../consent/ConsentBase.sol";
import {RecordRegistryHandler} from "./handlers/RecordRegistryHandler.sol";
import {IRecordRegistry} from "../../contracts/interfaces/IRecordRegistry.sol";
import {Scopes} from "../../contracts/libraries/Scopes.sol";

/// @notice Issue #12: a record's version chain has one custodian, whoever tries to version it.
contract RecordRegistryInvariantTest is ConsentBase {
    RecordRegistryHandler internal handler;

    function setUp() public override {
        super.setUp();
        // Both organisations may write every category: only the custodian rule stands between them.
        _grant(hospital, Scopes.ALL_CATEGORIES, Scopes.ALL_ACTIONS, Scopes.TREATMENT, 0, type(uint64).max);
        _grant(lab, Scopes.ALL_CATEGORIES, Scopes.ALL_ACTIONS, Scopes.TREATMENT, 0, type(uint64).max);
        handler = new RecordRegistryHandler(
            records,
            patientId,
            patientKey,
            [doctor, labTech, patient, makeAddr("stranger")],
            [hospital, lab, uint256(0), uint256(0)]
        );
        // Warm-up: a record of each writer, a lawful and an unlawful version, a signed one, a retraction.
        handler.anchor(0, 3); // hospital: ids[0]
        handler.anchor(1, 6); // lab: ids[1]
        handler.anchor(2, 12); // patient: ids[2]
        handler.supersede(0, 0); // the hospital versions its record
        handler.supersede(1, 3); // the lab tries the hospital's new version: refused
        handler.supersedeWithSig(2); // the patient versions its own record
        handler.retract(2, 1); // the patient erases the lab's record
        targetContract(address(handler));
    }

    /// @notice Every record's custodian is whoever wrote it (0: the patient), every version was written
    ///         by its predecessor's writer (one custodian a chain), with the next version number, and
    ///         the predecessor is no longer live.
    function invariant_versionChainHasOneCustodian() public view {
        uint256 n = handler.idCount();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 id = handler.ids(i);
            IRecordRegistry.Record memory r = records.getRecord(id);
            assertEq(r.custodianOrg, handler.writerOrgOf(id), "custodian is the writer");
            bytes32 prev = handler.predecessorOf(id);
            if (prev == bytes32(0)) continue;
            IRecordRegistry.Record memory p = records.getRecord(prev);
            assertEq(handler.writerOrgOf(id), handler.writerOrgOf(prev), "one custodian a chain");
            assertEq(r.version, p.version + 1, "next version");
            assertEq(r.category, p.category, "same category");
            assertTrue(p.status != IRecordRegistry.RecordStatus.Live, "predecessor not live");
        }
    }

    function invariant_handlerActionsRan() public view {
        assertGt(handler.anchors(), 0, "anchor");
        assertGt(handler.supersedes(), 0, "supersede");
        assertGt(handler.signedSupersedes(), 0, "supersedeWithSig");
        assertGt(handler.refusedSupersedes(), 0, "refused supersede");
        assertGt(handler.retractions(), 0, "retract");
    }
}
