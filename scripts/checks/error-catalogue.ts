/**
 * Error catalogue check: every custom error declared in contracts/ (mocks excluded) must be the
 * expected error of at least one revert assertion in test/:
 *   TypeScript  `.revertedWithCustomError(contract, "Name")`
 *   Solidity    `vm.expectRevert(…Name.selector…)` (directly or inside abi.encodeWithSelector)
 * A name merely appearing in a test file does not count.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { finish, ROOT, walk } from "./lib.ts";

/** Drops // and /* *\/ comments, so commented-out assertions do not count. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'])\/\/.*$/gm, "$1");
}

export function declaredErrors(): Map<string, string> {
  const errors = new Map<string, string>();
  for (const file of walk("contracts", [".sol"]).filter((f) => !f.startsWith("contracts/mocks/"))) {
    const src = stripComments(readFileSync(join(ROOT, file), "utf8"));
    for (const m of src.matchAll(/\berror\s+(\w+)\s*\(/g)) errors.set(m[1], file);
  }
  return errors;
}

export function assertedErrors(): Set<string> {
  const asserted = new Set<string>();
  for (const file of walk("test", [".ts"])) {
    const src = stripComments(readFileSync(join(ROOT, file), "utf8"));
    for (const m of src.matchAll(/revertedWithCustomError\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*["'](\w+)["']/g)) {
      asserted.add(m[1]);
    }
  }
  for (const file of walk("test", [".sol"])) {
    const src = stripComments(readFileSync(join(ROOT, file), "utf8"));
    const re = /expectRevert\(\s*(?:abi\.encodeWithSelector\(\s*)?(?:\w+\.)*(\w+)\.selector/g;
    for (const m of src.matchAll(re)) asserted.add(m[1]);
  }
  return asserted;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const declared = declaredErrors();
  const asserted = assertedErrors();
  const missing = [...declared]
    .filter(([name]) => !asserted.has(name))
    .map(([n, f]) => `${n} (${f}) has no revert test`);
  finish("error catalogue", missing, `all ${declared.size} custom errors are asserted by a revert test`);
}
