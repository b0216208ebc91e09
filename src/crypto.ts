/**
 * Envelope encryption of medical records (DESIGN §3, the SDK's off-chain half).
 *
 * A record (for example a FHIR resource serialised as JSON) is encrypted once with a fresh random
 * 32-byte **data key**; the data key is then **wrapped** (encrypted) for each recipient's secp256k1
 * encryption public key. Everything — the context id, the wrapped keys and the ciphertext — is
 * serialised into one canonical binary **envelope**, and `keccak256(envelope bytes)` is the record's
 * content hash: the value anchored on chain by `RecordRegistry` and the address in a {@link BlobStore}.
 *
 * Only audited libraries do cryptography here: `@noble/ciphers` (AES-256-GCM), `@noble/curves`
 * (secp256k1 ECDH), `@noble/hashes` (HKDF-SHA256), `ethers` (ABI encoding, keccak256).
 *
 * ## Scheme (suite 1)
 *
 * Context. `aad = abi.encode(bytes32 recordId, uint256 patientId)` (64 bytes, ethers
 * `AbiCoder`). `contextId = keccak256(aad)`.
 *
 * Body. `dataKey ← random(32)`, `nonce ← random(12)`,
 * `ciphertext = AES-256-GCM(dataKey, nonce, aad).encrypt(plaintext)` (plaintext ‖ 16-byte tag).
 *
 * Key wrap for recipient public key `R` (33-byte compressed SEC1), ECIES:
 * 1. `e ← random secp256k1 secret key`, `E = e·G` (33-byte compressed) — one ephemeral key per wrap;
 * 2. `S = x(e·R)` (32 bytes, the x coordinate of the ECDH point);
 * 3. `salt = E ‖ R` (66 bytes);
 *    `wrapKey = HKDF-SHA256(ikm = S, salt, info = "MedChain ECIES v1", 32)`;
 *    `recipientTag = HKDF-SHA256(ikm = S, salt, info = "MedChain ECIES v1 recipient tag", 16)`;
 * 4. `wrapNonce ← random(12)`, `wrappedKey = AES-256-GCM(wrapKey, wrapNonce, aad).encrypt(dataKey)`
 *    (48 bytes).
 *
 * The envelope does not name its recipients: a recipient finds its entry by recomputing `S` with its
 * private key for each entry's `E` and comparing `recipientTag`. So the blob does not reveal which
 * organisations can read it (an outsider cannot compute `S`), yet a recipient can tell "this entry is
 * mine but was altered" (TAMPERED) from "no entry is mine" (NOT_A_RECIPIENT).
 *
 * ## Envelope bytes (version 1, all integers big-endian)
 *
 * | field        | bytes     | value                                                             |
 * | ------------ | --------- | ----------------------------------------------------------------- |
 * | magic        | 4         | `"MCRE"` (`0x4d435245`)                                          |
 * | version      | 1         | `0x01`                                                            |
 * | suite        | 1         | `0x01` (secp256k1 ECIES, HKDF-SHA256, AES-256-GCM)                |
 * | contextId    | 32        | `keccak256(abi.encode(recordId, patientId))`                      |
 * | count        | 2         | number of wrapped keys, 1…65535                                   |
 * | wrapped keys | 109·count | each `E(33) ‖ recipientTag(16) ‖ wrapNonce(12) ‖ wrappedKey(48)`, |
 * |              |           | sorted in strictly ascending byte order (no duplicates)           |
 * | nonce        | 12        | body nonce                                                        |
 * | length       | 4         | ciphertext length in bytes (≥ 16)                                 |
 * | ciphertext   | length    | AES-256-GCM output (plaintext ‖ tag); nothing may follow it       |
 *
 * Every field has a fixed size or an explicit length, wrapped keys are sorted, and
 * {@link parseEnvelope} rejects anything else, so one envelope has exactly one encoding and
 * `serializeEnvelope(parseEnvelope(b))` equals `b`: the content hash is deterministic. Sorting also
 * hides the order in which recipients were given.
 *
 * ## Errors (checked in this order by {@link decryptRecord} and {@link unwrapDataKey})
 *
 * - `MALFORMED` / `UNSUPPORTED_VERSION`: the bytes are not a well-formed v1 envelope;
 * - `WRONG_CONTEXT`: the envelope's `contextId` is not that of the given `(recordId, patientId)` — the
 *   blob belongs to another record or patient (an honest mix-up or a swapped blob);
 * - `NOT_A_RECIPIENT`: no wrapped key is addressed to the private key (also what a recipient sees if
 *   its entry's `E` or tag were altered, since it can no longer recognise the entry);
 * - `TAMPERED`: the recipient's wrapped key or the ciphertext fails GCM authentication with the
 *   context's AAD. Because `contextId` is checked first, a blob that claims the right context but was
 *   sealed for another one (its `contextId` rewritten) also ends here, as it should: that is tampering.
 *
 * ## Not hidden
 *
 * The ciphertext length reveals the plaintext length (pad before encrypting if that matters), and
 * `contextId` links the blob to `(recordId, patientId)` — which the on-chain anchor of its content
 * hash already does.
 *
 * ## Erasure
 *
 * A v1 envelope carries its wrapped data keys inside it. Any surviving copy of the blob stays
 * readable by whoever holds a recipient's private key, so erasing a record by key destruction means
 * destroying every copy of the blob, or rotating away the recipients' encryption keys.
 *
 * @module
 */
