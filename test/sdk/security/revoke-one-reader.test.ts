/**
 * Rule: a custodian can revoke one reader. Wraps do not name their recipients (so an outsider cannot
 * tell who reads a record), which left the custodian unable to tell which wrap to delete. Sealing now
 * returns, to the sealer alone, which wrap belongs to which recipient; deleting one reader's wrap stops
 * that reader and no other.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { generateEncryptionKeyPair, parseKeyWrap, RecordCryptoError } from "../../../src/crypto.ts";
import { MemoryBlobStore } from "../../../src/blob-store.ts";
import { KeyWrapStoreError, MemoryKeyWrapStore } from "../../../src/key-store.ts";
import { openRecord, sealRecord } from "../../../src/records.ts";
import { expectError, randomPatientId, randomRecordId } from "../../helpers/record-crypto.ts";
import { deploySdkConsent, syntheticCondition, withFreshStores } from "../../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function sdkFixture() {
  return deploySdkConsent(ethers);
}

describe("security: a custodian can revoke one reader", function () {
  it("sealRecord says which wrap is whose; removing one reader's wrap stops that reader only", async function () {
    const blobs = new MemoryBlobStore();
    const keys = new MemoryKeyWrapStore();
    const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
    const context = { recordId: randomRecordId(), patientId: randomPatientId() };
    const sealed = await sealRecord(blobs, keys, {
      resource: syntheticCondition(),
      ...context,
      recipients: readers.map((r) => r.publicKey),
    });
    expect(sealed.readers.map((r) => r.publicKey)).to.deep.equal(readers.map((r) => r.publicKey));
    const stored = (await keys.list(context.recordId)).map((w) => Buffer.from(w).toString("hex")).sort();
    expect(sealed.readers.map((r) => Buffer.from(r.keyWrap).toString("hex")).sort()).to.deep.equal(stored);
    for (const r of sealed.readers) expect(parseKeyWrap(r.keyWrap).contentHash).to.equal(sealed.contentHash);

    expect(await keys.remove(context.recordId, [sealed.readers[1].keyWrap])).to.equal(1);
    const open = (privateKey: string) =>
      openRecord(blobs, keys, { expectedHash: sealed.contentHash, ...context, privateKey });
    await expectError(() => open(readers[1].privateKey), RecordCryptoError, "NOT_A_RECIPIENT");
    for (const i of [0, 2]) expect((await open(readers[i].privateKey)).contentHash).to.equal(sealed.contentHash);
  });

  it("RecordsClient: publish names each reader's wrap; revokeReader drops the lab and keeps the doctor", async function () {
    const f = withFreshStores(await networkHelpers.loadFixture(sdkFixture));
    const published = await f.recordsClient.connect(f.doctor).publish({
      resource: syntheticCondition(),
      patientId: f.patientId,
      category: "CONDITIONS",
      recipients: [f.doctor.address, f.labTech.address, f.doctor.address],
    });
    expect(published.readers.map((r) => [r.recipient, r.account, r.orgId, r.publicKey])).to.deep.equal([
      [f.doctor.address, f.doctor.address, f.hospital, f.keys.doctor.publicKey],
      [f.labTech.address, f.labTech.address, f.lab, f.keys.labTech.publicKey],
    ]);
    const fetch = (privateKey: string) =>
      f.recordsClient.fetch({ recordId: published.recordId, patientId: f.patientId, privateKey });
    expect((await fetch(f.keys.labTech.privateKey)).status).to.equal("active");

    const lab = published.readers[1];
    expect(await f.recordsClient.revokeReader({ recordId: published.recordId, keyWraps: [lab.keyWrap] })).to.equal(1);
    await expectError(() => fetch(f.keys.labTech.privateKey), RecordCryptoError, "NOT_A_RECIPIENT");
    expect((await fetch(f.keys.doctor.privateKey)).status).to.equal("active");
    // Idempotent: the wrap is gone.
    expect(await f.recordsClient.revokeReader({ recordId: published.recordId, keyWraps: [lab.keyWrap] })).to.equal(0);

    // A reader added later by share is revoked the same way, with share's keyWraps.
    const shared = await f.recordsClient.connect(f.doctor).share({
      recordId: published.recordId,
      patientId: f.patientId,
      privateKey: f.keys.doctor.privateKey,
      recipient: f.labTech.address,
    });
    expect((await fetch(f.keys.labTech.privateKey)).status).to.equal("active");
    expect(await f.recordsClient.revokeReader({ recordId: published.recordId, keyWraps: shared.keyWraps })).to.equal(1);
    await expectError(() => fetch(f.keys.labTech.privateKey), RecordCryptoError, "NOT_A_RECIPIENT");
    // An id that is no record id is refused by the store, naming it.
    await expectError(
      () => f.recordsClient.revokeReader({ recordId: "0x1234", keyWraps: [lab.keyWrap] }),
      KeyWrapStoreError,
      "INVALID_RECORD_ID",
    );
  });
});
