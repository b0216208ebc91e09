/**
 * Envelope encryption of medical records (DESIGN §3, the SDK's off-chain half) — format v3 (v2 still
 * read, "trusting the sealer").
 *
 * A record (for example a FHIR resource serialised as JSON) is encrypted once with a fresh random
 * 32-byte **data key** into a **blob**. The blob is what `keccak256` hashes into the record's
 * **content hash** — the value `RecordRegistry` anchors and a {@link BlobStore}'s address — and it
 * holds no key material, so it may be replicated freely. The data key is **wrapped** (encrypted) for
 * each recipient's secp256k1 encryption public key into separate **key wraps**, which live in a
 * `KeyWrapStore` (`key-store.ts`), keyed by record id, never inside the blob. Hence:
 *
 * - erasure is key destruction: deleting every wrap of a record (`shredRecord`) leaves every copy of
 *   the blob undecryptable, by its recipients too;
 * - a grant made after sealing adds a wrap: the blob and its content hash stay the same, so no new
 *   on-chain version is needed.
 *
 * Only audited libraries do cryptography here: `@noble/ciphers` (AES-256-GCM), `@noble/curves`
 * (secp256k1 ECDH), `@noble/hashes` (HKDF-SHA256), `ethers` (ABI encoding, keccak256).
 *
 * ## Why version 3: one hash, one document
 *
 * AES-GCM does not commit to its key: whoever chooses the data key can build one ciphertext that
 * authenticates under two data keys and decrypts to two different plaintexts (the "invisible
 * salamanders" construction; formats with free bytes such as PDF, JPEG or DICOM absorb the garbage).
 * Wrapping one key for the lab and the other for the insurer, a dishonest sealer would show each a
 * different report under one anchored content hash. Version 3 derives the body key and a 32-byte
 * **key commitment** from the data key with HKDF and writes the commitment into the blob header — so
 * the content hash covers it. A reader checks the commitment before decrypting, and before accepting
 * the key a wrap yields; finding a second data key with the same commitment means breaking
 * HKDF-SHA256. Version 2 blobs (no commitment) stay readable: they are authentic only if the sealer
 * was honest ("trusting the sealer").
 *
 * ## Scheme (version 3, suite 1)
 *
 * As version 2 below, except the blob: `dataKey ← random(32)`, `nonce ← random(12)`,
 * `bodyKey = HKDF-SHA256(ikm = dataKey, salt = contextId, info = "MedChain record v3 body key", 32)`,
 * `keyCommitment = HKDF-SHA256(ikm = dataKey, salt = contextId, info = "MedChain record v3 key commitment", 32)`,
 * `ciphertext = AES-256-GCM(bodyKey, nonce, aad).encrypt(frame)`,
 * `blob = "MCRE" ‖ 0x03 ‖ 0x01 ‖ contextId ‖ keyCommitment ‖ nonce ‖ ciphertext`. Key wraps are
 * unchanged (key wrap version 2): they carry the data key, bound to the content hash — hence to the
 * commitment.
 *
 * ## Scheme (version 2, suite 1, read only)
 *
 * Context. `aad = abi.encode(bytes32 recordId, uint256 patientId)` (64 bytes, ethers `AbiCoder`);
 * `contextId = keccak256(aad)`.
 *
 * Padding. The plaintext is framed as `frame = uint32(len(plaintext)) ‖ plaintext ‖ 0x00…` (length
 * big-endian). With padding on (the default) the frame is `max(256, 2^⌈log2(4 + len)⌉)` bytes long —
 * the next power of two, at least 256 — so the ciphertext length reveals only that bucket; with
 * padding off it is exactly `4 + len` bytes. The reader checks the length and that every padding
 * byte is zero. See {@link paddedLength}.
 *
 * Blob. `dataKey ← random(32)`, `nonce ← random(12)`,
 * `ciphertext = AES-256-GCM(dataKey, nonce, aad).encrypt(frame)` (frame ‖ 16-byte tag),
 * `blob = "MCRE" ‖ 0x02 ‖ 0x01 ‖ contextId ‖ nonce ‖ ciphertext`, `contentHash = keccak256(blob)`.
 *
 * Key wrap for recipient public key `R` (33-byte compressed SEC1), ECIES:
 * 1. `wrapAad = abi.encode(bytes32 recordId, uint256 patientId, bytes32 contentHash)` (96 bytes);
 * 2. `e ← random secp256k1 secret key`, `E = e·G` (33-byte compressed) — one ephemeral key per wrap;
 * 3. `S = x(e·R)` (32 bytes, the x coordinate of the ECDH point);
 * 4. `salt = E ‖ R` (66 bytes);
 *    `wrapKey = HKDF-SHA256(ikm = S, salt, info = "MedChain ECIES v2", 32)`;
 *    `recipientTag = HKDF-SHA256(ikm = S, salt, info = "MedChain ECIES v2 recipient tag", 16)`;
 * 5. `wrapNonce ← random(12)`, `wrappedKey = AES-256-GCM(wrapKey, wrapNonce, wrapAad).encrypt(dataKey)`
 *    (48 bytes);
 * 6. `wrap = "MCRK" ‖ 0x02 ‖ 0x01 ‖ contentHash ‖ E ‖ recipientTag ‖ wrapNonce ‖ wrappedKey`.
 *
 * Because `wrapAad` holds the record id, the patient id and the content hash, a wrap opens only for
 * the one blob version it was made for: copied to another record, patient or version it fails
 * authentication. The content hash is also written in clear so that a reader (and a store) can pick
 * the wraps of one version; rewriting it does not help, as it is authenticated.
 *
 * Wraps do not name their recipients: a recipient finds its own by recomputing `S` with its private
 * key for each wrap's `E` and comparing `recipientTag`. So an outsider cannot tell which
 * organisations can read a record, yet a recipient can tell "this wrap is mine but altered or moved"
 * (TAMPERED) from "no wrap is mine" (NOT_A_RECIPIENT).
 *
 * ## Blob bytes (version 3, all integers big-endian)
 *
 * | field         | bytes    | value                                                                 |
 * | ------------- | -------- | --------------------------------------------------------------------- |
 * | magic         | 4        | `"MCRE"` (`0x4d435245`)                                               |
 * | version       | 1        | `0x03`                                                                |
 * | suite         | 1        | `0x01` (secp256k1 ECIES, HKDF-SHA256, AES-256-GCM, length-framed pad) |
 * | contextId     | 32       | `keccak256(abi.encode(recordId, patientId))`                          |
 * | keyCommitment | 32       | `HKDF-SHA256(dataKey, contextId, "MedChain record v3 key commitment")` |
 * | nonce         | 12       | body nonce                                                            |
 * | ciphertext    | the rest | AES-256-GCM output under the body key (frame ‖ tag), ≥ 4 + 16 bytes   |
 *
 * ## Blob bytes (version 2, read only)
 *
 * | field      | bytes    | value                                                                 |
 * | ---------- | -------- | --------------------------------------------------------------------- |
 * | magic      | 4        | `"MCRE"` (`0x4d435245`)                                               |
 * | version    | 1        | `0x02`                                                                |
 * | suite      | 1        | `0x01` (secp256k1 ECIES, HKDF-SHA256, AES-256-GCM, length-framed pad) |
 * | contextId  | 32       | `keccak256(abi.encode(recordId, patientId))`                          |
 * | nonce      | 12       | body nonce                                                            |
 * | ciphertext | the rest | AES-256-GCM output (frame ‖ tag), at least 4 + 16 bytes               |
 *
 * ## Key wrap bytes (version 2, 147 bytes)
 *
 * | field        | bytes | value                                                    |
 * | ------------ | ----- | -------------------------------------------------------- |
 * | magic        | 4     | `"MCRK"` (`0x4d43524b`)                                  |
 * | version      | 1     | `0x02`                                                   |
 * | suite        | 1     | `0x01`                                                   |
 * | contentHash  | 32    | `keccak256(blob)` of the version this wrap opens         |
 * | E            | 33    | ephemeral public key, compressed, on secp256k1           |
 * | recipientTag | 16    |                                                          |
 * | wrapNonce    | 12    |                                                          |
 * | wrappedKey   | 48    | the encrypted 32-byte data key and its 16-byte GCM tag   |
 *
 * Both formats have fixed-size fields only (the ciphertext runs to the end of the blob), and the
 * parsers reject anything else, so each value has exactly one encoding: `serializeEnvelope(
 * parseEnvelope(b))` equals `b` and the content hash is deterministic. Version 1 (wraps inside the
 * blob) is gone; its bytes are refused as `UNSUPPORTED_VERSION`. {@link encryptRecord} writes
 * version 3 only.
 *
 * ## Errors (checked in this order by {@link decryptRecord} and {@link unwrapDataKey})
 *
 * - `INVALID_INPUT` / `INVALID_KEY`: an id or the private key is malformed;
 * - `MALFORMED` / `UNSUPPORTED_VERSION`: the blob (or a key wrap) is not well-formed v2;
 * - `WRONG_CONTEXT`: the blob's `contextId` is not that of the given `(recordId, patientId)`;
 * - `SHREDDED`: no key wrap is for this blob's content hash — its data key was destroyed (or never
 *   stored); nobody can open it any more;
 * - `NOT_A_RECIPIENT`: wraps for this version exist, but none is addressed to the private key (also
 *   what a recipient sees if its wrap's `E` or tag were altered, as it can no longer recognise it);
 * - `TAMPERED`: no wrap of the recipient yields the blob's data key — each recognised wrap fails GCM
 *   authentication (altered, or moved from another record, patient or version with its content hash
 *   rewritten) or yields a key the blob does not commit to (v3: the key commitment differs; v2: the
 *   body does not authenticate under it: a planted wrap never hides a genuine one) — or the
 *   ciphertext fails authentication (the blob was altered, or sealed for another context and its
 *   `contextId` rewritten);
 * - `MALFORMED`: the authenticated frame is inconsistent (bad length, non-zero padding) — only a
 *   faulty sealer holding the data key can produce that.
 *
 * ## Erasure: what key destruction guarantees, and what it cannot
 *
 * Once every wrap of a record is deleted from the key store, no one can derive its data key from the
 * blob and a recipient's private key, however many copies of the blob survive (replicas, backups,
 * caches, the patient's own download): the blob alone is AES-256-GCM ciphertext under a key that
 * exists nowhere. That holds only if:
 *
 * - the key store was the only place the wraps lived: a backup, snapshot or replica of the key store
 *   (or of one wrap) restores readability for the recipients — keep key stores out of ordinary
 *   backups, and shred every replica;
 * - deletion on the key store's medium is effective: `unlink` does not scrub disk blocks, journals or
 *   SSD wear-levelled copies — use storage that is itself encrypted with a key that can be rotated,
 *   or a KMS/HSM-backed store;
 * - no one kept the data key or the plaintext: a grantee who already opened the record may keep the
 *   plaintext (or the data key from {@link unwrapDataKey}); key destruction cannot recall what was
 *   read, only stop further reads;
 * - no one recorded a wrap before it was deleted and later obtains the matching private key (or
 *   breaks secp256k1 ECDH): a copied wrap stays as strong as the recipient's key.
 *
 * It also does not hide that the record existed: the on-chain anchor (a hash of ciphertext) and any
 * surviving blob copies remain, as does their size.
 *
 * ## Not hidden
 *
 * - The blob length reveals the padding bucket (with padding off: the exact plaintext length).
 * - `contextId` links the blob to `(recordId, patientId)` — which the on-chain anchor already does.
 * - A key store reveals how many wraps (≈ recipients) each version of a record has, and when they
 *   were added; it does not reveal who they are.
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
  /** No key wrap exists for this blob version: its data key was destroyed (crypto-shredded). */
  | "SHREDDED"
  /** Key wraps for this version exist, but none is for this private key. */
  | "NOT_A_RECIPIENT"
  /** A key wrap or the ciphertext failed authentication (bytes changed, or moved from elsewhere). */
  | "TAMPERED"
  /** The blob was sealed for another `(recordId, patientId)`. */
  | "WRONG_CONTEXT"
  /** The bytes are not a well-formed blob or key wrap (or the decrypted frame is inconsistent). */
  | "MALFORMED"
  /** A well-formed header of a format version or suite this SDK does not know (e.g. version 1). */
  | "UNSUPPORTED_VERSION"
  /** A public or private key is not a valid secp256k1 key, or a data key does not open the blob. */
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

