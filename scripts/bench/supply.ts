/**
 * Gas of every state-changing operation of the SupplyChain, in the worst case issue 4 names: fresh storage
 * for what is written (a new lot, a new shipment slot, a receiver's first holding of the lot, a fresh word
 * of the dispensed map), the global shipment counter already non-zero, partial shipments (the sender's
 * holding stays non-zero). Before measuring, the population's lots and pending shipments are created
 * (as many as organisations and patients), so the figures also show O(1) in lots and shipments.
 *
 * Dispensing uses a lot of 2^20 units, so its proofs have depth 20; that tree is sparse (every leaf but a
 * few is one filler hash) because the contract checks one path. The lot-size table (scripts/bench/lots.ts)
 * builds real trees of up to 1,000,000 serials.
 *
 *   npx hardhat run scripts/bench/supply.ts
 */
import { keccak256, toUtf8Bytes } from "ethers";

import { hashPair, lotId as lotIdOf, serialHash, serialLeaf } from "../../src/merkle.ts";
import { Capabilities } from "../../src/roles.ts";
import { type BenchSystem, deploySystem, FAR, Seq, START } from "./system.ts";
import { type BenchRow, isMain, type Measure, mined, printRows } from "./types.ts";

const DEPTH = 20;
/** The GS1 company prefix 0614141 recorded for the bench's manufacturers. */
export const COMPANY_PREFIX = 614141n;

/** A GTIN-14 under COMPANY_PREFIX: indicator 0, the prefix, a 5-digit item reference, a check digit. */
export function gtinOf(itemRef: number): bigint {
  return COMPANY_PREFIX * 10n ** 6n + BigInt(itemRef % 100_000) * 10n + 7n;
}

/**
 * A tree of 2^depth leaves where only `known` leaves are real and every other leaf is one filler hash:
 * levels are sparse maps, and an absent node at level k is the filler subtree's root.
 */
export function sparseTree(depth: number, known: Map<number, string>) {
  const filler = [keccak256(toUtf8Bytes("bench:filler"))];
  for (let k = 0; k < depth; k++) filler.push(hashPair(filler[k], filler[k]));
  const levels: Map<number, string>[] = [new Map(known)];
  for (let k = 0; k < depth; k++) {
    const next = new Map<number, string>();
    for (const i of levels[k].keys()) {
      const parent = i >> 1;
      if (next.has(parent)) continue;
      next.set(parent, hashPair(levels[k].get(parent * 2) ?? filler[k], levels[k].get(parent * 2 + 1) ?? filler[k]));
    }
    levels.push(next);
  }
  return {
    root: levels[depth].get(0)!,
    proof(index: number): string[] {
      const out: string[] = [];
      for (let k = 0; k < depth; k++) out.push(levels[k].get((index >> k) ^ 1) ?? filler[k]);
      return out;
    },
  };
}

