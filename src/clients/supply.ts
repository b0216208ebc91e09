/**
 * The SupplyChain client (DESIGN.md §4): commissions a serialised lot from its serial list (building
 * the Merkle tree in a {@link SerialProofStore}), moves custody, and verifies a scanned pack.
 *
 * `verifyPack` is what a pharmacist runs before handing a pack over: GS1 scan → (index, proof) from the
 * proof store → `verifyUnit` at the latest block. Its answer keeps three cases apart:
 * - `unknown`: the proof store has no such serial in that lot (or the lot is not on this chain) — not
 *   evidence of anything, the store may simply lack the lot;
 * - `counterfeit`: the store knows the serial but the chain's committed root does not (a proof the chain
 *   rejects: a cloned serial, a forged proof, a store fed by a counterfeiter);
 * - `authentic`: the chain accepts the unit; `unitStatus` then says whether it may be handed over
 *   (`active`) or not (`dispensed` — a second scan of a dispensed pack —, `recalled`, `expired`, …).
 *
 * Writes go through the contract's signer and throw {@link MedChainContractError} with the decoded
 * custom error (`SupplyAlreadyDispensed`, `SupplyLotNotSaleable`, …).
 *
 * @module
 */
import type { BaseContract, ContractTransactionReceipt, ContractTransactionResponse, LogDescription } from "ethers";
import { Contract } from "ethers";

import type { SupplyChain } from "../../typechain-types/index.ts";
import { withDecodedErrors } from "../errors.ts";
import { expiryToUnix, type Gs1Expiry, type Gs1ParseOptions, gtinToUint, normalizeGtin, parseGs1 } from "../gs1.ts";
import { lotHash, lotId as lotIdOf, MerkleError, serialHash } from "../merkle.ts";
import { OrgKind, type OrgKindName } from "../roles.ts";
import type { ProofSource, SerialProofStore } from "../serial-store.ts";
import {
  type LogRangeOptions,
  queryFilterPaged,
  resolveLogRange,
  blockTimestamps,
  latestBlockNumber,
} from "../views/paging.ts";
import { type CustodyTimeline, LOT_STATUS_NAMES, type LotStatusName, lotTimeline } from "../views/supply.ts";
import { type EpcisDocument, type EpcisExportOptions, EpcisError, toEpcisDocument } from "../epcis.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** `ISupplyChain.UnitStatus`, by name (`unknown` only for a unit that is not authentic). */
export const UNIT_STATUS_NAMES = [
  "unknown",
  "active",
  "unreleased",
  "dispensed",
  "quarantined",
  "expired",
  "recalled",
  "illegitimate",
] as const;
/** The name of a unit status, as `verifyPack` reports it. */
export type UnitStatusName = (typeof UNIT_STATUS_NAMES)[number];

/** Why a pack is not `authentic`. */
export type PackVerdictReason =
  /** The proof store has no such serial in that lot: nothing can be concluded. */
  | "serial-not-in-store"
  /** The store knows the serial, but the chain has no such lot (another network, not commissioned yet). */
  | "lot-not-on-chain"
  /** The chain rejects the store's proof or index for this serial. */
  | "proof-rejected";

/** What `verifyPack` concludes. */
export interface PackVerification {
  status: "authentic" | "counterfeit" | "unknown";
  /** Set when `status` is not `authentic`. */
  reason?: PackVerdictReason;
  /** The unit's status on chain when authentic (`active` is the only one that may be handed over). */
  unitStatus?: Exclude<UnitStatusName, "unknown">;
  /** `authentic` and `active`: the pack may be handed over. */
  saleable: boolean;
  /** The product: GTIN-14, lot and serial as scanned. */
  gtin: string;
  lot: string;
  serial: string;
  /** The expiry printed on the pack (AI 17). */
  printedExpiry: Gs1Expiry;
  /** The lot's expiry on chain (unix seconds, expired from that instant) when authentic. */
  expiry?: bigint;
  /** Whether the last instant of shelf life on chain (`expiry - 1`) falls on the printed day (UTC). */
  expiryMatchesPack?: boolean;
  /** The kind of organisation that dispensed the unit, when it was dispensed. */
  dispensedByKind?: OrgKindName;
  lotId: string;
  serialHash: string;
  /** The leaf index the proof store gave. */
  index?: bigint;
  /** The block `verifyUnit` was read at. */
  blockNumber: number;
}

