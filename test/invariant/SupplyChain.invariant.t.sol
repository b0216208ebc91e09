// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {ISupplyChain} from "../../contracts/interfaces/ISupplyChain.sol";
import {SupplyChain} from "../../contracts/supply/SupplyChain.sol";
import {SupplyWorld} from "../supply/SupplySetup.sol";
import {Vm} from "../utils/Vm.sol";
import {SerialTree} from "../supply/SupplySetup.sol";

/// @notice Drives random custody sequences on SupplyChain: ship, accept, reject, cancel, dispense (with a
///         clone attempt after each dispense), return for destruction, destroy, recall, and the manufacturer's
///         attempt to resell units returned for destruction (which must fail). Inputs are bounded
///         to valid values (a missing precondition is set up first), so every call should succeed; a failed
///         call is counted and an invariant asserts there is none.
contract SupplyChainHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint32 internal constant UNITS = 16;
    uint64 internal constant GTIN_BASE = 614141 * 1e6;

    struct Pending {
        uint256 lot;
        uint256 id;
        uint64 quantity;
        bool forDestruction;
    }

    SupplyChain public supply;
    address public regulator;
    address[4] internal _ops;
    uint256[4] internal _orgs;

    bytes32[] public lotIds;
    Pending[] internal _pending;

    // ghosts
    mapping(uint256 lot => uint256) public inTransit;
    mapping(uint256 lot => uint256) public ghostDispensed;
    mapping(uint256 lot => uint256) public ghostDestroyed;
    /// @dev Units returned for destruction and accepted by the manufacturer, not destroyed yet.
    mapping(uint256 lot => uint256) public ghostAwaiting;
    /// @dev Saleable units held, all organisations together: what the rules say, computed by the handler.
    mapping(uint256 lot => uint256) public ghostSaleable;
    /// @dev Attempts to ship or dispense units awaiting destruction that succeeded (must stay 0).
    uint256 public awaitingResold;
    uint256 public resaleAttempts;
    mapping(uint256 lot => mapping(uint256 index => bool)) public unitDispensed;
    uint256 public failures;
    uint256 public clonesAccepted;
    uint256 public clonesRefused;
    uint256 public ships;
    uint256 public accepts;
    uint256 public rejects;
    uint256 public cancels;
    uint256 public dispenses;
    uint256 public returns_;
    uint256 public destroys;
    uint256 public recalls;

    constructor(SupplyWorld world) {
        supply = world.supply();
        regulator = world.regulator();
        for (uint256 i = 0; i < 4; i++) {
            _ops[i] = world.op(i);
            _orgs[i] = world.org(i);
        }
        _commission();
        _commission();
    }

    // ------------------------------------------------------------------ actions

    function ship(uint256 lotSeed, uint256 fromSeed, uint256 toSeed, uint256 qtySeed) public {
        (uint256 lot, uint256 from) = _saleableHolder(lotSeed, fromSeed, 0);
        uint256 to = (from + 1 + (toSeed % 3)) % 4;
        _ship(lot, from, to, _quantity(lot, from, qtySeed));
    }

    function accept(uint256 seed) public {
        uint256 k = _pickPending(seed, true);
        Pending memory p = _pending[k];
        vm.prank(_ops[_indexOf(supply.getShipment(lotIds[p.lot], p.id).toOrg)]);
        try supply.acceptShipment(lotIds[p.lot], p.id, bytes32(seed), bytes32(seed)) {
            _close(k, p.forDestruction);
            accepts++;
        } catch {
            failures++;
        }
    }

    function reject(uint256 seed) public {
        uint256 k = _pickPending(seed, false);
        Pending memory p = _pending[k];
        vm.prank(_ops[_indexOf(supply.getShipment(lotIds[p.lot], p.id).toOrg)]);
        try supply.rejectShipment(lotIds[p.lot], p.id, bytes32(seed), bytes32(seed)) {
            _close(k, false);
            rejects++;
        } catch {
            failures++;
        }
    }

    function cancel(uint256 seed) public {
        uint256 k = _pickPending(seed, false);
        Pending memory p = _pending[k];
        vm.prank(_ops[_indexOf(supply.getShipment(lotIds[p.lot], p.id).fromOrg)]);
        try supply.cancelShipment(lotIds[p.lot], p.id, bytes32(seed)) {
            _close(k, false);
            cancels++;
        } catch {
            failures++;
        }
    }

    function dispense(uint256 lotSeed, uint256 indexSeed) public {
        (uint256 lot, uint256 pharmacy) = _saleableHolder(lotSeed, 2 + (indexSeed % 2), 2);
        uint256 index = indexSeed % UNITS;
        while (unitDispensed[lot][index]) index = (index + 1) % UNITS;
        bytes32 serialHash = SerialTree.serial(lot, index);
        bytes32[] memory proof = SerialTree.proof(SerialTree.leaves(lot, UNITS), index);
        vm.prank(_ops[pharmacy]);
        try supply.dispense(lotIds[lot], serialHash, index, proof, bytes32(indexSeed)) {
            unitDispensed[lot][index] = true;
            ghostDispensed[lot]++;
            ghostSaleable[lot]--;
            dispenses++;
        } catch {
            failures++;
            return;
        }
        if (_held(lot, pharmacy) == 0) return;
        // the same pack again: a clone, which must be refused as such
        vm.prank(_ops[pharmacy]);
        try supply.dispense(lotIds[lot], serialHash, index, proof, bytes32(indexSeed)) {
            clonesAccepted++;
        } catch (bytes memory reason) {
            if (bytes4(reason) == ISupplyChain.SupplyAlreadyDispensed.selector) clonesRefused++;
            else failures++;
        }
    }

    function returnForDestruction(uint256 lotSeed, uint256 orgSeed, uint256 qtySeed) public {
        (uint256 lot, uint256 holder) = _anyHolder(lotSeed, 1 + (orgSeed % 3), true);
        uint64 quantity = _quantity(lot, holder, qtySeed);
        vm.prank(_ops[holder]);
        try supply.returnForDestruction(lotIds[lot], quantity, bytes32(qtySeed), bytes32(qtySeed)) returns (
            uint256 id
        ) {
            _pending.push(Pending(lot, id, quantity, true));
            inTransit[lot] += quantity;
            ghostSaleable[lot] -= quantity;
            returns_++;
        } catch {
            failures++;
        }
    }

    function destroy(uint256 lotSeed, uint256 orgSeed, uint256 qtySeed) public {
        (uint256 lot, uint256 holder) = _anyHolder(lotSeed, orgSeed % 4, false);
        ISupplyChain.Holding memory h = supply.holdingOf(lotIds[lot], _orgs[holder]);
        uint64 quantity = uint64(1 + (qtySeed % (h.quantity + h.awaitingDestruction)));
        vm.prank(_ops[holder]);
        try supply.destroy(lotIds[lot], quantity, bytes32(qtySeed)) {
            ghostDestroyed[lot] += quantity;
            // units awaiting destruction go first (only the manufacturer, org 0, has any)
            uint256 fromAwaiting = holder == 0 && ghostAwaiting[lot] < quantity ? ghostAwaiting[lot] : quantity;
            if (holder != 0) fromAwaiting = 0;
            ghostAwaiting[lot] -= fromAwaiting;
            ghostSaleable[lot] -= quantity - fromAwaiting;
            destroys++;
        } catch {
            failures++;
        }
    }

    /// @dev The manufacturer, holding units returned for destruction, tries to sell them: it ships one unit
    ///      more than its saleable stock. The chain must refuse it
    ///      (`SupplyInsufficientStock`); a success is counted and an invariant asserts there is none.
    function resellAwaiting(uint256 lotSeed) public {
        uint256 n = lotIds.length;
        for (uint256 i = 0; i <= n; i++) {
            uint256 lot = (lotSeed + i) % n;
            ISupplyChain.Holding memory h = supply.holdingOf(lotIds[lot], _orgs[0]);
            if (i == n) {
                // none: a holder of a saleable lot returns one unit for destruction, the manufacturer accepts
                uint256 holder;
                (lot, holder) = _saleableHolder(lotSeed, 1, 1);
                vm.prank(_ops[holder]);
                uint256 id = supply.returnForDestruction(lotIds[lot], 1, bytes32(0), bytes32(0));
                _pending.push(Pending(lot, id, 1, true));
                inTransit[lot] += 1;
                ghostSaleable[lot] -= 1;
                vm.prank(_ops[0]);
                supply.acceptShipment(lotIds[lot], id, bytes32(0), bytes32(0));
                _close(_pending.length - 1, true);
                h = supply.holdingOf(lotIds[lot], _orgs[0]);
            } else if (h.awaitingDestruction == 0 || !_saleable(lot)) {
                continue;
            }
            resaleAttempts++;
            vm.prank(_ops[0]);
            try supply.ship(lotIds[lot], _orgs[1], h.quantity + 1, bytes32(0), bytes32(0)) {
                awaitingResold++;
            } catch (bytes memory reason) {
                if (bytes4(reason) != ISupplyChain.SupplyInsufficientStock.selector) failures++;
            }
            return;
        }
    }

    /// @dev Recalls a lot now and then (one in four calls), so the other actions also meet recalled lots.
    function recall(uint256 lotSeed) public {
        if (lotSeed % 4 != 0) return;
        uint256 lot = lotSeed % lotIds.length;
        if (supply.getLot(lotIds[lot]).status != ISupplyChain.LotStatus.Active) return;
        vm.prank(regulator);
        try supply.recallLot(lotIds[lot], 1, bytes32(lotSeed)) {
            recalls++;
        } catch {
            failures++;
        }
    }

    // ------------------------------------------------------------------ views for the invariants

    function lotCount() external view returns (uint256) {
        return lotIds.length;
    }

    function pendingCount() external view returns (uint256) {
        return _pending.length;
    }

    function pendingAt(uint256 k) external view returns (Pending memory) {
        return _pending[k];
    }

    function orgAt(uint256 i) external view returns (uint256) {
        return _orgs[i];
    }

    // ------------------------------------------------------------------ internal

    function _commission() internal returns (uint256 lot) {
        lot = lotIds.length;
        bytes32 root = SerialTree.root(SerialTree.leaves(lot, UNITS));
        vm.prank(_ops[0]);
        bytes32 lotId = supply.commissionLot(
            GTIN_BASE + uint64(lot),
            bytes32(lot),
            uint64(block.timestamp + 3650 days),
            UNITS,
            root,
            bytes32(0)
        );
        vm.prank(_ops[0]);
        supply.qualityCheck(lotId, true, bytes32(0));
        lotIds.push(lotId);
        ghostSaleable[lot] = UNITS;
    }

    function _held(uint256 lot, uint256 who) internal view returns (uint64) {
        return supply.holdingOf(lotIds[lot], _orgs[who]).quantity;
    }

    function _saleable(uint256 lot) internal view returns (bool) {
        return supply.getLot(lotIds[lot]).status == ISupplyChain.LotStatus.Active;
    }

    function _quantity(uint256 lot, uint256 who, uint256 seed) internal view returns (uint64) {
        return uint64(1 + (seed % _held(lot, who)));
    }

    /// @dev An org (index >= minOrg, preferring `orgStart`) holding units of a saleable lot; stock is moved
    ///      there (or a lot commissioned) when none does.
    function _saleableHolder(uint256 lotSeed, uint256 orgStart, uint256 minOrg) internal returns (uint256, uint256) {
        uint256 n = lotIds.length;
        for (uint256 i = 0; i < n; i++) {
            uint256 lot = (lotSeed + i) % n;
            if (!_saleable(lot)) continue;
            for (uint256 j = 0; j < 4 - minOrg; j++) {
                uint256 who = minOrg + ((orgStart - minOrg + j) % (4 - minOrg));
                if (_held(lot, who) > 0) return (lot, who);
            }
        }
        // bring stock to `orgStart` from any holder of a saleable lot, or from a new lot
        for (uint256 i = 0; i < n; i++) {
            uint256 lot = (lotSeed + i) % n;
            if (!_saleable(lot)) continue;
            for (uint256 who = 0; who < 4; who++) {
                if (who != orgStart && _held(lot, who) > 0) return _moveTo(lot, who, orgStart);
            }
        }
        return _moveTo(_commission(), 0, orgStart);
    }

    /// @dev An org holding units of any lot (not the manufacturer if `notManufacturer`), creating one if needed.
    function _anyHolder(uint256 lotSeed, uint256 orgStart, bool notManufacturer) internal returns (uint256, uint256) {
        uint256 n = lotIds.length;
        uint256 first = notManufacturer ? 1 : 0;
        for (uint256 i = 0; i < n; i++) {
            uint256 lot = (lotSeed + i) % n;
            for (uint256 j = 0; j < 4 - first; j++) {
                uint256 who = first + ((orgStart - first + j) % (4 - first));
                if (_held(lot, who) > 0) return (lot, who);
                if (!notManufacturer && who == 0 && supply.holdingOf(lotIds[lot], _orgs[0]).awaitingDestruction > 0) {
                    return (lot, 0);
                }
            }
        }
        if (notManufacturer) return _saleableHolder(lotSeed, orgStart, 1);
        return (_commission(), 0);
    }

    function _moveTo(uint256 lot, uint256 from, uint256 to) internal returns (uint256, uint256) {
        uint256 id = _ship(lot, from, to, _held(lot, from));
        vm.prank(_ops[to]);
        supply.acceptShipment(lotIds[lot], id, bytes32(0), bytes32(0));
        _close(_pending.length - 1, false);
        return (lot, to);
    }

    function _ship(uint256 lot, uint256 from, uint256 to, uint64 quantity) internal returns (uint256 id) {
        uint256 toOrg = _orgs[to];
        vm.prank(_ops[from]);
        try supply.ship(lotIds[lot], toOrg, quantity, bytes32(0), bytes32(0)) returns (uint256 shipmentId) {
            id = shipmentId;
            _pending.push(Pending(lot, id, quantity, false));
            inTransit[lot] += quantity;
            ghostSaleable[lot] -= quantity;
            ships++;
        } catch {
            failures++;
        }
    }

    /// @dev A pending shipment to act on; `forAccept` needs one that can be accepted now. Ships one if none.
    function _pickPending(uint256 seed, bool forAccept) internal returns (uint256) {
        uint256 n = _pending.length;
        for (uint256 i = 0; i < n; i++) {
            uint256 k = (seed + i) % n;
            Pending memory p = _pending[k];
            if (!forAccept || p.forDestruction || _saleable(p.lot)) return k;
        }
        ship(seed, seed >> 8, seed >> 16, seed >> 24);
        return _pending.length - 1;
    }

    /// @dev Closes pending shipment `k`: its units go to the manufacturer's units awaiting destruction when
    ///      `toAwaiting` (a return for destruction accepted), else to a saleable holding.
    function _close(uint256 k, bool toAwaiting) internal {
        inTransit[_pending[k].lot] -= _pending[k].quantity;
        if (toAwaiting) ghostAwaiting[_pending[k].lot] += _pending[k].quantity;
        else ghostSaleable[_pending[k].lot] += _pending[k].quantity;
        _pending[k] = _pending[_pending.length - 1];
        _pending.pop();
    }

    function _indexOf(uint256 orgId) internal view returns (uint256 i) {
        while (_orgs[i] != orgId) i++;
    }
}

