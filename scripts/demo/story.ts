/** Printing helpers for the demo: one line per step, who did what, what the chain said, gas used. */
import type { ContractTransactionResponse } from "ethers";

export interface Step {
  gas?: bigint;
}

let stepNo = 0;

export function chapter(title: string): void {
  console.log(`\n== ${title} ${"=".repeat(Math.max(0, 90 - title.length))}`);
}

/** Sends `tx`, waits for it, prints `who → what` with the gas used. */
export async function act(who: string, what: string, tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  const gas = receipt!.gasUsed;
  console.log(`${String(++stepNo).padStart(3)}. ${who.padEnd(16)} ${what}  [${gas.toLocaleString("en")} gas]`);
  return gas;
}

/** Runs `tx` expecting the chain to refuse it; prints the decoded custom error. */
export async function refused(who: string, what: string, tx: Promise<unknown>): Promise<string> {
  try {
    await tx;
  } catch (e) {
    const err = e as { revert?: { name: string; args: unknown[] }; shortMessage?: string; message: string };
    const hardhatReason = /custom error '([^']+)'/.exec(err.message)?.[1];
    const reason = err.revert
      ? `${err.revert.name}(${err.revert.args.map(String).join(", ")})`
      : (hardhatReason ?? err.shortMessage ?? err.message);
    console.log(`${String(++stepNo).padStart(3)}. ${who.padEnd(16)} ${what}  → refused: ${reason}`);
    return reason.replace(/\(.*$/s, "");
  }
  throw new Error(`demo: expected the chain to refuse "${what}", but it accepted it`);
}

export function note(text: string): void {
  console.log(`     ${text}`);
}
