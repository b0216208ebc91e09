/** Shared helpers of the project's check scripts: walk folders, read Hardhat artifacts. */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;

/** Every file under `dir` (relative to the project root) whose name ends with one of `exts`. */
export function walk(dir: string, exts: string[]): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  for (const name of readdirSync(abs)) {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) out.push(...walk(relative(ROOT, path), exts));
    else if (exts.some((e) => name.endsWith(e))) out.push(relative(ROOT, path));
  }
  return out.sort();
}

export interface AbiParam {
  name: string;
  type: string;
  components?: AbiParam[];
}
export interface AbiItem {
  type: string;
  name?: string;
  inputs?: AbiParam[];
}
export interface Artifact {
  contractName: string;
  sourceName: string;
  abi: AbiItem[];
  deployedBytecode: string;
}

/** Artifacts of the project's own deployable and abstract contracts, mocks and tests excluded. */
export function projectArtifacts(): Artifact[] {
  const files = walk("artifacts/contracts", [".json"]).filter(
    (f) => !f.endsWith(".dbg.json") && !f.includes("/build-info/"),
  );
  if (files.length === 0) throw new Error("no artifacts: run `npx hardhat build` first");
  return files
    .map((f) => JSON.parse(readFileSync(join(ROOT, f), "utf8")) as Artifact)
    .filter((a) => a.sourceName?.startsWith("contracts/") && !a.sourceName.startsWith("contracts/mocks/"));
}

/** Prints `message` and exits non-zero when `failures` is not empty. */
export function finish(check: string, failures: string[], okMessage: string): void {
  if (failures.length > 0) {
    console.error(`${check}: FAILED`);
    for (const f of failures) console.error(`  - ${f}`);
    process.exit(1);
  }
  console.log(`${check}: ${okMessage}`);
}
