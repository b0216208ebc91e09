/** Printing helpers for the demo: one line per step, who did what, what the chain said, gas used. */
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";

let stepNo = 0;

export function chapter(title: string): void {
  console.log(`\n== ${title} ${"=".repeat(Math.max(0, 90 - title.length))}`);
}

type Sent = ContractTransactionResponse | ContractTransactionReceipt | { receipt: ContractTransactionReceipt } | null;

/** Waits for what a binding or an SDK client returned; prints `who  what  [gas]`; returns the gas used. */
export async function act(who: string, what: string, sent: Promise<Sent>): Promise<bigint> {
  const result = await sent;
  let receipt: ContractTransactionReceipt | null = null;
  if (result && "wait" in result) receipt = await result.wait();
  else if (result && "gasUsed" in result) receipt = result;
  else if (result && "receipt" in result) receipt = result.receipt;
  const gas = receipt!.gasUsed;
  console.log(`${String(++stepNo).padStart(3)}. ${who.padEnd(16)} ${what}  [${gas.toLocaleString("en")} gas]`);
  return gas;
}

/** Runs `tx` expecting the chain to refuse it; prints the decoded custom error. */
export async function refused(who: string, what: string, tx: Promise<unknown>): Promise<string> {
  try {
    await tx;
  } catch (e) {
    const err = e as {
      revert?: { name: string; args: unknown[] };
      errorName?: string;
      shortMessage?: string;
      message: string;
    };
    if (err.errorName) err.revert = { name: err.errorName, args: [...((e as { args?: unknown[] }).args ?? [])] };
    const hardhatReason = /custom error '([^']+)'/.exec(err.message)?.[1];
    const reason = err.revert
      ? `${err.revert.name}(${err.revert.args.map(short).join(", ")})`
      : (hardhatReason ?? err.shortMessage ?? err.message);
    const shown = reason.replace(/"?(0x[0-9a-fA-F]{16,}|\d{16,})"?/g, (_, v: string) => short(v));
    console.log(`${String(++stepNo).padStart(3)}. ${who.padEnd(16)} ${what}  → refused: ${shown}`);
    return reason.replace(/\(.*$/s, "");
  }
  throw new Error(`demo: expected the chain to refuse "${what}", but it accepted it`);
}

export function note(text: string): void {
  console.log(`     ${text}`);
}

/** A value as the story prints it: long hex and long numbers abbreviated (`0xb2d5…a8ae`, `804266…8773`). */
function short(value: unknown): string {
  const text = String(value);
  return /^(0x[0-9a-fA-F]{16,}|\d{16,})$/.test(text) ? `${text.slice(0, 6)}…${text.slice(-4)}` : text;
}
