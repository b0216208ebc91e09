/**
 * The "invisible salamanders" construction against AES-256-GCM (Dodis, Grubbs, Ristenpart, Woodage
 * 2018): one ciphertext and tag that authenticate under two keys, decrypting to two different frames.
 * Written out here as the dishonest sealer would, using only public primitives (AES-GCM from noble,
 * AES-ECB from node:crypto to search nonces) and GF(2^128) arithmetic; no SDK code.
 *
 * How: GCM is CTR-mode encryption plus a GHASH tag, and GHASH is linear in the ciphertext blocks. For
 * keys k1, k2 and one nonce, the sealer fixes every ciphertext byte but one 16-byte block X, so that
 * the frame under k1 is `len1 ‖ msg1 ‖ … ‖ zeros` and under k2 `len2 ‖ … ‖ msg2 ‖ …` (each
 * message sits where the other frame has "free" bytes), then solves the linear equation
 * `tag_k1(X) = tag_k2(X)` for X. The frame's length field is the only byte range both readers check,
 * so the nonce is searched until the two key streams agree on the high bits of the first four bytes.
 */
import { createCipheriv, randomBytes } from "node:crypto";

import { gcm } from "@noble/ciphers/aes.js";

/** The frame size of the forged body (a padding bucket: what the SDK's padding would produce). */
export const SALAMANDER_FRAME = 1 << 16;

const R = 0xe1n << 120n;
const ONE = 1n << 127n; // the GCM field's unit (bit-reflected convention)

function toBig(block: Uint8Array): bigint {
  let x = 0n;
  for (const b of block) x = (x << 8n) | BigInt(b);
  return x;
}

function toBlock(x: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Multiplication in GF(2^128) as GCM defines it (NIST SP 800-38D, algorithm 1). */
function gfMul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

/** x^(2^128 − 2) = x^(−1). */
function gfInv(x: bigint): bigint {
  let result = ONE;
  let base = x;
  let e = (1n << 128n) - 2n;
  while (e > 0n) {
    if (e & 1n) result = gfMul(result, base);
    base = gfMul(base, base);
    e >>= 1n;
  }
  return result;
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** A nonce for which the first 4 key-stream bytes of k1 and k2 differ only in their low 16 bits. */
function searchNonce(k1: Uint8Array, k2: Uint8Array): { nonce: Uint8Array; d: number } | undefined {
  const count = 1 << 19;
  const nonces = randomBytes(count * 12);
  const blocks = Buffer.alloc(count * 16);
  for (let i = 0; i < count; i++) {
    nonces.copy(blocks, i * 16, i * 12, i * 12 + 12);
    blocks.writeUInt32BE(2, i * 16 + 12); // counter 2: the first block of key stream (J0 + 1)
  }
  const ecb = (key: Uint8Array): Buffer =>
    createCipheriv("aes-256-ecb", key, null).setAutoPadding(false).update(blocks);
  const s1 = ecb(k1);
  const s2 = ecb(k2);
  for (let i = 0; i < count; i++) {
    const d = (s1.readUInt32BE(i * 16) ^ s2.readUInt32BE(i * 16)) >>> 0;
    const len1 = (SALAMANDER_FRAME - 4) ^ d;
    if (d !== 0 && d < 1 << 16 && len1 >= 1024 && len1 <= SALAMANDER_FRAME - 64) {
      return { nonce: new Uint8Array(nonces.subarray(i * 12, i * 12 + 12)), d };
    }
  }
  return undefined;
}

/** A forged body: one nonce and one ciphertext (frame ‖ tag) valid under both keys. */
export interface Salamander {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/**
 * Builds a ciphertext valid under the body keys `k1` and `k2` (with additional data `aad`): under k1
 * the frame's plaintext starts with `msg1`; under k2 it holds `msg2` at byte 64 of the plaintext.
 * Both frames are well formed (length field in range, zero padding under k1; k2's frame has none).
 */
export function buildSalamander(
  k1: Uint8Array,
  k2: Uint8Array,
  aad: Uint8Array,
  msg1: Uint8Array,
  msg2: Uint8Array,
): Salamander {
  const n = SALAMANDER_FRAME;
  if (msg1.length > 60 || msg2.length > 60) throw new Error("salamander: messages of at most 60 bytes");
  let found = searchNonce(k1, k2);
  while (found === undefined) found = searchNonce(k1, k2);
  const { nonce } = found;
  const len1 = (n - 4) ^ found.d;
  const stream = (key: Uint8Array): Uint8Array => gcm(key, nonce, aad).encrypt(new Uint8Array(n)).subarray(0, n);
  const ks1 = stream(k1);
  const ks2 = stream(k2);
  // Start from "frame 1 is all zeros", i.e. C = KS1; then write the fields.
  const c = ks1.slice();
  const lenBytes = new Uint8Array(4);
  new DataView(lenBytes.buffer).setUint32(0, len1);
  c.set(xor(lenBytes, ks1.subarray(0, 4)), 0); // frame 1: len1; frame 2: len1 ^ d = n - 4
  c.set(xor(msg1, ks1.subarray(4, 4 + msg1.length)), 4); // frame 1 reads msg1 here
  const at2 = 4 + 64;
  c.set(xor(msg2, ks2.subarray(at2, at2 + msg2.length)), at2); // frame 2 reads msg2 here
  const free = 4 + 64 + 64 + 12; // a 16-byte aligned block inside frame 1's plaintext, after both messages
  if (free % 16 !== 0 || free + 16 > 4 + len1) throw new Error("salamander layout");
  const tag = (key: Uint8Array, ks: Uint8Array, x: bigint): bigint => {
    const trial = c.slice();
    trial.set(toBlock(x), free);
    return toBig(gcm(key, nonce, aad).encrypt(xor(trial, ks)).subarray(n));
  };
  // tag_k(X) = tag_k(0) ⊕ X·h_k (affine in X): h_k = tag_k(1) ⊕ tag_k(0).
  const t1 = tag(k1, ks1, 0n);
  const t2 = tag(k2, ks2, 0n);
  const h1 = tag(k1, ks1, ONE) ^ t1;
  const h2 = tag(k2, ks2, ONE) ^ t2;
  const x = gfMul(t1 ^ t2, gfInv(h1 ^ h2));
  c.set(toBlock(x), free);
  const sealed1 = gcm(k1, nonce, aad).encrypt(xor(c, ks1));
  const sealed2 = gcm(k2, nonce, aad).encrypt(xor(c, ks2));
  if (toBig(sealed1.subarray(n)) !== toBig(sealed2.subarray(n))) throw new Error("salamander: tags differ");
  return { nonce, ciphertext: sealed1 };
}
