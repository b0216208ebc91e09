/**
 * The off-chain round trip of a medical record (DESIGN §3), without a contract:
 * `sealRecord` = canonical JSON → encrypt into a blob (padded) → store the blob → store the key
 * wraps apart → content hash; `openRecord` = (status check) → find this version's wraps → fetch →
 * verify the anchored hash → unwrap → decrypt → parse; `addRecipients` grants one more reader without
 * touching the blob; `shredRecord` destroys every wrap — the erasure of the record.
 *
 * Anchoring the content hash in `RecordRegistry`, and asking the chain for the anchored hash and the
 * record's status, belong to the registry client; `openRecord` takes them as `expectedHash` and a
 * `status` callback so it can be wired to the chain without changing.
 *
 * @module
 */
import type { BlobStore } from "./blob-store.ts";
import { blobAddress, normalizeContentHash } from "./blob-store.ts";
import type { PrivateKeyInput, RecipientWrap, RecordContext } from "./crypto.ts";
import {
  RecordCryptoError,
  decryptRecord,
  encryptRecord,
  parseKeyWrap,
  recordAad,
  unwrapDataKey,
  wrapDataKey,
} from "./crypto.ts";
import { type KeyWrapStore, normalizeRecordId, shreddedError } from "./key-store.ts";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object, such as a FHIR resource. */
export type JsonObject = { [key: string]: JsonValue };

/** Why a record could not be sealed or opened (crypto and storage failures keep their own errors). */
export type OffChainRecordErrorCode =
  /** The fetched bytes do not hash to the expected (anchored) content hash. */
  | "HASH_MISMATCH"
  /** The record was retracted on chain; its key is meant to be destroyed, so it is not opened. */
  | "RETRACTED"
  /** The decrypted plaintext is not UTF-8 JSON. */
  | "NOT_JSON"
  /** The resource is not a JSON object (or holds a value JSON cannot represent). */
  | "INVALID_RESOURCE";

/**
 * A typed error of {@link sealRecord}/{@link openRecord}/{@link addRecipients}. Failures of the lower
 * layers are thrown unchanged: `RecordCryptoError` (SHREDDED, NOT_A_RECIPIENT, TAMPERED,
 * WRONG_CONTEXT, …), `BlobStoreError` (NOT_FOUND, CORRUPT, …) and `KeyWrapStoreError` (CORRUPT, IO, …).
 */
export class OffChainRecordError extends Error {
  readonly code: OffChainRecordErrorCode;

  constructor(code: OffChainRecordErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "OffChainRecordError";
    this.code = code;
  }
}

/** A record's status as `RecordRegistry` reports it. */
export type AnchoredRecordStatus = "active" | "superseded" | "retracted";

/** Asks the chain (or an indexer) for a record's status. */
export type RecordStatusLookup = (query: {
  recordId: string;
  contentHash: string;
}) => AnchoredRecordStatus | Promise<AnchoredRecordStatus>;

/** Arguments of {@link sealRecord}. */
export interface SealRecordParams extends RecordContext {
  /** The record, e.g. a FHIR resource; serialised with {@link canonicalJson}. */
  resource: object;
  /** Encryption public keys of every reader (include the custodian's own to add readers later). */
  recipients: readonly string[];
  /** Pad the plaintext to a power-of-two bucket (≥ 256 bytes) so the blob length reveals less.
   *  Default `true`. */
  padding?: boolean;
}

/** What {@link sealRecord} returns: the value to anchor, and where the blob is. */
export interface SealedRecord {
  /** `keccak256` of the stored blob: anchor it with `RecordRegistry`. */
  contentHash: string;
  /** The store's locator of the blob — may reveal a location: encrypt or commit it before it goes on chain. */
  locator: string;
  /** Which key wrap is whose (one per distinct recipient key), for the sealer alone: pass a reader's
   *  wrap to `keyStore.remove` to revoke that reader. Never store it next to the wraps or anywhere
   *  public: it names the readers the anonymous wraps hide. */
  readers: RecipientWrap[];
}

/** Arguments of {@link openRecord} common to both ways of naming the version. */
export interface OpenRecordBase extends RecordContext {
  /** The reader's encryption private key. */
  privateKey: PrivateKeyInput;
  /** Optional status lookup, asked first; a `retracted` record is refused with `RETRACTED`. */
  status?: RecordStatusLookup;
}

/**
 * Arguments of {@link openRecord}. `expectedHash` is required: the content hash **read from the
 * chain** (`RecordRegistry.getRecord`), which the fetched bytes must hash to — a hash taken from the
 * sender of the blob authenticates nothing. `contentHash` is the address to fetch, when the store
 * keeps the blob elsewhere (default: `expectedHash`).
 */
export interface OpenRecordParams extends OpenRecordBase {
  expectedHash: string;
  contentHash?: string;
}

/** What {@link openRecord} returns. */
export interface OpenedRecord {
  resource: JsonObject;
  /** The verified content hash. */
  contentHash: string;
  /** The status the lookup reported (`superseded` records open, but a newer version exists); absent
   *  when no lookup was given. */
  status?: AnchoredRecordStatus;
}