/** What both blob versions hold. */
interface EnvelopeFields {
  suite: 1;
  /** `keccak256(abi.encode(bytes32 recordId, uint256 patientId))`, `0x`-prefixed hex. */
  contextId: string;
  /** 12-byte body nonce. */
  nonce: Uint8Array;
  /** AES-256-GCM output: frame (length ‖ plaintext ‖ padding) ‖ 16-byte tag. */
  ciphertext: Uint8Array;
}

/** A parsed v3 blob (what {@link encryptRecord} writes): the ciphertext and the key commitment. */
export interface EncryptedEnvelopeV3 extends EnvelopeFields {
  version: 3;
  /** 32 bytes: `HKDF-SHA256(dataKey, contextId, "MedChain record v3 key commitment")`. */
  keyCommitment: Uint8Array;
}

/** A parsed v2 blob (read only): no key commitment, so its authenticity trusts the sealer. */
export interface EncryptedEnvelopeV2 extends EnvelopeFields {
  version: 2;
}

/** A parsed blob: the ciphertext only, no key material. Serialise it with {@link serializeEnvelope}. */
export type EncryptedEnvelope = EncryptedEnvelopeV3 | EncryptedEnvelopeV2;

/** A parsed key wrap: one recipient's copy of a blob version's data key. See {@link serializeKeyWrap}. */
export interface KeyWrap {
  version: 2;
  suite: 1;
  /** The content hash of the blob version this wrap opens, `0x`-prefixed lowercase hex. */
  contentHash: string;
  /** 33-byte compressed ephemeral public key `E`. */
  ephemeralPublicKey: Uint8Array;
  /** 16-byte tag by which the recipient recognises its wrap. */
  recipientTag: Uint8Array;
  /** 12-byte AES-GCM nonce of the wrap. */
  nonce: Uint8Array;
  /** 48 bytes: the encrypted 32-byte data key and its 16-byte GCM tag. */
  wrappedKey: Uint8Array;
}

