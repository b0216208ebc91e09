// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IIdentityRegistry} from "./IIdentityRegistry.sol";

/// @title ISupplyChain
/// @notice Drug traceability in the DSCSA / GS1 EPCIS style. Manufacturers commission serialised lots
///         (the serials committed as one Merkle root), custody moves per lot quantity in two phases (ship,
///         then accept or reject; the sender may cancel), pharmacies dispense single units with a Merkle
///         proof (a second dispense of a serial is a cloned pack), labs release lots, manufacturers and
///         regulators quarantine and recall them, and anyone verifies a pack.
/// @dev Serials and lot numbers never go on chain in clear: a serial is `serialHash = keccak256(serial)`,
///      a lot is `lotHash`, and `lotId = keccak256(abi.encode(uint64 gtin, bytes32 lotHash))`. A leaf is
///      `keccak256(bytes.concat(keccak256(abi.encode(uint256 index, bytes32 serialHash))))`, index < quantity.
///      Units are conserved, per lot: held + in transit + dispensed + destroyed + awaiting destruction =
///      quantity. `held` is the saleable holdings; units returned for destruction and accepted by the
///      manufacturer are counted apart (`awaitingDestruction`) and can only be destroyed. The lot's record
///      keeps the in-transit and dispensed counters in its first slot (which every custody call reads
///      anyway), so `lotTotals` answers all five in one call.
interface ISupplyChain {
    // ------------------------------------------------------------------ types

    /// @notice Life of a lot. Recalled and Illegitimate are final; Quarantined returns to Active when cleared.
    enum LotStatus {
        None,
        Active,
        Quarantined,
        Recalled,
        Illegitimate
    }

    /// @notice What `verifyUnit` says of a pack. `Unknown`: not authentic (unknown lot, bad proof or index).
    enum UnitStatus {
        Unknown,
        Active,
        Unreleased,
        Dispensed,
        Quarantined,
        Expired,
        Recalled,
        Illegitimate
    }

    /// @notice A lot: one packed slot plus its serials root.
    /// @param manufacturerId The organisation that commissioned it.
    /// @param expiry End of shelf life, unix seconds: expired from this instant (at most 2^48 - 1).
    /// @param quantity Units commissioned (leaf indexes run from 0 to quantity - 1).
    /// @param destroyed Units decommissioned (destroyed) so far.
    /// @param inTransit Units in pending shipments (ordinary or for destruction).
    /// @param dispensed Units dispensed to patients (the marks of the dispensed map).
    /// @param status Active, Quarantined, Recalled or Illegitimate.
    /// @param released Whether a passing quality check released it (required to ship); a failing check
    ///        withdraws it.
    /// @param serialsRoot Merkle root of the lot's (index, serialHash) leaves.
    struct Lot {
        uint64 manufacturerId;
        uint48 expiry;
        uint32 quantity;
        uint32 destroyed;
        uint32 inTransit;
        uint32 dispensed;
        LotStatus status;
        bool released;
        bytes32 serialsRoot;
    }

    /// @notice The units of a lot an organisation holds, and whether it quarantined them itself.
    /// @param quantity Saleable units held (they ship, dispense and destroy).
    /// @param quarantined The holder quarantined its own stock.
    /// @param awaitingDestruction Units returned for destruction and accepted (only the lot's manufacturer
    ///        has any): they can only be destroyed, never shipped or dispensed.
    /// @param party The organisation took part in the lot's custody (commissioned, accepted or rejected a
    ///        shipment of it): it may correct the lot's EPCIS events.
    struct Holding {
        uint64 quantity;
        bool quarantined;
        uint64 awaitingDestruction;
        bool party;
    }

    /// @notice What `lotTotals` answers: where every commissioned unit of a lot is now. The five add up
    ///         to the lot's quantity.
    /// @param held Saleable units held by organisations.
    /// @param inTransit Units in pending shipments.
    /// @param dispensed Units dispensed to patients.
    /// @param destroyed Units destroyed.
    /// @param awaitingDestruction Units returned to the manufacturer for destruction, not destroyed yet.
    struct LotTotals {
        uint32 held;
        uint32 inTransit;
        uint32 dispensed;
        uint32 destroyed;
        uint32 awaitingDestruction;
    }