/** Arguments of {@link addRecipients}. */
export interface AddRecipientsParams extends RecordContext {
  /** The (anchored) content hash of the blob version to grant. */
  contentHash: string;
  /** The encryption private key of a current recipient (typically the custodian). */
  privateKey: PrivateKeyInput;
  /** Encryption public keys of the new readers. */
  recipients: readonly string[];
}

/** What {@link addRecipients} returns. */
export interface AddedRecipients {
  /** The content hash — unchanged: the blob is not touched, so no new on-chain version is needed. */
  contentHash: string;
  /** The wraps added to the key store, in ascending byte order. Keep them to revoke later
   *  (`keyStore.remove`); add one grantee per call to know which wrap is whose. */
  keyWraps: Uint8Array[];
}

// ─── canonical JSON ──────────────────────────────────────────────────────────────────────────────

/**
 * Serialises a JSON value canonically, as RFC 8785 (JCS) does for well-formed strings: object keys
 * sorted by UTF-16 code units, no whitespace, ECMAScript number and string formatting. Object
 * properties whose value is `undefined` are omitted (as `JSON.stringify` does); anything else JSON
 * cannot represent — `undefined` in an array, non-finite numbers, bigints, functions, symbols,
 * class instances such as `Date`, cycles — is rejected.
 * @throws OffChainRecordError `INVALID_RESOURCE`.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$", new Set());
}

function write(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw invalid(`${path} is not a finite number`);
    return JSON.stringify(value);
  }
  if (typeof value !== "object") throw invalid(`${path} is a ${typeof value}, not a JSON value`);
  if (ancestors.has(value)) throw invalid(`${path} is a cycle`);
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item, i) => {
        if (item === undefined) throw invalid(`${path}[${i}] is undefined`);
        return write(item, `${path}[${i}]`, ancestors);
      })}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw invalid(`${path} is not a plain object`);
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${write(record[key], `${path}.${key}`, ancestors)}`);
    return `{${members.join(",")}}`;
  } finally {
    ancestors.delete(value);
  }
}

function invalid(message: string): OffChainRecordError {
  return new OffChainRecordError("INVALID_RESOURCE", message);
}

// ─── seal / open / grant / shred ─────────────────────────────────────────────────────────────────

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encrypts a resource into a blob (stored in `blobStore`) and wraps its data key for the recipients
 * (stored in `keyStore`, under `recordId`).
 * @throws OffChainRecordError `INVALID_RESOURCE` (not a JSON object), `HASH_MISMATCH` (the blob store
 * answered another address); `RecordCryptoError` for bad keys or ids; `BlobStoreError` or
 * `KeyWrapStoreError` `IO`.
 */
export async function sealRecord(
  blobStore: BlobStore,
  keyStore: KeyWrapStore,
  params: SealRecordParams,
): Promise<SealedRecord> {
  const { resource, recordId, patientId, recipients, padding } = params;
  if (typeof resource !== "object" || resource === null || Array.isArray(resource)) {
    throw invalid("a record resource must be a JSON object");
  }
  const sealed = encryptRecord({ plaintext: canonicalJson(resource), recordId, patientId, recipients, padding });
  const stored = await blobStore.put(sealed.bytes);
  if (normalizeContentHash(stored) !== sealed.contentHash) {
    throw new OffChainRecordError("HASH_MISMATCH", `the store answered ${stored}, expected ${sealed.contentHash}`);
  }
  await keyStore.add(recordId, sealed.keyWraps);
  return { contentHash: sealed.contentHash, locator: blobStore.locator(sealed.contentHash), readers: sealed.readers };
}

/**
 * Fetches, verifies and decrypts a record: status (if a lookup is given) → the record's key wraps for
 * `expectedHash` (none: `SHREDDED`, without fetching) → fetch `contentHash` → check
 * `keccak256(bytes)` equals `expectedHash` → find and unwrap the reader's wrap → decrypt with
 * `(recordId, patientId)` as AAD → parse JSON. The hash is checked here even though a well-behaved
 * store checks it too: the store need not be trusted.
 * @throws OffChainRecordError `RETRACTED`, `HASH_MISMATCH`, `NOT_JSON`, `INVALID_RESOURCE`;
 * `RecordCryptoError` (`SHREDDED`, `NOT_A_RECIPIENT`, `TAMPERED`, `WRONG_CONTEXT`, `INVALID_INPUT`, …);
 * `BlobStoreError` (`NOT_FOUND`, `CORRUPT`, `INVALID_HASH`); `KeyWrapStoreError` (`CORRUPT`, `IO`).
 */
