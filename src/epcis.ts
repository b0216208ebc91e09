/**
 * Export of SupplyChain custody events as an EPCIS 2.0 JSON-LD `EPCISDocument` (GS1 EPCIS 2.0, CBV 2.0),
 * so trading partners' EPCIS repositories and regulators can read the chain's history in their format.
 *
 * The chain records lot quantities moving between organisations, never containers, so every custody
 * event maps to an `ObjectEvent` (an `AggregationEvent` would need parent/child identifiers the chain
 * does not have). Mapping (bizStep / disposition, CBV 2.0 bare-word form):
 *
 * | chain event                          | action  | bizStep         | disposition          |
 * |--------------------------------------|---------|-----------------|----------------------|
 * | LotCommissioned                      | ADD     | commissioning   | active               |
 * | Shipped (return for destruction too) | OBSERVE | shipping        | in_transit           |
 * | ShipmentAccepted                     | OBSERVE | receiving       | in_progress          |
 * | ShipmentRejected                     | OBSERVE | receiving       | returned             |
 * | ShipmentCancelled                    | OBSERVE | void_shipping   | (none)               |
 * | UnitDispensed                        | OBSERVE | dispensing      | dispensed            |
 * | UnitsDestroyed                       | DELETE  | destroying      | destroyed            |
 * | SaleableReturnVerified               | OBSERVE | inspecting      | sellable_accessible  |
 * | QualityChecked (pass / fail)         | OBSERVE | inspecting      | active / non_sellable_other |
 * | LotStatusChanged quarantined / illegitimate | OBSERVE | holding  | non_sellable_other   |
 * | LotStatusChanged active (cleared)    | OBSERVE | holding         | active               |
 * | LotRecalled                          | OBSERVE | holding         | recalled             |
 * | StockQuarantineSet on / off          | OBSERVE | holding         | non_sellable_other / active |
 *
 * `LotStatusChanged(recalled)` is emitted together with `LotRecalled` and is exported once (as the
 * recall); `SuspectReported` is a suspicion, not a custody event, and is not exported.
 *
 * What: a quantity of the lot as `quantityList` with the class-level EPC `urn:epc:class:lgtin:…` when
 * the lot number is known (only its hash is on chain), else `urn:epc:idpat:sgtin:…*`; a dispensed unit
 * whose serial is known as `epcList` with its `urn:epc:id:sgtin:…`. `eventID`: the EPCIS event hash the
 * chain carries, as the CBV 2.0 §8.9 event hash `ni:///sha-256;<hex>?ver=CBV2.0`. A correction
 * (`EventCorrected`) is exported as EPCIS prescribes: the corrected event again, with an
 * `errorDeclaration` naming the corrective event. Chain coordinates and the hashes that have no EPCIS
 * field (TI/TS, reasons, certificates) go in `medchain:` extension fields.
 *
 * @module
 */
import { normalizeGtin, uintToGtin } from "./gs1.ts";
import type { CorrectionEntry, CustodyEntry, CustodyTimeline } from "./views/supply.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** Extension fields, namespaced with the `medchain:` prefix the document's `@context` declares. */
export type MedchainExtensions = { [key: `medchain:${string}`]: string | number | boolean };

/** An EPCIS quantity element: a class of objects (an lgtin) and a count. */
export interface EpcisQuantityElement {
  epcClass: string;
  quantity: number;
}

/** An EPCIS error declaration: the event it is attached to is corrected or did not occur. */
export interface EpcisErrorDeclaration {
  declarationTime: string;
  reason?: "did_not_occur" | "incorrect_data";
  correctiveEventIDs?: string[];
}