    /// @notice A pending shipment, in one slot. Deleted when accepted, rejected or cancelled.
    /// @param fromOrg Sender. @param toOrg Receiver. @param quantity Units in transit.
    /// @param forDestruction A return to the manufacturer for destruction (allowed whatever the lot's status).
    struct Shipment {
        uint64 fromOrg;
        uint64 toOrg;
        uint64 quantity;
        bool forDestruction;
    }

    // ------------------------------------------------------------------ events

    /// @notice A manufacturer commissioned a lot of `quantity` serialised units, which it now holds.
    event LotCommissioned(
        bytes32 indexed lotId,
        uint256 indexed manufacturerId,
        uint64 indexed gtin,
        bytes32 lotHash,
        uint64 expiry,
        uint32 quantity,
        bytes32 serialsRoot,
        bytes32 epcisEventHash
    );
    /// @notice `fromOrg` shipped `quantity` units to `toOrg` (pending until accepted, rejected or cancelled).
    event Shipped(
        bytes32 indexed lotId,
        uint256 indexed shipmentId,
        uint256 indexed fromOrg,
        uint256 toOrg,
        uint64 quantity,
        bool forDestruction,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    );
    /// @notice `toOrg` accepted the shipment: it now holds the units.
    event ShipmentAccepted(
        bytes32 indexed lotId,
        uint256 indexed shipmentId,
        uint256 indexed toOrg,
        uint256 fromOrg,
        uint64 quantity,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    );
    /// @notice `toOrg` rejected the shipment: the units went back to the sender.
    event ShipmentRejected(
        bytes32 indexed lotId,
        uint256 indexed shipmentId,
        uint256 indexed toOrg,
        bytes32 epcisEventHash,
        bytes32 reasonHash
    );
    /// @notice The sender cancelled the shipment before acceptance: the units went back to it.
    event ShipmentCancelled(
        bytes32 indexed lotId,
        uint256 indexed shipmentId,
        uint256 indexed fromOrg,
        bytes32 epcisEventHash
    );
    /// @notice `orgId` dispensed the unit (`index`, `serialHash`) to a patient (its kind is in `dispensedBy`).
    event UnitDispensed(
        bytes32 indexed lotId,
        uint256 indexed orgId,
        bytes32 indexed serialHash,
        uint256 index,
        bytes32 epcisEventHash
    );
    /// @notice `orgId` decommissioned (destroyed) `quantity` units it held.
    event UnitsDestroyed(bytes32 indexed lotId, uint256 indexed orgId, uint64 quantity, bytes32 epcisEventHash);
    /// @notice `orgId` re-verified a returned unit before resale: authentic and not dispensed.
    event SaleableReturnVerified(
        bytes32 indexed lotId,
        uint256 indexed orgId,
        bytes32 indexed serialHash,
        uint256 index,
        bytes32 epcisEventHash
    );
    /// @notice `reporter` raised a suspicion about a lot or a unit (no state change).
    event SuspectReported(bytes32 indexed lotId, address indexed reporter, bytes32 serialHash, bytes32 reasonHash);
    /// @notice `orgId` declared EPCIS event `correctedEpcisEventHash` wrong, replaced by `newEpcisEventHash`.
    event EventCorrected(
        bytes32 indexed correctedEpcisEventHash,
        bytes32 indexed newEpcisEventHash,
        uint256 indexed orgId,
        bytes32 reasonHash
    );
    /// @notice A manufacturer designated (or stopped designating) a lab to check its lots.
    event LabDesignated(uint256 indexed manufacturerId, uint256 indexed labId, bool designated);
    /// @notice `orgId` recorded a quality check; a pass releases the lot, a failure quarantines it.
    event QualityChecked(bytes32 indexed lotId, uint256 indexed orgId, bool passed, bytes32 certificateHash);
    /// @notice The lot's status changed (quarantined, cleared, recalled, declared illegitimate) by `by`.
    event LotStatusChanged(bytes32 indexed lotId, LotStatus status, address indexed by, bytes32 reasonHash);
    /// @notice The lot was recalled with FDA-style class 1..3.
    event LotRecalled(bytes32 indexed lotId, uint8 recallClass, address indexed by, bytes32 reasonHash);
    /// @notice `orgId` quarantined (or released) its own stock of the lot.
    event StockQuarantineSet(bytes32 indexed lotId, uint256 indexed orgId, bool quarantined, bytes32 reasonHash);

    // ------------------------------------------------------------------ errors

