/**
 * The SDK as a dApp gets it: `npm run build:sdk`, `npm pack`, then a fresh ESM project in a temporary
 * folder installs the tarball from the registry's point of view (`npm install <tarball>`: only the
 * package's own `dependencies` come along) and a plain `node` script imports `medchain` and runs pure
 * functions. A TypeScript file in the same project is type-checked against the packaged `.d.ts`.
 * Slow (a build and an install): skipped under `--coverage`, which runs the suite a second time in CI.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import hre from "hardhat";

import { formatGs1, makeExpiry } from "../../src/gs1.ts";
import { buildSerialTree, verifySerialProof } from "../../src/merkle.ts";
import { Roles } from "../../src/roles.ts";
import { IdentityRegistry__factory } from "../../typechain-types/index.ts";

const ROOT = hre.config.paths.root;
const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command with this process's Node first on PATH (npm's `#!/usr/bin/env node` then runs under
 * it) and without the `npm_*` variables of an enclosing `npm test`, so a nested npm works on its own
 * folder and configuration.
 */
function run(command: string, args: string[], cwd: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_")) env[key] = value;
  }
  env.PATH = [path.dirname(process.execPath), process.env.PATH].join(path.delimiter);
  env.NO_COLOR = "1";
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  expect(result.code, `${command} ${args.join(" ")}\n${result.stdout}\n${result.stderr}`).to.equal(0);
  return result.stdout;
}

/** The dApp's script: reads its inputs from argv, prints what the package computed as JSON. */
const SMOKE_SCRIPT = `
import { parseGs1, Roles, ConsentClient, SerialProofStore, connectMedChain, buildSerialTree, verifySerialProof } from "medchain";

const { gs1, gtin, lot, serials, addresses } = JSON.parse(process.argv[2]);
const pack = parseGs1(gs1, { referenceYear: 2026 });
const tree = buildSerialTree(serials);
const store = new SerialProofStore();
const added = store.addLot(gtin, lot, serials);
const found = store.lookup(gtin, lot, serials[2]);
const missing = store.lookup(gtin, lot, "NOT-A-SERIAL");
const medchain = connectMedChain(null, addresses);
console.log(JSON.stringify({
  pack,
  root: tree.root,
  storeRoot: added.root,
  quantity: String(added.quantity),
  found: { status: found.status, index: String(found.index), proof: found.proof },
  proofVerifies: verifySerialProof(added.root, found.index, serials[2], found.proof),
  missing: missing.status,
  roles: Object.fromEntries(Object.entries(Roles).map(([k, v]) => [k, String(v)])),
  consentClient: typeof ConsentClient === "function" && typeof ConsentClient.prototype.signGrant === "function",
  supplyTarget: medchain.supply.target,
  registerSelector: medchain.identity.interface.getFunction("registerOrganization").selector,
}));
`;

/** A browser dApp's module: what a page would import from the package. */
const WEB_SCRIPT = `
import { parseGs1, ConsentClient, MemoryBlobStore, connectMedChain } from "medchain";
window.medchain = { parseGs1, ConsentClient, MemoryBlobStore, connectMedChain };
`;

/** The dApp's TypeScript: must type-check against the packaged declarations (the expect-errors must fire). */
const TYPED_SCRIPT = `
import { parseGs1, ConsentClient, connectMedChain, type MedChainContracts } from "medchain";

const pack = parseGs1("(01)09501101020917(17)301231(10)LOT42(21)SN1");
const gtin: string = pack.gtin;
// @ts-expect-error the GTIN is a string, not a number
const wrong: number = pack.gtin;
const medchain: MedChainContracts = connectMedChain(null, {});
const count: Promise<bigint> = medchain.identity.organizationCount();
// @ts-expect-error the TypeChain binding has no such method
medchain.identity.noSuchMethod();
const signGrant: ConsentClient["signGrant"] = ConsentClient.prototype.signGrant;
export { gtin, wrong, count, signGrant };
`;

