import { expect } from "chai";
import { network } from "hardhat";

import type { BaseContract } from "ethers";

import IdentityModule from "../../ignition/modules/Identity.ts";
import MedChainModule from "../../ignition/modules/MedChain.ts";
import MedChainWithTokenModule from "../../ignition/modules/MedChainWithToken.ts";
import { Capabilities, kindsMask, OrgKind, Roles } from "../../src/roles.ts";
import { RESTRICTED_FUNCTIONS } from "../../src/wiring.ts";
import type { IdentityRegistry, MedChainAccessManager } from "../../typechain-types/index.ts";
import { randomHash, now, YEAR } from "../helpers/identity.ts";

const { ethers, ignition } = await network.create();

describe("Ignition: Identity module", function () {
  it("deploys the AccessManager and the IdentityRegistry, grants roles and wires every restricted function", async function () {
    const [deployer, registrar, regulator, pauser, operator] = await ethers.getSigners();
    const deployed = await ignition.deploy(IdentityModule);
    const manager = deployed.manager as unknown as MedChainAccessManager;
    const identity = deployed.identity as unknown as IdentityRegistry;
    const identityAddress = await identity.getAddress();

    expect((await manager.hasRole(Roles.ADMIN, deployer.address))[0]).to.equal(true);
    expect((await manager.hasRole(Roles.REGISTRAR, registrar.address))[0]).to.equal(true);
    expect((await manager.hasRole(Roles.REGULATOR, regulator.address))[0]).to.equal(true);
    expect((await manager.hasRole(Roles.PAUSER, pauser.address))[0]).to.equal(true);
    for (const [fn, role] of Object.entries(RESTRICTED_FUNCTIONS.IdentityRegistry)) {
      const selector = identity.interface.getFunction(fn as "pause")!.selector;
      expect(await manager.getTargetFunctionRole(identityAddress, selector), fn).to.equal(Roles[role]);
    }
    expect(await identity.registrarKinds(registrar.address)).to.equal(
      kindsMask("Provider", "Pharmacy", "Manufacturer", "Distributor", "Lab", "Insurer", "Sponsor", "Regulator"),
    );

    // The wired system works: the registrar accredits, a stranger cannot.
    const validUntil = (await now(ethers)) + YEAR;
    await expect(
      identity
        .connect(registrar)
        .registerOrganization(OrgKind.Lab, Capabilities.QUALITY_CONTROL, validUntil, randomHash(), operator),
    ).to.emit(identity, "OrganizationRegistered");
    await expect(
      identity.connect(operator).registerOrganization(OrgKind.Lab, 0, validUntil, randomHash(), operator),
    ).to.be.revertedWithCustomError(identity, "AccessManagedUnauthorized");
  });
});

describe("Ignition: MedChain module (the whole system)", function () {
  it("deploys every contract against one AccessManager and wires every restricted function listed in src/wiring.ts", async function () {
    const deployed = await ignition.deploy(MedChainModule);
    const manager = deployed.manager as unknown as MedChainAccessManager;
    const names = Object.keys(RESTRICTED_FUNCTIONS) as (keyof typeof RESTRICTED_FUNCTIONS)[];
    const byName: Record<string, BaseContract> = {
      IdentityRegistry: deployed.identity,
      ConsentManager: deployed.consent,
      RecordRegistry: deployed.records,
      SupplyChain: deployed.supply,
      TrialRegistry: deployed.trials,
      ClaimEscrow: deployed.claims,
    };
    for (const name of names) {
      const contract = byName[name];
      expect(contract, `${name} is deployed by the MedChain module`).to.not.equal(undefined);
      const target = await contract.getAddress();
      expect(await (contract as unknown as { authority(): Promise<string> }).authority()).to.equal(
        await manager.getAddress(),
      );
      for (const [fn, role] of Object.entries(RESTRICTED_FUNCTIONS[name])) {
        const selector = contract.interface.getFunction(fn)!.selector;
        expect(await manager.getTargetFunctionRole(target, selector), `${name}.${fn}`).to.equal(Roles[role]);
      }
    }
    const records = deployed.records as unknown as { consentManager(): Promise<string> };
    expect(await records.consentManager()).to.equal(await deployed.consent.getAddress());
  });
});

describe("Ignition: MedChainWithToken module (real networks)", function () {
  it("gives the claims escrow the ERC-20 named by the token parameter", async function () {
    const token = await ethers.deployContract("TestStablecoin");
    const deployed = await ignition.deploy(MedChainWithTokenModule, {
      parameters: { MedChainWithToken: { token: await token.getAddress() } },
    });
    const claims = deployed.claims as unknown as { token(): Promise<string> };
    expect(await claims.token()).to.equal(await token.getAddress());
  });
});
