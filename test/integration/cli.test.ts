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
import {
  type ContractTransactionResponse,
  getAddress,
  hexlify,
  type Interface,
  JsonRpcProvider,
  keccak256,
  randomBytes,
  toUtf8Bytes,
  ZeroHash,
} from "ethers";
import hre from "hardhat";

import { gtinCheckDigit } from "../../src/gs1.ts";
import { claimId as claimIdOf, procedureCodeHash, randomSalt } from "../../src/ids.ts";
import { Capabilities, OrgKind } from "../../src/roles.ts";
import { Action, Category, categoryIndex, Purpose } from "../../src/scopes.ts";
import {
  buildDataset,
  makeRow,
  outcomesCommitment,
  participantId as participantIdOf,
  registryIdHash as registryIdHashOf,
  trialId as trialIdOf,
} from "../../src/trials.ts";
import {
  ClaimEscrow__factory,
  ConsentManager__factory,
  IdentityRegistry__factory,
  RecordRegistry__factory,
  TestStablecoin__factory,
  TrialRegistry__factory,
} from "../../typechain-types/index.ts";

const ROOT = hre.config.paths.root;
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const DEPLOYMENTS = path.join(hre.config.paths.ignition, "deployments");
const DEPLOYMENT_DIR = path.join(DEPLOYMENTS, "chain-31337");
const DAY = 86_400n;

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

  /** The deployment's addresses, as Ignition saved them. */
  function deployed(): Record<string, string> {
    return JSON.parse(readFileSync(path.join(DEPLOYMENT_DIR, "deployed_addresses.json"), "utf8")) as Record<
      string,
      string
    >;
  }

  /**
   * The test's own connection to the node, for setting up state no command creates (trials, claims):
   * the contracts at the deployed addresses, the node's accounts as signers, and helpers that mine a
   * transaction and read an event of its receipt.
   */
  async function direct() {
    const addresses = deployed();
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    const signer = (index: number) => provider.getSigner(index);
    const identity = IdentityRegistry__factory.connect(addresses["Identity#IdentityRegistry"], provider);
    async function mined(tx: Promise<ContractTransactionResponse>) {
      const receipt = await (await tx).wait();
      if (receipt === null) throw new Error("transaction dropped");
      return receipt;
    }
    async function emitted(
      contract: { interface: Interface },
      event: string,
      tx: Promise<ContractTransactionResponse>,
    ): Promise<Record<string, unknown>> {
      const receipt = await mined(tx);
      const parsed = receipt.logs.map((log) => contract.interface.parseLog(log)).find((e) => e?.name === event);
      if (parsed == null) throw new Error(`no ${event} event`);
      return parsed.args.toObject();
    }
    /** Accredits an organisation (registrar: account 1) operated by account `operator`; returns its id. */
    async function registerOrg(kind: keyof typeof OrgKind, capabilities: number, operator: number) {
      const now = BigInt((await provider.getBlock("latest"))!.timestamp);
      const registered = await emitted(
        identity,
        "OrganizationRegistered",
        identity
          .connect(await signer(1))
          .registerOrganization(
            OrgKind[kind],
            capabilities,
            now + 365n * DAY,
            ZeroHash,
            (await signer(operator)).address,
          ),
      );
      // The offered operator accepts: an account becomes an operator only with its own consent.
      await mined(identity.connect(await signer(operator)).acceptOperator(registered.orgId as bigint));
      return registered.orgId as bigint;
    }
    async function now() {
      return BigInt((await provider.getBlock("latest"))!.timestamp);
    }
    return {
      addresses,
      provider,
      signer,
      identity,
      consent: ConsentManager__factory.connect(addresses["Consent#ConsentManager"], provider),
      records: RecordRegistry__factory.connect(addresses["Consent#RecordRegistry"], provider),
      trials: TrialRegistry__factory.connect(addresses["Trials#TrialRegistry"], provider),
      claims: ClaimEscrow__factory.connect(addresses["MedChain#ClaimEscrow"], provider),
      token: TestStablecoin__factory.connect(addresses["MedChain#TestStablecoin"], provider),
      mined,
      emitted,
      registerOrg,
      now,
    };
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
    const saved = deployed();
    for (const [name, key] of [
      ["IdentityRegistry", "Identity#IdentityRegistry"],
      ["ConsentManager", "Consent#ConsentManager"],
      ["RecordRegistry", "Consent#RecordRegistry"],
      ["SupplyChain", "Supply#SupplyChain"],
      ["TrialRegistry", "Trials#TrialRegistry"],
      ["ClaimEscrow", "MedChain#ClaimEscrow"],
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
    expect(lotTimeline).to.match(
      /units\s+5 commissioned: 5 held, 0 in transit, 0 dispensed, 0 destroyed, 0 awaiting destruction/,
    );
    expect(unitTimeline).to.include(`Timeline of unit ${serials[3]}`);
    expect(unitTimeline).to.match(/commissioned by org/);
  });

  it("verifies a record's content hash against its anchor (exit 2 on a mismatch)", async function () {
    const addresses = deployed();
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
  // Shared by the trial step and the bad-input step after it.
  let trialId = "";
  let rowFile = "";

  it("verifies a trial data point (Included: exit 0; tampered or not enrolled: exit 2) and shows the trial", async function () {
    const c = await direct();
    const [sponsorOp, siteOp, patient] = await Promise.all([c.signer(10), c.signer(11), c.signer(8)]);
    const sponsorOrg = await c.registerOrg("Sponsor", Capabilities.SPONSOR_TRIALS, 10);
    const siteOrg = await c.registerOrg("Provider", Capabilities.RESEARCH, 11);
    const scopes = Category.CONDITIONS | Category.LAB_RESULTS;
    await c.mined(
      c.consent
        .connect(patient)
        .grant(patientId, sponsorOrg, scopes, Action.READ, Purpose.RESEARCH, 0, (await c.now()) + 90n * DAY),
    );
    const registryIdHash = registryIdHashOf(`NCT${Math.floor(Math.random() * 1e8)}`);
    const outcomesSalt = randomSalt();
    const outcomesDefinitionHash = keccak256(randomBytes(32));
    await c.mined(
      c.trials
        .connect(sponsorOp)
        .registerTrial(
          registryIdHash,
          keccak256(randomBytes(32)),
          keccak256(randomBytes(32)),
          outcomesCommitment(outcomesSalt, outcomesDefinitionHash),
          scopes,
          0,
        ),
    );
    trialId = trialIdOf(sponsorOrg, registryIdHash);
    await c.mined(c.trials.connect(sponsorOp).setSite(trialId, siteOrg, true));
    const enrolSalt = randomSalt();
    await c.mined(c.trials.connect(patient).enrol(trialId, patientId, enrolSalt, 1));
    const participant = participantIdOf(BigInt(patientId), trialId, enrolSalt);
    const stranger = keccak256(randomBytes(32)); // in the batch, never enrolled
    const rows = [
      makeRow(participant, 1n, { visit: 1, sbp: 128, dbp: 82 }),
      makeRow(participant, 1n, { visit: 2, sbp: 131, dbp: 85 }),
      makeRow(stranger, 1n, { visit: 1, sbp: 119, dbp: 77 }),
    ];
    const dataset = buildDataset(rows);
    await c.mined(c.trials.connect(siteOp).commitData(trialId, dataset.root, rows.length, keccak256(randomBytes(32))));
    await c.mined(c.trials.connect(sponsorOp).lockDatabase(trialId));
    await c.mined(
      c.trials
        .connect(sponsorOp)
        .publishResults(trialId, keccak256(randomBytes(32)), outcomesSalt, outcomesDefinitionHash),
    );
    c.provider.destroy();

    // The data-point files, as documented in tasks/trial.ts and the README.
    const write = (name: string, value: unknown) => {
      const file = path.join(work, name);
      writeFileSync(
        file,
        JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v), 2),
      );
      return file;
    };
    rowFile = write("row0.json", { ...rows[0], proof: dataset.proof(0) });
    const row1 = write("row1.json", rows[1]);
    const proof1 = write("proof1.json", dataset.proof(1));
    const tampered = write("tampered.json", {
      ...rows[0],
      values: { visit: 1, sbp: 118, dbp: 82 },
      proof: dataset.proof(0),
    });
    const notEnrolled = write("row2.json", { ...rows[2], proof: dataset.proof(2) });
    const verify = (file: string, ...more: string[]) =>
      medchain("trial", "verify", "--trial", trialId, "--batch", "0", "--row", file, ...more);

    const [included, separate, changed, unenrolled, shown] = await Promise.all([
      verify(rowFile),
      verify(row1, "--proof", proof1),
      verify(tampered),
      verify(notEnrolled),
      ok("trial", "show", "--trial", trialId),
    ]);
    expect(included.code, included.stdout + included.stderr).to.equal(0);
    expect(included.stdout).to.match(/^Data point Included: the row is in the batch/);
    expect(included.stdout).to.match(new RegExp(`participant\\s+${participant}`));
    expect(included.stdout).to.match(new RegExp(`batch\\s+0 \\(root ${dataset.root}\\)`));
    expect(separate.code, separate.stdout + separate.stderr).to.equal(0);
    expect(separate.stdout).to.include("Data point Included");
    expect(changed.code).to.equal(2);
    expect(changed.stdout).to.match(/^Data point NotIncluded: the proof does not lead to the batch's root/);
    expect(unenrolled.code).to.equal(2);
    expect(unenrolled.stdout).to.match(/^Data point NotEnrolled/);

    expect(shown).to.match(/status\s+Reported/);
    expect(shown).to.match(new RegExp(`sponsor\\s+org ${sponsorOrg}`));
    expect(shown).to.match(/data scopes\s+CONDITIONS,LAB_RESULTS/);
    expect(shown).to.match(/participants\s+1 enrolled, 0 withdrawn/);
    const timeline = shown.slice(shown.indexOf("Timeline"));
    const order = [
      `TrialRegistered\\s+registered by sponsor org ${sponsorOrg}`,
      `SiteSet\\s+site org ${siteOrg} authorised`,
      `ParticipantEnrolled\\s+participant ${participant.slice(0, 10)}… enrolled, consenting to protocol v1`,
      `DataCommitted\\s+batch #0 committed by site org ${siteOrg}: 3 rows, root ${dataset.root.slice(0, 10)}…`,
      "DatabaseLocked\\s+database locked after 1 batch",
      "ResultsPublished\\s+results published",
    ];
    let at = 0;
    for (const line of order) {
      const match = new RegExp(`\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC  block \\d+  ${line}`).exec(
        timeline.slice(at),
      );
      expect(match, `${line} after position ${at} in\n${timeline}`).to.not.equal(null);
      at += match!.index + match![0].length;
    }
  });

  it("shows a claim paid at once and a claim under review: state, explanation of benefits, history", async function () {
    const USD = 1_000_000n; // the test stablecoin has 6 decimals
    const c = await direct();
    const [insurerOp, providerOp, patient, payout] = await Promise.all([12, 13, 8, 14].map((i) => c.signer(i)));
    const insurerOrg = await c.registerOrg("Insurer", Capabilities.INSURE, 12);
    const providerOrg = await c.registerOrg("Provider", Capabilities.BILL | Capabilities.WRITE_RECORDS, 13);
    const now = await c.now();
    await c.mined(
      c.consent
        .connect(patient)
        .grant(patientId, insurerOrg, Category.BILLING, Action.READ, Purpose.PAYMENT, 0, now + 90n * DAY),
    );
    // The patient anchors the record itself, so the provider is tied to the service by its TREATMENT grant.
    await c.mined(
      c.consent
        .connect(patient)
        .grant(patientId, providerOrg, Category.BILLING, Action.READ, Purpose.TREATMENT, 0, now + 90n * DAY),
    );
    const recordId = hexlify(randomBytes(32));
    await c.mined(
      c.records
        .connect(patient)
        .anchor(recordId, patientId, categoryIndex("BILLING"), keccak256(randomBytes(32)), hexlify(randomBytes(32))),
    );
    const codeHash = procedureCodeHash(randomSalt(), "99213");
    const terms = {
      deductible: 100n * USD,
      outOfPocketMax: 3_000n * USD,
      annualLimit: 100_000n * USD,
      autoApproveThreshold: 1_000n * USD,
      reviewWindow: 14n * DAY,
      timelyFilingWindow: 90n * DAY,
    };
    const rule = { rateBps: 8_000n, cap: 5_000n * USD, copay: 20n * USD, preauthRequired: false, covered: true };
    const plan = await c.emitted(
      c.claims,
      "PlanCreated",
      c.claims.connect(insurerOp).createPlan(terms, [codeHash], [rule]),
    );
    const policy = await c.emitted(
      c.claims,
      "PolicyBound",
      c.claims.connect(insurerOp).bindPolicy(plan.planId as bigint, patientId, now - 30n * DAY, now + 335n * DAY),
    );
    const policyId = policy.policyId as bigint;
    await c.mined(c.token.connect(insurerOp).mint(insurerOp.address, 10_000n * USD));
    await c.mined(c.token.connect(insurerOp).approve(c.addresses["MedChain#ClaimEscrow"], 10_000n * USD));
    await c.mined(c.claims.connect(insurerOp).deposit(10_000n * USD));
    await c.mined(c.claims.connect(providerOp).setPayoutAddress(payout.address));
    const serviceDate = now - DAY;
    // Two services on two days: each is a first line (a second line of one service would be a repeat).
    const submit = async (amount: bigint, date: bigint) => {
      const lineRef = hexlify(randomBytes(32));
      await c.mined(c.claims.connect(providerOp).submitClaim(policyId, codeHash, lineRef, amount, date, recordId));
      return claimIdOf(providerOrg, policyId, codeHash, date);
    };
    const claimPaid = await submit(250n * USD, serviceDate); // below the auto-approve threshold: paid at once
    const claimReviewed = await submit(2_000n * USD, serviceDate - DAY); // above it: the insurer reviews it
    c.provider.destroy();

    const [paid, reviewed] = await Promise.all([
      ok("claim", "show", "--claim", claimPaid),
      ok("claim", "show", "--claim", claimReviewed),
    ]);
    // 250 billed: co-pay 20, the whole deductible 100, 80% of the remaining 130 = 104 paid, patient 20 + 100 + 26.
    expect(paid).to.match(new RegExp(`^Claim ${claimPaid}: Paid`));
    expect(paid).to.match(/status\s+Paid \(patient share owed\)/); // the patient has no deposit to pay it from
    expect(paid).to.match(new RegExp(`policy\\s+${policyId} \\(plan ${plan.planId}, insurer org ${insurerOrg}\\)`));
    expect(paid).to.match(new RegExp(`provider\\s+org ${providerOrg}`));
    expect(paid).to.include("Explanation of benefits, as submitted (FHIR ClaimResponse adjudication)");
    expect(paid).to.match(/submitted \(billed\)\s+250\.00 mUSD/);
    expect(paid).to.match(/eligible\s+250\.00 mUSD/);
    expect(paid).to.match(/copay\s+20\.00 mUSD/);
    expect(paid).to.match(/deductible\s+100\.00 mUSD/);
    expect(paid).to.match(/benefit \(insurer pays\)\s+104\.00 mUSD/);
    expect(paid).to.match(/patient responsibility\s+146\.00 mUSD/);
    expect(paid).to.match(/not covered\s+0\.00 mUSD/);
    expect(paid).to.match(
      new RegExp(
        `ClaimSubmitted\\s+submitted by provider org ${providerOrg} under policy ${policyId}: billed 250\\.00 mUSD`,
      ),
    );
    expect(paid).to.match(/ClaimSettled\s+settled: benefit 104\.00 mUSD, 104\.00 mUSD paid to the provider now/);

    expect(reviewed).to.match(new RegExp(`^Claim ${claimReviewed}: Pending`));
    expect(reviewed).to.match(/review until\s+\d{4}-\d{2}-\d{2} /);
    expect(reviewed).to.include("Explanation of benefits, as submitted, pending the insurer's review");
    expect(reviewed).to.match(/submitted \(billed\)\s+2,000\.00 mUSD/);
    expect(reviewed).to.match(/ClaimReviewOpened\s+sent to the insurer's review until/);
    expect(reviewed).to.not.include("ClaimSettled");
  });

  it("refuses an unknown claim or trial, a malformed data-point file and a batch that does not exist (exit 1)", async function () {
    const malformed = path.join(work, "malformed.json");
    writeFileSync(malformed, '{ "participantId": "0x12", ');
    const noProof = path.join(work, "no-proof.json");
    const row = JSON.parse(readFileSync(rowFile, "utf8")) as Record<string, unknown>;
    writeFileSync(noProof, JSON.stringify({ ...row, proof: undefined }));
    const unknown = `0x${"cd".repeat(32)}`;
    const verify = (...more: string[]) => ["trial", "verify", "--trial", trialId, "--batch", "0", ...more];
    await Promise.all([
      refused(`unknown claim ${unknown}: no such claim on chain 31337`, "claim", "show", "--claim", unknown),
      refused(`unknown trial ${unknown}: never registered on chain 31337`, "trial", "show", "--trial", unknown),
      refused(new RegExp(`^error: --row: ${malformed} is not valid JSON: `), ...verify("--row", malformed)),
      refused(`--row: ${noProof} has no "proof" array, and no --proof was given`, ...verify("--row", noProof)),
      refused(
        `trial ${trialId} has no batch 7 (it has 1: batch 0)`,
        "trial",
        "verify",
        "--trial",
        trialId,
        "--batch",
        "7",
        "--row",
        rowFile,
      ),
    ]);
  });
});
