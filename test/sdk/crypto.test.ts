import { randomBytes } from "node:crypto";

import { gcm } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { expect } from "chai";
import { AbiCoder, SigningKey, concat, getBytes, hexlify, keccak256, toBeHex } from "ethers";

import {
  BODY_KEY_INFO,
  ECIES_INFO,
  ECIES_TAG_INFO,
  KEY_COMMITMENT_INFO,
  ENVELOPE_HEADER_LENGTH,
  KEY_WRAP_LENGTH,
  MAX_PLAINTEXT_LENGTH,
  PADDING_MIN_BUCKET,
  RecordCryptoError,
  decryptRecord,
  encryptRecord,
  encryptionPublicKeyFromParts,
  encryptionPublicKeyOf,
  encryptionPublicKeyParts,
  envelopeContentHash,
  generateEncryptionKeyPair,
  keyWrapAad,
  normalizeEncryptionPublicKey,
  paddedLength,
  parseEnvelope,
  parseKeyWrap,
  recordAad,
  recordContextId,
  serializeEnvelope,
  serializeKeyWrap,
  unwrapDataKey,
  wrapDataKey,
} from "../../src/crypto.ts";
import { expectError, flipByte, randomPatientId, randomRecordId } from "../helpers/record-crypto.ts";

// Layouts (see src/crypto.ts). Blob v3: 82-byte header (magic 4, version 1, suite 1, contextId 32,
// keyCommitment 32, nonce 12), then ciphertext (v2: no keyCommitment, 50 bytes). Key wrap: 147 bytes.
const HEADER = 82;
const COMMITMENT_AT = 38;
const NONCE_AT = 70;
const WRAP = { contentHash: 6, ephemeral: 38, tag: 71, nonce: 87, wrappedKey: 99, end: 147 };

const text = new TextDecoder();
const utf8 = new TextEncoder();
const abi = AbiCoder.defaultAbiCoder();

type Context = { recordId: string; patientId: bigint };

function freshContext(): Context {
  return { recordId: randomRecordId(), patientId: randomPatientId() };
}

/** A copy of a serialised key wrap claiming another content hash (its authenticated data unchanged). */
function withContentHash(keyWrap: Uint8Array, contentHash: string): Uint8Array {
  const copy = keyWrap.slice();
  copy.set(getBytes(contentHash), WRAP.contentHash);
  return copy;
}

/**
 * An independent implementation of the documented key wrap (noble + ethers, no SDK code): what a
 * party who knows a data key could build for any context and content hash.
 */
function specWrap(dataKey: Uint8Array, recipient: string, context: Context & { contentHash: string }): Uint8Array {
  const e = secp256k1.utils.randomSecretKey();
  const E = secp256k1.getPublicKey(e, true);
  const S = secp256k1.getSharedSecret(e, getBytes(recipient), true).subarray(1);
  const salt = getBytes(concat([E, recipient]));
  const wrapKey = hkdf(sha256, S, salt, utf8.encode("MedChain ECIES v2"), 32);
  const tag = hkdf(sha256, S, salt, utf8.encode("MedChain ECIES v2 recipient tag"), 16);
  const aad = getBytes(
    abi.encode(["bytes32", "uint256", "bytes32"], [context.recordId, context.patientId, context.contentHash]),
  );
  const nonce = new Uint8Array(randomBytes(12));
  const wrapped = gcm(wrapKey, nonce, aad).encrypt(dataKey);
  return getBytes(concat(["0x4d43524b", "0x02", "0x01", context.contentHash, E, tag, nonce, wrapped]));
}

/** An independent implementation of the documented blob (v3, or v2), with a caller-chosen frame. */
function specBlob(
  dataKey: Uint8Array,
  frame: Uint8Array,
  context: Context,
  version: 2 | 3 = 3,
): { bytes: Uint8Array; contentHash: string } {
  const aad = getBytes(abi.encode(["bytes32", "uint256"], [context.recordId, context.patientId]));
  const contextId = keccak256(aad);
  const nonce = new Uint8Array(randomBytes(12));
  if (version === 2) {
    const ciphertext = gcm(dataKey, nonce, aad).encrypt(frame);
    const bytes = getBytes(concat(["0x4d435245", "0x02", "0x01", contextId, nonce, ciphertext]));
    return { bytes, contentHash: keccak256(bytes) };
  }
  const bodyKey = hkdf(sha256, dataKey, getBytes(contextId), utf8.encode("MedChain record v3 body key"), 32);
  const commit = hkdf(sha256, dataKey, getBytes(contextId), utf8.encode("MedChain record v3 key commitment"), 32);
  const ciphertext = gcm(bodyKey, nonce, aad).encrypt(frame);
  const bytes = getBytes(concat(["0x4d435245", "0x03", "0x01", contextId, commit, nonce, ciphertext]));
  return { bytes, contentHash: keccak256(bytes) };
}