import { gcm } from "@noble/ciphers/aes.js";
import { equalBytes, randomBytes } from "@noble/ciphers/utils.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { AbiCoder, getBytes, hexlify, isHexString, keccak256 } from "ethers";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** Why a record could not be encrypted or decrypted. */
export type RecordCryptoErrorCode =
  /** The private key holds none of the envelope's wrapped keys. */
  | "NOT_A_RECIPIENT"
  /** A wrapped key or the ciphertext failed authentication (bytes changed after sealing). */
  | "TAMPERED"
  /** The envelope was sealed for another `(recordId, patientId)`. */
  | "WRONG_CONTEXT"
  /** The bytes are not a well-formed envelope. */
  | "MALFORMED"
  /** A well-formed header of an envelope version or suite this SDK does not know. */
  | "UNSUPPORTED_VERSION"
  /** A public or private key is not a valid secp256k1 key, or a data key does not open the envelope. */
  | "INVALID_KEY"
  /** Another argument is out of range (recordId not bytes32, patientId not uint256, no recipients…). */
  | "INVALID_INPUT";

/** A typed error of the record encryption layer; `code` says which rule was broken. */
export class RecordCryptoError extends Error {
  readonly code: RecordCryptoErrorCode;

  constructor(code: RecordCryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "RecordCryptoError";
    this.code = code;
  }
}

/** A secp256k1 encryption key pair, hex encoded. The public key is what an operator publishes. */
export interface EncryptionKeyPair {
  /** 32-byte secret key, `0x`-prefixed hex. */
  privateKey: string;
  /** 33-byte compressed SEC1 public key, `0x`-prefixed hex (`0x02…` or `0x03…`). */
  publicKey: string;
}

/** The on-chain form of a compressed public key: `(bytes1 prefix, bytes32 x)`. */
export interface EncryptionPublicKeyParts {
  prefix: "0x02" | "0x03";
  /** The x coordinate, `0x`-prefixed 32-byte hex. */
  x: string;
}

/** One recipient's copy of the data key (see the module documentation for the scheme). */
export interface WrappedKey {
  /** 33-byte compressed ephemeral public key `E`. */
  ephemeralPublicKey: Uint8Array;
  /** 16-byte tag by which the recipient recognises its entry. */
  recipientTag: Uint8Array;
  /** 12-byte AES-GCM nonce of the wrap. */
  nonce: Uint8Array;
  /** 48 bytes: the encrypted 32-byte data key and its 16-byte GCM tag. */
  wrappedKey: Uint8Array;
}

