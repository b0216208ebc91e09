/**
 * Rule: the relayer pays only for signed actions of MedChain contracts, simulated first, under a gas
 * cap. The review's attack: `Relayer.relay(contract, method, args)` sent any method to any contract
 * from the funded account — an admin call, a token transfer, a call bound to revert (gas burnt), or
 * one made to burn all the gas it could. Now it refuses (`RelayerError`, nothing sent) a method that
 * is not a non-payable `…WithSig`, a contract that is not MedChain's, and a call over its gas cap,
 * and it simulates right before sending, so a reverting call costs it nothing.
 */
import { expect } from "chai";
import { Contract, hexlify, randomBytes, Wallet } from "ethers";
import { network } from "hardhat";

import { SetGuardianTypes } from "../../../src/eip712.ts";
import { MedChainContractError } from "../../../src/errors.ts";
import {
  DEFAULT_RELAY_GAS_CAP,
  Relayer,
  RelayerError,
  type SignableContract,
  signPatientAction,
} from "../../../src/relayer.ts";
import { deployIdentity, now, YEAR } from "../../helpers/identity.ts";
import { expectError } from "../../helpers/record-crypto.ts";

const { ethers, networkHelpers } = await network.create();

async function fixture() {
  const f = await deployIdentity(ethers);
  const patient = new Wallet(hexlify(randomBytes(32)), ethers.provider);
  const patientId = await f.registerPatient(patient);
  const relayerAccount = f.others[9];
  const token = await ethers.deployContract("TestStablecoin");
  return { ...f, patient, patientId, relayerAccount, token };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** A patient's signed setGuardian, as relay arguments. */
async function signedGuardian(f: Fixture): Promise<unknown[]> {
  const signed = await signPatientAction(f.identity as unknown as SignableContract, f.patient, SetGuardianTypes, {
    patientId: f.patientId,
    guardian: f.others[5].address,
    validUntil: (await now(ethers)) + YEAR,
  });
  const m = signed.message;
  return [m.patientId, m.guardian, m.validUntil, signed.signer, m.deadline, signed.signature];
}

/** The gas a relayed call is simulated to need. */
function estimateOf(f: Fixture, args: unknown[]): Promise<bigint> {
  return (f.identity.connect(f.relayerAccount) as unknown as Contract)
    .getFunction("setGuardianWithSig")
    .estimateGas(...args);
}

/** Asserts the relayer's account sent nothing while `action` ran (same nonce, same balance). */
async function sendsNothing(f: Fixture, action: () => Promise<unknown>): Promise<unknown> {
  const nonce = await ethers.provider.getTransactionCount(f.relayerAccount.address);
  const balance = await ethers.provider.getBalance(f.relayerAccount.address);
  const error = await action().then(
    () => expect.fail("expected a refusal"),
    (e: unknown) => e,
  );
  expect(await ethers.provider.getTransactionCount(f.relayerAccount.address)).to.equal(nonce);
  expect(await ethers.provider.getBalance(f.relayerAccount.address)).to.equal(balance);
  return error;
}

describe("security: the relayer relays only signed actions of MedChain contracts", function () {
  it("relays a …WithSig action with a gas limit from the simulation, under the cap", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const relayer = new Relayer(f.relayerAccount);
    expect(relayer.gasCap).to.equal(DEFAULT_RELAY_GAS_CAP);
    const args = await signedGuardian(f);
    const estimate = await estimateOf(f, args);
    const receipt = await relayer.relay(f.identity, "setGuardianWithSig", args);
    const tx = await ethers.provider.getTransaction(receipt.hash);
    expect(tx!.gasLimit).to.equal((estimate * 120n) / 100n);
    expect(tx!.gasLimit <= DEFAULT_RELAY_GAS_CAP).to.equal(true);
    expect(await f.identity.guardianUntil(f.patientId, f.others[5].address)).to.equal(args[2]);
  });

  it("refuses a method that is not a …WithSig one (an admin call, an unknown name): NOT_A_SIGNED_ACTION", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const relayer = new Relayer(f.relayerAccount);
    for (const [method, args] of [
      ["setEncryptionKey", ["0x02", hexlify(randomBytes(32))]],
      ["transfer", [f.relayerAccount.address, 1n]],
    ] as const) {
      const error = (await sendsNothing(f, () => relayer.relay(f.identity, method, [...args]))) as RelayerError;
      expect(error).to.be.instanceOf(RelayerError);
      expect(error).to.include({ code: "NOT_A_SIGNED_ACTION", method, contract: await f.identity.getAddress() });
    }
  });

  it("refuses a contract that is not MedChain's (no code, no MedChain domain, not in its list): NOT_MEDCHAIN", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const relayer = new Relayer(f.relayerAccount);
    const args = await signedGuardian(f);
    // The identity's ABI pointed at a token (it has no EIP-712 domain) and at an account with no code.
    for (const target of [await f.token.getAddress(), Wallet.createRandom().address]) {
      const impostor = new Contract(target, f.identity.interface, ethers.provider);
      const error = (await sendsNothing(f, () => relayer.relay(impostor, "setGuardianWithSig", args))) as RelayerError;
      expect(error).to.be.instanceOf(RelayerError);
      expect(error).to.include({ code: "NOT_MEDCHAIN", contract: target });
    }
    // A contract with no eip712Domain in its ABI at all.
    const abiless = new Contract(
      await f.token.getAddress(),
      ["function transferWithSig(address,uint256)"],
      ethers.provider,
    );
    await expectError(
      () => relayer.relay(abiless, "transferWithSig", [f.patient.address, 1n]),
      RelayerError,
      "NOT_MEDCHAIN",
    );
    // A relayer given its contracts relays to those only.
    const listed = new Relayer(f.relayerAccount, { contracts: [await f.token.getAddress()] });
    const error = (await sendsNothing(f, () => listed.relay(f.identity, "setGuardianWithSig", args))) as RelayerError;
    expect(error).to.include({ code: "NOT_MEDCHAIN" });
    const mine = new Relayer(f.relayerAccount, { contracts: [await f.identity.getAddress()] });
    expect((await mine.relay(f.identity, "setGuardianWithSig", args)).status).to.equal(1);
  });

  it("simulates right before sending: a call bound to revert is refused with its decoded error, nothing sent", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const relayer = new Relayer(f.relayerAccount);
    const args = await signedGuardian(f);
    await relayer.relay(f.identity, "setGuardianWithSig", args);
    const replay = (await sendsNothing(f, () =>
      relayer.relay(f.identity, "setGuardianWithSig", args),
    )) as MedChainContractError;
    expect(replay).to.be.instanceOf(MedChainContractError);
    expect(replay.errorName).to.equal("IdentityInvalidSignature");
  });

  it("refuses a call needing more gas than its cap: GAS_CAP with the estimate and the cap, nothing sent", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const cap = 30_000n;
    const relayer = new Relayer(f.relayerAccount, { gasCap: cap });
    const args = await signedGuardian(f);
    const estimate = await estimateOf(f, args);
    const error = (await sendsNothing(f, () => relayer.relay(f.identity, "setGuardianWithSig", args))) as RelayerError;
    expect(error).to.be.instanceOf(RelayerError);
    expect(error.code).to.equal("GAS_CAP");
    expect(error.gas).to.deep.equal({ estimate, cap });
    // With headroom over the cap, the gas limit is the cap itself.
    const tight = new Relayer(f.relayerAccount, { gasCap: estimate + 1n });
    const receipt = await tight.relay(f.identity, "setGuardianWithSig", args);
    expect((await ethers.provider.getTransaction(receipt.hash))!.gasLimit).to.equal(estimate + 1n);
    expect(() => new Relayer(f.relayerAccount, { gasCap: 0n })).to.throw(RangeError);
    expect(() => new Relayer(f.relayerAccount, { headroomPercent: -1n })).to.throw(RangeError);
  });
});
