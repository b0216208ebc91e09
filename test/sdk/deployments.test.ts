/**
 * loadDeployment / connectMedChain against the file Ignition itself writes: the system modules are
 * deployed on the in-process network with Ignition's `deploy` and a temporary deployment folder (the
 * Hardhat helper keeps nothing on the in-process network), then read back and connected.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { HardhatArtifactResolver } from "@nomicfoundation/hardhat-ignition/helpers";
import { deploy, DeploymentResultType, type IgnitionModule } from "@nomicfoundation/ignition-core";
import { expect } from "chai";
import { getAddress, hexlify, randomBytes, Wallet } from "ethers";
import hre, { network } from "hardhat";

import MedChainModule from "../../ignition/modules/MedChain.ts";
import MedChainWithTokenModule from "../../ignition/modules/MedChainWithToken.ts";
import {
  connectMedChain,
  type DeploymentAddresses,
  DeploymentError,
  type DeploymentErrorCode,
  MEDCHAIN_FUTURE_IDS,
  medchainAddresses,
} from "../../src/deployments.ts";
import { loadDeployment } from "../../src/node.ts";
import { Capabilities, OrgKind, Roles } from "../../src/roles.ts";
import { now, randomHash, YEAR } from "../helpers/identity.ts";
import { catchError } from "../helpers/sdk.ts";

const { ethers, provider } = await network.create();
const PARAMETERS = JSON.parse(
  await readFile(path.join(hre.config.paths.ignition, "parameters", "localhost.json"), "utf8"),
) as Record<string, Record<string, string | number>>;

/** Deploys `module` with Ignition into `<root>/chain-<id>/` (the layout of `ignition/deployments/`). */
async function deployInto(
  root: string,
  module: IgnitionModule,
  parameters: Record<string, Record<string, string | number>>,
): Promise<bigint> {
  const { chainId } = await ethers.provider.getNetwork();
  const accounts = (await provider.request({ method: "eth_accounts" })) as string[];
  const result = await deploy({
    config: { requiredConfirmations: 1 },
    artifactResolver: new HardhatArtifactResolver(hre.artifacts),
    provider,
    deploymentDir: path.join(root, `chain-${chainId}`),
    ignitionModule: module,
    deploymentParameters: parameters,
    accounts,
  });
  expect(result.type, JSON.stringify(result)).to.equal(DeploymentResultType.SUCCESSFUL_DEPLOYMENT);
  return chainId;
}

