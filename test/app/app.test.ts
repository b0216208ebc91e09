/**
 * The reference dApp (app/) in a real browser: a `hardhat node` on a free port, seeded by
 * scripts/app-seed.ts, the app built by Vite and served by `vite preview`, driven by playwright-core in
 * Debian's headless Chromium. Screenshots of each page go to test-artifacts/.
 *
 * Not part of `npm test`: it runs only under `npm run test:app` (MEDCHAIN_APP_TEST=1) and needs
 * Chromium at /usr/bin/chromium (or CHROMIUM_PATH): `apt-get install -y chromium`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { computeAddress, JsonRpcProvider, SigningKey } from "ethers";
import hre from "hardhat";
import { type Browser, chromium, type Page } from "playwright-core";

import type { DemoData } from "../../app/src/demo.ts";
import { Category, Purpose } from "../../src/scopes.ts";
import {
  ClaimEscrow__factory,
  ConsentManager__factory,
  IdentityRegistry__factory,
} from "../../typechain-types/index.ts";

const ROOT = hre.config.paths.root;
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const VITE_CLI = path.join(ROOT, "node_modules", "vite", "bin", "vite.js");
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Chromium's flags on this machine kind: no sandbox as root, and no background calls to a closed network. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Free TCP ports in 18600–18700 on 127.0.0.1, tried in random order (other runs may hold some). */
async function freePorts(count: number): Promise<number[]> {
  const candidates = Array.from({ length: 101 }, (_, i) => 18600 + i).sort(() => Math.random() - 0.5);
  const found: number[] = [];
  for (const port of candidates) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) found.push(port);
    if (found.length === count) return found;
  }
  throw new Error("not enough free ports in 18600-18700");
}

