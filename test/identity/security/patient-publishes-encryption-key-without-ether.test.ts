/**
 * Rule (issue 15, "Every recipient is a consented party"): a patient publishes an encryption public key
 * without holding ether — `setEncryptionKeyWithSig`, the controller's EIP-712 signature relayed by anyone
 * (deadline, the patient's nonce, ERC-1271 smart accounts) — and neither the contract nor the SDK accepts
 * an encryption key equal to the account's own signing key, or a key that is no point of the curve.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { expect } from "chai";
import { hashMessage, hexlify, keccak256, randomBytes, SigningKey, toUtf8Bytes, Wallet } from "ethers";
import { network } from "hardhat";

import { encryptionPublicKeyParts, generateEncryptionKeyPair } from "../../../src/crypto.ts";
import { SetEncryptionKeyTypes, typeString } from "../../../src/eip712.ts";
import {
  assertNotSigningKey,
  relaySetEncryptionKey,
  signSetEncryptionKey,
  SigningKeyReuseError,
} from "../../../src/identity.ts";
import { Relayer } from "../../../src/relayer.ts";
import type { MockERC1271Wallet } from "../../../typechain-types/index.ts";
import { deployIdentity, HOUR, now } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

/** A patient whose controller is a fresh key holding no ether, and a relayer. */
async function fixture() {
  const f = await deployIdentity(ethers);
  const [relayerAccount, op, guardian] = f.others;
  const wallet = new Wallet(hexlify(randomBytes(32)), ethers.provider as never);
  const patientId = await f.registerPatient(wallet);
  const orgId = await f.registerOrg("Provider", 0, op);
  return { ...f, wallet, patientId, relayerAccount, op, guardian, orgId, relayer: new Relayer(relayerAccount) };
}

/** The `(prefix, x)` of a fresh encryption key. */
function freshKey() {
  const pair = generateEncryptionKeyPair();
  return { publicKey: pair.publicKey, ...encryptionPublicKeyParts(pair.publicKey) };
}

/** An x coordinate on which no point of secp256k1 lies (x^3 + 7 is no square mod p). */
function offCurveX(): string {
  for (;;) {
    const x = hexlify(randomBytes(32));
    try {
      secp256k1.Point.fromHex("02" + x.slice(2));
    } catch {
      return x;
    }
  }
}

