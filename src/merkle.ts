/**
 * TypeScript twins of the SupplyChain contract's lot and serial hashes, and the serial Merkle tree a
 * manufacturer commits when it commissions a lot (DESIGN.md §4).
 *
 * The tree is OpenZeppelin's `StandardMerkleTree` over `[uint256 index, bytes32 serialHash]`: leaves are
 * double-hashed and pairs are hashed sorted, so a proof verifies with OpenZeppelin's `MerkleProof`.
 *
 * @module
 */

import { keccak_256 } from "@noble/hashes/sha3.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, concat, hexlify, isHexString, keccak256, toUtf8Bytes } from "ethers";

import { assertSerial, Gs1Error } from "./gs1.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** A leaf value of the serial tree: `[index, serialHash]`, encoded as `["uint256", "bytes32"]`. */
export type SerialLeafValue = [bigint, string];

/** A lot's serial tree, as far as a verifier needs it. */
export interface SerialProofs {
  /** The Merkle root committed by `commissionLot(…, serialsRoot)`. */
  root: string;
  /** The number of serials (`quantity` in `commissionLot`); the leaf indexes are `0 … quantity - 1`. */
  quantity: bigint;
  /** The Merkle proof of the serial at `index` (siblings from the leaf up), as `dispense`/`verifyUnit` take it. */
  proof(index: bigint | number): string[];
  /** The index of a serial in this lot, or `undefined` if the lot does not contain it. */
  indexOf(serial: string): bigint | undefined;
}

/** A lot's serial tree with the OpenZeppelin tree behind it. */
export interface SerialTree extends SerialProofs {
  /** The underlying OpenZeppelin tree (its value `i` is `[i, serialHash(serials[i])]`). */
  tree: StandardMerkleTree<SerialLeafValue>;
}

/** Why a serial tree or proof operation was refused. */
export type MerkleErrorCode = "EMPTY_LOT" | "DUPLICATE_SERIAL" | "INDEX_OUT_OF_RANGE" | "BAD_INPUT";

/** Thrown for an invalid serial list, index or hash input. The message names the bad value. */
export class MerkleError extends Error {
  readonly code: MerkleErrorCode;

