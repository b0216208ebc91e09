import { randomInt, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { keccak256 } from "ethers";

import type { BlobStore } from "../../src/blob-store.ts";
import { BlobStoreError, FolderBlobStore, MemoryBlobStore } from "../../src/blob-store.ts";
import { RecordCryptoError, decryptRecord, generateEncryptionKeyPair } from "../../src/crypto.ts";
import type { AnchoredRecordStatus, JsonObject } from "../../src/records.ts";
import { OffChainRecordError, canonicalJson, openRecord, sealRecord } from "../../src/records.ts";
import { expectError, flipByte, randomPatientId, randomRecordId } from "../helpers/record-crypto.ts";

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

  for (const [name, makeStore] of [
    ["a MemoryBlobStore", async (): Promise<BlobStore> => new MemoryBlobStore()],
    ["a FolderBlobStore", async (): Promise<BlobStore> => new FolderBlobStore(await mkdtemp(join(root, "store-")))],
  ] as const) {
    describe(`sealRecord / openRecord with ${name}`, function () {
      it("round-trips a FHIR Observation for three recipients", async function () {
        const store = await makeStore();
        const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
        const resource = syntheticObservation();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const { contentHash, locator } = await sealRecord(store, {
          resource,
          recordId,
          patientId,
          recipients: readers.map((r) => r.publicKey),
        });
        expect(contentHash).to.equal(keccak256(await store.get(contentHash)));
        expect(locator).to.equal(store.locator(contentHash));
        for (const reader of readers) {
          const opened = await openRecord(store, { contentHash, recordId, patientId, privateKey: reader.privateKey });
          expect(opened.resource).to.deep.equal(resource);
          expect(opened.contentHash).to.equal(contentHash);
          expect(opened).to.not.have.property("status");
        }
      });

      it("encrypts the canonical JSON of the resource, and the blob holds none of it in clear", async function () {
        const store = await makeStore();
        const reader = generateEncryptionKeyPair();
        const resource = syntheticObservation();
        const context = { recordId: randomRecordId(), patientId: randomPatientId() };
        const { contentHash } = await sealRecord(store, { resource, ...context, recipients: [reader.publicKey] });
        const blob = await store.get(contentHash);
        const plain = decryptRecord({ envelope: blob, ...context, privateKey: reader.privateKey });
        expect(new TextDecoder().decode(plain)).to.equal(canonicalJson(resource));
        const blobText = Buffer.from(blob).toString("latin1");
        for (const clear of ["Observation", String(resource.id), "mg/dL"]) expect(blobText).to.not.contain(clear);
      });

      it("refuses a non-grantee (NOT_A_RECIPIENT) and another patient's context (WRONG_CONTEXT)", async function () {
        const store = await makeStore();
        const reader = generateEncryptionKeyPair();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const { contentHash } = await sealRecord(store, {
          resource: syntheticObservation(),
          recordId,
          patientId,
          recipients: [reader.publicKey],
        });
        const outsider = generateEncryptionKeyPair().privateKey;
        await expectError(
          () => openRecord(store, { contentHash, recordId, patientId, privateKey: outsider }),
          RecordCryptoError,
          "NOT_A_RECIPIENT",
        );
        await expectError(
          () =>
            openRecord(store, { contentHash, recordId, patientId: randomPatientId(), privateKey: reader.privateKey }),
          RecordCryptoError,
          "WRONG_CONTEXT",
        );
      });

      it("refuses a blob that is not the anchored version (HASH_MISMATCH)", async function () {
        const store = await makeStore();
        const reader = generateEncryptionKeyPair();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const seal = (): Promise<{ contentHash: string }> =>
          sealRecord(store, { resource: syntheticObservation(), recordId, patientId, recipients: [reader.publicKey] });
        const anchored = await seal();
        const other = await seal(); // same record and patient, a different (unanchored) version
        await expectError(
          () =>
            openRecord(store, {
              contentHash: other.contentHash,
              expectedHash: anchored.contentHash,
              recordId,
              patientId,
              privateKey: reader.privateKey,
            }),
          OffChainRecordError,
          "HASH_MISMATCH",
        );
        const opened = await openRecord(store, {
          contentHash: anchored.contentHash,
          expectedHash: anchored.contentHash.toUpperCase().replace("0X", "0x"),
          recordId,
          patientId,
          privateKey: reader.privateKey,
        });
        expect(opened.contentHash).to.equal(anchored.contentHash);
      });

      it("refuses a retracted record (RETRACTED) without fetching it, and opens a superseded one", async function () {
        const store = await makeStore();
        const reader = generateEncryptionKeyPair();
        const recordId = randomRecordId();
        const patientId = randomPatientId();
        const resource = syntheticObservation();
        const { contentHash } = await sealRecord(store, {
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
        await store.delete(contentHash); // would be NOT_FOUND if it were fetched
        await expectError(
          () =>
            openRecord(store, {
              contentHash,
              recordId,
              patientId,
              privateKey: reader.privateKey,
              status: statusOf("retracted"),
            }),
          OffChainRecordError,
          "RETRACTED",
        );
        expect(asked).to.deep.equal([{ recordId, contentHash }]);

        const replacement = await sealRecord(store, { resource, recordId, patientId, recipients: [reader.publicKey] });
        const opened = await openRecord(store, {
          contentHash: replacement.contentHash,
          recordId,
          patientId,
          privateKey: reader.privateKey,
          status: statusOf("superseded"),
        });
        expect(opened.status).to.equal("superseded");
        expect(opened.resource).to.deep.equal(resource);
      });

      it("reports a missing blob as BlobStoreError NOT_FOUND", async function () {
        const store = await makeStore();
        await expectError(
          () =>
            openRecord(store, {
              contentHash: keccak256("0x01"),
              recordId: randomRecordId(),
              patientId: randomPatientId(),
              privateKey: generateEncryptionKeyPair().privateKey,
            }),
          BlobStoreError,
          "NOT_FOUND",
        );
      });
    });
  }

  describe("openRecord with an untrusted store", function () {
    it("checks the hash itself: a store answering other bytes gives HASH_MISMATCH before any decryption", async function () {
      const reader = generateEncryptionKeyPair();
      const recordId = randomRecordId();
      const patientId = randomPatientId();
      const honest = new MemoryBlobStore();
      const { contentHash } = await sealRecord(honest, {
        resource: syntheticObservation(),
        recordId,
        patientId,
        recipients: [reader.publicKey],
      });
      const genuine = await honest.get(contentHash);
      const liar = new LyingStore(flipByte(genuine, genuine.length - 1));
      await expectError(
        () => openRecord(liar, { contentHash, recordId, patientId, privateKey: reader.privateKey }),
        OffChainRecordError,
        "HASH_MISMATCH",
      );
      expect(liar.calls).to.equal(1);
    });

    it("detects a corrupted file in the folder store (CORRUPT)", async function () {
      const store = new FolderBlobStore(await mkdtemp(join(root, "store-")));
      const reader = generateEncryptionKeyPair();
      const recordId = randomRecordId();
      const patientId = randomPatientId();
      const { contentHash } = await sealRecord(store, {
        resource: syntheticObservation(),
        recordId,
        patientId,
        recipients: [reader.publicKey],
      });
      const path = store.pathFor(contentHash);
      await writeFile(path, flipByte(await readFile(path), 200));
      await expectError(
        () => openRecord(store, { contentHash, recordId, patientId, privateKey: reader.privateKey }),
        BlobStoreError,
        "CORRUPT",
      );
    });

    it("refuses to seal a resource that is not a JSON object (INVALID_RESOURCE)", async function () {
      const store = new MemoryBlobStore();
      for (const resource of [[1, 2], new Date(0), { when: new Date(0) }]) {
        await expectError(
          () =>
            sealRecord(store, {
              resource,
              recordId: randomRecordId(),
              patientId: randomPatientId(),
              recipients: [generateEncryptionKeyPair().publicKey],
            }),
          OffChainRecordError,
          "INVALID_RESOURCE",
        );
      }
      expect(store.size).to.equal(0);
    });
  });
});
