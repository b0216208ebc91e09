import { keccak_256 } from "@noble/hashes/sha3.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { bytesToHex } from "@noble/hashes/utils.js";

import { Gs1Error } from "../../src/gs1.ts";
import {
  buildCompactSerialTree,
  buildSerialTree,
  hashPair,
  lotHash,
  lotId,
  MerkleError,
  type MerkleErrorCode,
  processProof,
  SERIAL_LEAF_ENCODING,
  serialHash,
  serialLeaf,
  verifySerialProof,
} from "../../src/merkle.ts";
import { catchError, fakeSerials } from "../helpers/sdk.ts";

// An encoding path independent of ethers' AbiCoder: raw bytes laid out by hand, hashed with @noble/hashes.
const hex = (bytes: Uint8Array) => `0x${bytesToHex(bytes)}`;
const fromHex = (value: string) => Uint8Array.from(Buffer.from(value.slice(2), "hex"));
const word = (n: bigint) => fromHex(`0x${n.toString(16).padStart(64, "0")}`);
const keccak = (...parts: Uint8Array[]) => hex(keccak_256(Buffer.concat(parts)));

/** keccak256(keccak256(abi.encode(uint256 index, bytes32 serialHash))) with abi.encode done by hand. */
function leafByHand(index: bigint, serial: string): string {
  const serialHashBytes = keccak_256(new TextEncoder().encode(serial));
  return keccak(fromHex(keccak(word(index), serialHashBytes)));
}

/** MerkleProof's commutative hash, by hand on bytes. */
function pairByHand(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak(fromHex(a), fromHex(b)) : keccak(fromHex(b), fromHex(a));
}

function expectMerkleError(fn: () => unknown, code: MerkleErrorCode, ...fragments: string[]): void {
  const error = catchError(fn);
  expect(error).to.be.instanceOf(MerkleError);
  expect((error as MerkleError).code, (error as Error).message).to.equal(code);
  for (const fragment of fragments) expect((error as Error).message).to.include(fragment);
}

const VECTOR_SERIALS = ["SN-A1", "SN-B2", "SN-C3", "SN-D4", "SN-E5"];
const VECTOR_ROOT = "0xec72f82ec2db6669bbd4df6128b62ee82c7ee635d186b824468df63c75818e04";

