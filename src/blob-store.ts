/**
 * Content-addressed blob stores for encrypted record blobs (DESIGN §3).
 *
 * A blob's address is `keccak256(bytes)` as `0x`-prefixed lowercase hex — the same value
 * `RecordRegistry` anchors — so whoever fetches a blob can check it is the registered one.
 *
 * Erasure. MedChain erases by key destruction (crypto-shredding), not by deleting blobs: disks,
 * backups and replicas may keep copies of a deleted blob, and `delete` does not scrub storage. A v2
 * blob (see `crypto.ts`) holds no key material — the wrapped data keys live in a `KeyWrapStore`
 * (`key-store.ts`) — so blobs may be replicated freely, and once a record's wraps are shredded every
 * surviving copy is unreadable. `delete` is housekeeping, not erasure.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { keccak256 } from "ethers";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** Why a blob store operation failed. */
export type BlobStoreErrorCode =
  /** No blob with this hash is stored. */
  | "NOT_FOUND"
  /** A blob is stored under this hash but its bytes hash to something else. */
  | "CORRUPT"
  /** The argument is not a `0x`-prefixed 32-byte hex hash. */
  | "INVALID_HASH"
  /** The underlying storage failed (see `cause`). */
  | "IO";

/** A typed error of a {@link BlobStore}; `contentHash` is the address involved, if any. */
export class BlobStoreError extends Error {
  readonly code: BlobStoreErrorCode;
  readonly contentHash: string | undefined;

  constructor(code: BlobStoreErrorCode, message: string, contentHash?: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "BlobStoreError";
    this.code = code;
    this.contentHash = contentHash;
  }
}

/** A content-addressed store: the address of a blob is `keccak256` of its bytes. */
export interface BlobStore {
  /** Stores `bytes` (idempotent) and returns their address `keccak256(bytes)`. */
  put(bytes: Uint8Array): Promise<string>;
  /**
   * The bytes stored under `contentHash`, re-verified against it.
   * @throws BlobStoreError `NOT_FOUND`, `CORRUPT`, `INVALID_HASH`, `IO`.
   */
  get(contentHash: string): Promise<Uint8Array>;
  /** Whether a blob is stored under `contentHash` (without reading or verifying it). */
  has(contentHash: string): Promise<boolean>;
  /** Removes the blob; `true` if one was removed, `false` if none was stored. See the module note on erasure. */
  delete(contentHash: string): Promise<boolean>;
  /**
   * Where this store keeps the blob (a URI). A locator can reveal who holds data and where, so it
   * never goes on chain in clear: encrypt it for the grantees or commit to it.
   */
  locator(contentHash: string): string;
}

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────

/** `keccak256(bytes)` as `0x`-prefixed lowercase hex: a blob's address. */
export function blobAddress(bytes: Uint8Array): string {
  return keccak256(bytes);
}

/**
 * Checks a content hash and returns it in canonical form (lowercase, `0x`-prefixed).
 * @throws BlobStoreError `INVALID_HASH`.
 */
export function normalizeContentHash(contentHash: string): string {
  if (typeof contentHash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(contentHash)) {
    throw new BlobStoreError("INVALID_HASH", "a content hash is 0x-prefixed 32-byte hex", String(contentHash));
  }
  return contentHash.toLowerCase();
}

function checkBytes(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("a blob must be a Uint8Array");
}

// ─── MemoryBlobStore ─────────────────────────────────────────────────────────────────────────────

/** A blob store in memory (tests, caches). It copies on `put` and `get`, so callers cannot alter it. */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async put(bytes: Uint8Array): Promise<string> {
    checkBytes(bytes);
    const hash = blobAddress(bytes);
    this.#blobs.set(hash, bytes.slice());
    return hash;
  }

  async get(contentHash: string): Promise<Uint8Array> {
    const hash = normalizeContentHash(contentHash);
    const bytes = this.#blobs.get(hash);
    if (bytes === undefined) throw new BlobStoreError("NOT_FOUND", `no blob ${hash}`, hash);
    if (blobAddress(bytes) !== hash) throw new BlobStoreError("CORRUPT", `blob ${hash} fails its hash`, hash);
    return bytes.slice();
  }

  async has(contentHash: string): Promise<boolean> {
    return this.#blobs.has(normalizeContentHash(contentHash));
  }

  async delete(contentHash: string): Promise<boolean> {
    return this.#blobs.delete(normalizeContentHash(contentHash));
  }

  locator(contentHash: string): string {
    return `memory:${normalizeContentHash(contentHash)}`;
  }

  /** How many blobs are stored. */
  get size(): number {
    return this.#blobs.size;
  }
}

