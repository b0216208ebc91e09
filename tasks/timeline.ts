/**
 * `medchain lot timeline` and `medchain unit timeline`: a lot's or a unit's history, as the SDK's event
 * views rebuild it from the SupplyChain's events (src/views/supply.ts: paged log queries, chain order,
 * block times, EPCIS corrections linked), printed one line per event.
 */
import { gtinToUint, normalizeGtin, assertLot, assertSerial } from "../src/gs1.ts";
import { lotHash, lotId as lotIdOf, serialHash } from "../src/merkle.ts";
import {
  type CorrectionEntry,
  type CustodyEntry,
  type CustodyTimeline,
  lotTimeline as lotTimelineView,
  unitTimeline as unitTimelineView,
} from "../src/views/supply.ts";
import { command, fail, formatTime, nameOf, openMedChain, printFields, required, type MedChain } from "./lib.ts";
import { LotStatus } from "./supply.ts";

interface LotArgs {
  gtin?: string;
  lot?: string;
}

interface UnitArgs extends LotArgs {
  serial?: string;
}

export const lotTimeline = command(async (args: LotArgs, hre) => {
  const { gtin, lot, id } = parseLot(args);
  const system = await openMedChain(hre);
  const timeline = await lotTimelineView(system.supply, id);
  requireCommissioned(system, timeline, gtin, lot);
  console.log(`Timeline of lot ${lot} of GTIN ${gtin} (lot id ${id})`);
  printEntries(timeline);

  const state = await system.supply.getLot(id);
  const totals = await system.supply.lotTotals(id);
  const orgs = new Set<bigint>([state.manufacturerId]);
  for (const entry of timeline.entries) {
    for (const org of [entry.actorOrg, "toOrg" in entry ? entry.toOrg : undefined]) {
      if (org !== undefined) orgs.add(org);
    }
  }
  const held: string[] = [];
  for (const org of [...orgs].sort((a, b) => (a < b ? -1 : 1))) {
    const holding = await system.supply.holdingOf(id, org);
    if (holding.quantity > 0n)
      held.push(`org ${org}: ${holding.quantity}${holding.quarantined ? " (quarantined)" : ""}`);
    if (holding.awaitingDestruction > 0n) held.push(`org ${org}: ${holding.awaitingDestruction} awaiting destruction`);
  }
  printFields("Now", [
    ["status", `${nameOf(LotStatus, state.status)}${state.released ? ", released" : ", not released"}`],
    [
      "units",
      `${state.quantity} commissioned: ${totals.held} held, ${totals.inTransit} in transit, ` +
        `${totals.dispensed} dispensed, ${totals.destroyed} destroyed, ${totals.awaitingDestruction} awaiting destruction`,
    ],
    ["held", held.length > 0 ? held.join("; ") : "none"],
  ]);
});

export const unitTimeline = command(async (args: UnitArgs, hre) => {
  const { gtin, lot, id } = parseLot(args);
  const serial = required(args.serial, "--serial");
  assertSerial(serial);
  const hash = serialHash(serial);
  const system = await openMedChain(hre);
  const timeline = await unitTimelineView(system.supply, id, { serialHash: hash });
  requireCommissioned(system, timeline, gtin, lot);
  console.log(`Timeline of unit ${serial} of lot ${lot}, GTIN ${gtin} (serial hash ${hash})`);
  printEntries(timeline);
  if (!timeline.entries.some((entry) => entry.scope === "unit")) {
    console.log("  (no event names this unit: not dispensed, returned or reported)");
  }
  console.log("Custody moves by lot quantity, not by unit: `medchain lot timeline` shows the shipments.");
});

function parseLot(args: LotArgs): { gtin: string; lot: string; id: string } {
  const gtin = normalizeGtin(required(args.gtin, "--gtin"));
  const lot = required(args.lot, "--lot");
  assertLot(lot);
  return { gtin, lot, id: lotIdOf(gtinToUint(gtin), lotHash(lot)) };
}

function requireCommissioned({ chainId }: MedChain, timeline: CustodyTimeline, gtin: string, lot: string): void {
  if (!timeline.entries.some((entry) => entry.event === "LotCommissioned")) {
    fail(`unknown lot "${lot}" of GTIN ${gtin}: never commissioned on chain ${chainId}`);
  }
}

/** One line per entry (`date  block  EventName  what happened`), its EPCIS corrections indented below it. */
function printEntries({ entries }: CustodyTimeline): void {
  const width = Math.max(...entries.map((entry) => entry.event.length));
  for (const entry of entries) {
    console.log(
      `  ${formatTime(entry.timestamp)}  block ${entry.blockNumber}  ${entry.event.padEnd(width)}  ${describe(entry)}`,
    );
    printCorrections(entry.correctedBy, "    ");
  }
}

function printCorrections(corrections: CorrectionEntry[], indent: string): void {
  for (const c of corrections) {
    const who = c.byOriginator === false ? " (NOT the organisation that emitted it)" : "";
    console.log(
      `${indent}${formatTime(c.timestamp)}  EPCIS event corrected by org ${c.orgId}${who}: new event ${c.newEpcisEventHash}`,
    );
    printCorrections(c.correctedBy, `${indent}  `);
  }
}

/** What an entry says, in words. */
function describe(e: CustodyEntry): string {
  switch (e.event) {
    case "LotCommissioned":
      return `commissioned by org ${e.manufacturerId}: ${e.quantity} units, expiry ${formatTime(e.expiry)}`;
    case "QualityChecked":
      return `quality check by org ${e.orgId}: ${e.passed ? "passed (released)" : "FAILED"}`;
    case "Shipped":
      return `shipment #${e.shipmentId}: org ${e.fromOrg} -> org ${e.toOrg}, ${e.quantity} units${e.forDestruction ? " for destruction" : ""}`;
    case "ShipmentAccepted":
      return `shipment #${e.shipmentId} accepted by org ${e.toOrg} (${e.quantity} units from org ${e.fromOrg})`;
    case "ShipmentRejected":
      return `shipment #${e.shipmentId} rejected by org ${e.toOrg}${e.quantity === undefined ? "" : ` (${e.quantity} units back to org ${e.fromOrg})`}`;
    case "ShipmentCancelled":
      return `shipment #${e.shipmentId} cancelled by org ${e.fromOrg}${e.quantity === undefined ? "" : ` (${e.quantity} units to org ${e.toOrg})`}`;
    case "UnitDispensed":
      return `unit #${e.index} dispensed by org ${e.orgId}`;
    case "UnitsDestroyed":
      return `${e.quantity} units destroyed by org ${e.orgId}`;
    case "SaleableReturnVerified":
      return `unit #${e.index} verified as a saleable return by org ${e.orgId}`;
    case "SuspectReported":
      return `suspect reported by ${e.reporter}${e.scope === "lot" ? " (the whole lot)" : ` (unit ${e.serialHash})`}`;
    case "LotStatusChanged":
      return `status -> ${e.status} by ${e.by}`;
    case "LotRecalled":
      return `recalled (class ${e.recallClass}) by ${e.by}`;
    case "StockQuarantineSet":
      return `org ${e.orgId} ${e.quarantined ? "quarantined" : "released"} its stock`;
  }
}
