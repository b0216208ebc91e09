/**
 * A drug lot's (or one unit's) custody timeline, rebuilt from SupplyChain's events alone (DESIGN.md §4:
 * every state change emits an event, so no extra storage is needed). Logs are paged from the deployment
 * block in chunks, put in chain order (block, log index), stamped with their block's time, and each
 * EPCIS correction (`EventCorrected`, EPCIS `errorDeclaration`) is linked to the entries it corrects.
 *
 * Custody on chain is per lot quantity: a shipment moves N units of a lot, not named units. A unit's
 * timeline therefore holds the lot-wide entries (commissioning, shipments, quality, status, recall) —
 * which may or may not have carried that unit — and the entries about that unit itself (dispensed,
 * re-verified as a saleable return, reported suspect), told apart by `scope`.
 *
 * @module
 */
import type { BaseContract, EventLog, Log, LogDescription, Provider } from "ethers";

import {
  blockTimestamps,
  compareLogs,
  type LogRangeOptions,
  queryFilterPaged,
  type ResolvedLogRange,
  resolveLogRange,
} from "./paging.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** `ISupplyChain.LotStatus`, by name. */
export const LOT_STATUS_NAMES = ["none", "active", "quarantined", "recalled", "illegitimate"] as const;
/** The name of a lot status. */
export type LotStatusName = (typeof LOT_STATUS_NAMES)[number];

/** The SupplyChain events that make up a lot's timeline (every one has the lot id as first indexed topic). */
export const LOT_EVENT_NAMES = [
  "LotCommissioned",
  "Shipped",
  "ShipmentAccepted",
  "ShipmentRejected",
  "ShipmentCancelled",
  "UnitDispensed",
  "UnitsDestroyed",
  "SaleableReturnVerified",
  "SuspectReported",
  "QualityChecked",
  "LotStatusChanged",
  "LotRecalled",
  "StockQuarantineSet",
] as const;
/** The name of a SupplyChain event in a lot's timeline. */
export type LotEventName = (typeof LOT_EVENT_NAMES)[number];

/** Where an entry sits in the chain, and when. */
export interface CustodyLogPosition {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  /** The block's timestamp, unix seconds. */
  timestamp: number;
}

/** A correction: `orgId` declared EPCIS event `correctedEpcisEventHash` wrong, replaced by `newEpcisEventHash`. */
export interface CorrectionEntry extends CustodyLogPosition {
  event: "EventCorrected";
  correctedEpcisEventHash: string;
  newEpcisEventHash: string;
  orgId: bigint;
  reasonHash: string;
  /**
   * Whether the correcting organisation is the one that emitted the corrected event (the chain checks
   * only that it took part in the lot's custody, so a correction by another party of the lot deserves a
   * second look).
   * `undefined` when the corrected event is not in this timeline.
   */
  byOriginator?: boolean;
  /** Later corrections of this correction's new event. */
  correctedBy: CorrectionEntry[];
}

interface EntryBase extends CustodyLogPosition {
  lotId: string;
  /** `lot`: about the lot or a quantity of it; `unit`: about one unit (dispensed, return re-verified, suspect). */
  scope: "lot" | "unit";
  /** The organisation that emitted the event, when the event names one (not for regulator actions). */
  actorOrg?: bigint;
  /** Corrections naming this entry's EPCIS event hash, in chain order. */
  correctedBy: CorrectionEntry[];
}