    /// @notice `account` does not operate for an active organisation (none, suspended, revoked or expired).
    error SupplyNoActiveOrganization(address account);
    /// @notice Organisation `orgId` lacks capability bits `capability`.
    error SupplyMissingCapability(uint256 orgId, uint32 capability);
    /// @notice The trading partner `orgId` is not active: its `status` (None: unknown) and `validUntil` (the
    ///         end of its licence, past when it lapsed) say why.
    error SupplyPartnerNotAuthorized(uint256 orgId, IIdentityRegistry.OrgStatus status, uint64 validUntil);
    /// @notice `gtin` is not a 14-digit GTIN under company prefix `companyPrefix` of `prefixLength` digits.
    error SupplyGtinOutsidePrefix(uint64 gtin, uint40 companyPrefix, uint8 prefixLength);
    /// @notice Lot `lotId` was already commissioned.
    error SupplyLotExists(bytes32 lotId);
    /// @notice Lot `lotId` does not exist.
    error SupplyUnknownLot(bytes32 lotId);
    /// @notice A quantity must be positive.
    error SupplyZeroQuantity();
    /// @notice The expiry `expiry` is not in the future (now `nowTs`).
    error SupplyExpiryInPast(uint64 expiry, uint256 nowTs);
    /// @notice The expiry `expiry` is past the last one a lot records, `latest` (2^48 - 1).
    error SupplyExpiryTooLate(uint64 expiry, uint64 latest);
    /// @notice Lot `lotId` expired at `expiry`.
    error SupplyLotExpired(bytes32 lotId, uint64 expiry);
    /// @notice Lot `lotId` is `status`: it cannot ship, be accepted or be dispensed.
    error SupplyLotNotSaleable(bytes32 lotId, LotStatus status);
    /// @notice Lot `lotId` has not been released by a passing quality check.
    error SupplyLotNotReleased(bytes32 lotId);
    /// @notice `orgId` quarantined its own stock of `lotId`.
    error SupplyStockQuarantined(bytes32 lotId, uint256 orgId);
    /// @notice `orgId` holds `held` units of `lotId`, fewer than `wanted`.
    error SupplyInsufficientStock(bytes32 lotId, uint256 orgId, uint256 held, uint256 wanted);
    /// @notice An organisation cannot ship to itself (`orgId`).
    error SupplySelfShipment(uint256 orgId);
    /// @notice No pending shipment `shipmentId` of lot `lotId`.
    error SupplyUnknownShipment(bytes32 lotId, uint256 shipmentId);
    /// @notice `orgId` is not the party to shipment `shipmentId` that may do this.
    error SupplyNotShipmentParty(uint256 shipmentId, uint256 orgId);
    /// @notice `index` is not below the lot's quantity `quantity`.
    error SupplyIndexOutOfRange(bytes32 lotId, uint256 index, uint32 quantity);
    /// @notice The proof does not place (`index`, `serialHash`) in lot `lotId`'s serials root.
    error SupplyInvalidProof(bytes32 lotId, uint256 index, bytes32 serialHash);
    /// @notice The unit (`index`, `serialHash`) of `lotId` was already dispensed: a cloned pack.
    error SupplyAlreadyDispensed(bytes32 lotId, uint256 index, bytes32 serialHash);
    /// @notice `caller` is neither the lot's manufacturer nor a REGULATOR.
    error SupplyUnauthorized(address caller, bytes32 lotId);
    /// @notice Organisation `orgId` is not a Lab.
    error SupplyNotLab(uint256 orgId);
    /// @notice `orgId` is neither lot `lotId`'s manufacturer nor a lab it designated.
    error SupplyQualityCheckerNotDesignated(bytes32 lotId, uint256 orgId);
    /// @notice Lot `lotId` cannot move from `from` to `to`.
    error SupplyInvalidTransition(bytes32 lotId, LotStatus from, LotStatus to);
    /// @notice A recall class is 1, 2 or 3: got `recallClass`.
    error SupplyInvalidRecallClass(uint8 recallClass);
    /// @notice `orgId` holds no units of `lotId`.
    error SupplyNotHolder(bytes32 lotId, uint256 orgId);
    /// @notice A REGULATOR quarantined lot `lotId`: only a REGULATOR clears it, not `caller`.
    error SupplyQuarantineHeldByRegulator(bytes32 lotId, address caller);
    /// @notice `orgId` took no part in lot `lotId`'s custody, so it cannot correct its event
    ///         `correctedEpcisEventHash`.
    error SupplyNotEventParty(bytes32 correctedEpcisEventHash, bytes32 lotId, uint256 orgId);

