/**
 * The off-chain round trip of a medical record (DESIGN §3), without a contract:
 * `sealRecord` = canonical JSON → encrypt for the recipients → store the envelope → content hash;
 * `openRecord` = (status check) → fetch → verify the anchored hash → unwrap → decrypt → parse.
 *
 * Anchoring the content hash in `RecordRegistry`, and asking the chain for the anchored hash and the
 * record's status, belong to the registry client; `openRecord` takes them as `expectedHash` and a
 * `status` callback so it can be wired to the chain without changing.
 *
 * @module
 */
import type { BlobStore } from "./blob-store.ts";
import { blobAddress, normalizeContentHash } from "./blob-store.ts";
import type { PrivateKeyInput, RecordContext } from "./crypto.ts";
import { decryptRecord, encryptRecord } from "./crypto.ts";

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
 * A typed error of {@link sealRecord}/{@link openRecord}. Failures of the lower layers are thrown
 * unchanged: `RecordCryptoError` (NOT_A_RECIPIENT, TAMPERED, WRONG_CONTEXT, …) and `BlobStoreError`
 * (NOT_FOUND, CORRUPT, …).
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
  /** Encryption public keys of every reader (include the custodian's own to re-wrap later). */
  recipients: readonly string[];
}

/** What {@link sealRecord} returns: the value to anchor, and where the blob is. */
export interface SealedRecord {
  /** `keccak256` of the stored envelope: anchor it with `RecordRegistry`. */
  contentHash: string;
  /** The store's locator of the blob — may reveal a location: encrypt or commit it before it goes on chain. */
  locator: string;
}

/** Arguments of {@link openRecord}. */
export interface OpenRecordParams extends RecordContext {
  /** The address to fetch from the store. */
  contentHash: string;
  /** The reader's encryption private key. */
  privateKey: PrivateKeyInput;
  /** The hash anchored on chain; the fetched bytes must hash to it. Defaults to `contentHash`. */
  expectedHash?: string;
  /** Optional status lookup, asked first; a `retracted` record is refused with `RETRACTED`. */
  status?: RecordStatusLookup;
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

// ─── seal / open ─────────────────────────────────────────────────────────────────────────────────

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encrypts a resource for its recipients and stores the envelope.
 * @throws OffChainRecordError `INVALID_RESOURCE` (not a JSON object), `HASH_MISMATCH` (the store
 * answered another address); `RecordCryptoError` for bad keys or ids; `BlobStoreError` `IO`.
 */
export async function sealRecord(store: BlobStore, params: SealRecordParams): Promise<SealedRecord> {
  const { resource, recordId, patientId, recipients } = params;
  if (typeof resource !== "object" || resource === null || Array.isArray(resource)) {
    throw invalid("a record resource must be a JSON object");
  }
  const sealed = encryptRecord({ plaintext: canonicalJson(resource), recordId, patientId, recipients });
  const stored = await store.put(sealed.bytes);
  if (normalizeContentHash(stored) !== sealed.contentHash) {
    throw new OffChainRecordError("HASH_MISMATCH", `the store answered ${stored}, expected ${sealed.contentHash}`);
  }
  return { contentHash: sealed.contentHash, locator: store.locator(sealed.contentHash) };
}

/**
 * Fetches, verifies and decrypts a record: status (if a lookup is given) → fetch `contentHash` →
 * check `keccak256(bytes)` equals `expectedHash` (the anchored hash; default `contentHash`) → unwrap
 * the data key → decrypt with `(recordId, patientId)` as AAD → parse JSON. The hash is checked here
 * even though a well-behaved store checks it too: the store need not be trusted.
 * @throws OffChainRecordError `RETRACTED`, `HASH_MISMATCH`, `NOT_JSON`, `INVALID_RESOURCE`;
 * `BlobStoreError` (`NOT_FOUND`, `CORRUPT`, `INVALID_HASH`); `RecordCryptoError` (`NOT_A_RECIPIENT`,
 * `TAMPERED`, `WRONG_CONTEXT`, …).
 */
export async function openRecord(store: BlobStore, params: OpenRecordParams): Promise<OpenedRecord> {
  const { recordId, patientId, privateKey } = params;
  const contentHash = normalizeContentHash(params.contentHash);
  const expectedHash = normalizeContentHash(params.expectedHash ?? contentHash);

  let status: AnchoredRecordStatus | undefined;
  if (params.status !== undefined) {
    status = await params.status({ recordId, contentHash: expectedHash });
    if (status === "retracted") {
      throw new OffChainRecordError("RETRACTED", `record ${recordId} was retracted; it is not opened`);
    }
  }

  const bytes = await store.get(contentHash);
  const actual = blobAddress(bytes);
  if (actual !== expectedHash) {
    throw new OffChainRecordError(
      "HASH_MISMATCH",
      `fetched blob hashes to ${actual}, anchored hash is ${expectedHash}`,
    );
  }

  const plaintext = decryptRecord({ envelope: bytes, recordId, patientId, privateKey });
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