// ─── FolderBlobStore ─────────────────────────────────────────────────────────────────────────────

/**
 * The default blob store: one file per blob in a folder, named by its hash (64 lowercase hex
 * digits, no `0x`), created with mode 0600.
 *
 * Writes are atomic: the bytes go to a uniquely named temporary file (`.tmp-…`, never a valid blob
 * name) that is flushed (`fsync`) and then renamed over the final name, so a reader sees either no
 * file or the whole blob, and a crash leaves at worst a stray temporary file. `get` re-hashes what it
 * reads, so a corrupted or substituted file is reported (`CORRUPT`) rather than returned; `put` of
 * bytes whose file is corrupt rewrites it.
 */
export class FolderBlobStore implements BlobStore {
  /** The absolute path of the folder (created on the first `put`). */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The file a blob is (or would be) stored in. */
  pathFor(contentHash: string): string {
    return join(this.dir, normalizeContentHash(contentHash).slice(2));
  }

  async put(bytes: Uint8Array): Promise<string> {
    checkBytes(bytes);
    const hash = blobAddress(bytes);
    const target = this.pathFor(hash);
    if (await this.#holds(target, hash)) return hash;

    const temp = join(this.dir, `.tmp-${randomBytes(12).toString("hex")}`);
    try {
      await mkdir(this.dir, { recursive: true });
      const file = await open(temp, "wx", 0o600);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
    } catch (cause) {
      await unlink(temp).catch(() => undefined);
      throw new BlobStoreError("IO", `could not store blob ${hash} in ${this.dir}`, hash, { cause });
    }
    await this.#syncDir();
    return hash;
  }

  async get(contentHash: string): Promise<Uint8Array> {
    const hash = normalizeContentHash(contentHash);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.pathFor(hash)));
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") throw new BlobStoreError("NOT_FOUND", `no blob ${hash}`, hash, { cause });
      throw new BlobStoreError("IO", `could not read blob ${hash}`, hash, { cause });
    }
    if (blobAddress(bytes) !== hash) throw new BlobStoreError("CORRUPT", `blob ${hash} fails its hash`, hash);
    return bytes;
  }

  async has(contentHash: string): Promise<boolean> {
    const hash = normalizeContentHash(contentHash);
    try {
      return (await stat(this.pathFor(hash))).isFile();
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return false;
      throw new BlobStoreError("IO", `could not stat blob ${hash}`, hash, { cause });
    }
  }

  async delete(contentHash: string): Promise<boolean> {
    const hash = normalizeContentHash(contentHash);
    try {
      await unlink(this.pathFor(hash));
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return false;
      throw new BlobStoreError("IO", `could not delete blob ${hash}`, hash, { cause });
    }
    await this.#syncDir();
    return true;
  }

  locator(contentHash: string): string {
    return pathToFileURL(this.pathFor(contentHash)).href;
  }

  /** Whether `path` already holds exactly the blob `hash` (so `put` has nothing to do). */
  async #holds(path: string, hash: string): Promise<boolean> {
    try {
      return blobAddress(new Uint8Array(await readFile(path))) === hash;
    } catch {
      return false; // missing or unreadable: (re)write it
    }
  }

  /** Makes a rename or unlink durable. Best effort: not every platform can fsync a directory. */
  async #syncDir(): Promise<void> {
    try {
      const dir = await open(this.dir, "r");
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // e.g. Windows (EPERM/EISDIR): the rename itself is still atomic.
    }
  }
}

/** The `code` of a Node.js file-system error (`ENOENT`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}