/** Waits until `probe` resolves true, or fails naming `what` (and the child's exit, if it died). */
async function waitFor(what: string, probe: () => Promise<boolean>, child?: ChildProcess, timeoutMs = 60_000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (child !== undefined && child.exitCode !== null) throw new Error(`${what}: exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}

const shouldRun = process.env.MEDCHAIN_APP_TEST === "1";
/** The order of secp256k1: a private key is a number in 1…n−1. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

if (shouldRun) {
  describe("Reference dApp in headless Chromium (npm run test:app)", function () {
    this.timeout(120_000);

    const children: ChildProcess[] = [];
    let work = "";
    let deploymentId = "";
    let browser: Browser | undefined;
    let page: Page;
    let web = "";
    let demo: DemoData;
    let provider: JsonRpcProvider;
    const pageErrors: string[] = [];

    /** Starts a child in its own process group (killed as a whole in `after`), its output in `work/<name>.log`. */
    function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
      const log = openSync(path.join(work, `${name}.log`), "w");
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, NO_COLOR: "1" };
      delete childEnv.NODE_ENV; // `hardhat test` sets it to "test"; Vite builds for production
      delete childEnv.HH_TEST;
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: childEnv,
        stdio: ["ignore", log, log],
        detached: true,
      });
      closeSync(log);
      children.push(child);
      return child;
    }

    /** Runs a child to completion; fails with the end of its log. */
    async function run(name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
      const child = start(name, args, env);
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      if (code !== 0) {
        const log = readFileSync(path.join(work, `${name}.log`), "utf8");
        throw new Error(`${name} exited with ${code}:\n${log.split("\n").slice(-40).join("\n")}`);
      }
    }

    function stop(child: ChildProcess): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          child.kill(sig);
        }
      };
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), 5_000);
      return exited.finally(() => clearTimeout(timer));
    }

    async function screenshot(name: string): Promise<void> {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    }

    before(async function () {
      this.timeout(300_000);
      if (hre.globalOptions.coverage) this.skip(); // children would deploy uninstrumented artifacts
      if (!existsSync(CHROMIUM)) {
        throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium)`);
      }
      work = mkdtempSync(path.join(tmpdir(), "medchain-app-"));
      const [nodePort, webPort] = await freePorts(2);
      const rpcUrl = `http://127.0.0.1:${nodePort}`;
      web = `http://127.0.0.1:${webPort}`;
      deploymentId = `medchain-app-test-${nodePort}`;

      const node = start("node", [HARDHAT_CLI, "node", "--port", String(nodePort)]);
      await waitFor(
        "hardhat node",
        async () =>
          (
            await fetch(rpcUrl, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
            })
          ).ok,
        node,
      );
      const dist = path.join(work, "dist");
      const demoFile = path.join(work, "demo.json");
      await Promise.all([
        run("seed", [HARDHAT_CLI, "run", "--no-compile", "--network", "localhost", "scripts/app-seed.ts"], {
          MEDCHAIN_RPC_URL: rpcUrl,
          MEDCHAIN_APP_OUT: demoFile,
          MEDCHAIN_APP_DEPLOYMENT: deploymentId,
        }),
        run("build", [VITE_CLI, "build", "app", "--outDir", dist, "--emptyOutDir", "--logLevel", "warn"]),
      ]);
      copyFileSync(demoFile, path.join(dist, "demo.json"));
      demo = JSON.parse(readFileSync(demoFile, "utf8")) as DemoData;
      provider = new JsonRpcProvider(rpcUrl, Number(demo.chainId), { staticNetwork: true, cacheTimeout: -1 });

      const preview = start("preview", [
        VITE_CLI,
        "preview",
        "app",
        "--outDir",
        dist,
        "--host",
        "127.0.0.1",
        "--port",
        String(webPort),
        "--strictPort",
      ]);
      await waitFor("vite preview", async () => (await fetch(`${web}/demo.json`)).ok, preview);

      // playwright-core starts Chromium with a fresh temporary profile (user data dir) of its own.
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      page.setDefaultTimeout(30_000);
      page.on("pageerror", (error) => pageErrors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(message.text());
      });
    });

    after(async function () {
      this.timeout(30_000);
      await browser?.close().catch(() => undefined);
      provider?.destroy();
      await Promise.all(children.reverse().map(stop));
      if (deploymentId !== "") {
        const deployments = path.join(hre.config.paths.ignition, "deployments");
        rmSync(path.join(deployments, deploymentId), { recursive: true, force: true });
        if (existsSync(deployments) && readdirSync(deployments).length === 0) rmdirSync(deployments);
      }
      if (work !== "") rmSync(work, { recursive: true, force: true });
    });

    afterEach(function () {
      expect(pageErrors, "errors in the page").to.deep.equal([]);
    });

    it("serves no private key but the demo patient's: no account's that acted or holds ether, no published encryption key's", async function () {
      const dist = path.join(work, "dist");
      const files = (readdirSync(dist, { recursive: true }) as string[])
        .map((f) => path.join(dist, f))
        .filter((f) => statSync(f).isFile());
      const candidates = new Set<string>();
      for (const file of files) {
        const text = readFileSync(file).toString("latin1");
        for (const m of text.matchAll(/(?<![0-9a-fA-F])(?:0x)?([0-9a-fA-F]{64})(?![0-9a-fA-F])/g)) {
          const k = BigInt(`0x${m[1]}`);
          if (k > 0n && k < SECP256K1_N) candidates.add(`0x${m[1].toLowerCase()}`);
        }
      }
      expect(candidates, "the demo patient's key is served").to.include(demo.patient.privateKey.toLowerCase());
      const identity = IdentityRegistry__factory.connect(demo.addresses.identity, provider);
      const published = new Set(
        (await identity.queryFilter(identity.filters.EncryptionKeySet(), demo.deployBlock)).map((e) =>
          `${e.args.prefix}${e.args.x.slice(2)}`.toLowerCase(),
        ),
      );
      const leaks: string[] = [];
      for (const secret of candidates) {
        if (secret === demo.patient.privateKey.toLowerCase()) continue;
        const account = computeAddress(secret);
        const [nonce, balance] = await Promise.all([
          provider.getTransactionCount(account),
          provider.getBalance(account),
        ]);
        if (nonce > 0 || balance > 0n) leaks.push(`the signing key of ${account} (nonce ${nonce}, balance ${balance})`);
        const encryptionKey = SigningKey.computePublicKey(secret, true).toLowerCase();
        if (published.has(encryptionKey)) leaks.push(`the encryption private key of ${encryptionKey}`);
      }
      expect(leaks, `served in ${dist}`).to.deep.equal([]);
    });

    const pack = (verdict: string) => demo.packs.find((p) => p.verdict === verdict)!;
    const orgId = (kind: string) => BigInt(demo.orgs.find((o) => o.kind === kind)!.id);

    describe("Verify a pack", function () {
      it("shows a genuine pack, typed in, as authentic with its custody timeline and dates", async function () {
        await page.goto(`${web}/#/verify`);
        await page.fill("#gs1", pack("authentic").gs1);
        await page.press("#gs1", "Enter");
        const verdict = page.locator("#verify-result [data-verdict]");
        await verdict.waitFor();
        expect(await verdict.getAttribute("data-verdict")).to.equal("authentic");
        expect(await verdict.innerText()).to.include("Authentic");
        const lot = /\(10\)([^()]+)/.exec(pack("authentic").gs1)![1];
        expect(await page.locator("#verify-result .facts").innerText()).to.include(lot);
        const [, yy, mm, dd] = /\(17\)(\d\d)(\d\d)(\d\d)/.exec(pack("authentic").gs1)!;
        const entries = await page.locator("#timeline li").allInnerTexts();
        expect(entries.map((e) => e.replace(/^\S+ \S+ UTC\s+/, ""))).to.deep.equal([
          `Commissioned by Acme Pharma: 20 packs, expiry 20${yy}-${mm}-${dd}`,
          "Quality check by Quality Lab: passed, lot released",
          "Acme Pharma shipped 10 packs to Wholesale Co",
          "Wholesale Co received 10 packs from Acme Pharma",
          "Wholesale Co shipped 5 packs to Corner Pharmacy",
          "Corner Pharmacy received 5 packs from Wholesale Co",
        ]);
        for (const entry of entries) expect(entry).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
        await screenshot("verify");
      });

      it("shows a pack of the recalled lot as recalled, the recall in its timeline", async function () {
        await page.click('button[data-pack="recalled"]');
        await page.locator('#verify-result [data-verdict="recalled"]').waitFor();
        expect(await page.locator("#verify-result .verdict").innerText()).to.include("Recalled");
        expect(await page.locator("#timeline").innerText()).to.include("Lot recalled (class 1)");
        await screenshot("verify-recalled");
      });

      it("shows the dispensed, quarantined, expired and counterfeit demo packs for what they are", async function () {
        for (const verdict of ["dispensed", "quarantined", "expired", "counterfeit"]) {
          await page.click(`button[data-pack="${verdict}"]`);
          await page.locator(`#verify-result [data-verdict="${verdict}"]`).waitFor();
        }
        expect(await page.locator("#timeline").innerText()).to.include("Commissioned by Acme Pharma");
      });

      it("answers a malformed string and a bad check digit with a clear message", async function () {
        await page.fill("#gs1", "hello pharmacy");
        await page.click('#verify-form button[type="submit"]');
        const alert = page.locator("#verify-result [role=alert]");
        await alert.waitFor();
        expect(await alert.innerText()).to.match(/^This is not a valid GS1 pack code: /);

        const gs1 = pack("authentic").gs1;
        const check = Number(gs1[17]); // "(01)" + 13 digits, then the check digit
        await page.fill("#gs1", `${gs1.slice(0, 17)}${(check + 1) % 10}${gs1.slice(18)}`);
        await page.click('#verify-form button[type="submit"]');
        await page.locator("#verify-result [role=alert]", { hasText: "check digit" }).waitFor();
        expect(await alert.innerText()).to.include(`has check digit ${(check + 1) % 10}, expected ${check}`);
        expect(await page.locator("#verify-result [data-verdict]").count()).to.equal(0);
        await screenshot("verify-malformed");
      });
    });

    describe("My consent", function () {
      it("grants then revokes a consent, signed in the browser and relayed: the table and the chain change", async function () {
        const consent = ConsentManager__factory.connect(demo.addresses.consent, provider);
        const patientId = BigInt(demo.patient.id);
        const pharmacy = orgId("Pharmacy");
        const canRead = () => consent.hasAccess(patientId, pharmacy, Category.MEDICATIONS, 1, Purpose.TREATMENT);
        const nonceBefore = await consent.nonces(patientId);

        await page.goto(`${web}/#/consent`);
        await page.locator("#grants table").waitFor();
        const row = page.locator(`#grants tr[data-org="${pharmacy}"]`);
        expect(await row.count()).to.equal(0);
        expect(await canRead()).to.equal(false);

        await page.selectOption("#grant-org", pharmacy.toString());
        await page.check('#grant-form input[name="category"][value="MEDICATIONS"]');
        await page.check('#grant-form input[name="category"][value="ALLERGIES"]');
        await page.fill("#grant-days", "10");
        await page.click('#grant-form button[type="submit"]');
        await page.locator("#consent-status .status-ok", { hasText: "Grant to Corner Pharmacy: done" }).waitFor();
        await page.locator(`#grants tr[data-org="${pharmacy}"][data-state="active"]`).waitFor();
        const cells = await row.locator("td").allInnerTexts();
        expect(cells.slice(0, 4)).to.deep.equal(["Corner Pharmacy", "MEDICATIONS, ALLERGIES", "TREATMENT", "READ"]);
        expect(await canRead()).to.equal(true);
        await screenshot("consent-granted");

        await row.locator("button.revoke").click();
        await page.locator("#consent-status .status-ok", { hasText: "Revoke Corner Pharmacy: done" }).waitFor();
        await page.locator(`#grants tr[data-org="${pharmacy}"][data-state="revoked"]`).waitFor();
        expect(await row.locator("button.revoke").count()).to.equal(0);
        expect(await canRead()).to.equal(false);
        expect(await consent.nonces(patientId)).to.equal(nonceBefore + 2n);
        await screenshot("consent");
      });

      it("shows the seeded access log and break-glass opening", async function () {
        expect(await page.locator("#access-log tbody tr").allInnerTexts()).to.have.length(1);
        expect(await page.locator("#access-log tbody").innerText()).to.include("Quality Lab");
        expect(await page.locator("#break-glass tbody").innerText()).to.include("St Elsewhere Hospital");
      });

      it("leaves the patient's account, the one the page signs with, holding 0 wei", async function () {
        expect(await page.locator("#patient-address").innerText()).to.equal(demo.patient.address);
        expect(await page.locator("#patient-balance").getAttribute("data-wei")).to.equal("0");
        expect(await provider.getBalance(demo.patient.address)).to.equal(0n);
        expect(await provider.getTransactionCount(demo.patient.address)).to.equal(0);
      });
    });

    describe("Claim status", function () {
      it("opens the paid claim: its explanation of benefits matches the chain, its history is listed", async function () {
        const escrow = ClaimEscrow__factory.connect(demo.addresses.claims, provider);
        const claim = await escrow.getClaim(demo.claims[0].id);
        const usd = (units: bigint) =>
          `${(units / 1_000_000n).toLocaleString("en")}.${String((units % 1_000_000n) / 10_000n).padStart(2, "0")} USD`;

        await page.goto(`${web}/#/claims`);
        await page.click('button[data-claim="0"]');
        await page.locator("#eob").waitFor();
        expect(await page.locator("#claim-result [data-status]").getAttribute("data-status")).to.equal("paid");
        const line = async (label: string) =>
          (await page.locator(`#eob tr[data-line="${label}"] td.num`).innerText()).trim();
        expect(await line("Billed")).to.equal(usd(claim.submitted));
        expect(await line("Deductible")).to.equal(usd(claim.deductible));
        expect(await line("Plan pays")).to.equal(usd(claim.benefit));
        expect(await line("Patient owes")).to.equal(usd(claim.patientShare + claim.notCovered));
        const history = await page.locator("#claim-history li").allInnerTexts();
        expect(history).to.have.length(2);
        expect(history[0]).to.match(
          /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\s+Submitted by St Elsewhere Hospital for 900\.00 USD/,
        );
        expect(history[1]).to.include(`Settled: the plan pays ${usd(claim.benefit)}`);
        await screenshot("claims");
      });

      it("opens a reviewed claim by its id and a denied one", async function () {
        await page.fill("#claim-id", demo.claims[1].id);
        await page.press("#claim-id", "Enter");
        await page.locator('#claim-result [data-status="paid"]').waitFor();
        const history = await page.locator("#claim-history li").allInnerTexts();
        expect(history).to.have.length(4);
        [
          /Submitted by St Elsewhere Hospital for 1,200\.00 USD/,
          /Sent to the insurer's review \(at or over the auto-approve threshold\), to be decided by \d{4}-\d{2}-\d{2}/,
          /Approved by the insurer: /,
          /Settled: the plan pays /,
        ].forEach((pattern, i) => expect(history[i]).to.match(pattern));
        await page.click('button[data-claim="2"]');
        await page.locator('#claim-result [data-status="denied"]').waitFor();
        expect(await page.locator("#claim-result .verdict").innerText()).to.include("reason 96: non-covered charge");
      });
    });
  });
}
