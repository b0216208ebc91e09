/**
 * `npm run bench`: deploys each part of the system on the in-process network and prints one table of
 * every state-changing operation's gas (`receipt.gasUsed`, default hardfork), its goal from the issues
 * and the EVM lower bound where one applies. Exits non-zero when an operation is over its goal.
 */
import { existsSync } from "node:fs";

import { network } from "hardhat";

import { type BenchFn, type BenchRow, printRows } from "./bench/types.ts";

// Each domain's module exports `bench<Domain>(ethers)`; parts not built yet are skipped.
const DOMAINS: [string, string][] = [
  ["identity", "benchIdentity"],
  ["consent", "benchConsent"],
  ["supply", "benchSupply"],
  ["trials", "benchTrials"],
  ["claims", "benchClaims"],
];

const over: BenchRow[] = [];
for (const [domain, fn] of DOMAINS) {
  const path = new URL(`./bench/${domain}.ts`, import.meta.url);
  if (!existsSync(path)) continue;
  const mod = (await import(path.href)) as Record<string, BenchFn>;
  const { ethers } = await network.create();
  over.push(...printRows(domain, await mod[fn](ethers as never)));
}
if (over.length > 0) {
  console.error(`\nOver goal: ${over.map((r) => `${r.op} ${r.gas} > ${r.goal}`).join("; ")}`);
  process.exit(1);
}
console.log("\nEvery operation is within its goal.");