/** Timeline entry: the manufacturer commissioned the lot. */
export interface LotCommissionedEntry extends EntryBase {
  event: "LotCommissioned";
  manufacturerId: bigint;
  gtin: bigint;
  lotHash: string;
  expiry: bigint;
  quantity: bigint;
  serialsRoot: string;
  epcisEventHash: string;
}
/** Timeline entry: units were shipped (or returned for destruction). */
export interface ShippedEntry extends EntryBase {
  event: "Shipped";
  shipmentId: bigint;
  fromOrg: bigint;
  toOrg: bigint;
  quantity: bigint;
  forDestruction: boolean;
  epcisEventHash: string;
  tiTsHash: string;
}
/** Timeline entry: the receiver accepted a shipment. */
export interface ShipmentAcceptedEntry extends EntryBase {
  event: "ShipmentAccepted";
  shipmentId: bigint;
  fromOrg: bigint;
  toOrg: bigint;
  quantity: bigint;
  epcisEventHash: string;
  tiTsHash: string;
}
/** `fromOrg`, `quantity` and `forDestruction` come from the shipment's `Shipped` entry (absent if out of range). */
export interface ShipmentRejectedEntry extends EntryBase {
  event: "ShipmentRejected";
  shipmentId: bigint;
  toOrg: bigint;
  fromOrg?: bigint;
  quantity?: bigint;
  forDestruction?: boolean;
  epcisEventHash: string;
  reasonHash: string;
}
/** `toOrg`, `quantity` and `forDestruction` come from the shipment's `Shipped` entry (absent if out of range). */
export interface ShipmentCancelledEntry extends EntryBase {
  event: "ShipmentCancelled";
  shipmentId: bigint;
  fromOrg: bigint;
  toOrg?: bigint;
  quantity?: bigint;
  forDestruction?: boolean;
  epcisEventHash: string;
}
/** Timeline entry: a unit was dispensed to a patient. */
export interface UnitDispensedEntry extends EntryBase {
  event: "UnitDispensed";
  orgId: bigint;
  serialHash: string;
  index: bigint;
  /** Always 1. */
  quantity: bigint;
  epcisEventHash: string;
}
/** Timeline entry: a holder destroyed units. */
export interface UnitsDestroyedEntry extends EntryBase {
  event: "UnitsDestroyed";
  orgId: bigint;
  quantity: bigint;
  epcisEventHash: string;
}
/** Timeline entry: a returned unit was verified saleable. */
export interface SaleableReturnVerifiedEntry extends EntryBase {
  event: "SaleableReturnVerified";
  orgId: bigint;
  serialHash: string;
  index: bigint;
  epcisEventHash: string;
}
/** A suspicion (no state change). `serialHash` zero: about the whole lot. */
export interface SuspectReportedEntry extends EntryBase {
  event: "SuspectReported";
  reporter: string;
  serialHash: string;
  reasonHash: string;
}
/** Timeline entry: a quality check passed or failed. */
export interface QualityCheckedEntry extends EntryBase {
  event: "QualityChecked";
  orgId: bigint;
  passed: boolean;
  certificateHash: string;
}
/** Timeline entry: the lot's status changed (quarantined, cleared, recalled, declared illegitimate). */
export interface LotStatusChangedEntry extends EntryBase {
  event: "LotStatusChanged";
  status: LotStatusName;
  by: string;
  reasonHash: string;
}
/** Timeline entry: the lot was recalled. */
export interface LotRecalledEntry extends EntryBase {
  event: "LotRecalled";
  recallClass: number;
  by: string;
  reasonHash: string;
}
/** Timeline entry: a holder quarantined or released its own stock. */
export interface StockQuarantineSetEntry extends EntryBase {
  event: "StockQuarantineSet";
  orgId: bigint;
  quarantined: boolean;
  reasonHash: string;
}

/** One entry of a custody timeline; switch on `event`. */
export type CustodyEntry =
  | LotCommissionedEntry
  | ShippedEntry
  | ShipmentAcceptedEntry
  | ShipmentRejectedEntry
  | ShipmentCancelledEntry
  | UnitDispensedEntry
  | UnitsDestroyedEntry
  | SaleableReturnVerifiedEntry
  | SuspectReportedEntry
  | QualityCheckedEntry
  | LotStatusChangedEntry
  | LotRecalledEntry
  | StockQuarantineSetEntry;

/** A timeline and the block range it was read from. */
export interface CustodyTimeline {
  lotId: string;
  /** Entries in chain order (block, log index). */
  entries: CustodyEntry[];
  /** Every correction found (of the entries' EPCIS events, and of those corrections), in chain order. */
  corrections: CorrectionEntry[];
  fromBlock: number;
  toBlock: number;
}

