import { expect } from "chai";
import { network } from "hardhat";

import {
  typeString,
  PatientAttestationTypes,
  SetControllerTypes,
  RotateKeyTypes,
  SetGuardianTypes,
  CancelRecoveryTypes,
} from "../../src/eip712.ts";
import { Capabilities, OrgKind, Roles } from "../../src/roles.ts";
import { keccak256, toUtf8Bytes } from "ethers";

const { ethers } = await network.create();

describe("TypeScript twins of Solidity constants", function () {
  it("role ids in src/roles.ts equal Roles.sol", async function () {
    const harness = await ethers.deployContract("ConstantsHarness");
    const [admin, registrar, regulator, pauser] = await harness.roles();
    expect({ admin, registrar, regulator, pauser }).to.deep.equal({
      admin: Roles.ADMIN,
      registrar: Roles.REGISTRAR,
      regulator: Roles.REGULATOR,
      pauser: Roles.PAUSER,
    });
  });

  it("capability bits in src/roles.ts equal Capabilities.sol, in order", async function () {
    const harness = await ethers.deployContract("ConstantsHarness");
    const onChain = (await harness.capabilities()).map(Number);
    expect(onChain).to.deep.equal(Object.values(Capabilities));
  });

  it("organisation kinds in src/roles.ts equal IIdentityRegistry.OrgKind, in order", async function () {
    const harness = await ethers.deployContract("ConstantsHarness");
    const onChain = (await harness.orgKinds()).map(Number);
    expect(onChain).to.deep.equal(Object.values(OrgKind));
  });

  it("EIP-712 type strings in src/eip712.ts hash to the IdentityRegistry's type hashes", async function () {
    const registry = await ethers.deployContract("IdentityRegistry", [ethers.ZeroAddress]);
    const pairs: [Parameters<typeof typeString>[0], Promise<string>][] = [
      [PatientAttestationTypes, registry.PATIENT_ATTESTATION_TYPEHASH()],
      [SetControllerTypes, registry.SET_CONTROLLER_TYPEHASH()],
      [RotateKeyTypes, registry.ROTATE_KEY_TYPEHASH()],
      [SetGuardianTypes, registry.SET_GUARDIAN_TYPEHASH()],
      [CancelRecoveryTypes, registry.CANCEL_RECOVERY_TYPEHASH()],
    ];
    for (const [types, onChain] of pairs) {
      expect(keccak256(toUtf8Bytes(typeString(types))), typeString(types)).to.equal(await onChain);
    }
  });
});
