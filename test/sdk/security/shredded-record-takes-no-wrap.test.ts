/**
 * Rule: a shredded record takes no wrap. The review's attack: a share in flight brings a wrap back —
 * `addRecipients` unwraps first and writes last, and the key stores kept no tombstone, so a share
 * that started before the retract and finished after the shred wrote a readable wrap for the new
 * recipient. Now a shred leaves a tombstone in every store, and the late `add` is refused with
 * `KeyWrapStoreError` `SHREDDED`, writing nothing — in memory and in a folder.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import { RecordsClient } from "../../../src/clients/records.ts";
import { type KeyWrapStore, KeyWrapStoreError, MemoryKeyWrapStore } from "../../../src/key-store.ts";
import { FolderKeyWrapStore } from "../../../src/node.ts";
import { addRecipients } from "../../../src/records.ts";
import { expectNoWrapDecrypts, GatedKeyWrapStore } from "../../helpers/erasure.ts";
import { expectError } from "../../helpers/record-crypto.ts";
import { deploySdkConsent, syntheticCondition, withFreshStores } from "../../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function sdkFixture() {
  return deploySdkConsent(ethers);
}

let root: string;
before(async function () {
  root = await mkdtemp(join(tmpdir(), "medchain-tombstone-"));
});
after(async function () {
  await rm(root, { recursive: true, force: true });
});

const stores: [string, () => KeyWrapStore][] = [
  ["MemoryKeyWrapStore", () => new MemoryKeyWrapStore()],
  ["FolderKeyWrapStore", () => new FolderKeyWrapStore(join(root, `keys-${Math.random().toString(16).slice(2)}`))],
];

describe("security: a shredded record takes no wrap", function () {
  for (const [name, makeStore] of stores) {
    describe(name, function () {
      it("a share started before the retract and finishing after the shred writes nothing (SHREDDED)", async function () {
        const base = withFreshStores(await networkHelpers.loadFixture(sdkFixture));
        const inner = makeStore();
        const { records, identity, consent, blobStore, fromBlock } = base;
        const doctor = new RecordsClient({ records, identity, consent, blobStore, keyStore: inner, fromBlock }).connect(
          base.doctor,
        );
        const published = await doctor.publish({
          resource: syntheticCondition(),
          patientId: base.patientId,
          category: "CONDITIONS",
          recipients: [base.doctor.address],
        });
        const shareGate = new GatedKeyWrapStore(inner);
        const sharer = new RecordsClient({ records, identity, consent, blobStore, keyStore: shareGate, fromBlock });

        // The share: logged on chain, blob fetched, data key unwrapped and re-wrapped for the lab...
        const share = sharer
          .connect(base.doctor)
          .share({
            recordId: published.recordId,
            patientId: base.patientId,
            privateKey: base.keys.doctor.privateKey,
            recipient: base.labTech.address,
          })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        await shareGate.reached; // ...and is about to write the lab's wrap.

        // Meanwhile the custodian retracts: every wrap is shredded.
        const { shreddedWraps } = await doctor.retract({ recordId: published.recordId, patientId: base.patientId });
        expect(shreddedWraps).to.equal(1);

        shareGate.release();
        const error = await share;
        expect(error).to.be.instanceOf(KeyWrapStoreError);
        expect((error as KeyWrapStoreError).code).to.equal("SHREDDED");
        expect((error as KeyWrapStoreError).recordId).to.equal(published.recordId.toLowerCase());
        await expectNoWrapDecrypts(
          [inner],
          blobStore,
          [{ recordId: published.recordId, contentHash: published.contentHash }],
          base.patientId,
          [base.keys.doctor.privateKey, base.keys.labTech.privateKey],
        );
      });

      it("a share after the shred is refused before anything is fetched", async function () {
        const f = withFreshStores(await networkHelpers.loadFixture(sdkFixture));
        const keyStore = makeStore();
        const published = await new RecordsClient({ ...f, keyStore }).connect(f.doctor).publish({
          resource: syntheticCondition(),
          patientId: f.patientId,
          category: "CONDITIONS",
          recipients: [f.doctor.address],
        });
        // Wraps copied before the shred (a stale replica) cannot be put back either.
        const copied = await keyStore.list(published.recordId);
        await keyStore.shred(published.recordId);
        await expectError(() => keyStore.add(published.recordId, copied), KeyWrapStoreError, "SHREDDED");
        let fetched = 0;
        const countingBlobs = {
          ...f.blobStore,
          get: async (hash: string) => {
            fetched++;
            return f.blobStore.get(hash);
          },
        } as typeof f.blobStore;
        await expectError(
          () =>
            addRecipients(countingBlobs, keyStore, {
              recordId: published.recordId,
              patientId: f.patientId,
              contentHash: published.contentHash,
              privateKey: f.keys.doctor.privateKey,
              recipients: [f.keys.labTech.publicKey],
            }),
          KeyWrapStoreError,
          "SHREDDED",
        );
        expect(fetched).to.equal(0);
        await expectNoWrapDecrypts(
          [keyStore],
          f.blobStore,
          [{ recordId: published.recordId, contentHash: published.contentHash }],
          f.patientId,
          [f.keys.doctor.privateKey, f.keys.labTech.privateKey],
        );
      });
    });
  }
});
