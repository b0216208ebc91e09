/**
 * What every benchmark module shares: the row of the table, the EVM floor of a transaction, and printing.
 *
 * A row's `gas` is `receipt.gasUsed` on the default hardfork. Its `floor` is the EVM's lower bound for what
 * the transaction had to write, read from a `prestateTracer` diff of the transaction itself:
 *
 *   max(21,000 + calldata (4 gas a zero byte, 16 a non-zero byte) + 22,100 a new slot (0 → x: 20,000 + 2,100
 *       cold) + 5,000 a changed slot (x → y: 2,900 + 2,100 cold) + 200 a cleared slot (x → 0: 5,000 less
 *       the 4,800 refund),
 *       21,000 + 10 a calldata token (EIP-7623: a zero byte is one token, a non-zero byte four))
 *
 * Everything above it is the contract's own work: checks (cold reads, calls to other contracts, signature
 * recovery), events and ABI handling.
 */
import type { ContractTransactionResponse, Provider, TransactionReceipt } from "ethers";

/** A benchmark row: one state-changing operation, its gas (`receipt.gasUsed`), its goal and EVM floor. */
export interface BenchRow {
  /** `Contract.function (case)`. */
  op: string;
  gas: bigint;
  /** The goal; the bench fails when `gas` exceeds it. */
  goal?: bigint;
  /** The EVM's lower bound for what the operation wrote (see the file header), where one applies. */
  floor?: bigint;
  note?: string;
  /** The measured transaction (to explain a row over its goal). */
  hash?: string;
}

/** A domain's measurements, run once its actors exist and the population is registered. */
export type Measure = () => Promise<BenchRow[]>;

/** The provider calls the floor needs (hardhat-ethers' provider has them). */
export interface TraceProvider extends Provider {
  send(method: string, params: unknown[]): Promise<unknown>;
}

interface AccountDiff {
  storage?: Record<string, string>;
}

/** Storage a transaction wrote, from `debug_traceTransaction` with the prestate tracer in diff mode. */
export interface StorageWrites {
  created: number;
  changed: number;
  cleared: number;
}

export async function storageWrites(provider: TraceProvider, hash: string): Promise<StorageWrites> {
  const diff = (await provider.send("debug_traceTransaction", [
    hash,
    { tracer: "prestateTracer", tracerConfig: { diffMode: true } },
  ])) as { pre: Record<string, AccountDiff>; post: Record<string, AccountDiff> };
  const writes = { created: 0, changed: 0, cleared: 0 };
  const accounts = new Set([...Object.keys(diff.pre), ...Object.keys(diff.post)]);
  for (const account of accounts) {
    const pre = diff.pre[account]?.storage ?? {};
    const post = diff.post[account]?.storage ?? {};
    for (const slot of new Set([...Object.keys(pre), ...Object.keys(post)])) {
      const before = BigInt(pre[slot] ?? 0);
      const after = BigInt(post[slot] ?? 0);
      if (before === after) continue;
      if (before === 0n) writes.created++;
      else if (after === 0n) writes.cleared++;
      else writes.changed++;
    }
  }
  return writes;
}

/** Standard calldata gas and EIP-7623 tokens of `data`. */
export function calldataCost(data: string): { gas: bigint; tokens: bigint } {
  let zero = 0n;
  let nonZero = 0n;
  for (let i = 2; i < data.length; i += 2) {
    if (data.slice(i, i + 2) === "00") zero++;
    else nonZero++;
  }
  return { gas: 4n * zero + 16n * nonZero, tokens: zero + 4n * nonZero };
}

/** The EVM floor of a mined transaction (see the file header), and a short account of it. */
export async function floorOf(provider: TraceProvider, receipt: TransactionReceipt): Promise<[bigint, string]> {
  const tx = (await provider.getTransaction(receipt.hash))!;
  const calldata = calldataCost(tx.data);
  const w = await storageWrites(provider, receipt.hash);
  const storage = 22_100n * BigInt(w.created) + 5_000n * BigInt(w.changed) + 200n * BigInt(w.cleared);
  const floor = 21_000n + calldata.gas + storage;
  const eip7623 = 21_000n + 10n * calldata.tokens;
  const parts = [
    w.created > 0 ? `${w.created} new` : "",
    w.changed > 0 ? `${w.changed} changed` : "",
    w.cleared > 0 ? `${w.cleared} cleared` : "",
  ].filter(Boolean);
  const account =
    parts.length === 0 ? "no slot" : `${parts.join(", ")} slot${w.created + w.changed + w.cleared > 1 ? "s" : ""}`;
  return eip7623 > floor ? [eip7623, `${account}; EIP-7623 calldata floor`] : [floor, account];
}

/** Sends a transaction and returns its receipt. */
export async function mined(tx: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  return (await (await tx).wait())!;
}

// ------------------------------------------------------------------ printing

const fmt = (n: bigint | number | undefined): string => (n === undefined ? "" : Number(n).toLocaleString("en"));

/** Prints an aligned text table: `columns` are header names; a column whose header starts with ">" is right-aligned. */
export function printTable(columns: string[], rows: string[][]): void {
  const heads = columns.map((c) => c.replace(/^>/, ""));
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = columns.map((c) => c.startsWith(">"));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join(" | ")
      .trimEnd();
  console.log(line(heads));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const r of rows) console.log(line(r));
}

/** Whether the row is within its goal ("" when it has none). */
export function verdict(r: BenchRow): string {
  if (r.goal === undefined) return "";
  return r.gas <= r.goal ? "yes" : "OVER";
}

/** Prints rows as the benchmark table; returns the rows over their goal. */
export function printRows(title: string, rows: BenchRow[]): BenchRow[] {
  console.log(`\n${title}\n`);
  printTable(
    ["operation", ">gas", ">goal", ">EVM floor", "ok", "note"],
    rows.map((r) => [r.op, fmt(r.gas), fmt(r.goal), fmt(r.floor), verdict(r), r.note ?? ""]),
  );
  return rows.filter((r) => r.goal !== undefined && r.gas > r.goal);
}

export { fmt };

/** Whether the module at `moduleUrl` is the script being run (`node x.ts` or `hardhat run x.ts`). */
export function isMain(moduleUrl: string): boolean {
  const path = new URL(moduleUrl).pathname;
  return process.argv.some((a) => a.length > 0 && path.endsWith(a.replace(/^\.\//, "")));
}
