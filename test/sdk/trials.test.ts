// The SDK's trial-data helpers, without a chain: canonical rows, the dataset tree, proofs, id twins.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { expect } from "chai";
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";

import { randomSalt } from "../../src/ids.ts";
import {
  buildDataset,
  DATA_LEAF_ENCODING,
  dataLeaf,
  encodeRow,
  makeRow,
  outcomesCommitment,
  participantId,
  registryIdHash,
  rowHash,
  TrialDataError,
  trialId,
  verifyRowProof,
  type DataRow,
} from "../../src/trials.ts";
import { catchError } from "../helpers/sdk.ts";

const abi = AbiCoder.defaultAbiCoder();
const hash = () => randomSalt();

function rows(count: number, pid = hash()): DataRow[] {
  return Array.from({ length: count }, (_, i) => makeRow(pid, 1n, { visit: i, sbp: 120, arm: i % 2 ? "A" : "B" }));
}

describe("SDK trials", function () {
  describe("rowHash", function () {
    it("is the keccak of the canonical JSON, whatever the key order", function () {
      expect(rowHash({ b: 2, a: [1, { y: null, x: true }] })).to.equal(
        keccak256(toUtf8Bytes('{"a":[1,{"x":true,"y":null}],"b":2}')),
      );
      expect(rowHash({ sbp: 120, visit: 3 })).to.equal(rowHash({ visit: 3, sbp: 120 }));
      expect(rowHash({ sbp: 120, visit: 3 })).to.not.equal(rowHash({ sbp: 121, visit: 3 }));
    });

    it("refuses values that are not a JSON object", function () {
      for (const bad of [null, [1, 2], "x"]) {
        const error = catchError(() => rowHash(bad as never));
        expect(error).to.be.instanceOf(TrialDataError);
        expect((error as TrialDataError).code).to.equal("BAD_INPUT");
      }
    });
  });

  describe("dataLeaf", function () {
    it("is the double hash StandardMerkleTree uses for [participantId, protocolVersion, rowHash, salt]", function () {
      const value: [string, bigint, string, string] = [hash(), 3n, hash(), hash()];
      const inner = keccak256(abi.encode([...DATA_LEAF_ENCODING], value));
      expect(dataLeaf(...value)).to.equal(keccak256(inner));
      expect(dataLeaf(...value)).to.equal(StandardMerkleTree.of([value], [...DATA_LEAF_ENCODING]).leafHash(value));
    });

    it("refuses a version beyond uint32 and a value that is not bytes32", function () {
      expect((catchError(() => dataLeaf(hash(), 1n << 32n, hash(), hash())) as TrialDataError).code).to.equal(
        "BAD_INPUT",
      );
      expect((catchError(() => dataLeaf("0x1234", 1n, hash(), hash())) as TrialDataError).message).to.include(
        "participantId",
      );
    });
  });

  describe("buildDataset", function () {
    it("gives a root and proofs that verify every row, and a salt per row", function () {
      const batch = rows(33);
      const dataset = buildDataset(batch);
      expect(dataset.leafCount).to.equal(33);
      expect(new Set(batch.map((r) => r.salt)).size).to.equal(33);
      expect(dataset.root).to.equal(StandardMerkleTree.of(dataset.leaves, [...DATA_LEAF_ENCODING]).root);
      batch.forEach((row, i) => {
        expect(verifyRowProof(dataset.root, row, dataset.proof(i))).to.equal(true);
        expect(verifyRowProof(dataset.root, encodeRow(row), dataset.proof(i))).to.equal(true);
      });
    });

    it("fails a tampered row: another value, salt, version or participant", function () {
      const batch = rows(8);
      const dataset = buildDataset(batch);
      const row = batch[5];
      const proof = dataset.proof(5);
      const tampered: DataRow[] = [
        { ...row, values: { ...row.values, sbp: 119 } },
        { ...row, salt: hash() },
        { ...row, protocolVersion: 2n },
        { ...row, participantId: hash() },
      ];
      for (const t of tampered) expect(verifyRowProof(dataset.root, t, proof)).to.equal(false);
    });

    it("refuses an empty batch, a reused salt and a proof index out of range", function () {
      expect((catchError(() => buildDataset([])) as TrialDataError).code).to.equal("EMPTY_DATASET");
      const [a] = rows(1);
      const twin = makeRow(a.participantId, 1n, { visit: 99 }, a.salt.toUpperCase().replace("0X", "0x"));
      expect((catchError(() => buildDataset([a, twin])) as TrialDataError).code).to.equal("BAD_INPUT");
      const dataset = buildDataset(rows(2));
      for (const i of [-1, 2, 0.5]) {
        expect((catchError(() => dataset.proof(i)) as TrialDataError).code).to.equal("INDEX_OUT_OF_RANGE");
      }
    });
  });

  describe("id twins", function () {
    it("hash a registry id trimmed and upper-cased", function () {
      expect(registryIdHash(" nct01234567 ")).to.equal(keccak256(toUtf8Bytes("NCT01234567")));
      expect((catchError(() => registryIdHash("  ")) as TrialDataError).code).to.equal("BAD_INPUT");
    });

    it("derive trial ids, participant ids and the outcomes commitment by abi.encode", function () {
      const [r, t, s, d] = [hash(), hash(), hash(), hash()];
      expect(trialId(7n, r)).to.equal(keccak256(abi.encode(["uint256", "bytes32"], [7n, r])));
      expect(participantId(42n, t, s)).to.equal(keccak256(abi.encode(["uint256", "bytes32", "bytes32"], [42n, t, s])));
      expect(participantId(42n, t, s)).to.not.equal(participantId(42n, t, hash()));
      expect(outcomesCommitment(s, d)).to.equal(keccak256(abi.encode(["bytes32", "bytes32"], [s, d])));
      expect((catchError(() => trialId(-1n, r)) as TrialDataError).code).to.equal("BAD_INPUT");
    });
  });
});