/** The recipient's own wrap among `keyWraps` (found by trying each alone). */
function ownWrap(keyWraps: Uint8Array[], blob: Uint8Array, context: Context, privateKey: string): Uint8Array {
  const own = keyWraps.filter((w) => {
    try {
      unwrapDataKey({ envelope: blob, keyWraps: [w], ...context, privateKey });
      return true;
    } catch {
      return false;
    }
  });
  expect(own).to.have.length(1);
  return own[0];
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
    return "ok";
  } catch (error) {
    return (error as RecordCryptoError).code;
  }
}

describe("crypto", function () {
  describe("generateEncryptionKeyPair", function () {
    it("returns a 32-byte private key and its 33-byte compressed public key", function () {
      const pair = generateEncryptionKeyPair();
      expect(getBytes(pair.privateKey)).to.have.length(32);
      expect(getBytes(pair.publicKey)).to.have.length(33);
      expect(pair.publicKey).to.match(/^0x0[23][0-9a-f]{64}$/);
      expect(encryptionPublicKeyOf(pair.privateKey)).to.equal(pair.publicKey);
      expect(generateEncryptionKeyPair().privateKey).to.not.equal(pair.privateKey);
    });
  });

  describe("encryptionPublicKeyParts", function () {
    it("splits a compressed key into (prefix, x) and rebuilds it", function () {
      for (let i = 0; i < 8; i++) {
        const { publicKey } = generateEncryptionKeyPair();
        const parts = encryptionPublicKeyParts(publicKey);
        expect(parts.prefix).to.equal(publicKey.slice(0, 4));
        expect(parts.x).to.equal("0x" + publicKey.slice(4));
        expect(encryptionPublicKeyFromParts(parts)).to.equal(publicKey);
      }
    });

    it("accepts an uncompressed (ethers SigningKey) public key and compresses it", function () {
      const signingKey = new SigningKey(hexlify(randomBytes(32)));
      expect(normalizeEncryptionPublicKey(signingKey.publicKey)).to.equal(signingKey.compressedPublicKey);
      expect(encryptionPublicKeyParts(signingKey.publicKey).x).to.equal("0x" + signingKey.compressedPublicKey.slice(4));
    });

    it("rejects a prefix other than 0x02/0x03 and an x that is not on the curve", async function () {
      const { x } = encryptionPublicKeyParts(generateEncryptionKeyPair().publicKey);
      await expectError(() => encryptionPublicKeyFromParts({ prefix: "0x04", x }), RecordCryptoError, "INVALID_KEY");
      // About half of all x values are not on secp256k1; find one deterministically.
      let offCurve: string | undefined;
      for (let i = 1n; offCurve === undefined; i++) {
        const candidate = toBeHex(i, 32);
        try {
          secp256k1.Point.fromBytes(getBytes(concat(["0x02", candidate])));
        } catch {
          offCurve = candidate;
        }
      }
      await expectError(
        () => encryptionPublicKeyFromParts({ prefix: "0x02", x: offCurve }),
        RecordCryptoError,
        "INVALID_KEY",
      );
    });
  });

  describe("recordAad / keyWrapAad", function () {
    it("is abi.encode(bytes32 recordId, uint256 patientId) and contextId is its keccak256", function () {
      const context = freshContext();
      const expected = concat([context.recordId, toBeHex(context.patientId, 32)]);
      expect(hexlify(recordAad(context))).to.equal(expected);
      expect(recordContextId(context)).to.equal(keccak256(expected));
    });

    it("binds a key wrap to abi.encode(bytes32 recordId, uint256 patientId, bytes32 contentHash)", async function () {
      const context = freshContext();
      const contentHash = keccak256("0x1234");
      expect(hexlify(keyWrapAad({ ...context, contentHash }))).to.equal(
        concat([context.recordId, toBeHex(context.patientId, 32), contentHash]),
      );
      await expectError(() => keyWrapAad({ ...context, contentHash: "0x12" }), RecordCryptoError, "INVALID_INPUT");
    });

    it("rejects a recordId that is not bytes32 and a patientId outside uint256", async function () {
      const { recordId, patientId } = freshContext();
      await expectError(() => recordAad({ recordId: "0x1234", patientId }), RecordCryptoError, "INVALID_INPUT");
      await expectError(() => recordAad({ recordId, patientId: -1n }), RecordCryptoError, "INVALID_INPUT");
      await expectError(() => recordAad({ recordId, patientId: 1n << 256n }), RecordCryptoError, "INVALID_INPUT");
    });
  });

  describe("padding", function () {
    it("frames 4 + n bytes into the next power of two, at least 256; without padding exactly 4 + n", async function () {
      expect(PADDING_MIN_BUCKET).to.equal(256);
      const cases: [number, number][] = [
        [0, 256],
        [1, 256],
        [252, 256],
        [253, 512],
        [508, 512],
        [509, 1024],
        [1000, 1024],
        [4092, 4096],
        [4093, 8192],
      ];
      for (const [n, bucket] of cases) {
        expect(paddedLength(n), `n = ${n}`).to.equal(bucket);
        expect(paddedLength(n, true)).to.equal(bucket);
        expect(paddedLength(n, false)).to.equal(4 + n);
      }
      expect(paddedLength(MAX_PLAINTEXT_LENGTH)).to.equal(2 ** 31);
      for (const bad of [-1, 1.5, MAX_PLAINTEXT_LENGTH + 1, NaN]) {
        await expectError(() => paddedLength(bad), RecordCryptoError, "INVALID_INPUT");
      }
    });

    it("hides lengths within a bucket: plaintexts of 0…252 bytes give equally long blobs", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const lengths = [0, 1, 17, 100, 200, 252];
      const blobs = lengths.map((n) => {
        const plaintext = new Uint8Array(randomBytes(n));
        const sealed = encryptRecord({ plaintext, ...context, recipients: [reader.publicKey] });
        const opened = decryptRecord({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...reader });
        expect(opened).to.deep.equal(plaintext);
        return sealed.bytes;
      });
      expect(new Set(blobs.map((b) => b.length))).to.deep.equal(new Set([HEADER + 256 + 16]));
      const next = encryptRecord({ plaintext: new Uint8Array(253), ...context, recipients: [reader.publicKey] });
      expect(next.bytes).to.have.length(HEADER + 512 + 16);
      const large = encryptRecord({ plaintext: new Uint8Array(3000), ...context, recipients: [reader.publicKey] });
      expect(large.bytes).to.have.length(HEADER + 4096 + 16);
    });

    it("can be turned off, and then the blob length reveals the plaintext length", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      for (const n of [0, 1, 100, 252, 253]) {
        const plaintext = new Uint8Array(randomBytes(n));
        const sealed = encryptRecord({ plaintext, ...context, recipients: [reader.publicKey], padding: false });
        expect(sealed.bytes).to.have.length(HEADER + 4 + n + 16);
        const opened = decryptRecord({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...reader });
        expect(opened).to.deep.equal(plaintext);
      }
    });

    it("frames the plaintext as uint32 length ‖ plaintext ‖ zeros (checked by an independent decryption)", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "abc", ...context, recipients: [reader.publicKey] });
      const dataKey = unwrapDataKey({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...reader });
      const contextId = recordContextId(context);
      const bodyKey = hkdf(sha256, dataKey, getBytes(contextId), utf8.encode("MedChain record v3 body key"), 32);
      const frame = gcm(bodyKey, sealed.envelope.nonce, recordAad(context)).decrypt(sealed.envelope.ciphertext);
      expect(frame).to.have.length(256);
      expect(hexlify(frame.subarray(0, 7))).to.equal("0x00000003616263");
      expect(frame.subarray(7).every((b) => b === 0)).to.equal(true);
    });

    it("rejects an authenticated frame with non-zero padding or an overlong length as MALFORMED", async function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const dataKey = new Uint8Array(randomBytes(32));
      const frames = [
        getBytes(concat(["0x00000001", "0x41", "0x0001"])), // non-zero padding
        getBytes(concat(["0x00000009", "0x4142"])), // states 9 bytes, holds 2
      ];
      for (const frame of frames) {
        for (const version of [3, 2] as const) {
          const blob = specBlob(dataKey, frame, context, version);
          const keyWraps = [specWrap(dataKey, reader.publicKey, { ...context, contentHash: blob.contentHash })];
          await expectError(
            () => decryptRecord({ envelope: blob.bytes, keyWraps, ...context, ...reader }),
            RecordCryptoError,
            "MALFORMED",
          );
        }
      }
    });
  });

  describe("encryptRecord / decryptRecord", function () {
    it("round-trips a record for one recipient; the blob holds no key material", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "héllo ✓", ...context, recipients: [reader.publicKey] });
      expect(sealed.contentHash).to.equal(keccak256(sealed.bytes));
      expect(sealed.bytes).to.have.length(HEADER + 256 + 16);
      expect(sealed.keyWraps).to.have.length(1);
      expect(sealed.keyWraps[0]).to.have.length(KEY_WRAP_LENGTH);
      expect(parseKeyWrap(sealed.keyWraps[0]).contentHash).to.equal(sealed.contentHash);
      const opened = decryptRecord({
        envelope: sealed.bytes,
        keyWraps: sealed.keyWraps,
        ...context,
        privateKey: reader.privateKey,
      });
      expect(text.decode(opened)).to.equal("héllo ✓");
    });

    it("round-trips a record for three recipients, each with its own wrap", function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const context = freshContext();
      const plaintext = new Uint8Array(randomBytes(1000));
      const sealed = encryptRecord({ plaintext, ...context, recipients: readers.map((r) => r.publicKey) });
      expect(sealed.keyWraps).to.have.length(3);
      expect(sealed.bytes).to.have.length(HEADER + 1024 + 16); // independent of the number of recipients
      const sorted = [...sealed.keyWraps].sort((a, b) => (hexlify(a) < hexlify(b) ? -1 : 1));
      expect(sealed.keyWraps).to.deep.equal(sorted);
      for (const reader of readers) {
        const { keyWraps } = sealed;
        expect(
          decryptRecord({ envelope: sealed.bytes, keyWraps, ...context, privateKey: reader.privateKey }),
        ).to.deep.equal(plaintext);
        // The parsed forms work too, and a private key as bytes.
        expect(
          decryptRecord({
            envelope: sealed.envelope,
            keyWraps: keyWraps.map(parseKeyWrap),
            ...context,
            privateKey: getBytes(reader.privateKey),
          }),
        ).to.deep.equal(plaintext);
      }
    });

    it("does not name its recipients: no public key or x coordinate in the blob or the wraps", function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const sealed = encryptRecord({ plaintext: "x", ...freshContext(), recipients: readers.map((r) => r.publicKey) });
      const all = hexlify(concat([sealed.bytes, ...sealed.keyWraps]));
      for (const reader of readers) expect(all).to.not.contain(reader.publicKey.slice(4));
    });

    it("wraps a repeated recipient once, and the same input twice gives different blobs", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const uncompressed = hexlify(secp256k1.Point.fromBytes(getBytes(reader.publicKey)).toBytes(false));
      const once = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey, uncompressed] });
      expect(once.keyWraps).to.have.length(1);
      const again = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey] });
      expect(again.contentHash).to.not.equal(once.contentHash);
      expect(again.envelope.ciphertext).to.not.deep.equal(once.envelope.ciphertext);
    });

    it("follows the documented scheme (an independent re-implementation unwraps and decrypts)", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "spec", ...context, recipients: [reader.publicKey] });
      const w = sealed.keyWraps[0];
      expect(hexlify(w.subarray(0, 6))).to.equal("0x4d43524b0201");
      expect(hexlify(w.subarray(WRAP.contentHash, WRAP.ephemeral))).to.equal(sealed.contentHash);
      const E = w.subarray(WRAP.ephemeral, WRAP.tag);
      const S = secp256k1.getSharedSecret(getBytes(reader.privateKey), E, true).subarray(1);
      const salt = getBytes(concat([E, reader.publicKey]));
      expect(ECIES_INFO).to.equal("MedChain ECIES v2");
      expect(ECIES_TAG_INFO).to.equal("MedChain ECIES v2 recipient tag");
      expect(hkdf(sha256, S, salt, utf8.encode(ECIES_TAG_INFO), 16)).to.deep.equal(w.subarray(WRAP.tag, WRAP.nonce));
      const wrapKey = hkdf(sha256, S, salt, utf8.encode(ECIES_INFO), 32);
      const wrapAad = getBytes(concat([context.recordId, toBeHex(context.patientId, 32), sealed.contentHash]));
      const dataKey = gcm(wrapKey, w.subarray(WRAP.nonce, WRAP.wrappedKey), wrapAad).decrypt(
        w.subarray(WRAP.wrappedKey, WRAP.end),
      );
      const aad = getBytes(concat([context.recordId, toBeHex(context.patientId, 32)]));
      const bodySalt = getBytes(keccak256(aad));
      expect(BODY_KEY_INFO).to.equal("MedChain record v3 body key");
      expect(KEY_COMMITMENT_INFO).to.equal("MedChain record v3 key commitment");
      expect(hkdf(sha256, dataKey, bodySalt, utf8.encode(KEY_COMMITMENT_INFO), 32)).to.deep.equal(
        sealed.bytes.subarray(COMMITMENT_AT, NONCE_AT),
      );
      const bodyKey = hkdf(sha256, dataKey, bodySalt, utf8.encode(BODY_KEY_INFO), 32);
      const frame = gcm(bodyKey, sealed.bytes.subarray(NONCE_AT, HEADER), aad).decrypt(sealed.bytes.subarray(HEADER));
      expect(text.decode(frame.subarray(4, 8))).to.equal("spec");
      // And the SDK opens a wrap made by the re-implementation.
      const foreign = specWrap(dataKey, reader.publicKey, { ...context, contentHash: sealed.contentHash });
      const opened = decryptRecord({ envelope: sealed.bytes, keyWraps: [foreign], ...context, ...reader });
      expect(text.decode(opened)).to.equal("spec");
    });

    it("rejects a reader who is not a recipient with NOT_A_RECIPIENT", async function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const outsider = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: readers.map((r) => r.publicKey) });
      const params = { envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, privateKey: outsider.privateKey };
      await expectError(() => decryptRecord(params), RecordCryptoError, "NOT_A_RECIPIENT");
      await expectError(() => unwrapDataKey(params), RecordCryptoError, "NOT_A_RECIPIENT");
    });

    it("reports SHREDDED to every recipient when no wrap for this blob exists", async function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: readers.map((r) => r.publicKey) });
      const older = encryptRecord({ plaintext: "x", ...context, recipients: readers.map((r) => r.publicKey) });
      for (const reader of [...readers, generateEncryptionKeyPair()]) {
        for (const keyWraps of [[], older.keyWraps]) {
          await expectError(
            () => decryptRecord({ envelope: sealed.bytes, keyWraps, ...context, privateKey: reader.privateKey }),
            RecordCryptoError,
            "SHREDDED",
          );
        }
      }
    });

    it("reports a flipped ciphertext byte (body, GCM tag or nonce) as TAMPERED", async function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "a lab result", ...context, recipients: [reader.publicKey] });
      for (const index of [HEADER, HEADER + 5, sealed.bytes.length - 1, NONCE_AT, COMMITMENT_AT, NONCE_AT - 1]) {
        const envelope = flipByte(sealed.bytes, index);
        // A wrap bound to the altered blob's hash, made by someone who knows the data key: only the
        // ciphertext's own authentication is left to catch the change.
        const dataKey = unwrapDataKey({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...reader });
        const keyWraps = [specWrap(dataKey, reader.publicKey, { ...context, contentHash: keccak256(envelope) })];
        await expectError(
          () => decryptRecord({ envelope, keyWraps, ...context, ...reader }),
          RecordCryptoError,
          "TAMPERED",
        );
        // With the genuine wraps, the altered blob has no wrap at all.
        await expectError(
          () => decryptRecord({ envelope, keyWraps: sealed.keyWraps, ...context, ...reader }),
          RecordCryptoError,
          "SHREDDED",
        );
      }
    });

    it("reports a flipped byte in a recipient's wrapped key or wrap nonce as TAMPERED, others unaffected", async function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: readers.map((r) => r.publicKey) });
      const victim = ownWrap(sealed.keyWraps, sealed.bytes, context, readers[0].privateKey);
      const other = ownWrap(sealed.keyWraps, sealed.bytes, context, readers[1].privateKey);
      for (const index of [WRAP.wrappedKey + 7, WRAP.nonce, WRAP.end - 1]) {
        const keyWraps = [flipByte(victim, index), other];
        const outcomes = await Promise.all(
          readers.map((reader) =>
            codeOf(() => decryptRecord({ envelope: sealed.bytes, keyWraps, ...context, ...reader })),
          ),
        );
        expect(outcomes).to.deep.equal(["TAMPERED", "ok"]);
      }
      // An altered tag: the recipient no longer recognises its wrap.
      const keyWraps = [flipByte(victim, WRAP.tag + 3), other];
      await expectError(
        () => decryptRecord({ envelope: sealed.bytes, keyWraps, ...context, ...readers[0] }),
        RecordCryptoError,
        "NOT_A_RECIPIENT",
      );
    });

    it("reports a blob presented for another recordId or patientId as WRONG_CONTEXT", async function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey] });
      const base = { envelope: sealed.bytes, keyWraps: sealed.keyWraps, privateKey: reader.privateKey };
      await expectError(
        () => decryptRecord({ ...base, recordId: randomRecordId(), patientId: context.patientId }),
        RecordCryptoError,
        "WRONG_CONTEXT",
      );
      await expectError(
        () => decryptRecord({ ...base, recordId: context.recordId, patientId: randomPatientId() }),
        RecordCryptoError,
        "WRONG_CONTEXT",
      );
    });

    it("fails a wrap copied to another record: ignored as is, TAMPERED with its content hash rewritten", async function () {
      const reader = generateEncryptionKeyPair();
      const other = generateEncryptionKeyPair();
      const a = freshContext();
      const b = freshContext();
      const sealedA = encryptRecord({ plaintext: "A", ...a, recipients: [reader.publicKey] });
      const sealedB = encryptRecord({ plaintext: "B", ...b, recipients: [other.publicKey] });
      const [wrapA] = sealedA.keyWraps;
      const open = (keyWraps: Uint8Array[], privateKey = reader.privateKey) =>
        decryptRecord({ envelope: sealedB.bytes, keyWraps, ...b, privateKey });
      await expectError(() => open([...sealedB.keyWraps, wrapA]), RecordCryptoError, "NOT_A_RECIPIENT");
      const moved = withContentHash(wrapA, sealedB.contentHash);
      await expectError(() => open([...sealedB.keyWraps, moved]), RecordCryptoError, "TAMPERED");
      // The injected wrap does not disturb B's own recipient.
      expect(text.decode(open([moved, ...sealedB.keyWraps], other.privateKey))).to.equal("B");
      // Even a blob moved along with its wraps (contextId and content hashes rewritten) fails.
      const forgedBlob = serializeEnvelope({ ...sealedA.envelope, contextId: recordContextId(b) });
      await expectError(
        () =>
          decryptRecord({
            envelope: forgedBlob,
            keyWraps: [withContentHash(wrapA, keccak256(forgedBlob))],
            ...b,
            ...reader,
          }),
        RecordCryptoError,
        "TAMPERED",
      );
    });

    it("fails a wrap of an older version (other content hash) of the same record", async function () {
      const stays = generateEncryptionKeyPair();
      const dropped = generateEncryptionKeyPair();
      const context = freshContext();
      const v1 = encryptRecord({ plaintext: "v1", ...context, recipients: [stays.publicKey, dropped.publicKey] });
      const v2 = encryptRecord({ plaintext: "v2", ...context, recipients: [stays.publicKey] });
      const keyWraps = [...v1.keyWraps, ...v2.keyWraps]; // one record's set holds both versions
      const open = (envelope: Uint8Array, wraps: Uint8Array[], privateKey: string) =>
        decryptRecord({ envelope, keyWraps: wraps, ...context, privateKey });
      expect(text.decode(open(v2.bytes, keyWraps, stays.privateKey))).to.equal("v2");
      expect(text.decode(open(v1.bytes, keyWraps, dropped.privateKey))).to.equal("v1");
      await expectError(() => open(v2.bytes, keyWraps, dropped.privateKey), RecordCryptoError, "NOT_A_RECIPIENT");
      const v1Wrap = ownWrap(v1.keyWraps, v1.bytes, context, dropped.privateKey);
      const relabelled = withContentHash(v1Wrap, v2.contentHash);
      await expectError(
        () => open(v2.bytes, [...v2.keyWraps, relabelled], dropped.privateKey),
        RecordCryptoError,
        "TAMPERED",
      );
      await expectError(() => open(v2.bytes, v1.keyWraps, stays.privateKey), RecordCryptoError, "SHREDDED");
    });

    it("binds the body to its context: a data-key holder cannot move a blob to another record (TAMPERED)", async function () {
      const reader = generateEncryptionKeyPair();
      const original = freshContext();
      const target = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...original, recipients: [reader.publicKey] });
      const dataKey = unwrapDataKey({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...original, ...reader });
      const forged = serializeEnvelope({ ...sealed.envelope, contextId: recordContextId(target) });
      const keyWraps = [specWrap(dataKey, reader.publicKey, { ...target, contentHash: keccak256(forged) })];
      await expectError(
        () => decryptRecord({ envelope: forged, keyWraps, ...target, ...reader }),
        RecordCryptoError,
        "TAMPERED",
      );
    });

    it("rejects bad keys and arguments with INVALID_KEY / INVALID_INPUT, and a garbled wrap as MALFORMED", async function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      await expectError(
        () => encryptRecord({ plaintext: "x", ...context, recipients: [] }),
        RecordCryptoError,
        "INVALID_INPUT",
      );
      await expectError(
        () => encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey.slice(0, -2)] }),
        RecordCryptoError,
        "INVALID_KEY",
      );
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey] });
      const base = { envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context };
      await expectError(
        () => decryptRecord({ ...base, privateKey: toBeHex(0n, 32) }),
        RecordCryptoError,
        "INVALID_KEY",
      );
      await expectError(() => decryptRecord({ ...base, privateKey: "0x1234" }), RecordCryptoError, "INVALID_KEY");
      await expectError(
        () => decryptRecord({ ...base, keyWraps: [sealed.keyWraps[0].subarray(1)], privateKey: reader.privateKey }),
        RecordCryptoError,
        "MALFORMED",
      );
    });
  });

  describe("serializeEnvelope / parseEnvelope", function () {
    it("writes the documented layout", function () {
      const context = freshContext();
      const sealed = encryptRecord({
        plaintext: "abc",
        ...context,
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const b = sealed.bytes;
      expect(ENVELOPE_HEADER_LENGTH).to.equal(HEADER);
      expect(text.decode(b.subarray(0, 4))).to.equal("MCRE");
      expect([b[4], b[5]]).to.deep.equal([3, 1]);
      expect(hexlify(b.subarray(6, 38))).to.equal(recordContextId(context));
      expect(sealed.envelope.version).to.equal(3);
      if (sealed.envelope.version !== 3) throw new Error("unreachable");
      expect(b.subarray(COMMITMENT_AT, NONCE_AT)).to.deep.equal(sealed.envelope.keyCommitment);
      expect(b.subarray(NONCE_AT, HEADER)).to.deep.equal(sealed.envelope.nonce);
      expect(b.subarray(HEADER)).to.deep.equal(sealed.envelope.ciphertext);
      expect(b).to.have.length(HEADER + 256 + 16);
    });

    it("is canonical: parse then serialize gives the same bytes and hash", function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const parsed = parseEnvelope(sealed.bytes);
      expect(serializeEnvelope(parsed)).to.deep.equal(sealed.bytes);
      expect(envelopeContentHash(parsed)).to.equal(sealed.contentHash);
      expect(envelopeContentHash(sealed.bytes)).to.equal(sealed.contentHash);
    });

    it("rejects broken bytes with MALFORMED", async function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const b = sealed.bytes;
      const cases: [Uint8Array, RegExp][] = [
        [b.subarray(0, 5), /too short/],
        [flipByte(b, 0), /bad magic/],
        [b.subarray(0, HEADER + 19), /shorter than a frame length and a GCM tag/],
      ];
      for (const [bytes, reason] of cases) {
        const error = await expectError(() => parseEnvelope(bytes), RecordCryptoError, "MALFORMED");
        expect(error.message).to.match(reason);
      }
      expect(parseEnvelope(b.subarray(0, HEADER + 20)).ciphertext).to.have.length(20);
      await expectError(
        () => serializeEnvelope({ ...sealed.envelope, nonce: new Uint8Array(11) }),
        RecordCryptoError,
        "MALFORMED",
      );
    });

    it("rejects version 1 (wraps inside the blob) and an unknown suite with UNSUPPORTED_VERSION", async function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const v1 = sealed.bytes.slice();
      v1[4] = 1;
      await expectError(() => parseEnvelope(v1), RecordCryptoError, "UNSUPPORTED_VERSION");
      const v4 = sealed.bytes.slice();
      v4[4] = 4;
      await expectError(() => parseEnvelope(v4), RecordCryptoError, "UNSUPPORTED_VERSION");
      const suite2 = sealed.bytes.slice();
      suite2[5] = 2;
      await expectError(() => parseEnvelope(suite2), RecordCryptoError, "UNSUPPORTED_VERSION");
    });
  });

  describe("serializeKeyWrap / parseKeyWrap", function () {
    it("writes the documented 147-byte layout and round-trips", function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const [w] = sealed.keyWraps;
      expect(KEY_WRAP_LENGTH).to.equal(WRAP.end);
      expect(w).to.have.length(147);
      expect(text.decode(w.subarray(0, 4))).to.equal("MCRK");
      expect([w[4], w[5]]).to.deep.equal([2, 1]);
      const parsed = parseKeyWrap(w);
      expect(parsed.contentHash).to.equal(sealed.contentHash);
      expect(hexlify(parsed.ephemeralPublicKey)).to.match(/^0x0[23]/);
      expect(serializeKeyWrap(parsed)).to.deep.equal(w);
    });

    it("rejects broken wraps with MALFORMED and another version with UNSUPPORTED_VERSION", async function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const [w] = sealed.keyWraps;
      const cases: [Uint8Array, RegExp][] = [
        [w.subarray(0, 3), /too short/],
        [flipByte(w, 1), /bad key wrap magic/],
        [w.subarray(0, 146), /147 bytes/],
        [getBytes(concat([w, "0x00"])), /147 bytes/],
        [flipByte(w, WRAP.ephemeral, 0x07), /must be compressed/],
      ];
      for (const [bytes, reason] of cases) {
        const error = await expectError(() => parseKeyWrap(bytes), RecordCryptoError, "MALFORMED");
        expect(error.message).to.match(reason);
      }
      await expectError(() => parseKeyWrap(flipByte(w, 4, 0x03)), RecordCryptoError, "UNSUPPORTED_VERSION");
      await expectError(
        () => serializeKeyWrap({ ...parseKeyWrap(w), wrappedKey: new Uint8Array(32) }),
        RecordCryptoError,
        "MALFORMED",
      );
    });
  });

  describe("unwrapDataKey / wrapDataKey", function () {
    it("lets a recipient add a grantee later: same blob, same content hash, one more wrap", async function () {
      const custodian = generateEncryptionKeyPair();
      const grantee = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "later", ...context, recipients: [custodian.publicKey] });
      const blobBefore = sealed.bytes.slice();
      await expectError(
        () => decryptRecord({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...grantee }),
        RecordCryptoError,
        "NOT_A_RECIPIENT",
      );

      const dataKey = unwrapDataKey({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...custodian });
      expect(dataKey).to.have.length(32);
      const added = wrapDataKey({ envelope: sealed.bytes, dataKey, recipients: [grantee.publicKey], ...context });
      expect(added).to.have.length(1);
      expect(parseKeyWrap(added[0]).contentHash).to.equal(sealed.contentHash);
      expect(sealed.bytes).to.deep.equal(blobBefore);
      expect(keccak256(sealed.bytes)).to.equal(sealed.contentHash);
      const keyWraps = [...sealed.keyWraps, ...added];
      for (const reader of [custodian, grantee]) {
        const plain = decryptRecord({ envelope: sealed.bytes, keyWraps, ...context, privateKey: reader.privateKey });
        expect(text.decode(plain)).to.equal("later");
      }
    });

    it("refuses a data key that does not open the blob, or another record's context", async function () {
      const custodian = generateEncryptionKeyPair();
      const grantee = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: [custodian.publicKey] });
      await expectError(
        () =>
          wrapDataKey({
            envelope: sealed.bytes,
            dataKey: new Uint8Array(randomBytes(32)),
            recipients: [grantee.publicKey],
            ...context,
          }),
        RecordCryptoError,
        "INVALID_KEY",
      );
      const dataKey = unwrapDataKey({ envelope: sealed.bytes, keyWraps: sealed.keyWraps, ...context, ...custodian });
      await expectError(
        () =>
          wrapDataKey({
            envelope: sealed.bytes,
            dataKey,
            recipients: [grantee.publicKey],
            recordId: randomRecordId(),
            patientId: context.patientId,
          }),
        RecordCryptoError,
        "WRONG_CONTEXT",
      );
    });
  });
});
