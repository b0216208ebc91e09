/**
 * `npm run demo`: MedChain's story on the in-process network, printed step by step. Each chapter is a
 * module of scripts/demo/ and the same story runs as an integration test (test/integration/demo.test.ts).
 */
import { network } from "hardhat";

import IdentityModule from "../ignition/modules/Identity.ts";
import type { IdentityRegistry } from "../typechain-types/index.ts";
import { identityChapter } from "./demo/identity.ts";
import { chapter, note } from "./demo/story.ts";

export async function runDemo() {
  const { ethers, ignition } = await network.create();
  const [, registrar, , , relayer, ...operators] = await ethers.getSigners();
  chapter("0. Deploy: the AccessManager and the contracts, wired by Ignition");
  const deployed = await ignition.deploy(IdentityModule);
  const identity = deployed.identity as unknown as IdentityRegistry;
  note(`IdentityRegistry at ${await identity.getAddress()}`);

  const cast = await identityChapter(identity, registrar, relayer, operators, ethers.provider);

  chapter("The end");
  const balance = await ethers.provider.getBalance(cast.patient.wallet.address);
  note(`the patient's account holds ${balance} wei: every patient action went through the relayer`);
  return { identity, cast, patientBalance: balance };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv.some((a) => a.endsWith("scripts/demo.ts"))) {
  await runDemo();
}