/** A parsed v1 envelope. Serialise it with {@link serializeEnvelope}. */
export interface EncryptedEnvelope {
  version: 1;
  suite: 1;
  /** `keccak256(abi.encode(bytes32 recordId, uint256 patientId))`, `0x`-prefixed hex. */
  contextId: string;
  /** At least one wrapped key; {@link serializeEnvelope} sorts them. */
  recipients: readonly WrappedKey[];
  /** 12-byte body nonce. */
  nonce: Uint8Array;
  /** AES-256-GCM output: plaintext ‖ 16-byte tag. */
  ciphertext: Uint8Array;
}

/** An envelope in both forms, and its content hash. */
export interface EncryptedRecord {
  envelope: EncryptedEnvelope;
  /** The canonical serialisation of `envelope`: the blob to store. */
  bytes: Uint8Array;
  /** `keccak256(bytes)`: the value anchored on chain and the blob's address. */
  contentHash: string;
}

/** Which record a blob belongs to: bound into every ciphertext as additional authenticated data. */
export interface RecordContext {
  /** The record id, `0x`-prefixed bytes32. */
  recordId: string;
  /** The patient's id (uint256). */
  patientId: bigint;
}

/** A secret key as `0x` hex or raw bytes. */
export type PrivateKeyInput = string | Uint8Array;

// ─── constants ───────────────────────────────────────────────────────────────────────────────────

/** `"MCRE"`: the first four bytes of every envelope. */
export const ENVELOPE_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x43, 0x52, 0x45);
/** The envelope format version this SDK writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Suite 1: secp256k1 ECIES with HKDF-SHA256 and AES-256-GCM. */
export const ENVELOPE_SUITE = 1;
/** HKDF `info` of the wrap key. */
export const ECIES_INFO = "MedChain ECIES v1";
/** HKDF `info` of the recipient tag. */
export const ECIES_TAG_INFO = "MedChain ECIES v1 recipient tag";

const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const GCM_TAG_LENGTH = 16;
const PUBLIC_KEY_LENGTH = 33;
const RECIPIENT_TAG_LENGTH = 16;
const WRAPPED_KEY_LENGTH = KEY_LENGTH + GCM_TAG_LENGTH;
const ENTRY_LENGTH = PUBLIC_KEY_LENGTH + RECIPIENT_TAG_LENGTH + NONCE_LENGTH + WRAPPED_KEY_LENGTH; // 109
const HEADER_LENGTH = 4 + 1 + 1 + 32 + 2;
const MAX_RECIPIENTS = 0xffff;
const MAX_CIPHERTEXT_LENGTH = 0xffffffff;
const UINT256_MAX = (1n << 256n) - 1n;

const utf8 = new TextEncoder();
const abi = AbiCoder.defaultAbiCoder();

// ─── keys ────────────────────────────────────────────────────────────────────────────────────────

/** A fresh random encryption key pair (secp256k1; the public key compressed). */
export function generateEncryptionKeyPair(): EncryptionKeyPair {
  const { secretKey, publicKey } = secp256k1.keygen();
  return { privateKey: hexlify(secretKey), publicKey: hexlify(publicKey) };
}

/** The compressed public key (`0x02…`/`0x03…`, 33 bytes) of an encryption private key. */
export function encryptionPublicKeyOf(privateKey: PrivateKeyInput): string {
  return hexlify(secp256k1.getPublicKey(toSecretKey(privateKey), true));
}

/**
 * Checks a secp256k1 public key and returns it compressed (33-byte hex). Accepts the compressed
 * (33-byte) or uncompressed (65-byte, `0x04…`, as ethers' `SigningKey.publicKey`) encoding.
 * @throws RecordCryptoError `INVALID_KEY` if it is not a point on the curve.
 */
export function normalizeEncryptionPublicKey(publicKey: string | Uint8Array): string {
  return hexlify(toPublicKey(publicKey));
}

/**
 * Splits a compressed encryption public key into the `(bytes1 prefix, bytes32 x)` pair a contract
 * stores. An uncompressed key is compressed first.
 */
export function encryptionPublicKeyParts(publicKey: string | Uint8Array): EncryptionPublicKeyParts {
  const key = toPublicKey(publicKey);
  return { prefix: key[0] === 2 ? "0x02" : "0x03", x: hexlify(key.subarray(1)) };
}