describe("IdentityRegistry › a patient publishes an encryption key without holding ether", function () {
  it("a controller's signature, relayed by a stranger, publishes the key (event, view, nonce consumed)", async function () {
    const { identity, wallet, patientId, relayer, relayerAccount } = await networkHelpers.loadFixture(fixture);
    expect(await ethers.provider.getBalance(wallet.address)).to.equal(0n);
    const key = freshKey();
    const signed = await signSetEncryptionKey(identity, wallet, patientId, key.publicKey);
    expect(signed.message.nonce).to.equal(0n);
    const receipt = await relaySetEncryptionKey(relayer, identity, signed);
    expect(receipt.from).to.equal(relayerAccount.address);
    await expect(receipt.hash).to.emit(identity, "EncryptionKeySet").withArgs(wallet.address, key.prefix, key.x);
    expect(await identity.encryptionKeyOf(wallet.address)).to.deep.equal([key.prefix, key.x]);
    expect(await identity.nonces(patientId)).to.equal(1n);
    expect(await ethers.provider.getBalance(wallet.address)).to.equal(0n);
  });

  it("the contract's typehash is the SDK's SetEncryptionKey type", async function () {
    const { identity } = await networkHelpers.loadFixture(fixture);
    expect(await identity.SET_ENCRYPTION_KEY_TYPEHASH()).to.equal(
      keccak256(toUtf8Bytes(typeString(SetEncryptionKeyTypes))),
    );
  });

  it("refuses a replayed signature and an expired one", async function () {
    const { identity, domain, wallet, patientId, relayerAccount } = await networkHelpers.loadFixture(fixture);
    const key = freshKey();
    const deadline = (await now(ethers)) + HOUR;
    const sign = (nonce: bigint, d: bigint) =>
      wallet.signTypedData(domain, SetEncryptionKeyTypes, {
        patientId,
        prefix: key.prefix,
        x: key.x,
        nonce,
        deadline: d,
      });
    const relay = (d: bigint, sig: string) =>
      identity.connect(relayerAccount).setEncryptionKeyWithSig(patientId, key.prefix, key.x, wallet, d, sig);

    const first = await sign(0n, deadline);
    await relay(deadline, first);
    await expect(relay(deadline, first))
      .to.be.revertedWithCustomError(identity, "IdentityInvalidSignature")
      .withArgs(wallet.address);

    const late = await sign(1n, deadline);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(relay(deadline, late))
      .to.be.revertedWithCustomError(identity, "IdentityExpiredSignature")
      .withArgs(deadline, deadline + 1n);
    expect(await identity.nonces(patientId)).to.equal(1n); // a refusal consumes nothing
  });

  it("a direct setEncryptionKey by a controller consumes the nonce, so a signature not yet relayed dies", async function () {
    const { identity, domain, wallet, patientId, relayerAccount } = await networkHelpers.loadFixture(fixture);
    const key = freshKey();
    const deadline = (await now(ethers)) + HOUR;
    const pending = await wallet.signTypedData(domain, SetEncryptionKeyTypes, {
      patientId,
      prefix: key.prefix,
      x: key.x,
      nonce: 0n,
      deadline,
    });
    const funded = wallet.connect(ethers.provider as never);
    await relayerAccount.sendTransaction({ to: wallet.address, value: 10n ** 17n });
    const other = freshKey();
    await identity.connect(funded).setEncryptionKey(other.prefix, other.x);
    expect(await identity.nonces(patientId)).to.equal(1n);
    await expect(
      identity.connect(relayerAccount).setEncryptionKeyWithSig(patientId, key.prefix, key.x, wallet, deadline, pending),
    )
      .to.be.revertedWithCustomError(identity, "IdentityInvalidSignature")
      .withArgs(wallet.address);
    expect(await identity.encryptionKeyOf(wallet.address)).to.deep.equal([other.prefix, other.x]);
  });

  it("refuses a signer that does not control the patient now (a guardian, a rotated-out key)", async function () {
    const { identity, domain, wallet, patientId, relayerAccount, guardian } = await networkHelpers.loadFixture(fixture);
    const key = freshKey();
    const deadline = (await now(ethers)) + HOUR;
    const sig = await guardian.signTypedData(domain, SetEncryptionKeyTypes, {
      patientId,
      prefix: key.prefix,
      x: key.x,
      nonce: 0n,
      deadline,
    });
    await expect(
      identity.connect(relayerAccount).setEncryptionKeyWithSig(patientId, key.prefix, key.x, guardian, deadline, sig),
    )
      .to.be.revertedWithCustomError(identity, "IdentityNotController")
      .withArgs(guardian.address, patientId);
    expect(await identity.encryptionKeyOf(wallet.address)).to.deep.equal(["0x00", ethers.ZeroHash]);
  });

  it("accepts an ERC-1271 smart account controller", async function () {
    const { identity, domain, registerPatient, relayerAccount, others } = await networkHelpers.loadFixture(fixture);
    const owner = others[5];
    const account = (await ethers.deployContract("MockERC1271Wallet", [owner.address])) as unknown as MockERC1271Wallet;
    const patientId = await registerPatient({ address: await account.getAddress() });
    const key = freshKey();
    const deadline = (await now(ethers)) + HOUR;
    const sig = await owner.signTypedData(domain, SetEncryptionKeyTypes, {
      patientId,
      prefix: key.prefix,
      x: key.x,
      nonce: 0n,
      deadline,
    });
    await expect(
      identity.connect(relayerAccount).setEncryptionKeyWithSig(patientId, key.prefix, key.x, account, deadline, sig),
    )
      .to.emit(identity, "EncryptionKeySet")
      .withArgs(await account.getAddress(), key.prefix, key.x);
  });

  describe("an encryption key is never the account's signing key, and always a point of the curve", function () {
    it("the contract refuses the signer's own signing key, signed or direct", async function () {
      const { identity, domain, wallet, patientId, relayerAccount, op } = await networkHelpers.loadFixture(fixture);
      const own = encryptionPublicKeyParts(wallet.signingKey.publicKey);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await wallet.signTypedData(domain, SetEncryptionKeyTypes, {
        patientId,
        ...own,
        nonce: 0n,
        deadline,
      });
      await expect(
        identity.connect(relayerAccount).setEncryptionKeyWithSig(patientId, own.prefix, own.x, wallet, deadline, sig),
      )
        .to.be.revertedWithCustomError(identity, "IdentityEncryptionKeyIsSigningKey")
        .withArgs(wallet.address);
      // The operator's own key, sent directly: the hardhat account's public key comes from a signature.
      const message = "which key signs for me?";
      const opKey = SigningKey.recoverPublicKey(hashMessage(message), await op.signMessage(message));
      const opParts = encryptionPublicKeyParts(opKey);
      await expect(identity.connect(op).setEncryptionKey(opParts.prefix, opParts.x))
        .to.be.revertedWithCustomError(identity, "IdentityEncryptionKeyIsSigningKey")
        .withArgs(op.address);
    });

    it("the contract refuses an x on no point of the curve, and an x not below the field prime", async function () {
      const { identity, op } = await networkHelpers.loadFixture(fixture);
      const x = offCurveX();
      await expect(identity.connect(op).setEncryptionKey("0x02", x))
        .to.be.revertedWithCustomError(identity, "IdentityEncryptionKeyNotOnCurve")
        .withArgs("0x02", x);
      const tooLarge = "0x" + "ff".repeat(32);
      await expect(identity.connect(op).setEncryptionKey("0x03", tooLarge))
        .to.be.revertedWithCustomError(identity, "IdentityEncryptionKeyNotOnCurve")
        .withArgs("0x03", tooLarge);
    });

    it("the contract stores the y parity the prefix names (both parities of one x accepted)", async function () {
      const { identity, op } = await networkHelpers.loadFixture(fixture);
      const key = freshKey();
      const flipped = key.prefix === "0x02" ? "0x03" : "0x02";
      await expect(identity.connect(op).setEncryptionKey(flipped, key.x))
        .to.emit(identity, "EncryptionKeySet")
        .withArgs(op.address, flipped, key.x);
    });

    it("the SDK refuses the signing key (compressed or not) before signing, and passes another key", async function () {
      const { identity, wallet, patientId } = await networkHelpers.loadFixture(fixture);
      const uncompressed = wallet.signingKey.publicKey;
      const compressed = wallet.signingKey.compressedPublicKey;
      for (const key of [uncompressed, compressed]) {
        expect(() => assertNotSigningKey(key, wallet.address)).to.throw(SigningKeyReuseError);
        expect(() => assertNotSigningKey(key, wallet.address.toLowerCase())).to.throw(SigningKeyReuseError);
      }
      await expect(signSetEncryptionKey(identity, wallet, patientId, compressed)).to.be.rejectedWith(
        SigningKeyReuseError,
      );
      expect(() => assertNotSigningKey(freshKey().publicKey, wallet.address)).to.not.throw();
    });
  });
});
