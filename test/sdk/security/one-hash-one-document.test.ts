/**
 * Rule: one anchored content hash opens to one document (issue #15, "One hash, one document").
 *
 * The attack, as the reviewer wrote it: a dishonest sealer builds one blob that authenticates under
 * two data keys (AES-GCM does not commit to its key: the "invisible salamanders" construction), wraps
 * one key for the lab and the other for the insurer, and anchors the blob's hash once. The lab reads
 * "BENIGN", the insurer "MALIGNANT, chemotherapy billed" — same hash, two documents.
 *
 * Version 2 blobs (no key commitment) are still read and are documented as "trusting the sealer": the
 * first test shows the attack works on them. Version 3 writes an HKDF key commitment into the header
 * (covered by the content hash) and checks it before accepting a wrap or decrypting: the attack fails.
 */
import { randomBytes } from "node:crypto";

import { gcm } from "@noble/ciphers/aes.js";
import { expect } from "chai";
import { keccak256 } from "ethers";

import {
  RecordCryptoError,
  buildKeyWrap,
  decryptRecord,
  deriveBodyKey,
  generateEncryptionKeyPair,
  recordAad,
  recordContextId,
  serializeEnvelope,
  unwrapDataKey,
  wrapDataKey,
} from "../../../src/crypto.ts";
import { expectError, randomPatientId, randomRecordId } from "../../helpers/record-crypto.ts";
import { buildSalamander } from "../../helpers/salamander.ts";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const BENIGN = "BENIGN";
const MALIGNANT = "MALIGNANT, chemotherapy billed";

function contains(haystack: Uint8Array, needle: string): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe("security: one hash, one document (key-committing envelopes)", function () {
  this.timeout(60_000);

  it("the attack works on a v2 blob (no key commitment: v2 trusts its sealer)", function () {
    const context = { recordId: randomRecordId(), patientId: randomPatientId() };
    const lab = generateEncryptionKeyPair();
    const insurer = generateEncryptionKeyPair();
    const k1 = new Uint8Array(randomBytes(32));
    const k2 = new Uint8Array(randomBytes(32));
    const forged = buildSalamander(k1, k2, recordAad(context), utf8.encode(BENIGN), utf8.encode(MALIGNANT));
    const blob = serializeEnvelope({
      version: 2,
      suite: 1,
      contextId: recordContextId(context),
      nonce: forged.nonce,
      ciphertext: forged.ciphertext,
    });
    const contentHash = keccak256(blob); // anchored once
    // The SDK itself accepts both keys for a v2 blob: each decrypts it.
    const keyWraps = [
      ...wrapDataKey({ envelope: blob, dataKey: k1, recipients: [lab.publicKey], ...context }),
      ...wrapDataKey({ envelope: blob, dataKey: k2, recipients: [insurer.publicKey], ...context }),
    ];
    const labReads = decryptRecord({ envelope: blob, keyWraps, ...context, privateKey: lab.privateKey });
    const insurerReads = decryptRecord({ envelope: blob, keyWraps, ...context, privateKey: insurer.privateKey });
    expect(keccak256(blob)).to.equal(contentHash);
    expect(text.decode(labReads.subarray(0, BENIGN.length))).to.equal(BENIGN);
    expect(contains(labReads, MALIGNANT)).to.equal(false);
    expect(contains(insurerReads, MALIGNANT)).to.equal(true);
    expect(Buffer.from(labReads).equals(Buffer.from(insurerReads))).to.equal(false);
  });

  it("fails on a v3 blob: the key the blob does not commit to is refused (wrapping, unwrapping, decrypting)", async function () {
    const context = { recordId: randomRecordId(), patientId: randomPatientId() };
    const contextId = recordContextId(context);
    const lab = generateEncryptionKeyPair();
    const insurer = generateEncryptionKeyPair();
    const dk1 = new Uint8Array(randomBytes(32));
    const dk2 = new Uint8Array(randomBytes(32));
    const b1 = deriveBodyKey(dk1, contextId);
    const b2 = deriveBodyKey(dk2, contextId);
    // The same construction on the two body keys: the body itself still authenticates under both.
    const aad = recordAad(context);
    const forged = buildSalamander(b1.bodyKey, b2.bodyKey, aad, utf8.encode(BENIGN), utf8.encode(MALIGNANT));
    const frame2 = gcm(b2.bodyKey, forged.nonce, aad).decrypt(forged.ciphertext);
    expect(contains(frame2, MALIGNANT)).to.equal(true);

    for (const [committed, other, honestReader, cheated, shows] of [
      [dk1, dk2, lab, insurer, BENIGN],
      [dk2, dk1, insurer, lab, MALIGNANT],
    ] as const) {
      const blob = serializeEnvelope({
        version: 3,
        suite: 1,
        contextId,
        keyCommitment: deriveBodyKey(committed, contextId).keyCommitment,
        nonce: forged.nonce,
        ciphertext: forged.ciphertext,
      });
      const contentHash = keccak256(blob);
      // The SDK refuses to wrap the other key for this blob …
      const refusal = await expectError(
        () => wrapDataKey({ envelope: blob, dataKey: other, recipients: [cheated.publicKey], ...context }),
        RecordCryptoError,
        "INVALID_KEY",
      );
      expect(refusal.message).to.match(/not the one this blob commits to/);
      // … so the sealer builds that wrap by hand, for the same content hash.
      const keyWraps = [
        ...wrapDataKey({ envelope: blob, dataKey: committed, recipients: [honestReader.publicKey], ...context }),
        buildKeyWrap({
          ...context,
          contentHash,
          dataKey: other,
          recipient: cheated.publicKey,
          ephemeralSecretKey: generateEncryptionKeyPair().privateKey as unknown as Uint8Array,
          nonce: new Uint8Array(randomBytes(12)),
        }),
      ];
      const honest = decryptRecord({ envelope: blob, keyWraps, ...context, privateKey: honestReader.privateKey });
      expect(contains(honest, shows)).to.equal(true);
      for (const action of [
        () => unwrapDataKey({ envelope: blob, keyWraps, ...context, privateKey: cheated.privateKey }),
        () => decryptRecord({ envelope: blob, keyWraps, ...context, privateKey: cheated.privateKey }),
      ]) {
        const error = await expectError(action, RecordCryptoError, "TAMPERED");
        expect(error.message).to.match(/does not commit to/);
      }
    }
  });
});