/**
 * The inverse of {@link encryptionPublicKeyParts}: rebuilds the compressed key and checks that it is
 * on the curve.
 * @throws RecordCryptoError `INVALID_KEY` if the prefix is not 0x02/0x03 or x is not on the curve.
 */
export function encryptionPublicKeyFromParts(parts: { prefix: string; x: string }): string {
  const prefix = parts.prefix.toLowerCase();
  if (prefix !== "0x02" && prefix !== "0x03") {
    throw new RecordCryptoError("INVALID_KEY", `public key prefix must be 0x02 or 0x03, got ${parts.prefix}`);
  }
  if (!isHexString(parts.x, 32)) {
    throw new RecordCryptoError("INVALID_KEY", "public key x must be 32-byte hex");
  }
  return normalizeEncryptionPublicKey(prefix + parts.x.slice(2));
}

// ─── context ─────────────────────────────────────────────────────────────────────────────────────

/** `abi.encode(bytes32 recordId, uint256 patientId)`: the additional authenticated data of a record. */
export function recordAad(context: RecordContext): Uint8Array {
  const { recordId, patientId } = context;
  if (typeof recordId !== "string" || !isHexString(recordId, 32)) {
    throw new RecordCryptoError("INVALID_INPUT", "recordId must be 0x-prefixed bytes32 hex");
  }
  if (typeof patientId !== "bigint" || patientId < 0n || patientId > UINT256_MAX) {
    throw new RecordCryptoError("INVALID_INPUT", "patientId must be a uint256 bigint");
  }
  return getBytes(abi.encode(["bytes32", "uint256"], [recordId, patientId]));
}

/** `keccak256(abi.encode(bytes32 recordId, uint256 patientId))`, the envelope's `contextId`. */
export function recordContextId(context: RecordContext): string {
  return keccak256(recordAad(context));
}

// ─── encrypt ─────────────────────────────────────────────────────────────────────────────────────

/** Arguments of {@link encryptRecord}. */
export interface EncryptRecordParams extends RecordContext {
  /** The record; a string is encoded as UTF-8. */
  plaintext: Uint8Array | string;
  /** Encryption public keys (compressed or uncompressed hex) of everyone who may read it. Duplicates
   *  are wrapped once. Include the custodian's own key if it must re-wrap for grantees later. */
  recipients: readonly string[];
}

/**
 * Encrypts a record for its recipients and serialises the envelope.
 * @returns the envelope, its bytes (the blob) and `contentHash = keccak256(bytes)`.
 * @throws RecordCryptoError `INVALID_KEY` (a recipient key), `INVALID_INPUT` (ids, no recipients).
 */
export function encryptRecord(params: EncryptRecordParams): EncryptedRecord {
  const aad = recordAad(params);
  const recipients = uniquePublicKeys(params.recipients);
  const plaintext = typeof params.plaintext === "string" ? utf8.encode(params.plaintext) : params.plaintext;
  if (!(plaintext instanceof Uint8Array)) {
    throw new RecordCryptoError("INVALID_INPUT", "plaintext must be a Uint8Array or a string");
  }
  if (plaintext.length > MAX_CIPHERTEXT_LENGTH - GCM_TAG_LENGTH) {
    throw new RecordCryptoError("INVALID_INPUT", "plaintext too large for a v1 envelope");
  }
  const dataKey = randomBytes(KEY_LENGTH);
  try {
    const nonce = randomBytes(NONCE_LENGTH);
    const ciphertext = gcm(dataKey, nonce, aad).encrypt(plaintext);
    const envelope: EncryptedEnvelope = {
      version: ENVELOPE_VERSION,
      suite: ENVELOPE_SUITE,
      contextId: keccak256(aad),
      recipients: recipients.map((recipient) => wrap(dataKey, recipient, aad)),
      nonce,
      ciphertext,
    };
    return finish(envelope);
  } finally {
    dataKey.fill(0);
  }
}

/** Arguments of {@link wrapKeyFor}. */
export interface WrapKeyParams extends RecordContext {
  /** The record's 32-byte data key (from {@link unwrapDataKey}). */
  dataKey: Uint8Array;
  /** The new recipient's encryption public key. */
  recipient: string;
}

