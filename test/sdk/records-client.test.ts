import { expect } from "chai";
import { ZeroHash } from "ethers";
import { network } from "hardhat";

import type { BlobStore } from "../../src/blob-store.ts";
import { ConsentClient } from "../../src/clients/consent.ts";
import { locatorCommitment, randomRecordId, RecordsClient, RecordsClientError } from "../../src/clients/records.ts";
import { encryptionPublicKeyParts, RecordCryptoError } from "../../src/crypto.ts";
import { MedChainContractError } from "../../src/errors.ts";
import { commitment } from "../../src/ids.ts";
import { OffChainRecordError } from "../../src/records.ts";
import { Category, categoryIndex, Purpose } from "../../src/scopes.ts";
import { accessLogView } from "../../src/views/consent.ts";
import { randomHash } from "../helpers/identity.ts";
import { expectError, flipByte } from "../helpers/record-crypto.ts";
import { deploySdkConsent, syntheticCondition, withFreshStores } from "../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function sdkFixture() {
  return deploySdkConsent(ethers);
}

/** The fixture, with stores of this test's own. */
async function setup() {
  return withFreshStores(await networkHelpers.loadFixture(sdkFixture));
}

/** `setup`, then a CONDITIONS record written by the doctor for the doctor and the lab. */
async function withPublished() {
  const f = await setup();
  const resource = syntheticCondition();
  const published = await f.recordsClient.connect(f.doctor).publish({
    resource,
    patientId: f.patientId,
    category: "CONDITIONS",
    recipients: [f.doctor.address, f.labTech.address],
  });
  return { ...f, resource, published };
}

/** A blob store that serves other bytes than it was given for one hash (a compromised mirror). */
class SubstitutingStore implements BlobStore {
  constructor(
    readonly inner: BlobStore,
    readonly substitute: (contentHash: string, bytes: Uint8Array) => Promise<Uint8Array>,
  ) {}
  put(bytes: Uint8Array) {
    return this.inner.put(bytes);
  }
  async get(contentHash: string) {
    return this.substitute(contentHash, await this.inner.get(contentHash));
  }
  has(contentHash: string) {
    return this.inner.has(contentHash);
  }
  delete(contentHash: string) {
    return this.inner.delete(contentHash);
  }
  locator(contentHash: string) {
    return this.inner.locator(contentHash);
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (e: unknown) => e,
  );
}