/** A lot to commission. */
export interface CommissionLotParams {
  /** GTIN-8/12/13/14 (stored on chain as a number). */
  gtin: string;
  /** Batch/lot number (only its hash goes on chain). */
  lot: string;
  /**
   * End of shelf life: unix seconds (the lot is expired from that instant), or the date printed as AI 17
   * (usable through that whole day, UTC: the chain gets the next midnight).
   */
  expiry: bigint | Pick<Gs1Expiry, "year" | "month" | "day">;
  /** The lot's serials in leaf order (unit `i` is `serials[i]`). */
  serials: readonly string[];
  /** The EPCIS commissioning event's hash. */
  epcisEventHash: string;
}

/** A commissioned lot: its id, serial-tree root and quantity, the values sent on chain, and the receipt. */
export interface CommissionedLot {
  lotId: string;
  root: string;
  quantity: bigint;
  gtin: bigint;
  lotHash: string;
  expiry: bigint;
  receipt: ContractTransactionReceipt;
}

/** A shipment of `quantity` units of a lot to a trading partner. */
export interface ShipParams {
  lotId: string;
  toOrg: bigint;
  quantity: bigint;
  epcisEventHash: string;
  /** Hash of the DSCSA transaction information / statement. */
  tiTsHash: string;
}
/** Units returned to the lot's manufacturer for destruction. */
export interface ReturnForDestructionParams {
  lotId: string;
  quantity: bigint;
  epcisEventHash: string;
  tiTsHash: string;
}
/** The shipment id the chain assigned (from the `Shipped` event) and the receipt. */
export interface ShipmentResult {
  shipmentId: bigint;
  receipt: ContractTransactionReceipt;
}
/** The receiver accepts a pending shipment. */
export interface AcceptShipmentParams {
  lotId: string;
  shipmentId: bigint;
  epcisEventHash: string;
  tiTsHash: string;
}
/** The receiver rejects a pending shipment (the reason's hash goes on chain). */
export interface RejectShipmentParams {
  lotId: string;
  shipmentId: bigint;
  epcisEventHash: string;
  reasonHash: string;
}
/** The sender cancels a pending shipment. */
export interface CancelShipmentParams {
  lotId: string;
  shipmentId: bigint;
  epcisEventHash: string;
}
/** A unit: by serial (hashed here) or by serial hash, with its leaf index and proof. */
export interface SupplyUnitParams {
  lotId: string;
  serial?: string;
  serialHash?: string;
  index: bigint;
  proof: string[];
  epcisEventHash: string;
}
/** A holder destroys `quantity` units of a lot it holds. */
export interface DestroyUnitsParams {
  lotId: string;
  quantity: bigint;
  epcisEventHash: string;
}
/** A quality check of a lot, with the hash of its certificate. */
export interface QualityCheckParams {
  lotId: string;
  passed: boolean;
  certificateHash: string;
}
/** A recall of a lot, with its class and the hash of its reason. */
export interface RecallLotParams {
  lotId: string;
  /** 1 (most serious), 2 or 3. */
  recallClass: number;
  reasonHash: string;
}

/** A unit dispensed shortly before a recall: who should be told. */
export interface DispensedUnit {
  lotId: string;
  orgId: bigint;
  serialHash: string;
  index: bigint;
  epcisEventHash: string;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  timestamp: number;
}

/** `exportEpcis` options: the exporter's, the block range, and the lot number if the store lacks it. */
export type ExportEpcisOptions = Omit<EpcisExportOptions, "lots"> &
  LogRangeOptions & {
    /** The lot number (only its hash is on chain); default: looked up in the store. */
    lot?: string;
  };

/** Where a {@link SupplyClient} finds serial proofs, and how it parses GS1 strings and reads logs. */
/** Where a lot's units are (`SupplyClient.lotTotals`); the five counts add up to `quantity`. */
export interface LotTotals {
  quantity: bigint;
  held: bigint;
  inTransit: bigint;
  dispensed: bigint;
  destroyed: bigint;
  awaitingDestruction: bigint;
}

export interface SupplyClientOptions {
  /** Where `commissionLot` adds lots, and (unless `proofs` is given) where `verifyPack` looks serials up. */
  store?: SerialProofStore;
  /** Where `verifyPack` looks serials up (a database, a web service); default `store`. */
  proofs?: ProofSource;
  /** GS1 parsing options (`referenceYear` for two-digit years). */
  gs1?: Gs1ParseOptions;
  /** Block range defaults for event reads (`fromBlock` = the deployment block). */
  logs?: LogRangeOptions;
}

