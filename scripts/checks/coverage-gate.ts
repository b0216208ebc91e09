/**
 * Coverage gate: fails unless every line of contracts/ (mocks excluded) was executed, as reported by
 * `hardhat test --coverage` in coverage/lcov.info. Hardhat's coverage has no branch data; guards are
 * written `if (…) revert E(…);` so a missed revert is a missed line.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { finish, ROOT } from "./lib.ts";

const lcovPath = join(ROOT, "coverage", "lcov.info");
if (!existsSync(lcovPath)) finish("coverage gate", ["coverage/lcov.info not found: run `hardhat test --coverage`"], "");

const rows: { file: string; lines: number; hit: number; missed: string }[] = [];
for (const record of readFileSync(lcovPath, "utf8").split("end_of_record")) {
  const file = /^SF:(.+)$/m.exec(record)?.[1]?.replace(ROOT, "");
  if (!file || !file.startsWith("contracts/") || file.startsWith("contracts/mocks/")) continue;
  const da = [...record.matchAll(/^DA:(\d+),(\d+)/gm)].map((m) => ({ line: Number(m[1]), hits: Number(m[2]) }));
  const missed = da.filter((d) => d.hits === 0).map((d) => d.line);
  rows.push({ file, lines: da.length, hit: da.length - missed.length, missed: missed.join(",") });
}
console.table(rows.map((r) => ({ ...r, "%": r.lines ? ((100 * r.hit) / r.lines).toFixed(1) : "100.0" })));
const failures = rows.filter((r) => r.hit < r.lines).map((r) => `${r.file}: lines ${r.missed} never ran`);
if (rows.length === 0) failures.push("no contracts/ file in coverage/lcov.info");
finish("coverage gate", failures, `100% of lines in ${rows.length} contract files`);
