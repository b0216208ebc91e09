/**
 * Seeds a `hardhat node` for the reference dApp (app/): deploys the whole system with Ignition
 * (ignition/modules/MedChain.ts), then writes the demo data the app reads (app/src/demo.ts):
 *
 * - the demo cast of scripts/demo/identity.ts: eight organisations and a patient whose key holds no ether;
 * - drug packs: a genuine one, a dispensed one, one of a recalled lot, of a quarantined lot, of an expired
 *   lot, and a counterfeit (a serial the proof store knows but the chain never committed), with the
 *   serial-proof store as JSON;
 * - consent: the patient's grants (signed EIP-712, relayed), a disclosure in the access log, a break-glass
 *   opening;
 * - claims: a plan, a policy, an auto-paid claim, a reviewed and approved one, a denied one.
 *
 *   MEDCHAIN_RPC_URL=http://127.0.0.1:8545 npx hardhat run --network localhost scripts/app-seed.ts
 *
 * Environment: `MEDCHAIN_APP_OUT` (the demo.json to write, default app/public/demo.json),
 * `MEDCHAIN_APP_DEPLOYMENT` (Ignition's deployment id, default `medchain-app`; its folder under
 * ignition/deployments/ is replaced: the seed always deploys afresh). `npm run app` runs it.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { hexlify, randomBytes } from "ethers";
import hre from "hardhat";

import type { DemoData } from "../app/src/demo.ts";
import MedChainModule from "../ignition/modules/MedChain.ts";
import { ConsentClient } from "../src/clients/consent.ts";
import { SupplyClient } from "../src/clients/supply.ts";
import { formatGs1, isValidGtin, makeExpiry, type Gs1Expiry } from "../src/gs1.ts";
import { procedureCodeHash, randomSalt } from "../src/ids.ts";
import { Relayer } from "../src/relayer.ts";
import type { OrgKindName } from "../src/roles.ts";
import { categoryIndex } from "../src/scopes.ts";
import { SerialProofStore } from "../src/serial-store.ts";
import type {
  ClaimEscrow,
  ConsentManager,
  IdentityRegistry,
  RecordRegistry,
  SupplyChain,
  TestStablecoin,
} from "../typechain-types/index.ts";
import { identityChapter } from "./demo/identity.ts";
import { PATIENT } from "./demo/personal.ts";
import { act, chapter, note } from "./demo/story.ts";

const DAY = 24n * 3600n;
const USD = 1_000_000n; // the test stablecoin has 6 decimals
const hash = (): string => hexlify(randomBytes(32));
const code = (prefix: string): string => `${prefix}${hexlify(randomBytes(4)).slice(2).toUpperCase()}`;

/** Display names of the demo organisations (off chain: the chain holds only a profile hash). */
const ORG_NAMES: Record<Exclude<OrgKindName, "None">, string> = {
  Provider: "St Elsewhere Hospital",
  Pharmacy: "Corner Pharmacy",
  Manufacturer: "Acme Pharma",
  Distributor: "Wholesale Co",
  Lab: "Quality Lab",
  Insurer: "Mutual Health",
  Sponsor: "Trial Sponsor Inc",
  Regulator: "Health Authority",
};

const root = hre.config.paths.root;
const outFile = path.resolve(root, process.env.MEDCHAIN_APP_OUT ?? "app/public/demo.json");
const deploymentId = process.env.MEDCHAIN_APP_DEPLOYMENT ?? "medchain-app";

const { ethers, ignition, networkName } = await hre.network.create();
const signers = await ethers.getSigners();
const [, registrar, regulator, , relayerAccount, ...operators] = signers;
const { chainId } = await ethers.provider.getNetwork();
const chainNow = async (): Promise<bigint> => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);