/** Wraps a record's data key for one more recipient (a standalone entry; see {@link addRecipients}). */
export function wrapKeyFor(params: WrapKeyParams): WrappedKey {
  const aad = recordAad(params);
  return wrap(checkDataKey(params.dataKey), toPublicKey(params.recipient), aad);
}

/** Arguments of {@link addRecipients}. */
export interface AddRecipientsParams extends RecordContext {
  /** The current envelope (bytes or parsed). */
  envelope: Uint8Array | EncryptedEnvelope;
  /** The record's data key, obtained by a current recipient with {@link unwrapDataKey}. */
  dataKey: Uint8Array;
  /** Public keys to add. */
  recipients: readonly string[];
}

/**
 * Returns a new envelope with the same ciphertext and extra wrapped keys — for a grant made after
 * the record was sealed. The new envelope has a **new content hash**: anchor it as a new version
 * that supersedes the old one. (Revoking a reader cannot be done this way: the revoked party may
 * have kept the data key; re-encrypt with {@link encryptRecord} instead.) Recipients are anonymous,
 * so a key that is already a recipient simply gains a second entry.
 * @throws RecordCryptoError `WRONG_CONTEXT` if the envelope is for another record, `INVALID_KEY` if
 * `dataKey` does not decrypt it.
 */
export function addRecipients(params: AddRecipientsParams): EncryptedRecord {
  const aad = recordAad(params);
  const envelope = toEnvelope(params.envelope);
  checkContext(envelope, aad);
  const dataKey = checkDataKey(params.dataKey);
  const added = uniquePublicKeys(params.recipients);
  try {
    gcm(dataKey, envelope.nonce, aad).decrypt(envelope.ciphertext).fill(0);
  } catch (cause) {
    throw new RecordCryptoError("INVALID_KEY", "the data key does not decrypt this envelope", { cause });
  }
  const recipients = [...envelope.recipients, ...added.map((recipient) => wrap(dataKey, recipient, aad))];
  if (recipients.length > MAX_RECIPIENTS) {
    throw new RecordCryptoError("INVALID_INPUT", `at most ${MAX_RECIPIENTS} recipients`);
  }
  return finish({ ...envelope, recipients });
}

// ─── decrypt ─────────────────────────────────────────────────────────────────────────────────────

/** Arguments of {@link decryptRecord} and {@link unwrapDataKey}. */
export interface DecryptRecordParams extends RecordContext {
  /** The envelope bytes (the blob) or a parsed envelope. */
  envelope: Uint8Array | EncryptedEnvelope;
  /** The recipient's encryption private key. */
  privateKey: PrivateKeyInput;
}

/**
 * Recovers the record's 32-byte data key for a recipient (to re-wrap it for a new grantee). The
 * caller should zero it (`dataKey.fill(0)`) when done.
 * @throws RecordCryptoError `MALFORMED`, `UNSUPPORTED_VERSION`, `WRONG_CONTEXT`, `NOT_A_RECIPIENT`,
 * `TAMPERED`, `INVALID_KEY`, `INVALID_INPUT` — see the module documentation.
 */
export function unwrapDataKey(params: DecryptRecordParams): Uint8Array {
  const aad = recordAad(params);
  const envelope = toEnvelope(params.envelope);
  checkContext(envelope, aad);
  return unwrap(envelope, toSecretKey(params.privateKey), aad);
}

/**
 * Decrypts a record as one of its recipients.
 * @returns the plaintext bytes (decode with `TextDecoder` for a JSON record).
 * @throws RecordCryptoError — as {@link unwrapDataKey}, plus `TAMPERED` if the ciphertext was altered.
 */
export function decryptRecord(params: DecryptRecordParams): Uint8Array {
  const aad = recordAad(params);
  const envelope = toEnvelope(params.envelope);
  checkContext(envelope, aad);
  const dataKey = unwrap(envelope, toSecretKey(params.privateKey), aad);
  try {
    return gcm(dataKey, envelope.nonce, aad).decrypt(envelope.ciphertext);
  } catch (cause) {
    throw new RecordCryptoError("TAMPERED", "the ciphertext fails authentication", { cause });
  } finally {
    dataKey.fill(0);
  }
}