    // ------------------------------------------------------------------ PAUSER / ADMIN

    /// @notice Stops every write. PAUSER.
    function pause() external;

    /// @notice Resumes writes. ADMIN.
    function unpause() external;

    // ------------------------------------------------------------------ lots

    /// @notice Commissions a serialised lot; the caller's organisation (MANUFACTURE, GTIN under its company
    ///         prefix) then holds `quantity` units. Costs the same for 1 unit or 1,000,000.
    /// @param gtin The 14-digit GTIN as a number.
    /// @param lotHash keccak256 of the lot number (the lot never goes on chain in clear).
    /// @param expiry End of shelf life (future).
    /// @param quantity Units in the lot (> 0).
    /// @param serialsRoot Merkle root of the leaves (index, serialHash), index < quantity.
    /// @param epcisEventHash Hash of the EPCIS commissioning event.
    /// @return lotId `keccak256(abi.encode(gtin, lotHash))`.
    function commissionLot(
        uint64 gtin,
        bytes32 lotHash,
        uint64 expiry,
        uint32 quantity,
        bytes32 serialsRoot,
        bytes32 epcisEventHash
    ) external returns (bytes32 lotId);

    /// @notice Designates (or stops designating) a Lab to record quality checks of the caller's lots.
    ///         An operator of a MANUFACTURE organisation.
    function setLabDesignation(uint256 labId, bool designated) external;

    /// @notice Records a quality check of a lot that is neither recalled nor illegitimate. The lot's
    ///         manufacturer or a designated Lab with QUALITY_CONTROL. A pass releases the lot (a quarantine
    ///         stays until cleared); a failure withdraws the release and quarantines it, so clearing the
    ///         quarantine does not make it saleable without a new passing check.
    function qualityCheck(bytes32 lotId, bool passed, bytes32 certificateHash) external;

    /// @notice Quarantines a whole lot (an excursion, a suspicion). Its manufacturer or a REGULATOR. A
    ///         REGULATOR's quarantine is a regulator's hold (also over a lot already quarantined by its
    ///         manufacturer): only a REGULATOR clears it.
    function quarantineLot(bytes32 lotId, bytes32 reasonHash) external;

    /// @notice Clears a lot's quarantine. Its manufacturer or a REGULATOR; a REGULATOR's hold only by a
    ///         REGULATOR. Clearing does not release a lot whose last quality check failed.
    function clearQuarantine(bytes32 lotId, bytes32 reasonHash) external;

    /// @notice Declares a lot illegitimate (final; the event feeds the 24-hour DSCSA notice). Its
    ///         manufacturer or a REGULATOR.
    function declareIllegitimate(bytes32 lotId, bytes32 reasonHash) external;

    /// @notice Recalls a lot (final). Its manufacturer or a REGULATOR.
    /// @param recallClass 1 (most serious), 2 or 3.
    function recallLot(bytes32 lotId, uint8 recallClass, bytes32 reasonHash) external;

    /// @notice A holder quarantines (or releases) its own stock of a lot: it cannot ship or dispense it.
    function setStockQuarantine(bytes32 lotId, bool quarantined, bytes32 reasonHash) external;

    // ------------------------------------------------------------------ custody

    /// @notice Ships units the caller's organisation holds to an active TRADE partner; pending until the
    ///         receiver accepts. The lot must be released, not expired, quarantined or recalled.
    /// @return shipmentId A sequential id (from 1).
    function ship(
        bytes32 lotId,
        uint256 toOrg,
        uint64 quantity,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    ) external returns (uint256 shipmentId);

    /// @notice Returns units to the lot's manufacturer for destruction; allowed whatever the lot's status.
    /// @return shipmentId A sequential id (from 1).
    function returnForDestruction(
        bytes32 lotId,
        uint64 quantity,
        bytes32 epcisEventHash,
        bytes32 tiTsHash
    ) external returns (uint256 shipmentId);

    /// @notice The receiver accepts a pending shipment and holds its units. Both sides must be active; an
    ///         ordinary shipment also needs a saleable lot. A return for destruction does not: its units go
    ///         to the manufacturer's `awaitingDestruction`, never to its saleable stock.
    function acceptShipment(bytes32 lotId, uint256 shipmentId, bytes32 epcisEventHash, bytes32 tiTsHash) external;