chapter(`0. Deploy MedChain on ${networkName} (chain ${chainId}) with Ignition`);
rmSync(path.join(hre.config.paths.ignition, "deployments", deploymentId), { recursive: true, force: true });
const deployBlock = (await ethers.provider.getBlockNumber()) + 1;
const deployed = await ignition.deploy(MedChainModule, {
  deploymentId,
  parameters: path.join(hre.config.paths.ignition, "parameters", "localhost.json"),
});
const identity = deployed.identity as unknown as IdentityRegistry;
const consent = deployed.consent as unknown as ConsentManager;
const records = deployed.records as unknown as RecordRegistry;
const supply = deployed.supply as unknown as SupplyChain;
const escrow = deployed.claims as unknown as ClaimEscrow;
const token = deployed.token as unknown as TestStablecoin;
for (const [name, contract] of Object.entries(deployed)) note(`${name.padEnd(9)} ${await contract.getAddress()}`);

const cast = await identityChapter(identity, registrar, relayerAccount, operators, ethers.provider);
const {
  Provider: hospital,
  Pharmacy: pharmacy,
  Manufacturer: mfr,
  Distributor: dist,
  Lab: lab,
  Insurer: insurer,
} = cast.orgs;
const patientId = cast.patient.id;
const patientWallet = cast.patient.wallet;

// ─── Consent: the patient's signed grants, relayed ─────────────────────────────────────────────────
chapter("2. Consent: the patient signs grants (EIP-712); the relayer pays the gas");
const relayer = new Relayer(relayerAccount);
const consentClient = new ConsentClient(consent);
const t0 = await chainNow();
const grants: [string, bigint, Parameters<ConsentClient["signGrant"]>[3]][] = [
  [
    ORG_NAMES.Provider,
    hospital.id,
    {
      scopes: ["ENCOUNTERS", "CONDITIONS", "MEDICATIONS", "PROCEDURES", "CLINICAL_NOTES"],
      actions: ["READ", "WRITE"],
      purposes: ["TREATMENT"],
      expiresAt: t0 + 365n * DAY,
    },
  ],
  [ORG_NAMES.Insurer, insurer.id, { scopes: ["BILLING"], purposes: ["PAYMENT"], expiresAt: t0 + 365n * DAY }],
  [
    ORG_NAMES.Lab,
    lab.id,
    { scopes: ["CONDITIONS", "LAB_RESULTS"], purposes: ["TREATMENT"], expiresAt: t0 + 90n * DAY },
  ],
];
for (const [name, org, terms] of grants) {
  const signed = await consentClient.signGrant(patientWallet, patientId, org, terms);
  await act("relayer", `relays the patient's signed grant to ${name}`, consentClient.relayGrant(relayer, signed));
}

const hospitalOp = new ConsentClient(consent).connect(hospital.operator);
const recordId = hash();
await act(
  ORG_NAMES.Provider,
  "anchors an encrypted record (CONDITIONS) of the patient",
  records.connect(hospital.operator).anchor(recordId, patientId, categoryIndex("CONDITIONS"), hash(), hash()),
);
await act(
  ORG_NAMES.Provider,
  `discloses it to ${ORG_NAMES.Lab} under the lab's grant (access log)`,
  hospitalOp.logAccess(patientId, lab.id, recordId, ["CONDITIONS"], ["TREATMENT"]),
);
const emergency = await hospitalOp.openEmergencyAccess(patientId, hash());
await act(ORG_NAMES.Provider, "opens break-glass access in the emergency room", Promise.resolve(emergency.receipt));
await act(
  ORG_NAMES.Provider,
  "records the justification of that access",
  hospitalOp.justifyEmergencyAccess(emergency.accessId, hash()),
);

// ─── Supply: packs in every state ────────────────────────────────────────────────────────────────
chapter("3. Drug traceability: lots and packs in every state the app shows");
const year = new Date(Number(await chainNow()) * 1000).getUTCFullYear();
const store = new SerialProofStore();
const gs1Options = { referenceYear: year };
const client = (op: HardhatEthersSigner, s: SerialProofStore = store) =>
  new SupplyClient(supply.connect(op), { store: s, gs1: gs1Options });