/** A key wrap as bytes (what a `KeyWrapStore` holds) or parsed. */
export type KeyWrapInput = Uint8Array | KeyWrap;

/** A sealed record: the blob in both forms, its content hash, and the key wraps to store apart. */
export interface EncryptedRecord {
  envelope: EncryptedEnvelope;
  /** The canonical serialisation of `envelope`: the blob to store and replicate. */
  bytes: Uint8Array;
  /** `keccak256(bytes)`: the value anchored on chain and the blob's address. */
  contentHash: string;
  /** One serialised key wrap per distinct recipient, in ascending byte order: for the key store only. */
  keyWraps: Uint8Array[];
  /** Which wrap is whose: for the sealer only (to revoke one reader later). Never store it next to
   *  the wraps or anywhere public — it names the readers the wraps hide. */
  readers: RecipientWrap[];
}

/** One reader's wrap, as the sealer alone knows it. */
export interface RecipientWrap {
  /** The reader's encryption public key (compressed hex). */
  publicKey: string;
  /** The serialised key wrap made for it. */
  keyWrap: Uint8Array;
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

/** `"MCRE"`: the first four bytes of every blob. */
export const ENVELOPE_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x43, 0x52, 0x45);
/** `"MCRK"`: the first four bytes of every key wrap. */
export const KEY_WRAP_MAGIC: Uint8Array = Uint8Array.of(0x4d, 0x43, 0x52, 0x4b);
/** The blob format version this SDK writes (key-committing). It also reads {@link ENVELOPE_VERSION_V2}. */
export const ENVELOPE_VERSION = 3;
/** The previous blob format version: still read, documented as "trusting the sealer" (no commitment). */
export const ENVELOPE_VERSION_V2 = 2;
/** The key wrap format version (unchanged by blob version 3). */
export const KEY_WRAP_VERSION = 2;
/** Suite 1: secp256k1 ECIES with HKDF-SHA256 and AES-256-GCM, length-framed padding. */
export const ENVELOPE_SUITE = 1;
/** HKDF `info` of the wrap key. */
export const ECIES_INFO = "MedChain ECIES v2";
/** HKDF `info` of the recipient tag. */
export const ECIES_TAG_INFO = "MedChain ECIES v2 recipient tag";
/** The smallest padding bucket, in bytes of frame (4-byte length ‖ plaintext ‖ zeros). */
export const PADDING_MIN_BUCKET = 256;
/** HKDF `info` of a v3 blob's body key. */
export const BODY_KEY_INFO = "MedChain record v3 body key";
/** HKDF `info` of a v3 blob's key commitment. */
export const KEY_COMMITMENT_INFO = "MedChain record v3 key commitment";
/** Bytes of a v3 blob before its ciphertext: magic, version, suite, contextId, keyCommitment, nonce. */
export const ENVELOPE_HEADER_LENGTH = 4 + 1 + 1 + 32 + 32 + 12;
/** Bytes of a v2 blob before its ciphertext: magic, version, suite, contextId, nonce. */
export const ENVELOPE_V2_HEADER_LENGTH = 4 + 1 + 1 + 32 + 12;
/** Bytes of a serialised key wrap. */
export const KEY_WRAP_LENGTH = 4 + 1 + 1 + 32 + 33 + 16 + 12 + 48;
/** The largest plaintext a blob holds (so that a padded frame is at most 2³¹ bytes). */
export const MAX_PLAINTEXT_LENGTH = 2 ** 31 - 4;

const KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const GCM_TAG_LENGTH = 16;
const FRAME_LENGTH_BYTES = 4;
const PUBLIC_KEY_LENGTH = 33;
const RECIPIENT_TAG_LENGTH = 16;
const WRAPPED_KEY_LENGTH = KEY_LENGTH + GCM_TAG_LENGTH;
const MAX_RECIPIENTS = 0xffff;
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

/** `abi.encode(bytes32 recordId, uint256 patientId)`: the additional authenticated data of a blob. */
export function recordAad(context: RecordContext): Uint8Array {
  checkContextArgs(context);
  return getBytes(abi.encode(["bytes32", "uint256"], [context.recordId, context.patientId]));
}

/** `keccak256(abi.encode(bytes32 recordId, uint256 patientId))`, the blob's `contextId`. */
export function recordContextId(context: RecordContext): string {
  return keccak256(recordAad(context));
}

/**
 * `abi.encode(bytes32 recordId, uint256 patientId, bytes32 contentHash)`: the additional
 * authenticated data of a key wrap, which binds it to one record, patient and blob version.
 */
export function keyWrapAad(context: RecordContext & { contentHash: string }): Uint8Array {
  checkContextArgs(context);
  if (typeof context.contentHash !== "string" || !isHexString(context.contentHash, 32)) {
    throw new RecordCryptoError("INVALID_INPUT", "contentHash must be 0x-prefixed bytes32 hex");
  }
  return getBytes(
    abi.encode(["bytes32", "uint256", "bytes32"], [context.recordId, context.patientId, context.contentHash]),
  );
}

// ─── padding ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The frame length (4-byte length ‖ plaintext ‖ zero padding) a plaintext of `plaintextLength` bytes
 * is encrypted as: with `padding` (the default) the next power of two ≥ `4 + plaintextLength`, and at
 * least {@link PADDING_MIN_BUCKET}; without, exactly `4 + plaintextLength`. The blob is
 * {@link ENVELOPE_HEADER_LENGTH} + frame + 16 bytes long.
 * @throws RecordCryptoError `INVALID_INPUT` if the length is negative, fractional or above
 * {@link MAX_PLAINTEXT_LENGTH}.
 */
export function paddedLength(plaintextLength: number, padding = true): number {
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0 || plaintextLength > MAX_PLAINTEXT_LENGTH) {
    throw new RecordCryptoError("INVALID_INPUT", `plaintext length must be 0…${MAX_PLAINTEXT_LENGTH}`);
  }
  const framed = FRAME_LENGTH_BYTES + plaintextLength;
  if (!padding) return framed;
  let bucket = PADDING_MIN_BUCKET;
  while (bucket < framed) bucket *= 2;
  return bucket;
}

// ─── encrypt ─────────────────────────────────────────────────────────────────────────────────────

/** Arguments of {@link encryptRecord}. */
export interface EncryptRecordParams extends RecordContext {
  /** The record; a string is encoded as UTF-8. */
  plaintext: Uint8Array | string;
  /** Encryption public keys (compressed or uncompressed hex) of everyone who may read it. Duplicates
   *  are wrapped once. Include the custodian's own key if it must wrap for grantees later. */
  recipients: readonly string[];
  /** Pad the plaintext to a power-of-two bucket (≥ 256 bytes) so the blob length reveals less.
   *  Default `true`. */
  padding?: boolean;
}

/**
 * Encrypts a record into a version 3 (key-committing) blob and wraps its data key for each recipient.
 * @returns the blob (parsed and as bytes), `contentHash = keccak256(bytes)`, the key wraps — which go
 * to a key store, never next to the blob — and, for the sealer only, which wrap is whose (`readers`).
 * @throws RecordCryptoError `INVALID_KEY` (a recipient key), `INVALID_INPUT` (ids, no recipients,
 * plaintext too large).
 */
export function encryptRecord(params: EncryptRecordParams): EncryptedRecord {
  const recipients = uniquePublicKeys(params.recipients);
  const dataKey = randomBytes(KEY_LENGTH);
  try {
    const envelope = buildEnvelope({ ...params, version: ENVELOPE_VERSION, dataKey, nonce: randomBytes(NONCE_LENGTH) });
    const bytes = serializeEnvelope(envelope);
    const contentHash = keccak256(bytes);
    const wrapAad = keyWrapAad({ ...params, contentHash });
    const readers = recipients.map((recipient) => ({
      publicKey: hexlify(recipient),
      keyWrap: serializeKeyWrap(wrap(dataKey, recipient, contentHash, wrapAad)),
    }));
    const keyWraps = readers.map((r) => r.keyWrap).sort(compareBytes);
    return { envelope, bytes, contentHash, keyWraps, readers };
  } finally {
    dataKey.fill(0);
  }
}

/** Arguments of {@link buildEnvelope}: everything {@link encryptRecord} draws at random, given. */
export interface BuildEnvelopeParams extends RecordContext {
  /** 3 (key-committing, the default) or 2 (no commitment: for known-answer tests of old blobs). */
  version?: 2 | 3;
  plaintext: Uint8Array | string;
  /** The 32-byte data key. */
  dataKey: Uint8Array;
  /** The 12-byte body nonce. */
  nonce: Uint8Array;
  padding?: boolean;
}

/**
 * The deterministic core of {@link encryptRecord}: a blob from a given data key and nonce. For
 * known-answer test vectors and interoperability only — a data key or nonce used twice breaks
 * AES-GCM; use {@link encryptRecord}.
 * @throws RecordCryptoError `INVALID_KEY` (data key not 32 bytes), `INVALID_INPUT`, `MALFORMED` (nonce).
 */
