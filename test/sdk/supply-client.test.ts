import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { SupplyClient } from "../../src/clients/supply.ts";
import { MedChainContractError } from "../../src/errors.ts";
import { expiryToUnix, formatGs1, Gs1Error, gtinToUint } from "../../src/gs1.ts";
import { lotHash, lotId as sdkLotId, serialHash } from "../../src/merkle.ts";
import { SerialProofStore, type ProofSource } from "../../src/serial-store.ts";
import { randomHash } from "../helpers/identity.ts";
import { deploySdkSupply, randomCode, validGtin } from "../helpers/sdk-supply.ts";

const { ethers, networkHelpers } = await network.create();

async function lotFixture() {
  return deploySdkSupply(ethers, 6);
}

/** The lot released, 4 units at the distributor, 3 of them at the pharmacy. */
async function stockedFixture() {
  const f = await deploySdkSupply(ethers, 6);
  const toDist = await f.mfrClient.ship({
    lotId: f.lotId,
    toOrg: f.dist,
    quantity: 4n,
    epcisEventHash: randomHash(),
    tiTsHash: randomHash(),
  });
  await f.distClient.accept({
    lotId: f.lotId,
    shipmentId: toDist.shipmentId,
    epcisEventHash: randomHash(),
    tiTsHash: randomHash(),
  });
  const toPharm = await f.distClient.ship({
    lotId: f.lotId,
    toOrg: f.pharm,
    quantity: 3n,
    epcisEventHash: randomHash(),
    tiTsHash: randomHash(),
  });
  await f.pharmClient.accept({
    lotId: f.lotId,
    shipmentId: toPharm.shipmentId,
    epcisEventHash: randomHash(),
    tiTsHash: randomHash(),
  });
  return f;
}