const [mfrC, distC, pharmC, labC, regC] = [mfr, dist, pharmacy, lab]
  .map((o) => client(o.operator))
  .concat(client(regulator));
await act(
  "registrar",
  "records Acme Pharma's GS1 company prefix 0614141",
  identity.connect(registrar).setCompanyPrefix(mfr.id, 614141n, 7),
);
await act(ORG_NAMES.Manufacturer, "designates Quality Lab to release its lots", mfrC.setLabDesignation(lab.id, true));

let gtin = "";
for (let check = 0; !isValidGtin(gtin); check++) gtin = `0061414112345${check}`;
const longExpiry = makeExpiry(year + 2, 6, 30);
const packs: DemoData["packs"] = [];
const hri = (lot: string, serial: string, expiry: Gs1Expiry) =>
  formatGs1({ gtin, expiry, lot, serial }, { mode: "hri", referenceYear: year });

/** Commissions a lot of `units` serials (released by the lab unless `release` is false); returns its id and serials. */
async function commission(what: string, expiry: Gs1Expiry, { units = 20, release = true, via = mfrC } = {}) {
  const lot = code("L");
  const serials = Array.from({ length: units }, () => code("S"));
  const lotOf = await via.commissionLot({ gtin, lot, expiry, serials, epcisEventHash: hash() });
  await act(ORG_NAMES.Manufacturer, `commissions lot ${lot} (${what}): ${units} packs`, Promise.resolve(lotOf.receipt));
  if (release) {
    await act(
      ORG_NAMES.Lab,
      `releases lot ${lot}`,
      labC.qualityCheck({ lotId: lotOf.lotId, passed: true, certificateHash: hash() }),
    );
  }
  return { lot, lotId: lotOf.lotId, serials };
}

/** Ships `quantity` of a lot from one client to another org, which accepts. */
async function move(
  from: SupplyClient,
  fromName: string,
  to: SupplyClient,
  toOrg: bigint,
  toName: string,
  lotId: string,
  quantity: bigint,
) {
  const shipped = await from.ship({ lotId, toOrg, quantity, epcisEventHash: hash(), tiTsHash: hash() });
  await act(fromName, `ships ${quantity} packs to ${toName}`, Promise.resolve(shipped.receipt));
  await act(
    toName,
    "accepts the shipment",
    to.accept({ lotId, shipmentId: shipped.shipmentId, epcisEventHash: hash(), tiTsHash: hash() }),
  );
}

const good = await commission("genuine", longExpiry);
await move(mfrC, ORG_NAMES.Manufacturer, distC, dist.id, ORG_NAMES.Distributor, good.lotId, 10n);
await move(distC, ORG_NAMES.Distributor, pharmC, pharmacy.id, ORG_NAMES.Pharmacy, good.lotId, 5n);
packs.push({ label: "Genuine pack", gs1: hri(good.lot, good.serials[0], longExpiry), verdict: "authentic" });
const dispensed = hri(good.lot, good.serials[1], longExpiry);
await act(ORG_NAMES.Pharmacy, "dispenses a pack to a patient", pharmC.dispensePack(dispensed, hash()));
packs.push({ label: "Dispensed pack (a second scan: a clone?)", gs1: dispensed, verdict: "dispensed" });

const recalled = await commission("to be recalled", longExpiry);
await move(mfrC, ORG_NAMES.Manufacturer, distC, dist.id, ORG_NAMES.Distributor, recalled.lotId, 10n);
await act(
  "regulator",
  "recalls that lot (class 1)",
  regC.recall({ lotId: recalled.lotId, recallClass: 1, reasonHash: hash() }),
);
packs.push({
  label: "Pack of a recalled lot",
  gs1: hri(recalled.lot, recalled.serials[0], longExpiry),
  verdict: "recalled",
});