export function buildEnvelope(params: BuildEnvelopeParams): EncryptedEnvelope {
  const aad = recordAad(params);
  const dataKey = checkDataKey(params.dataKey);
  checkLength(params.nonce, NONCE_LENGTH, "nonce");
  const plaintext = typeof params.plaintext === "string" ? utf8.encode(params.plaintext) : params.plaintext;
  if (!(plaintext instanceof Uint8Array)) {
    throw new RecordCryptoError("INVALID_INPUT", "plaintext must be a Uint8Array or a string");
  }
  const frame = new Uint8Array(paddedLength(plaintext.length, params.padding ?? true));
  new DataView(frame.buffer).setUint32(0, plaintext.length);
  frame.set(plaintext, FRAME_LENGTH_BYTES);
  const contextId = keccak256(aad);
  const nonce = params.nonce.slice();
  try {
    if ((params.version ?? ENVELOPE_VERSION) === ENVELOPE_VERSION_V2) {
      const ciphertext = gcm(dataKey, nonce, aad).encrypt(frame);
      return { version: ENVELOPE_VERSION_V2, suite: ENVELOPE_SUITE, contextId, nonce, ciphertext };
    }
    if (params.version !== undefined && params.version !== ENVELOPE_VERSION) {
      throw new RecordCryptoError("UNSUPPORTED_VERSION", `version ${String(params.version)}`);
    }
    const { bodyKey, keyCommitment } = deriveBodyKey(dataKey, contextId);
    try {
      const ciphertext = gcm(bodyKey, nonce, aad).encrypt(frame);
      return { version: ENVELOPE_VERSION, suite: ENVELOPE_SUITE, contextId, keyCommitment, nonce, ciphertext };
    } finally {
      bodyKey.fill(0);
    }
  } finally {
    frame.fill(0);
  }
}

/**
 * A v3 blob's body key and key commitment from its data key:
 * `HKDF-SHA256(ikm = dataKey, salt = contextId, info, 32)` with {@link BODY_KEY_INFO} and
 * {@link KEY_COMMITMENT_INFO}. Zero `bodyKey` when done.
 */
export function deriveBodyKey(
  dataKey: Uint8Array,
  contextId: string,
): { bodyKey: Uint8Array; keyCommitment: Uint8Array } {
  const salt = getBytes(contextId);
  return {
    bodyKey: hkdf(sha256, dataKey, salt, utf8.encode(BODY_KEY_INFO), KEY_LENGTH),
    keyCommitment: hkdf(sha256, dataKey, salt, utf8.encode(KEY_COMMITMENT_INFO), KEY_LENGTH),
  };
}

/** Arguments of {@link wrapDataKey}. */
export interface WrapDataKeyParams extends RecordContext {
  /** The blob (bytes or parsed) whose data key is wrapped; the wraps are bound to its content hash. */
  envelope: Uint8Array | EncryptedEnvelope;
  /** The blob's 32-byte data key, obtained by a current recipient with {@link unwrapDataKey}. */
  dataKey: Uint8Array;
  /** Public keys to wrap it for. Duplicates are wrapped once. */
  recipients: readonly string[];
}

/**
 * Wraps a blob's data key for more recipients — for a grant made after the record was sealed. The
 * blob is untouched, so its content hash (and the on-chain anchor) stays the same: store the returned
 * wraps in the key store. Recipients are anonymous, so a key that already has a wrap simply gains a
 * second one. (This cannot revoke anyone: delete the reader's wrap from the key store to stop further
 * reads; a reader who kept the data key or plaintext keeps them.)
 * @returns serialised key wraps, in ascending byte order.
 * @throws RecordCryptoError `WRONG_CONTEXT` if the blob is for another record, `INVALID_KEY` if
 * `dataKey` is not the blob's (v3: not the key it commits to; v2: does not decrypt it) or a
 * recipient key is invalid.
 */
export function wrapDataKey(params: WrapDataKeyParams): Uint8Array[] {
  return wrapDataKeyFor(params)
    .map((r) => r.keyWrap)
    .sort(compareBytes);
}

/**
 * As {@link wrapDataKey}, and says which wrap is whose (for the sharer only: never store this
 * mapping next to the wraps).
 */
export function wrapDataKeyFor(params: WrapDataKeyParams): RecipientWrap[] {
  const aad = recordAad(params);
  const envelope = toEnvelope(params.envelope);
  checkContext(envelope, aad);
  const dataKey = checkDataKey(params.dataKey);
  const recipients = uniquePublicKeys(params.recipients);
  if (!opensBody(envelope, dataKey, aad)) {
    throw new RecordCryptoError(
      "INVALID_KEY",
      envelope.version === ENVELOPE_VERSION
        ? "the data key is not the one this blob commits to"
        : "the data key does not decrypt this blob",
    );
  }
  const contentHash = envelopeContentHash(envelope);
  const wrapAad = keyWrapAad({ ...params, contentHash });
  return recipients.map((recipient) => ({
    publicKey: hexlify(recipient),
    keyWrap: serializeKeyWrap(wrap(dataKey, recipient, contentHash, wrapAad)),
  }));
}

/** Arguments of {@link buildKeyWrap}: everything a wrap draws at random, given. */
export interface BuildKeyWrapParams extends RecordContext {
  contentHash: string;
  dataKey: Uint8Array;
  /** The recipient's encryption public key. */
  recipient: string;
  /** The 32-byte ephemeral secret key `e`. */
  ephemeralSecretKey: Uint8Array;
  /** The 12-byte wrap nonce. */
  nonce: Uint8Array;
}

/**
 * The deterministic core of a key wrap, for known-answer test vectors and interoperability only (an
 * ephemeral key or nonce used twice breaks the wrap): use {@link encryptRecord} / {@link wrapDataKey}.
 * It does not check the data key against a blob.
 */