/** Awaits `promise` and returns what it threw; fails the test if it did not throw. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

function expectContractError(error: unknown, name: string): MedChainContractError {
  expect(error).to.be.instanceOf(MedChainContractError);
  expect((error as MedChainContractError).errorName).to.equal(name);
  return error as MedChainContractError;
}

describe("SDK SupplyClient", function () {
  describe("commissionLot", function () {
    it("commits the store's root on chain and returns the contract's lot id", async function () {
      const { supply, store, gtin, lot, serials, commissioned, expiry } = await networkHelpers.loadFixture(lotFixture);
      const gtinNumber = gtinToUint(gtin);
      expect(commissioned.lotId).to.equal(await supply.lotIdOf(gtinNumber, lotHash(lot)));
      expect(commissioned.lotId).to.equal(sdkLotId(gtinNumber, lotHash(lot)));
      expect(commissioned.quantity).to.equal(BigInt(serials.length));
      const onChain = await supply.getLot(commissioned.lotId);
      expect(onChain.serialsRoot).to.equal(commissioned.root);
      expect(onChain.quantity).to.equal(BigInt(serials.length));
      // The printed day is usable through its end: the chain's lot expires at the next midnight (UTC).
      expect(onChain.expiry).to.equal(expiryToUnix(expiry) + 1n);
      const found = store.lookup(gtin, lot, serials[3]);
      expect(found).to.deep.include({ status: "known", index: 3n, root: commissioned.root });
    });

    it("takes an expiry in unix seconds as is", async function () {
      const { mfrClient, supply } = await networkHelpers.loadFixture(lotFixture);
      const expiry = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 1000n;
      const lot = await mfrClient.commissionLot({
        gtin: validGtin(),
        lot: randomCode("L"),
        expiry,
        serials: [randomCode("S")],
        epcisEventHash: randomHash(),
      });
      expect((await supply.getLot(lot.lotId)).expiry).to.equal(expiry);
    });

    it("throws the decoded contract error and leaves no lot in the store when the chain refuses", async function () {
      const { mfrClient, store } = await networkHelpers.loadFixture(lotFixture);
      const outside = validGtin("0614142"); // not the manufacturer's prefix 0614141
      const lot = randomCode("L");
      const error = await rejection(
        mfrClient.commissionLot({
          gtin: outside,
          lot,
          expiry: 10n ** 12n,
          serials: [randomCode("S")],
          epcisEventHash: randomHash(),
        }),
      );
      const decoded = expectContractError(error, "SupplyGtinOutsidePrefix");
      expect(decoded.args[0]).to.equal(gtinToUint(outside));
      expect(store.hasLot(outside, lot)).to.equal(false);
    });

    it("keeps a lot the store already held when commissioning it again fails", async function () {
      const { mfrClient, store, gtin, lot, serials, expiry } = await networkHelpers.loadFixture(lotFixture);
      const error = await rejection(
        mfrClient.commissionLot({ gtin, lot, expiry, serials, epcisEventHash: randomHash() }),
      );
      expectContractError(error, "SupplyLotExists");
      expect(store.hasLot(gtin, lot)).to.equal(true);
    });
  });

  describe("verifyPack", function () {
    it("finds a genuine pack authentic, active and saleable, with the lot's expiry", async function () {
      const { pharmClient, scan, gtin, lot, serials, lotId, supply, expiry } =
        await networkHelpers.loadFixture(stockedFixture);
      for (const mode of ["raw", "hri"] as const) {
        const result = await pharmClient.verifyPack(scan(2, mode));
        expect(result).to.deep.include({
          status: "authentic",
          unitStatus: "active",
          saleable: true,
          gtin,
          lot,
          serial: serials[2],
          lotId,
          serialHash: serialHash(serials[2]),
          index: 2n,
          expiry: (await supply.getLot(lotId)).expiry,
          expiryMatchesPack: true,
          dispensedByKind: undefined,
        });
        expect(result.printedExpiry).to.deep.equal(expiry);
        expect(result.blockNumber).to.equal(await ethers.provider.getBlockNumber());
      }
    });

    it("finds a dispensed pack dispensed on the second scan, by a pharmacy; a second dispense is refused", async function () {
      const { pharmClient, scan, lotId, serials } = await networkHelpers.loadFixture(stockedFixture);
      const first = await pharmClient.verifyPack(scan(1));
      expect(first.saleable).to.equal(true);
      await pharmClient.dispensePack(scan(1), randomHash());
      const second = await pharmClient.verifyPack(scan(1));
      expect(second).to.deep.include({
        status: "authentic",
        unitStatus: "dispensed",
        saleable: false,
        dispensedByKind: "Pharmacy",
      });
      const clone = expectContractError(
        await rejection(pharmClient.dispensePack(scan(1), randomHash())),
        "SupplyAlreadyDispensed",
      );
      expect([...clone.args]).to.deep.equal([lotId, 1n, serialHash(serials[1])]);
    });

    it("finds a recalled lot's pack authentic but recalled and not saleable", async function () {
      const { pharmClient, regulatorClient, scan, lotId } = await networkHelpers.loadFixture(stockedFixture);
      await regulatorClient.recall({ lotId, recallClass: 1, reasonHash: randomHash() });
      expect(await pharmClient.verifyPack(scan(0))).to.deep.include({
        status: "authentic",
        unitStatus: "recalled",
        saleable: false,
      });
      expect(await pharmClient.lotStatus(lotId)).to.equal("recalled");
    });

    it("reports an unreleased lot, then quarantined and expired units", async function () {
      const { pharmClient, mfrClient, scan, lotId, supply, gtin, expiry, gs1 } =
        await networkHelpers.loadFixture(stockedFixture);
      const freshLot = randomCode("L");
      await mfrClient.commissionLot({
        gtin,
        lot: freshLot,
        expiry,
        serials: ["UNRELEASED1"],
        epcisEventHash: randomHash(),
      });
      const pack = formatGs1({ gtin, expiry, lot: freshLot, serial: "UNRELEASED1" }, { mode: "raw", ...gs1 });
      expect(await pharmClient.verifyPack(pack)).to.deep.include({
        status: "authentic",
        unitStatus: "unreleased",
        saleable: false,
      });

      await mfrClient.quarantineLot(lotId, randomHash());
      expect((await pharmClient.verifyPack(scan(0))).unitStatus).to.equal("quarantined");
      await mfrClient.clearQuarantine(lotId, randomHash());
      expect((await pharmClient.verifyPack(scan(0))).unitStatus).to.equal("active");
      await networkHelpers.time.increaseTo((await supply.getLot(lotId)).expiry);
      expect(await pharmClient.verifyPack(scan(0))).to.deep.include({ unitStatus: "expired", saleable: false });
    });

    it("says unknown, not counterfeit, for a serial the store does not know", async function () {
      const { pharmClient, gtin, lot, expiry, gs1 } = await networkHelpers.loadFixture(stockedFixture);
      const stranger = formatGs1({ gtin, expiry, lot, serial: randomCode("X") }, { mode: "raw", ...gs1 });
      expect(await pharmClient.verifyPack(stranger)).to.deep.include({
        status: "unknown",
        reason: "serial-not-in-store",
        saleable: false,
      });
      expect((await pharmClient.verifyPack(stranger)).unitStatus).to.equal(undefined);
      const otherLot = formatGs1(
        { gtin, expiry, lot: randomCode("L"), serial: randomCode("X") },
        { mode: "hri", ...gs1 },
      );
      expect((await pharmClient.verifyPack(otherLot)).status).to.equal("unknown");
    });

    it("says counterfeit for a serial whose proof the chain rejects (a forged proof)", async function () {
      const { supply, pharmOp, scan, store, gtin, lot, serials, gs1 } =
        await networkHelpers.loadFixture(stockedFixture);
      const genuine = store.lookup(gtin, lot, serials[0]);
      if (genuine.status !== "known") throw new Error("fixture: serial 0 is known");
      const forger: ProofSource = {
        lookup: () => ({
          status: "known",
          index: 0n,
          proof: genuine.proof.map(() => hexlify(randomBytes(32))),
          root: genuine.root,
        }),
      };
      const client = new SupplyClient(supply.connect(pharmOp), { proofs: forger, gs1 });
      expect(await client.verifyPack(scan(0))).to.deep.include({
        status: "counterfeit",
        reason: "proof-rejected",
        saleable: false,
        index: 0n,
      });
    });

    it("says counterfeit for a cloned serial carried by a store that does not match the chain's root", async function () {
      const { supply, pharmOp, gtin, lot, expiry, gs1 } = await networkHelpers.loadFixture(stockedFixture);
      const fake = new SerialProofStore();
      const cloned = randomCode("C");
      fake.addLot(gtin, lot, [cloned, randomCode("C")]);
      const client = new SupplyClient(supply.connect(pharmOp), { store: fake, gs1 });
      const pack = formatGs1({ gtin, expiry, lot, serial: cloned }, { mode: "raw", ...gs1 });
      expect(await client.verifyPack(pack)).to.deep.include({ status: "counterfeit", reason: "proof-rejected" });
    });

    it("says unknown when the store knows a lot the chain does not", async function () {
      const { supply, pharmOp, gtin, expiry, gs1 } = await networkHelpers.loadFixture(stockedFixture);
      const store = new SerialProofStore();
      const lot = randomCode("L");
      store.addLot(gtin, lot, ["ONLYONE"]);
      const client = new SupplyClient(supply.connect(pharmOp), { store, gs1 });
      const pack = formatGs1({ gtin, expiry, lot, serial: "ONLYONE" }, { mode: "raw", ...gs1 });
      expect(await client.verifyPack(pack)).to.deep.include({ status: "unknown", reason: "lot-not-on-chain" });
    });

    it("throws Gs1Error for a malformed scan", async function () {
      const { pharmClient, scan } = await networkHelpers.loadFixture(stockedFixture);
      const good = scan(0, "hri");
      const badCheckDigit = good.replace(
        /^\(01\)(\d{13})(\d)/,
        (_, body: string, d: string) => `(01)${body}${(Number(d) + 1) % 10}`,
      );
      const withoutSerial = good.replace(/\(21\).*$/, "");
      for (const [input, code] of [
        [badCheckDigit, "BAD_CHECK_DIGIT"],
        [withoutSerial, "MISSING_AI"],
        ["not a barcode", "MALFORMED"],
      ] as const) {
        const error = await rejection(pharmClient.verifyPack(input));
        expect(error, input).to.be.instanceOf(Gs1Error);
        expect((error as Gs1Error).code, input).to.equal(code);
      }
    });
  });

  describe("unitsDispensedBefore", function () {
    it("lists the units dispensed within the window before a recall, in chain order", async function () {
      const { pharmClient, regulatorClient, scan, lotId, serials, pharm } =
        await networkHelpers.loadFixture(stockedFixture);
      await pharmClient.dispensePack(scan(0), randomHash());
      await networkHelpers.mine(20);
      const late = [randomHash(), randomHash()];
      await pharmClient.dispensePack(scan(1), late[0]);
      await networkHelpers.mine(3);
      await pharmClient.dispensePack(scan(2), late[1]);
      await regulatorClient.recall({ lotId, recallClass: 2, reasonHash: randomHash() });
      const recallBlock = await pharmClient.recallBlock(lotId);
      expect(recallBlock).to.equal(await ethers.provider.getBlockNumber());

      const units = await pharmClient.unitsDispensedBefore(lotId, recallBlock!, 10, { chunkSize: 2 });
      expect(units.map((u) => [u.index, u.serialHash, u.orgId, u.epcisEventHash])).to.deep.equal([
        [1n, serialHash(serials[1]), pharm, late[0]],
        [2n, serialHash(serials[2]), pharm, late[1]],
      ]);
      for (const u of units) {
        expect(u.timestamp).to.equal((await ethers.provider.getBlock(u.blockNumber))!.timestamp);
      }
      expect(await pharmClient.unitsDispensedBefore(lotId, recallBlock!, 100)).to.have.length(3);
      expect(await pharmClient.unitsDispensedBefore(lotId, recallBlock!, 0)).to.deep.equal([]);
    });

    it("finds no recall block for a lot never recalled", async function () {
      const { pharmClient, lotId } = await networkHelpers.loadFixture(stockedFixture);
      expect(await pharmClient.recallBlock(lotId)).to.equal(undefined);
    });
  });

  describe("custody wrappers", function () {
    it("reject, cancel, return for destruction, accept, destroy, and stock quarantine move the holdings", async function () {
      const f = await networkHelpers.loadFixture(stockedFixture);
      const { supply, lotId, mfrClient, distClient, pharmClient } = f;
      const held = async (org: bigint) => (await supply.holdingOf(lotId, org)).quantity;

      const rejected = await distClient.ship({
        lotId,
        toOrg: f.pharm,
        quantity: 1n,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await pharmClient.reject({
        lotId,
        shipmentId: rejected.shipmentId,
        epcisEventHash: randomHash(),
        reasonHash: randomHash(),
      });
      const cancelled = await distClient.ship({
        lotId,
        toOrg: f.pharm,
        quantity: 1n,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await distClient.cancel({ lotId, shipmentId: cancelled.shipmentId, epcisEventHash: randomHash() });
      expect(await held(f.dist)).to.equal(1n);

      const back = await pharmClient.returnForDestruction({
        lotId,
        quantity: 2n,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      const pending = await supply.getShipment(lotId, back.shipmentId);
      expect([pending.fromOrg, pending.toOrg, pending.quantity, pending.forDestruction]).to.deep.equal([
        f.pharm,
        f.mfr,
        2n,
        true,
      ]);
      await mfrClient.accept({
        lotId,
        shipmentId: back.shipmentId,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await mfrClient.destroy({ lotId, quantity: 3n, epcisEventHash: randomHash() });
      expect(await held(f.mfr)).to.equal(1n);
      expect((await supply.getLot(lotId)).destroyed).to.equal(3n);

      await pharmClient.setStockQuarantine(lotId, true, randomHash());
      expect((await supply.holdingOf(lotId, f.pharm)).quarantined).to.equal(true);
      const error = await rejection(pharmClient.dispensePack(f.scan(5), randomHash()));
      expectContractError(error, "SupplyStockQuarantined");
    });

    it("re-verifies a saleable return, reports a suspect, corrects an event, designates a lab, declares a lot illegitimate", async function () {
      const f = await networkHelpers.loadFixture(stockedFixture);
      const { supply, lotId, serials, store, gtin, lot } = f;
      const found = store.lookup(gtin, lot, serials[4]);
      if (found.status !== "known") throw new Error("fixture: serial 4 is known");
      await expect(
        f.distClient.verifySaleableReturn({
          lotId,
          serial: serials[4],
          index: found.index,
          proof: found.proof,
          epcisEventHash: randomHash(),
        }),
      ).to.emit(supply, "SaleableReturnVerified");
      const mismatch = await rejection(
        f.distClient.verifySaleableReturn({
          lotId,
          serial: serials[4],
          serialHash: randomHash(),
          index: found.index,
          proof: found.proof,
          epcisEventHash: randomHash(),
        }),
      );
      expect(mismatch).to.be.instanceOf(Error);
      const reason = randomHash();
      await expect(f.pharmClient.reportSuspect(lotId, serials[4], reason))
        .to.emit(supply, "SuspectReported")
        .withArgs(lotId, f.pharmOp.address, serialHash(serials[4]), reason);
      const [wrong, right] = [randomHash(), randomHash()];
      await expect(f.distClient.correctEvent(lotId, wrong, right, reason))
        .to.emit(supply, "EventCorrected")
        .withArgs(wrong, right, f.dist, reason);
      await f.mfrClient.setLabDesignation(f.lab2, true);
      expect(await supply.isLabDesignated(f.mfr, f.lab2)).to.equal(true);
      await f.mfrClient.declareIllegitimate(lotId, randomHash());
      expect(await f.pharmClient.lotStatus(lotId)).to.equal("illegitimate");
      expect((await f.pharmClient.verifyPack(f.scan(5))).unitStatus).to.equal("illegitimate");
    });

    it("dispenses by serial hash and refuses a unit given neither serial nor hash", async function () {
      const f = await networkHelpers.loadFixture(stockedFixture);
      const found = f.store.lookup(f.gtin, f.lot, f.serials[3]);
      if (found.status !== "known") throw new Error("fixture: serial 3 is known");
      await f.pharmClient.dispense({
        lotId: f.lotId,
        serialHash: serialHash(f.serials[3]),
        index: found.index,
        proof: found.proof,
        epcisEventHash: randomHash(),
      });
      expect(await f.supply.dispensedBy(f.lotId, 3n)).to.equal(2n); // OrgKind.Pharmacy
      const error = await rejection(
        f.pharmClient.dispense({ lotId: f.lotId, index: 0n, proof: [], epcisEventHash: randomHash() }),
      );
      expect((error as Error).message).to.match(/serial or its serial hash/);
      const unknown = await rejection(
        f.pharmClient.dispensePack(f.scan(0).replace(f.serials[0], "NOTINSTORE"), randomHash()),
      );
      expect((unknown as Error).message).to.match(/does not know serial/);
    });
  });
});
