import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { network } from "hardhat";

import { OrgKind, OrgStatus, Roles } from "../../src/roles.ts";
import { DAY, now, randomHash } from "../helpers/identity.ts";
import {
  COMPANY_PREFIX,
  deploySupply,
  gtinUnderPrefix,
  lotIdOf,
  PREFIX_LENGTH,
  randomSerials,
  serialHashOf,
  serialLot,
} from "../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

const LotStatus = { None: 0, Active: 1, Quarantined: 2, Recalled: 3, Illegitimate: 4 } as const;
const UnitStatus = {
  Unknown: 0,
  Active: 1,
  Unreleased: 2,
  Dispensed: 3,
  Quarantined: 4,
  Expired: 5,
  Recalled: 6,
  Illegitimate: 7,
} as const;
const TRADE = 1 << 4;
const DISPENSE = 1 << 2;
const MANUFACTURE = 1 << 3;
const QUALITY_CONTROL = 1 << 5;

async function supplyFixture() {
  return deploySupply(ethers);
}

/** A released lot of 8 units: 6 at the distributor, then 4 at the pharmacy. */
async function stockedFixture() {
  const f = await deploySupply(ethers);
  const lot = await f.commission(8);
  await f.move(lot.lotId, f.mfrOp, f.distOp, f.dist, 6n);
  await f.move(lot.lotId, f.distOp, f.pharmOp, f.pharm, 4n);
  return { ...f, lot };
}

