/**
 * `npm run bench`: deploys the whole system with the `MedChain` Ignition module on the in-process network
 * and prints
 *   1. one table of every state-changing operation of the six contracts: gas (`receipt.gasUsed`, default
 *      hardfork, worst case), the goal from its issue, the EVM floor (scripts/bench/types.ts), ok;
 *   2. the scaling tables: each operation with 1 and with 1,000 more organisations and patients registered
 *      (and as many lots and pending shipments), and lots of 1, 10,000 and 1,000,000 units;
 *   3. for each operation over its goal, where its gas goes (scripts/bench/explain.ts).
 * It exits non-zero when an operation is over its goal.
 *
 * BENCH_QUICK=1 skips the 1,000-participant run and the 1,000,000-unit lot.
 */
import { performance } from "node:perf_hooks";

import { benchClaims } from "./bench/claims.ts";
import { benchConsent } from "./bench/consent.ts";
import { benchIdentity } from "./bench/identity.ts";
import { benchLots, LOT_SIZES, printLots } from "./bench/lots.ts";
import { benchSupply } from "./bench/supply.ts";
import { type BenchSystem, deploySystem } from "./bench/system.ts";
import { benchTrials } from "./bench/trials.ts";
import { type BenchRow, fmt, printRows, printTable } from "./bench/types.ts";

const QUICK = Boolean(process.env.BENCH_QUICK);
const POPULATIONS = QUICK ? [1] : [1, 1000];
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** One run: a fresh deployment, every domain's actors, `population` more participants, every measurement. */
async function run(population: number): Promise<{ sys: BenchSystem; rows: BenchRow[] }> {
  console.log(`\n[${elapsed()}] Deploying the system (Ignition module MedChain); population ${population}`);
  const sys = await deploySystem();
  const measures = [
    await benchIdentity(sys),
    await benchConsent(sys),
    await benchSupply(sys, population),
    await benchTrials(sys),
    await benchClaims(sys),
  ];
  console.log(`[${elapsed()}] Registering ${population} more organisation(s) and patient(s)`);
  await sys.populate(population, (line) => console.log(line));
  console.log(`[${elapsed()}] Measuring`);
  const rows: BenchRow[] = [];
  for (const measure of measures) rows.push(...(await measure()));
  return { sys, rows };
}

const runs = new Map<number, { sys: BenchSystem; rows: BenchRow[] }>();
for (const n of POPULATIONS) runs.set(n, await run(n));
const base = runs.get(1)!;

console.log(`\n[${elapsed()}] Lot sizes: ${LOT_SIZES.map((n) => n.toLocaleString("en")).join(", ")} units`);
const lots = await benchLots(base.sys);

// Every state-changing function of the six contracts has a row.
const measured = new Set(base.rows.map((r) => r.op.replace(/ .*$/, "")));
const missing: string[] = [];
let functions = 0;
for (const [name, contract] of [
  ["IdentityRegistry", base.sys.identity],
  ["ConsentManager", base.sys.consent],
  ["RecordRegistry", base.sys.records],
  ["SupplyChain", base.sys.supply],
  ["TrialRegistry", base.sys.trials],
  ["ClaimEscrow", base.sys.claims],
] as const) {
  contract.interface.forEachFunction((fn) => {
    if (fn.constant) return;
    functions++;
    if (!measured.has(`${name}.${fn.name}`)) missing.push(`${name}.${fn.name}`);
  });
}

// 1. The table.
const over = printRows(
  "Gas per operation: receipt.gasUsed on the default hardfork, worst case, 1 more organisation and patient registered",
  base.rows,
);

// 2. Scaling.
console.log("\nScaling with participants: 1 vs 1,000 more organisations and patients (and lots, pending shipments)\n");
const SCALED = /^(IdentityRegistry|ConsentManager|RecordRegistry|SupplyChain|ClaimEscrow)\./;
const PLUMBING = /\.(pause|unpause|setAuthority|setConsentManager)$/;
const big = runs.get(1000);
if (big === undefined) {
  console.log("(skipped: BENCH_QUICK)");
} else {
  const byOp = new Map(big.rows.map((r) => [r.op, r]));
  const scaled = base.rows.filter((r) => SCALED.test(r.op) && !PLUMBING.test(r.op));
  printTable(
    ["operation", ">1", ">1,000", ">difference"],
    scaled.map((r) => {
      const other = byOp.get(r.op)!.gas;
      return [r.op, fmt(r.gas), fmt(other), other === r.gas ? "0" : (other > r.gas ? "+" : "") + fmt(other - r.gas)];
    }),
  );
  const diffs = scaled.map((r) => ({ op: r.op, d: byOp.get(r.op)!.gas - r.gas })).filter((x) => x.d !== 0n);
  console.log(
    diffs.length === 0
      ? `Every one of the ${scaled.length} operations costs the same with 1 and with 1,000.`
      : `${scaled.length - diffs.length} of ${scaled.length} operations cost the same; the others differ by ` +
          `${diffs.map((x) => `${fmt(x.d)} (${x.op})`).join(", ")}: ids that take more calldata bytes in the 1,000 run.`,
  );
}
console.log("\nScaling with lot size\n");
printLots(lots);

if (missing.length > 0) {
  console.error(`\nNot measured (add a row): ${missing.join(", ")}`);
  process.exitCode = 1;
} else {
  console.log(`\nEvery state-changing function of the six contracts is measured (${functions}).`);
}

// 3. Over goal.
const overBig =
  big === undefined
    ? []
    : big.rows.filter((r) => r.goal !== undefined && r.gas > r.goal && !over.some((o) => o.op === r.op));
if (over.length + overBig.length > 0) {
  console.log("\nOver goal, and where the gas goes:\n");
  for (const line of await base.sys.explainOver(over)) console.log(line);
  for (const line of await (big?.sys.explainOver(overBig) ?? [])) console.log(`${line} (with 1,000)`);
  const all = [...over, ...overBig];
  console.error(`\n[${elapsed()}] Over goal: ${all.map((r) => `${r.op} ${fmt(r.gas)} > ${fmt(r.goal)}`).join("; ")}`);
  process.exit(1);
}
if (missing.length === 0) console.log(`\n[${elapsed()}] Every operation is within its goal.`);