export function buildKeyWrap(params: BuildKeyWrapParams): Uint8Array {
  const wrapAad = keyWrapAad(params);
  checkLength(params.nonce, NONCE_LENGTH, "wrap nonce");
  const e = toSecretKey(params.ephemeralSecretKey);
  return serializeKeyWrap(
    wrap(checkDataKey(params.dataKey), toPublicKey(params.recipient), params.contentHash, wrapAad, {
      secretKey: e.slice(),
      nonce: params.nonce,
    }),
  );
}

// ─── decrypt ─────────────────────────────────────────────────────────────────────────────────────

/** Arguments of {@link decryptRecord} and {@link unwrapDataKey}. */
export interface DecryptRecordParams extends RecordContext {
  /** The blob bytes or a parsed blob. */
  envelope: Uint8Array | EncryptedEnvelope;
  /** The record's key wraps from the key store (those of other versions are ignored). */
  keyWraps: readonly KeyWrapInput[];
  /** The recipient's encryption private key. */
  privateKey: PrivateKeyInput;
}

/**
 * Recovers a blob's 32-byte data key for a recipient (to wrap it for a new grantee with
 * {@link wrapDataKey}). Every recognised wrap is tried and a candidate key is accepted only if the
 * blob commits to it (v3) or its body authenticates under it (v2). The caller should zero it
 * (`dataKey.fill(0)`) when done.
 * @throws RecordCryptoError `MALFORMED`, `UNSUPPORTED_VERSION`, `WRONG_CONTEXT`, `SHREDDED`,
 * `NOT_A_RECIPIENT`, `TAMPERED`, `INVALID_KEY`, `INVALID_INPUT` — see the module documentation.
 */
export function unwrapDataKey(params: DecryptRecordParams): Uint8Array {
  const secretKey = toSecretKey(params.privateKey);
  const aad = recordAad(params);
  const envelope = toEnvelope(params.envelope);
  checkContext(envelope, aad);
  const contentHash = envelopeContentHash(envelope);
  return unwrap(params.keyWraps, secretKey, contentHash, keyWrapAad({ ...params, contentHash }), (key) =>
    opensBody(envelope, key, aad),
  );
}

/**
 * Decrypts a record as one of its recipients. A v3 blob's key commitment is checked before its body
 * is decrypted; a v2 blob has none (its authenticity trusts the sealer).
 * @returns the plaintext bytes, padding removed (decode with `TextDecoder` for a JSON record).
 * @throws RecordCryptoError — as {@link unwrapDataKey}, plus `TAMPERED` if the ciphertext was altered
 * and `MALFORMED` if the decrypted frame is inconsistent.
 */
export function decryptRecord(params: DecryptRecordParams): Uint8Array {
  const dataKey = unwrapDataKey(params);
  const envelope = toEnvelope(params.envelope);
  const aad = recordAad(params);
  let frame: Uint8Array;
  try {
    frame = decryptBody(envelope, dataKey, aad);
  } finally {
    dataKey.fill(0);
  }
  try {
    return unframe(frame);
  } finally {
    frame.fill(0);
  }
}

// ─── serialisation ───────────────────────────────────────────────────────────────────────────────

/**
 * The canonical bytes of a blob, version 3 or 2 (formats in the module documentation).
 * @throws RecordCryptoError `UNSUPPORTED_VERSION`, or `MALFORMED` if a field has the wrong size.
 */
export function serializeEnvelope(envelope: EncryptedEnvelope): Uint8Array {
  const version = envelope.version as number;
  if ((version !== ENVELOPE_VERSION && version !== ENVELOPE_VERSION_V2) || envelope.suite !== ENVELOPE_SUITE) {
    throw new RecordCryptoError("UNSUPPORTED_VERSION", `version ${envelope.version} suite ${envelope.suite}`);
  }
  if (typeof envelope.contextId !== "string" || !isHexString(envelope.contextId, 32)) {
    throw malformed("contextId must be bytes32 hex");
  }
  checkLength(envelope.nonce, NONCE_LENGTH, "nonce");
  const ct = envelope.ciphertext;
  if (!(ct instanceof Uint8Array) || ct.length < FRAME_LENGTH_BYTES + GCM_TAG_LENGTH) {
    throw malformed("ciphertext shorter than a frame length and a GCM tag");
  }
  const header = envelope.version === ENVELOPE_VERSION ? ENVELOPE_HEADER_LENGTH : ENVELOPE_V2_HEADER_LENGTH;
  const out = new Uint8Array(header + ct.length);
  out.set(ENVELOPE_MAGIC, 0);
  out[4] = envelope.version;
  out[5] = ENVELOPE_SUITE;
  out.set(getBytes(envelope.contextId), 6);
  if (envelope.version === ENVELOPE_VERSION) {
    checkLength(envelope.keyCommitment, KEY_LENGTH, "keyCommitment");
    out.set(envelope.keyCommitment, 38);
  }
  out.set(envelope.nonce, header - NONCE_LENGTH);
  out.set(ct, header);
  return out;
}

/**
 * Parses blob bytes, version 3 or 2 (so `serializeEnvelope(parseEnvelope(b))` equals `b`). Checks
 * structure only — not authenticity; that is {@link decryptRecord}'s job.
 * @throws RecordCryptoError `MALFORMED` or `UNSUPPORTED_VERSION` (a version 1 blob among others).
 */
