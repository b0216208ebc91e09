// Builds a 100,000-serial lot (fake serials) as a serial tree and in a SerialProofStore, and prints time
// and memory for each step. Pure TypeScript, no chain:
//
//   node --expose-gc scripts/bench/merkle.ts [quantity]
//
// Memory is what the step's result keeps alive after a full GC (heapUsed, plus array buffers such as
// the store's packed tree); without --expose-gc it is not measured.
import { performance } from "node:perf_hooks";

import { keccak256, toUtf8Bytes } from "ethers";

import { buildSerialTree } from "../../src/merkle.ts";
import { SerialProofStore } from "../../src/serial-store.ts";

const QUANTITY = Number(process.argv[2] ?? 100_000);
const GTIN = "09501101020917";
const LOT = "BENCH-LOT-1";
const LOOKUPS = 1_000;

const gc = (globalThis as { gc?: () => void }).gc;

interface Row {
  step: string;
  ms: number;
  heapMB: string;
  buffersMB: string;
  note: string;
}
const rows: Row[] = [];

function memory(): { heap: number; buffers: number } {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

const mb = (bytes: number) => (gc === undefined ? "n/a" : (bytes / 2 ** 20).toFixed(1));

/** Runs `fn`, keeps its result alive while measuring, and records time and retained memory. */
function step<T>(name: string, fn: () => T, note: (result: T) => string = () => ""): T {
  const before = memory();
  const start = performance.now();
  const result = fn();
  const ms = performance.now() - start;
  const after = memory();
  rows.push({
    step: name,
    ms,
    heapMB: mb(after.heap - before.heap),
    buffersMB: mb(after.buffers - before.buffers),
    note: note(result),
  });
  return result;
}

const serials = step(`generate ${QUANTITY.toLocaleString("en")} fake serials`, () =>
  Array.from(
    { length: QUANTITY },
    (_, i) =>
      `SN${keccak256(toUtf8Bytes(`bench:${i}`))
        .slice(2, 14)
        .toUpperCase()}`,
  ),
);

let tree: ReturnType<typeof buildSerialTree> | undefined = step(
  "buildSerialTree (OpenZeppelin tree kept)",
  () => buildSerialTree(serials),
  (t) => `root ${t.root.slice(0, 10)}…`,
);
const root = tree.root;
tree = undefined;

const store = step(
  "SerialProofStore.addLot (packed tree kept)",
  () => {
    const s = new SerialProofStore();
    s.addLot(GTIN, LOT, serials);
    return s;
  },
  (s) => (s.lots()[0].root === root ? "same root" : "ROOT DIFFERS"),
);

step(
  `${LOOKUPS.toLocaleString("en")} lookups`,
  () => {
    let proofNodes = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const found = store.lookup(GTIN, LOT, serials[Math.floor((i * QUANTITY) / LOOKUPS)]);
      if (found.status !== "known") throw new Error("lookup failed");
      proofNodes += found.proof.length;
    }
    return proofNodes / LOOKUPS;
  },
  (avg) => `${avg.toFixed(1)} proof nodes each`,
);

const text = step(
  "toJSON + JSON.stringify",
  () => JSON.stringify(store),
  (t) => `${(t.length / 2 ** 20).toFixed(2)} MB of JSON`,
);

const loaded = step("fromJSON (lazy)", () => SerialProofStore.fromJSON(text));

step(
  "first lookup after load (rebuilds tree, checks root)",
  () => loaded.lookup(GTIN, LOT, serials[QUANTITY - 1]),
  (r) => r.status,
);

const width = Math.max(...rows.map((r) => r.step.length));
console.log(`\nserial tree benchmark, ${QUANTITY.toLocaleString("en")} serials, Node ${process.version}\n`);
console.log(`${"step".padEnd(width)} | ${"ms".padStart(8)} | heap MB | buffers MB | note`);
console.log(`${"-".repeat(width)}-|-${"-".repeat(8)}-|---------|------------|-----`);
for (const r of rows) {
  console.log(
    `${r.step.padEnd(width)} | ${r.ms.toFixed(0).padStart(8)} | ${r.heapMB.padStart(7)} | ${r.buffersMB.padStart(10)} | ${r.note}`,
  );
}
if (gc === undefined) console.log("\n(run with node --expose-gc to measure memory)");