describe("SupplyChain", function () {
  describe("deployment", function () {
    it("reads the identity registry and names its EIP-712 domain", async function () {
      const { supply, identity } = await networkHelpers.loadFixture(supplyFixture);
      expect(await supply.identity()).to.equal(await identity.getAddress());
      const domain = await supply.eip712Domain();
      expect(domain.name).to.equal("MedChain SupplyChain");
      expect(domain.version).to.equal("1");
      expect(await supply.shipmentCount()).to.equal(0n);
    });
  });

  describe("lotIdOf and serialLeaf", function () {
    it("agree with their TypeScript twins and the StandardMerkleTree leaf", async function () {
      const { supply } = await networkHelpers.loadFixture(supplyFixture);
      const gtin = gtinUnderPrefix();
      const lotHash = randomHash();
      expect(await supply.lotIdOf(gtin, lotHash)).to.equal(lotIdOf(gtin, lotHash));
      const lot = serialLot(randomSerials(5));
      for (let i = 0; i < 5; i++) {
        expect(await supply.serialLeaf(i, lot.hashes[i])).to.equal(lot.tree.leafHash([BigInt(i), lot.hashes[i]]));
      }
    });
  });

  describe("commissionLot", function () {
    it("commissions a lot the manufacturer then holds, and emits its commitment", async function () {
      const { supply, mfrOp, mfr } = await networkHelpers.loadFixture(supplyFixture);
      const lot = serialLot(randomSerials(6));
      const gtin = gtinUnderPrefix();
      const lotHash = randomHash();
      const epcis = randomHash();
      const expiry = (await now(ethers)) + 300n * DAY;
      const lotId = lotIdOf(gtin, lotHash);
      await expect(supply.connect(mfrOp).commissionLot(gtin, lotHash, expiry, 6, lot.root, epcis))
        .to.emit(supply, "LotCommissioned")
        .withArgs(lotId, mfr, gtin, lotHash, expiry, 6, lot.root, epcis);
      const stored = await supply.getLot(lotId);
      expect(stored.manufacturerId).to.equal(mfr);
      expect(stored.expiry).to.equal(expiry);
      expect(stored.quantity).to.equal(6n);
      expect(stored.status).to.equal(LotStatus.Active);
      expect(stored.released).to.equal(false);
      expect(stored.serialsRoot).to.equal(lot.root);
      expect((await supply.holdingOf(lotId, mfr)).quantity).to.equal(6n);
    });

    it("costs the same call for a million units: only the root and the quantity change", async function () {
      const { supply, mfrOp, mfr } = await networkHelpers.loadFixture(supplyFixture);
      const gtin = gtinUnderPrefix();
      const lotHash = randomHash();
      const expiry = (await now(ethers)) + 300n * DAY;
      await supply.connect(mfrOp).commissionLot(gtin, lotHash, expiry, 1_000_000, randomHash(), randomHash());
      expect((await supply.holdingOf(lotIdOf(gtin, lotHash), mfr)).quantity).to.equal(1_000_000n);
    });

    it("refuses a GTIN outside the manufacturer's company prefix", async function () {
      const { supply, mfrOp } = await networkHelpers.loadFixture(supplyFixture);
      const expiry = (await now(ethers)) + DAY;
      const other = 614142n * 10n ** 6n + 123450n; // prefix 0614142
      await expect(supply.connect(mfrOp).commissionLot(other, randomHash(), expiry, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyGtinOutsidePrefix")
        .withArgs(other, COMPANY_PREFIX, PREFIX_LENGTH);
      const tooLong = 10n ** 14n + gtinUnderPrefix(); // 15 digits
      await expect(supply.connect(mfrOp).commissionLot(tooLong, randomHash(), expiry, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyGtinOutsidePrefix")
        .withArgs(tooLong, COMPANY_PREFIX, PREFIX_LENGTH);
    });

    it("refuses a manufacturer without a recorded company prefix", async function () {
      const { supply, mfr2Op } = await networkHelpers.loadFixture(supplyFixture);
      const gtin = gtinUnderPrefix();
      await expect(
        supply
          .connect(mfr2Op)
          .commissionLot(gtin, randomHash(), (await now(ethers)) + DAY, 1, randomHash(), randomHash()),
      )
        .to.be.revertedWithCustomError(supply, "SupplyGtinOutsidePrefix")
        .withArgs(gtin, 0, 0);
    });

    it("refuses an organisation without MANUFACTURE and an account without an active organisation", async function () {
      const { supply, distOp, dist, stranger } = await networkHelpers.loadFixture(supplyFixture);
      const expiry = (await now(ethers)) + DAY;
      await expect(
        supply.connect(distOp).commissionLot(gtinUnderPrefix(), randomHash(), expiry, 1, randomHash(), randomHash()),
      )
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(dist, MANUFACTURE);
      await expect(
        supply.connect(stranger).commissionLot(gtinUnderPrefix(), randomHash(), expiry, 1, randomHash(), randomHash()),
      )
        .to.be.revertedWithCustomError(supply, "SupplyNoActiveOrganization")
        .withArgs(stranger.address);
    });

    it("refuses a suspended manufacturer and one whose licence expired, naming the organisation and why", async function () {
      const { supply, identity, regulator, mfrOp, mfr, mfr2Op, mfr2 } = await networkHelpers.loadFixture(supplyFixture);
      await identity.connect(regulator).suspendOrganization(mfr, randomHash());
      const expiry = (await now(ethers)) + 2n * 365n * DAY;
      await expect(
        supply.connect(mfrOp).commissionLot(gtinUnderPrefix(), randomHash(), expiry, 1, randomHash(), randomHash()),
      )
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(mfr, OrgStatus.Suspended);
      await networkHelpers.time.increase(366n * DAY); // every licence in the fixture runs one year
      const validUntil = (await identity.getOrganization(mfr2)).validUntil;
      await expect(
        supply.connect(mfr2Op).commissionLot(gtinUnderPrefix(), randomHash(), expiry, 1, randomHash(), randomHash()),
      )
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
        .withArgs(mfr2, validUntil, anyValue);
    });

    it("refuses a zero quantity, a past expiry and a lot commissioned twice", async function () {
      const { supply, mfrOp } = await networkHelpers.loadFixture(supplyFixture);
      const gtin = gtinUnderPrefix();
      const lotHash = randomHash();
      const t = await now(ethers);
      await expect(
        supply.connect(mfrOp).commissionLot(gtin, lotHash, t + DAY, 0, randomHash(), randomHash()),
      ).to.be.revertedWithCustomError(supply, "SupplyZeroQuantity");
      await expect(supply.connect(mfrOp).commissionLot(gtin, lotHash, t, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyExpiryInPast")
        .withArgs(t, t + 1n);
      await supply.connect(mfrOp).commissionLot(gtin, lotHash, t + DAY, 1, randomHash(), randomHash());
      await expect(supply.connect(mfrOp).commissionLot(gtin, lotHash, t + DAY, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotExists")
        .withArgs(lotIdOf(gtin, lotHash));
    });

    it("refuses an expiry past the 48 bits a lot records, and takes the last one", async function () {
      const { supply, mfrOp } = await networkHelpers.loadFixture(supplyFixture);
      const latest = 2n ** 48n - 1n;
      const gtin = gtinUnderPrefix();
      const lotHash = randomHash();
      await expect(supply.connect(mfrOp).commissionLot(gtin, lotHash, latest + 1n, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyExpiryTooLate")
        .withArgs(latest + 1n, latest);
      expect((await supply.getLot(lotIdOf(gtin, lotHash))).status).to.equal(LotStatus.None);
      await supply.connect(mfrOp).commissionLot(gtin, lotHash, latest, 1, randomHash(), randomHash());
      expect((await supply.getLot(lotIdOf(gtin, lotHash))).expiry).to.equal(latest);
    });
  });

  describe("pause", function () {
    it("stops writes until ADMIN unpauses; only PAUSER pauses", async function () {
      const { supply, pauser, admin, mfrOp, stranger } = await networkHelpers.loadFixture(supplyFixture);
      await expect(supply.connect(stranger).pause())
        .to.be.revertedWithCustomError(supply, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
      await expect(supply.connect(pauser).pause()).to.emit(supply, "Paused").withArgs(pauser.address);
      await expect(
        supply.connect(mfrOp).commissionLot(gtinUnderPrefix(), randomHash(), 10n ** 12n, 1, randomHash(), randomHash()),
      ).to.be.revertedWithCustomError(supply, "EnforcedPause");
      await expect(supply.connect(pauser).unpause())
        .to.be.revertedWithCustomError(supply, "AccessManagedUnauthorized")
        .withArgs(pauser.address);
      await expect(supply.connect(admin).unpause()).to.emit(supply, "Unpaused").withArgs(admin.address);
    });
  });

  describe("setLabDesignation and qualityCheck", function () {
    it("lets the manufacturer designate and undesignate a lab", async function () {
      const { supply, mfrOp, mfr, lab2 } = await networkHelpers.loadFixture(supplyFixture);
      await expect(supply.connect(mfrOp).setLabDesignation(lab2, true))
        .to.emit(supply, "LabDesignated")
        .withArgs(mfr, lab2, true);
      expect(await supply.isLabDesignated(mfr, lab2)).to.equal(true);
      await expect(supply.connect(mfrOp).setLabDesignation(lab2, false))
        .to.emit(supply, "LabDesignated")
        .withArgs(mfr, lab2, false);
      expect(await supply.isLabDesignated(mfr, lab2)).to.equal(false);
    });

    it("refuses to designate an organisation that is not a lab, and a caller that is not a manufacturer", async function () {
      const { supply, mfrOp, dist, distOp, lab } = await networkHelpers.loadFixture(supplyFixture);
      await expect(supply.connect(mfrOp).setLabDesignation(dist, true))
        .to.be.revertedWithCustomError(supply, "SupplyNotLab")
        .withArgs(dist);
      await expect(supply.connect(distOp).setLabDesignation(lab, true))
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(dist, MANUFACTURE);
    });

    it("releases a lot on a passing check by a designated lab, and not before", async function () {
      const { supply, commission, labOp, lab, mfrOp, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(4, { release: false });
      await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotReleased")
        .withArgs(lot.lotId);
      const cert = randomHash();
      await expect(supply.connect(labOp).qualityCheck(lot.lotId, true, cert))
        .to.emit(supply, "QualityChecked")
        .withArgs(lot.lotId, lab, true, cert);
      expect((await supply.getLot(lot.lotId)).released).to.equal(true);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash());
    });

    it("refuses a quality check by an undesignated lab", async function () {
      const { supply, commission, lab2Op, lab2 } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(4, { release: false });
      await expect(supply.connect(lab2Op).qualityCheck(lot.lotId, true, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyQualityCheckerNotDesignated")
        .withArgs(lot.lotId, lab2);
    });

    it("refuses a designated lab that lost QUALITY_CONTROL", async function () {
      const { supply, commission, mfrOp, noQcLabOp, noQcLab } = await networkHelpers.loadFixture(supplyFixture);
      await supply.connect(mfrOp).setLabDesignation(noQcLab, true);
      const lot = await commission(4, { release: false });
      await expect(supply.connect(noQcLabOp).qualityCheck(lot.lotId, true, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(noQcLab, QUALITY_CONTROL);
    });

    it("quarantines a lot on a failed check, which stays quarantined on another failure", async function () {
      const { supply, commission, labOp, lab } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(4);
      const cert = randomHash();
      await expect(supply.connect(labOp).qualityCheck(lot.lotId, false, cert))
        .to.emit(supply, "LotStatusChanged")
        .withArgs(lot.lotId, LotStatus.Quarantined, labOp.address, cert)
        .and.to.emit(supply, "QualityChecked")
        .withArgs(lot.lotId, lab, false, cert);
      await expect(supply.connect(labOp).qualityCheck(lot.lotId, false, cert)).not.to.emit(supply, "LotStatusChanged");
      expect((await supply.getLot(lot.lotId)).status).to.equal(LotStatus.Quarantined);
    });

    it("refuses a check of an unknown or a recalled lot", async function () {
      const { supply, commission, mfrOp, regulator } = await networkHelpers.loadFixture(supplyFixture);
      const unknown = randomHash();
      await expect(supply.connect(mfrOp).qualityCheck(unknown, true, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownLot")
        .withArgs(unknown);
      const lot = await commission(2);
      await supply.connect(regulator).recallLot(lot.lotId, 1, randomHash());
      await expect(supply.connect(mfrOp).qualityCheck(lot.lotId, true, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
        .withArgs(lot.lotId, LotStatus.Recalled);
    });
  });

  describe("quarantineLot, clearQuarantine and declareIllegitimate", function () {
    it("blocks shipping while quarantined, and clearing releases", async function () {
      const { supply, lot, mfrOp, dist, distOp, pharm, pharmOp } = await networkHelpers.loadFixture(stockedFixture);
      const reason = randomHash();
      await expect(supply.connect(mfrOp).quarantineLot(lot.lotId, reason))
        .to.emit(supply, "LotStatusChanged")
        .withArgs(lot.lotId, LotStatus.Quarantined, mfrOp.address, reason);
      await expect(supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
        .withArgs(lot.lotId, LotStatus.Quarantined);
      await expect(
        supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash()),
      ).to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable");
      await expect(supply.connect(mfrOp).clearQuarantine(lot.lotId, reason))
        .to.emit(supply, "LotStatusChanged")
        .withArgs(lot.lotId, LotStatus.Active, mfrOp.address, reason);
      await supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
      expect((await supply.holdingOf(lot.lotId, dist)).quantity).to.equal(1n);
    });

    it("lets a regulator quarantine and clear; any other organisation is refused", async function () {
      const { supply, lot, regulator, distOp } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(distOp).quarantineLot(lot.lotId, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnauthorized")
        .withArgs(distOp.address, lot.lotId);
      await supply.connect(regulator).quarantineLot(lot.lotId, randomHash());
      await expect(supply.connect(distOp).clearQuarantine(lot.lotId, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnauthorized")
        .withArgs(distOp.address, lot.lotId);
      await supply.connect(regulator).clearQuarantine(lot.lotId, randomHash());
      expect((await supply.getLot(lot.lotId)).status).to.equal(LotStatus.Active);
    });

    it("refuses to clear a lot that is not quarantined, and to quarantine one twice", async function () {
      const { supply, lot, mfrOp } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(mfrOp).clearQuarantine(lot.lotId, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyInvalidTransition")
        .withArgs(lot.lotId, LotStatus.Active, LotStatus.Active);
      await supply.connect(mfrOp).quarantineLot(lot.lotId, randomHash());
      await expect(supply.connect(mfrOp).quarantineLot(lot.lotId, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyInvalidTransition")
        .withArgs(lot.lotId, LotStatus.Quarantined, LotStatus.Quarantined);
    });

    it("declares a lot illegitimate for good", async function () {
      const { supply, lot, regulator, mfrOp, distOp, pharm } = await networkHelpers.loadFixture(stockedFixture);
      const reason = randomHash();
      await expect(supply.connect(regulator).declareIllegitimate(lot.lotId, reason))
        .to.emit(supply, "LotStatusChanged")
        .withArgs(lot.lotId, LotStatus.Illegitimate, regulator.address, reason);
      await expect(supply.connect(mfrOp).quarantineLot(lot.lotId, reason))
        .to.be.revertedWithCustomError(supply, "SupplyInvalidTransition")
        .withArgs(lot.lotId, LotStatus.Illegitimate, LotStatus.Quarantined);
      await expect(supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
        .withArgs(lot.lotId, LotStatus.Illegitimate);
    });
  });

  describe("recallLot", function () {
    it("records the class and refuses a class outside 1..3", async function () {
      const { supply, lot, mfrOp } = await networkHelpers.loadFixture(stockedFixture);
      for (const bad of [0, 4]) {
        await expect(supply.connect(mfrOp).recallLot(lot.lotId, bad, randomHash()))
          .to.be.revertedWithCustomError(supply, "SupplyInvalidRecallClass")
          .withArgs(bad);
      }
      const reason = randomHash();
      await expect(supply.connect(mfrOp).recallLot(lot.lotId, 2, reason))
        .to.emit(supply, "LotRecalled")
        .withArgs(lot.lotId, 2, mfrOp.address, reason)
        .and.to.emit(supply, "LotStatusChanged")
        .withArgs(lot.lotId, LotStatus.Recalled, mfrOp.address, reason);
      await expect(supply.connect(mfrOp).recallLot(lot.lotId, 1, reason))
        .to.be.revertedWithCustomError(supply, "SupplyInvalidTransition")
        .withArgs(lot.lotId, LotStatus.Recalled, LotStatus.Recalled);
    });

    it("refuses a recall by an organisation that is neither the manufacturer nor a regulator", async function () {
      const { supply, lot, pharmOp, stranger } = await networkHelpers.loadFixture(stockedFixture);
      for (const who of [pharmOp, stranger]) {
        await expect(supply.connect(who).recallLot(lot.lotId, 1, randomHash()))
          .to.be.revertedWithCustomError(supply, "SupplyUnauthorized")
          .withArgs(who.address, lot.lotId);
      }
      const unknown = randomHash();
      await expect(supply.connect(pharmOp).recallLot(unknown, 1, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownLot")
        .withArgs(unknown);
    });

    it("refuses ship, accept and dispense of a recalled lot but allows reject, cancel, return and destroy", async function () {
      const f = await networkHelpers.loadFixture(stockedFixture);
      const { supply, lot, regulator, mfrOp, mfr, dist, distOp, pharm, pharmOp } = f;
      // two pending shipments before the recall: one to reject, one to cancel, one to try accepting
      await supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
      const toReject = await supply.shipmentCount();
      await supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
      const toCancel = await supply.shipmentCount();
      await supply.connect(regulator).recallLot(lot.lotId, 1, randomHash());

      await expect(supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
        .withArgs(lot.lotId, LotStatus.Recalled);
      await expect(supply.connect(pharmOp).acceptShipment(lot.lotId, toReject, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
        .withArgs(lot.lotId, LotStatus.Recalled);
      await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[1], 1, lot.proof(1), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
        .withArgs(lot.lotId, LotStatus.Recalled);

      await supply.connect(pharmOp).rejectShipment(lot.lotId, toReject, randomHash(), randomHash());
      await supply.connect(distOp).cancelShipment(lot.lotId, toCancel, randomHash());
      expect((await supply.holdingOf(lot.lotId, dist)).quantity).to.equal(2n);

      const epcis = randomHash();
      const tiTs = randomHash();
      await expect(supply.connect(pharmOp).returnForDestruction(lot.lotId, 4, epcis, tiTs))
        .to.emit(supply, "Shipped")
        .withArgs(lot.lotId, toCancel + 1n, pharm, mfr, 4, true, epcis, tiTs);
      await expect(supply.connect(mfrOp).acceptShipment(lot.lotId, toCancel + 1n, epcis, tiTs))
        .to.emit(supply, "ShipmentAccepted")
        .withArgs(lot.lotId, toCancel + 1n, mfr, pharm, 4, epcis, tiTs);
      await expect(supply.connect(mfrOp).destroy(lot.lotId, 6, epcis))
        .to.emit(supply, "UnitsDestroyed")
        .withArgs(lot.lotId, mfr, 6, epcis);
      await supply.connect(distOp).destroy(lot.lotId, 2, epcis);
      const stored = await supply.getLot(lot.lotId);
      expect(stored.destroyed).to.equal(8n);
      expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(0n);
    });

    it("refuses ship, accept and dispense of an expired lot but allows reject, cancel, return and destroy", async function () {
      const f = await networkHelpers.loadFixture(supplyFixture);
      const { supply, mfrOp, distOp, dist, pharm, pharmOp, commission, move } = f;
      const lot = await commission(6, { expiresIn: 30n * DAY });
      await move(lot.lotId, mfrOp, distOp, dist, 4n);
      await move(lot.lotId, distOp, pharmOp, pharm, 2n);
      await supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
      const pending = await supply.shipmentCount();
      await supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
      await networkHelpers.time.increaseTo(lot.expiry);

      await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotExpired")
        .withArgs(lot.lotId, lot.expiry);
      await expect(supply.connect(pharmOp).acceptShipment(lot.lotId, pending, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotExpired")
        .withArgs(lot.lotId, lot.expiry);
      await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyLotExpired")
        .withArgs(lot.lotId, lot.expiry);

      await supply.connect(pharmOp).rejectShipment(lot.lotId, pending, randomHash(), randomHash());
      await supply.connect(distOp).cancelShipment(lot.lotId, pending + 1n, randomHash());
      await supply.connect(pharmOp).returnForDestruction(lot.lotId, 2, randomHash(), randomHash());
      await supply.connect(mfrOp).acceptShipment(lot.lotId, pending + 2n, randomHash(), randomHash());
      await supply.connect(distOp).destroy(lot.lotId, 2, randomHash());
      await supply.connect(mfrOp).destroy(lot.lotId, 4, randomHash());
      expect((await supply.getLot(lot.lotId)).destroyed).to.equal(6n);
    });
  });

  describe("setStockQuarantine", function () {
    it("lets a holder quarantine its own stock, blocking its shipments and dispenses until released", async function () {
      const { supply, lot, pharmOp, pharm, dist } = await networkHelpers.loadFixture(stockedFixture);
      const reason = randomHash();
      await expect(supply.connect(pharmOp).setStockQuarantine(lot.lotId, true, reason))
        .to.emit(supply, "StockQuarantineSet")
        .withArgs(lot.lotId, pharm, true, reason);
      expect((await supply.holdingOf(lot.lotId, pharm)).quarantined).to.equal(true);
      await expect(supply.connect(pharmOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyStockQuarantined")
        .withArgs(lot.lotId, pharm);
      await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyStockQuarantined")
        .withArgs(lot.lotId, pharm);
      // the lot itself stays saleable for everyone else
      expect((await supply.getLot(lot.lotId)).status).to.equal(LotStatus.Active);
      await expect(supply.connect(pharmOp).setStockQuarantine(lot.lotId, false, reason))
        .to.emit(supply, "StockQuarantineSet")
        .withArgs(lot.lotId, pharm, false, reason);
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash());
    });

    it("refuses an organisation holding none of the lot, and an unknown lot", async function () {
      const { supply, lot, pharm2Op, pharm2 } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(pharm2Op).setStockQuarantine(lot.lotId, true, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyNotHolder")
        .withArgs(lot.lotId, pharm2);
      const unknown = randomHash();
      await expect(supply.connect(pharm2Op).setStockQuarantine(unknown, false, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownLot")
        .withArgs(unknown);
    });
  });

  describe("ship", function () {
    it("creates a pending shipment in one slot and moves the units in transit", async function () {
      const { supply, commission, mfrOp, mfr, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      const epcis = randomHash();
      const tiTs = randomHash();
      await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 5, epcis, tiTs))
        .to.emit(supply, "Shipped")
        .withArgs(lot.lotId, 1n, mfr, dist, 5, false, epcis, tiTs);
      const s = await supply.getShipment(lot.lotId, 1n);
      expect([s.fromOrg, s.toOrg, s.quantity, s.forDestruction]).to.deep.equal([mfr, dist, 5n, false]);
      expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(3n);
      expect((await supply.holdingOf(lot.lotId, dist)).quantity).to.equal(0n);
    });

    it("refuses shipping to oneself, more than held, zero units, or an unknown lot", async function () {
      const { supply, commission, mfrOp, mfr, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await expect(supply.connect(mfrOp).ship(lot.lotId, mfr, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplySelfShipment")
        .withArgs(mfr);
      await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 9, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyInsufficientStock")
        .withArgs(lot.lotId, mfr, 8, 9);
      await expect(
        supply.connect(mfrOp).ship(lot.lotId, dist, 0, randomHash(), randomHash()),
      ).to.be.revertedWithCustomError(supply, "SupplyZeroQuantity");
      const unknown = randomHash();
      await expect(supply.connect(mfrOp).ship(unknown, dist, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownLot")
        .withArgs(unknown);
    });

    it("refuses a suspended, unlicensed or unknown partner and one that does not trade", async function () {
      const { supply, identity, regulator, commission, mfrOp, dist, lab } =
        await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await identity.connect(regulator).suspendOrganization(dist, randomHash());
      await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyPartnerNotAuthorized")
        .withArgs(dist, OrgStatus.Suspended, (await identity.getOrganization(dist)).validUntil);
      await expect(supply.connect(mfrOp).ship(lot.lotId, 999n, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyPartnerNotAuthorized")
        .withArgs(999n, OrgStatus.None, 0);
      await expect(supply.connect(mfrOp).ship(lot.lotId, lab, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(lab, TRADE);
    });

    it("refuses a sender without TRADE", async function () {
      const { supply, commission, labOp, lab, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await expect(supply.connect(labOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(lab, TRADE);
    });
  });

  describe("acceptShipment, rejectShipment and cancelShipment", function () {
    it("accepts: the receiver holds the units and the shipment is gone", async function () {
      const { supply, commission, mfrOp, mfr, distOp, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 5, randomHash(), randomHash());
      const epcis = randomHash();
      const tiTs = randomHash();
      await expect(supply.connect(distOp).acceptShipment(lot.lotId, 1n, epcis, tiTs))
        .to.emit(supply, "ShipmentAccepted")
        .withArgs(lot.lotId, 1n, dist, mfr, 5, epcis, tiTs);
      expect((await supply.holdingOf(lot.lotId, dist)).quantity).to.equal(5n);
      expect((await supply.getShipment(lot.lotId, 1n)).fromOrg).to.equal(0n);
      await expect(supply.connect(distOp).acceptShipment(lot.lotId, 1n, epcis, tiTs))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownShipment")
        .withArgs(lot.lotId, 1n);
    });

    it("refuses a shipment named under another lot, and a party that is not the receiver or sender", async function () {
      const { supply, commission, mfrOp, mfr, distOp, dist, pharmOp, pharm } =
        await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 5, randomHash(), randomHash());
      const other = randomHash();
      await expect(supply.connect(distOp).acceptShipment(other, 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownShipment")
        .withArgs(other, 1n);
      await expect(supply.connect(pharmOp).acceptShipment(lot.lotId, 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyNotShipmentParty")
        .withArgs(1n, pharm);
      await expect(supply.connect(mfrOp).rejectShipment(lot.lotId, 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyNotShipmentParty")
        .withArgs(1n, mfr);
      await expect(supply.connect(distOp).cancelShipment(lot.lotId, 1n, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyNotShipmentParty")
        .withArgs(1n, dist);
    });

    it("refuses acceptance when the sender was suspended in transit, or the receiver was", async function () {
      const { supply, identity, regulator, commission, mfrOp, mfr, distOp, dist } =
        await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 5, randomHash(), randomHash());
      await identity.connect(regulator).suspendOrganization(mfr, randomHash());
      await expect(supply.connect(distOp).acceptShipment(lot.lotId, 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyPartnerNotAuthorized")
        .withArgs(mfr, OrgStatus.Suspended, (await identity.getOrganization(mfr)).validUntil);
      await identity.connect(regulator).reinstateOrganization(mfr, randomHash());
      await identity.connect(regulator).suspendOrganization(dist, randomHash());
      await expect(supply.connect(distOp).acceptShipment(lot.lotId, 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(dist, OrgStatus.Suspended);
    });

    it("refuses an ordinary shipment to a receiver that lost TRADE in transit", async function () {
      const { supply, identity, registrar, commission, mfrOp, distOp, dist } =
        await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 5, randomHash(), randomHash());
      await identity.connect(registrar).updateOrganization(dist, 0, (await now(ethers)) + 100n * DAY, randomHash());
      await expect(supply.connect(distOp).acceptShipment(lot.lotId, 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(dist, TRADE);
    });

    it("rejects: the units go back to the sender", async function () {
      const { supply, commission, mfrOp, mfr, distOp, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 5, randomHash(), randomHash());
      const epcis = randomHash();
      const reason = randomHash();
      await expect(supply.connect(distOp).rejectShipment(lot.lotId, 1n, epcis, reason))
        .to.emit(supply, "ShipmentRejected")
        .withArgs(lot.lotId, 1n, dist, epcis, reason);
      expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(8n);
    });

    it("cancels: the units come back to the sender", async function () {
      const { supply, commission, mfrOp, mfr, dist } = await networkHelpers.loadFixture(supplyFixture);
      const lot = await commission(8);
      await supply.connect(mfrOp).ship(lot.lotId, dist, 5, randomHash(), randomHash());
      const epcis = randomHash();
      await expect(supply.connect(mfrOp).cancelShipment(lot.lotId, 1n, epcis))
        .to.emit(supply, "ShipmentCancelled")
        .withArgs(lot.lotId, 1n, mfr, epcis);
      expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(8n);
    });
  });

  describe("returnForDestruction and destroy", function () {
    it("refuses a return by the manufacturer itself, and destroying more than held", async function () {
      const { supply, lot, mfrOp, mfr, pharmOp, pharm } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(mfrOp).returnForDestruction(lot.lotId, 1, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplySelfShipment")
        .withArgs(mfr);
      await expect(supply.connect(pharmOp).destroy(lot.lotId, 5, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyInsufficientStock")
        .withArgs(lot.lotId, pharm, 4, 5);
    });

    it("lets a holder return quarantined stock for destruction: the manufacturer holds it apart", async function () {
      const { supply, lot, mfrOp, mfr, pharmOp, pharm } = await networkHelpers.loadFixture(stockedFixture);
      await supply.connect(pharmOp).setStockQuarantine(lot.lotId, true, randomHash());
      await supply.connect(pharmOp).returnForDestruction(lot.lotId, 4, randomHash(), randomHash());
      const id = await supply.shipmentCount();
      expect((await supply.getShipment(lot.lotId, id)).forDestruction).to.equal(true);
      await supply.connect(mfrOp).acceptShipment(lot.lotId, id, randomHash(), randomHash());
      const held = await supply.holdingOf(lot.lotId, mfr);
      expect([held.quantity, held.awaitingDestruction]).to.deep.equal([2n, 4n]);
      expect((await supply.holdingOf(lot.lotId, pharm)).quantity).to.equal(0n);
    });
  });

  describe("dispense", function () {
    it("marks the unit dispensed with the dispensing organisation's kind", async function () {
      const { supply, lot, pharmOp, pharm } = await networkHelpers.loadFixture(stockedFixture);
      const epcis = randomHash();
      await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[3], 3, lot.proof(3), epcis))
        .to.emit(supply, "UnitDispensed")
        .withArgs(lot.lotId, pharm, lot.hashes[3], 3, epcis);
      expect(await supply.dispensedBy(lot.lotId, 3)).to.equal(OrgKind.Pharmacy);
      expect(await supply.dispensedBy(lot.lotId, 2)).to.equal(OrgKind.None);
      expect((await supply.holdingOf(lot.lotId, pharm)).quantity).to.equal(3n);
    });

    it("refuses a cloned pack: the same serial dispensed a second time, by anyone", async function () {
      const { supply, lot, pharmOp, pharm2Op, pharm2, distOp, move } = await networkHelpers.loadFixture(stockedFixture);
      await move(lot.lotId, distOp, pharm2Op, pharm2, 1n);
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[5], 5, lot.proof(5), randomHash());
      for (const who of [pharmOp, pharm2Op]) {
        await expect(supply.connect(who).dispense(lot.lotId, lot.hashes[5], 5, lot.proof(5), randomHash()))
          .to.be.revertedWithCustomError(supply, "SupplyAlreadyDispensed")
          .withArgs(lot.lotId, 5, lot.hashes[5]);
      }
    });

    it("refuses the same serial under another index", async function () {
      const { supply, lot, pharmOp } = await networkHelpers.loadFixture(stockedFixture);
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[2], 2, lot.proof(2), randomHash());
      for (const index of [0, 3, 7]) {
        await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[2], index, lot.proof(2), randomHash()))
          .to.be.revertedWithCustomError(supply, "SupplyInvalidProof")
          .withArgs(lot.lotId, index, lot.hashes[2]);
      }
    });

    it("refuses an unknown lot", async function () {
      const { supply, lot, pharmOp } = await networkHelpers.loadFixture(stockedFixture);
      const unknown = randomHash();
      await expect(supply.connect(pharmOp).dispense(unknown, lot.hashes[2], 2, lot.proof(2), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyUnknownLot")
        .withArgs(unknown);
    });

    it("refuses an index beyond the lot's quantity", async function () {
      const { supply, lot, pharmOp } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[2], 8, lot.proof(2), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyIndexOutOfRange")
        .withArgs(lot.lotId, 8, 8);
    });

    it("refuses a proof made for another lot", async function () {
      const { supply, lot, pharmOp, commission, mfrOp, distOp, dist, pharm, move } =
        await networkHelpers.loadFixture(stockedFixture);
      const other = await commission(8);
      await move(other.lotId, mfrOp, distOp, dist, 2n);
      await move(other.lotId, distOp, pharmOp, pharm, 2n);
      await expect(supply.connect(pharmOp).dispense(lot.lotId, other.hashes[1], 1, other.proof(1), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyInvalidProof")
        .withArgs(lot.lotId, 1, other.hashes[1]);
      await supply.connect(pharmOp).dispense(other.lotId, other.hashes[1], 1, other.proof(1), randomHash());
    });

    it("refuses an organisation that holds no units or may not dispense", async function () {
      const { supply, lot, pharm2Op, pharm2, distOp, dist } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(pharm2Op).dispense(lot.lotId, lot.hashes[1], 1, lot.proof(1), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyInsufficientStock")
        .withArgs(lot.lotId, pharm2, 0, 1);
      await expect(supply.connect(distOp).dispense(lot.lotId, lot.hashes[1], 1, lot.proof(1), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyMissingCapability")
        .withArgs(dist, DISPENSE);
    });

    it("conserves units: held + in transit + dispensed + destroyed = commissioned", async function () {
      const { supply, lot, pharmOp, distOp, mfr, dist, pharm, pharm2 } =
        await networkHelpers.loadFixture(stockedFixture);
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash());
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[1], 1, lot.proof(1), randomHash());
      await supply.connect(distOp).ship(lot.lotId, pharm2, 1, randomHash(), randomHash());
      await supply.connect(pharmOp).destroy(lot.lotId, 1, randomHash());
      const s = await supply.getShipment(lot.lotId, await supply.shipmentCount());
      const stored = await supply.getLot(lot.lotId);
      let held = 0n;
      for (const org of [mfr, dist, pharm, pharm2]) held += (await supply.holdingOf(lot.lotId, org)).quantity;
      let dispensed = 0n;
      for (let i = 0n; i < stored.quantity; i++) {
        if ((await supply.dispensedBy(lot.lotId, i)) !== BigInt(OrgKind.None)) dispensed++;
      }
      expect(dispensed).to.equal(2n);
      expect(held + s.quantity + dispensed + stored.destroyed).to.equal(stored.quantity);
    });
  });

  describe("verifySaleableReturn", function () {
    it("lets a supplier re-verify a unit a pharmacy returned, and refuses a dispensed one", async function () {
      const { supply, lot, pharmOp, distOp, dist, move } = await networkHelpers.loadFixture(stockedFixture);
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash());
      await move(lot.lotId, pharmOp, distOp, dist, 1n); // a saleable return
      const epcis = randomHash();
      await expect(supply.connect(distOp).verifySaleableReturn(lot.lotId, lot.hashes[4], 4, lot.proof(4), epcis))
        .to.emit(supply, "SaleableReturnVerified")
        .withArgs(lot.lotId, dist, lot.hashes[4], 4, epcis);
      await expect(supply.connect(distOp).verifySaleableReturn(lot.lotId, lot.hashes[0], 0, lot.proof(0), epcis))
        .to.be.revertedWithCustomError(supply, "SupplyAlreadyDispensed")
        .withArgs(lot.lotId, 0, lot.hashes[0]);
      await expect(supply.connect(distOp).verifySaleableReturn(lot.lotId, lot.hashes[0], 1, lot.proof(0), epcis))
        .to.be.revertedWithCustomError(supply, "SupplyInvalidProof")
        .withArgs(lot.lotId, 1, lot.hashes[0]);
    });

    it("refuses an index beyond the lot's quantity", async function () {
      const { supply, lot, distOp } = await networkHelpers.loadFixture(stockedFixture);
      await expect(supply.connect(distOp).verifySaleableReturn(lot.lotId, lot.hashes[4], 8, lot.proof(4), randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyIndexOutOfRange")
        .withArgs(lot.lotId, 8, 8);
    });

    it("refuses an organisation that holds none of the lot", async function () {
      const { supply, lot, pharm2Op, pharm2 } = await networkHelpers.loadFixture(stockedFixture);
      await expect(
        supply.connect(pharm2Op).verifySaleableReturn(lot.lotId, lot.hashes[4], 4, lot.proof(4), randomHash()),
      )
        .to.be.revertedWithCustomError(supply, "SupplyNotHolder")
        .withArgs(lot.lotId, pharm2);
    });
  });

  describe("reportSuspect and correctEvent", function () {
    it("lets anyone report a suspect pack", async function () {
      const { supply, lot, stranger } = await networkHelpers.loadFixture(stockedFixture);
      const serial = serialHashOf("UNKNOWN-SERIAL");
      const reason = randomHash();
      await expect(supply.connect(stranger).reportSuspect(lot.lotId, serial, reason))
        .to.emit(supply, "SuspectReported")
        .withArgs(lot.lotId, stranger.address, serial, reason);
    });

    it("records a correction naming the corrected EPCIS event, by an active organisation only", async function () {
      const { supply, lot, distOp, dist, stranger } = await networkHelpers.loadFixture(stockedFixture);
      const [wrong, fixed, reason] = [randomHash(), randomHash(), randomHash()];
      await expect(supply.connect(distOp).correctEvent(lot.lotId, wrong, fixed, reason))
        .to.emit(supply, "EventCorrected")
        .withArgs(wrong, fixed, dist, reason);
      await expect(supply.connect(stranger).correctEvent(lot.lotId, wrong, fixed, reason))
        .to.be.revertedWithCustomError(supply, "SupplyNoActiveOrganization")
        .withArgs(stranger.address);
    });
  });

  describe("verifyUnit", function () {
    it("answers authentic and active for a released, saleable unit", async function () {
      const { supply, lot } = await networkHelpers.loadFixture(stockedFixture);
      const r = await supply.verifyUnit(lot.gtin, lot.lotHash, lot.hashes[6], 6, lot.proof(6));
      expect([r.authentic, r.status, r.expiry, r.dispensedByKind]).to.deep.equal([
        true,
        BigInt(UnitStatus.Active),
        lot.expiry,
        BigInt(OrgKind.None),
      ]);
    });

    it("answers dispensed with the kind of the dispensing organisation", async function () {
      const { supply, lot, pharmOp } = await networkHelpers.loadFixture(stockedFixture);
      await supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[6], 6, lot.proof(6), randomHash());
      const r = await supply.verifyUnit(lot.gtin, lot.lotHash, lot.hashes[6], 6, lot.proof(6));
      expect([r.authentic, r.status, r.dispensedByKind]).to.deep.equal([
        true,
        BigInt(UnitStatus.Dispensed),
        BigInt(OrgKind.Pharmacy),
      ]);
    });

    it("answers not authentic for a serial not in the lot, a wrong index or an unknown lot", async function () {
      const { supply, lot } = await networkHelpers.loadFixture(stockedFixture);
      const fake = serialHashOf("COUNTERFEIT");
      const cases: [bigint, string, string, number][] = [
        [lot.gtin, lot.lotHash, fake, 6],
        [lot.gtin, lot.lotHash, lot.hashes[6], 5],
        [lot.gtin, lot.lotHash, lot.hashes[6], 8],
        [lot.gtin, randomHash(), lot.hashes[6], 6],
      ];
      for (const [gtin, lotHash, serial, index] of cases) {
        const r = await supply.verifyUnit(gtin, lotHash, serial, index, lot.proof(6));
        expect([r.authentic, r.status, r.expiry]).to.deep.equal([false, BigInt(UnitStatus.Unknown), 0n]);
      }
    });

    it("answers unreleased, quarantined, recalled, illegitimate and expired", async function () {
      const { supply, commission, mfrOp, regulator } = await networkHelpers.loadFixture(supplyFixture);
      const status = async (l: Awaited<ReturnType<typeof commission>>) =>
        (await supply.verifyUnit(l.gtin, l.lotHash, l.hashes[1], 1, l.proof(1))).status;
      const a = await commission(4, { release: false });
      expect(await status(a)).to.equal(BigInt(UnitStatus.Unreleased));
      await supply.connect(mfrOp).quarantineLot(a.lotId, randomHash());
      expect(await status(a)).to.equal(BigInt(UnitStatus.Quarantined));
      await supply.connect(regulator).recallLot(a.lotId, 1, randomHash());
      expect(await status(a)).to.equal(BigInt(UnitStatus.Recalled));
      const b = await commission(4);
      await supply.connect(regulator).declareIllegitimate(b.lotId, randomHash());
      expect(await status(b)).to.equal(BigInt(UnitStatus.Illegitimate));
      const c = await commission(4, { expiresIn: DAY });
      await networkHelpers.time.increaseTo(c.expiry);
      expect(await status(c)).to.equal(BigInt(UnitStatus.Expired));
    });
  });

  describe("roles", function () {
    it("uses the REGULATOR role of the shared AccessManager", async function () {
      const { manager, regulator } = await networkHelpers.loadFixture(supplyFixture);
      expect((await manager.hasRole(Roles.REGULATOR, regulator.address))[0]).to.equal(true);
    });
  });
});
