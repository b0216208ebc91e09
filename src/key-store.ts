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
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";

import { keccak256 } from "ethers";

import { errorCode } from "./blob-store.ts";
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
   * atomically: a reader sees it whole or not at all.
   * @returns how many wraps were new.
   * @throws KeyWrapStoreError `INVALID_RECORD_ID`, `INVALID_WRAP` (nothing is written then), `IO`.
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
   * Crypto-shreds a record: deletes every wrap it has, at once for readers (a concurrent `list` sees
   * all of them or none). Idempotent. Do not `add` to a record while it is being shredded.
   * @returns how many wraps were deleted.
   */
  shred(recordId: string): Promise<number>;
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

/** Validates wraps before anything is written, and drops duplicates. */
function checkWraps(recordId: string, keyWraps: readonly Uint8Array[]): Map<string, Uint8Array> {
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

function sortBytes(list: Uint8Array[]): Uint8Array[] {
  return list.sort((a, b) => {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  });
}

// ─── MemoryKeyWrapStore ──────────────────────────────────────────────────────────────────────────

/** A key-wrap store in memory (tests, short-lived processes). It copies in and out, and zeroes shredded wraps. */
export class MemoryKeyWrapStore implements KeyWrapStore {
  readonly #records = new Map<string, Map<string, Uint8Array>>();

  async add(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const wraps = checkWraps(id, keyWraps);
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
    const set = this.#records.get(id);
    if (set === undefined) return 0;
    this.#records.delete(id);
    for (const keyWrap of set.values()) keyWrap.fill(0);
    return set.size;
  }

  /** How many records have at least one wrap. */
  get size(): number {
    return this.#records.size;
  }
}

// ─── FolderKeyWrapStore ──────────────────────────────────────────────────────────────────────────

const WRAP_FILE = /^[0-9a-f]{64}$/;

/**
 * The default key-wrap store: a folder per record (named by the record id, 64 lowercase hex digits,
 * mode 0700) holding one file per wrap (named by `keccak256` of the wrap, mode 0600).
 *
 * Writes are atomic: a wrap goes to a uniquely named temporary file (`.tmp-…`, never a wrap name)
 * that is flushed and renamed over its final name. `list` re-hashes and re-parses every file, so a
 * damaged wrap is reported (`CORRUPT`), never returned. `remove` renames a wrap to `.rm-…` (so it
 * leaves the set atomically), overwrites it with zeros and deletes it.
 *
 * Shredding first renames the record's folder to `.shred-…` (atomic: from then on `list` finds no
 * wrap), then overwrites each wrap with zeros (best effort: a file system or SSD may keep old blocks)
 * and deletes the folder. A crash in between leaves a `.shred-…` folder, which still holds wraps: the
 * next `shred` of any record removes it.
 */
export class FolderKeyWrapStore implements KeyWrapStore {
  /** The absolute path of the folder (created on the first `add`). */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The folder a record's wraps are (or would be) stored in. */
  recordDir(recordId: string): string {
    return join(this.dir, normalizeRecordId(recordId).slice(2));
  }

  /** The file a wrap of a record is (or would be) stored in. */
  pathFor(recordId: string, keyWrap: Uint8Array): string {
    return join(this.recordDir(recordId), keyWrapId(keyWrap).slice(2));
  }

  async add(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const wraps = checkWraps(id, keyWraps);
    if (wraps.size === 0) return 0;
    const folder = this.recordDir(id);
    let added = 0;
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      for (const [wrapId, keyWrap] of wraps) {
        const target = join(folder, wrapId.slice(2));
        if (await holds(target, wrapId)) continue;
        const temp = join(folder, `.tmp-${randomBytes(12).toString("hex")}`);
        try {
          const file = await open(temp, "wx", 0o600);
          try {
            await file.writeFile(keyWrap);
            await file.sync();
          } finally {
            await file.close();
          }
          await rename(temp, target);
        } catch (cause) {
          await unlink(temp).catch(() => undefined);
          throw cause;
        }
        added++;
      }
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `could not store key wraps of ${id} in ${this.dir}`, id, { cause });
    }
    await syncDir(folder);
    await syncDir(this.dir);
    return added;
  }

  async list(recordId: string): Promise<Uint8Array[]> {
    const id = normalizeRecordId(recordId);
    const folder = this.recordDir(id);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return [];
      throw new KeyWrapStoreError("IO", `could not list key wraps of ${id}`, id, { cause });
    }
    const wraps: Uint8Array[] = [];
    for (const name of names.filter((n) => WRAP_FILE.test(n))) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(join(folder, name)));
      } catch (cause) {
        if (errorCode(cause) === "ENOENT") continue; // removed meanwhile
        throw new KeyWrapStoreError("IO", `could not read key wrap ${name} of ${id}`, id, { cause });
      }
      if (keyWrapId(bytes) !== `0x${name}`) {
        throw new KeyWrapStoreError("CORRUPT", `key wrap file ${name} of ${id} fails its hash`, id);
      }
      try {
        parseKeyWrap(bytes);
      } catch (cause) {
        throw new KeyWrapStoreError("CORRUPT", `key wrap file ${name} of ${id} is not a key wrap`, id, { cause });
      }
      wraps.push(bytes);
    }
    return sortBytes(wraps);
  }

  async remove(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const folder = this.recordDir(id);
    const wrapIds = [...checkWraps(id, keyWraps).keys()];
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return 0; // no wraps for this record
      throw new KeyWrapStoreError("IO", `could not list key wraps of ${id}`, id, { cause });
    }
    let removed = 0;
    try {
      // Left-overs of a crashed remove first: they still hold wraps.
      for (const name of names.filter((n) => n.startsWith(".rm-"))) await destroyFile(join(folder, name));
      for (const wrapId of wrapIds) {
        // Unlist it atomically (a concurrent `list` never reads a half-zeroed wrap), then destroy it.
        const doomed = join(folder, `.rm-${randomBytes(12).toString("hex")}`);
        try {
          await rename(join(folder, wrapId.slice(2)), doomed);
        } catch (cause) {
          if (errorCode(cause) === "ENOENT") continue;
          throw cause;
        }
        removed++;
        await destroyFile(doomed);
      }
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `could not delete key wraps of ${id}`, id, { cause });
    }
    if (removed > 0) await syncDir(folder);
    return removed;
  }

  async shred(recordId: string): Promise<number> {
    const id = normalizeRecordId(recordId);
    await this.#sweep();
    const doomed = join(this.dir, `.shred-${randomBytes(12).toString("hex")}`);
    try {
      await rename(this.recordDir(id), doomed);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return 0;
      throw new KeyWrapStoreError("IO", `could not shred the key wraps of ${id}`, id, { cause });
    }
    await syncDir(this.dir);
    try {
      return await destroyFolder(doomed);
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `key wraps of ${id} are unlisted but left in ${doomed}`, id, { cause });
    } finally {
      await syncDir(this.dir);
    }
  }

  /** Destroys `.shred-…` folders a crashed `shred` left behind. */
  async #sweep(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return;
      throw new KeyWrapStoreError("IO", `could not list ${this.dir}`, undefined, { cause });
    }
    for (const name of names.filter((n) => n.startsWith(".shred-"))) {
      try {
        await destroyFolder(join(this.dir, name));
      } catch (cause) {
        throw new KeyWrapStoreError("IO", `could not destroy a left-over ${name}`, undefined, { cause });
      }
    }
  }
}