// ─── serialisation ───────────────────────────────────────────────────────────────────────────────

/**
 * The canonical bytes of an envelope (format in the module documentation). Wrapped keys are written
 * in ascending byte order whatever their order in `envelope.recipients`.
 * @throws RecordCryptoError `MALFORMED` if a field has the wrong size or two wrapped keys are equal.
 */
export function serializeEnvelope(envelope: EncryptedEnvelope): Uint8Array {
  if (envelope.version !== ENVELOPE_VERSION || envelope.suite !== ENVELOPE_SUITE) {
    throw new RecordCryptoError("UNSUPPORTED_VERSION", `version ${envelope.version} suite ${envelope.suite}`);
  }
  if (!isHexString(envelope.contextId, 32)) throw malformed("contextId must be bytes32 hex");
  const count = envelope.recipients.length;
  if (count < 1 || count > MAX_RECIPIENTS) throw malformed(`recipient count ${count} out of range`);
  checkLength(envelope.nonce, NONCE_LENGTH, "nonce");
  const ct = envelope.ciphertext;
  if (!(ct instanceof Uint8Array) || ct.length < GCM_TAG_LENGTH || ct.length > MAX_CIPHERTEXT_LENGTH) {
    throw malformed("ciphertext length out of range");
  }
  const entries = envelope.recipients.map(encodeEntry).sort(compareBytes);
  for (let i = 1; i < entries.length; i++) {
    if (compareBytes(entries[i - 1], entries[i]) === 0) throw malformed("duplicate wrapped key");
  }

  const out = new Uint8Array(HEADER_LENGTH + count * ENTRY_LENGTH + NONCE_LENGTH + 4 + ct.length);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(ENVELOPE_MAGIC, at);
  at += 4;
  out[at++] = ENVELOPE_VERSION;
  out[at++] = ENVELOPE_SUITE;
  out.set(getBytes(envelope.contextId), at);
  at += 32;
  view.setUint16(at, count);
  at += 2;
  for (const entry of entries) {
    out.set(entry, at);
    at += ENTRY_LENGTH;
  }
  out.set(envelope.nonce, at);
  at += NONCE_LENGTH;
  view.setUint32(at, ct.length);
  at += 4;
  out.set(ct, at);
  return out;
}

/**
 * Parses envelope bytes, accepting only the canonical encoding (so `serializeEnvelope(parseEnvelope(b))`
 * equals `b`). Checks structure only — not authenticity; that is {@link decryptRecord}'s job.
 * @throws RecordCryptoError `MALFORMED` or `UNSUPPORTED_VERSION`.
 */
export function parseEnvelope(bytes: Uint8Array): EncryptedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw malformed("envelope must be a Uint8Array");
  if (bytes.length < HEADER_LENGTH) throw malformed("too short for a header");
  for (let i = 0; i < 4; i++) if (bytes[i] !== ENVELOPE_MAGIC[i]) throw malformed("bad magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[4] !== ENVELOPE_VERSION || bytes[5] !== ENVELOPE_SUITE) {
    throw new RecordCryptoError("UNSUPPORTED_VERSION", `version ${bytes[4]} suite ${bytes[5]}`);
  }
  const contextId = hexlify(bytes.subarray(6, 38));
  const count = view.getUint16(38);
  if (count === 0) throw malformed("no wrapped keys");
  let at = HEADER_LENGTH;
  const bodyStart = at + count * ENTRY_LENGTH;
  if (bytes.length < bodyStart + NONCE_LENGTH + 4) throw malformed("truncated");
  const recipients: WrappedKey[] = [];
  let previous: Uint8Array | undefined;
  for (let i = 0; i < count; i++, at += ENTRY_LENGTH) {
    const entry = bytes.slice(at, at + ENTRY_LENGTH);
    if (previous !== undefined && compareBytes(previous, entry) >= 0) {
      throw malformed("wrapped keys not in strictly ascending order");
    }
    previous = entry;
    recipients.push(decodeEntry(entry));
  }
  const nonce = bytes.slice(at, at + NONCE_LENGTH);
  at += NONCE_LENGTH;
  const length = view.getUint32(at);
  at += 4;
  if (length < GCM_TAG_LENGTH) throw malformed("ciphertext shorter than a GCM tag");
  if (bytes.length !== at + length) throw malformed("ciphertext length does not match the envelope size");
  return { version: 1, suite: 1, contextId, recipients, nonce, ciphertext: bytes.slice(at) };
}