export function parseEnvelope(bytes: Uint8Array): EncryptedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw malformed("a blob must be a Uint8Array");
  if (bytes.length < 6) throw malformed("too short for a header");
  for (let i = 0; i < 4; i++) if (bytes[i] !== ENVELOPE_MAGIC[i]) throw malformed("bad magic");
  const version = bytes[4];
  if ((version !== ENVELOPE_VERSION && version !== ENVELOPE_VERSION_V2) || bytes[5] !== ENVELOPE_SUITE) {
    throw new RecordCryptoError("UNSUPPORTED_VERSION", `version ${bytes[4]} suite ${bytes[5]}`);
  }
  const header = version === ENVELOPE_VERSION ? ENVELOPE_HEADER_LENGTH : ENVELOPE_V2_HEADER_LENGTH;
  if (bytes.length < header + FRAME_LENGTH_BYTES + GCM_TAG_LENGTH) {
    throw malformed("ciphertext shorter than a frame length and a GCM tag");
  }
  const fields = {
    suite: ENVELOPE_SUITE,
    contextId: hexlify(bytes.subarray(6, 38)),
    nonce: bytes.slice(header - NONCE_LENGTH, header),
    ciphertext: bytes.slice(header),
  } as const;
  return version === ENVELOPE_VERSION
    ? { version: ENVELOPE_VERSION, ...fields, keyCommitment: bytes.slice(38, 70) }
    : { version: ENVELOPE_VERSION_V2, ...fields };
}

/** `keccak256(serializeEnvelope(envelope))`, or of the bytes as given: the content hash. */
export function envelopeContentHash(envelope: Uint8Array | EncryptedEnvelope): string {
  return keccak256(envelope instanceof Uint8Array ? envelope : serializeEnvelope(envelope));
}

/**
 * The canonical {@link KEY_WRAP_LENGTH}-byte form of a key wrap (format in the module documentation).
 * @throws RecordCryptoError `UNSUPPORTED_VERSION`, or `MALFORMED` if a field has the wrong size or `E`
 * is not a compressed point on secp256k1.
 */