describe("SDK RecordsClient", function () {
  describe("publish and fetch", function () {
    it("round trip: the doctor publishes, the lab (a grantee) fetches, verifies against the chain and decrypts", async function () {
      const { recordsClient, records, labTech, keys, patientId, hospital, lab, published, resource, blobStore } =
        await withPublished();
      expect(published.version).to.equal(1);
      expect(published.supersedes).to.equal(ZeroHash);
      expect(published.category).to.equal(categoryIndex("CONDITIONS"));
      expect(published.loggedFor).to.deep.equal([lab]);
      expect(published.locatorCommitment).to.equal(locatorCommitment(published.locatorSalt, published.locator));
      expect(published.locatorCommitment).to.equal(commitment(published.locatorSalt, "string", published.locator));
      await expect(published.receipt)
        .to.emit(records, "RecordAnchored")
        .withArgs(
          published.recordId,
          patientId,
          hospital,
          Category.CONDITIONS,
          published.contentHash,
          published.locatorCommitment,
          ZeroHash,
          1,
        );

      const fetched = await recordsClient.connect(labTech).fetch({
        recordId: published.recordId,
        patientId,
        privateKey: keys.labTech.privateKey,
      });
      expect(fetched.resource).to.deep.equal(resource);
      expect(fetched).to.include({
        status: "active",
        version: 1,
        contentHash: published.contentHash,
        category: categoryIndex("CONDITIONS"),
      });
      expect(fetched.custodianOrg).to.equal(hospital);
      expect(fetched.supersededBy).to.equal(undefined);

      const blob = await blobStore.get(published.contentHash);
      expect(await recordsClient.verifyBlob(published.recordId, blob)).to.deep.equal({
        matches: true,
        status: "Live",
      });
      expect(await recordsClient.verifyBlob(published.recordId, flipByte(blob, 60))).to.deep.equal({
        matches: false,
        status: "Live",
      });
    });

    it("logs the disclosure to each grantee organisation other than the custodian on chain", async function () {
      const { consent, published, patientId, hospital, lab, fromBlock } = await withPublished();
      await expect(published.receipt).not.to.emit(consent, "AccessLogged"); // the anchor itself logs nothing
      const log = await accessLogView(consent, patientId, { fromBlock });
      expect(log.map((e) => [e.recipientOrg, e.recordId, e.custodianOrg, e.scopes, e.purpose])).to.deep.equal([
        [lab, published.recordId, hospital, Category.CONDITIONS, Purpose.TREATMENT],
      ]);
    });

    it("reads a recipient account's encryption key from the IdentityRegistry and accepts a raw key the chain ties to the patient", async function () {
      const f = await setup();
      const { prefix, x } = encryptionPublicKeyParts(f.keys.patient.publicKey);
      await f.identity.connect(f.patient).setEncryptionKey(prefix, x);
      const published = await f.recordsClient.connect(f.doctor).publish({
        resource: syntheticCondition(),
        patientId: f.patientId,
        category: categoryIndex("MEDICATIONS"),
        recipients: [f.doctor.address, f.keys.patient.publicKey],
      });
      expect(published.recipientKeys).to.have.members([f.keys.doctor.publicKey, f.keys.patient.publicKey]);
      for (const privateKey of [f.keys.doctor.privateKey, f.keys.patient.privateKey]) {
        const r = await f.recordsClient.fetch({ recordId: published.recordId, patientId: f.patientId, privateKey });
        expect(r.status).to.equal("active");
      }
    });

    it("lets the patient publish its own record (no custodian, nothing logged) for a covered doctor", async function () {
      const f = await setup();
      const { prefix, x } = encryptionPublicKeyParts(f.keys.patient.publicKey);
      await f.identity.connect(f.patient).setEncryptionKey(prefix, x);
      const published = await f.recordsClient.connect(f.patient).publish({
        resource: syntheticCondition(),
        patientId: f.patientId,
        category: "CONDITIONS",
        recipients: [f.patient.address, f.doctor.address],
      });
      expect(published.loggedFor).to.deep.equal([]);
      for (const who of ["patient", "doctor"]) {
        const r = await f.recordsClient.fetch({
          recordId: published.recordId,
          patientId: f.patientId,
          privateKey: f.keys[who].privateKey,
        });
        expect(r.custodianOrg).to.equal(0n);
      }
    });
  });

  describe("who can read", function () {
    it("a non-grantee cannot decrypt: an account not wrapped for gets NOT_A_RECIPIENT", async function () {
      const { recordsClient, published, patientId, keys } = await withPublished();
      for (const who of ["pharmacist", "stranger", "patient"]) {
        await expectError(
          () => recordsClient.fetch({ recordId: published.recordId, patientId, privateKey: keys[who].privateKey }),
          RecordCryptoError,
          "NOT_A_RECIPIENT",
        );
      }
    });

    it("refuses to publish for an organisation without a covering grant, before anything is written", async function () {
      const f = await setup();
      const before = f.blobStore.size;
      const error = await expectError(
        () =>
          f.recordsClient.connect(f.doctor).publish({
            resource: syntheticCondition(),
            patientId: f.patientId,
            category: "CONDITIONS",
            recipients: [f.doctor.address, f.pharmacist.address],
          }),
        RecordsClientError,
        "NOT_COVERED",
      );
      expect(error.message).to.contain(`organisation ${f.pharmacy}`);
      expect(f.blobStore.size).to.equal(before);
      // The lab's grant covers CONDITIONS, not MEDICATIONS.
      await expectError(
        () =>
          f.recordsClient.connect(f.doctor).publish({
            resource: syntheticCondition(),
            patientId: f.patientId,
            category: "MEDICATIONS",
            recipients: [f.labTech.address],
          }),
        RecordsClientError,
        "NOT_COVERED",
      );
      // An account of no organisation that cannot act for the patient.
      const outsider = await f.account();
      await expectError(
        () =>
          f.recordsClient.connect(f.doctor).publish({
            resource: syntheticCondition(),
            patientId: f.patientId,
            category: "CONDITIONS",
            recipients: [outsider.address],
          }),
        RecordsClientError,
        "NOT_COVERED",
      );
    });

    it("refuses a recipient that published no encryption key, and one that is no key nor address", async function () {
      const f = await setup();
      const client = f.recordsClient.connect(f.doctor);
      const base = { resource: syntheticCondition(), patientId: f.patientId, category: "CONDITIONS" as const };
      await expectError(
        () => client.publish({ ...base, recipients: [f.nurse.address] }),
        RecordsClientError,
        "NO_ENCRYPTION_KEY",
      );
      await expectError(
        () => client.publish({ ...base, recipients: ["0x1234"] }),
        RecordsClientError,
        "INVALID_RECIPIENT",
      );
      await expectError(
        () => client.publish({ ...base, category: 16, recipients: [f.doctor.address] }),
        RecordsClientError,
        "INVALID_CATEGORY",
      );
      await expectError(
        () => client.publish({ ...base, category: "ADDRESS" as never, recipients: [f.doctor.address] }),
        RecordsClientError,
        "INVALID_CATEGORY",
      );
    });

    it("surfaces the registry's refusal as a MedChainContractError and removes what it stored", async function () {
      const f = await setup();
      const before = f.blobStore.size;
      const error = await rejection(
        f.recordsClient.connect(f.stranger).publish({
          resource: syntheticCondition(),
          patientId: f.patientId,
          category: "CONDITIONS",
          recipients: [f.doctor.address],
        }),
      );
      expect(error).to.be.instanceOf(MedChainContractError);
      const e = error as MedChainContractError;
      expect(e.errorName).to.equal("RecordWriterNotAuthorized");
      expect([...e.args]).to.deep.equal([f.stranger.address, f.patientId, BigInt(categoryIndex("CONDITIONS"))]);
      expect(f.blobStore.size).to.equal(before);
    });

    it("shares with one more covered organisation: logged on chain first, then wrapped; an uncovered one is refused", async function () {
      const f = await setup();
      const published = await f.recordsClient.connect(f.doctor).publish({
        resource: syntheticCondition(),
        patientId: f.patientId,
        category: "CONDITIONS",
        recipients: [f.doctor.address],
      });
      const read = (who: string) =>
        f.recordsClient.fetch({
          recordId: published.recordId,
          patientId: f.patientId,
          privateKey: f.keys[who].privateKey,
        });
      await expectError(() => read("labTech"), RecordCryptoError, "NOT_A_RECIPIENT");

      const shared = await f.recordsClient.connect(f.doctor).share({
        recordId: published.recordId,
        patientId: f.patientId,
        privateKey: f.keys.doctor.privateKey,
        recipient: f.labTech.address,
      });
      await expect(shared.receipt)
        .to.emit(f.consent, "AccessLogged")
        .withArgs(f.patientId, f.lab, published.recordId, f.hospital, Category.CONDITIONS, Purpose.TREATMENT, 0n);
      expect((await read("labTech")).status).to.equal("active");

      const error = await rejection(
        f.recordsClient.connect(f.doctor).share({
          recordId: published.recordId,
          patientId: f.patientId,
          privateKey: f.keys.doctor.privateKey,
          recipient: f.pharmacist.address,
        }),
      );
      expect((error as MedChainContractError).errorName).to.equal("ConsentNotCovered");
      await expectError(() => read("pharmacist"), RecordCryptoError, "NOT_A_RECIPIENT");
    });
  });

  describe("integrity", function () {
    it("a tampered blob fails with HASH_MISMATCH", async function () {
      const f = await withPublished();
      const tampering = new RecordsClient({
        ...f.recordsClient,
        blobStore: new SubstitutingStore(f.blobStore, async (_h, bytes) => flipByte(bytes, bytes.length - 1)),
      });
      const error = await expectError(
        () =>
          tampering.fetch({
            recordId: f.published.recordId,
            patientId: f.patientId,
            privateKey: f.keys.labTech.privateKey,
          }),
        OffChainRecordError,
        "HASH_MISMATCH",
      );
      expect(error.message).to.contain(f.published.contentHash);
    });

    it("a blob swapped for another record's fails with HASH_MISMATCH", async function () {
      const f = await withPublished();
      const other = await f.recordsClient.connect(f.doctor).publish({
        resource: syntheticCondition(),
        patientId: f.patientId,
        category: "CONDITIONS",
        recipients: [f.labTech.address],
      });
      const swapping = new RecordsClient({
        ...f.recordsClient,
        blobStore: new SubstitutingStore(f.blobStore, () => f.blobStore.get(other.contentHash)),
      });
      await expectError(
        () =>
          swapping.fetch({
            recordId: f.published.recordId,
            patientId: f.patientId,
            privateKey: f.keys.labTech.privateKey,
          }),
        OffChainRecordError,
        "HASH_MISMATCH",
      );
    });

    it("a blob re-anchored under another record id (with its key wraps) fails with WRONG_CONTEXT", async function () {
      const f = await withPublished();
      // The patient anchors the same ciphertext as a new record and copies its wraps: the AAD
      // (recordId, patientId) bound into the ciphertext refuses it.
      const copyId = randomRecordId();
      await f.records
        .connect(f.patient)
        .anchor(copyId, f.patientId, categoryIndex("CONDITIONS"), f.published.contentHash, randomHash());
      await f.keyStore.add(copyId, await f.keyStore.list(f.published.recordId));
      await expectError(
        () =>
          f.recordsClient.fetch({ recordId: copyId, patientId: f.patientId, privateKey: f.keys.labTech.privateKey }),
        RecordCryptoError,
        "WRONG_CONTEXT",
      );
    });

    it("refuses an unknown record and another patient's record before fetching", async function () {
      const f = await withPublished();
      await expectError(
        () =>
          f.recordsClient.fetch({
            recordId: randomHash(),
            patientId: f.patientId,
            privateKey: f.keys.labTech.privateKey,
          }),
        RecordsClientError,
        "UNKNOWN_RECORD",
      );
      await expectError(
        () =>
          f.recordsClient.fetch({
            recordId: f.published.recordId,
            patientId: f.patientId + 1n,
            privateKey: f.keys.labTech.privateKey,
          }),
        RecordsClientError,
        "OF_ANOTHER_PATIENT",
      );
    });
  });

  describe("versions, retraction and erasure", function () {
    it("supersede: the old version still opens, reported superseded with its successor; the new one is version 2", async function () {
      const f = await withPublished();
      const v2Resource = { ...syntheticCondition(), id: "v2" };
      const v2 = await f.recordsClient.connect(f.doctor).supersede({
        oldRecordId: f.published.recordId,
        resource: v2Resource,
        patientId: f.patientId,
        recipients: [f.doctor.address, f.labTech.address],
      });
      expect(v2).to.include({ version: 2, supersedes: f.published.recordId, category: categoryIndex("CONDITIONS") });
      await expect(v2.receipt).to.emit(f.records, "RecordSuperseded").withArgs(f.published.recordId, v2.recordId);

      const reader = f.recordsClient.connect(f.labTech);
      const old = await reader.fetch({
        recordId: f.published.recordId,
        patientId: f.patientId,
        privateKey: f.keys.labTech.privateKey,
      });
      expect(old).to.include({ status: "superseded", supersededBy: v2.recordId, version: 1 });
      expect(old.resource).to.deep.equal(f.resource);
      const latest = await reader.fetch({
        recordId: v2.recordId,
        patientId: f.patientId,
        privateKey: f.keys.labTech.privateKey,
      });
      expect(latest).to.include({ status: "active", version: 2 });
      expect(latest.resource).to.deep.equal(v2Resource);
    });

    it("retract: the record is reported RETRACTED and its key wraps are shredded", async function () {
      const f = await withPublished();
      const reasonHash = randomHash();
      const { receipt, shreddedWraps } = await f.recordsClient
        .connect(f.doctor)
        .retract({ recordId: f.published.recordId, patientId: f.patientId, reasonHash });
      await expect(receipt)
        .to.emit(f.records, "RecordRetracted")
        .withArgs(f.published.recordId, f.doctor.address, reasonHash);
      expect(shreddedWraps).to.equal(2);
      expect(await f.keyStore.list(f.published.recordId)).to.deep.equal([]);
      expect((await f.recordsClient.getAnchor(f.published.recordId)).status).to.equal("Retracted");
      for (const who of ["doctor", "labTech"]) {
        await expectError(
          () =>
            f.recordsClient.fetch({
              recordId: f.published.recordId,
              patientId: f.patientId,
              privateKey: f.keys[who].privateKey,
            }),
          OffChainRecordError,
          "RETRACTED",
        );
      }
      // Retracting again is refused by the chain, decoded.
      const again = await rejection(
        f.recordsClient.connect(f.doctor).retract({ recordId: f.published.recordId, patientId: f.patientId }),
      );
      expect((again as MedChainContractError).errorName).to.equal("RecordInvalidStatus");
    });

    it("after shredding, nobody can decrypt, even with the blob still stored and the anchor live", async function () {
      const f = await withPublished();
      expect(await f.recordsClient.shred(f.published.recordId)).to.equal(2);
      expect(await f.blobStore.has(f.published.contentHash)).to.equal(true);
      for (const who of ["doctor", "labTech", "pharmacist"]) {
        await expectError(
          () =>
            f.recordsClient.fetch({
              recordId: f.published.recordId,
              patientId: f.patientId,
              privateKey: f.keys[who].privateKey,
            }),
          RecordCryptoError,
          "SHREDDED",
        );
      }
    });
  });

  describe("wiring", function () {
    it("the records client and the consent client agree: the doctor writes only what its WRITE grant covers", async function () {
      const f = await setup();
      const consent = new ConsentClient(f.consent);
      expect(
        await consent.hasAccess(f.patientId, f.hospital, {
          scopes: ["CONTACT"],
          action: ["WRITE"],
          purpose: ["TREATMENT"],
        }),
      ).to.equal(false);
      const error = await rejection(
        f.recordsClient.connect(f.doctor).publish({
          resource: syntheticCondition(),
          patientId: f.patientId,
          category: "CONTACT",
          recipients: [f.doctor.address],
        }),
      );
      expect((error as MedChainContractError).errorName).to.equal("RecordWriterNotAuthorized");
    });
  });
});
