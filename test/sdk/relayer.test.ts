import { expect } from "chai";
import { hexlify, randomBytes, Wallet } from "ethers";
import { network } from "hardhat";

import { SetGuardianTypes } from "../../src/eip712.ts";
import { MedChainContractError } from "../../src/errors.ts";
import { domainOf, Relayer, signPatientAction, type SignableContract } from "../../src/relayer.ts";
import { deployIdentity, now, YEAR } from "../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

async function patientWithoutEtherFixture() {
  const f = await deployIdentity(ethers);
  const patient = new Wallet(hexlify(randomBytes(32)), ethers.provider);
  const patientId = await f.registerPatient(patient);
  return { ...f, patient, patientId, relayer: new Relayer(f.others[9]) };
}

describe("SDK relayer", function () {
  it("reads the contract's EIP-712 domain from the chain", async function () {
    const { identity, domain } = await networkHelpers.loadFixture(patientWithoutEtherFixture);
    expect(await domainOf(identity as unknown as SignableContract)).to.deep.equal(domain);
  });

  it("relays a patient's signed action: the patient holds no ether and the action takes effect", async function () {
    const { identity, patient, patientId, relayer, others } =
      await networkHelpers.loadFixture(patientWithoutEtherFixture);
    const guardian = others[5].address;
    const validUntil = (await now(ethers)) + YEAR;
    const signed = await signPatientAction(identity as unknown as SignableContract, patient, SetGuardianTypes, {
      patientId,
      guardian,
      validUntil,
    });
    const m = signed.message;
    const receipt = await relayer.relay(identity, "setGuardianWithSig", [
      m.patientId,
      m.guardian,
      m.validUntil,
      signed.signer,
      m.deadline,
      signed.signature,
    ]);
    expect(receipt.status).to.equal(1);
    expect(await identity.guardianUntil(patientId, guardian)).to.equal(validUntil);
    expect(await ethers.provider.getBalance(patient.address)).to.equal(0n);
  });

  it("throws a typed error naming the contract error when a signature is replayed", async function () {
    const { identity, patient, patientId, relayer, others } =
      await networkHelpers.loadFixture(patientWithoutEtherFixture);
    const signed = await signPatientAction(identity as unknown as SignableContract, patient, SetGuardianTypes, {
      patientId,
      guardian: others[5].address,
      validUntil: (await now(ethers)) + YEAR,
    });
    const m = signed.message;
    const args = [m.patientId, m.guardian, m.validUntil, signed.signer, m.deadline, signed.signature];
    await relayer.relay(identity, "setGuardianWithSig", args);
    const error = await relayer.relay(identity, "setGuardianWithSig", args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(MedChainContractError);
    expect((error as MedChainContractError).errorName).to.equal("IdentityInvalidSignature");
    expect((error as MedChainContractError).args[0]).to.equal(patient.address);
  });
});