const quarantined = await commission("to be quarantined", longExpiry);
await act("regulator", "quarantines that lot (a temperature excursion)", regC.quarantineLot(quarantined.lotId, hash()));
packs.push({
  label: "Pack of a quarantined lot",
  gs1: hri(quarantined.lot, quarantined.serials[0], longExpiry),
  verdict: "quarantined",
});

// A lot whose printed expiry is today (by the chain's clock): the chain's time is moved past it at the end.
const today = new Date(Number(await chainNow()) * 1000);
const shortExpiry = makeExpiry(today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate());
const expiring = await commission("expiring today", shortExpiry);
packs.push({
  label: "Pack of an expired lot",
  gs1: hri(expiring.lot, expiring.serials[0], shortExpiry),
  verdict: "expired",
});

// A counterfeit: the chain committed one serial list; the proof store was fed another (a cloned lot).
const scratch = new SerialProofStore();
const cloned = await commission("cloned by a counterfeiter", longExpiry, { via: client(mfr.operator, scratch) });
const forged = Array.from({ length: 20 }, () => code("S"));
store.addLot(gtin, cloned.lot, forged);
note("a counterfeiter's serial list for that lot reaches the proof store; the chain's root does not know it");
packs.push({ label: "Counterfeit pack", gs1: hri(cloned.lot, forged[0], longExpiry), verdict: "counterfeit" });

// ─── Claims: a plan, a policy, three claims ────────────────────────────────────────────────────────
chapter("4. Claims: a plan, a policy, claims adjudicated by rules");
const insurerOp = insurer.operator;
await act(ORG_NAMES.Insurer, "gets 1,000,000 test dollars", token.mint(insurerOp.address, 1_000_000n * USD));
await act(
  ORG_NAMES.Insurer,
  "approves the escrow",
  token.connect(insurerOp).approve(await escrow.getAddress(), 100_000n * USD),
);
await act(ORG_NAMES.Insurer, "funds its escrow with 100,000", escrow.connect(insurerOp).deposit(100_000n * USD));
const planSalt = randomSalt();
const [visit, ecg, physio] = ["99213", "93000", "97110"];
const codeHash = (c: string) => procedureCodeHash(planSalt, c);
const procedures: Record<string, string> = {
  [codeHash(visit)]: `${visit} office visit`,
  [codeHash(ecg)]: `${ecg} electrocardiogram`,
  [codeHash(physio)]: `${physio} physiotherapy`,
};
const ruleOf = (rateBps: number, cap: bigint, copay: bigint, covered = true) => ({
  rateBps,
  cap,
  copay,
  preauthRequired: false,
  covered,
});
await act(
  ORG_NAMES.Insurer,
  "publishes a plan (deductible 200, co-insurance 80%, auto-approval below 1,000)",
  escrow.connect(insurerOp).createPlan(
    {
      deductible: 200n * USD,
      outOfPocketMax: 3_000n * USD,
      annualLimit: 100_000n * USD,
      autoApproveThreshold: 1_000n * USD,
      reviewWindow: Number(14n * DAY),
      timelyFilingWindow: Number(90n * DAY),
    },
    [codeHash(visit), codeHash(ecg), codeHash(physio)],
    [ruleOf(8_000, 300n * USD, 25n * USD), ruleOf(8_000, 2_000n * USD, 0n), ruleOf(0, 0n, 0n, false)],
  ),
);
const planId = (await escrow.queryFilter(escrow.filters.PlanCreated())).at(-1)!.args.planId;
const start = (await chainNow()) - 30n * DAY;
await act(
  ORG_NAMES.Insurer,
  "binds the patient to the plan for a year",
  escrow.connect(insurerOp).bindPolicy(planId, patientId, start, start + 365n * DAY),
);
const policyId = (await escrow.queryFilter(escrow.filters.PolicyBound())).at(-1)!.args.policyId;
await act(
  ORG_NAMES.Provider,
  "sets its payout address",
  escrow.connect(hospital.operator).setPayoutAddress(hospital.operator.address),
);