async function expectDeploymentError(promise: Promise<unknown>, code: DeploymentErrorCode, fragment: string) {
  const error = await promise.then(
    () => expect.fail("expected a DeploymentError"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(DeploymentError);
  expect((error as DeploymentError).code, (error as Error).message).to.equal(code);
  expect((error as Error).message).to.include(fragment);
}

function expectSyncDeploymentError(fn: () => unknown, code: DeploymentErrorCode, fragment: string) {
  return expectDeploymentError(Promise.resolve().then(fn), code, fragment);
}

describe("Deployments (loadDeployment, connectMedChain)", function () {
  this.timeout(120_000);
  let root = "";

  before(async function () {
    root = await mkdtemp(path.join(tmpdir(), "medchain-deployments-"));
  });

  after(async function () {
    await rm(root, { recursive: true, force: true });
  });

  describe("with the MedChain module (local chains)", function () {
    let dir = "";
    let chainId = 0n;
    let addresses: DeploymentAddresses;

    before(async function () {
      dir = path.join(root, "medchain");
      chainId = await deployInto(dir, MedChainModule, PARAMETERS);
      addresses = await loadDeployment(chainId, dir);
    });

    it("reads deployed_addresses.json, whose keys are exactly the contracts it connects plus the linked libraries", async function () {
      const file = JSON.parse(
        await readFile(path.join(dir, `chain-${chainId}`, "deployed_addresses.json"), "utf8"),
      ) as Record<string, string>;
      expect(addresses).to.deep.equal(file);
      const connected = Object.values(MEDCHAIN_FUTURE_IDS)
        .map((ids) => ids.find((id) => file[id] !== undefined))
        .filter((id) => id !== undefined);
      expect(connected).to.have.length(Object.keys(MEDCHAIN_FUTURE_IDS).length);
      expect(Object.keys(file).sort()).to.deep.equal(
        [...connected, "MedChain#PlanBook", "MedChain#Treasury"].sort(),
        "a contract of the system module that connectMedChain does not know",
      );
      expect(file["MedChain#ClaimEscrow"]).to.be.a("string");
      expect(file["MedChain#TestStablecoin"]).to.be.a("string");
    });

    it("connects typed contracts that are the deployed, wired system", async function () {
      const [deployer] = await ethers.getSigners();
      const medchain = connectMedChain(ethers.provider, addresses);
      const manager = await medchain.manager.getAddress();
      expect(manager).to.equal(getAddress(addresses["Governance#MedChainAccessManager"]));
      expect(medchain.addresses.claims).to.equal(getAddress(addresses["MedChain#ClaimEscrow"]));
      expect((await medchain.manager.hasRole(Roles.ADMIN, deployer.address))[0]).to.equal(true);
      for (const contract of [
        medchain.identity,
        medchain.records,
        medchain.consent,
        medchain.supply,
        medchain.trials,
        medchain.claims,
      ]) {
        expect(await contract.authority()).to.equal(manager);
      }
      expect(await medchain.consent.recordRegistry()).to.equal(medchain.addresses.records);
      expect(await medchain.supply.identity()).to.equal(medchain.addresses.identity);
      expect(await medchain.claims.token()).to.equal(medchain.addresses.token);
      expect(await medchain.claims.consent()).to.equal(medchain.addresses.consent);
      expect(await medchain.token.decimals()).to.equal(6n);
      expect(await medchain.token.balanceOf(Wallet.createRandom().address)).to.equal(0n);
    });

    it("sends transactions through a signer runner (a registrar accredits a lab)", async function () {
      const registrar = await ethers.getSigner(String(PARAMETERS.Identity.registrar));
      const [, , , , operator] = await ethers.getSigners();
      const medchain = connectMedChain(registrar, addresses);
      const validUntil = (await now(ethers)) + YEAR;
      await expect(
        medchain.identity.registerOrganization(
          OrgKind.Lab,
          Capabilities.QUALITY_CONTROL,
          validUntil,
          randomHash(),
          operator.address,
        ),
      ).to.emit(medchain.identity, "OrganizationRegistered");
      await expect(
        medchain.identity
          .connect(operator)
          .registerOrganization(OrgKind.Lab, 0, validUntil, randomHash(), operator.address),
      ).to.be.revertedWithCustomError(medchain.identity, "AccessManagedUnauthorized");
    });
  });

  describe("with the MedChainWithToken module (real networks)", function () {
    it("connects the escrow and the ERC-20 named by the token parameter", async function () {
      const stablecoin = await ethers.deployContract("TestStablecoin");
      const tokenAddress = await stablecoin.getAddress();
      const dir = path.join(root, "with-token");
      const chainId = await deployInto(dir, MedChainWithTokenModule, {
        ...PARAMETERS,
        MedChainWithToken: { token: tokenAddress },
      });
      const addresses = await loadDeployment(chainId, dir);
      expect(addresses["MedChainWithToken#IERC20"]).to.equal(tokenAddress);
      const medchain = connectMedChain(ethers.provider, addresses);
      expect(medchain.addresses.token).to.equal(tokenAddress);
      expect(await medchain.claims.token()).to.equal(tokenAddress);
      expect(await medchain.token.symbol()).to.equal(await stablecoin.symbol());
      expect(await medchain.claims.identity()).to.equal(medchain.addresses.identity);
    });
  });

  describe("loadDeployment", function () {
    it("refuses a chain with no deployment, naming the file", async function () {
      const chainId = BigInt(1_000_000 + Math.floor(Math.random() * 1_000_000));
      await expectDeploymentError(
        loadDeployment(chainId, root),
        "NOT_FOUND",
        `no MedChain deployment for chain ${chainId}`,
      );
    });

    it("refuses a file that is not JSON, or not an object of addresses", async function () {
      for (const [chainId, text, fragment] of [
        [7001, "{ not json", "is not JSON"],
        [7002, "[]", "is not an object of addresses"],
        [7003, JSON.stringify({ "Identity#IdentityRegistry": 42 }), "Identity#IdentityRegistry is not an address"],
      ] as const) {
        await mkdir(path.join(root, `chain-${chainId}`), { recursive: true });
        await writeFile(path.join(root, `chain-${chainId}`, "deployed_addresses.json"), text);
        await expectDeploymentError(loadDeployment(chainId, root), "BAD_FILE", fragment);
      }
    });
  });

  describe("connectMedChain", function () {
    /** A complete set of (random) addresses, as the MedChain module would key them. */
    function fakeDeployment(): Record<string, string> {
      const out: Record<string, string> = {};
      for (const ids of Object.values(MEDCHAIN_FUTURE_IDS)) out[ids[0]] = getAddress(hexlify(randomBytes(20)));
      return out;
    }

    it("accepts an imported JSON object without touching the network", function () {
      const addresses = fakeDeployment();
      const medchain = connectMedChain(null, addresses);
      expect(medchain.addresses).to.deep.equal(medchainAddresses(addresses));
      expect(medchain.addresses.supply).to.equal(addresses["Supply#SupplyChain"]);
      expect(medchain.supply.target).to.equal(addresses["Supply#SupplyChain"]);
      expect(medchain.token.target).to.equal(addresses["MedChain#TestStablecoin"]);
    });

    it("names every missing contract", async function () {
      const addresses = fakeDeployment();
      delete addresses["Trials#TrialRegistry"];
      delete addresses["MedChain#ClaimEscrow"];
      await expectSyncDeploymentError(
        () => connectMedChain(null, addresses),
        "MISSING_CONTRACT",
        "lacks Trials#TrialRegistry, MedChain#ClaimEscrow or MedChainWithToken#ClaimEscrow",
      );
    });

    it("refuses a deployment holding both system modules", async function () {
      const addresses = { ...fakeDeployment(), "MedChainWithToken#ClaimEscrow": getAddress(hexlify(randomBytes(20))) };
      await expectSyncDeploymentError(
        () => connectMedChain(null, addresses),
        "AMBIGUOUS",
        "MedChain#ClaimEscrow and MedChainWithToken#ClaimEscrow",
      );
    });

    it("refuses an invalid address", async function () {
      const addresses = { ...fakeDeployment(), "Consent#ConsentManager": "0x1234" };
      const error = catchError(() => connectMedChain(null, addresses));
      expect(error).to.be.instanceOf(DeploymentError);
      expect((error as DeploymentError).code).to.equal("BAD_ADDRESS");
      expect((error as Error).message).to.include('Consent#ConsentManager: "0x1234"');
    });
  });
});
