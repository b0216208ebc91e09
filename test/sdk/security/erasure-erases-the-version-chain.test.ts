/**
 * Rule: erasure of a record erases its whole version chain. The review's attack: the custodian
 * anchors a record, supersedes it twice (each version nearly the same data), and the patient's
 * erasure retracts the head; `retract` shredded only the head's wraps, so the two earlier versions
 * still opened for every recipient. Now shredding any version shreds every version reachable through
 * `supersedes` (earlier) and `RecordSuperseded` (later), and each ends with no wrap that decrypts.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { RecordCryptoError } from "../../../src/crypto.ts";
import { recordVersionChain } from "../../../src/shredder.ts";
import { expectNoWrapDecrypts } from "../../helpers/erasure.ts";
import { randomHash } from "../../helpers/identity.ts";
import { expectError } from "../../helpers/record-crypto.ts";
import { deploySdkConsent, syntheticCondition, withFreshStores } from "../../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function sdkFixture() {
  return deploySdkConsent(ethers);
}

/** Three versions of one record, each readable by the doctor and the lab. */
async function threeVersions() {
  const f = withFreshStores(await networkHelpers.loadFixture(sdkFixture));
  const client = f.recordsClient.connect(f.doctor);
  const recipients = [f.doctor.address, f.labTech.address];
  const v1 = await client.publish({
    resource: syntheticCondition(),
    patientId: f.patientId,
    category: "CONDITIONS",
    recipients,
  });
  const v2 = await client.supersede({
    oldRecordId: v1.recordId,
    resource: syntheticCondition(),
    patientId: f.patientId,
    recipients,
  });
  const v3 = await client.supersede({
    oldRecordId: v2.recordId,
    resource: syntheticCondition(),
    patientId: f.patientId,
    recipients,
  });
  const versions = [v1, v2, v3].map(({ recordId, contentHash }) => ({ recordId, contentHash }));
  const keys = [f.keys.doctor.privateKey, f.keys.labTech.privateKey];
  return { ...f, client, v1, v2, v3, versions, keys };
}

describe("security: erasure erases the whole version chain", function () {
  it("anchor, supersede twice, retract the head: no version's wrap decrypts", async function () {
    const f = await threeVersions();
    // Before: every version opens for the lab.
    for (const { recordId } of f.versions) {
      const read = await f.recordsClient
        .connect(f.labTech)
        .fetch({ recordId, patientId: f.patientId, privateKey: f.keys[1] });
      expect(read.recordId).to.equal(recordId);
    }

    const reasonHash = randomHash();
    const { receipt, shreddedWraps } = await f.client.retract({
      recordId: f.v3.recordId,
      patientId: f.patientId,
      reasonHash,
    });
    await expect(receipt).to.emit(f.records, "RecordRetracted").withArgs(f.v3.recordId, f.doctor.address, reasonHash);
    expect(shreddedWraps).to.equal(6); // two wraps in each of three versions

    // The attack: read an earlier (superseded, not retracted) version. Refused: its wraps are gone.
    for (const { recordId } of f.versions.slice(0, 2)) {
      for (const privateKey of f.keys) {
        await expectError(
          () => f.recordsClient.connect(f.labTech).fetch({ recordId, patientId: f.patientId, privateKey }),
          RecordCryptoError,
          "SHREDDED",
        );
      }
    }
    await expectNoWrapDecrypts([f.keyStore], f.blobStore, f.versions, f.patientId, f.keys);
  });

  it("retracting a middle version erases the earlier and the later ones too (the chain is the unit)", async function () {
    const f = await threeVersions();
    await f.client.retract({ recordId: f.v2.recordId, patientId: f.patientId });
    await expectNoWrapDecrypts([f.keyStore], f.blobStore, f.versions, f.patientId, f.keys);
  });

  it("finds the chain from any version, oldest first; `onlyThisVersion` shreds one version alone", async function () {
    const f = await threeVersions();
    const ids = f.versions.map((v) => v.recordId.toLowerCase());
    for (const { recordId } of f.versions) {
      expect(await f.recordsClient.versionChain(recordId)).to.deep.equal(ids);
      expect(await recordVersionChain(f.records, recordId, { fromBlock: f.fromBlock, pageSize: 2 })).to.deep.equal(ids);
    }
    expect(await f.client.shred(f.v1.recordId, { onlyThisVersion: true })).to.equal(2);
    expect(await f.keyStore.list(f.v2.recordId)).to.have.length(2);
    expect(await f.client.shred(f.v1.recordId)).to.equal(4); // the rest of the chain; v1 again is a no-op
    await expectNoWrapDecrypts([f.keyStore], f.blobStore, f.versions, f.patientId, f.keys);
  });
});