const MAX_UINT32 = 0xffff_ffffn;
const IDENTITY_ABI = [
  "function getOrganization(uint256 orgId) view returns (tuple(uint8 kind, uint8 status, uint64 validUntil, uint32 capabilities, uint40 companyPrefix, uint8 prefixLength))",
];

// ─── Client ──────────────────────────────────────────────────────────────────────────────────────

/**
 * The SupplyChain client: commission, release, ship, receive, verify and dispense packs, with GS1 parsing
 * and serial proofs from a {@link SerialProofStore} (or any {@link ProofSource}). Writes throw
 * {@link MedChainContractError} with the decoded custom error.
 */
export class SupplyClient {
  constructor(
    /** The SupplyChain binding; writes are sent by its runner. */
    readonly contract: SupplyChain,
    readonly options: SupplyClientOptions = {},
  ) {}

  /** The same client acting through another runner (an operator of another organisation). */
  connect(runner: Parameters<SupplyChain["connect"]>[0]): SupplyClient {
    return new SupplyClient(this.contract.connect(runner), this.options);
  }

  // ── lots ──

  /**
   * Commissions a lot: builds its serial tree in the store (leaf `i` = `serials[i]`), then calls
   * `commissionLot(gtin, lotHash, expiry, quantity, root, epcisEventHash)`. If the transaction fails, a lot
   * the store did not hold before is removed again, so the store keeps no lot the chain does not know.
   */
  async commissionLot(params: CommissionLotParams): Promise<CommissionedLot> {
    const store = this.#store("commissionLot");
    const gtin14 = normalizeGtin(params.gtin);
    const gtin = gtinToUint(gtin14);
    const hash = lotHash(params.lot);
    const expiry = typeof params.expiry === "bigint" ? params.expiry : expiryToUnix(params.expiry) + 1n;
    const existed = store.hasLot(gtin14, params.lot);
    const { root, quantity } = store.addLot(gtin14, params.lot, params.serials);
    try {
      if (quantity > MAX_UINT32) {
        throw new MerkleError("BAD_INPUT", `commissionLot: ${quantity} serials exceed the contract's uint32 quantity`);
      }
      const receipt = await this.#send((c) =>
        c.commissionLot(gtin, hash, expiry, quantity, root, params.epcisEventHash),
      );
      const lotId = lotIdOf(gtin, hash);
      const emitted = this.#event(receipt, "LotCommissioned").args.lotId as string;
      if (emitted !== lotId) throw new Error(`commissionLot: the chain says lot ${emitted}, not ${lotId}`);
      return { lotId, root, quantity, gtin, lotHash: hash, expiry, receipt };
    } catch (error) {
      // A lot the chain refused must not stay in the store: it would hand out proofs for a lot not on chain.
      if (!existed) store.removeLot(gtin14, params.lot);
      throw error;
    }
  }

  /** A passing check releases the lot; a failing one quarantines it. */
  async qualityCheck(p: QualityCheckParams): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.qualityCheck(p.lotId, p.passed, p.certificateHash));
  }

  /** Recalls a lot (its manufacturer or a REGULATOR). */
  async recall(p: RecallLotParams): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.recallLot(p.lotId, p.recallClass, p.reasonHash));
  }

  /** Quarantines a whole lot (its manufacturer or a REGULATOR). */
  async quarantineLot(lotId: string, reasonHash: string): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.quarantineLot(lotId, reasonHash));
  }

  /** Clears a lot's quarantine (its manufacturer or a REGULATOR). */
  async clearQuarantine(lotId: string, reasonHash: string): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.clearQuarantine(lotId, reasonHash));
  }

  /** Declares a lot illegitimate, for good (its manufacturer or a REGULATOR). */
  async declareIllegitimate(lotId: string, reasonHash: string): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.declareIllegitimate(lotId, reasonHash));
  }

  /** A holder quarantines (or releases) its own stock of a lot. */
  async setStockQuarantine(lotId: string, quarantined: boolean, reasonHash: string) {
    return this.#send((c) => c.setStockQuarantine(lotId, quarantined, reasonHash));
  }

  /** A manufacturer designates (or stops designating) a lab for its quality checks. */
  async setLabDesignation(labId: bigint, designated: boolean): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.setLabDesignation(labId, designated));
  }

  // ── custody ──

  /** Ships units to a trading partner; pending until accepted, rejected or cancelled. */
  async ship(p: ShipParams): Promise<ShipmentResult> {
    const receipt = await this.#send((c) => c.ship(p.lotId, p.toOrg, p.quantity, p.epcisEventHash, p.tiTsHash));
    return { shipmentId: this.#event(receipt, "Shipped").args.shipmentId as bigint, receipt };
  }

  /** Returns units to the lot's manufacturer for destruction (allowed whatever the lot's status). */
  async returnForDestruction(p: ReturnForDestructionParams): Promise<ShipmentResult> {
    const receipt = await this.#send((c) => c.returnForDestruction(p.lotId, p.quantity, p.epcisEventHash, p.tiTsHash));
    return { shipmentId: this.#event(receipt, "Shipped").args.shipmentId as bigint, receipt };
  }

  /** The receiver accepts a pending shipment and holds its units. */
  async accept(p: AcceptShipmentParams): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.acceptShipment(p.lotId, p.shipmentId, p.epcisEventHash, p.tiTsHash));
  }

  /** The receiver rejects a pending shipment: the units go back to the sender. */
  async reject(p: RejectShipmentParams): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.rejectShipment(p.lotId, p.shipmentId, p.epcisEventHash, p.reasonHash));
  }

  /** The sender cancels a pending shipment: the units come back. */
  async cancel(p: CancelShipmentParams): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.cancelShipment(p.lotId, p.shipmentId, p.epcisEventHash));
  }

  /** Dispenses one unit (a DISPENSE organisation holding units of the lot). */
  async dispense(p: SupplyUnitParams): Promise<ContractTransactionReceipt> {
    const hash = unitSerialHash(p);
    return this.#send((c) => c.dispense(p.lotId, hash, p.index, p.proof, p.epcisEventHash));
  }

  /**
   * Dispenses a scanned pack: parses the GS1 string, looks up its index and proof, dispenses it.
   * @throws {Gs1Error} for a malformed scan; `Error` when the proof store does not know the serial.
   */
  async dispensePack(gs1: string, epcisEventHash: string): Promise<ContractTransactionReceipt> {
    const pack = parseGs1(gs1, this.options.gs1);
    const found = await this.#proofs("dispensePack").lookup(pack.gtin, pack.lot, pack.serial);
    if (found.status !== "known") {
      throw new Error(`dispensePack: the proof store does not know serial ${JSON.stringify(pack.serial)}`);
    }
    const lotId = lotIdOf(gtinToUint(pack.gtin), lotHash(pack.lot));
    return this.dispense({ lotId, serial: pack.serial, index: found.index, proof: found.proof, epcisEventHash });
  }

  /** Decommissions (destroys) units the caller's organisation holds. */
  async destroy(p: DestroyUnitsParams): Promise<ContractTransactionReceipt> {
    return this.#send((c) => c.destroy(p.lotId, p.quantity, p.epcisEventHash));
  }

  /** Re-verifies a returned unit before resale (authentic and not dispensed). */
  async verifySaleableReturn(p: SupplyUnitParams): Promise<ContractTransactionReceipt> {
    const hash = unitSerialHash(p);
    return this.#send((c) => c.verifySaleableReturn(p.lotId, hash, p.index, p.proof, p.epcisEventHash));
  }

  /** Raises a suspicion about a lot (`serial` omitted) or a unit. */
  async reportSuspect(lotId: string, serial: string | undefined, reasonHash: string) {
    const hash = serial === undefined ? `0x${"0".repeat(64)}` : serialHash(serial);
    return this.#send((c) => c.reportSuspect(lotId, hash, reasonHash));
  }

  /**
   * Declares an EPCIS event of lot `lotId` wrong and names the event replacing it. The organisation must
   * have taken part in the lot's custody (`SupplyNotEventParty` otherwise).
   */
  async correctEvent(lotId: string, correctedEpcisEventHash: string, newEpcisEventHash: string, reasonHash: string) {
    return this.#send((c) => c.correctEvent(lotId, correctedEpcisEventHash, newEpcisEventHash, reasonHash));
  }

  // ── verification ──

  /**
   * Verifies a scanned pack at the latest block (see the module doc for the verdicts).
   * @throws {Gs1Error} when the scan is not a valid GS1 element string with AIs 01, 17, 10 and 21.
   */
  async verifyPack(gs1: string): Promise<PackVerification> {
    const pack = parseGs1(gs1, this.options.gs1);
    const gtin = gtinToUint(pack.gtin);
    const hash = lotHash(pack.lot);
    const id = lotIdOf(gtin, hash);
    const sHash = serialHash(pack.serial);
    const blockNumber = await latestBlockNumber(this.#provider()); // not a cached number: a recall may be one block old
    const base = {
      gtin: pack.gtin,
      lot: pack.lot,
      serial: pack.serial,
      printedExpiry: pack.expiry,
      lotId: id,
      serialHash: sHash,
      blockNumber,
      saleable: false,
    };
    const found = await this.#proofs("verifyPack").lookup(pack.gtin, pack.lot, pack.serial);
    if (found.status !== "known") return { ...base, status: "unknown", reason: "serial-not-in-store" };

    const overrides = { blockTag: blockNumber };
    const [authentic, status, expiry, kind] = await this.contract.verifyUnit(
      gtin,
      hash,
      sHash,
      found.index,
      found.proof,
      overrides,
    );
    if (!authentic) {
      const lot = await this.contract.getLot(id, overrides);
      const onChain = lot.status !== 0n;
      return {
        ...base,
        index: found.index,
        status: onChain ? "counterfeit" : "unknown",
        reason: onChain ? "proof-rejected" : "lot-not-on-chain",
      };
    }
    const unitStatus = UNIT_STATUS_NAMES[Number(status)] as Exclude<UnitStatusName, "unknown">;
    const lastDay = new Date(Number(expiry - 1n) * 1000).toISOString().slice(0, 10);
    return {
      ...base,
      index: found.index,
      status: "authentic",
      unitStatus,
      saleable: unitStatus === "active",
      expiry,
      expiryMatchesPack: lastDay === pack.expiry.iso,
      dispensedByKind: kind === 0n ? undefined : orgKindName(kind),
    };
  }

  /**
   * Where every unit of the lot is now, in one call (`lotTotals`): held (saleable), in transit, dispensed,
   * destroyed and awaiting destruction, which add up to `quantity` (conservation, checked here: a
   * mismatch throws).
   */
  async lotTotals(lotId: string): Promise<LotTotals> {
    const [t, lot] = await Promise.all([this.contract.lotTotals(lotId), this.contract.getLot(lotId)]);
    const totals: LotTotals = {
      quantity: lot.quantity,
      held: t.held,
      inTransit: t.inTransit,
      dispensed: t.dispensed,
      destroyed: t.destroyed,
      awaitingDestruction: t.awaitingDestruction,
    };
    const sum = totals.held + totals.inTransit + totals.dispensed + totals.destroyed + totals.awaitingDestruction;
    if (sum !== totals.quantity) throw new Error(`lot ${lotId}: totals add up to ${sum}, not ${totals.quantity}`);
    return totals;
  }

  /** The lot's status on chain by name (`none` when unknown). */
  async lotStatus(lotId: string): Promise<LotStatusName> {
    return LOT_STATUS_NAMES[Number((await this.contract.getLot(lotId)).status)];
  }

  // ── history ──

  /** The lot's custody timeline from the client's deployment block (see `lotTimeline`). */
  async custodyTimeline(lotId: string, range: LogRangeOptions = {}): Promise<CustodyTimeline> {
    return lotTimeline(this.#base(), lotId, { ...this.options.logs, ...range });
  }

  /**
   * The lot's custody events as an EPCIS 2.0 document. The GTIN comes from the lot's `LotCommissioned`
   * event, the company prefix length from the manufacturer's record in the IdentityRegistry, the lot number
   * from `options.lot` or the store (without it the class EPC is the GTIN's sgtin pattern).
   */
  async exportEpcis(lotId: string, options: ExportEpcisOptions = {}): Promise<EpcisDocument> {
    const { fromBlock, toBlock, chunkSize, lot, ...exportOptions } = options;
    const timeline = await this.custodyTimeline(lotId, { fromBlock, toBlock, chunkSize });
    const commissioned = timeline.entries.find((e) => e.event === "LotCommissioned");
    if (commissioned === undefined) {
      throw new EpcisError("UNKNOWN_LOT", `lot ${lotId} has no LotCommissioned event in the blocks read`);
    }
    const identity = new Contract(await this.contract.identity(), IDENTITY_ABI, this.contract.runner);
    const organization = (await identity.getFunction("getOrganization")(commissioned.manufacturerId)) as {
      prefixLength: bigint;
    };
    const lotNumber =
      lot ??
      this.options.store?.lots().find((l) => lotIdOf(gtinToUint(l.gtin), lotHash(l.lot)) === lotId.toLowerCase())?.lot;
    return toEpcisDocument(timeline, {
      ...exportOptions,
      lots: { [lotId]: { companyPrefixLength: Number(organization.prefixLength), lot: lotNumber } },
    });
  }

  // ── recall support ──

  /** The block of the lot's `LotRecalled` event, or `undefined` if it was not recalled. */
  async recallBlock(lotId: string, range: LogRangeOptions = {}): Promise<number | undefined> {
    const resolved = await resolveLogRange(this.#provider(), { ...this.options.logs, ...range });
    const logs = await queryFilterPaged(this.#base(), this.contract.filters.LotRecalled(lotId), resolved);
    return logs[0]?.blockNumber;
  }

  /**
   * Units of `lotId` dispensed in the `windowBlocks` blocks up to and including `recallBlock` (a dispense is
   * a record, not a gate against a recall issued later): the patients to reach first. In chain order.
   */
  async unitsDispensedBefore(
    lotId: string,
    recallBlock: number,
    windowBlocks: number,
    options: { chunkSize?: number } = {},
  ): Promise<DispensedUnit[]> {
    if (!Number.isSafeInteger(windowBlocks) || windowBlocks < 0) {
      throw new RangeError(`unitsDispensedBefore: windowBlocks ${windowBlocks} must be a non-negative integer`);
    }
    const fromBlock = Math.max(recallBlock - windowBlocks, this.options.logs?.fromBlock ?? 0);
    const provider = this.#provider();
    const range = await resolveLogRange(provider, {
      fromBlock,
      toBlock: recallBlock,
      chunkSize: options.chunkSize ?? this.options.logs?.chunkSize,
    });
    const logs = await queryFilterPaged(this.#base(), this.contract.filters.UnitDispensed(lotId), range);
    const times = await blockTimestamps(
      provider,
      logs.map((l) => l.blockNumber),
    );
    return logs.map((log) => {
      const d = this.contract.interface.parseLog(log)!;
      return {
        lotId,
        orgId: d.args.orgId as bigint,
        serialHash: d.args.serialHash as string,
        index: d.args.index as bigint,
        epcisEventHash: d.args.epcisEventHash as string,
        blockNumber: log.blockNumber,
        logIndex: log.index,
        transactionHash: log.transactionHash,
        timestamp: times.get(log.blockNumber)!,
      };
    });
  }

  // ── internal ──

  #base(): BaseContract {
    return this.contract as unknown as BaseContract;
  }

  #provider() {
    const provider = this.contract.runner?.provider;
    if (!provider) throw new Error("SupplyClient: the contract has no provider");
    return provider;
  }

  #store(what: string): SerialProofStore {
    if (!this.options.store) throw new Error(`SupplyClient.${what}: no serial-proof store was given`);
    return this.options.store;
  }

  #proofs(what: string): ProofSource {
    const source = this.options.proofs ?? this.options.store;
    if (!source) throw new Error(`SupplyClient.${what}: no proof source or serial-proof store was given`);
    return source;
  }

  async #send(
    fn: (contract: SupplyChain) => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    return withDecodedErrors(async () => {
      const tx = await fn(this.contract);
      const receipt = await tx.wait();
      if (!receipt) throw new Error("SupplyClient: the transaction was dropped");
      return receipt;
    }, this.contract.interface);
  }

  #event(receipt: ContractTransactionReceipt, name: string): LogDescription {
    const address = receipt.to?.toLowerCase();
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== address) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name === name) return parsed;
    }
    throw new Error(`SupplyClient: no ${name} event in transaction ${receipt.hash}`);
  }
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

function unitSerialHash(p: { serial?: string; serialHash?: string }): string {
  if (p.serial !== undefined && p.serialHash !== undefined && serialHash(p.serial) !== p.serialHash.toLowerCase()) {
    throw new MerkleError("BAD_INPUT", `serial ${JSON.stringify(p.serial)} does not hash to ${p.serialHash}`);
  }
  const hash = p.serialHash ?? (p.serial === undefined ? undefined : serialHash(p.serial));
  if (hash === undefined) throw new MerkleError("BAD_INPUT", "a unit needs its serial or its serial hash");
  return hash;
}

function orgKindName(kind: bigint): OrgKindName {
  const entry = Object.entries(OrgKind).find(([, value]) => BigInt(value) === kind);
  if (!entry) throw new Error(`unknown organisation kind ${kind}`);
  return entry[0] as OrgKindName;
}
