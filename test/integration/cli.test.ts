/**
 * The `medchain` command line, end to end: a `hardhat node` child process on a free port, and each
 * command run as its own `hardhat` process against it (`--network localhost`, `MEDCHAIN_RPC_URL`),
 * checked on its stdout, stderr and exit code.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { getAddress, hexlify, JsonRpcProvider, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import hre from "hardhat";

import { gtinCheckDigit } from "../../src/gs1.ts";
import { categoryIndex } from "../../src/scopes.ts";
import { RecordRegistry__factory } from "../../typechain-types/index.ts";

const ROOT = hre.config.paths.root;
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const DEPLOYMENTS = path.join(hre.config.paths.ignition, "deployments");
const DEPLOYMENT_DIR = path.join(DEPLOYMENTS, "chain-31337");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A free TCP port in 18545–18600 on 127.0.0.1, tried in random order (other test runs may hold some). */
async function freePort(): Promise<number> {
  const ports = Array.from({ length: 56 }, (_, i) => 18545 + i).sort(() => Math.random() - 0.5);
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port in 18545-18600");
}

/** Waits until the node at `url` answers eth_chainId. */
async function waitForNode(url: string, node: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (node.exitCode !== null) throw new Error(`hardhat node exited with code ${node.exitCode}`);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`hardhat node did not answer on ${url} within ${timeoutMs} ms`);
}

