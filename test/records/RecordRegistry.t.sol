// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ConsentBase} from "../consent/ConsentBase.sol";
import {IRecordRegistry} from "../../contracts/interfaces/IRecordRegistry.sol";
import {Scopes} from "../../contracts/libraries/Scopes.sol";

contract RecordRegistryTest is ConsentBase {
    function setUp() public override {
        super.setUp();
        _grant(
            hospital,
            Scopes.ALL_CATEGORIES,
            Scopes.ALL_ACTIONS,
            Scopes.TREATMENT,
            0,
            uint64(block.timestamp + 365 days)
        );
    }

    function testFuzz_recordBindsToItsPatientOnly(
        bytes32 recordId,
        bytes32 contentHash,
        uint256 other,
        uint8 category
    ) public {
        vm.assume(recordId != 0 && contentHash != 0 && other != patientId);
        category = uint8(bound(category, 0, Scopes.CATEGORY_COUNT - 1));
        vm.prank(doctor);
        records.anchor(recordId, patientId, category, contentHash, keccak256("locator"));
        (, , , bool mine) = records.recordFor(recordId, patientId);
        (, , , bool theirs) = records.recordFor(recordId, other);
        assertTrue(mine, "own patient");
        assertFalse(theirs, "another patient");
        (bool matches, ) = records.verify(recordId, contentHash);
        assertTrue(matches, "verify");
        (matches, ) = records.verify(recordId, contentHash ^ bytes32(uint256(1)));
        assertFalse(matches, "verify another hash");
    }

    function test_RevertWhen_versionChainIsExhausted() public {
        bytes32 recordId = keccak256("record");
        vm.prank(doctor);
        records.anchor(recordId, patientId, 3, keccak256("content"), keccak256("locator"));
        // _records is at slot 4 (slot 0: authority + pause flag, 1-2: EIP712's name and version fallbacks,
        // 3: the ConsentManager); the record's
        // second slot holds patientTag (20 bytes), custodianOrg (8), category (1), status (1), version (2).
        bytes32 slot = bytes32(uint256(keccak256(abi.encode(recordId, uint256(4)))) + 1);
        bytes32 word = vm.load(address(records), slot);
        vm.store(address(records), slot, word | bytes32(uint256(0xffff) << 240));
        assertEq(records.getRecord(recordId).version, type(uint16).max, "version set");
        vm.expectRevert(abi.encodeWithSelector(IRecordRegistry.RecordVersionOverflow.selector, recordId));
        vm.prank(doctor);
        records.supersede(recordId, keccak256("next"), patientId, keccak256("c2"), keccak256("l2"));
    }
}