/// @notice Units are conserved (held + in transit + dispensed + destroyed + awaiting destruction =
///         commissioned), `lotTotals` says so in one call, destroyed units (and units returned for
///         destruction) never return to stock, and no serial is dispensed twice, whatever sequence of custody
///         actions runs.
contract SupplyChainInvariantTest is Test {
    SupplyChain internal supply;
    SupplyChainHandler internal handler;

    function setUp() public {
        SupplyWorld world = new SupplyWorld();
        supply = world.supply();
        handler = new SupplyChainHandler(world);
        // Warm-up: every action once, so `invariant_handlerActionsRan` holds from the first check and
        // shows that each action can succeed; the runs then add random sequences.
        handler.ship(0, 0, 0, 3);
        handler.accept(0);
        handler.ship(1, 0, 1, 2);
        handler.reject(0);
        handler.ship(0, 0, 2, 1);
        handler.cancel(0);
        handler.dispense(0, 5);
        handler.returnForDestruction(0, 0, 0);
        handler.destroy(1, 0, 1);
        handler.recall(4);
        handler.accept(0); // (accepts the return for destruction if it is still pending)
        handler.resellAwaiting(0);
        targetContract(address(handler));
    }

    function invariant_unitsConserved() public view {
        uint256 lots = handler.lotCount();
        for (uint256 li = 0; li < lots; li++) {
            bytes32 lotId = handler.lotIds(li);
            ISupplyChain.Lot memory lot = supply.getLot(lotId);
            uint256 held;
            uint256 awaiting;
            for (uint256 i = 0; i < 4; i++) {
                ISupplyChain.Holding memory h = supply.holdingOf(lotId, handler.orgAt(i));
                held += h.quantity;
                awaiting += h.awaitingDestruction;
            }
            uint256 dispensed;
            for (uint256 i = 0; i < lot.quantity; i++) {
                if (uint256(supply.dispensedBy(lotId, i)) != 0) dispensed++;
            }
            assertEq(held + handler.inTransit(li) + dispensed + lot.destroyed + awaiting, lot.quantity, "conservation");
            assertEq(dispensed, handler.ghostDispensed(li), "dispensed ghost");
            assertEq(lot.destroyed, handler.ghostDestroyed(li), "destroyed counter");
            ISupplyChain.LotTotals memory t = supply.lotTotals(lotId);
            assertEq(t.held, held, "lotTotals held");
            assertEq(t.inTransit, handler.inTransit(li), "lotTotals in transit");
            assertEq(t.dispensed, dispensed, "lotTotals dispensed");
            assertEq(t.destroyed, lot.destroyed, "lotTotals destroyed");
            assertEq(t.awaitingDestruction, awaiting, "lotTotals awaiting destruction");
        }
    }

    function invariant_inTransitIsThePendingShipments() public view {
        uint256 lots = handler.lotCount();
        uint256[] memory sums = new uint256[](lots);
        uint256 n = handler.pendingCount();
        for (uint256 k = 0; k < n; k++) {
            SupplyChainHandler.Pending memory p = handler.pendingAt(k);
            ISupplyChain.Shipment memory s = supply.getShipment(handler.lotIds(p.lot), p.id);
            assertEq(s.quantity, p.quantity, "shipment quantity");
            assertEq(s.forDestruction, p.forDestruction, "shipment kind");
            sums[p.lot] += s.quantity;
        }
        for (uint256 li = 0; li < lots; li++) assertEq(sums[li], handler.inTransit(li), "in transit");
    }

    function invariant_noSerialDispensedTwice() public view {
        assertEq(handler.clonesAccepted(), 0, "a clone was accepted");
        uint256 lots = handler.lotCount();
        for (uint256 li = 0; li < lots; li++) {
            bytes32 lotId = handler.lotIds(li);
            uint256 marked;
            for (uint256 i = 0; i < 16; i++) {
                bool onChain = uint256(supply.dispensedBy(lotId, i)) != 0;
                assertEq(onChain, handler.unitDispensed(li, i), "dispensed bit");
                if (onChain) marked++;
            }
            assertEq(marked, handler.ghostDispensed(li), "one mark per dispense");
        }
    }

    /// @dev Issue #12: a unit returned for destruction is never saleable again, and a destroyed unit never
    ///      comes back. The saleable holdings are exactly what the rules leave (units returned for destruction
    ///      and accepted are not among them), the units awaiting destruction are the manufacturer's alone, and
    ///      every attempt to ship them failed.
    function invariant_destroyedUnitsNeverReturnToStock() public view {
        assertEq(handler.awaitingResold(), 0, "units awaiting destruction were shipped");
        uint256 lots = handler.lotCount();
        for (uint256 li = 0; li < lots; li++) {
            bytes32 lotId = handler.lotIds(li);
            uint256 saleable;
            for (uint256 i = 0; i < 4; i++) saleable += supply.holdingOf(lotId, handler.orgAt(i)).quantity;
            assertEq(saleable, handler.ghostSaleable(li), "saleable stock");
            assertEq(
                supply.holdingOf(lotId, handler.orgAt(0)).awaitingDestruction,
                handler.ghostAwaiting(li),
                "awaiting destruction"
            );
            for (uint256 i = 1; i < 4; i++) {
                assertEq(supply.holdingOf(lotId, handler.orgAt(i)).awaitingDestruction, 0, "only the manufacturer");
            }
            assertEq(supply.getLot(lotId).destroyed, handler.ghostDestroyed(li), "destroyed only grows");
        }
    }

    function invariant_handlerCallsNeverFailed() public view {
        assertEq(handler.failures(), 0, "a bounded handler call failed");
    }

    function invariant_handlerActionsRan() public view {
        assertGe(handler.ships(), 1, "ship");
        assertGe(handler.accepts(), 1, "accept");
        assertGe(handler.rejects(), 1, "reject");
        assertGe(handler.cancels(), 1, "cancel");
        assertGe(handler.dispenses(), 1, "dispense");
        assertGe(handler.clonesRefused(), 1, "clone refused");
        assertGe(handler.returns_(), 1, "return for destruction");
        assertGe(handler.destroys(), 1, "destroy");
        assertGe(handler.recalls(), 1, "recall");
        assertGe(handler.resaleAttempts(), 1, "resale of units awaiting destruction attempted");
    }
}
