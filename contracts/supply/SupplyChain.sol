// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {ISupplyChain} from "../interfaces/ISupplyChain.sol";
import {Roles} from "../governance/Roles.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {LotLifecycle} from "../libraries/LotLifecycle.sol";
import {SerialProof} from "../libraries/SerialProof.sol";

/// @title SupplyChain
/// @notice Drug traceability from the factory to the patient (DSCSA / GS1 EPCIS): serialised lots committed
///         by a Merkle root, two-phase custody per lot quantity, unit-level dispensing against clones,
///         quality release, quarantine and recall. Every check of a trading partner asks the identity
///         registry at that moment, so a suspension or licence expiry applies at once.
/// @dev Not upgradeable. `pause` is wired to PAUSER, `unpause` to ADMIN; REGULATOR is checked against the
///      same AccessManager. Storage: a lot is two slots (packed record with its in-transit, dispensed and
///      destroyed counters + serials root), a holding one (saleable units, units awaiting destruction), a
///      pending shipment one (keyed by lot and sequential id), and the dispensed units a nibble map (the
///      dispensing organisation's kind, 4 bits a unit, 64 units a word): non-zero means dispensed.
contract SupplyChain is ISupplyChain, AccessManaged, Pausable, EIP712 {
    using LotLifecycle for Lot;

    // ------------------------------------------------------------------ constants

    /// @dev GTIN-14 numbers are below 10^14.
    uint256 private constant _GTIN_LIMIT = 1e14;
    /// @dev A lot records its expiry in 48 bits (year 8.9 million), which leaves its slot room for counters.
    uint64 private constant _EXPIRY_LIMIT = type(uint48).max;

    // ------------------------------------------------------------------ immutables

    IIdentityRegistry private immutable _IDENTITY;

    // ------------------------------------------------------------------ storage

    uint256 private _shipmentCount;
    mapping(bytes32 lotId => Lot) private _lots;
    mapping(bytes32 lotId => mapping(uint256 orgId => Holding)) private _holdings;
    mapping(bytes32 lotId => mapping(uint256 shipmentId => Shipment)) private _shipments;
    mapping(bytes32 lotId => mapping(uint256 word => uint256 kinds)) private _dispensedKinds;
    mapping(uint256 manufacturerId => mapping(uint256 labId => bool)) private _designatedLabs;
    mapping(bytes32 lotId => bool) private _regulatorHolds;

    // ------------------------------------------------------------------ constructor

    constructor(
        address initialAuthority,
        IIdentityRegistry identityRegistry
    ) AccessManaged(initialAuthority) EIP712("MedChain SupplyChain", "1") {
        _IDENTITY = identityRegistry;
    }

    // ------------------------------------------------------------------ PAUSER / ADMIN

    /// @inheritdoc ISupplyChain
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc ISupplyChain
    function unpause() external restricted {
        _unpause();
    }

    // ------------------------------------------------------------------ lots

    /// @inheritdoc ISupplyChain
    function commissionLot(
        uint64 gtin,
        bytes32 lotHash,
        uint64 expiry,
        uint32 quantity,
        bytes32 serialsRoot,
        bytes32 epcisEventHash
    ) external whenNotPaused returns (bytes32 lotId) {
        // The one caller that needs the whole record (its GS1 company prefix).
        (uint256 orgId, IIdentityRegistry.Organization memory org) = _IDENTITY.activeOrganizationOf(msg.sender);
        if (orgId == 0) _refuseInactiveCaller();
        _checkCapability(orgId, org.capabilities, Capabilities.MANUFACTURE);
        if (!_underPrefix(gtin, org.companyPrefix, org.prefixLength)) {
            revert SupplyGtinOutsidePrefix(gtin, org.companyPrefix, org.prefixLength);
        }
        if (quantity == 0) revert SupplyZeroQuantity();
        if (expiry <= block.timestamp) revert SupplyExpiryInPast(expiry, block.timestamp);
        if (expiry > _EXPIRY_LIMIT) revert SupplyExpiryTooLate(expiry, _EXPIRY_LIMIT);
        lotId = lotIdOf(gtin, lotHash);
        if (_lots[lotId].status != LotStatus.None) revert SupplyLotExists(lotId);

        _lots[lotId] = Lot({
            manufacturerId: uint64(orgId),
            expiry: uint48(expiry),
            quantity: quantity,
            destroyed: 0,
            inTransit: 0,
            dispensed: 0,
            status: LotStatus.Active,
            released: false,
            serialsRoot: serialsRoot
        });
        _holdings[lotId][orgId] = Holding({
            quantity: quantity,
            quarantined: false,
            awaitingDestruction: 0,
            party: true
        });
        emit LotCommissioned(lotId, orgId, gtin, lotHash, expiry, quantity, serialsRoot, epcisEventHash);
    }

    /// @inheritdoc ISupplyChain
    function setLabDesignation(uint256 labId, bool designated) external whenNotPaused {
        (uint256 orgId, , ) = _activeOrg(Capabilities.MANUFACTURE);
        if (designated && _IDENTITY.getOrganization(labId).kind != IIdentityRegistry.OrgKind.Lab) {
            revert SupplyNotLab(labId);
        }
        _designatedLabs[orgId][labId] = designated;
        emit LabDesignated(orgId, labId, designated);
    }

    /// @inheritdoc ISupplyChain
    function qualityCheck(bytes32 lotId, bool passed, bytes32 certificateHash) external whenNotPaused {
        Lot storage lot = _checkLot(lotId);
        (uint256 orgId, , uint32 capabilities) = _activeOrg(0);
        uint256 manufacturerId = lot.manufacturerId;
        if (orgId != manufacturerId) {
            if (!_designatedLabs[manufacturerId][orgId]) revert SupplyQualityCheckerNotDesignated(lotId, orgId);
            _checkCapability(orgId, capabilities, Capabilities.QUALITY_CONTROL);
        }
        LotStatus status = lot.status;
        if (status != LotStatus.Active && status != LotStatus.Quarantined) revert SupplyLotNotSaleable(lotId, status);

        // A failure withdraws the release: clearing the quarantine it sets needs a new passing check to sell.
        lot.released = passed;
        if (!passed && status == LotStatus.Active) _setStatus(lot, lotId, LotStatus.Quarantined, certificateHash);
        emit QualityChecked(lotId, orgId, passed, certificateHash);
    }

    /// @inheritdoc ISupplyChain
    function quarantineLot(bytes32 lotId, bytes32 reasonHash) external whenNotPaused {
        (Lot storage lot, bool byRegulator) = _checkLotAuthority(lotId);
        if (byRegulator) {
            _regulatorHolds[lotId] = true;
            // A regulator takes over a quarantine its manufacturer set (which it could otherwise clear).
            if (lot.status == LotStatus.Quarantined) {
                emit LotStatusChanged(lotId, LotStatus.Quarantined, msg.sender, reasonHash);
                return;
            }
        }
        _setStatus(lot, lotId, LotStatus.Quarantined, reasonHash);
    }

    /// @inheritdoc ISupplyChain
    function clearQuarantine(bytes32 lotId, bytes32 reasonHash) external whenNotPaused {
        (Lot storage lot, bool byRegulator) = _checkLotAuthority(lotId);
        LotStatus status = lot.status;
        if (status != LotStatus.Quarantined) revert SupplyInvalidTransition(lotId, status, LotStatus.Active);
        if (_regulatorHolds[lotId]) {
            if (!byRegulator) revert SupplyQuarantineHeldByRegulator(lotId, msg.sender);
            delete _regulatorHolds[lotId];
        }
        _setStatus(lot, lotId, LotStatus.Active, reasonHash);
    }

    /// @inheritdoc ISupplyChain
    function declareIllegitimate(bytes32 lotId, bytes32 reasonHash) external whenNotPaused {
        (Lot storage lot, ) = _checkLotAuthority(lotId);
        _setStatus(lot, lotId, LotStatus.Illegitimate, reasonHash);
    }

    /// @inheritdoc ISupplyChain
    function recallLot(bytes32 lotId, uint8 recallClass, bytes32 reasonHash) external whenNotPaused {
        if (recallClass == 0 || recallClass > 3) revert SupplyInvalidRecallClass(recallClass);
        (Lot storage lot, ) = _checkLotAuthority(lotId);
        _setStatus(lot, lotId, LotStatus.Recalled, reasonHash);
        emit LotRecalled(lotId, recallClass, msg.sender, reasonHash);
    }

    /// @inheritdoc ISupplyChain
    function setStockQuarantine(bytes32 lotId, bool quarantined, bytes32 reasonHash) external whenNotPaused {
        _checkLot(lotId);
        (uint256 orgId, , ) = _activeOrg(0);
        Holding storage holding = _holdings[lotId][orgId];
        if (quarantined && holding.quantity == 0) revert SupplyNotHolder(lotId, orgId);
        holding.quarantined = quarantined;
        emit StockQuarantineSet(lotId, orgId, quarantined, reasonHash);
    }

    // ------------------------------------------------------------------ custody

    /// @inheritdoc ISupplyChain
    function ship(
        bytes32 lotId,
        uint256 toOrg,
        uint64 quantity,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    ) external whenNotPaused returns (uint256 shipmentId) {
        (uint256 fromOrg, , ) = _activeOrg(Capabilities.TRADE);
        Lot storage lot = _checkSaleable(lotId);
        if (toOrg == fromOrg) revert SupplySelfShipment(fromOrg);
        _checkPartner(toOrg);
        _checkCapability(toOrg, _IDENTITY.getOrganization(toOrg).capabilities, Capabilities.TRADE);
        Holding storage holding = _checkStock(lotId, fromOrg, quantity);
        if (holding.quarantined) revert SupplyStockQuarantined(lotId, fromOrg);
        shipmentId = _createShipment(lotId, lot, holding, fromOrg, toOrg, quantity, false, epcisEventHash, tiTsHash);
    }

    /// @inheritdoc ISupplyChain
    function returnForDestruction(
        bytes32 lotId,
        uint64 quantity,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    ) external whenNotPaused returns (uint256 shipmentId) {
        Lot storage lot = _checkLot(lotId);
        uint256 toOrg = lot.manufacturerId;
        (uint256 fromOrg, , ) = _activeOrg(0);
        if (toOrg == fromOrg) revert SupplySelfShipment(fromOrg);
        Holding storage holding = _checkStock(lotId, fromOrg, quantity);
        shipmentId = _createShipment(lotId, lot, holding, fromOrg, toOrg, quantity, true, epcisEventHash, tiTsHash);
    }

    /// @inheritdoc ISupplyChain
    function acceptShipment(
        bytes32 lotId,
        uint256 shipmentId,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    ) external whenNotPaused {
        Shipment memory shipment = _checkShipment(lotId, shipmentId);
        (uint256 orgId, , uint32 capabilities) = _activeOrg(0);
        if (orgId != shipment.toOrg) revert SupplyNotShipmentParty(shipmentId, orgId);
        Lot storage lot;
        if (shipment.forDestruction) {
            lot = _lots[lotId];
        } else {
            _checkCapability(orgId, capabilities, Capabilities.TRADE);
            lot = _checkSaleable(lotId);
            _checkPartner(shipment.fromOrg);
        }
        _settle(lotId, lot, shipmentId, orgId, shipment.quantity, shipment.forDestruction);
        emit ShipmentAccepted(lotId, shipmentId, orgId, shipment.fromOrg, shipment.quantity, epcisEventHash, tiTsHash);
    }

    /// @inheritdoc ISupplyChain
    function rejectShipment(
        bytes32 lotId,
        uint256 shipmentId,
        bytes32 epcisEventHash,
        bytes32 reasonHash
    ) external whenNotPaused {
        Shipment memory shipment = _checkShipment(lotId, shipmentId);
        (uint256 orgId, , ) = _activeOrg(0);
        if (orgId != shipment.toOrg) revert SupplyNotShipmentParty(shipmentId, orgId);
        // The receiver took part in the lot's custody (it may correct this event), though it holds nothing.
        _holdings[lotId][orgId].party = true;
        _settle(lotId, _lots[lotId], shipmentId, shipment.fromOrg, shipment.quantity, false);
        emit ShipmentRejected(lotId, shipmentId, orgId, epcisEventHash, reasonHash);
    }

    /// @inheritdoc ISupplyChain
    function cancelShipment(bytes32 lotId, uint256 shipmentId, bytes32 epcisEventHash) external whenNotPaused {
        Shipment memory shipment = _checkShipment(lotId, shipmentId);
        (uint256 orgId, , ) = _activeOrg(0);
        if (orgId != shipment.fromOrg) revert SupplyNotShipmentParty(shipmentId, orgId);
        _settle(lotId, _lots[lotId], shipmentId, orgId, shipment.quantity, false);
        emit ShipmentCancelled(lotId, shipmentId, orgId, epcisEventHash);
    }

    /// @inheritdoc ISupplyChain
    function dispense(
        bytes32 lotId,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof,
        bytes32 epcisEventHash
    ) external whenNotPaused {
        (uint256 orgId, IIdentityRegistry.OrgKind kind, ) = _activeOrg(Capabilities.DISPENSE);
        // One read of each slot: this is the hot path (a pharmacy's every pack).
        Lot storage record = _lots[lotId];
        Lot memory lot = record;
        if (lot.status == LotStatus.None) revert SupplyUnknownLot(lotId);
        LotLifecycle.checkSaleable(lotId, lot.status, lot.released, lot.expiry);
        Holding storage holding = _holdings[lotId][orgId];
        Holding memory held = holding;
        if (held.quantity == 0) revert SupplyInsufficientStock(lotId, orgId, 0, 1);
        if (held.quarantined) revert SupplyStockQuarantined(lotId, orgId);
        _checkProof(lotId, lot.quantity, lot.serialsRoot, serialHash, index, proof);

        _markDispensed(lotId, index, serialHash, kind);
        unchecked {
            // held.quantity >= 1 was checked above; dispensed < quantity, since this unit was not dispensed.
            holding.quantity = held.quantity - 1;
            record.dispensed = lot.dispensed + 1;
        }
        emit UnitDispensed(lotId, orgId, serialHash, index, epcisEventHash);
    }

    /// @inheritdoc ISupplyChain
    function destroy(bytes32 lotId, uint64 quantity, bytes32 epcisEventHash) external whenNotPaused {
        Lot storage lot = _checkLot(lotId);
        (uint256 orgId, , ) = _activeOrg(0);
        if (quantity == 0) revert SupplyZeroQuantity();
        Holding storage holding = _holdings[lotId][orgId];
        Holding memory held = holding;
        uint256 destroyable = uint256(held.quantity) + held.awaitingDestruction;
        if (destroyable < quantity) revert SupplyInsufficientStock(lotId, orgId, destroyable, quantity);
        unchecked {
            // Units awaiting destruction go first, then saleable ones: quantity <= their sum was checked
            // above; destroyed <= the lot's quantity, a uint32.
            uint64 fromAwaiting = held.awaitingDestruction < quantity ? held.awaitingDestruction : quantity;
            holding.awaitingDestruction = held.awaitingDestruction - fromAwaiting;
            holding.quantity = held.quantity - (quantity - fromAwaiting);
            lot.destroyed += uint32(quantity);
        }
        emit UnitsDestroyed(lotId, orgId, quantity, epcisEventHash);
    }

    /// @inheritdoc ISupplyChain
    function verifySaleableReturn(
        bytes32 lotId,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof,
        bytes32 epcisEventHash
    ) external whenNotPaused {
        Lot storage lot = _checkLot(lotId);
        (uint256 orgId, , ) = _activeOrg(Capabilities.TRADE);
        if (_holdings[lotId][orgId].quantity == 0) revert SupplyNotHolder(lotId, orgId);
        _checkUnit(lotId, lot, serialHash, index, proof);
        if (_dispensedKind(lotId, index) != IIdentityRegistry.OrgKind.None) {
            revert SupplyAlreadyDispensed(lotId, index, serialHash);
        }
        emit SaleableReturnVerified(lotId, orgId, serialHash, index, epcisEventHash);
    }

    /// @inheritdoc ISupplyChain
    function reportSuspect(bytes32 lotId, bytes32 serialHash, bytes32 reasonHash) external whenNotPaused {
        emit SuspectReported(lotId, msg.sender, serialHash, reasonHash);
    }

    /// @inheritdoc ISupplyChain
    function correctEvent(
        bytes32 lotId,
        bytes32 correctedEpcisEventHash,
        bytes32 newEpcisEventHash,
        bytes32 reasonHash
    ) external whenNotPaused {
        (uint256 orgId, , ) = _activeOrg(0);
        if (!_holdings[lotId][orgId].party) revert SupplyNotEventParty(correctedEpcisEventHash, lotId, orgId);
        emit EventCorrected(correctedEpcisEventHash, newEpcisEventHash, orgId, reasonHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISupplyChain
    function verifyUnit(
        uint64 gtin,
        bytes32 lotHash,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof
    )
        external
        view
        returns (bool authentic, UnitStatus status, uint64 expiry, IIdentityRegistry.OrgKind dispensedByKind)
    {
        bytes32 lotId = lotIdOf(gtin, lotHash);
        Lot memory lot = _lots[lotId];
        if (lot.status == LotStatus.None || index >= lot.quantity)
            return (false, UnitStatus.Unknown, 0, dispensedByKind);
        if (!SerialProof.verify(proof, lot.serialsRoot, SerialProof.leaf(index, serialHash))) {
            return (false, UnitStatus.Unknown, 0, dispensedByKind);
        }
        dispensedByKind = _dispensedKind(lotId, index);
        status = LotLifecycle.unitStatus(lot, dispensedByKind != IIdentityRegistry.OrgKind.None);
        return (true, status, lot.expiry, dispensedByKind);
    }

    /// @inheritdoc ISupplyChain
    function lotIdOf(uint64 gtin, bytes32 lotHash) public pure returns (bytes32) {
        return keccak256(abi.encode(gtin, lotHash));
    }

    /// @inheritdoc ISupplyChain
    function serialLeaf(uint256 index, bytes32 serialHash) external pure returns (bytes32) {
        return SerialProof.leaf(index, serialHash);
    }

    /// @inheritdoc ISupplyChain
    function getLot(bytes32 lotId) external view returns (Lot memory) {
        return _lots[lotId];
    }

    /// @inheritdoc ISupplyChain
    function holdingOf(bytes32 lotId, uint256 orgId) external view returns (Holding memory) {
        return _holdings[lotId][orgId];
    }

    /// @inheritdoc ISupplyChain
    function lotTotals(bytes32 lotId) external view returns (LotTotals memory totals) {
        Lot memory lot = _lots[lotId];
        totals.inTransit = lot.inTransit;
        totals.dispensed = lot.dispensed;
        totals.destroyed = lot.destroyed;
        // Only the manufacturer receives returns for destruction.
        totals.awaitingDestruction = uint32(_holdings[lotId][lot.manufacturerId].awaitingDestruction);
        // The rest is held: the counters never exceed the quantity together (conservation).
        totals.held = lot.quantity - lot.inTransit - lot.dispensed - lot.destroyed - totals.awaitingDestruction;
    }

    /// @inheritdoc ISupplyChain
    function isRegulatorHold(bytes32 lotId) external view returns (bool) {
        return _regulatorHolds[lotId] && _lots[lotId].status == LotStatus.Quarantined;
    }

    /// @inheritdoc ISupplyChain
    function getShipment(bytes32 lotId, uint256 shipmentId) external view returns (Shipment memory) {
        return _shipments[lotId][shipmentId];
    }

    /// @inheritdoc ISupplyChain
    function shipmentCount() external view returns (uint256) {
        return _shipmentCount;
    }

    /// @inheritdoc ISupplyChain
    function dispensedBy(bytes32 lotId, uint256 index) external view returns (IIdentityRegistry.OrgKind) {
        return _dispensedKind(lotId, index);
    }

    /// @inheritdoc ISupplyChain
    function isLabDesignated(uint256 manufacturerId, uint256 labId) external view returns (bool) {
        return _designatedLabs[manufacturerId][labId];
    }

    /// @inheritdoc ISupplyChain
    function identity() external view returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    // ------------------------------------------------------------------ internal: checks

    /// @dev The caller's active organisation, holding every bit of `capability` (0: any).
    function _activeOrg(
        uint32 capability
    ) private view returns (uint256 orgId, IIdentityRegistry.OrgKind kind, uint32 capabilities) {
        (orgId, kind, capabilities) = _IDENTITY.activeRoleOf(msg.sender);
        if (orgId == 0) _refuseInactiveCaller();
        _checkCapability(orgId, capabilities, capability);
    }

    /// @dev The refusal path of a caller without an active organisation: the registry names its
    ///      organisation and why it is not active (`IdentityOrganizationNotActive` / `…Expired`); an account
    ///      that operates for no organisation at all gets `SupplyNoActiveOrganization`.
    function _refuseInactiveCaller() private view {
        _IDENTITY.requireActiveOrganization(msg.sender);
        revert SupplyNoActiveOrganization(msg.sender);
    }

    /// @dev Reverts unless trading partner `orgId` is active; the refusal carries its status and licence end.
    function _checkPartner(uint256 orgId) private view {
        if (!_IDENTITY.isActiveOrganization(orgId)) {
            IIdentityRegistry.Organization memory org = _IDENTITY.getOrganization(orgId);
            revert SupplyPartnerNotAuthorized(orgId, org.status, org.validUntil);
        }
    }

    function _checkCapability(uint256 orgId, uint32 capabilities, uint32 needed) private pure {
        if (capabilities & needed != needed) revert SupplyMissingCapability(orgId, needed);
    }

    function _checkLot(bytes32 lotId) private view returns (Lot storage lot) {
        lot = _lots[lotId];
        if (lot.status == LotStatus.None) revert SupplyUnknownLot(lotId);
    }

    function _checkSaleable(bytes32 lotId) private view returns (Lot storage lot) {
        lot = _checkLot(lotId);
        LotLifecycle.checkSaleable(lotId, lot.status, lot.released, lot.expiry);
    }

    /// @dev The caller is an operator of the lot's (active) manufacturer, or else a REGULATOR (`byRegulator`).
    ///      A caller whose own organisation is not active is told why (the registry's refusal).
    function _checkLotAuthority(bytes32 lotId) private view returns (Lot storage lot, bool byRegulator) {
        lot = _checkLot(lotId);
        (uint256 orgId, ) = _IDENTITY.activeOrganizationOf(msg.sender);
        if (orgId == lot.manufacturerId) return (lot, false);
        (bool isRegulator, ) = IAccessManager(authority()).hasRole(Roles.REGULATOR, msg.sender);
        if (!isRegulator) {
            if (orgId == 0) _IDENTITY.requireActiveOrganization(msg.sender);
            revert SupplyUnauthorized(msg.sender, lotId);
        }
        byRegulator = true;
    }

    function _checkStock(bytes32 lotId, uint256 orgId, uint64 wanted) private view returns (Holding storage holding) {
        if (wanted == 0) revert SupplyZeroQuantity();
        holding = _holdings[lotId][orgId];
        uint64 held = holding.quantity;
        if (held < wanted) revert SupplyInsufficientStock(lotId, orgId, held, wanted);
    }

    function _checkShipment(bytes32 lotId, uint256 shipmentId) private view returns (Shipment memory shipment) {
        shipment = _shipments[lotId][shipmentId];
        if (shipment.fromOrg == 0) revert SupplyUnknownShipment(lotId, shipmentId);
    }

    /// @dev Reverts unless `index` < quantity and `proof` places (index, serialHash) under the lot's root.
    function _checkUnit(
        bytes32 lotId,
        Lot storage lot,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof
    ) private view {
        uint32 quantity = lot.quantity;
        if (index >= quantity) revert SupplyIndexOutOfRange(lotId, index, quantity);
        if (!SerialProof.verify(proof, lot.serialsRoot, SerialProof.leaf(index, serialHash))) {
            revert SupplyInvalidProof(lotId, index, serialHash);
        }
    }

    // ------------------------------------------------------------------ internal: effects

    function _setStatus(Lot storage lot, bytes32 lotId, LotStatus to, bytes32 reasonHash) private {
        lot.transition(lotId, to);
        emit LotStatusChanged(lotId, to, msg.sender, reasonHash);
    }

    function _createShipment(
        bytes32 lotId,
        Lot storage lot,
        Holding storage holding,
        uint256 fromOrg,
        uint256 toOrg,
        uint64 quantity,
        bool forDestruction,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    ) private returns (uint256 shipmentId) {
        unchecked {
            // The caller checked holding.quantity >= quantity, so in transit stays <= the lot's quantity (a
            // uint32); shipment ids cannot reach 2^256.
            holding.quantity -= quantity;
            lot.inTransit += uint32(quantity);
            shipmentId = ++_shipmentCount;
        }
        // Org ids come from the registry, whose accounts store them as uint64.
        _shipments[lotId][shipmentId] = Shipment({
            fromOrg: uint64(fromOrg),
            toOrg: uint64(toOrg),
            quantity: quantity,
            forDestruction: forDestruction
        });
        emit Shipped(lotId, shipmentId, fromOrg, toOrg, quantity, forDestruction, epcisEventHash, tiTsHash);
    }

    /// @dev Closes a pending shipment, crediting its units to `holderId` (receiver or sender): to its saleable
    ///      stock, or, for a return for destruction the manufacturer accepts, to its units awaiting destruction.
    function _settle(
        bytes32 lotId,
        Lot storage lot,
        uint256 shipmentId,
        uint256 holderId,
        uint64 quantity,
        bool toDestroy
    ) private {
        delete _shipments[lotId][shipmentId];
        Holding storage holding = _holdings[lotId][holderId];
        unchecked {
            // The shipment's units were counted in transit; every holding of a lot is at most its quantity.
            lot.inTransit -= uint32(quantity);
            if (toDestroy) {
                holding.awaitingDestruction += quantity;
            } else {
                Holding memory held = holding;
                held.quantity += quantity;
                held.party = true;
                _holdings[lotId][holderId] = held;
            }
        }
    }

    /// @dev Reverts unless `index` < `quantity` and `proof` places (index, serialHash) under `root`.
    function _checkProof(
        bytes32 lotId,
        uint32 quantity,
        bytes32 root,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof
    ) private pure {
        if (index >= quantity) revert SupplyIndexOutOfRange(lotId, index, quantity);
        if (!SerialProof.verify(proof, root, SerialProof.leaf(index, serialHash))) {
            revert SupplyInvalidProof(lotId, index, serialHash);
        }
    }

    /// @dev Marks unit `index` dispensed by an organisation of `kind`, or reverts if it already was (a clone).
    function _markDispensed(bytes32 lotId, uint256 index, bytes32 serialHash, IIdentityRegistry.OrgKind kind) private {
        mapping(uint256 => uint256) storage words = _dispensedKinds[lotId];
        uint256 word = words[index >> 6];
        uint256 shift = (index & 63) << 2;
        if ((word >> shift) & 0xf != 0) revert SupplyAlreadyDispensed(lotId, index, serialHash);
        words[index >> 6] = word | (uint256(kind) << shift);
    }

    // ------------------------------------------------------------------ internal: pure helpers

    function _dispensedKind(bytes32 lotId, uint256 index) private view returns (IIdentityRegistry.OrgKind) {
        return IIdentityRegistry.OrgKind((_dispensedKinds[lotId][index >> 6] >> ((index & 63) << 2)) & 0xf);
    }

    /// @dev Digits 2..(1 + prefixLength) of the 14-digit GTIN are the company prefix.
    function _underPrefix(uint64 gtin, uint40 companyPrefix, uint8 prefixLength) private pure returns (bool) {
        if (prefixLength == 0 || gtin >= _GTIN_LIMIT) return false;
        return (gtin / 10 ** (13 - uint256(prefixLength))) % 10 ** uint256(prefixLength) == companyPrefix;
    }
}
