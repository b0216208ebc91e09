/**
 * Lot size: lots of 1, 10,000 and 1,000,000 serialised units. For each, the off-chain serial tree is built
 * with the SDK (`buildCompactSerialTree`, progress shown for large lots), the lot is commissioned on chain
 * (one root, whatever the quantity), and its last unit is dispensed with the tree's real proof.
 *
 * Commissioning's execution gas (gas used less the 21,000 base and the calldata) is the same for every
 * size; only the quantity's calldata bytes differ (16 gas a non-zero byte instead of 4).
 *
 *   npx hardhat run scripts/bench/lots.ts          (BENCH_QUICK=1: without the 1,000,000-unit lot)
 */
import { performance } from "node:perf_hooks";

import { buildCompactSerialTree, lotId as lotIdOf, serialHash } from "../../src/merkle.ts";
import { Capabilities } from "../../src/roles.ts";
import { COMPANY_PREFIX, gtinOf } from "./supply.ts";
import { type BenchSystem, deploySystem, FAR, Seq } from "./system.ts";
import { calldataCost, fmt, isMain, mined, printTable } from "./types.ts";

export interface LotRow {
  units: number;
  depth: number;
  buildSeconds: number;
  commissionGas: bigint;
  commissionExecution: bigint;
  dispenseGas: bigint;
}

export const LOT_SIZES = process.env.BENCH_QUICK ? [1, 10_000] : [1, 10_000, 1_000_000];

/** `count` distinct GS1 serials (AI 21: up to 20 characters of set 82). */
function serialsOf(count: number, lot: number): string[] {
  return Array.from({ length: count }, (_, i) => `L${lot}S${i.toString(36).toUpperCase().padStart(6, "0")}`);
}

export async function benchLots(
  sys: BenchSystem,
  sizes: number[] = LOT_SIZES,
  log: (line: string) => void = console.log,
): Promise<LotRow[]> {
  const { supply, identity, registrar } = sys;
  const s = new Seq("lots");
  const mfrOp = await sys.account(s);
  const pharmOp = await sys.account(s);
  const C = Capabilities;
  const mfr = await sys.registerOrg("Manufacturer", C.MANUFACTURE | C.TRADE | C.QUALITY_CONTROL, mfrOp.address, s);
  await mined(identity.connect(registrar).setCompanyPrefix(mfr, COMPANY_PREFIX, 7));
  const pharm = await sys.registerOrg("Pharmacy", C.TRADE | C.DISPENSE, pharmOp.address, s);

  const rows: LotRow[] = [];
  for (const [n, units] of sizes.entries()) {
    const serials = serialsOf(units, n);
    const label = `${units.toLocaleString("en")}-serial tree`;
    const started = performance.now();
    let decile = 0;
    const tree = buildCompactSerialTree(serials, {
      onProgress(done, total) {
        if (units < 100_000) return;
        while (decile < 10 && done * 10 >= (decile + 1) * total) {
          decile++;
          log(`  building the ${label}: ${decile * 10}% (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        }
      },
    });
    const buildSeconds = (performance.now() - started) / 1000;
    log(`  built the ${label} in ${buildSeconds.toFixed(1)} s`);

    const gtin = gtinOf(80_000 + n);
    const lotHash = s.hash();
    const lot = lotIdOf(gtin, lotHash);
    const commission = await mined(supply.connect(mfrOp).commissionLot(gtin, lotHash, FAR, units, tree.root, s.hash()));
    const tx = (await sys.ethers.provider.getTransaction(commission.hash))!;
    await mined(supply.connect(mfrOp).qualityCheck(lot, true, s.hash()));
    await mined(supply.connect(mfrOp).ship(lot, pharm, 1, s.hash(), s.hash()));
    await mined(supply.connect(pharmOp).acceptShipment(lot, await supply.shipmentCount(), s.hash(), s.hash()));
    const last = units - 1;
    const proof = tree.proof(last);
    const dispense = await mined(
      supply.connect(pharmOp).dispense(lot, serialHash(serials[last]), last, proof, s.hash()),
    );
    rows.push({
      units,
      depth: proof.length,
      buildSeconds,
      commissionGas: commission.gasUsed,
      commissionExecution: commission.gasUsed - 21_000n - calldataCost(tx.data).gas,
      dispenseGas: dispense.gasUsed,
    });
  }
  return rows;
}

export function printLots(rows: LotRow[]): void {
  printTable(
    [
      ">units",
      ">proof depth",
      ">tree build (s)",
      ">commissionLot gas",
      ">its execution gas",
      ">dispense gas (last unit)",
    ],
    rows.map((r) => [
      fmt(r.units),
      String(r.depth),
      r.buildSeconds.toFixed(1),
      fmt(r.commissionGas),
      fmt(r.commissionExecution),
      fmt(r.dispenseGas),
    ]),
  );
  const executions = new Set(rows.map((r) => r.commissionExecution));
  console.log(
    executions.size === 1
      ? "commissionLot: the same execution gas for every lot size (gas used differs only by calldata: the quantity's and the hashes' zero bytes)"
      : "commissionLot: execution gas DIFFERS between lot sizes",
  );
}

if (isMain(import.meta.url)) {
  const sys = await deploySystem();
  printLots(await benchLots(sys));
}