  constructor(code: MerkleErrorCode, message: string) {
    super(message);
    this.name = "MerkleError";
    this.code = code;
  }
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

/** The ABI types of a serial leaf's value, as `StandardMerkleTree` and the contract encode it. */
export const SERIAL_LEAF_ENCODING: readonly ["uint256", "bytes32"] = ["uint256", "bytes32"];

const abi = AbiCoder.defaultAbiCoder();
const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;

// ─── Hash twins ──────────────────────────────────────────────────────────────────────────────────

/**
 * `keccak256(bytes(serial))` over the serial's UTF-8 bytes. The contract takes this `bytes32 serialHash`,
 * never the serial string, so no serial number is written on chain in clear.
 */
export function serialHash(serial: string): string {
  return keccak256(toUtf8Bytes(serial));
}

/** `keccak256(bytes(lot))` over the lot number's UTF-8 bytes. */
export function lotHash(lot: string): string {
  return keccak256(toUtf8Bytes(lot));
}

/**
 * The contract's lot id:
 *
 * ```solidity
 * lotId = keccak256(abi.encode(uint64 gtin, bytes32 lotHash));
 * ```
 *
 * @param gtin the GTIN as a number (`gtinToUint`).
 * @param lotHash `lotHash(lot)`.
 */
export function lotId(gtin: bigint, lotHash: string): string {
  if (typeof gtin !== "bigint" || gtin < 0n || gtin > MAX_UINT64) {
    throw new MerkleError("BAD_INPUT", `lotId: gtin ${String(gtin)} is not a uint64`);
  }
  checkBytes32("lotId: lotHash", lotHash);
  return keccak256(abi.encode(["uint64", "bytes32"], [gtin, lotHash]));
}

/**
 * The serial tree's leaf for the unit at `index`, exactly the contract's encoding:
 *
 * ```solidity
 * leaf = keccak256(bytes.concat(keccak256(abi.encode(uint256 index, bytes32 serialHash))));
 * ```
 *
 * where `serialHash = keccak256(bytes(serial))` ({@link serialHash}). The double hash stops an inner
 * node (64 bytes) passing as a leaf; the index stops one serial being dispensed twice under two indexes.
 * It equals `StandardMerkleTree`'s leaf hash for the value `[index, serialHash]`.
 */
export function serialLeaf(index: bigint, serial: string): string {
  checkIndex(index, MAX_UINT256 + 1n);
  const inner = keccak256(abi.encode(SERIAL_LEAF_ENCODING, [index, serialHash(serial)]));
  return keccak256(concat([inner]));
}

/** OpenZeppelin's `Hashes.commutativeKeccak256`: the keccak256 of the two nodes, smaller first. */
export function hashPair(a: string, b: string): string {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return keccak256(x < y ? concat([x, y]) : concat([y, x]));
}

/** OpenZeppelin's `MerkleProof.processProof`: the root reached from `leaf` by hashing in each proof node, sorted. */
export function processProof(leaf: string, proof: readonly string[]): string {
  checkBytes32("processProof: leaf", leaf);
  return proof.reduce((node, sibling, i) => {
    checkBytes32(`processProof: proof[${i}]`, sibling);
    return hashPair(node, sibling);
  }, leaf.toLowerCase());
}

/** Whether `proof` shows that `serial` is the unit at `index` of the lot committed as `root` (as `MerkleProof.verify`). */
export function verifySerialProof(root: string, index: bigint, serial: string, proof: readonly string[]): boolean {
  checkBytes32("verifySerialProof: root", root);
  return processProof(serialLeaf(index, serial), proof) === root.toLowerCase();
}

// ─── Tree ────────────────────────────────────────────────────────────────────────────────────────

/**
 * Builds a lot's serial tree: leaf `i` is {@link serialLeaf}`(i, serials[i])`, i.e. `StandardMerkleTree`
 * over `[i, serialHash(serials[i])]`. Each serial must be a valid GS1 serial (1–20 characters of
 * character set 82) so that it can be printed and scanned.
 *
 * @throws {MerkleError} `EMPTY_LOT` or `DUPLICATE_SERIAL`; {@link Gs1Error} for an invalid serial.
 */
export function buildSerialTree(serials: readonly string[]): SerialTree {
  const indexes = indexSerials(serials);
  const values = serials.map((serial, i): SerialLeafValue => [BigInt(i), serialHash(serial)]);
  const tree = StandardMerkleTree.of(values, [...SERIAL_LEAF_ENCODING]);
  const quantity = BigInt(serials.length);
  return {
    root: tree.root,
    quantity,
    tree,
    proof(index) {
      return tree.getProof(checkIndex(index, quantity));
    },
    indexOf(serial) {
      const i = indexes.get(serial);
      return i === undefined ? undefined : BigInt(i);
    },
  };
}

/**
 * The same tree as {@link buildSerialTree} — same root, same proofs, same node layout — built directly
 * on bytes and kept packed: one 32-byte node per slot of a single buffer (about 64 bytes per unit, plus
 * the serial → index map), with proofs computed on demand. About three times faster than going through
 * `StandardMerkleTree` (the rest is keccak itself) and about a fifth of its memory, so it suits lots of
 * 100,000 units and stores holding many lots (`scripts/bench-merkle.ts`). Same validation and errors as
 * {@link buildSerialTree}, which stays the reference: tests check both give the same root and proofs.
 */
export function buildCompactSerialTree(serials: readonly string[], options: TreeBuildOptions = {}): SerialProofs {
  const indexes = indexSerials(serials);
  const progress = progressReporter(2 * serials.length - 1, options.onProgress);
  const { nodes, positions } = layOutTree(hashLeaves(serials, progress), progress);
  const quantity = BigInt(serials.length);
  return {
    root: hexlify(nodes.subarray(0, NODE)),
    quantity,
    proof(index) {
      const proof: string[] = [];
      for (let j = positions[checkIndex(index, quantity)]; j > 0; j = (j - 1) >> 1) {
        const sibling = j % 2 === 1 ? j + 1 : j - 1;
        proof.push(hexlify(nodes.subarray(sibling * NODE, (sibling + 1) * NODE)));
      }
      return proof;
    },
    indexOf(serial) {
      const i = indexes.get(serial);
      return i === undefined ? undefined : BigInt(i);
    },
  };
}

/** Options of {@link buildCompactSerialTree}. */
export interface TreeBuildOptions {
  /**
   * Called as the build advances with `done` of `total` hashing steps (the n leaves, then the n − 1 inner
   * nodes), every 65,536 steps and once at the end: for a progress line on lots of a million units.
   */
  onProgress?: (done: number, total: number) => void;
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

const NODE = 32;

/** Validates a lot's serials (non-empty list, valid GS1 serials, no duplicates) and maps each to its index. */
function indexSerials(serials: readonly string[]): Map<string, number> {
  if (!Array.isArray(serials) || serials.length === 0) {
    throw new MerkleError("EMPTY_LOT", "serial tree: a lot needs at least one serial");
  }
  const indexes = new Map<string, number>();
  for (let i = 0; i < serials.length; i++) {
    const serial = serials[i];
    try {
      assertSerial(serial);
    } catch (error) {
      if (error instanceof Gs1Error) {
        throw new Gs1Error(error.code, `serials[${i}]: ${error.message}`, { ai: "21", value: error.value });
      }
      throw error;
    }
    const previous = indexes.get(serial);
    if (previous !== undefined) {
      throw new MerkleError(
        "DUPLICATE_SERIAL",
        `serial tree: serial ${JSON.stringify(serial)} appears twice, at indexes ${previous} and ${i}`,
      );
    }
    indexes.set(serial, i);
  }
  return indexes;
}

/** Leaf `i` is keccak256(keccak256(abi.encode(uint256 i, bytes32 serialHash))), i.e. serialLeaf(i, serials[i]). */
function hashLeaves(serials: readonly string[], progress: (step: number) => void): Uint8Array {
  const utf8 = new TextEncoder();
  const word = new Uint8Array(64);
  const view = new DataView(word.buffer);
  const leaves = new Uint8Array(serials.length * NODE);
  for (let i = 0; i < serials.length; i++) {
    // abi.encode(uint256 i): bytes 0–27 stay zero, i big-endian in 28–31 (a lot has far fewer than 2^32 units).
    view.setUint32(28, i);
    word.set(keccak_256(utf8.encode(serials[i])), 32);
    leaves.set(keccak_256(keccak_256(word)), i * NODE);
    progress(1);
  }
  return leaves;
}

/**
 * OpenZeppelin's `StandardMerkleTree` layout: leaves sorted ascending, the k-th smallest at node
 * 2n − 2 − k; node j's children are 2j + 1 and 2j + 2; a parent is the commutative keccak of its children.
 * Returns the nodes (32 bytes each) and, for each leaf index, the node holding it.
 */
function layOutTree(
  leaves: Uint8Array,
  progress: (step: number) => void,
): { nodes: Uint8Array; positions: Uint32Array } {
  const n = leaves.length / NODE;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => compareNodes(leaves, a * NODE, leaves, b * NODE));
  const nodes = new Uint8Array((2 * n - 1) * NODE);
  const positions = new Uint32Array(n);
  order.forEach((valueIndex, k) => {
    const position = 2 * n - 2 - k;
    positions[valueIndex] = position;
    nodes.set(leaves.subarray(valueIndex * NODE, (valueIndex + 1) * NODE), position * NODE);
  });
  const pair = new Uint8Array(64);
  for (let j = n - 2; j >= 0; j--) {
    const left = (2 * j + 1) * NODE;
    const right = left + NODE;
    const [first, second] = compareNodes(nodes, left, nodes, right) <= 0 ? [left, right] : [right, left];
    pair.set(nodes.subarray(first, first + NODE), 0);
    pair.set(nodes.subarray(second, second + NODE), 32);
    nodes.set(keccak_256(pair), j * NODE);
    progress(1);
  }
  return { nodes, positions };
}

/** Counts hashing steps and calls `onProgress` every 65,536 of them and at the last one. */
function progressReporter(total: number, onProgress?: (done: number, total: number) => void): (step: number) => void {
  if (onProgress === undefined) return () => {};
  let done = 0;
  return (step) => {
    done += step;
    if (done % 65_536 === 0 || done === total) onProgress(done, total);
  };
}

/** Compares two 32-byte nodes as big-endian numbers. */
function compareNodes(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  for (let k = 0; k < NODE; k++) {
    const d = a[i + k] - b[j + k];
    if (d !== 0) return d;
  }
  return 0;
}

/** Checks `0 <= index < limit` and returns it as a number when it fits one (tree indexes always do). */
function checkIndex(index: bigint | number, limit: bigint): number {
  const ok =
    (typeof index === "bigint" || (typeof index === "number" && Number.isSafeInteger(index))) &&
    BigInt(index) >= 0n &&
    BigInt(index) < limit;
  if (!ok) {
    throw new MerkleError("INDEX_OUT_OF_RANGE", `index ${String(index)} is not an integer in [0, ${limit})`);
  }
  return Number(index);
}

function checkBytes32(what: string, value: string): void {
  if (!isHexString(value, 32)) {
    throw new MerkleError("BAD_INPUT", `${what} ${JSON.stringify(value)} is not a 0x-prefixed bytes32`);
  }
}
