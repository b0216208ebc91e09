import { expect } from "chai";
import { hexlify, randomBytes, toBigInt } from "ethers";
import { network } from "hardhat";

import { buildSerialTree, lotHash, lotId, serialHash, serialLeaf } from "../../src/merkle.ts";
import { deploySupply } from "../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

async function supplyFixture() {
  return deploySupply(ethers);
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;
const CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

/** A random GS1 serial: 1–20 characters of character set 82. */
function randomSerial(): string {
  const bytes = randomBytes(21);
  return Array.from(bytes.subarray(1, 1 + 1 + (bytes[0] % 20)), (b) => CSET82[b % CSET82.length]).join("");
}

const randomWord = (bytes: number): bigint => toBigInt(randomBytes(bytes));

describe("SDK supply twins", function () {
  describe("lotId", function () {
    it("equals SupplyChain.lotIdOf for random GTIN numbers and lot hashes", async function () {
      const { supply } = await networkHelpers.loadFixture(supplyFixture);
      const gtins = [0n, MAX_UINT64, 99_999_999_999_999n, ...Array.from({ length: 12 }, () => randomWord(8))];
      for (const gtin of gtins) {
        const hash = hexlify(randomBytes(32));
        expect(lotId(gtin, hash), `gtin ${gtin}`).to.equal(await supply.lotIdOf(gtin, hash));
      }
    });

    it("equals SupplyChain.lotIdOf for a lot number hashed by the SDK", async function () {
      const { supply } = await networkHelpers.loadFixture(supplyFixture);
      for (let i = 0; i < 8; i++) {
        const gtin = randomWord(6);
        const lot = randomSerial();
        expect(lotId(gtin, lotHash(lot)), `lot ${lot}`).to.equal(await supply.lotIdOf(gtin, lotHash(lot)));
      }
    });
  });

  describe("serialLeaf", function () {
    it("equals SupplyChain.serialLeaf for random indexes and serials", async function () {
      const { supply } = await networkHelpers.loadFixture(supplyFixture);
      const indexes = [
        0n,
        1n,
        63n,
        64n,
        MAX_UINT256,
        ...Array.from({ length: 8 }, () => randomWord(1 + (randomBytes(1)[0] % 32))),
      ];
      for (const index of indexes) {
        const serial = randomSerial();
        expect(serialLeaf(index, serial), `(${index}, ${serial})`).to.equal(
          await supply.serialLeaf(index, serialHash(serial)),
        );
      }
    });

    it("gives leaves the contract accepts: verifyUnit proves every unit of an SDK-built lot", async function () {
      const { supply, mfrOp } = await networkHelpers.loadFixture(supplyFixture);
      const serials = Array.from({ length: 7 }, randomSerial).filter((s, k, all) => all.indexOf(s) === k);
      const tree = buildSerialTree(serials);
      const gtin = 614141n * 10n ** 6n + randomWord(2) * 10n;
      const hash = lotHash(randomSerial());
      const latest = await ethers.provider.getBlock("latest");
      await supply
        .connect(mfrOp)
        .commissionLot(
          gtin,
          hash,
          BigInt(latest!.timestamp) + 86_400n,
          serials.length,
          tree.root,
          hexlify(randomBytes(32)),
        );
      for (let k = 0; k < serials.length; k++) {
        const [authentic] = await supply.verifyUnit(gtin, hash, serialHash(serials[k]), k, tree.proof(k));
        expect(authentic, `unit ${k}`).to.equal(true);
      }
    });
  });
});