    /// @notice The receiver rejects a pending shipment: the units go back to the sender. Always allowed.
    function rejectShipment(bytes32 lotId, uint256 shipmentId, bytes32 epcisEventHash, bytes32 reasonHash) external;

    /// @notice The sender cancels a pending shipment: the units come back. Always allowed.
    function cancelShipment(bytes32 lotId, uint256 shipmentId, bytes32 epcisEventHash) external;

    /// @notice Dispenses one unit to a patient: a DISPENSE organisation holding units of a saleable lot
    ///         proves (`index`, `serialHash`) is in the lot and marks it dispensed. A second dispense fails.
    function dispense(
        bytes32 lotId,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof,
        bytes32 epcisEventHash
    ) external;

    /// @notice Decommissions (destroys) units the caller's organisation holds, those awaiting destruction
    ///         first, then saleable ones; allowed whatever the status.
    function destroy(bytes32 lotId, uint64 quantity, bytes32 epcisEventHash) external;

    /// @notice A holder re-verifies a unit returned to it before resale: authentic and not dispensed.
    function verifySaleableReturn(
        bytes32 lotId,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof,
        bytes32 epcisEventHash
    ) external;

    /// @notice Anyone raises a suspicion about a lot or a unit (an event only).
    function reportSuspect(bytes32 lotId, bytes32 serialHash, bytes32 reasonHash) external;

    /// @notice An active organisation that took part in lot `lotId`'s custody (its manufacturer, or an
    ///         organisation that accepted or rejected a shipment of it: `Holding.party`) declares one of the
    ///         lot's EPCIS events wrong and names the new one (EPCIS errorDeclaration). Nothing is
    ///         overwritten.
    /// @dev The chain keeps no record of each event hash (that would cost every custody call a new slot), so
    ///      "party" is checked per lot; whether the corrector sent or received the corrected event itself is
    ///      checked against the logs by the SDK's timeline (`byOriginator`).
    function correctEvent(
        bytes32 lotId,
        bytes32 correctedEpcisEventHash,
        bytes32 newEpcisEventHash,
        bytes32 reasonHash
    ) external;

    // ------------------------------------------------------------------ views

    /// @notice Verifies a pack: authentic (lot known, index < quantity, proof valid), its status, the
    ///         lot's expiry, and the kind of the organisation that dispensed it (None if not dispensed).
    function verifyUnit(
        uint64 gtin,
        bytes32 lotHash,
        bytes32 serialHash,
        uint256 index,
        bytes32[] calldata proof
    )
        external
        view
        returns (bool authentic, UnitStatus status, uint64 expiry, IIdentityRegistry.OrgKind dispensedByKind);

    /// @notice `keccak256(abi.encode(gtin, lotHash))`.
    function lotIdOf(uint64 gtin, bytes32 lotHash) external pure returns (bytes32);

    /// @notice The leaf of unit (`index`, `serialHash`): the double hash of its ABI encoding.
    function serialLeaf(uint256 index, bytes32 serialHash) external pure returns (bytes32);

    /// @notice A lot's record (status None when unknown).
    function getLot(bytes32 lotId) external view returns (Lot memory);

    /// @notice What `orgId` holds of `lotId`.
    function holdingOf(bytes32 lotId, uint256 orgId) external view returns (Holding memory);

    /// @notice Where every unit of `lotId` is: held, in transit, dispensed, destroyed, awaiting destruction
    ///         (the five add up to its quantity; all zero for an unknown lot). One call, no enumeration.
    function lotTotals(bytes32 lotId) external view returns (LotTotals memory);

    /// @notice Whether `lotId` is quarantined under a REGULATOR's hold (only a REGULATOR clears it).
    function isRegulatorHold(bytes32 lotId) external view returns (bool);

    /// @notice A pending shipment (zero when none).
    function getShipment(bytes32 lotId, uint256 shipmentId) external view returns (Shipment memory);

    /// @notice The number of shipments created so far (ids run from 1 to this).
    function shipmentCount() external view returns (uint256);

    /// @notice The kind of organisation that dispensed unit `index` of `lotId` (None when not dispensed).
    function dispensedBy(bytes32 lotId, uint256 index) external view returns (IIdentityRegistry.OrgKind);

    /// @notice Whether `manufacturerId` designated `labId` to check its lots.
    function isLabDesignated(uint256 manufacturerId, uint256 labId) external view returns (bool);

    /// @notice The identity registry read for every check.
    function identity() external view returns (IIdentityRegistry);
}
