/**
 * `npm run demo`: MedChain's story on the in-process network, printed step by step. Each chapter is a
 * module of scripts/demo/ and the same story runs as an integration test (test/integration/demo.test.ts).
 */
import { network } from "hardhat";

import MedChainModule from "../ignition/modules/MedChain.ts";
import type {
  ClaimEscrow,
  ConsentManager,
  IdentityRegistry,
  RecordRegistry,
  SupplyChain,
  TestStablecoin,
  TrialRegistry,
} from "../typechain-types/index.ts";
import { claimsChapter } from "./demo/claims.ts";
import { identityChapter } from "./demo/identity.ts";
import { recordsChapter } from "./demo/records.ts";
import { chapter, note } from "./demo/story.ts";
import { supplyChapter } from "./demo/supply.ts";
import { trialsChapter } from "./demo/trials.ts";

export async function runDemo({ units = 10_000 }: { units?: number } = {}) {
  const { ethers, ignition } = await network.create();
  const [, registrar, regulator, , relayer, ...operators] = await ethers.getSigners();
  chapter("0. Deploy: the AccessManager and the contracts, wired by Ignition");
  const deployed = await ignition.deploy(MedChainModule);
  const identity = deployed.identity as unknown as IdentityRegistry;
  const consent = deployed.consent as unknown as ConsentManager;
  const records = deployed.records as unknown as RecordRegistry;
  const supply = deployed.supply as unknown as SupplyChain;
  const trials = deployed.trials as unknown as TrialRegistry;
  const claims = deployed.claims as unknown as ClaimEscrow;
  const token = deployed.token as unknown as TestStablecoin;
  for (const [name, contract] of Object.entries(deployed)) note(`${name.padEnd(9)} ${await contract.getAddress()}`);

  const cast = await identityChapter(identity, registrar, relayer, operators, ethers.provider);
  const erDoctor = operators[8]; // a staff account the hospital adds for its emergency room
  const recordsOutcome = await recordsChapter({ identity, consent, records }, relayer, erDoctor, cast);
  const supplyOutcome = await supplyChapter(supply, identity, registrar, regulator, cast, units);
  const trialsOutcome = await trialsChapter(trials, consent, relayer, cast);
  const claimsOutcome = await claimsChapter(claims, token, consent, relayer, cast, recordsOutcome.recordId);

  chapter("The end");
  const balance = await ethers.provider.getBalance(cast.patient.wallet.address);
  note(`the patient's account holds ${balance} wei: every patient action went through the relayer`);
  return {
    ethers,
    provider: ethers.provider,
    contracts: { identity, consent, records, supply, trials, claims, token },
    identity,
    supply,
    cast,
    recordsOutcome,
    supplyOutcome,
    trialsOutcome,
    claimsOutcome,
    patientBalance: balance,
  };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv.some((a) => a.endsWith("scripts/demo.ts"))) {
  await runDemo();
}
