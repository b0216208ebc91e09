/**
 * The SDK's browser entry (`src/browser.ts`, the package's `browser` export condition): the whole SDK but
 * its Node.js-only part (`src/node.ts`), and no Node.js module anywhere in its static imports, so a bundler can build a
 * dApp from it. (test/integration/package.test.ts bundles the packed package for a browser too.)
 */
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import * as browser from "../../src/browser.ts";
import * as nodeOnly from "../../src/node.ts";
import * as sdk from "../../src/index.ts";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** The runtime (non-type) import and re-export specifiers of a TypeScript source. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s+"([^"]+)"/gms;
  for (const m of source.matchAll(statement)) if (m[2] === undefined) out.push(m[4]);
  for (const m of source.matchAll(/^\s*import\s+"([^"]+)"/gm)) out.push(m[1]);
  return out;
}

/** Every module reachable from `entry` by static runtime imports: local files and bare specifiers. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.resolve(entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) pending.push(path.resolve(path.dirname(file), spec));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0]);
}

describe("SDK browser entry", function () {
  it("reaches no Node.js module through its static imports", function () {
    const { files, packages } = importGraph(path.join(SRC, "browser.ts"));
    expect([...files].map((f) => path.relative(SRC, f))).to.not.include("node.ts");
    expect([...packages].filter(isNodeBuiltin)).to.deep.equal([]);
    // The check can fail: the Node entry does reach the file system.
    expect([...importGraph(path.join(SRC, "index.ts")).packages].filter(isNodeBuiltin)).to.include("node:fs/promises");
  });

  it("exports everything the Node entry does except its Node.js-only part", function () {
    const folder = Object.keys(nodeOnly);
    expect(folder).to.include.members(["FolderBlobStore", "FolderKeyWrapStore", "loadDeployment"]);
    const expected = Object.keys(sdk)
      .filter((name) => !folder.includes(name))
      .sort();
    expect(Object.keys(browser).sort()).to.deep.equal(expected);
    for (const name of expected) {
      expect((browser as Record<string, unknown>)[name], name).to.equal((sdk as Record<string, unknown>)[name]);
    }
  });
});