/** A unit of a lot: its serial hash (`serialHash(serial)`), and its leaf index if known. */
export interface CustodyUnitRef {
  serialHash: string;
  index?: bigint;
}

/** Options of a unit's timeline. */
export interface UnitTimelineOptions extends LogRangeOptions {
  /** Keep the lot-wide entries (shipments, quality, status, recall). Default `true`. */
  includeLotEntries?: boolean;
}

// ─── Views ───────────────────────────────────────────────────────────────────────────────────────

/**
 * A lot's custody timeline: every SupplyChain event of `lotId` between `fromBlock` (the deployment
 * block) and `toBlock`, read `chunkSize` blocks at a time, with corrections linked.
 */
export async function lotTimeline(
  contract: BaseContract,
  lotId: string,
  options: LogRangeOptions = {},
): Promise<CustodyTimeline> {
  const provider = providerOf(contract);
  const range = await resolveLogRange(provider, options);
  const logs = await queryFilterPaged(contract, [topicsOf(contract, LOT_EVENT_NAMES), lotId], range);
  return assemble(contract, provider, lotId, logs, range);
}

/**
 * One unit's timeline: the entries about that unit (matched by serial hash, and by index when given) and,
 * unless `includeLotEntries` is false, the lot-wide entries. Only this unit's `UnitDispensed` and
 * `SaleableReturnVerified` logs are fetched (by their indexed serial hash), not the whole lot's.
 */