/** An EPCIS 2.0 ObjectEvent as this module writes it. */
export type EpcisObjectEvent = {
  type: "ObjectEvent";
  eventTime: string;
  eventTimeZoneOffset: string;
  eventID?: string;
  errorDeclaration?: EpcisErrorDeclaration;
  epcList?: string[];
  quantityList?: EpcisQuantityElement[];
  action: "ADD" | "OBSERVE" | "DELETE";
  bizStep?: string;
  disposition?: string;
  readPoint?: { id: string };
  bizLocation?: { id: string };
  sourceList?: { type: "owning_party" | "possessing_party" | "location"; source: string }[];
  destinationList?: { type: "owning_party" | "possessing_party" | "location"; destination: string }[];
  ilmd?: Record<string, string>;
} & MedchainExtensions;

/** An EPCIS 2.0 JSON-LD document holding object events. */
export interface EpcisDocument {
  "@context": [typeof EPCIS_CONTEXT, { medchain: string }];
  type: "EPCISDocument";
  schemaVersion: "2.0";
  creationDate: string;
  epcisBody: { eventList: EpcisObjectEvent[] };
}

/** What the exporter must know of a lot that the chain does not say. */
export interface EpcisLotInfo {
  /** Digits of the GS1 company prefix in the GTIN (6–12; the IdentityRegistry records it per manufacturer). */
  companyPrefixLength: number;
  /** The lot number (only its hash is on chain): gives the lgtin class. */
  lot?: string;
  /** GTIN; default: the one in the lot's `LotCommissioned` entry. */
  gtin?: string;
}

/** What the EPCIS exporter needs besides the chain's custody entries. */
export interface EpcisExportOptions {
  /** Lot information by lot id. */
  lots: Record<string, EpcisLotInfo> | Map<string, EpcisLotInfo>;
  /** An organisation's party URI (a PGLN `urn:epc:id:pgln:…` if you have one). Default `urn:medchain:org:<id>`. */
  orgUri?: (orgId: bigint) => string;
  /** An organisation's location URI (an SGLN), for `readPoint` and `bizLocation`; omitted when undefined. */
  orgLocation?: (orgId: bigint) => string | undefined;
  /** The serial of unit `index` (e.g. from the serial-proof store), for an `epcList` instead of a quantity. */
  serialOf?: (lotId: string, index: bigint, serialHash: string) => string | undefined;
  /** The event ID of an on-chain EPCIS event hash. Default {@link epcisHashEventId}. */
  eventId?: (epcisEventHash: string) => string;
  /** `creationDate`; default now. */
  creationDate?: Date;
  /** `errorDeclaration.reason` of corrections (the chain keeps only a reason hash). Default `incorrect_data`. */
  correctionReason?: EpcisErrorDeclaration["reason"];
}

/** Why an EPCIS export failed. */
export type EpcisErrorCode = "BAD_PREFIX_LENGTH" | "UNKNOWN_LOT";

/** Thrown by the EPCIS exporter; `code` says why. */
export class EpcisError extends Error {
  readonly code: EpcisErrorCode;