export function serializeKeyWrap(keyWrap: KeyWrap): Uint8Array {
  if (keyWrap.version !== KEY_WRAP_VERSION || keyWrap.suite !== ENVELOPE_SUITE) {
    throw new RecordCryptoError("UNSUPPORTED_VERSION", `key wrap version ${keyWrap.version} suite ${keyWrap.suite}`);
  }
  if (typeof keyWrap.contentHash !== "string" || !isHexString(keyWrap.contentHash, 32)) {
    throw malformed("contentHash must be bytes32 hex");
  }
  checkLength(keyWrap.ephemeralPublicKey, PUBLIC_KEY_LENGTH, "ephemeralPublicKey");
  checkLength(keyWrap.recipientTag, RECIPIENT_TAG_LENGTH, "recipientTag");
  checkLength(keyWrap.nonce, NONCE_LENGTH, "wrap nonce");
  checkLength(keyWrap.wrappedKey, WRAPPED_KEY_LENGTH, "wrappedKey");
  checkEphemeralKey(keyWrap.ephemeralPublicKey);
  const out = new Uint8Array(KEY_WRAP_LENGTH);
  out.set(KEY_WRAP_MAGIC, 0);
  out[4] = KEY_WRAP_VERSION;
  out[5] = ENVELOPE_SUITE;
  let at = 6;
  for (const part of [
    getBytes(keyWrap.contentHash),
    keyWrap.ephemeralPublicKey,
    keyWrap.recipientTag,
    keyWrap.nonce,
    keyWrap.wrappedKey,
  ]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Parses a serialised key wrap (so `serializeKeyWrap(parseKeyWrap(b))` equals `b`). Checks structure
 * only; a wrap is authenticated when its recipient opens it.
 * @throws RecordCryptoError `MALFORMED` or `UNSUPPORTED_VERSION`.
 */
export function parseKeyWrap(bytes: Uint8Array): KeyWrap {
  if (!(bytes instanceof Uint8Array)) throw malformed("a key wrap must be a Uint8Array");
  if (bytes.length < 6) throw malformed("too short for a key wrap header");
  for (let i = 0; i < 4; i++) if (bytes[i] !== KEY_WRAP_MAGIC[i]) throw malformed("bad key wrap magic");
  if (bytes[4] !== KEY_WRAP_VERSION || bytes[5] !== ENVELOPE_SUITE) {
    throw new RecordCryptoError("UNSUPPORTED_VERSION", `key wrap version ${bytes[4]} suite ${bytes[5]}`);
  }
  if (bytes.length !== KEY_WRAP_LENGTH) throw malformed(`a key wrap is ${KEY_WRAP_LENGTH} bytes`);
  let at = 6;
  const take = (n: number): Uint8Array => bytes.slice(at, (at += n));
  const keyWrap: KeyWrap = {
    version: KEY_WRAP_VERSION,
    suite: ENVELOPE_SUITE,
    contentHash: hexlify(take(32)),
    ephemeralPublicKey: take(PUBLIC_KEY_LENGTH),
    recipientTag: take(RECIPIENT_TAG_LENGTH),
    nonce: take(NONCE_LENGTH),
    wrappedKey: take(WRAPPED_KEY_LENGTH),
  };
  checkEphemeralKey(keyWrap.ephemeralPublicKey);
  return keyWrap;
}

// ─── internal ────────────────────────────────────────────────────────────────────────────────────

function checkContextArgs(context: RecordContext): void {
  const { recordId, patientId } = context;
  if (typeof recordId !== "string" || !isHexString(recordId, 32)) {
    throw new RecordCryptoError("INVALID_INPUT", "recordId must be 0x-prefixed bytes32 hex");
  }
  if (typeof patientId !== "bigint" || patientId < 0n || patientId > UINT256_MAX) {
    throw new RecordCryptoError("INVALID_INPUT", "patientId must be a uint256 bigint");
  }
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

function wrap(
  dataKey: Uint8Array,
  recipient: Uint8Array,
  contentHash: string,
  wrapAad: Uint8Array,
  fixed?: { secretKey: Uint8Array; nonce: Uint8Array },
): KeyWrap {
  const secretKey = fixed?.secretKey ?? secp256k1.keygen().secretKey;
  const ephemeralPublicKey = secp256k1.getPublicKey(secretKey, true);
  const shared = secp256k1.getSharedSecret(secretKey, recipient, true);
  const { wrapKey, tag } = deriveWrapSecrets(shared, ephemeralPublicKey, recipient);
  const nonce = fixed?.nonce.slice() ?? randomBytes(NONCE_LENGTH);
  const wrappedKey = gcm(wrapKey, nonce, wrapAad).encrypt(dataKey);
  secretKey.fill(0);
  shared.fill(0);
  wrapKey.fill(0);
  return {
    version: KEY_WRAP_VERSION,
    suite: ENVELOPE_SUITE,
    contentHash: contentHash.toLowerCase(),
    ephemeralPublicKey,
    recipientTag: tag,
    nonce,
    wrappedKey,
  };
}

/**
 * Finds the recipient's data key among the wraps of one blob version. Every wrap the recipient
 * recognises (by its tag) is tried, and a key it yields is accepted only if `accept` says the blob is
 * its (the key commitment, or the body's authentication): a wrap planted before the genuine one — for
 * this recipient, but holding another key — is skipped, never chosen.
 */
function unwrap(
  keyWraps: readonly KeyWrapInput[],
  secretKey: Uint8Array,
  contentHash: string,
  wrapAad: Uint8Array,
  accept: (dataKey: Uint8Array) => boolean,
): Uint8Array {
  if (!Array.isArray(keyWraps)) throw new RecordCryptoError("INVALID_INPUT", "keyWraps must be an array");
  // A hand-built parsed wrap is validated by a round trip through the canonical encoding.
  const parsed = keyWraps.map((w) => parseKeyWrap(w instanceof Uint8Array ? w : serializeKeyWrap(w)));
  const candidates = parsed.filter((w) => w.contentHash === contentHash);
  if (candidates.length === 0) {
    throw new RecordCryptoError("SHREDDED", `no key wrap exists for blob ${contentHash}: its data key is destroyed`);
  }
  const me = secp256k1.getPublicKey(secretKey, true);
  // A recognised wrap that fails is remembered, not fatal at once: a wrap injected into the set (one
  // of this recipient's wraps copied from elsewhere, or a planted one holding another key) must not
  // hide a genuine one.
  let failure: unknown;
  for (const entry of candidates) {
    const shared = secp256k1.getSharedSecret(secretKey, entry.ephemeralPublicKey, true);
    const { wrapKey, tag } = deriveWrapSecrets(shared, entry.ephemeralPublicKey, me);
    shared.fill(0);
    try {
      if (!equalBytes(tag, entry.recipientTag)) continue;
      const dataKey = gcm(wrapKey, entry.nonce, wrapAad).decrypt(entry.wrappedKey);
      if (accept(dataKey)) return dataKey;
      dataKey.fill(0);
      failure = new Error("the wrap holds a data key the blob does not commit to");
    } catch (cause) {
      failure = cause;
    } finally {
      wrapKey.fill(0);
    }
  }
  if (failure !== undefined) {
    throw new RecordCryptoError(
      "TAMPERED",
      "no key wrap of this recipient yields the blob's data key (altered, made for another record or " +
        "version, or holding a key the blob does not commit to)",
      { cause: failure },
    );
  }
  throw new RecordCryptoError("NOT_A_RECIPIENT", "no key wrap of this blob is for this private key");
}

/** Whether `dataKey` is the blob's: v3, the key commitment matches; v2, the body authenticates. */
function opensBody(envelope: EncryptedEnvelope, dataKey: Uint8Array, aad: Uint8Array): boolean {
  if (envelope.version === ENVELOPE_VERSION) {
    const { bodyKey, keyCommitment } = deriveBodyKey(dataKey, envelope.contextId);
    bodyKey.fill(0);
    return equalBytes(keyCommitment, envelope.keyCommitment);
  }
  try {
    gcm(dataKey, envelope.nonce, aad).decrypt(envelope.ciphertext).fill(0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decrypts a blob's body with its data key. A v3 blob's key commitment is checked first (a key the
 * blob does not commit to is refused before any decryption, `TAMPERED`).
 */
function decryptBody(envelope: EncryptedEnvelope, dataKey: Uint8Array, aad: Uint8Array): Uint8Array {
  let bodyKey = dataKey;
  if (envelope.version === ENVELOPE_VERSION) {
    const derived = deriveBodyKey(dataKey, envelope.contextId);
    if (!equalBytes(derived.keyCommitment, envelope.keyCommitment)) {
      derived.bodyKey.fill(0);
      throw new RecordCryptoError("TAMPERED", "the data key is not the one this blob commits to");
    }
    bodyKey = derived.bodyKey;
  }
  try {
    return gcm(bodyKey, envelope.nonce, aad).decrypt(envelope.ciphertext);
  } catch (cause) {
    throw new RecordCryptoError("TAMPERED", "the ciphertext fails authentication", { cause });
  } finally {
    if (bodyKey !== dataKey) bodyKey.fill(0);
  }
}

function unframe(frame: Uint8Array): Uint8Array {
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  const end = FRAME_LENGTH_BYTES + length;
  if (end > frame.length) throw malformed("the decrypted frame is shorter than its stated length");
  for (let i = end; i < frame.length; i++) {
    if (frame[i] !== 0) throw malformed("the decrypted frame has non-zero padding");
  }
  return frame.slice(FRAME_LENGTH_BYTES, end);
}

function toEnvelope(envelope: Uint8Array | EncryptedEnvelope): EncryptedEnvelope {
  // A parsed blob built by hand is validated by a round trip through the canonical encoding.
  return parseEnvelope(envelope instanceof Uint8Array ? envelope : serializeEnvelope(envelope));
}

function checkContext(envelope: EncryptedEnvelope, aad: Uint8Array): void {
  if (envelope.contextId.toLowerCase() !== keccak256(aad)) {
    throw new RecordCryptoError("WRONG_CONTEXT", "the blob was sealed for another (recordId, patientId)");
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
