/**
 * Issue #12 point 8 — rule: the patient's own record actions (anchor, supersede, retract) have
 * `…WithSig` twins like every other patient action: EIP-712 with a deadline, on the patient's nonce in
 * the RecordRegistry (which every direct patient action consumes too, so an unrelayed signature dies),
 * ERC-1271 for smart accounts, the signer's authority checked at execution; retract (erasure) works
 * while paused, direct and signed.
 *
 * The review's finding: a patient without ether could grant and revoke by signature but not erase a
 * record, and a pause stopped erasure (a test even asserted it).
 */
import { expect } from "chai";
import { hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import { RecordsClient } from "../../../src/clients/records.ts";
import {
  medchainDomain,
  RecordAnchorTypes,
  RecordRetractTypes,
  RecordSupersedeTypes,
  typeString,
} from "../../../src/eip712.ts";
import { MemoryBlobStore } from "../../../src/blob-store.ts";
import { MemoryKeyWrapStore } from "../../../src/key-store.ts";
import { Relayer } from "../../../src/relayer.ts";
import { Action, categoryIndex, RESTRICTED, scopes } from "../../../src/scopes.ts";
import type { ERC1271PatientAccount } from "../../../typechain-types/index.ts";
import { deployConsent } from "../../helpers/consent.ts";
import { HOUR, now, randomHash } from "../../helpers/identity.ts";
import { recordSigners } from "../../helpers/records.ts";

const { ethers, networkHelpers } = await network.create();

const Status = { None: 0n, Live: 1n, Superseded: 2n, Retracted: 3n } as const;
const newId = () => hexlify(randomBytes(32));
const GENETIC = categoryIndex("GENETIC");
const CONDITIONS = categoryIndex("CONDITIONS");

async function signedFixture() {
  const sys = await deployConsent(ethers);
  const { patient, patientId, hospital, records, doctor } = sys;
  await sys.grantAs(
    patient,
    patientId,
    hospital,
    await sys.terms(scopes("CONDITIONS"), { actions: Action.READ | Action.WRITE }),
  );
  const hospitalRecord = newId();
  await records.connect(doctor).anchor(hospitalRecord, patientId, CONDITIONS, randomHash(), randomHash());
  const signers = await recordSigners(records);
  const anchorArgs = () => ({
    recordId: newId(),
    patientId,
    category: GENETIC,
    contentHash: randomHash(),
    locatorCommitment: randomHash(),
  });
  return { ...sys, hospitalRecord, ...signers, anchorArgs };
}

describe("security: the patient's record actions are signed too, and erasure works while paused", function () {
  it("has type strings equal to the contract's type hashes, and the domain the SDK expects", async function () {
    const { records, domain } = await networkHelpers.loadFixture(signedFixture);
    for (const [types, onChain] of [
      [RecordAnchorTypes, records.ANCHOR_TYPEHASH()],
      [RecordSupersedeTypes, records.SUPERSEDE_TYPEHASH()],
      [RecordRetractTypes, records.RETRACT_TYPEHASH()],
    ] as const) {
      expect(keccak256(toUtf8Bytes(typeString(types))), typeString(types)).to.equal(await onChain);
    }
    const [, name, version, chainId, verifyingContract] = await records.eip712Domain();
    expect({ name, version, chainId, verifyingContract }).to.deep.equal(domain);
    expect(await records.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(domain));
  });

  describe("anchorWithSig", function () {
    it("anchors the patient's record (no custodian) by its signature, relayed by anyone; consumes the nonce", async function () {
      const { records, patient, relayer, patientId, signAnchor, anchorArgs } =
        await networkHelpers.loadFixture(signedFixture);
      const a = anchorArgs();
      const dl = (await now(ethers)) + HOUR;
      const sig = await signAnchor(patient, a, 0n, dl);
      await expect(
        records
          .connect(relayer)
          .anchorWithSig(a.recordId, patientId, a.category, a.contentHash, a.locatorCommitment, patient, 0n, dl, sig),
      )
        .to.emit(records, "RecordAnchored")
        .withArgs(a.recordId, patientId, 0n, RESTRICTED, a.contentHash, a.locatorCommitment, ethers.ZeroHash, 1n)
        .and.not.to.emit(records, "RecordRetracted");
      expect((await records.getRecord(a.recordId)).custodianOrg).to.equal(0n);
      expect(await records.nonces(patientId)).to.equal(1n);
    });

    it("refuses a replay, an expired deadline, another chain's or contract's signature, and a stranger's key", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, patient, relayer, stranger, patientId, signAnchor, anchorArgs, domain } = sys;
      const a = anchorArgs();
      const dl = (await now(ethers)) + HOUR;
      const send = (sig: string, nonce = 0n, deadline = dl, signer = patient.address) =>
        records
          .connect(relayer)
          .anchorWithSig(
            a.recordId,
            patientId,
            a.category,
            a.contentHash,
            a.locatorCommitment,
            signer,
            nonce,
            deadline,
            sig,
          );
      // Wrong chain id, then another contract (the ConsentManager) as verifying contract.
      const otherChain = await signAnchor(patient, a, 0n, dl, { ...domain, chainId: 999n });
      const r1 = ethers.verifyTypedData(
        { ...domain, chainId: 999n },
        RecordAnchorTypes,
        { ...a, nonce: 0n, deadline: dl },
        otherChain,
      );
      const here = ethers.TypedDataEncoder.hash(domain, RecordAnchorTypes, { ...a, nonce: 0n, deadline: dl });
      const recoveredHere = ethers.recoverAddress(here, otherChain);
      expect(r1).to.equal(patient.address);
      await expect(send(otherChain))
        .to.be.revertedWithCustomError(records, "RecordInvalidSignature")
        .withArgs(patient.address, recoveredHere);
      const otherContract = medchainDomain("RecordRegistry", domain.chainId as bigint, await sys.consent.getAddress());
      const wrongContract = await signAnchor(patient, a, 0n, dl, otherContract);
      await expect(send(wrongContract)).to.be.revertedWithCustomError(records, "RecordInvalidSignature");
      // A stranger signs for the patient's address.
      const forged = await signAnchor(stranger, a, 0n, dl);
      await expect(send(forged))
        .to.be.revertedWithCustomError(records, "RecordInvalidSignature")
        .withArgs(patient.address, stranger.address);
      // Expired.
      const late = await signAnchor(patient, a, 0n, dl);
      await networkHelpers.time.increaseTo(dl); // the next block is mined at dl + 1
      await expect(send(late))
        .to.be.revertedWithCustomError(records, "RecordSignatureExpired")
        .withArgs(dl, dl + 1n);
      expect(await records.nonces(patientId)).to.equal(0n); // nothing changed
      // Valid once, then replayed.
      const dl2 = (await now(ethers)) + HOUR;
      const good = await signAnchor(patient, a, 0n, dl2);
      await send(good, 0n, dl2);
      await expect(send(good, 0n, dl2))
        .to.be.revertedWithCustomError(records, "RecordInvalidNonce")
        .withArgs(patientId, 0n, 1n);
    });

    it("dies when the patient acts directly before it is relayed", async function () {
      const { records, patient, relayer, patientId, signAnchor, anchorArgs } =
        await networkHelpers.loadFixture(signedFixture);
      const a = anchorArgs();
      const dl = (await now(ethers)) + HOUR;
      const sig = await signAnchor(patient, a, 0n, dl);
      // A direct anchor by the patient consumes nonce 0.
      await records.connect(patient).anchor(newId(), patientId, GENETIC, randomHash(), randomHash());
      expect(await records.nonces(patientId)).to.equal(1n);
      await expect(
        records
          .connect(relayer)
          .anchorWithSig(a.recordId, patientId, a.category, a.contentHash, a.locatorCommitment, patient, 0n, dl, sig),
      )
        .to.be.revertedWithCustomError(records, "RecordInvalidNonce")
        .withArgs(patientId, 0n, 1n);
    });

    it("refuses a signature by a controller removed since (authority checked at execution)", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, identity, patient, relayer, patientId, signAnchor, anchorArgs } = sys;
      const second = await sys.account();
      await identity.connect(patient).setController(patientId, second, true);
      const a = anchorArgs();
      const dl = (await now(ethers)) + HOUR;
      const sig = await signAnchor(second, a, 0n, dl);
      await identity.connect(patient).setController(patientId, second, false);
      await expect(
        records
          .connect(relayer)
          .anchorWithSig(a.recordId, patientId, a.category, a.contentHash, a.locatorCommitment, second, 0n, dl, sig),
      )
        .to.be.revertedWithCustomError(records, "RecordUnauthorized")
        .withArgs(second.address, patientId);
    });

    it("refuses an unknown category, and is stopped by pause", async function () {
      const { records, patient, relayer, pauser, patientId, signAnchor, anchorArgs } =
        await networkHelpers.loadFixture(signedFixture);
      const a = { ...anchorArgs(), category: 16 };
      const dl = (await now(ethers)) + HOUR;
      const sig = await signAnchor(patient, a, 0n, dl);
      const send = () =>
        records
          .connect(relayer)
          .anchorWithSig(a.recordId, patientId, a.category, a.contentHash, a.locatorCommitment, patient, 0n, dl, sig);
      await expect(send()).to.be.revertedWithCustomError(records, "RecordInvalidCategory").withArgs(16);
      await records.connect(pauser).pause();
      await expect(send()).to.be.revertedWithCustomError(records, "EnforcedPause");
    });

    it("accepts an ERC-1271 smart account's signature", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, identity, relayer, signAnchor } = sys;
      const owner = await sys.account();
      const account = (await ethers.deployContract("ERC1271PatientAccount", [
        owner.address,
      ])) as unknown as ERC1271PatientAccount;
      const patientId = BigInt(newId());
      const commitment = randomHash();
      const dl = (await now(ethers)) + HOUR;
      const attestation = await sys.attest(await account.getAddress(), patientId, commitment, dl);
      await account
        .connect(owner)
        .execute(
          identity,
          identity.interface.encodeFunctionData("registerPatient", [
            patientId,
            commitment,
            await account.getAddress(),
            dl,
            sys.registrar.address,
            attestation,
          ]),
        );
      const a = { ...sys.anchorArgs(), patientId };
      const sig = await signAnchor(owner, a, 0n, dl); // the owner's key signs for the account
      await expect(
        records
          .connect(relayer)
          .anchorWithSig(a.recordId, patientId, a.category, a.contentHash, a.locatorCommitment, account, 0n, dl, sig),
      ).to.emit(records, "RecordAnchored");
    });
  });

  describe("supersedeWithSig", function () {
    it("versions the patient's own record; refuses the hospital's record (one custodian a chain)", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, patient, relayer, patientId, hospital, hospitalRecord, signSupersede } = sys;
      const own = newId();
      await records.connect(patient).anchor(own, patientId, GENETIC, randomHash(), randomHash()); // nonce 0
      const s = {
        oldRecordId: own,
        newRecordId: newId(),
        patientId,
        contentHash: randomHash(),
        locatorCommitment: randomHash(),
      };
      const dl = (await now(ethers)) + HOUR;
      const sig = await signSupersede(patient, s, 1n, dl);
      const send = (x: typeof s, signature: string, nonce: bigint) =>
        records
          .connect(relayer)
          .supersedeWithSig(
            x.oldRecordId,
            x.newRecordId,
            patientId,
            x.contentHash,
            x.locatorCommitment,
            patient,
            nonce,
            dl,
            signature,
          );
      await expect(send(s, sig, 1n))
        .to.emit(records, "RecordSuperseded")
        .withArgs(own, s.newRecordId)
        .and.to.emit(records, "RecordAnchored")
        .withArgs(s.newRecordId, patientId, 0n, RESTRICTED, s.contentHash, s.locatorCommitment, own, 2n);
      expect((await records.getRecord(own)).status).to.equal(Status.Superseded);
      expect(await records.nonces(patientId)).to.equal(2n);
      await expect(send(s, sig, 1n))
        .to.be.revertedWithCustomError(records, "RecordInvalidStatus")
        .withArgs(own, Status.Superseded);
      // The hospital's record is not the patient's to version, signed or not.
      const h = { ...s, oldRecordId: hospitalRecord, newRecordId: newId() };
      const hsig = await signSupersede(patient, h, 2n, dl);
      await expect(send(h, hsig, 2n))
        .to.be.revertedWithCustomError(records, "RecordNotCustodian")
        .withArgs(hospitalRecord, 0n, hospital);
    });

    it("refuses an expired or replayed signature, and is stopped by pause", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, patient, relayer, pauser, patientId, signSupersede } = sys;
      const own = newId();
      await records.connect(patient).anchor(own, patientId, GENETIC, randomHash(), randomHash());
      const s = {
        oldRecordId: own,
        newRecordId: newId(),
        patientId,
        contentHash: randomHash(),
        locatorCommitment: randomHash(),
      };
      const dl = (await now(ethers)) + HOUR;
      const send = (signature: string, nonce: bigint) =>
        records
          .connect(relayer)
          .supersedeWithSig(
            s.oldRecordId,
            s.newRecordId,
            patientId,
            s.contentHash,
            s.locatorCommitment,
            patient,
            nonce,
            dl,
            signature,
          );
      const stale = await signSupersede(patient, s, 0n, dl); // nonce 0 was consumed by the direct anchor
      await expect(send(stale, 0n))
        .to.be.revertedWithCustomError(records, "RecordInvalidNonce")
        .withArgs(patientId, 0n, 1n);
      const sig = await signSupersede(patient, s, 1n, dl);
      await records.connect(pauser).pause();
      await expect(send(sig, 1n)).to.be.revertedWithCustomError(records, "EnforcedPause");
      await records.unpause();
      await networkHelpers.time.increaseTo(dl); // the next block is mined at dl + 1
      await expect(send(sig, 1n))
        .to.be.revertedWithCustomError(records, "RecordSignatureExpired")
        .withArgs(dl, dl + 1n);
    });
  });

  describe("retract and retractWithSig while paused", function () {
    it("the patient erases the hospital's record by signature while paused; replay and a removed controller are refused", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, identity, patient, relayer, pauser, patientId, hospitalRecord, signRetract } = sys;
      await records.connect(pauser).pause();
      const r = { recordId: hospitalRecord, patientId, reasonHash: randomHash() };
      const dl = (await now(ethers)) + HOUR;
      const sig = await signRetract(patient, r, 0n, dl);
      const send = (signature: string, nonce: bigint, signer: string = patient.address) =>
        records.connect(relayer).retractWithSig(r.recordId, patientId, r.reasonHash, signer, nonce, dl, signature);
      await expect(send(sig, 0n))
        .to.emit(records, "RecordRetracted")
        .withArgs(hospitalRecord, patient.address, r.reasonHash);
      expect((await records.getRecord(hospitalRecord)).status).to.equal(Status.Retracted);
      await expect(send(sig, 0n))
        .to.be.revertedWithCustomError(records, "RecordInvalidStatus")
        .withArgs(hospitalRecord, Status.Retracted);
      // Another record, a controller removed after signing.
      await records.unpause();
      const other = newId();
      await records.connect(sys.doctor).anchor(other, patientId, CONDITIONS, randomHash(), randomHash());
      await records.connect(pauser).pause();
      const second = await sys.account();
      await identity.connect(patient).setController(patientId, second, true);
      const r2 = { ...r, recordId: other };
      const sig2 = await signRetract(second, r2, 1n, dl);
      await identity.connect(patient).setController(patientId, second, false);
      await expect(records.connect(relayer).retractWithSig(other, patientId, r2.reasonHash, second, 1n, dl, sig2))
        .to.be.revertedWithCustomError(records, "RecordUnauthorized")
        .withArgs(second.address, patientId);
      // A direct retraction by the patient while paused works and consumes the nonce.
      await expect(records.connect(patient).retract(other, patientId, r2.reasonHash))
        .to.emit(records, "RecordRetracted")
        .withArgs(other, patient.address, r2.reasonHash);
      expect(await records.nonces(patientId)).to.equal(2n);
    });

    it("the custodian retracts while paused without touching the patient's nonce", async function () {
      const { records, doctor, pauser, patientId, hospitalRecord } = await networkHelpers.loadFixture(signedFixture);
      await records.connect(pauser).pause();
      await expect(records.connect(doctor).retract(hospitalRecord, patientId, randomHash())).to.emit(
        records,
        "RecordRetracted",
      );
      expect(await records.nonces(patientId)).to.equal(0n);
    });
  });

  describe("SDK: sign and relay helpers", function () {
    it("signs with the chain's domain and nonce, relays, and the next action voids an older signature", async function () {
      const sys = await networkHelpers.loadFixture(signedFixture);
      const { records, identity, consent, patient, relayer, patientId } = sys;
      const client = new RecordsClient({
        records,
        identity,
        consent,
        blobStore: new MemoryBlobStore(),
        keyStore: new MemoryKeyWrapStore(),
      });
      const relay = new Relayer(relayer);
      const a = sys.anchorArgs();
      const signed = await client.signAnchor(patient, a);
      expect(signed.message.nonce).to.equal(0n);
      await client.relayAnchor(relay, signed);
      expect((await client.getAnchor(a.recordId)).status).to.equal("Live");
      const s = {
        oldRecordId: a.recordId,
        newRecordId: newId(),
        patientId,
        contentHash: randomHash(),
        locatorCommitment: randomHash(),
      };
      const sup = await client.signSupersede(patient, s);
      const ret = await client.signRetract(patient, { recordId: a.recordId, patientId, reasonHash: randomHash() });
      expect([sup.message.nonce, ret.message.nonce]).to.deep.equal([1n, 1n]);
      await client.relaySupersede(relay, sup);
      expect(await client.nonce(patientId)).to.equal(2n);
      // The retraction was signed for nonce 1, now used: it is refused, decoded.
      await expect(client.relayRetract(relay, ret)).to.be.rejectedWith(/RecordInvalidNonce/);
      const again = await client.signRetract(patient, { recordId: s.newRecordId, patientId, reasonHash: randomHash() });
      const { receipt } = await client.relayRetract(relay, again);
      expect(receipt.status).to.equal(1);
      expect((await client.getAnchor(s.newRecordId)).status).to.equal("Retracted");
    });
  });
});
