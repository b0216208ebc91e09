import { randomBytes } from "node:crypto";

import { gcm } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { expect } from "chai";
import { SigningKey, concat, getBytes, hexlify, keccak256, toBeHex } from "ethers";

import {
  ECIES_INFO,
  ECIES_TAG_INFO,
  RecordCryptoError,
  addRecipients,
  decryptRecord,
  encryptRecord,
  encryptionPublicKeyFromParts,
  encryptionPublicKeyOf,
  encryptionPublicKeyParts,
  envelopeContentHash,
  generateEncryptionKeyPair,
  normalizeEncryptionPublicKey,
  parseEnvelope,
  recordAad,
  recordContextId,
  serializeEnvelope,
  unwrapDataKey,
  wrapKeyFor,
} from "../../src/crypto.ts";
import { expectError, flipByte, randomPatientId, randomRecordId } from "../helpers/record-crypto.ts";

// Envelope layout (see src/crypto.ts): header 40 bytes, then 109-byte entries, then nonce, length, ciphertext.
const HEADER = 40;
const ENTRY = 109;
const WRAPPED_KEY_OFFSET = 33 + 16 + 12;
const bodyOffset = (recipients: number): number => HEADER + ENTRY * recipients + 12 + 4;

const text = new TextDecoder();

function freshContext(): { recordId: string; patientId: bigint } {
  return { recordId: randomRecordId(), patientId: randomPatientId() };
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

  describe("recordAad", function () {
    it("is abi.encode(bytes32 recordId, uint256 patientId) and contextId is its keccak256", function () {
      const context = freshContext();
      const expected = concat([context.recordId, toBeHex(context.patientId, 32)]);
      expect(hexlify(recordAad(context))).to.equal(expected);
      expect(recordContextId(context)).to.equal(keccak256(expected));
    });

    it("rejects a recordId that is not bytes32 and a patientId outside uint256", async function () {
      const { recordId, patientId } = freshContext();
      await expectError(() => recordAad({ recordId: "0x1234", patientId }), RecordCryptoError, "INVALID_INPUT");
      await expectError(() => recordAad({ recordId, patientId: -1n }), RecordCryptoError, "INVALID_INPUT");
      await expectError(() => recordAad({ recordId, patientId: 1n << 256n }), RecordCryptoError, "INVALID_INPUT");
    });
  });

  describe("encryptRecord / decryptRecord", function () {
    it("round-trips a record for one recipient", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "héllo ✓", ...context, recipients: [reader.publicKey] });
      expect(sealed.contentHash).to.equal(keccak256(sealed.bytes));
      expect(sealed.envelope.recipients).to.have.length(1);
      const opened = decryptRecord({ envelope: sealed.bytes, ...context, privateKey: reader.privateKey });
      expect(text.decode(opened)).to.equal("héllo ✓");
    });

    it("round-trips a record for three recipients, each with its own key", function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const context = freshContext();
      const plaintext = new Uint8Array(randomBytes(1000));
      const sealed = encryptRecord({ plaintext, ...context, recipients: readers.map((r) => r.publicKey) });
      expect(sealed.envelope.recipients).to.have.length(3);
      expect(sealed.bytes).to.have.length(bodyOffset(3) + plaintext.length + 16);
      for (const reader of readers) {
        expect(decryptRecord({ envelope: sealed.bytes, ...context, privateKey: reader.privateKey })).to.deep.equal(
          plaintext,
        );
        // The parsed form works too, and a private key as bytes.
        expect(
          decryptRecord({ envelope: sealed.envelope, ...context, privateKey: getBytes(reader.privateKey) }),
        ).to.deep.equal(plaintext);
      }
    });

    it("does not name its recipients: no recipient public key or x coordinate appears in the blob", function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const sealed = encryptRecord({ plaintext: "x", ...freshContext(), recipients: readers.map((r) => r.publicKey) });
      const blob = hexlify(sealed.bytes);
      for (const reader of readers) expect(blob).to.not.contain(reader.publicKey.slice(4));
    });

    it("wraps a repeated recipient once, and the same input twice gives different envelopes", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const uncompressed = hexlify(secp256k1.Point.fromBytes(getBytes(reader.publicKey)).toBytes(false));
      const once = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey, uncompressed] });
      expect(once.envelope.recipients).to.have.length(1);
      const again = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey] });
      expect(again.contentHash).to.not.equal(once.contentHash);
      expect(again.envelope.ciphertext).to.not.deep.equal(once.envelope.ciphertext);
    });

    it("follows the documented ECIES scheme (an independent re-implementation unwraps the key)", function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "spec", ...context, recipients: [reader.publicKey] });
      const [entry] = sealed.envelope.recipients;
      const secret = getBytes(reader.privateKey);
      const shared = secp256k1.getSharedSecret(secret, entry.ephemeralPublicKey, true).subarray(1);
      const salt = getBytes(concat([entry.ephemeralPublicKey, reader.publicKey]));
      const wrapKey = hkdf(sha256, shared, salt, new TextEncoder().encode(ECIES_INFO), 32);
      expect(ECIES_INFO).to.equal("MedChain ECIES v1");
      expect(hkdf(sha256, shared, salt, new TextEncoder().encode(ECIES_TAG_INFO), 16)).to.deep.equal(
        entry.recipientTag,
      );
      const aad = getBytes(concat([context.recordId, toBeHex(context.patientId, 32)]));
      const dataKey = gcm(wrapKey, entry.nonce, aad).decrypt(entry.wrappedKey);
      const plaintext = gcm(dataKey, sealed.envelope.nonce, aad).decrypt(sealed.envelope.ciphertext);
      expect(text.decode(plaintext)).to.equal("spec");
    });

    it("rejects a reader who is not a recipient with NOT_A_RECIPIENT", async function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const outsider = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: readers.map((r) => r.publicKey) });
      await expectError(
        () => decryptRecord({ envelope: sealed.bytes, ...context, privateKey: outsider.privateKey }),
        RecordCryptoError,
        "NOT_A_RECIPIENT",
      );
      await expectError(
        () => unwrapDataKey({ envelope: sealed.bytes, ...context, privateKey: outsider.privateKey }),
        RecordCryptoError,
        "NOT_A_RECIPIENT",
      );
    });

    it("reports a flipped ciphertext byte (body or GCM tag) as TAMPERED", async function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "a lab result", ...context, recipients: [reader.publicKey] });
      const body = bodyOffset(1);
      for (const index of [body, body + 5, sealed.bytes.length - 1]) {
        await expectError(
          () => decryptRecord({ envelope: flipByte(sealed.bytes, index), ...context, privateKey: reader.privateKey }),
          RecordCryptoError,
          "TAMPERED",
        );
      }
      // The body nonce is authenticated too (it feeds GCM).
      await expectError(
        () => decryptRecord({ envelope: flipByte(sealed.bytes, body - 16), ...context, privateKey: reader.privateKey }),
        RecordCryptoError,
        "TAMPERED",
      );
    });

    it("reports a flipped byte in a recipient's wrapped key as TAMPERED, leaving the others readable", async function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: readers.map((r) => r.publicKey) });
      const tampered = flipByte(sealed.bytes, HEADER + WRAPPED_KEY_OFFSET + 7);
      const outcomes = await Promise.all(
        readers.map(async (reader) => {
          try {
            decryptRecord({ envelope: tampered, ...context, privateKey: reader.privateKey });
            return "ok";
          } catch (error) {
            return (error as RecordCryptoError).code;
          }
        }),
      );
      // The first entry (in canonical order) belongs to exactly one of the two readers.
      expect([...outcomes].sort()).to.deep.equal(["TAMPERED", "ok"]);
    });

    it("reports a blob presented for another recordId or patientId as WRONG_CONTEXT", async function () {
      const reader = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: [reader.publicKey] });
      const privateKey = reader.privateKey;
      await expectError(
        () =>
          decryptRecord({
            envelope: sealed.bytes,
            recordId: randomRecordId(),
            patientId: context.patientId,
            privateKey,
          }),
        RecordCryptoError,
        "WRONG_CONTEXT",
      );
      await expectError(
        () =>
          decryptRecord({
            envelope: sealed.bytes,
            recordId: context.recordId,
            patientId: randomPatientId(),
            privateKey,
          }),
        RecordCryptoError,
        "WRONG_CONTEXT",
      );
    });

    it("reports a swapped blob whose contextId was rewritten to fit as TAMPERED (the AAD binds the context)", async function () {
      const reader = generateEncryptionKeyPair();
      const original = freshContext();
      const target = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...original, recipients: [reader.publicKey] });
      const forged = serializeEnvelope({ ...sealed.envelope, contextId: recordContextId(target) });
      await expectError(
        () => decryptRecord({ envelope: forged, ...target, privateKey: reader.privateKey }),
        RecordCryptoError,
        "TAMPERED",
      );
    });

    it("rejects bad keys and arguments with INVALID_KEY / INVALID_INPUT", async function () {
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
      await expectError(
        () => decryptRecord({ envelope: sealed.bytes, ...context, privateKey: toBeHex(0n, 32) }),
        RecordCryptoError,
        "INVALID_KEY",
      );
      await expectError(
        () => decryptRecord({ envelope: sealed.bytes, ...context, privateKey: "0x1234" }),
        RecordCryptoError,
        "INVALID_KEY",
      );
    });
  });

  describe("serializeEnvelope / parseEnvelope", function () {
    it("writes the documented layout", function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "abc", ...context, recipients: readers.map((r) => r.publicKey) });
      const b = sealed.bytes;
      expect(new TextDecoder().decode(b.subarray(0, 4))).to.equal("MCRE");
      expect([b[4], b[5]]).to.deep.equal([1, 1]);
      expect(hexlify(b.subarray(6, 38))).to.equal(recordContextId(context));
      expect((b[38] << 8) | b[39]).to.equal(2);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      expect(view.getUint32(bodyOffset(2) - 4)).to.equal(3 + 16);
      expect(b).to.have.length(bodyOffset(2) + 3 + 16);
    });

    it("is canonical: parse then serialize gives the same bytes and hash, whatever the recipient order", function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const sealed = encryptRecord({ plaintext: "x", ...freshContext(), recipients: readers.map((r) => r.publicKey) });
      const parsed = parseEnvelope(sealed.bytes);
      expect(serializeEnvelope(parsed)).to.deep.equal(sealed.bytes);
      expect(envelopeContentHash(parsed)).to.equal(sealed.contentHash);
      const reordered = { ...parsed, recipients: [...parsed.recipients].reverse() };
      expect(keccak256(serializeEnvelope(reordered))).to.equal(sealed.contentHash);
    });

    it("rejects non-canonical or broken bytes with MALFORMED", async function () {
      const readers = [generateEncryptionKeyPair(), generateEncryptionKeyPair()];
      const sealed = encryptRecord({ plaintext: "x", ...freshContext(), recipients: readers.map((r) => r.publicKey) });
      const b = sealed.bytes;
      const swappedEntries = concat([
        b.subarray(0, HEADER),
        b.subarray(HEADER + ENTRY, HEADER + 2 * ENTRY),
        b.subarray(HEADER, HEADER + ENTRY),
        b.subarray(HEADER + 2 * ENTRY),
      ]);
      const zeroCount = b.slice();
      zeroCount[38] = 0;
      zeroCount[39] = 0;
      const cases: [Uint8Array, RegExp][] = [
        [getBytes(concat([b, "0x00"])), /length does not match/],
        [b.subarray(0, b.length - 1), /length does not match/],
        [b.subarray(0, 20), /too short/],
        [flipByte(b, 0), /bad magic/],
        [getBytes(swappedEntries), /ascending order/],
        [zeroCount, /no wrapped keys/],
        [flipByte(b, bodyOffset(2) - 1), /length does not match/],
        [flipByte(b, HEADER, 0x07), /must be compressed/],
      ];
      for (const [bytes, reason] of cases) {
        const error = await expectError(() => parseEnvelope(bytes), RecordCryptoError, "MALFORMED");
        expect(error.message).to.match(reason);
      }
    });

    it("rejects an unknown version or suite with UNSUPPORTED_VERSION", async function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const v2 = sealed.bytes.slice();
      v2[4] = 2;
      await expectError(() => parseEnvelope(v2), RecordCryptoError, "UNSUPPORTED_VERSION");
      const suite2 = sealed.bytes.slice();
      suite2[5] = 2;
      await expectError(() => parseEnvelope(suite2), RecordCryptoError, "UNSUPPORTED_VERSION");
    });

    it("rejects a duplicated wrapped key when serialising", async function () {
      const sealed = encryptRecord({
        plaintext: "x",
        ...freshContext(),
        recipients: [generateEncryptionKeyPair().publicKey],
      });
      const [entry] = sealed.envelope.recipients;
      await expectError(
        () => serializeEnvelope({ ...sealed.envelope, recipients: [entry, entry] }),
        RecordCryptoError,
        "MALFORMED",
      );
    });
  });

  describe("unwrapDataKey / wrapKeyFor / addRecipients", function () {
    it("lets a recipient add a grantee later: same ciphertext, new content hash", async function () {
      const custodian = generateEncryptionKeyPair();
      const grantee = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "later", ...context, recipients: [custodian.publicKey] });
      await expectError(
        () => decryptRecord({ envelope: sealed.bytes, ...context, privateKey: grantee.privateKey }),
        RecordCryptoError,
        "NOT_A_RECIPIENT",
      );

      const dataKey = unwrapDataKey({ envelope: sealed.bytes, ...context, privateKey: custodian.privateKey });
      expect(dataKey).to.have.length(32);
      const extended = addRecipients({ envelope: sealed.bytes, dataKey, recipients: [grantee.publicKey], ...context });
      expect(extended.envelope.recipients).to.have.length(2);
      expect(extended.envelope.ciphertext).to.deep.equal(sealed.envelope.ciphertext);
      expect(extended.contentHash).to.not.equal(sealed.contentHash);
      for (const reader of [custodian, grantee]) {
        const plain = decryptRecord({ envelope: extended.bytes, ...context, privateKey: reader.privateKey });
        expect(text.decode(plain)).to.equal("later");
      }
    });

    it("wrapKeyFor makes an entry the grantee can open once added to the envelope", function () {
      const custodian = generateEncryptionKeyPair();
      const grantee = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "slip", ...context, recipients: [custodian.publicKey] });
      const dataKey = unwrapDataKey({ envelope: sealed.bytes, ...context, privateKey: custodian.privateKey });
      const entry = wrapKeyFor({ dataKey, recipient: grantee.publicKey, ...context });
      const envelope = { ...sealed.envelope, recipients: [...sealed.envelope.recipients, entry] };
      expect(text.decode(decryptRecord({ envelope, ...context, privateKey: grantee.privateKey }))).to.equal("slip");
    });

    it("refuses a data key that does not open the envelope, or another record's context", async function () {
      const custodian = generateEncryptionKeyPair();
      const grantee = generateEncryptionKeyPair();
      const context = freshContext();
      const sealed = encryptRecord({ plaintext: "x", ...context, recipients: [custodian.publicKey] });
      await expectError(
        () =>
          addRecipients({
            envelope: sealed.bytes,
            dataKey: new Uint8Array(randomBytes(32)),
            recipients: [grantee.publicKey],
            ...context,
          }),
        RecordCryptoError,
        "INVALID_KEY",
      );
      const dataKey = unwrapDataKey({ envelope: sealed.bytes, ...context, privateKey: custodian.privateKey });
      await expectError(
        () =>
          addRecipients({
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