/** `keccak256(serializeEnvelope(envelope))`, or of the bytes as given. */
export function envelopeContentHash(envelope: Uint8Array | EncryptedEnvelope): string {
  return keccak256(envelope instanceof Uint8Array ? envelope : serializeEnvelope(envelope));
}

// ─── internal ────────────────────────────────────────────────────────────────────────────────────

function finish(envelope: EncryptedEnvelope): EncryptedRecord {
  const bytes = serializeEnvelope(envelope);
  // Return the parsed form so `envelope.recipients` is in canonical order, like any parsed envelope.
  return { envelope: parseEnvelope(bytes), bytes, contentHash: keccak256(bytes) };
}

function deriveWrapSecrets(
  shared: Uint8Array,
  ephemeral: Uint8Array,
  recipient: Uint8Array,
): { wrapKey: Uint8Array; tag: Uint8Array } {
  const ikm = shared.subarray(1); // x coordinate of the compressed ECDH point
  const salt = new Uint8Array(PUBLIC_KEY_LENGTH * 2);
  salt.set(ephemeral, 0);
  salt.set(recipient, PUBLIC_KEY_LENGTH);
  return {
    wrapKey: hkdf(sha256, ikm, salt, utf8.encode(ECIES_INFO), KEY_LENGTH),
    tag: hkdf(sha256, ikm, salt, utf8.encode(ECIES_TAG_INFO), RECIPIENT_TAG_LENGTH),
  };
}

function wrap(dataKey: Uint8Array, recipient: Uint8Array, aad: Uint8Array): WrappedKey {
  const { secretKey, publicKey: ephemeralPublicKey } = secp256k1.keygen();
  const shared = secp256k1.getSharedSecret(secretKey, recipient, true);
  const { wrapKey, tag } = deriveWrapSecrets(shared, ephemeralPublicKey, recipient);
  const nonce = randomBytes(NONCE_LENGTH);
  const wrappedKey = gcm(wrapKey, nonce, aad).encrypt(dataKey);
  secretKey.fill(0);
  shared.fill(0);
  wrapKey.fill(0);
  return { ephemeralPublicKey, recipientTag: tag, nonce, wrappedKey };
}

function unwrap(envelope: EncryptedEnvelope, secretKey: Uint8Array, aad: Uint8Array): Uint8Array {
  const me = secp256k1.getPublicKey(secretKey, true);
  for (const entry of envelope.recipients) {
    const shared = secp256k1.getSharedSecret(secretKey, entry.ephemeralPublicKey, true);
    const { wrapKey, tag } = deriveWrapSecrets(shared, entry.ephemeralPublicKey, me);
    shared.fill(0);
    if (!equalBytes(tag, entry.recipientTag)) {
      wrapKey.fill(0);
      continue;
    }
    try {
      return gcm(wrapKey, entry.nonce, aad).decrypt(entry.wrappedKey);
    } catch (cause) {
      throw new RecordCryptoError("TAMPERED", "this recipient's wrapped key fails authentication", { cause });
    } finally {
      wrapKey.fill(0);
    }
  }
  throw new RecordCryptoError("NOT_A_RECIPIENT", "no wrapped key in this envelope is for this private key");
}

function toEnvelope(envelope: Uint8Array | EncryptedEnvelope): EncryptedEnvelope {
  // A parsed envelope built by hand is validated by a round trip through the canonical encoding.
  return parseEnvelope(envelope instanceof Uint8Array ? envelope : serializeEnvelope(envelope));
}

function checkContext(envelope: EncryptedEnvelope, aad: Uint8Array): void {
  if (envelope.contextId.toLowerCase() !== keccak256(aad)) {
    throw new RecordCryptoError("WRONG_CONTEXT", "the envelope was sealed for another (recordId, patientId)");
  }
}

