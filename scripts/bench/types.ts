/** A benchmark row: one state-changing operation, its gas (`receipt.gasUsed`), its goal and EVM floor. */
export interface BenchRow {
  op: string;
  gas: bigint;
  /** The goal; the bench fails when `gas` exceeds it. */
  goal?: bigint;
  /** The EVM's lower bound for what the operation must do (storage written, calldata), where one applies. */
  floor?: bigint;
  note?: string;
}

/** What each domain's bench module exports: `bench<Domain>(ethers)`. */
export type BenchFn = (ethers: BenchEthers) => Promise<BenchRow[]>;

// The subset of hardhat-ethers a bench needs (kept structural so bench modules stay decoupled).
export interface BenchEthers {
  getSigners(): Promise<import("@nomicfoundation/hardhat-ethers/types").HardhatEthersSigner[]>;
  deployContract(name: string, args?: unknown[]): Promise<import("ethers").BaseContract>;
  provider: import("ethers").Provider;
}

/** Sends a transaction and returns its `receipt.gasUsed`. */
export async function gasOf(tx: Promise<import("ethers").ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** Prints rows as a table; returns the rows over their goal. */
export function printRows(title: string, rows: BenchRow[]): BenchRow[] {
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      operation: r.op,
      gas: Number(r.gas),
      goal: r.goal === undefined ? "" : Number(r.goal),
      "EVM floor": r.floor === undefined ? "" : Number(r.floor),
      ok: r.goal === undefined ? "" : r.gas <= r.goal ? "yes" : "OVER",
      note: r.note ?? "",
    })),
  );
  return rows.filter((r) => r.goal !== undefined && r.gas > r.goal);
}

/** Whether the module at `moduleUrl` is the script being run (`node x.ts` or `hardhat run x.ts`). */
export function isMain(moduleUrl: string): boolean {
  const path = new URL(moduleUrl).pathname;
  return process.argv.some((a) => a.length > 0 && path.endsWith(a.replace(/^\.\//, "")));
}