describe("serialHash", function () {
  it("is keccak256 of the serial's UTF-8 bytes", function () {
    expect(serialHash("")).to.equal("0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect(serialHash("abc")).to.equal("0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    expect(serialHash("SN123")).to.equal(keccak(new TextEncoder().encode("SN123")));
    expect(serialHash("\u00e9")).to.equal(keccak(Uint8Array.of(0xc3, 0xa9)));
  });
});

describe("lotHash", function () {
  it("is keccak256 of the lot's UTF-8 bytes", function () {
    expect(lotHash("LOT42")).to.equal(keccak(new TextEncoder().encode("LOT42")));
    expect(lotHash("LOT42")).to.not.equal(lotHash("lot42"));
  });
});

describe("lotId", function () {
  it("is keccak256(abi.encode(uint64 gtin, bytes32 lotHash))", function () {
    const gtin = 9501101020917n;
    expect(lotId(gtin, lotHash("LOT42"))).to.equal(keccak(word(gtin), fromHex(lotHash("LOT42"))));
  });

  it("matches the pinned vector for GTIN 09501101020917, lot LOT42", function () {
    expect(lotId(9501101020917n, lotHash("LOT42"))).to.equal(
      "0x68b5485c61619abfca061ffb361458033574e0c68ec20cafeb96fceec86342d5",
    );
  });

  it("differs between GTINs and between lots", function () {
    const base = lotId(9501101020917n, lotHash("LOT42"));
    expect(lotId(19501101020914n, lotHash("LOT42"))).to.not.equal(base);
    expect(lotId(9501101020917n, lotHash("LOT43"))).to.not.equal(base);
  });

  it("rejects a GTIN number outside uint64 and a lot hash that is not bytes32", function () {
    expectMerkleError(() => lotId(1n << 64n, lotHash("L")), "BAD_INPUT", "uint64");
    expectMerkleError(() => lotId(-1n, lotHash("L")), "BAD_INPUT", "-1");
    expectMerkleError(() => lotId(1n, "0x1234"), "BAD_INPUT", '"0x1234"');
    expectMerkleError(() => lotId(1n, "LOT42"), "BAD_INPUT", '"LOT42"');
  });
});

describe("serialLeaf", function () {
  it("equals StandardMerkleTree's leaf hash for [index, serialHash(serial)]", function () {
    const tree = StandardMerkleTree.of([[0n, serialHash("X")]], [...SERIAL_LEAF_ENCODING]);
    for (const [index, serial] of [
      [0n, "SN-A1"],
      [1n, "SN-A1"],
      [99_999n, "ZZZZZZZZZZZZZZZZZZZZ"],
      [(1n << 256n) - 1n, "!"],
    ] as const) {
      expect(serialLeaf(index, serial)).to.equal(tree.leafHash([index, serialHash(serial)]));
    }
  });

  it("equals the double keccak of abi.encode(index, serialHash) laid out by hand", function () {
    for (const serial of fakeSerials(20, "leaf")) {
      for (const index of [0n, 5n, 123_456_789n]) {
        expect(serialLeaf(index, serial)).to.equal(leafByHand(index, serial));
      }
    }
  });

  it("matches the pinned vectors", function () {
    expect(serialLeaf(0n, "SN-A1")).to.equal("0x6e20cd7a0166fa485d3252f6f5cbcb9150b7a52862d1e478e9b500c79f399910");
    expect(serialLeaf(7n, "SN-A1")).to.equal("0xcbc792f11f31d8414361043a3a93ed4050d63a6dfdfa823c99fe0ef4eb830d82");
  });

  it("gives one serial under two indexes two different leaves", function () {
    expect(serialLeaf(0n, "SN-A1")).to.not.equal(serialLeaf(1n, "SN-A1"));
  });

  it("rejects an index outside uint256", function () {
    expectMerkleError(() => serialLeaf(-1n, "SN"), "INDEX_OUT_OF_RANGE", "-1");
    expectMerkleError(() => serialLeaf(1n << 256n, "SN"), "INDEX_OUT_OF_RANGE");
  });
});

describe("hashPair", function () {
  it("hashes the smaller node first, like MerkleProof", function () {
    const a = serialLeaf(0n, "A");
    const b = serialLeaf(0n, "B");
    expect(hashPair(a, b)).to.equal(hashPair(b, a));
    expect(hashPair(a, b)).to.equal(pairByHand(a, b));
    expect(hashPair(a.toUpperCase().replace("0X", "0x"), b)).to.equal(pairByHand(a, b));
  });
});

describe("processProof", function () {
  it("returns the leaf itself for an empty proof", function () {
    const leaf = serialLeaf(0n, "A");
    expect(processProof(leaf, [])).to.equal(leaf);
  });

  it("rejects a node that is not bytes32", function () {
    const leaf = serialLeaf(0n, "A");
    expectMerkleError(() => processProof(leaf, [leaf, "0x00"]), "BAD_INPUT", "proof[1]");
    expectMerkleError(() => processProof("0x", []), "BAD_INPUT", "leaf");
  });
});

describe("buildSerialTree", function () {
  it("gives a one-serial lot its leaf as root and an empty proof", function () {
    const tree = buildSerialTree(["SN-ONLY"]);
    expect(tree.root).to.equal(serialLeaf(0n, "SN-ONLY"));
    expect(tree.proof(0)).to.deep.equal([]);
    expect(tree.quantity).to.equal(1n);
  });

  it("computes the same root as a tree built by hand from sorted leaves (3 and 4 serials)", function () {
    // OpenZeppelin's layout: leaves sorted ascending, placed at the end of the node array in reverse.
    const sorted = (serials: string[]) =>
      serials.map((s, i) => leafByHand(BigInt(i), s)).sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
    const [a, b, c] = sorted(["S1", "S2", "S3"]);
    expect(buildSerialTree(["S1", "S2", "S3"]).root).to.equal(pairByHand(pairByHand(b, a), c));
    const [w, x, y, z] = sorted(["S1", "S2", "S3", "S4"]);
    expect(buildSerialTree(["S1", "S2", "S3", "S4"]).root).to.equal(pairByHand(pairByHand(z, y), pairByHand(x, w)));
  });

  it("matches the pinned test vector, and each of its proofs hashes to the root", function () {
    const tree = buildSerialTree(VECTOR_SERIALS);
    expect(tree.root).to.equal(VECTOR_ROOT);
    VECTOR_SERIALS.forEach((serial, i) => {
      const proof = tree.proof(BigInt(i));
      expect(proof.reduce(pairByHand, leafByHand(BigInt(i), serial)), serial).to.equal(VECTOR_ROOT);
      expect(processProof(serialLeaf(BigInt(i), serial), proof), serial).to.equal(VECTOR_ROOT);
    });
  });

  it("gives every serial of lots of 1 to 33 units a proof that verifies, as MerkleProof would", function () {
    for (let size = 1; size <= 33; size++) {
      const serials = fakeSerials(size, `lot-${size}`);
      const tree = buildSerialTree(serials);
      serials.forEach((serial, i) => {
        const proof = tree.proof(i);
        expect(processProof(serialLeaf(BigInt(i), serial), proof), `${size}/${i}`).to.equal(tree.root);
        expect(verifySerialProof(tree.root, BigInt(i), serial, proof)).to.equal(true);
        expect(
          StandardMerkleTree.verify(tree.root, [...SERIAL_LEAF_ENCODING], [BigInt(i), serialHash(serial)], proof),
        ).to.equal(true);
      });
    }
  });

  it("gives a proof that fails for another serial, another index or another root", function () {
    const serials = fakeSerials(9, "tamper");
    const tree = buildSerialTree(serials);
    const proof = tree.proof(4n);
    expect(verifySerialProof(tree.root, 4n, serials[4], proof)).to.equal(true);
    expect(verifySerialProof(tree.root, 4n, serials[5], proof)).to.equal(false);
    expect(verifySerialProof(tree.root, 5n, serials[4], proof)).to.equal(false);
    expect(verifySerialProof(buildSerialTree(serials.slice(1)).root, 4n, serials[4], proof)).to.equal(false);
    expect(verifySerialProof(tree.root, 4n, serials[4], proof.slice(1))).to.equal(false);
  });

  it("depends on serial order: the same serials under other indexes give another root", function () {
    const serials = fakeSerials(6, "order");
    expect(buildSerialTree(serials).root).to.not.equal(buildSerialTree([...serials].reverse()).root);
  });

  it("reports the quantity and the index of each serial", function () {
    const serials = fakeSerials(12, "index");
    const tree = buildSerialTree(serials);
    expect(tree.quantity).to.equal(12n);
    expect(tree.indexOf(serials[7])).to.equal(7n);
    expect(tree.indexOf("SN-NOT-IN-LOT")).to.equal(undefined);
    expect(tree.tree.at(7)).to.deep.equal([7n, serialHash(serials[7])]);
  });

  it("rejects a duplicate serial, naming it and both indexes", function () {
    expectMerkleError(
      () => buildSerialTree(["SN1", "SN2", "SN3", "SN2"]),
      "DUPLICATE_SERIAL",
      '"SN2"',
      "indexes 1 and 3",
    );
  });

  it("rejects an empty lot", function () {
    expectMerkleError(() => buildSerialTree([]), "EMPTY_LOT");
  });

  it("rejects a serial that is not a valid GS1 serial, naming its position", function () {
    const error = catchError(() => buildSerialTree(["SN1", "SN2", "S".repeat(21)])) as Gs1Error;
    expect(error).to.be.instanceOf(Gs1Error);
    expect(error.code).to.equal("TOO_LONG");
    expect(error.message).to.include("serials[2]");
    const empty = catchError(() => buildSerialTree(["SN1", ""])) as Gs1Error;
    expect(empty.code).to.equal("MALFORMED");
    expect(empty.message).to.include("serials[1]");
  });

  it("rejects a proof index outside the lot", function () {
    const tree = buildSerialTree(fakeSerials(3, "range"));
    expectMerkleError(() => tree.proof(3n), "INDEX_OUT_OF_RANGE", "index 3", "[0, 3)");
    expectMerkleError(() => tree.proof(-1), "INDEX_OUT_OF_RANGE");
    expectMerkleError(() => tree.proof(1.5), "INDEX_OUT_OF_RANGE");
  });

  it("builds a 10,000-serial lot whose proofs verify", function () {
    const serials = fakeSerials(10_000, "big");
    const tree = buildSerialTree(serials);
    expect(tree.quantity).to.equal(10_000n);
    const compact = buildCompactSerialTree(serials);
    expect(compact.root).to.equal(tree.root);
    for (const i of [0, 1, 4_999, 8_191, 9_999]) {
      const proof = tree.proof(i);
      expect(proof.length).to.be.within(13, 14); // ⌈log2(10,000)⌉ = 14
      expect(processProof(serialLeaf(BigInt(i), serials[i]), proof)).to.equal(tree.root);
      expect(compact.proof(i)).to.deep.equal(proof);
    }
  });
});

describe("buildCompactSerialTree", function () {
  it("gives the same root, proofs and indexes as buildSerialTree for lots of 1 to 40 units", function () {
    for (let size = 1; size <= 40; size++) {
      const serials = fakeSerials(size, `compact-${size}`);
      const reference = buildSerialTree(serials);
      const compact = buildCompactSerialTree(serials);
      expect(compact.root, `size ${size}`).to.equal(reference.root);
      expect(compact.quantity).to.equal(reference.quantity);
      for (let i = 0; i < size; i++) {
        expect(compact.proof(i), `${size}/${i}`).to.deep.equal(reference.proof(i));
        expect(compact.indexOf(serials[i])).to.equal(BigInt(i));
      }
      expect(compact.indexOf("SN-NOT-IN-LOT")).to.equal(undefined);
    }
  });

  it("matches the pinned test vector", function () {
    expect(buildCompactSerialTree(VECTOR_SERIALS).root).to.equal(VECTOR_ROOT);
  });

  it("hashes serials made of every set-82 character the same way", function () {
    const serials = [`!"%&'()*+,-./0123456`, "789:;<=>?ABCDEFGHIJK", "_abcxyz"];
    expect(buildCompactSerialTree(serials).root).to.equal(buildSerialTree(serials).root);
  });

  it("rejects what buildSerialTree rejects", function () {
    expectMerkleError(() => buildCompactSerialTree([]), "EMPTY_LOT");
    expectMerkleError(() => buildCompactSerialTree(["A", "B", "A"]), "DUPLICATE_SERIAL", '"A"', "indexes 0 and 2");
    expect((catchError(() => buildCompactSerialTree(["A", "B C"])) as Gs1Error).code).to.equal("BAD_CHARACTER");
    expectMerkleError(() => buildCompactSerialTree(["A", "B"]).proof(2n), "INDEX_OUT_OF_RANGE", "[0, 2)");
  });
});
