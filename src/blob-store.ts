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

/** @internal Refuses anything but a `Uint8Array` (shared with the folder store). */
export function checkBytes(bytes: Uint8Array): void {
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
