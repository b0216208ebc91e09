/**
 * `npm run demo`: MedChain's story on the in-process network, printed step by step. Each chapter is a
 * module of scripts/demo/ and the same story runs as an integration test (test/integration/demo.test.ts).
 */
import { network } from "hardhat";

import MedChainModule from "../ignition/modules/MedChain.ts";
import type { IdentityRegistry, SupplyChain } from "../typechain-types/index.ts";
import { identityChapter } from "./demo/identity.ts";
import { chapter, note } from "./demo/story.ts";
import { supplyChapter } from "./demo/supply.ts";

export async function runDemo({ units = 10_000 }: { units?: number } = {}) {
  const { ethers, ignition } = await network.create();
  const [, registrar, regulator, , relayer, ...operators] = await ethers.getSigners();
  chapter("0. Deploy: the AccessManager and the contracts, wired by Ignition");
  const deployed = await ignition.deploy(MedChainModule);
  const identity = deployed.identity as unknown as IdentityRegistry;
  const supply = deployed.supply as unknown as SupplyChain;
  for (const [name, contract] of Object.entries(deployed)) note(`${name.padEnd(9)} ${await contract.getAddress()}`);

  const cast = await identityChapter(identity, registrar, relayer, operators, ethers.provider);
  const supplyOutcome = await supplyChapter(supply, identity, registrar, regulator, cast, units);

  chapter("The end");
  const balance = await ethers.provider.getBalance(cast.patient.wallet.address);
  note(`the patient's account holds ${balance} wei: every patient action went through the relayer`);
  return { provider: ethers.provider, identity, supply, cast, supplyOutcome, patientBalance: balance };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv.some((a) => a.endsWith("scripts/demo.ts"))) {
  await runDemo();
}
