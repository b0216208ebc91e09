/**
 * `medchain lot timeline` and `medchain unit timeline`: a lot's or a unit's history rebuilt from the
 * SupplyChain's events. A minimal event query, kept small on purpose: the SDK's event views
 * (src/views/supply.ts) will replace it once they land.
 */
import type { LogDescription } from "ethers";

import { gtinToUint, normalizeGtin, assertLot, assertSerial } from "../src/gs1.ts";
import { lotHash, lotId as lotIdOf, serialHash } from "../src/merkle.ts";
import { command, fail, formatTime, nameOf, openMedChain, printFields, required, type MedChain } from "./lib.ts";
import { LotStatus } from "./supply.ts";

interface LotArgs {
  gtin?: string;
  lot?: string;
}

interface UnitArgs extends LotArgs {
  serial?: string;
}

/** Events that concern the whole lot, so every unit's timeline shows them too. */
const LOT_WIDE = new Set(["LotCommissioned", "QualityChecked", "LotStatusChanged", "LotRecalled"]);
/** Events that name one unit by its serial hash. */
const PER_UNIT = new Set(["UnitDispensed", "SaleableReturnVerified", "SuspectReported"]);

export const lotTimeline = command(async (args: LotArgs, hre) => {
  const { gtin, lot, id } = parseLot(args);
  const system = await openMedChain(hre);
  const events = await lotEvents(system, gtin, lot, id);
  console.log(`Timeline of lot ${lot} of GTIN ${gtin} (lot id ${id})`);
  for (const e of events) console.log(`  ${formatTime(e.time)}  block ${e.block}  ${describe(e.event)}`);

  const state = await system.supply.getLot(id);
  const orgs = new Set<bigint>([state.manufacturerId]);
  for (const { event } of events) {
    for (const key of ["toOrg", "fromOrg", "orgId"]) {
      if (event.fragment.inputs.some((i) => i.name === key)) orgs.add(event.args[key] as bigint);
    }
  }
  const held: string[] = [];
  for (const org of [...orgs].sort((a, b) => (a < b ? -1 : 1))) {
    const holding = await system.supply.holdingOf(id, org);
    if (holding.quantity > 0n)
      held.push(`org ${org}: ${holding.quantity}${holding.quarantined ? " (quarantined)" : ""}`);
  }
  printFields("Now", [
    ["status", `${nameOf(LotStatus, state.status)}${state.released ? ", released" : ", not released"}`],
    ["units", `${state.quantity} commissioned, ${state.destroyed} destroyed`],
    ["held", held.length > 0 ? held.join("; ") : "none"],
  ]);
});

export const unitTimeline = command(async (args: UnitArgs, hre) => {
  const { gtin, lot, id } = parseLot(args);
  const serial = required(args.serial, "--serial");
  assertSerial(serial);
  const hash = serialHash(serial);
  const system = await openMedChain(hre);
  const events = (await lotEvents(system, gtin, lot, id)).filter(
    ({ event }) => LOT_WIDE.has(event.name) || (PER_UNIT.has(event.name) && event.args.serialHash === hash),
  );
  console.log(`Timeline of unit ${serial} of lot ${lot}, GTIN ${gtin} (serial hash ${hash})`);
  for (const e of events) console.log(`  ${formatTime(e.time)}  block ${e.block}  ${describe(e.event)}`);
  if (!events.some(({ event }) => PER_UNIT.has(event.name))) {
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

interface TimedEvent {
  block: number;
  time: number;
  event: LogDescription;
}

/** Every SupplyChain event whose first indexed argument is this lot id, oldest first, with block times. */
async function lotEvents({ supply, ethers, chainId }: MedChain, gtin: string, lot: string, id: string) {
  const logs = await ethers.provider.getLogs({
    address: await supply.getAddress(),
    topics: [null, id],
    fromBlock: 0,
    toBlock: "latest",
  });
  const times = new Map<number, number>();
  const events: TimedEvent[] = [];
  for (const log of logs) {
    const event = supply.interface.parseLog(log);
    if (event === null || event.fragment.inputs[0]?.name !== "lotId") continue;
    if (!times.has(log.blockNumber))
      times.set(log.blockNumber, (await ethers.provider.getBlock(log.blockNumber))!.timestamp);
    events.push({ block: log.blockNumber, time: times.get(log.blockNumber)!, event });
  }
  if (!events.some(({ event }) => event.name === "LotCommissioned")) {
    fail(`unknown lot "${lot}" of GTIN ${gtin}: never commissioned on chain ${chainId}`);
  }
  return events;
}

/** One line per event. */
function describe({ name, args: a }: LogDescription): string {
  switch (name) {
    case "LotCommissioned":
      return `commissioned by org ${a.manufacturerId}: ${a.quantity} units, expiry ${formatTime(a.expiry)}`;
    case "QualityChecked":
      return `quality check by org ${a.orgId}: ${a.passed ? "passed (released)" : "FAILED"}`;
    case "Shipped":
      return `shipment #${a.shipmentId}: org ${a.fromOrg} -> org ${a.toOrg}, ${a.quantity} units${a.forDestruction ? " for destruction" : ""}`;
    case "ShipmentAccepted":
      return `shipment #${a.shipmentId} accepted by org ${a.toOrg} (${a.quantity} units)`;
    case "ShipmentRejected":
      return `shipment #${a.shipmentId} rejected by org ${a.toOrg}`;
    case "ShipmentCancelled":
      return `shipment #${a.shipmentId} cancelled by org ${a.fromOrg}`;
    case "UnitDispensed":
      return `unit #${a.index} dispensed by org ${a.orgId}`;
    case "UnitsDestroyed":
      return `${a.quantity} units destroyed by org ${a.orgId}`;
    case "SaleableReturnVerified":
      return `unit #${a.index} verified as a saleable return by org ${a.orgId}`;
    case "SuspectReported":
      return `suspect reported by ${a.reporter}${BigInt(a.serialHash) === 0n ? "" : ` (unit ${a.serialHash})`}`;
    case "LotStatusChanged":
      return `status -> ${nameOf(LotStatus, a.status)} by ${a.by}`;
    case "LotRecalled":
      return `recalled (class ${a.recallClass}) by ${a.by}`;
    case "StockQuarantineSet":
      return `org ${a.orgId} ${a.quarantined ? "quarantined" : "released"} its stock`;
    default:
      return name;
  }
}