const evidence = hash();
await act(
  ORG_NAMES.Provider,
  "anchors the encounter's record (PROCEDURES), the claims' evidence",
  records.connect(hospital.operator).anchor(evidence, patientId, categoryIndex("PROCEDURES"), hash(), hash()),
);
const serviceDate = (await chainNow()) - DAY;
async function submit(what: string, procedure: string, amount: bigint): Promise<string> {
  const tx = escrow
    .connect(hospital.operator)
    .submitClaim(policyId, codeHash(procedure), hash(), amount, serviceDate, evidence);
  const receipt = (await (await tx).wait())!;
  await act(ORG_NAMES.Provider, what, Promise.resolve(receipt));
  for (const log of receipt.logs) {
    const parsed = escrow.interface.parseLog(log);
    if (parsed?.name === "ClaimSubmitted") return parsed.args.claimId as string;
  }
  throw new Error("app-seed: no ClaimSubmitted event");
}
const paid = await submit(`bills an ECG (${ecg}) for 900: below the threshold, paid at once`, ecg, 900n * USD);
const reviewed = await submit(`bills an office visit (${visit}) for 1,200: reviewed`, visit, 1_200n * USD);
const ruleBenefit = (await escrow.getClaim(reviewed)).benefit;
await act(
  ORG_NAMES.Insurer,
  "approves the reviewed claim at the plan's amount",
  escrow.connect(insurerOp).approveClaim(reviewed, ruleBenefit),
);
const denied = await submit(`bills physiotherapy (${physio}), which the plan does not cover`, physio, 400n * USD);

// ─── Time: the expiring lot expires ──────────────────────────────────────────────────────────────
const expiry = (await supply.getLot(expiring.lotId)).expiry;
const wait = expiry - (await chainNow()) + 60n;
await ethers.provider.send("evm_increaseTime", [Number(wait)]);
await ethers.provider.send("evm_mine", []);
note(`the chain's clock moves ${(Number(wait) / 3600).toFixed(1)} h on: lot ${expiring.lot} has expired`);

const balance = await ethers.provider.getBalance(patientWallet.address);
note(`the patient's account holds ${balance} wei: every patient action went through the relayer`);

const addresses: DemoData["addresses"] = {
  manager: await deployed.manager.getAddress(),
  identity: await identity.getAddress(),
  records: await records.getAddress(),
  consent: await consent.getAddress(),
  supply: await supply.getAddress(),
  claims: await escrow.getAddress(),
  token: await token.getAddress(),
};
const demo: DemoData = {
  format: "medchain-app-demo-v1",
  rpcUrl: process.env.MEDCHAIN_RPC_URL ?? "http://127.0.0.1:8545",
  chainId: chainId.toString(),
  deployBlock,
  addresses,
  relayer: relayerAccount.address,
  orgs: Object.entries(cast.orgs).map(([kind, org]) => ({
    id: org.id.toString(),
    kind: kind as OrgKindName,
    name: ORG_NAMES[kind as keyof typeof ORG_NAMES],
  })),
  patient: {
    id: `0x${patientId.toString(16).padStart(64, "0")}`,
    name: PATIENT.name,
    address: patientWallet.address,
    privateKey: patientWallet.privateKey,
  },
  packs,
  serialStore: store.toJSON(),
  token: { symbol: "USD", decimals: 6 },
  claims: [
    { id: paid, label: `ECG (${ecg}), paid at once` },
    { id: reviewed, label: `Office visit (${visit}), reviewed and approved` },
    { id: denied, label: `Physiotherapy (${physio}), not covered` },
  ],
  procedures,
};
mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify(demo, null, 2) + "\n");
chapter("Done");
note(`demo data written to ${path.relative(process.cwd(), outFile)}`);
note(
  "the one private key it holds is the demo patient's (an account made for this demo, holding no ether): the app signs with it; every other account's key stays in the node",
);