describe("SDK package (npm pack, installed in a fresh project)", function () {
  this.timeout(180_000);
  let work = "";

  before(async function () {
    if (hre.globalOptions.coverage) {
      // Slow, and it does not exercise contract lines: the plain test run covers it.
      this.skip();
    }
    work = await mkdtemp(path.join(tmpdir(), "medchain-package-"));
  });

  after(async function () {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  it("builds, packs, installs with its dependencies and runs from a plain node script", async function () {
    await ok("npm", ["run", "build:sdk", "--silent"], ROOT);
    const packed = JSON.parse(
      await ok("npm", ["pack", "--json", "--pack-destination", work, "--loglevel=error"], ROOT),
    ) as { filename: string; files: { path: string }[] }[];
    const tarball = path.join(work, packed[0].filename);
    const files = packed[0].files.map((f) => f.path);
    expect(files).to.include.members([
      "package.json",
      "README.md",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/browser.js",
      "dist/src/browser.d.ts",
      "dist/typechain-types/index.js",
    ]);
    expect(files.filter((f) => !f.startsWith("dist/") && f !== "package.json" && f !== "README.md")).to.deep.equal([]);

    const app = path.join(work, "app");
    await mkdir(app);
    await writeFile(
      path.join(app, "package.json"),
      JSON.stringify({ name: "medchain-dapp", version: "0.0.0", private: true, type: "module" }),
    );
    await ok("npm", ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], app);
    const installed = JSON.parse(await readFile(path.join(app, "node_modules", "medchain", "package.json"), "utf8"));
    expect(installed.name).to.equal("medchain");

    // Inputs are random; the expected answers come from the sources in this process.
    const gtin = "09501101020917";
    const lot = `L${hexlify(randomBytes(4)).slice(2).toUpperCase()}`;
    const serials = Array.from({ length: 5 }, () => `SN${hexlify(randomBytes(6)).slice(2).toUpperCase()}`);
    const expiry = makeExpiry(2030, 12, 31);
    const gs1 = formatGs1({ gtin, expiry, lot, serial: serials[2] }, { mode: "raw" });
    const supply = hexlify(randomBytes(20));
    const addresses = {
      "Governance#MedChainAccessManager": hexlify(randomBytes(20)),
      "Identity#IdentityRegistry": hexlify(randomBytes(20)),
      "Consent#RecordRegistry": hexlify(randomBytes(20)),
      "Consent#ConsentManager": hexlify(randomBytes(20)),
      "Supply#SupplyChain": supply,
      "Trials#TrialRegistry": hexlify(randomBytes(20)),
      "MedChain#ClaimEscrow": hexlify(randomBytes(20)),
      "MedChain#TestStablecoin": hexlify(randomBytes(20)),
    };
    await writeFile(path.join(app, "smoke.mjs"), SMOKE_SCRIPT);
    const out = JSON.parse(
      await ok(process.execPath, ["smoke.mjs", JSON.stringify({ gs1, gtin, lot, serials, addresses })], app),
    );

    const tree = buildSerialTree(serials);
    expect(out.pack).to.deep.equal({ gtin, expiry, lot, serial: serials[2] });
    expect(out.root).to.equal(tree.root);
    expect(out.storeRoot).to.equal(tree.root);
    expect(out.quantity).to.equal("5");
    expect(out.found.status).to.equal("known");
    expect(out.found.index).to.equal("2");
    expect(verifySerialProof(tree.root, 2n, serials[2], out.found.proof)).to.equal(true);
    expect(out.proofVerifies).to.equal(true);
    expect(out.missing).to.equal("unknown");
    expect(out.roles).to.deep.equal(Object.fromEntries(Object.entries(Roles).map(([k, v]) => [k, String(v)])));
    expect(out.consentClient).to.equal(true);
    expect(out.supplyTarget.toLowerCase()).to.equal(supply);
    expect(out.registerSelector).to.equal(
      IdentityRegistry__factory.createInterface().getFunction("registerOrganization").selector,
    );

    // The packaged declarations serve a TypeScript dApp (strict, Node ESM resolution).
    await writeFile(path.join(app, "dapp.ts"), TYPED_SCRIPT);
    await writeFile(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ["dapp.ts"],
      }),
    );
    await ok(process.execPath, [TSC, "-p", "tsconfig.json"], app);

    // A browser dApp: Vite bundles it through the package's `browser` condition, whose entry reaches no
    // Node.js module. (Through the Node entry, Vite would stub node:fs and friends in the bundle with its
    // "__vite-browser-external" module, which throws when the dApp touches it.)
    await writeFile(path.join(app, "index.html"), '<!doctype html><script type="module" src="./web.js"></script>');
    await writeFile(path.join(app, "web.js"), WEB_SCRIPT);
    const { build } = await import("vite");
    await build({
      root: app,
      configFile: false,
      logLevel: "silent",
      build: { outDir: "web-dist", minify: false },
    });
    const scripts = (await readdir(path.join(app, "web-dist", "assets"))).filter((f) => f.endsWith(".js"));
    expect(scripts).to.have.length(1);
    const bundle = await readFile(path.join(app, "web-dist", "assets", scripts[0]), "utf8");
    expect(bundle).to.include("MemoryBlobStore");
    expect(bundle).to.not.match(/vite[-_]browser[-_]external/);
  });
});
