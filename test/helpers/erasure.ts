/**
 * Helpers for the erasure tests: the check each of them ends with — no wrap anywhere decrypts — and
 * key stores that fail or pause on cue (to replay a failed shred and a share racing a retract).
 */
import { expect } from "chai";

import type { BlobStore } from "../../src/blob-store.ts";
import { decryptRecord, type PrivateKeyInput, RecordCryptoError } from "../../src/crypto.ts";
import { type KeyWrapStore, KeyWrapStoreError } from "../../src/key-store.ts";

/** A version of a record: its id and the content hash of its blob. */
export interface Version {
  recordId: string;
  contentHash: string;
}

/**
 * No wrap anywhere decrypts: in every store, every version lists no wrap, and no private key opens any
 * version's blob (still stored) with what the store holds — `SHREDDED` for each (store, version, key).
 */
export async function expectNoWrapDecrypts(
  stores: readonly KeyWrapStore[],
  blobStore: BlobStore,
  versions: readonly Version[],
  patientId: bigint,
  privateKeys: readonly PrivateKeyInput[],
): Promise<void> {
  expect(versions.length).to.be.greaterThan(0);
  for (const store of stores) {
    for (const { recordId, contentHash } of versions) {
      const keyWraps = await store.list(recordId);
      expect(keyWraps, `wraps of ${recordId}`).to.deep.equal([]);
      expect(await store.isShredded(recordId), `tombstone of ${recordId}`).to.equal(true);
      const envelope = await blobStore.get(contentHash); // the blob itself may stay: it is unreadable
      for (const privateKey of privateKeys) {
        let caught: unknown;
        try {
          decryptRecord({ envelope, keyWraps, recordId, patientId, privateKey });
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(RecordCryptoError);
        expect((caught as RecordCryptoError).code).to.equal("SHREDDED");
      }
    }
  }
}

/** Whether `action` would decrypt: used to show a version is readable before the erasure. */
export function decrypts(action: () => unknown): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}

/** A key store whose `shred` fails (`IO`) for the record ids in `failing`, until they are removed. */
export class FlakyKeyWrapStore implements KeyWrapStore {
  readonly failing = new Set<string>();
  shredCalls: string[] = [];

  constructor(readonly inner: KeyWrapStore) {}

  add(recordId: string, keyWraps: readonly Uint8Array[]) {
    return this.inner.add(recordId, keyWraps);
  }
  list(recordId: string) {
    return this.inner.list(recordId);
  }
  remove(recordId: string, keyWraps: readonly Uint8Array[]) {
    return this.inner.remove(recordId, keyWraps);
  }
  isShredded(recordId: string) {
    return this.inner.isShredded(recordId);
  }
  async shred(recordId: string) {
    const id = recordId.toLowerCase();
    this.shredCalls.push(id);
    if (this.failing.has(id)) throw new KeyWrapStoreError("IO", "the disk is gone (test)", id);
    return this.inner.shred(recordId);
  }
}

/** A key store whose next `add` waits until `release()`; `reached` resolves when an add is waiting. */
export class GatedKeyWrapStore implements KeyWrapStore {
  #open!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#open = resolve));
  #reached!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.#reached = resolve));

  constructor(readonly inner: KeyWrapStore) {}

  release(): void {
    this.#open();
  }
  async add(recordId: string, keyWraps: readonly Uint8Array[]) {
    this.#reached();
    await this.#gate;
    return this.inner.add(recordId, keyWraps);
  }
  list(recordId: string) {
    return this.inner.list(recordId);
  }
  remove(recordId: string, keyWraps: readonly Uint8Array[]) {
    return this.inner.remove(recordId, keyWraps);
  }
  isShredded(recordId: string) {
    return this.inner.isShredded(recordId);
  }
  shred(recordId: string) {
    return this.inner.shred(recordId);
  }
}