function checkDataKey(dataKey: Uint8Array): Uint8Array {
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== KEY_LENGTH) {
    throw new RecordCryptoError("INVALID_KEY", "a data key is 32 bytes");
  }
  return dataKey;
}

function toSecretKey(privateKey: PrivateKeyInput): Uint8Array {
  let key: Uint8Array;
  try {
    key = typeof privateKey === "string" ? getBytes(privateKey) : privateKey;
  } catch (cause) {
    throw new RecordCryptoError("INVALID_KEY", "private key must be 32-byte hex or bytes", { cause });
  }
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH || !secp256k1.utils.isValidSecretKey(key)) {
    throw new RecordCryptoError("INVALID_KEY", "not a valid secp256k1 private key");
  }
  return key;
}

function toPublicKey(publicKey: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = typeof publicKey === "string" ? getBytes(publicKey) : publicKey;
  } catch (cause) {
    throw new RecordCryptoError("INVALID_KEY", "public key must be hex or bytes", { cause });
  }
  const compressed = bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3);
  const uncompressed = bytes.length === 65 && bytes[0] === 4;
  if (!compressed && !uncompressed) {
    throw new RecordCryptoError("INVALID_KEY", "public key must be 33 (compressed) or 65 (uncompressed) bytes");
  }
  try {
    return secp256k1.Point.fromBytes(bytes).toBytes(true);
  } catch (cause) {
    throw new RecordCryptoError("INVALID_KEY", "public key is not a point on secp256k1", { cause });
  }
}

function uniquePublicKeys(keys: readonly string[]): Uint8Array[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new RecordCryptoError("INVALID_INPUT", "at least one recipient is required");
  }
  const seen = new Map<string, Uint8Array>();
  for (const key of keys) {
    const bytes = toPublicKey(key);
    seen.set(hexlify(bytes), bytes);
  }
  if (seen.size > MAX_RECIPIENTS) throw new RecordCryptoError("INVALID_INPUT", `at most ${MAX_RECIPIENTS} recipients`);
  return [...seen.values()];
}

function encodeEntry(entry: WrappedKey): Uint8Array {
  checkLength(entry.ephemeralPublicKey, PUBLIC_KEY_LENGTH, "ephemeralPublicKey");
  checkLength(entry.recipientTag, RECIPIENT_TAG_LENGTH, "recipientTag");
  checkLength(entry.nonce, NONCE_LENGTH, "wrap nonce");
  checkLength(entry.wrappedKey, WRAPPED_KEY_LENGTH, "wrappedKey");
  const out = new Uint8Array(ENTRY_LENGTH);
  let at = 0;
  for (const part of [entry.ephemeralPublicKey, entry.recipientTag, entry.nonce, entry.wrappedKey]) {
    out.set(part, at);
    at += part.length;
  }
  checkEphemeralKey(entry.ephemeralPublicKey);
  return out;
}

function decodeEntry(entry: Uint8Array): WrappedKey {
  let at = 0;
  const take = (n: number): Uint8Array => entry.slice(at, (at += n));
  const decoded: WrappedKey = {
    ephemeralPublicKey: take(PUBLIC_KEY_LENGTH),
    recipientTag: take(RECIPIENT_TAG_LENGTH),
    nonce: take(NONCE_LENGTH),
    wrappedKey: take(WRAPPED_KEY_LENGTH),
  };
  checkEphemeralKey(decoded.ephemeralPublicKey);
  return decoded;
}

function checkEphemeralKey(key: Uint8Array): void {
  if (key[0] !== 2 && key[0] !== 3) throw malformed("ephemeral public key must be compressed");
  try {
    secp256k1.Point.fromBytes(key);
  } catch (cause) {
    throw new RecordCryptoError("MALFORMED", "ephemeral public key is not a point on secp256k1", { cause });
  }
}

function checkLength(value: Uint8Array, length: number, name: string): void {
  if (!(value instanceof Uint8Array) || value.length !== length) throw malformed(`${name} must be ${length} bytes`);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function malformed(message: string): RecordCryptoError {
  return new RecordCryptoError("MALFORMED", message);
}