export async function benchSupply(sys: BenchSystem, population = 1): Promise<Measure> {
  const { supply, identity, registrar, regulator, admin, pauser, relayer } = sys;
  const s = new Seq("supply");
  const C = Capabilities;
  const mfrOp = await sys.account(s);
  const distOp = await sys.account(s);
  const pharmOp = await sys.account(s);
  const pharm2Op = await sys.account(s);
  const labOp = await sys.account(s);
  const mfr = await sys.registerOrg("Manufacturer", C.MANUFACTURE | C.TRADE | C.QUALITY_CONTROL, mfrOp.address, s);
  await mined(identity.connect(registrar).setCompanyPrefix(mfr, COMPANY_PREFIX, 7));
  const dist = await sys.registerOrg("Distributor", C.TRADE, distOp.address, s);
  const pharm = await sys.registerOrg("Pharmacy", C.TRADE | C.DISPENSE, pharmOp.address, s);
  const pharm2 = await sys.registerOrg("Pharmacy", C.TRADE | C.DISPENSE, pharm2Op.address, s);
  const lab = await sys.registerOrg("Lab", C.QUALITY_CONTROL, labOp.address, s);
  const lab2 = await sys.registerOrg("Lab", C.QUALITY_CONTROL, s.address(), s);
  await mined(supply.connect(mfrOp).setLabDesignation(lab, true));
  // A released stock lot: the shipment counter is non-zero, and the population's shipments come from it.
  const stockHash = s.hash();
  const stock = lotIdOf(gtinOf(1), stockHash);
  await mined(supply.connect(mfrOp).commissionLot(gtinOf(1), stockHash, FAR, 1_000_000, s.hash(), s.hash()));
  await mined(supply.connect(mfrOp).qualityCheck(stock, true, s.hash()));
  await mined(supply.connect(mfrOp).ship(stock, pharm2, 1, s.hash(), s.hash()));

  // The 2^20-unit lot: real serials at indexes 0 and 1 (one word of the dispensed map) and 64 (the next).
  const serials = new Map<number, string>([0, 1, 64, 65].map((i) => [i, `SN${i}X${s.hash().slice(2, 10)}`]));
  const tree = sparseTree(DEPTH, new Map([...serials].map(([i, sn]) => [i, serialLeaf(BigInt(i), sn)])));

  return async () => {
    // The population's lots, and as many shipments pending.
    const p = new Seq("supply:population");
    for (let i = 0; i < population; i++) {
      await mined(supply.connect(mfrOp).commissionLot(gtinOf(2 + i), p.hash(), FAR, 1000, p.hash(), p.hash()));
      await mined(supply.connect(mfrOp).ship(stock, dist, 1, p.hash(), p.hash()));
    }
    await sys.setTime(START.supply);
    const rows: BenchRow[] = [];
    const m = async (...args: Parameters<BenchSystem["measure"]>) => rows.push(await sys.measure(...args));
    const shipped = async () => supply.shipmentCount();

    await m("SupplyChain.setLabDesignation", supply.connect(mfrOp).setLabDesignation(lab2, true), {
      note: "by the manufacturer",
    });
    const gtin = gtinOf(90_001);
    const lotHash = s.hash();
    const lot = lotIdOf(gtin, lotHash);
    await m(
      "SupplyChain.commissionLot (2^20 units)",
      supply.connect(mfrOp).commissionLot(gtin, lotHash, FAR, 2 ** DEPTH, tree.root, s.hash()),
      { goal: 120_000n, note: "whatever the quantity: one root" },
    );
    const smallHash = s.hash();
    const small = lotIdOf(gtinOf(90_002), smallHash);
    await m(
      "SupplyChain.commissionLot (1 unit)",
      supply.connect(mfrOp).commissionLot(gtinOf(90_002), smallHash, FAR, 1, s.hash(), s.hash()),
      { goal: 120_000n },
    );
    await m("SupplyChain.qualityCheck (release)", supply.connect(labOp).qualityCheck(lot, true, s.hash()), {
      note: "by a designated lab",
    });
    await m("SupplyChain.ship", supply.connect(mfrOp).ship(lot, dist, 1000, s.hash(), s.hash()), {
      goal: 90_000n,
      note: "part of a holding; a new shipment",
    });
    await m(
      "SupplyChain.acceptShipment",
      supply.connect(distOp).acceptShipment(lot, await shipped(), s.hash(), s.hash()),
      {
        goal: 75_000n,
        note: "the receiver's first holding of the lot",
      },
    );
    await mined(supply.connect(distOp).ship(lot, pharm, 100, s.hash(), s.hash()));
    await mined(supply.connect(pharmOp).acceptShipment(lot, await shipped(), s.hash(), s.hash()));
    await mined(supply.connect(distOp).ship(lot, pharm2, 10, s.hash(), s.hash()));
    await m(
      "SupplyChain.rejectShipment",
      supply.connect(pharm2Op).rejectShipment(lot, await shipped(), s.hash(), s.hash()),
    );
    await mined(supply.connect(distOp).ship(lot, pharm2, 10, s.hash(), s.hash()));
    await m("SupplyChain.cancelShipment", supply.connect(distOp).cancelShipment(lot, await shipped(), s.hash()));

    const dispense = (i: number) =>
      supply.connect(pharmOp).dispense(lot, serialHash(serials.get(i)!), i, tree.proof(i), s.hash());
    await m("SupplyChain.dispense (depth-20 proof, fresh word)", dispense(0), {
      goal: 90_000n,
      note: "a new word of the dispensed map",
    });
    await m("SupplyChain.dispense (depth-20 proof, word in use)", dispense(1), { goal: 70_000n });
    await m(
      "SupplyChain.verifySaleableReturn",
      supply.connect(pharmOp).verifySaleableReturn(lot, serialHash(serials.get(64)!), 64, tree.proof(64), s.hash()),
      { note: "depth-20 proof" },
    );
    await m("SupplyChain.setStockQuarantine", supply.connect(pharmOp).setStockQuarantine(lot, true, s.hash()), {
      note: "a holder's own stock",
    });
    await mined(supply.connect(pharmOp).setStockQuarantine(lot, false, s.hash()));
    await m(
      "SupplyChain.returnForDestruction",
      supply.connect(pharmOp).returnForDestruction(lot, 5, s.hash(), s.hash()),
      {
        note: "to the manufacturer",
      },
    );
    await m(
      "SupplyChain.acceptShipment (return for destruction)",
      supply.connect(mfrOp).acceptShipment(lot, await shipped(), s.hash(), s.hash()),
    );
    await m("SupplyChain.destroy", supply.connect(pharmOp).destroy(lot, 1, s.hash()));
    await m("SupplyChain.reportSuspect", supply.connect(relayer).reportSuspect(lot, s.hash(), s.hash()), {
      note: "anyone; an event only",
    });
    await m("SupplyChain.correctEvent", supply.connect(pharmOp).correctEvent(lot, s.hash(), s.hash(), s.hash()));
    await m("SupplyChain.quarantineLot", supply.connect(regulator).quarantineLot(small, s.hash()), {
      note: "REGULATOR",
    });
    await m("SupplyChain.clearQuarantine", supply.connect(regulator).clearQuarantine(small, s.hash()), {
      note: "REGULATOR (a regulator's hold)",
    });
    await m("SupplyChain.declareIllegitimate", supply.connect(mfrOp).declareIllegitimate(small, s.hash()));
    await m("SupplyChain.recallLot", supply.connect(mfrOp).recallLot(lot, 1, s.hash()), { note: "class 1" });
    await m("SupplyChain.pause", supply.connect(pauser).pause(), { note: "PAUSER" });
    await m("SupplyChain.unpause", supply.connect(admin).unpause(), { note: "ADMIN" });
    rows.push(await sys.measureSetAuthority("SupplyChain", supply));
    return rows;
  };
}

if (isMain(import.meta.url)) {
  const sys = await deploySystem();
  const measure = await benchSupply(sys);
  await sys.populate(1);
  const rows = await measure();
  printRows("SupplyChain", rows);
  for (const line of await sys.explainOver(rows)) console.log(line);
}
