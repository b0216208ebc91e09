/**
 * Key-wrap stores: where the per-recipient wraps of a record's data key live, apart from the blob
 * (DESIGN §3 and the ground rule "Erasure by key destruction"; the scheme is in `crypto.ts`).
 *
 * A blob holds no key material and may be copied anywhere; a record is readable only while a wrap
 * of its data key exists in a key store. So the key store is the one place erasure happens:
 * {@link KeyWrapStore.shred} deletes every wrap of a record, after which no copy of its blob can be
 * decrypted, by its recipients either. Keep a key store out of ordinary backups and replicas — a
 * restored wrap restores readability — and on storage where deletion is effective (see `crypto.ts`,
 * "Erasure", for what shredding can and cannot guarantee).
 *
 * A store maps a record id to a set of serialised key wraps (each 147 bytes, carrying in clear the
 * content hash of the blob version it opens, so wraps of several versions may share a record id).
 * Wraps are anonymous; a store never learns who can read a record, only how many wraps it has.
 *
 * @module
 */
import { keccak256 } from "ethers";

import { parseKeyWrap } from "./crypto.ts";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** Why a key-wrap store operation failed. */
export type KeyWrapStoreErrorCode =
  /** The record id is not `0x`-prefixed 32-byte hex. */
  | "INVALID_RECORD_ID"
  /** A value given to `add` or `remove` is not a well-formed serialised key wrap (see `cause`). */
  | "INVALID_WRAP"
  /** A stored wrap does not match its name or is not a well-formed wrap. */
  | "CORRUPT"
  /** The record was shredded: its tombstone refuses every later `add` (nothing is written). */
  | "SHREDDED"
  /** The underlying storage failed (see `cause`). */
  | "IO";

/** A typed error of a {@link KeyWrapStore}; `recordId` is the record involved, if any. */
export class KeyWrapStoreError extends Error {
  readonly code: KeyWrapStoreErrorCode;
  readonly recordId: string | undefined;

  constructor(code: KeyWrapStoreErrorCode, message: string, recordId?: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "KeyWrapStoreError";
    this.code = code;
    this.recordId = recordId;
  }
}

/** A store of key wraps, keyed by record id: each record has a set of serialised wraps. */
export interface KeyWrapStore {
  /**
   * Adds wraps to a record's set (a wrap already there is not added twice). Each wrap is written
   * atomically: a reader sees it whole or not at all. A shredded record is refused: an `add` that
   * started before the shred and ends after it leaves no wrap behind (it destroys what it wrote).
   * @returns how many wraps were new.
   * @throws KeyWrapStoreError `SHREDDED` (the record has a tombstone; nothing stays written),
   * `INVALID_RECORD_ID`, `INVALID_WRAP` (nothing is written then), `IO`.
   */
  add(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number>;
  /**
   * Every wrap of a record, in ascending byte order; empty if it has none (never had, or shredded).
   * @throws KeyWrapStoreError `INVALID_RECORD_ID`, `CORRUPT`, `IO`.
   */
  list(recordId: string): Promise<Uint8Array[]>;
  /**
   * Deletes some wraps of a record (e.g. to stop a revoked grantee's further reads).
   * @returns how many were there and are now gone.
   */
  remove(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number>;
  /**
   * Crypto-shreds a record: first leaves a tombstone (from then on every `add` of the record is
   * refused with `SHREDDED`), then deletes every wrap it has, at once for readers (a concurrent
   * `list` sees all of them or none). Idempotent: shredding again deletes what a crashed shred left.
   * @returns how many wraps were deleted.
   */
  shred(recordId: string): Promise<number>;
  /** Whether the record has a tombstone (it was shredded; it can never hold a wrap again). */
  isShredded(recordId: string): Promise<boolean>;
}

/** @internal The error of an `add` to a shredded record. */
export function shreddedError(recordId: string): KeyWrapStoreError {
  return new KeyWrapStoreError("SHREDDED", `record ${recordId} was shredded: it takes no key wrap`, recordId);
}

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Checks a record id and returns it in canonical form (lowercase, `0x`-prefixed bytes32).
 * @throws KeyWrapStoreError `INVALID_RECORD_ID`.
 */
export function normalizeRecordId(recordId: string): string {
  if (typeof recordId !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(recordId)) {
    throw new KeyWrapStoreError("INVALID_RECORD_ID", "a record id is 0x-prefixed 32-byte hex", String(recordId));
  }
  return recordId.toLowerCase();
}

/** `keccak256(keyWrap)`: the identity of a serialised wrap within its record's set. */
export function keyWrapId(keyWrap: Uint8Array): string {
  return keccak256(keyWrap);
}

/** @internal Validates wraps before anything is written, and drops duplicates (shared with the folder store). */
export function checkWraps(recordId: string, keyWraps: readonly Uint8Array[]): Map<string, Uint8Array> {
  if (!Array.isArray(keyWraps)) throw new KeyWrapStoreError("INVALID_WRAP", "keyWraps must be an array", recordId);
  const unique = new Map<string, Uint8Array>();
  for (const keyWrap of keyWraps) {
    try {
      parseKeyWrap(keyWrap);
    } catch (cause) {
      throw new KeyWrapStoreError("INVALID_WRAP", "not a serialised key wrap", recordId, { cause });
    }
    unique.set(keyWrapId(keyWrap), keyWrap);
  }
  return unique;
}

/** @internal Sorts wraps bytewise: every store lists a record's wraps in the same order. */
export function sortBytes(list: Uint8Array[]): Uint8Array[] {
  return list.sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  });
}

// ─── MemoryKeyWrapStore ──────────────────────────────────────────────────────────────────────────

/**
 * A key-wrap store in memory (tests, short-lived processes). It copies in and out, zeroes shredded
 * wraps and keeps a tombstone (the record id) for every shredded record.
 */
export class MemoryKeyWrapStore implements KeyWrapStore {
  readonly #records = new Map<string, Map<string, Uint8Array>>();
  readonly #tombstones = new Set<string>();

  async add(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const wraps = checkWraps(id, keyWraps);
    if (this.#tombstones.has(id)) throw shreddedError(id);
    let set = this.#records.get(id);
    if (set === undefined) this.#records.set(id, (set = new Map()));
    let added = 0;
    for (const [wrapId, keyWrap] of wraps) {
      if (set.has(wrapId)) continue;
      set.set(wrapId, keyWrap.slice());
      added++;
    }
    return added;
  }

  async list(recordId: string): Promise<Uint8Array[]> {
    const set = this.#records.get(normalizeRecordId(recordId));
    return set === undefined ? [] : sortBytes([...set.values()].map((keyWrap) => keyWrap.slice()));
  }

  async remove(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const wrapIds = [...checkWraps(id, keyWraps).keys()];
    const set = this.#records.get(id);
    if (set === undefined) return 0;
    let removed = 0;
    for (const wrapId of wrapIds) {
      const stored = set.get(wrapId);
      if (stored === undefined) continue;
      stored.fill(0);
      set.delete(wrapId);
      removed++;
    }
    if (set.size === 0) this.#records.delete(id);
    return removed;
  }

  async shred(recordId: string): Promise<number> {
    const id = normalizeRecordId(recordId);
    this.#tombstones.add(id);
    const set = this.#records.get(id);
    if (set === undefined) return 0;
    this.#records.delete(id);
    for (const keyWrap of set.values()) keyWrap.fill(0);
    return set.size;
  }

  async isShredded(recordId: string): Promise<boolean> {
    return this.#tombstones.has(normalizeRecordId(recordId));
  }

  /** How many records have at least one wrap. */
  get size(): number {
    return this.#records.size;
  }
}
