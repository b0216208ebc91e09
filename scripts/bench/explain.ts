/**
 * Where a transaction's gas goes, from its opcode trace (`debug_traceTransaction`): the base cost and
 * calldata, storage writes, cold and warm reads, each call to another contract (with the function it
 * called and what that call cost, access included), events, hashing and the rest. The bench prints it for
 * every row over its goal.
 */
import { Interface } from "ethers";

import type { TraceProvider } from "./types.ts";
import { calldataCost } from "./types.ts";

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
  memory?: string[];
  refund?: number;
}

export interface Breakdown {
  gasUsed: bigint;
  parts: [string, bigint][];
  calls: { target: string; fn: string; gas: bigint }[];
}

/** Reads `len` bytes at `offset` from a struct log's memory (32-byte words as hex). */
function readMemory(memory: string[], offset: number, len: number): string {
  const hex = memory.map((w) => w.replace(/^0x/, "")).join("");
  return hex.slice(offset * 2, (offset + len) * 2);
}

export async function explain(
  provider: TraceProvider,
  hash: string,
  names: Map<string, string>,
  ifaces: Interface[],
): Promise<Breakdown> {
  const receipt = (await provider.getTransactionReceipt(hash))!;
  const tx = (await provider.getTransaction(hash))!;
  const trace = (await provider.send("debug_traceTransaction", [
    hash,
    { disableStack: false, disableMemory: false, enableMemory: true, disableStorage: true },
  ])) as { structLogs: StructLog[] };
  const logs = trace.structLogs;
  let stores = 0n;
  let coldReads = 0n;
  let coldCount = 0;
  let warmReads = 0n;
  let events = 0n;
  let hashing = 0n;
  let other = 0n;
  const calls: Breakdown["calls"] = [];
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i];
    if (l.depth !== 1) continue;
    if (["CALL", "STATICCALL", "DELEGATECALL"].includes(l.op)) {
      let j = i + 1;
      while (j < logs.length && logs[j].depth !== 1) j++;
      const consumed = j < logs.length ? BigInt(l.gas - logs[j].gas) : BigInt(l.gasCost);
      const stack = l.stack ?? [];
      const target = "0x" + (BigInt(stack[stack.length - 2]) & ((1n << 160n) - 1n)).toString(16).padStart(40, "0");
      const argsOffset = Number(BigInt(stack[stack.length - (l.op === "CALL" ? 4 : 3)]));
      const selector = "0x" + readMemory(l.memory ?? [], argsOffset, 4);
      const fn = ifaces.map((f) => f.getFunction(selector)?.name).find((x) => x !== undefined) ?? selector;
      calls.push({ target: names.get(target.toLowerCase()) ?? `${target.slice(0, 10)}…`, fn, gas: consumed });
      continue;
    }
    const cost = BigInt(l.gasCost);
    if (l.op === "SSTORE") stores += cost;
    else if (l.op === "SLOAD") {
      if (cost >= 2_100n) {
        coldReads += cost;
        coldCount++;
      } else warmReads += cost;
    } else if (l.op.startsWith("LOG")) events += cost;
    else if (l.op === "KECCAK256") hashing += cost;
    else other += cost;
  }
  const calldata = calldataCost(tx.data).gas;
  const callTotal = calls.reduce((a, c) => a + c.gas, 0n);
  const executed = stores + coldReads + warmReads + events + hashing + other + callTotal;
  const refund = 21_000n + calldata + executed - receipt.gasUsed;
  const parts: [string, bigint][] = [
    ["base", 21_000n],
    ["calldata", calldata],
    ["storage writes", stores],
    [`cold reads (${coldCount})`, coldReads],
    ["warm reads", warmReads],
    [`calls (${calls.length})`, callTotal],
    ["events", events],
    ["hashing", hashing],
    ["other opcodes", other],
  ];
  if (refund !== 0n) parts.push(["refund", -refund]);
  return { gasUsed: receipt.gasUsed, parts, calls };
}

/** One line per part: `grant 69,233 = 21,000 base + …; calls: IdentityRegistry.canActForPatient 4,912, …`. */
export function formatBreakdown(op: string, b: Breakdown): string {
  const n = (x: bigint) => Number(x).toLocaleString("en");
  const parts = b.parts
    .filter(([, v]) => v !== 0n)
    .map(([k, v]) => `${n(v)} ${k}`)
    .join(" + ");
  const calls = b.calls.map((c) => `${c.target}.${c.fn} ${n(c.gas)}`).join(", ");
  return `${op}: ${n(b.gasUsed)} = ${parts}${calls ? `\n    calls: ${calls}` : ""}`;
}