describe("Command line (npx hardhat medchain …)", function () {
  this.timeout(120_000);

  let node: ChildProcess | undefined;
  let url = "";
  let work = "";
  let savedDeployment: string | undefined;
  let hadDeployments = true;

  /** Runs `hardhat --network localhost medchain <args>` against the test's node. */
  function medchain(...args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [HARDHAT_CLI, "--network", "localhost", "medchain", ...args], {
        cwd: ROOT,
        env: { ...process.env, MEDCHAIN_RPC_URL: url, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs a command that must succeed; returns its stdout. */
  async function ok(...args: string[]): Promise<string> {
    const run = await medchain(...args);
    expect(run.code, `medchain ${args.join(" ")}\n${run.stdout}\n${run.stderr}`).to.equal(0);
    return run.stdout;
  }

  /** Runs a command that must fail with exit code `code` and one `error:` line naming `message`. */
  async function refused(message: string | RegExp, ...args: string[]): Promise<void> {
    const run = await medchain(...args);
    expect(run.code, `medchain ${args.join(" ")}\n${run.stdout}\n${run.stderr}`).to.equal(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines, run.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^error: /);
    if (typeof message === "string") expect(lines[0]).to.include(message);
    else expect(lines[0]).to.match(message);
  }

  before(async function () {
    if (hre.globalOptions.coverage) {
      // Coverage instruments the artifacts this process built; child processes would deploy those.
      this.skip();
    }
    work = mkdtempSync(path.join(tmpdir(), "medchain-cli-"));
    hadDeployments = existsSync(DEPLOYMENTS);
    if (existsSync(DEPLOYMENT_DIR)) {
      savedDeployment = path.join(work, "saved-chain-31337");
      renameSync(DEPLOYMENT_DIR, savedDeployment);
    }
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    node = spawn(process.execPath, [HARDHAT_CLI, "node", "--port", String(port)], {
      cwd: ROOT,
      stdio: "ignore",
      detached: true, // its own process group, killed as a whole in `after`
    });
    await waitForNode(url, node);
  });

  after(function () {
    if (node?.pid !== undefined && node.exitCode === null) {
      try {
        process.kill(-node.pid, "SIGTERM");
      } catch {
        node.kill("SIGTERM");
      }
    }
    rmSync(DEPLOYMENT_DIR, { recursive: true, force: true });
    if (savedDeployment !== undefined) renameSync(savedDeployment, DEPLOYMENT_DIR);
    if (!hadDeployments && existsSync(DEPLOYMENTS) && readdirSync(DEPLOYMENTS).length === 0) rmdirSync(DEPLOYMENTS);
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  // Shared by the steps below, in order.
  const gtin = `00614141${10000 + Math.floor(Math.random() * 89999)}`; // indicator 0, prefix 0614141, item
  const gtin14 = gtin + String(gtinCheckDigit(gtin));
  const lot = `L${hexlify(randomBytes(4)).slice(2).toUpperCase()}`;
  const serials = Array.from({ length: 5 }, () => `SN${hexlify(randomBytes(5)).slice(2).toUpperCase()}`);
  let pharmacyId = "";
  let patientId = "";

  it("refuses bad input with one line and exit code 1: malformed GS1, unknown category, missing deployment", async function () {
    await Promise.all([
      refused(
        /malformed GS1: GTIN \(01\) "\d{14}" has check digit \d, expected \d/,
        "pack",
        "verify",
        "--gs1",
        `(01)${gtin}${(gtinCheckDigit(gtin) + 1) % 10}(17)271231(10)${lot}(21)SN1`,
        "--store",
        path.join(work, "none.json"),
      ),
      refused(
        'unknown category "HOROSCOPE"',
        "consent",
        "check",
        "--patient",
        "1",
        "--org",
        "1",
        "--categories",
        "CONDITIONS,HOROSCOPE",
        "--purposes",
        "TREATMENT",
      ),
      refused(
        "no MedChain deployment for chain 31337: run `npx hardhat medchain deploy --network localhost` first",
        "org",
        "show",
        "--id",
        "1",
      ),
    ]);
  });

  it("deploys MedChain and prints the addresses Ignition saved", async function () {
    const out = await ok("deploy", "--no-compile");
    const saved = JSON.parse(readFileSync(path.join(DEPLOYMENT_DIR, "deployed_addresses.json"), "utf8")) as Record<
      string,
      string
    >;
    for (const [name, key] of [
      ["IdentityRegistry", "Identity#IdentityRegistry"],
      ["ConsentManager", "Consent#ConsentManager"],
      ["RecordRegistry", "Consent#RecordRegistry"],
      ["SupplyChain", "Supply#SupplyChain"],
    ]) {
      expect(out).to.match(new RegExp(`${name}\\s+${saved[key]}`));
    }
  });

  it("registers a pharmacy, a manufacturer and a patient, shows an organisation, refuses an unknown id or kind", async function () {
    const pharmacy = await ok(
      "org",
      "register",
      "--kind",
      "Pharmacy",
      "--operator",
      "5",
      "--capabilities",
      "DISPENSE,TRADE",
      "--days",
      "365",
    );
    pharmacyId = /Registered organisation (\d+)/.exec(pharmacy)![1];
    // The registrar (account 1) sends one transaction at a time; the patient's registration is relayed by account 0.
    const [manufacturer, patient, shown] = await Promise.all([
      ok(
        "org",
        "register",
        "--kind",
        "Manufacturer",
        "--operator",
        "6",
        "--capabilities",
        "MANUFACTURE,TRADE,QUALITY_CONTROL",
        "--prefix",
        "0614141",
      ),
      ok("patient", "register", "--controller", "8", "--relayer", "0"),
      ok("org", "show", "--id", pharmacyId),
      refused(/^error: unknown organisation 99 /, "org", "show", "--id", "99"),
      refused('unknown organisation kind "Pharmacist"', "org", "register", "--kind", "Pharmacist", "--operator", "7"),
    ]);
    expect(manufacturer).to.match(/company prefix\s+0614141/);
    expect(shown).to.match(/kind\s+Pharmacy/);
    expect(shown).to.match(/status\s+Active/);
    expect(shown).to.match(/capabilities\s+DISPENSE,TRADE/);
    patientId = /id\s+(0x[0-9a-f]{64})/.exec(patient)![1];
    expect(patient).to.match(/controller\s+0x[0-9a-fA-F]{40}/);
  });

  it("grants consent, checks it, refuses a stranger's grant, revokes it", async function () {
    const granted = await ok(
      "consent",
      "grant",
      "--patient",
      patientId,
      "--org",
      pharmacyId,
      "--categories",
      "CONDITIONS,MEDICATIONS",
      "--purposes",
      "TREATMENT",
      "--actions",
      "READ",
      "--days",
      "90",
      "--from",
      "8",
    );
    expect(granted).to.match(/categories\s+CONDITIONS,MEDICATIONS/);
    const check = ["consent", "check", "--patient", patientId, "--org", pharmacyId, "--purposes", "TREATMENT"];
    const [yes, no] = await Promise.all([
      ok(...check, "--categories", "MEDICATIONS"),
      ok(...check, "--categories", "CONTACT"),
      // A stranger's grant is refused by the chain, the custom error decoded.
      refused(
        /^error: the chain refused: ConsentUnauthorized\(0x[0-9a-fA-F]{40}, \d+\)$/,
        "consent",
        "grant",
        "--patient",
        patientId,
        "--org",
        pharmacyId,
        "--categories",
        "CONDITIONS",
        "--purposes",
        "TREATMENT",
        "--from",
        "9",
      ),
    ]);
    expect(yes).to.include("access GRANTED");
    expect(no).to.include("access DENIED");
    expect(await ok("consent", "revoke", "--patient", patientId, "--org", pharmacyId, "--from", "8")).to.include(
      "Revoked",
    );
    expect(await ok(...check, "--categories", "MEDICATIONS")).to.include("access DENIED");
  });

  it("commissions a lot, verifies a pack by its GS1 string, and shows the lot's and a unit's timeline", async function () {
    const serialsFile = path.join(work, "serials.txt");
    const store = path.join(work, "store.json");
    writeFileSync(serialsFile, serials.join("\n"));
    const commissioned = await ok(
      "lot",
      "commission",
      "--gtin",
      gtin14,
      "--lot",
      lot,
      "--expiry",
      "2030-06-30",
      "--serials-file",
      serialsFile,
      "--store",
      store,
      "--from",
      "6",
      "--release",
    );
    expect(commissioned).to.match(/units\s+5/);
    expect(existsSync(store)).to.equal(true);

    const gs1 = (serial: string) => `(01)${gtin14}(17)300630(10)${lot}(21)${serial}`;
    const [pack, lotTimeline, unitTimeline] = await Promise.all([
      ok("pack", "verify", "--gs1", gs1(serials[3]), "--store", store),
      ok("lot", "timeline", "--gtin", gtin14, "--lot", lot),
      ok("unit", "timeline", "--gtin", gtin14, "--lot", lot, "--serial", serials[3]),
      refused(`serial "SNUNKNOWN" of lot "${lot}"`, "pack", "verify", "--gs1", gs1("SNUNKNOWN"), "--store", store),
      refused(`unknown lot "NOLOT"`, "lot", "timeline", "--gtin", gtin14, "--lot", "NOLOT"),
    ]);
    expect(pack).to.include("Pack authentic and saleable");
    expect(pack).to.match(new RegExp(`serial\\s+${serials[3]} \\(unit #3\\)`));
    expect(pack).to.match(/status\s+Active/);
    expect(lotTimeline).to.match(/commissioned by org \d+: 5 units, expiry 2030-06-30 23:59:59 UTC/);
    expect(lotTimeline).to.include("passed (released)");
    expect(lotTimeline).to.match(/held\s+org \d+: 5/);
    expect(unitTimeline).to.include(`Timeline of unit ${serials[3]}`);
    expect(unitTimeline).to.match(/commissioned by org/);
  });

  it("verifies a record's content hash against its anchor (exit 2 on a mismatch)", async function () {
    const addresses = JSON.parse(readFileSync(path.join(DEPLOYMENT_DIR, "deployed_addresses.json"), "utf8")) as Record<
      string,
      string
    >;
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    const controller = await provider.getSigner(8);
    const records = RecordRegistry__factory.connect(getAddress(addresses["Consent#RecordRegistry"]), controller);
    const recordId = hexlify(randomBytes(32));
    const contentHash = keccak256(toUtf8Bytes(`ciphertext ${recordId}`));
    await (
      await records.anchor(recordId, patientId, categoryIndex("CONDITIONS"), contentHash, hexlify(randomBytes(32)))
    ).wait();
    provider.destroy();

    const [match, mismatch] = await Promise.all([
      medchain("record", "verify", "--record", recordId, "--hash", contentHash),
      medchain("record", "verify", "--record", recordId, "--hash", keccak256(toUtf8Bytes("tampered"))),
      refused(
        `unknown record 0x${"ab".repeat(32)}`,
        "record",
        "verify",
        "--record",
        `0x${"ab".repeat(32)}`,
        "--hash",
        contentHash,
      ),
    ]);
    expect(match.code).to.equal(0);
    expect(match.stdout).to.include("MATCHES the anchor");
    expect(match.stdout).to.match(/status\s+Live/);
    expect(mismatch.code).to.equal(2);
    expect(mismatch.stdout).to.include("DOES NOT MATCH");
  });
});
