/**
 * `medchain deploy`: deploys the MedChain Ignition module (ignition/modules/MedChain.ts) on the network
 * chosen with `--network`, with `ignition/parameters/<network>.json` when it exists, and prints the
 * addresses. On a real network Ignition's journal in `ignition/deployments/chain-<id>/` makes a rerun
 * resume (or do nothing); on a local Hardhat node restarted since the last run, the stale journal is
 * dropped first, as `hardhat ignition deploy` does.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { command, deploymentDir, DEPLOYMENT_KEYS, printFields } from "./lib.ts";

interface DeployArgs {
  noCompile: boolean;
}

/** The file where Ignition remembers which Hardhat node instance a local deployment was made on. */
const INSTANCES_FILE = ".hardhat-network-instances.json";

export default command(async ({ noCompile }: DeployArgs, hre: HardhatRuntimeEnvironment) => {
  if (!noCompile) await hre.tasks.getTask("build").run({ quiet: true, noTests: true });
  const connection = await hre.network.create();
  const { chainId } = await connection.ethers.provider.getNetwork();
  const ephemeral = connection.networkConfig.type === "edr-simulated";
  if (!ephemeral && chainId === 31337n) await dropStaleLocalDeployment(hre, connection.provider, chainId);

  const parametersFile = path.join(hre.config.paths.ignition, "parameters", `${connection.networkName}.json`);
  const parameters = existsSync(parametersFile) ? parametersFile : {};
  console.log(
    `Deploying MedChain on ${connection.networkName} (chain ${chainId})` +
      (typeof parameters === "string" ? ` with ${path.relative(hre.config.paths.root, parametersFile)}` : ""),
  );
  // Loaded here, after the build: the module imports the generated TypeChain bindings.
  const { default: MedChainModule } = await import("../ignition/modules/MedChain.ts");
  const deployed = await connection.ignition.deploy(MedChainModule, {
    parameters,
    displayUi: process.stdout.isTTY === true,
  });

  const names: Record<keyof typeof DEPLOYMENT_KEYS | "token", string> = {
    manager: "MedChainAccessManager",
    identity: "IdentityRegistry",
    records: "RecordRegistry",
    consent: "ConsentManager",
    supply: "SupplyChain",
    trials: "TrialRegistry",
    claims: "ClaimEscrow",
    token: "TestStablecoin",
  };
  const rows: [string, string][] = [];
  for (const [key, contract] of Object.entries(deployed)) {
    rows.push([names[key as keyof typeof names] ?? key, await contract.getAddress()]);
  }
  console.log("");
  printFields(`MedChain on ${connection.networkName} (chain ${chainId}):`, rows);
  if (ephemeral) {
    console.log(
      "The in-process network keeps nothing: start `npx hardhat node` and deploy with `--network localhost`.",
    );
  } else {
    console.log(`Addresses saved in ${path.relative(hre.config.paths.root, deploymentDir(hre, chainId))}/`);
  }
});

/** Drops the chain-31337 journal when it was written against another run of the Hardhat node. */
async function dropStaleLocalDeployment(
  hre: HardhatRuntimeEnvironment,
  provider: { request(args: { method: string }): Promise<unknown> },
  chainId: bigint,
): Promise<void> {
  let instanceId: string;
  try {
    instanceId = ((await provider.request({ method: "hardhat_metadata" })) as { instanceId: string }).instanceId;
  } catch {
    return; // not a Hardhat node: keep the journal
  }
  const deploymentId = `chain-${chainId}`;
  const file = path.join(hre.config.paths.cache, INSTANCES_FILE);
  const instances = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  if (instances[deploymentId] !== instanceId) {
    rmSync(deploymentDir(hre, chainId), { recursive: true, force: true });
    instances[deploymentId] = instanceId;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(instances, null, 2));
  }
}