export async function unitTimeline(
  contract: BaseContract,
  lotId: string,
  unit: CustodyUnitRef,
  options: UnitTimelineOptions = {},
): Promise<CustodyTimeline> {
  const provider = providerOf(contract);
  const range = await resolveLogRange(provider, options);
  const unitEvents = ["UnitDispensed", "SaleableReturnVerified"] as const;
  const logs = await queryFilterPaged(contract, [topicsOf(contract, unitEvents), lotId, null, unit.serialHash], range);
  const otherEvents = LOT_EVENT_NAMES.filter((name) => !(unitEvents as readonly string[]).includes(name));
  logs.push(...(await queryFilterPaged(contract, [topicsOf(contract, otherEvents), lotId], range)));
  logs.sort(compareLogs);
  const timeline = await assemble(contract, provider, lotId, logs, range);
  const serialHash = unit.serialHash.toLowerCase();
  timeline.entries = timeline.entries.filter((entry) => {
    if (entry.scope === "lot") return options.includeLotEntries !== false;
    if ("serialHash" in entry && entry.serialHash.toLowerCase() !== serialHash) return false;
    return !("index" in entry) || unit.index === undefined || entry.index === unit.index;
  });
  const kept = new Set<CorrectionEntry>();
  const stack = timeline.entries.flatMap((entry) => entry.correctedBy);
  for (let c = stack.pop(); c !== undefined; c = stack.pop()) {
    if (kept.has(c)) continue;
    kept.add(c);
    stack.push(...c.correctedBy);
  }
  timeline.corrections = timeline.corrections.filter((c) => kept.has(c));
  return timeline;
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

const ZERO_HASH = `0x${"0".repeat(64)}`;
/** Corrected hashes per `EventCorrected` request (topic OR-lists are kept short for RPC providers). */
const HASHES_PER_QUERY = 50;

function providerOf(contract: BaseContract): Provider {
  const provider = contract.runner?.provider;
  if (!provider) throw new Error("custody timeline: the contract has no provider");
  return provider;
}

function topicsOf(contract: BaseContract, names: readonly string[]): string[] {
  return names.map((name) => {
    const fragment = contract.interface.getEvent(name);
    if (!fragment) throw new Error(`custody timeline: the contract has no event ${name}`);
    return fragment.topicHash;
  });
}

async function assemble(
  contract: BaseContract,
  provider: Provider,
  lotId: string,
  logs: (EventLog | Log)[],
  range: ResolvedLogRange,
): Promise<CustodyTimeline> {
  const parsed = logs.map((log) => ({ log, description: contract.interface.parseLog(log) }));
  const correctionLogs = await findCorrections(contract, parsed, range);
  const times = await blockTimestamps(
    provider,
    [...parsed, ...correctionLogs].map(({ log }) => log.blockNumber),
  );

  const entries: CustodyEntry[] = [];
  for (const { log, description } of parsed) {
    if (description === null) continue;
    entries.push(toEntry(lotId, description, position(log, times)));
  }
  linkShipments(entries);

  const corrections = correctionLogs.map(({ log, description }) => toCorrection(description, position(log, times)));
  const byCorrectedHash = new Map<string, CorrectionEntry[]>();
  for (const correction of corrections) {
    const key = correction.correctedEpcisEventHash.toLowerCase();
    byCorrectedHash.set(key, [...(byCorrectedHash.get(key) ?? []), correction]);
  }
  for (const entry of entries) {
    if (!("epcisEventHash" in entry)) continue;
    entry.correctedBy = byCorrectedHash.get(entry.epcisEventHash.toLowerCase()) ?? [];
    if (entry.actorOrg === undefined) continue;
    for (const correction of entry.correctedBy) {
      correction.byOriginator = correction.byOriginator === true || correction.orgId === entry.actorOrg;
    }
  }
  for (const correction of corrections) {
    correction.correctedBy = byCorrectedHash.get(correction.newEpcisEventHash.toLowerCase()) ?? [];
    for (const later of correction.correctedBy) later.byOriginator ??= later.orgId === correction.orgId;
  }
  return { lotId, entries, corrections, fromBlock: range.fromBlock, toBlock: range.toBlock };
}

/** `EventCorrected` logs naming any EPCIS hash of `parsed`, then (repeatedly) any hash those corrections introduced. */
async function findCorrections(
  contract: BaseContract,
  parsed: { log: EventLog | Log; description: LogDescription | null }[],
  range: ResolvedLogRange,
): Promise<{ log: EventLog | Log; description: LogDescription }[]> {
  const topic = topicsOf(contract, ["EventCorrected"])[0];
  const seen = new Set<string>();
  let pending = parsed
    .map(({ description }) => description?.args.getValue("epcisEventHash") as string | undefined)
    .filter((hash): hash is string => hash !== undefined);
  const found: { log: EventLog | Log; description: LogDescription }[] = [];
  while (pending.length > 0) {
    const hashes = [...new Set(pending.map((h) => h.toLowerCase()))].filter((h) => !seen.has(h) && h !== ZERO_HASH);
    hashes.forEach((h) => seen.add(h));
    pending = [];
    for (let i = 0; i < hashes.length; i += HASHES_PER_QUERY) {
      const logs = await queryFilterPaged(contract, [topic, hashes.slice(i, i + HASHES_PER_QUERY)], range);
      for (const log of logs) {
        const description = contract.interface.parseLog(log);
        if (description === null) continue;
        found.push({ log, description });
        pending.push(description.args.newEpcisEventHash as string);
      }
    }
  }
  return found.sort((a, b) => compareLogs(a.log, b.log));
}

function position(log: EventLog | Log, times: Map<number, number>): CustodyLogPosition {
  return {
    blockNumber: log.blockNumber,
    logIndex: log.index,
    transactionHash: log.transactionHash,
    timestamp: times.get(log.blockNumber)!,
  };
}

function toCorrection(d: LogDescription, at: CustodyLogPosition): CorrectionEntry {
  return {
    event: "EventCorrected",
    ...at,
    correctedEpcisEventHash: d.args.correctedEpcisEventHash as string,
    newEpcisEventHash: d.args.newEpcisEventHash as string,
    orgId: d.args.orgId as bigint,
    reasonHash: d.args.reasonHash as string,
    correctedBy: [],
  };
}

function toEntry(lotId: string, d: LogDescription, at: CustodyLogPosition): CustodyEntry {
  const a = d.args;
  const base = { ...at, lotId, correctedBy: [] as CorrectionEntry[] };
  const name = d.name as LotEventName;
  switch (name) {
    case "LotCommissioned":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.manufacturerId,
        manufacturerId: a.manufacturerId,
        gtin: a.gtin,
        lotHash: a.lotHash,
        expiry: a.expiry,
        quantity: a.quantity,
        serialsRoot: a.serialsRoot,
        epcisEventHash: a.epcisEventHash,
      };
    case "Shipped":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.fromOrg,
        shipmentId: a.shipmentId,
        fromOrg: a.fromOrg,
        toOrg: a.toOrg,
        quantity: a.quantity,
        forDestruction: a.forDestruction,
        epcisEventHash: a.epcisEventHash,
        tiTsHash: a.tiTsHash,
      };
    case "ShipmentAccepted":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.toOrg,
        shipmentId: a.shipmentId,
        fromOrg: a.fromOrg,
        toOrg: a.toOrg,
        quantity: a.quantity,
        epcisEventHash: a.epcisEventHash,
        tiTsHash: a.tiTsHash,
      };
    case "ShipmentRejected":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.toOrg,
        shipmentId: a.shipmentId,
        toOrg: a.toOrg,
        epcisEventHash: a.epcisEventHash,
        reasonHash: a.reasonHash,
      };
    case "ShipmentCancelled":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.fromOrg,
        shipmentId: a.shipmentId,
        fromOrg: a.fromOrg,
        epcisEventHash: a.epcisEventHash,
      };
    case "UnitDispensed":
      return {
        event: name,
        ...base,
        scope: "unit",
        actorOrg: a.orgId,
        orgId: a.orgId,
        serialHash: a.serialHash,
        index: a.index,
        quantity: 1n,
        epcisEventHash: a.epcisEventHash,
      };
    case "UnitsDestroyed":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.orgId,
        orgId: a.orgId,
        quantity: a.quantity,
        epcisEventHash: a.epcisEventHash,
      };
    case "SaleableReturnVerified":
      return {
        event: name,
        ...base,
        scope: "unit",
        actorOrg: a.orgId,
        orgId: a.orgId,
        serialHash: a.serialHash,
        index: a.index,
        epcisEventHash: a.epcisEventHash,
      };
    case "SuspectReported":
      return {
        event: name,
        ...base,
        scope: a.serialHash === ZERO_HASH ? "lot" : "unit",
        reporter: a.reporter,
        serialHash: a.serialHash,
        reasonHash: a.reasonHash,
      };
    case "QualityChecked":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.orgId,
        orgId: a.orgId,
        passed: a.passed,
        certificateHash: a.certificateHash,
      };
    case "LotStatusChanged":
      return {
        event: name,
        ...base,
        scope: "lot",
        status: LOT_STATUS_NAMES[Number(a.status)],
        by: a.by,
        reasonHash: a.reasonHash,
      };
    case "LotRecalled":
      return {
        event: name,
        ...base,
        scope: "lot",
        recallClass: Number(a.recallClass),
        by: a.by,
        reasonHash: a.reasonHash,
      };
    case "StockQuarantineSet":
      return {
        event: name,
        ...base,
        scope: "lot",
        actorOrg: a.orgId,
        orgId: a.orgId,
        quarantined: a.quarantined,
        reasonHash: a.reasonHash,
      };
    default:
      throw new Error(`custody timeline: unexpected event ${String(d.name)}`);
  }
}

/** Fills a rejected or cancelled shipment's missing parties and quantity from its `Shipped` entry. */
function linkShipments(entries: CustodyEntry[]): void {
  const shipped = new Map<bigint, ShippedEntry>();
  for (const entry of entries) {
    if (entry.event === "Shipped") shipped.set(entry.shipmentId, entry);
    else if (entry.event === "ShipmentRejected" || entry.event === "ShipmentCancelled") {
      const origin = shipped.get(entry.shipmentId);
      if (origin === undefined) continue;
      entry.fromOrg = origin.fromOrg;
      entry.toOrg = origin.toOrg;
      entry.quantity = origin.quantity;
      entry.forDestruction = origin.forDestruction;
    }
  }
}
