/**
 * Typed errors of the SDK: a contract's custom error decoded into its name and arguments, so a dApp can
 * branch on `err.errorName === "ConsentExpired"` instead of parsing messages.
 */
import type { Interface, Result } from "ethers";

/** A transaction or call that the chain refused with one of MedChain's custom errors. */
export class MedChainContractError extends Error {
  constructor(
    /** The custom error's name, e.g. `IdentityCommitmentUsed`. */
    readonly errorName: string,
    /** Its arguments, by position and by name. */
    readonly args: Result,
    /** The raw revert data. */
    readonly data: string,
  ) {
    super(`${errorName}(${[...args].map(String).join(", ")})`);
    this.name = "MedChainContractError";
  }
}

/** Finds revert data in the shapes ethers and Hardhat give it. */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === "object" && !seen.has(e)) {
    seen.add(e);
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data;
    if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
      return (data as { data: string }).data;
    }
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Decodes `error` against the interfaces given (first match wins). Returns the typed error, or the
 * original error when it carries no custom error those interfaces know.
 */
export function decodeContractError(error: unknown, ...interfaces: Interface[]): unknown {
  const data = revertData(error);
  if (!data) return error;
  for (const iface of interfaces) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return new MedChainContractError(parsed.name, parsed.args, data);
    } catch {
      // not this interface's error
    }
  }
  return error;
}

/** Runs `fn`; a custom error from the chain is rethrown as a `MedChainContractError`. */
export async function withDecodedErrors<T>(fn: () => Promise<T>, ...interfaces: Interface[]): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw decodeContractError(e, ...interfaces);
  }
}