/** Overwrites every wrap in `folder` with zeros, deletes the folder, and returns how many wraps it held. */
async function destroyFolder(folder: string): Promise<number> {
  const names = await readdir(folder);
  let wraps = 0;
  for (const name of names) {
    await zeroFile(join(folder, name)).catch(() => undefined); // best effort; rm deletes it below
    if (WRAP_FILE.test(name)) wraps++;
  }
  await rm(folder, { recursive: true, force: true });
  return wraps;
}

/** Overwrites a file with zeros (best effort) and deletes it. */
async function destroyFile(path: string): Promise<void> {
  await zeroFile(path).catch(() => undefined);
  await unlink(path).catch((cause: unknown) => {
    if (errorCode(cause) !== "ENOENT") throw cause;
  });
}

/** Best-effort overwrite of a small file with zeros, flushed. */
async function zeroFile(path: string): Promise<void> {
  const file = await open(path, "r+");
  try {
    const { size } = await file.stat();
    await file.write(new Uint8Array(size), 0, size, 0);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Whether `path` already holds exactly the wrap `wrapId`. */
async function holds(path: string, wrapId: string): Promise<boolean> {
  try {
    return keyWrapId(new Uint8Array(await readFile(path))) === wrapId;
  } catch {
    return false; // missing or unreadable: (re)write it
  }
}

/** Makes a rename or unlink durable. Best effort: not every platform can fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // e.g. Windows (EPERM/EISDIR), or the folder is gone: the rename itself is still atomic.
  }
}