  constructor(code: EpcisErrorCode, message: string) {
    super(message);
    this.name = "EpcisError";
    this.code = code;
  }
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

/** The EPCIS 2.0 JSON-LD context. */
export const EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/** The IRI behind the `medchain:` prefix of the extension fields. */
export const MEDCHAIN_EPCIS_NAMESPACE = "urn:medchain:epcis:";

// ─── EPC URIs (GS1 EPC Tag Data Standard) ────────────────────────────────────────────────────────

/**
 * Splits a GTIN for its EPC URIs. GS1 EPC TDS (§6.3.1 SGTIN, §6.4 LGTIN), for a GTIN-14 `d1 d2 … d14`
 * with a company prefix of L digits: CompanyPrefix = `d2 … d(L+1)`; IndicatorAndItemRef =
 * `d1 d(L+2) … d13` (the indicator digit moved to the front of the item reference); the check digit
 * `d14` is dropped. Together they are always 13 digits. L is 6 to 12.
 */
export function gtinEpcParts(gtin: string, companyPrefixLength: number): { companyPrefix: string; itemRef: string } {
  const g = normalizeGtin(gtin);
  const L = companyPrefixLength;
  if (!Number.isInteger(L) || L < 6 || L > 12) {
    throw new EpcisError("BAD_PREFIX_LENGTH", `a GS1 company prefix in an EPC has 6 to 12 digits, not ${String(L)}`);
  }
  return { companyPrefix: g.slice(1, 1 + L), itemRef: g[0] + g.slice(1 + L, 13) };
}

/**
 * Escapes a GS1 AI 10/21 value (character set 82) for an EPC URI: TDS (Table A-1 / "URI form") requires
 * `"` `%` `&` `/` `<` `>` `?` as `%22 %25 %26 %2F %3C %3E %3F`; the other characters of the set stay.
 */
export function escapeEpcComponent(value: string): string {
  return value.replace(/["%&/<>?]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** `urn:epc:id:sgtin:<CompanyPrefix>.<IndicatorItemRef>.<serial>`: one unit. */
export function sgtinUri(gtin: string, serial: string, companyPrefixLength: number): string {
  const { companyPrefix, itemRef } = gtinEpcParts(gtin, companyPrefixLength);
  return `urn:epc:id:sgtin:${companyPrefix}.${itemRef}.${escapeEpcComponent(serial)}`;
}

/** `urn:epc:idpat:sgtin:<CompanyPrefix>.<IndicatorItemRef>.*`: every unit of the GTIN (TDS EPC pattern URI). */
export function sgtinPatternUri(gtin: string, companyPrefixLength: number): string {
  const { companyPrefix, itemRef } = gtinEpcParts(gtin, companyPrefixLength);
  return `urn:epc:idpat:sgtin:${companyPrefix}.${itemRef}.*`;
}

/** `urn:epc:class:lgtin:<CompanyPrefix>.<IndicatorItemRef>.<lot>`: the class of a GTIN's lot (TDS EPC class URI). */
export function lgtinClassUri(gtin: string, lot: string, companyPrefixLength: number): string {
  const { companyPrefix, itemRef } = gtinEpcParts(gtin, companyPrefixLength);
  return `urn:epc:class:lgtin:${companyPrefix}.${itemRef}.${escapeEpcComponent(lot)}`;
}

/** The CBV 2.0 §8.9 event hash ID of a 32-byte hash: `ni:///sha-256;<64 hex>?ver=CBV2.0`. */
export function epcisHashEventId(epcisEventHash: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(epcisEventHash)) {
    throw new TypeError(`EPCIS event hash ${JSON.stringify(epcisEventHash)} is not a 0x-prefixed bytes32`);
  }
  return `ni:///sha-256;${epcisEventHash.slice(2).toLowerCase()}?ver=CBV2.0`;
}

// ─── Export ──────────────────────────────────────────────────────────────────────────────────────

/**
 * The custody entries (a timeline, or entries of several lots) as an EPCISDocument, in chain order; each
 * correction adds the corrected event again with its `errorDeclaration`, at the correction's place.
 *
 * @throws {EpcisError} `UNKNOWN_LOT` when an entry's lot is not in `options.lots`, or its GTIN is unknown.
 */
export function toEpcisDocument(
  source: CustodyTimeline | readonly CustodyEntry[],
  options: EpcisExportOptions,
): EpcisDocument {
  const entries = Array.isArray(source) ? (source as readonly CustodyEntry[]) : (source as CustodyTimeline).entries;
  const ctx = context(entries, options);
  const out: { at: [number, number]; event: EpcisObjectEvent }[] = [];
  const byHash = new Map<string, EpcisObjectEvent>();
  const corrections = new Set<CorrectionEntry>();
  for (const entry of entries) {
    const event = toEvent(entry, ctx);
    if (event === undefined) continue;
    out.push({ at: [entry.blockNumber, entry.logIndex], event });
    if ("epcisEventHash" in entry) byHash.set(entry.epcisEventHash.toLowerCase(), event);
    entry.correctedBy.forEach(function collect(c: CorrectionEntry): void {
      corrections.add(c);
      c.correctedBy.forEach(collect);
    });
  }
  for (const correction of corrections) {
    const corrected = byHash.get(correction.correctedEpcisEventHash.toLowerCase());
    if (corrected === undefined) continue; // a correction of a correction: its original is not on chain
    out.push({
      at: [correction.blockNumber, correction.logIndex],
      event: {
        ...corrected,
        errorDeclaration: {
          declarationTime: isoTime(correction.timestamp),
          reason: options.correctionReason ?? "incorrect_data",
          correctiveEventIDs: [ctx.eventId(correction.newEpcisEventHash)],
        },
        "medchain:declaredBy": ctx.orgUri(correction.orgId),
        "medchain:declarationTransactionHash": correction.transactionHash,
        "medchain:declarationReasonHash": correction.reasonHash,
      },
    });
  }
  out.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]);
  return {
    "@context": [EPCIS_CONTEXT, { medchain: MEDCHAIN_EPCIS_NAMESPACE }],
    type: "EPCISDocument",
    schemaVersion: "2.0",
    creationDate: (options.creationDate ?? new Date()).toISOString(),
    epcisBody: { eventList: out.map(({ event }) => event) },
  };
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

interface Context {
  orgUri: (orgId: bigint) => string;
  orgLocation: (orgId: bigint) => string | undefined;
  eventId: (hash: string) => string;
  serialOf: (lotId: string, index: bigint, serialHash: string) => string | undefined;
  lot(lotId: string): { gtin: string; lot?: string; companyPrefixLength: number };
  commissionedQuantity(lotId: string): bigint | undefined;
}

function context(entries: readonly CustodyEntry[], options: EpcisExportOptions): Context {
  const commissioned = new Map<string, { gtin: bigint; quantity: bigint }>();
  for (const entry of entries) {
    if (entry.event === "LotCommissioned") commissioned.set(entry.lotId.toLowerCase(), entry);
  }
  const lots = options.lots instanceof Map ? options.lots : new Map(Object.entries(options.lots));
  const byId = new Map([...lots].map(([id, info]) => [id.toLowerCase(), info]));
  return {
    orgUri: options.orgUri ?? ((orgId) => `urn:medchain:org:${orgId}`),
    orgLocation: options.orgLocation ?? (() => undefined),
    eventId: options.eventId ?? epcisHashEventId,
    serialOf: options.serialOf ?? (() => undefined),
    lot(lotId) {
      const info = byId.get(lotId.toLowerCase());
      if (info === undefined) throw new EpcisError("UNKNOWN_LOT", `no EPCIS lot information for lot ${lotId}`);
      const onChain = commissioned.get(lotId.toLowerCase());
      const gtin = info.gtin ?? (onChain === undefined ? undefined : uintToGtin(onChain.gtin));
      if (gtin === undefined) {
        throw new EpcisError("UNKNOWN_LOT", `lot ${lotId}: no GTIN given and no LotCommissioned entry to read it from`);
      }
      return { gtin, lot: info.lot, companyPrefixLength: info.companyPrefixLength };
    },
    commissionedQuantity(lotId) {
      return commissioned.get(lotId.toLowerCase())?.quantity;
    },
  };
}

function isoTime(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString();
}

/** The lot's class EPC: lgtin when the lot number is known, else the GTIN's sgtin pattern. */
function epcClass(ctx: Context, lotId: string): string {
  const { gtin, lot, companyPrefixLength } = ctx.lot(lotId);
  return lot === undefined ? sgtinPatternUri(gtin, companyPrefixLength) : lgtinClassUri(gtin, lot, companyPrefixLength);
}

function quantity(ctx: Context, lotId: string, q: bigint | undefined): Partial<EpcisObjectEvent> {
  return q === undefined
    ? classOnly(ctx, lotId)
    : { quantityList: [{ epcClass: epcClass(ctx, lotId), quantity: Number(q) }] };
}

/** A unit: its SGTIN when the serial is known, else one of the lot's class. */
function unit(ctx: Context, lotId: string, index: bigint, serialHash: string): Partial<EpcisObjectEvent> {
  const serial = ctx.serialOf(lotId, index, serialHash);
  if (serial === undefined) return quantity(ctx, lotId, 1n);
  const { gtin, companyPrefixLength } = ctx.lot(lotId);
  return { epcList: [sgtinUri(gtin, serial, companyPrefixLength)] };
}

function at(ctx: Context, orgId: bigint): Partial<EpcisObjectEvent> {
  const location = ctx.orgLocation(orgId);
  return location === undefined ? {} : { readPoint: { id: location }, bizLocation: { id: location } };
}

function transfer(ctx: Context, fromOrg?: bigint, toOrg?: bigint): Partial<EpcisObjectEvent> {
  return {
    ...(fromOrg === undefined ? {} : { sourceList: [{ type: "owning_party", source: ctx.orgUri(fromOrg) }] }),
    ...(toOrg === undefined ? {} : { destinationList: [{ type: "owning_party", destination: ctx.orgUri(toOrg) }] }),
  };
}

function toEvent(entry: CustodyEntry, ctx: Context): EpcisObjectEvent | undefined {
  const common = {
    type: "ObjectEvent" as const,
    eventTime: isoTime(entry.timestamp),
    eventTimeZoneOffset: "+00:00",
    ...("epcisEventHash" in entry ? { eventID: ctx.eventId(entry.epcisEventHash) } : {}),
  };
  const chain: MedchainExtensions = {
    "medchain:lotId": entry.lotId,
    "medchain:transactionHash": entry.transactionHash,
    "medchain:blockNumber": entry.blockNumber,
    "medchain:logIndex": entry.logIndex,
    ...(entry.actorOrg === undefined ? {} : { "medchain:org": ctx.orgUri(entry.actorOrg) }),
  };
  switch (entry.event) {
    case "LotCommissioned": {
      const { lot } = ctx.lot(entry.lotId);
      const lastDay = isoTime(Number(entry.expiry) - 1).slice(0, 10);
      return {
        ...common,
        ...quantity(ctx, entry.lotId, entry.quantity),
        action: "ADD",
        bizStep: "commissioning",
        disposition: "active",
        ...at(ctx, entry.manufacturerId),
        ilmd: { "cbvmda:itemExpirationDate": lastDay, ...(lot === undefined ? {} : { "cbvmda:lotNumber": lot }) },
        ...chain,
        "medchain:serialsRoot": entry.serialsRoot,
      };
    }
    case "Shipped":
      return {
        ...common,
        ...quantity(ctx, entry.lotId, entry.quantity),
        action: "OBSERVE",
        bizStep: "shipping",
        disposition: "in_transit",
        ...at(ctx, entry.fromOrg),
        ...transfer(ctx, entry.fromOrg, entry.toOrg),
        ...chain,
        "medchain:shipmentId": entry.shipmentId.toString(),
        "medchain:tiTsHash": entry.tiTsHash,
        "medchain:forDestruction": entry.forDestruction,
      };
    case "ShipmentAccepted":
      return {
        ...common,
        ...quantity(ctx, entry.lotId, entry.quantity),
        action: "OBSERVE",
        bizStep: "receiving",
        disposition: "in_progress",
        ...at(ctx, entry.toOrg),
        ...transfer(ctx, entry.fromOrg, entry.toOrg),
        ...chain,
        "medchain:shipmentId": entry.shipmentId.toString(),
        "medchain:tiTsHash": entry.tiTsHash,
      };
    case "ShipmentRejected":
      return {
        ...common,
        ...quantity(ctx, entry.lotId, entry.quantity),
        action: "OBSERVE",
        bizStep: "receiving",
        disposition: "returned",
        ...at(ctx, entry.toOrg),
        ...transfer(ctx, entry.fromOrg, entry.toOrg),
        ...chain,
        "medchain:shipmentId": entry.shipmentId.toString(),
        "medchain:reasonHash": entry.reasonHash,
      };
    case "ShipmentCancelled":
      return {
        ...common,
        ...quantity(ctx, entry.lotId, entry.quantity),
        action: "OBSERVE",
        bizStep: "void_shipping",
        ...at(ctx, entry.fromOrg),
        ...transfer(ctx, entry.fromOrg, entry.toOrg),
        ...chain,
        "medchain:shipmentId": entry.shipmentId.toString(),
      };
    case "UnitDispensed":
      return {
        ...common,
        ...unit(ctx, entry.lotId, entry.index, entry.serialHash),
        action: "OBSERVE",
        bizStep: "dispensing",
        disposition: "dispensed",
        ...at(ctx, entry.orgId),
        ...chain,
        "medchain:serialHash": entry.serialHash,
        "medchain:index": entry.index.toString(),
      };
    case "UnitsDestroyed":
      return {
        ...common,
        ...quantity(ctx, entry.lotId, entry.quantity),
        action: "DELETE",
        bizStep: "destroying",
        disposition: "destroyed",
        ...at(ctx, entry.orgId),
        ...chain,
      };
    case "SaleableReturnVerified":
      return {
        ...common,
        ...unit(ctx, entry.lotId, entry.index, entry.serialHash),
        action: "OBSERVE",
        bizStep: "inspecting",
        disposition: "sellable_accessible",
        ...at(ctx, entry.orgId),
        ...chain,
        "medchain:serialHash": entry.serialHash,
        "medchain:index": entry.index.toString(),
      };
    case "QualityChecked":
      return {
        ...common,
        ...lotWide(ctx, entry.lotId),
        action: "OBSERVE",
        bizStep: "inspecting",
        disposition: entry.passed ? "active" : "non_sellable_other",
        ...at(ctx, entry.orgId),
        ...chain,
        "medchain:passed": entry.passed,
        "medchain:certificateHash": entry.certificateHash,
      };
    case "LotStatusChanged":
      if (entry.status === "recalled") return undefined; // exported once, as the LotRecalled entry
      return {
        ...common,
        ...lotWide(ctx, entry.lotId),
        action: "OBSERVE",
        bizStep: "holding",
        disposition: entry.status === "active" ? "active" : "non_sellable_other",
        ...chain,
        "medchain:lotStatus": entry.status,
        "medchain:by": entry.by,
        "medchain:reasonHash": entry.reasonHash,
      };
    case "LotRecalled":
      return {
        ...common,
        ...lotWide(ctx, entry.lotId),
        action: "OBSERVE",
        bizStep: "holding",
        disposition: "recalled",
        ...chain,
        "medchain:recallClass": entry.recallClass,
        "medchain:by": entry.by,
        "medchain:reasonHash": entry.reasonHash,
      };
    case "StockQuarantineSet":
      return {
        ...common,
        ...classOnly(ctx, entry.lotId),
        action: "OBSERVE",
        bizStep: "holding",
        disposition: entry.quarantined ? "non_sellable_other" : "active",
        ...at(ctx, entry.orgId),
        ...chain,
        "medchain:stockQuarantined": entry.quarantined,
        "medchain:reasonHash": entry.reasonHash,
      };
    case "SuspectReported":
      return undefined;
  }
}

/** An event about the whole lot (quality, status, recall): all units commissioned, when the entries say how many. */
function lotWide(ctx: Context, lotId: string): Partial<EpcisObjectEvent> {
  const commissioned = ctx.commissionedQuantity(lotId);
  return commissioned === undefined ? classOnly(ctx, lotId) : quantity(ctx, lotId, commissioned);
}

/**
 * An event about an unknown number of the lot's units (an organisation's own stock): EPCIS wants a count
 * in a quantity element, so the event carries an empty `epcList` and names the class in `medchain:epcClass`.
 */
function classOnly(ctx: Context, lotId: string): Partial<EpcisObjectEvent> {
  return { epcList: [], "medchain:epcClass": epcClass(ctx, lotId) };
}
