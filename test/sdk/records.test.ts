import { randomInt, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { getBytes, keccak256 } from "ethers";

import type { BlobStore } from "../../src/blob-store.ts";
import { BlobStoreError, MemoryBlobStore } from "../../src/blob-store.ts";
import { FolderBlobStore, FolderKeyWrapStore } from "../../src/node.ts";
import {
  ENVELOPE_HEADER_LENGTH,
  RecordCryptoError,
  decryptRecord,
  generateEncryptionKeyPair,
  paddedLength,
  parseKeyWrap,
} from "../../src/crypto.ts";
import type { KeyWrapStore } from "../../src/key-store.ts";
import { KeyWrapStoreError, MemoryKeyWrapStore } from "../../src/key-store.ts";
import type { AnchoredRecordStatus, JsonObject } from "../../src/records.ts";
import {
  OffChainRecordError,
  addRecipients,
  canonicalJson,
  openRecord,
  sealRecord,
  shredRecord,
} from "../../src/records.ts";
import { expectError, flipByte, randomPatientId, randomRecordId } from "../helpers/record-crypto.ts";

type Stores = { blobs: BlobStore; keys: KeyWrapStore };

/** A copy of a serialised key wrap claiming another content hash (bytes 6…38). */
function withContentHash(keyWrap: Uint8Array, contentHash: string): Uint8Array {
  const copy = keyWrap.slice();
  copy.set(getBytes(contentHash), 6);
  return copy;
}

/** A synthetic FHIR R4 Observation (blood glucose) with random ids and no personal data. */
function syntheticObservation(): JsonObject {
  return {
    resourceType: "Observation",
    id: randomUUID(),
    meta: { profile: ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"] },
    status: "final",
    category: [
      {
        coding: [
          {
            system: "http://terminology.hl7.org/CodeSystem/observation-category",
            code: "laboratory",
            display: "Laboratory",
          },
        ],
      },
    ],
    code: { coding: [{ system: "http://loinc.org", code: "2339-0", display: "Glucose [Mass/volume] in Blood" }] },
    subject: { reference: `Patient/${randomUUID()}` },
    effectiveDateTime: "2024-03-01T08:30:00Z",
    valueQuantity: { value: 70 + randomInt(60), unit: "mg/dL", system: "http://unitsofmeasure.org", code: "mg/dL" },
    referenceRange: [{ low: { value: 70, unit: "mg/dL" }, high: { value: 99, unit: "mg/dL" } }],
  };
}

/** A store that answers every get with fixed bytes, and counts calls (a compromised or buggy store). */
class LyingStore implements BlobStore {
  calls = 0;
  constructor(readonly answer: Uint8Array) {}
  async put(bytes: Uint8Array): Promise<string> {
    return keccak256(bytes);
  }
  async get(): Promise<Uint8Array> {
    this.calls++;
    return this.answer;
  }
  async has(): Promise<boolean> {
    return true;
  }
  async delete(): Promise<boolean> {
    return false;
  }
  locator(contentHash: string): string {
    return `lying:${contentHash}`;
  }
}

describe("records", function () {
  let root: string;

  before(async function () {
    root = await mkdtemp(join(tmpdir(), "medchain-records-"));
  });

  after(async function () {
    await rm(root, { recursive: true, force: true });
  });

  describe("canonicalJson", function () {
    it("sorts keys at every level and writes no whitespace", function () {
      const a = { b: [3, { y: 1, x: "é" }], a: null, c: true, "": 1.5 };
      const b = { c: true, "": 1.5, a: null, b: [3, { x: "é", y: 1 }] };
      expect(canonicalJson(a)).to.equal('{"":1.5,"a":null,"b":[3,{"x":"é","y":1}],"c":true}');
      expect(canonicalJson(b)).to.equal(canonicalJson(a));
    });

    it("omits undefined properties and formats numbers as ECMAScript does", function () {
      expect(canonicalJson({ a: undefined, n: [1e21, 0.1, -0, 100] })).to.equal('{"n":[1e+21,0.1,0,100]}');
    });

    it("rejects values JSON cannot represent with INVALID_RESOURCE", async function () {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const bad of [
        { n: NaN },
        { n: Infinity },
        { d: new Date(0) },
        { b: 1n },
        [undefined],
        { f: () => 1 },
        cyclic,
      ]) {
        await expectError(() => canonicalJson(bad), OffChainRecordError, "INVALID_RESOURCE");
      }
    });

    it("accepts a shared (non-cyclic) sub-object twice", function () {
      const shared = { v: 1 };
      expect(canonicalJson({ a: shared, b: shared })).to.equal('{"a":{"v":1},"b":{"v":1}}');
    });
  });

  for (const [name, makeStores] of [
    ["memory stores", async (): Promise<Stores> => ({ blobs: new MemoryBlobStore(), keys: new MemoryKeyWrapStore() })],
    [
      "folder stores",
      async (): Promise<Stores> => ({
        blobs: new FolderBlobStore(await mkdtemp(join(root, "blobs-"))),
        keys: new FolderKeyWrapStore(await mkdtemp(join(root, "keys-"))),
      }),
    ],
  ] as const) {
    describe(`sealRecord / openRecord with ${name}`, function () {
      it("round-trips a FHIR Observation for three recipients; the wraps go to the key store only", async function () {
        const { blobs, keys } = await makeStores();
        const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
        const resource = syntheticObservation();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const { contentHash, locator } = await sealRecord(blobs, keys, {
          resource,
          recordId,
          patientId,
          recipients: readers.map((r) => r.publicKey),
        });
        const blob = await blobs.get(contentHash);
        expect(contentHash).to.equal(keccak256(blob));
        expect(locator).to.equal(blobs.locator(contentHash));
        const keyWraps = await keys.list(recordId);
        expect(keyWraps).to.have.length(3);
        for (const keyWrap of keyWraps) expect(parseKeyWrap(keyWrap).contentHash).to.equal(contentHash);
        expect(blob).to.have.length(ENVELOPE_HEADER_LENGTH + paddedLength(canonicalJson(resource).length) + 16);
        for (const reader of readers) {
          const opened = await openRecord(blobs, keys, {
            expectedHash: contentHash,
            recordId,
            patientId,
            privateKey: reader.privateKey,
          });
          expect(opened.resource).to.deep.equal(resource);
          expect(opened.contentHash).to.equal(contentHash);
          expect(opened).to.not.have.property("status");
        }
        // The anchored hash is required: an address alone (e.g. from whoever sent the blob) is refused.
        await expectError(
          () =>
            openRecord(blobs, keys, {
              contentHash,
              recordId,
              patientId,
              privateKey: readers[0].privateKey,
            } as unknown as Parameters<typeof openRecord>[2]),
          RecordCryptoError,
          "INVALID_INPUT",
        );
      });

      it("encrypts the canonical JSON of the resource, and the blob holds none of it in clear", async function () {
        const { blobs, keys } = await makeStores();
        const reader = generateEncryptionKeyPair();
        const resource = syntheticObservation();
        const context = { recordId: randomRecordId(), patientId: randomPatientId() };
        const { contentHash } = await sealRecord(blobs, keys, { resource, ...context, recipients: [reader.publicKey] });
        const blob = await blobs.get(contentHash);
        const keyWraps = await keys.list(context.recordId);
        const plain = decryptRecord({ envelope: blob, keyWraps, ...context, privateKey: reader.privateKey });
        expect(new TextDecoder().decode(plain)).to.equal(canonicalJson(resource));
        const blobText = Buffer.from(blob).toString("latin1");
        for (const clear of ["Observation", String(resource.id), "mg/dL"]) expect(blobText).to.not.contain(clear);
      });

      it("pads by default so that records of similar size give blobs of one size", async function () {
        const { blobs, keys } = await makeStores();
        const reader = generateEncryptionKeyPair();
        const seal = async (resource: JsonObject, padding?: boolean): Promise<number> => {
          const context = { recordId: randomRecordId(), patientId: randomPatientId() };
          const { contentHash } = await sealRecord(blobs, keys, {
            resource,
            ...context,
            recipients: [reader.publicKey],
            padding,
          });
          const opened = await openRecord(blobs, keys, {
            expectedHash: contentHash,
            ...context,
            privateKey: reader.privateKey,
          });
          expect(opened.resource).to.deep.equal(resource);
          return (await blobs.get(contentHash)).length;
        };
        const short = { resourceType: "Observation", status: "final" };
        const longer = { ...short, note: [{ text: "x".repeat(150) }] };
        expect(canonicalJson(longer).length - canonicalJson(short).length).to.be.greaterThan(150);
        expect(await seal(short)).to.equal(await seal(longer));
        expect(await seal(short, false)).to.not.equal(await seal(longer, false));
        expect(await seal(short, false)).to.be.lessThan(await seal(short));
      });

      it("refuses a non-grantee (NOT_A_RECIPIENT) and another patient's context (WRONG_CONTEXT)", async function () {
        const { blobs, keys } = await makeStores();
        const reader = generateEncryptionKeyPair();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const { contentHash } = await sealRecord(blobs, keys, {
          resource: syntheticObservation(),
          recordId,
          patientId,
          recipients: [reader.publicKey],
        });
        const outsider = generateEncryptionKeyPair().privateKey;
        await expectError(
          () => openRecord(blobs, keys, { expectedHash: contentHash, recordId, patientId, privateKey: outsider }),
          RecordCryptoError,
          "NOT_A_RECIPIENT",
        );
        await expectError(
          () =>
            openRecord(blobs, keys, {
              expectedHash: contentHash,
              recordId,
              patientId: randomPatientId(),
              privateKey: reader.privateKey,
            }),
          RecordCryptoError,
          "WRONG_CONTEXT",
        );
      });

      it("refuses a blob that is not the anchored version (HASH_MISMATCH)", async function () {
        const { blobs, keys } = await makeStores();
        const reader = generateEncryptionKeyPair();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const seal = (): Promise<{ contentHash: string }> =>
          sealRecord(blobs, keys, {
            resource: syntheticObservation(),
            recordId,
            patientId,
            recipients: [reader.publicKey],
          });
        const anchored = await seal();
        const other = await seal(); // same record and patient, a different (unanchored) version
        await expectError(
          () =>
            openRecord(blobs, keys, {
              contentHash: other.contentHash,
              expectedHash: anchored.contentHash,
              recordId,
              patientId,
              privateKey: reader.privateKey,
            }),
          OffChainRecordError,
          "HASH_MISMATCH",
        );
        const opened = await openRecord(blobs, keys, {
          contentHash: anchored.contentHash,
          expectedHash: anchored.contentHash.toUpperCase().replace("0X", "0x"),
          recordId,
          patientId,
          privateKey: reader.privateKey,
        });
        expect(opened.contentHash).to.equal(anchored.contentHash);
      });

      it("refuses a retracted record (RETRACTED) without fetching it, and opens a superseded one", async function () {
        const { blobs, keys } = await makeStores();
        const reader = generateEncryptionKeyPair();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const resource = syntheticObservation();
        const { contentHash } = await sealRecord(blobs, keys, {
          resource,
          recordId,
          patientId,
          recipients: [reader.publicKey],
        });
        const asked: { recordId: string; contentHash: string }[] = [];
        const statusOf =
          (status: AnchoredRecordStatus) =>
          async (query: { recordId: string; contentHash: string }): Promise<AnchoredRecordStatus> => {
            asked.push(query);
            return status;
          };
        await blobs.delete(contentHash); // would be NOT_FOUND if it were fetched
        await expectError(
          () =>
            openRecord(blobs, keys, {
              expectedHash: contentHash,
              recordId,
              patientId,
              privateKey: reader.privateKey,
              status: statusOf("retracted"),
            }),
          OffChainRecordError,
          "RETRACTED",
        );
        expect(asked).to.deep.equal([{ recordId, contentHash }]);

        const replacement = await sealRecord(blobs, keys, {
          resource,
          recordId,
          patientId,
          recipients: [reader.publicKey],
        });
        const opened = await openRecord(blobs, keys, {
          expectedHash: replacement.contentHash,
          recordId,
          patientId,
          privateKey: reader.privateKey,
          status: statusOf("superseded"),
        });
        expect(opened.status).to.equal("superseded");
        expect(opened.resource).to.deep.equal(resource);
      });

      it("reports a missing blob as BlobStoreError NOT_FOUND, and a record without wraps as SHREDDED", async function () {
        const { blobs, keys } = await makeStores();
        const reader = generateEncryptionKeyPair();
        const context = { recordId: randomRecordId(), patientId: randomPatientId() };
        const { contentHash } = await sealRecord(blobs, keys, {
          resource: syntheticObservation(),
          ...context,
          recipients: [reader.publicKey],
        });
        await blobs.delete(contentHash);
        await expectError(
          () => openRecord(blobs, keys, { expectedHash: contentHash, ...context, privateKey: reader.privateKey }),
          BlobStoreError,
          "NOT_FOUND",
        );
        await expectError(
          () =>
            openRecord(blobs, keys, {
              expectedHash: keccak256("0x01"),
              recordId: randomRecordId(),
              patientId: randomPatientId(),
              privateKey: reader.privateKey,
            }),
          RecordCryptoError,
          "SHREDDED",
        );
      });

      it("shredRecord makes every recipient fail with SHREDDED, on every copy of the blob", async function () {
        const { blobs, keys } = await makeStores();
        const replica = new MemoryBlobStore();
        const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
        const context = { recordId: randomRecordId(), patientId: randomPatientId() };
        const resource = syntheticObservation();
        const { contentHash } = await sealRecord(blobs, keys, {
          resource,
          ...context,
          recipients: readers.map((r) => r.publicKey),
        });
        const blob = await blobs.get(contentHash);
        await replica.put(blob); // the blob may be replicated freely
        for (const store of [blobs, replica]) {
          const opened = await openRecord(store, keys, {
            expectedHash: contentHash,
            ...context,
            privateKey: readers[2].privateKey,
          });
          expect(opened.resource).to.deep.equal(resource);
        }
        // A copy of the wraps taken before shredding — the documented limit of key destruction.
        const leakedWraps = await keys.list(context.recordId);

        expect(await shredRecord(keys, context.recordId)).to.equal(3);
        expect(await keys.list(context.recordId)).to.deep.equal([]);
        expect(await shredRecord(keys, context.recordId)).to.equal(0);
        expect(await blobs.get(contentHash)).to.deep.equal(blob); // the blob and its hash are unchanged
        for (const store of [blobs, replica]) {
          for (const reader of readers) {
            await expectError(
              () => openRecord(store, keys, { expectedHash: contentHash, ...context, privateKey: reader.privateKey }),
              RecordCryptoError,
              "SHREDDED",
            );
            await expectError(
              () => decryptRecord({ envelope: blob, keyWraps: [], ...context, privateKey: reader.privateKey }),
              RecordCryptoError,
              "SHREDDED",
            );
          }
        }
        const fromLeak = decryptRecord({ envelope: blob, keyWraps: leakedWraps, ...context, ...readers[0] });
        expect(JSON.parse(new TextDecoder().decode(fromLeak))).to.deep.equal(resource);
      });

      it("addRecipients grants a new reader without changing the blob or its content hash", async function () {
        const { blobs, keys } = await makeStores();
        const custodian = generateEncryptionKeyPair();
        const grantee = generateEncryptionKeyPair();
        const context = { recordId: randomRecordId(), patientId: randomPatientId() };
        const resource = syntheticObservation();
        const { contentHash } = await sealRecord(blobs, keys, {
          resource,
          ...context,
          recipients: [custodian.publicKey],
        });
        const blobBefore = await blobs.get(contentHash);
        await expectError(
          () => openRecord(blobs, keys, { expectedHash: contentHash, ...context, privateKey: grantee.privateKey }),
          RecordCryptoError,
          "NOT_A_RECIPIENT",
        );

        const added = await addRecipients(blobs, keys, {
          contentHash,
          ...context,
          privateKey: custodian.privateKey,
          recipients: [grantee.publicKey],
        });
        expect(added.contentHash).to.equal(contentHash);
        expect(added.keyWraps).to.have.length(1);
        expect(await blobs.get(contentHash)).to.deep.equal(blobBefore);
        expect(await keys.list(context.recordId)).to.have.length(2);
        for (const reader of [custodian, grantee]) {
          const opened = await openRecord(blobs, keys, {
            expectedHash: contentHash,
            ...context,
            privateKey: reader.privateKey,
          });
          expect(opened.resource).to.deep.equal(resource);
          expect(opened.contentHash).to.equal(contentHash);
        }

        // Removing only the grantee's wrap: NOT_A_RECIPIENT for the grantee (not SHREDDED), others open.
        expect(await keys.remove(context.recordId, added.keyWraps)).to.equal(1);
        await expectError(
          () => openRecord(blobs, keys, { expectedHash: contentHash, ...context, privateKey: grantee.privateKey }),
          RecordCryptoError,
          "NOT_A_RECIPIENT",
        );
        await openRecord(blobs, keys, { expectedHash: contentHash, ...context, privateKey: custodian.privateKey });

        // Only a current recipient can grant.
        await expectError(
          () =>
            addRecipients(blobs, keys, {
              contentHash,
              ...context,
              privateKey: grantee.privateKey,
              recipients: [generateEncryptionKeyPair().publicKey],
            }),
          RecordCryptoError,
          "NOT_A_RECIPIENT",
        );
        await shredRecord(keys, context.recordId);
        await expectError(
          () =>
            addRecipients(blobs, keys, {
              contentHash,
              ...context,
              privateKey: custodian.privateKey,
              recipients: [grantee.publicKey],
            }),
          KeyWrapStoreError, // the tombstone refuses it before anything is fetched
          "SHREDDED",
        );
      });

      it("fails a wrap copied to another record (NOT_A_RECIPIENT as is, TAMPERED relabelled)", async function () {
        const { blobs, keys } = await makeStores();
        const readerA = generateEncryptionKeyPair();
        const readerB = generateEncryptionKeyPair();
        const a = { recordId: randomRecordId(), patientId: randomPatientId() };
        const b = { recordId: randomRecordId(), patientId: randomPatientId() };
        await sealRecord(blobs, keys, { resource: syntheticObservation(), ...a, recipients: [readerA.publicKey] });
        const resourceB = syntheticObservation();
        const sealedB = await sealRecord(blobs, keys, { resource: resourceB, ...b, recipients: [readerB.publicKey] });
        const [wrapA] = await keys.list(a.recordId);
        const openB = (privateKey: string) =>
          openRecord(blobs, keys, { expectedHash: sealedB.contentHash, ...b, privateKey });

        await keys.add(b.recordId, [wrapA]);
        await expectError(() => openB(readerA.privateKey), RecordCryptoError, "NOT_A_RECIPIENT");
        await keys.add(b.recordId, [withContentHash(wrapA, sealedB.contentHash)]);
        await expectError(() => openB(readerA.privateKey), RecordCryptoError, "TAMPERED");
        expect((await openB(readerB.privateKey)).resource).to.deep.equal(resourceB);
      });

      it("fails a wrap for an older version (other content hash) of the same record", async function () {
        const { blobs, keys } = await makeStores();
        const stays = generateEncryptionKeyPair();
        const dropped = generateEncryptionKeyPair();
        const context = { recordId: randomRecordId(), patientId: randomPatientId() };
        const v1 = await sealRecord(blobs, keys, {
          resource: syntheticObservation(),
          ...context,
          recipients: [stays.publicKey, dropped.publicKey],
        });
        const v1Wraps = await keys.list(context.recordId);
        const resource2 = syntheticObservation();
        const v2 = await sealRecord(blobs, keys, { resource: resource2, ...context, recipients: [stays.publicKey] });
        const open = (contentHash: string, privateKey: string) =>
          openRecord(blobs, keys, { expectedHash: contentHash, ...context, privateKey });

        expect((await open(v2.contentHash, stays.privateKey)).resource).to.deep.equal(resource2);
        await open(v1.contentHash, dropped.privateKey); // the old version still opens for its reader
        await expectError(() => open(v2.contentHash, dropped.privateKey), RecordCryptoError, "NOT_A_RECIPIENT");
        await keys.add(
          context.recordId,
          v1Wraps.map((w) => withContentHash(w, v2.contentHash)),
        );
        await expectError(() => open(v2.contentHash, dropped.privateKey), RecordCryptoError, "TAMPERED");
        expect((await open(v2.contentHash, stays.privateKey)).resource).to.deep.equal(resource2);
      });
    });
  }

  describe("openRecord with an untrusted store", function () {
    it("checks the hash itself: a store answering other bytes gives HASH_MISMATCH before any decryption", async function () {
      const reader = generateEncryptionKeyPair();
      const recordId = randomRecordId();
      const patientId = randomPatientId();
      const honest = new MemoryBlobStore();
      const keys = new MemoryKeyWrapStore();
      const { contentHash } = await sealRecord(honest, keys, {
        resource: syntheticObservation(),
        recordId,
        patientId,
        recipients: [reader.publicKey],
      });
      const genuine = await honest.get(contentHash);
      const liar = new LyingStore(flipByte(genuine, genuine.length - 1));
      await expectError(
        () => openRecord(liar, keys, { expectedHash: contentHash, recordId, patientId, privateKey: reader.privateKey }),
        OffChainRecordError,
        "HASH_MISMATCH",
      );
      expect(liar.calls).to.equal(1);
    });

    it("detects a corrupted file in the folder blob store (CORRUPT)", async function () {
      const blobs = new FolderBlobStore(await mkdtemp(join(root, "blobs-")));
      const keys = new FolderKeyWrapStore(await mkdtemp(join(root, "keys-")));
      const reader = generateEncryptionKeyPair();
      const recordId = randomRecordId();
      const patientId = randomPatientId();
      const { contentHash } = await sealRecord(blobs, keys, {
        resource: syntheticObservation(),
        recordId,
        patientId,
        recipients: [reader.publicKey],
      });
      const path = blobs.pathFor(contentHash);
      await writeFile(path, flipByte(await readFile(path), 200));
      await expectError(
        () =>
          openRecord(blobs, keys, { expectedHash: contentHash, recordId, patientId, privateKey: reader.privateKey }),
        BlobStoreError,
        "CORRUPT",
      );
    });

    it("refuses to seal a resource that is not a JSON object (INVALID_RESOURCE)", async function () {
      const blobs = new MemoryBlobStore();
      const keys = new MemoryKeyWrapStore();
      for (const resource of [[1, 2], new Date(0), { when: new Date(0) }]) {
        await expectError(
          () =>
            sealRecord(blobs, keys, {
              resource,
              recordId: randomRecordId(),
              patientId: randomPatientId(),
              recipients: [generateEncryptionKeyPair().publicKey],
            }),
          OffChainRecordError,
          "INVALID_RESOURCE",
        );
      }
      expect(blobs.size).to.equal(0);
      expect(keys.size).to.equal(0);
    });

    it("rejects a malformed recordId with INVALID_INPUT before touching either store", async function () {
      const blobs = new LyingStore(new Uint8Array(0));
      await expectError(
        () =>
          openRecord(blobs, new MemoryKeyWrapStore(), {
            expectedHash: keccak256("0x01"),
            recordId: "0x1234",
            patientId: 1n,
            privateKey: generateEncryptionKeyPair().privateKey,
          }),
        RecordCryptoError,
        "INVALID_INPUT",
      );
      expect(blobs.calls).to.equal(0);
    });
  });
});
