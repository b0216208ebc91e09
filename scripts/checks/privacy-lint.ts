/**
 * Privacy lint: no external function or event of a MedChain contract may take a `string` or an
 * unbounded `bytes` (free text on chain is how personal data leaks), unless the parameter is on the
 * short allow-list below, each entry with its reason. Reads the compiled ABIs (run after a build).
 */
import { finish, projectArtifacts, type AbiParam } from "./lib.ts";

/** Parameter names allowed to be `bytes`, and why. Strings are never allowed. */
export const ALLOWED_BYTES: Record<string, string> = {
  signature: "an EIP-712 signature (65 bytes) or an ERC-1271 smart account's proof: carries no personal data",
};

/** Whole contracts exempted, and why. */
export const EXEMPT_CONTRACTS: Record<string, string> = {
  MedChainAccessManager:
    "OpenZeppelin's AccessManager unchanged: its bytes are governance calldata and its strings role labels, set by the consortium's ADMIN, never patient data",
};

function offending(param: AbiParam, path: string): string[] {
  const base = param.type.replace(/(\[\d*\])+$/, "");
  if (base === "tuple") return (param.components ?? []).flatMap((c) => offending(c, `${path}.${c.name}`));
  if (base === "string") return [`${path}: string`];
  if (base === "bytes" && !(param.name in ALLOWED_BYTES)) return [`${path}: bytes (not on the allow-list)`];
  return [];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const failures: string[] = [];
  let checked = 0;
  for (const artifact of projectArtifacts().filter((a) => !(a.contractName in EXEMPT_CONTRACTS))) {
    for (const item of artifact.abi) {
      if (item.type !== "function" && item.type !== "event" && item.type !== "constructor") continue;
      checked++;
      for (const p of item.inputs ?? []) {
        failures.push(...offending(p, `${artifact.contractName}.${item.name ?? item.type}(${p.name})`));
      }
    }
  }
  finish("privacy lint", [...new Set(failures)], `${checked} functions and events take no free text`);
}
