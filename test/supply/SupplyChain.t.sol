// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {ISupplyChain} from "../../contracts/interfaces/ISupplyChain.sol";
import {SupplyChain} from "../../contracts/supply/SupplyChain.sol";
import {SerialProof} from "../../contracts/libraries/SerialProof.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SerialTree, SupplyWorld} from "./SupplySetup.sol";

/// @dev Exposes SerialProof with calldata proofs, next to OpenZeppelin's reference computation.
contract SerialProofHarness {
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leafHash) external pure returns (bool) {
        return SerialProof.verify(proof, root, leafHash);
    }

    function ozVerify(bytes32[] calldata proof, bytes32 root, bytes32 leafHash) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leafHash);
    }

    function ozProcess(bytes32[] calldata proof, bytes32 leafHash) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leafHash);
    }
}

contract SupplyChainTest is Test {
    uint256 internal constant UNITS = 16;
    uint64 internal constant GTIN = 614141123452; // 0 0614141 12345 2

    SupplyWorld internal world;
    SupplyChain internal supply;
    bytes32[] internal leaves;
    bytes32 internal lotId;
    address[4] internal ops;
    uint256[4] internal orgs;

    function setUp() public {
        world = new SupplyWorld();
        supply = world.supply();
        for (uint256 i = 0; i < 4; i++) {
            ops[i] = world.op(i);
            orgs[i] = world.org(i);
        }
        leaves = SerialTree.leaves(1, UNITS);
        lotId = _commission(GTIN, bytes32("LOT-1"), SerialTree.root(leaves), uint32(UNITS));
        vm.prank(ops[0]);
        supply.qualityCheck(lotId, true, bytes32("cert"));
        _move(0, 2, UNITS); // the whole lot to pharmacy 2
    }

    // ------------------------------------------------------------------ helpers

    function _commission(uint64 gtin, bytes32 lotHash, bytes32 root, uint32 quantity) internal returns (bytes32) {
        vm.prank(ops[0]);
        return supply.commissionLot(gtin, lotHash, uint64(block.timestamp + 365 days), quantity, root, bytes32(0));
    }

    function _move(uint256 from, uint256 to, uint256 quantity) internal {
        uint256 toOrg = orgs[to];
        vm.prank(ops[from]);
        uint256 id = supply.ship(lotId, toOrg, uint64(quantity), bytes32("e"), bytes32("t"));
        vm.prank(ops[to]);
        supply.acceptShipment(lotId, id, bytes32("e"), bytes32("t"));
    }

    function _dispense(uint256 pharmacy, uint256 index, bytes32 serialHash, bytes32[] memory proof) internal {
        vm.prank(ops[pharmacy]);
        supply.dispense(lotId, serialHash, index, proof, bytes32("d"));
    }

    // ------------------------------------------------------------------ ids

    function testFuzz_lotIdOfIsTheEncodedHash(uint64 gtin, bytes32 lotHash) public view {
        assertEq(supply.lotIdOf(gtin, lotHash), keccak256(abi.encode(gtin, lotHash)), "lotId");
    }

    function testFuzz_serialLeafIsTheDoubleHash(uint256 index, bytes32 serialHash) public view {
        assertEq(supply.serialLeaf(index, serialHash), SerialTree.leaf(index, serialHash), "leaf");
    }

    function testFuzz_serialProofAgreesWithOpenZeppelin(bytes32 leafHash, bytes32[] memory proof, bytes32 root) public {
        SerialProofHarness harness = new SerialProofHarness();
        assertEq(harness.verify(proof, root, leafHash), harness.ozVerify(proof, root, leafHash), "random root");
        bytes32 realRoot = harness.ozProcess(proof, leafHash);
        assertTrue(harness.verify(proof, realRoot, leafHash), "computed root verifies");
    }

    function testFuzz_serialLeafAgreesWithAbiEncoding(uint256 index, bytes32 serialHash) public pure {
        assertEq(
            SerialProof.leaf(index, serialHash),
            keccak256(bytes.concat(keccak256(abi.encode(index, serialHash)))),
            "leaf"
        );
    }

    // ------------------------------------------------------------------ GTIN prefix

    function testFuzz_commissionAcceptsEveryGtinUnderThePrefix(
        uint256 indicator,
        uint256 itemRef,
        uint256 check
    ) public {
        uint64 gtin = uint64(
            bound(indicator, 0, 9) * 1e13 + uint256(614141) * 1e6 + bound(itemRef, 0, 99999) * 10 + bound(check, 0, 9)
        );
        bytes32 id = _commission(gtin, bytes32("LOT-F"), bytes32("root"), 1);
        assertEq(id, keccak256(abi.encode(gtin, bytes32("LOT-F"))), "lot id");
        assertEq(supply.holdingOf(id, orgs[0]).quantity, 1, "held");
    }

    function testFuzz_commissionRefusesEveryGtinOutsideThePrefix(uint64 gtin) public {
        vm.assume(gtin >= 1e14 || (gtin / 1e6) % 1e7 != 614141);
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyChain.SupplyGtinOutsidePrefix.selector, gtin, uint40(614141), uint8(7))
        );
        _commission(gtin, bytes32("LOT-X"), bytes32("root"), 1);
    }

    // ------------------------------------------------------------------ dispensing

    function testFuzz_eachUnitDispensesOnce(uint256 index) public {
        index = bound(index, 0, UNITS - 1);
        bytes32 serialHash = SerialTree.serial(1, index);
        bytes32[] memory proof = SerialTree.proof(leaves, index);
        _dispense(2, index, serialHash, proof);
        assertEq(uint256(supply.dispensedBy(lotId, index)), uint256(IIdentityRegistry.OrgKind.Pharmacy), "kind");
        vm.expectRevert(abi.encodeWithSelector(ISupplyChain.SupplyAlreadyDispensed.selector, lotId, index, serialHash));
        _dispense(2, index, serialHash, proof);
    }

    function testFuzz_aSerialIsRefusedUnderAnotherIndex(uint256 index, uint256 other) public {
        index = bound(index, 0, UNITS - 1);
        other = bound(other, 0, UNITS - 1);
        vm.assume(index != other);
        bytes32 serialHash = SerialTree.serial(1, index);
        bytes32[] memory proof = SerialTree.proof(leaves, index);
        vm.expectRevert(abi.encodeWithSelector(ISupplyChain.SupplyInvalidProof.selector, lotId, other, serialHash));
        _dispense(2, other, serialHash, proof);
    }

    function testFuzz_dispensingNeighboursLeavesOthersUntouched(uint256 a, uint256 b) public {
        a = bound(a, 0, UNITS - 1);
        b = bound(b, 0, UNITS - 1);
        vm.assume(a != b);
        _dispense(2, a, SerialTree.serial(1, a), SerialTree.proof(leaves, a));
        assertEq(uint256(supply.dispensedBy(lotId, b)), 0, "neighbour untouched");
        (bool authentic, ISupplyChain.UnitStatus status, , ) = supply.verifyUnit(
            GTIN,
            bytes32("LOT-1"),
            SerialTree.serial(1, b),
            b,
            SerialTree.proof(leaves, b)
        );
        assertTrue(authentic, "authentic");
        assertEq(uint256(status), uint256(ISupplyChain.UnitStatus.Active), "active");
    }

    // ------------------------------------------------------------------ custody

    function testFuzz_shipThenCancelRestoresTheHolding(uint256 quantity) public {
        quantity = bound(quantity, 1, UNITS);
        uint256 toOrg = orgs[3];
        vm.prank(ops[2]);
        uint256 id = supply.ship(lotId, toOrg, uint64(quantity), bytes32("e"), bytes32("t"));
        assertEq(supply.holdingOf(lotId, orgs[2]).quantity, UNITS - quantity, "in transit");
        vm.prank(ops[2]);
        supply.cancelShipment(lotId, id, bytes32("c"));
        assertEq(supply.holdingOf(lotId, orgs[2]).quantity, UNITS, "restored");
    }

    function testFuzz_shipMoreThanHeldIsRefused(uint64 quantity) public {
        vm.assume(quantity > UNITS);
        uint256 toOrg = orgs[3];
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyChain.SupplyInsufficientStock.selector, lotId, orgs[2], UNITS, quantity)
        );
        vm.prank(ops[2]);
        supply.ship(lotId, toOrg, quantity, bytes32("e"), bytes32("t"));
    }

    function test_RevertWhen_recalledLotIsShipped() public {
        uint256 toOrg = orgs[3];
        vm.prank(world.regulator());
        supply.recallLot(lotId, 1, bytes32("r"));
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyChain.SupplyLotNotSaleable.selector, lotId, ISupplyChain.LotStatus.Recalled)
        );
        vm.prank(ops[2]);
        supply.ship(lotId, toOrg, 1, bytes32("e"), bytes32("t"));
        // destruction stays allowed
        vm.prank(ops[2]);
        supply.destroy(lotId, uint64(UNITS), bytes32("x"));
        assertEq(supply.getLot(lotId).destroyed, UNITS, "destroyed");
    }

    function test_RevertWhen_undesignatedLabChecksALot() public {
        address labOp = world.labOp();
        vm.expectRevert(
            abi.encodeWithSelector(ISupplyChain.SupplyQualityCheckerNotDesignated.selector, lotId, world.lab())
        );
        vm.prank(labOp);
        supply.qualityCheck(lotId, true, bytes32("c"));
    }
}