export async function openRecord(
  blobStore: BlobStore,
  keyStore: KeyWrapStore,
  params: OpenRecordParams,
): Promise<OpenedRecord> {
  const { recordId, patientId, privateKey } = params;
  recordAad({ recordId, patientId }); // INVALID_INPUT before any I/O
  if (typeof params.expectedHash !== "string") {
    throw new RecordCryptoError(
      "INVALID_INPUT",
      "openRecord needs expectedHash: the content hash anchored on chain for the record",
    );
  }
  const expectedHash = normalizeContentHash(params.expectedHash);
  const contentHash = params.contentHash === undefined ? expectedHash : normalizeContentHash(params.contentHash);

  let status: AnchoredRecordStatus | undefined;
  if (params.status !== undefined) {
    status = await params.status({ recordId, contentHash: expectedHash });
    if (status === "retracted") {
      throw new OffChainRecordError("RETRACTED", `record ${recordId} was retracted; it is not opened`);
    }
  }

  const keyWraps = await keyStore.list(recordId);
  if (!keyWraps.some((keyWrap) => parseKeyWrap(keyWrap).contentHash === expectedHash)) {
    throw new RecordCryptoError("SHREDDED", `record ${recordId} has no key wrap for ${expectedHash}: it is erased`);
  }

  const bytes = await fetchVerified(blobStore, contentHash, expectedHash);
  const plaintext = decryptRecord({ envelope: bytes, keyWraps, recordId, patientId, privateKey });
  let resource: unknown;
  try {
    resource = JSON.parse(utf8Decoder.decode(plaintext));
  } catch (cause) {
    throw new OffChainRecordError("NOT_JSON", "the decrypted record is not UTF-8 JSON", { cause });
  } finally {
    plaintext.fill(0);
  }
  if (typeof resource !== "object" || resource === null || Array.isArray(resource)) {
    throw invalid("the decrypted record is not a JSON object");
  }
  return status === undefined
    ? { resource: resource as JsonObject, contentHash: expectedHash }
    : { resource: resource as JsonObject, contentHash: expectedHash, status };
}

/**
 * Grants more readers an existing blob version: a current recipient unwraps the data key and wraps it
 * for the new readers, and the wraps go to the key store. The blob, its content hash and the on-chain
 * anchor do not change. A shredded record is refused before anything is fetched, and the store
 * refuses the write if the record is shredded meanwhile (a share racing a retract): either way the
 * share throws `KeyWrapStoreError` `SHREDDED` and leaves no wrap.
 * @throws OffChainRecordError `HASH_MISMATCH`; `RecordCryptoError` (`SHREDDED`, `NOT_A_RECIPIENT`,
 * `TAMPERED`, `WRONG_CONTEXT`, `INVALID_KEY`, …); `BlobStoreError`; `KeyWrapStoreError` (`SHREDDED`, …).
 */
export async function addRecipients(
  blobStore: BlobStore,
  keyStore: KeyWrapStore,
  params: AddRecipientsParams,
): Promise<AddedRecipients> {
  const { recordId, patientId, privateKey, recipients } = params;
  const contentHash = normalizeContentHash(params.contentHash);
  if (await keyStore.isShredded(recordId)) throw shreddedError(normalizeRecordId(recordId));
  const envelope = await fetchVerified(blobStore, contentHash, contentHash);
  const dataKey = unwrapDataKey({ envelope, keyWraps: await keyStore.list(recordId), recordId, patientId, privateKey });
  let keyWraps: Uint8Array[];
  try {
    keyWraps = wrapDataKey({ envelope, dataKey, recordId, patientId, recipients });
  } finally {
    dataKey.fill(0);
  }
  await keyStore.add(recordId, keyWraps); // SHREDDED if a shred began meanwhile: the store keeps nothing
  return { contentHash, keyWraps };
}

/**
 * Erases records by key destruction: deletes every key wrap of each record id given (all the blob
 * versions stored under it) from the key store, and leaves a tombstone so no wrap can be added
 * later. Give the whole version chain (see `recordVersionChain` in `shredder.ts`; the records client
 * and the shredder do) — an erasure request erases every version. Afterwards no copy of their blobs
 * can be opened (`SHREDDED`), by any recipient; the blobs themselves may stay or be deleted as
 * housekeeping. See `crypto.ts`, "Erasure", for what this guarantees and what it cannot (a reader who
 * already decrypted may keep the plaintext). Idempotent.
 * @returns how many wraps were destroyed.
 * @throws KeyWrapStoreError `INVALID_RECORD_ID` (checked for every id before anything is shredded), `IO`.
 */
export async function shredRecord(keyStore: KeyWrapStore, recordIds: string | readonly string[]): Promise<number> {
  const ids = [...new Set((typeof recordIds === "string" ? [recordIds] : recordIds).map(normalizeRecordId))];
  let shredded = 0;
  for (const id of ids) shredded += await keyStore.shred(id);
  return shredded;
}

/** Fetches a blob and checks it hashes to `expectedHash`. */
async function fetchVerified(blobStore: BlobStore, contentHash: string, expectedHash: string): Promise<Uint8Array> {
  const bytes = await blobStore.get(contentHash);
  const actual = blobAddress(bytes);
  if (actual !== expectedHash) {
    throw new OffChainRecordError(
      "HASH_MISMATCH",
      `fetched blob hashes to ${actual}, anchored hash is ${expectedHash}`,
    );
  }
  return bytes;
}
