import { expect } from "chai";
import { network } from "hardhat";

import { serialHash } from "../../src/merkle.ts";
import { queryFilterPaged, resolveLogRange } from "../../src/views/paging.ts";
import { type CustodyEntry, lotTimeline, unitTimeline } from "../../src/views/supply.ts";
import { deployCustodyStory } from "../helpers/sdk-supply.ts";

const { ethers, networkHelpers } = await network.create();

async function storyFixture() {
  return deployCustodyStory(ethers, (blocks) => networkHelpers.mine(blocks));
}

/** The fields a custody reader looks at, per entry. */
function summary(entry: CustodyEntry): unknown[] {
  switch (entry.event) {
    case "LotCommissioned":
      return [entry.event, entry.manufacturerId, entry.quantity, entry.epcisEventHash];
    case "QualityChecked":
      return [entry.event, entry.orgId, entry.passed];
    case "Shipped":
    case "ShipmentAccepted":
      return [entry.event, entry.shipmentId, entry.fromOrg, entry.toOrg, entry.quantity, entry.epcisEventHash];
    case "ShipmentRejected":
      return [entry.event, entry.shipmentId, entry.fromOrg, entry.toOrg, entry.quantity, entry.epcisEventHash];
    case "UnitDispensed":
      return [entry.event, entry.orgId, entry.index, entry.quantity, entry.epcisEventHash];
    default:
      return [entry.event];
  }
}

describe("SDK custody timeline", function () {
  describe("lotTimeline", function () {
    it("rebuilds ship → accept → reject → ship → accept → dispense with orgs, quantities and EPCIS hashes", async function () {
      const {
        supply,
        lotId,
        h,
        shipments: s,
        mfr,
        dist,
        pharm,
        commissioningHash,
        serials,
      } = await networkHelpers.loadFixture(storyFixture);
      const timeline = await lotTimeline(supply, lotId);
      expect(timeline.lotId).to.equal(lotId);
      expect(timeline.toBlock).to.equal(await ethers.provider.getBlockNumber());
      expect(timeline.entries.map(summary)).to.deep.equal([
        ["LotCommissioned", mfr, 6n, commissioningHash],
        ["QualityChecked", mfr, true],
        ["Shipped", s.a, mfr, dist, 4n, h.shipA],
        ["ShipmentAccepted", s.a, mfr, dist, 4n, h.acceptA],
        ["Shipped", s.b, dist, pharm, 1n, h.shipB],
        ["ShipmentRejected", s.b, dist, pharm, 1n, h.rejectB], // sender and quantity linked from its Shipped entry
        ["Shipped", s.c, dist, pharm, 3n, h.shipC],
        ["ShipmentAccepted", s.c, dist, pharm, 3n, h.acceptC],
        ["UnitDispensed", pharm, 1n, 1n, h.dispense1],
        ["UnitDispensed", pharm, 2n, 1n, h.dispense2],
      ]);
      const dispensed = timeline.entries.filter((e) => e.event === "UnitDispensed");
      expect(dispensed.map((e) => e.serialHash)).to.deep.equal([serialHash(serials[1]), serialHash(serials[2])]);
      const shipped = timeline.entries.find((e) => e.event === "Shipped")!;
      expect(shipped.event === "Shipped" && shipped.tiTsHash).to.equal(h.tiTsA);
      const rejected = timeline.entries.find((e) => e.event === "ShipmentRejected")!;
      expect(rejected.event === "ShipmentRejected" && rejected.reasonHash).to.equal(h.rejectReasonB);
    });

    it("orders entries by (block, log index) and stamps each with its block's time and transaction", async function () {
      const { supply, lotId } = await networkHelpers.loadFixture(storyFixture);
      const { entries } = await lotTimeline(supply, lotId);
      for (let i = 1; i < entries.length; i++) {
        const [a, b] = [entries[i - 1], entries[i]];
        expect(a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex)).to.equal(
          true,
        );
      }
      for (const entry of entries) {
        const block = (await ethers.provider.getBlock(entry.blockNumber))!;
        expect(entry.timestamp).to.equal(block.timestamp);
        expect(block.transactions).to.include(entry.transactionHash);
      }
    });

    it("gives the same timeline whatever the chunk size, and reads only the blocks asked for", async function () {
      const { supply, lotId, firstBlock } = await networkHelpers.loadFixture(storyFixture);
      const whole = await lotTimeline(supply, lotId);
      for (const chunkSize of [1, 2, 7]) {
        const paged = await lotTimeline(supply, lotId, { chunkSize, toBlock: whole.toBlock });
        expect(paged, `chunk ${chunkSize}`).to.deep.equal(whole);
      }
      const later = await lotTimeline(supply, lotId, { fromBlock: firstBlock + 1, chunkSize: 3 });
      expect(later.entries.map((e) => e.event)).to.deep.equal(whole.entries.slice(2).map((e) => e.event));
      const early = await lotTimeline(supply, lotId, { toBlock: firstBlock });
      expect(early.entries.map((e) => e.event)).to.deep.equal(["LotCommissioned", "QualityChecked"]);
    });

    it("links each correction to the event it corrects, chains a correction of a correction, and flags who corrected", async function () {
      const { supply, lotId, h, dist, pharm } = await networkHelpers.loadFixture(storyFixture);
      const timeline = await lotTimeline(supply, lotId, { chunkSize: 4 });
      const shipC = timeline.entries.find((e) => "epcisEventHash" in e && e.epcisEventHash === h.shipC)!;
      expect(shipC.correctedBy).to.have.length(1);
      const fix = shipC.correctedBy[0];
      expect(fix).to.deep.include({
        event: "EventCorrected",
        correctedEpcisEventHash: h.shipC,
        newEpcisEventHash: h.shipCFixed,
        orgId: dist,
        byOriginator: true,
      });
      expect(fix.correctedBy.map((c) => [c.newEpcisEventHash, c.orgId, c.byOriginator])).to.deep.equal([
        [h.shipCFixedAgain, dist, true],
      ]);
      const acceptA = timeline.entries.find((e) => "epcisEventHash" in e && e.epcisEventHash === h.acceptA)!;
      expect(acceptA.correctedBy.map((c) => [c.newEpcisEventHash, c.orgId, c.byOriginator])).to.deep.equal([
        [h.acceptAFixed, pharm, false], // the pharmacy corrected the distributor's acceptance
      ]);
      expect(timeline.corrections.map((c) => c.newEpcisEventHash)).to.deep.equal([
        h.shipCFixed,
        h.shipCFixedAgain,
        h.acceptAFixed,
      ]);
      expect(timeline.entries.filter((e) => e.correctedBy.length > 0)).to.have.length(2);
    });

    it("leaves out other lots' events", async function () {
      const { supply, otherLotId, lotId } = await networkHelpers.loadFixture(storyFixture);
      const other = await lotTimeline(supply, otherLotId);
      expect(other.entries.map((e) => e.event)).to.deep.equal(["LotCommissioned"]);
      expect((await lotTimeline(supply, lotId)).entries.every((e) => e.lotId === lotId)).to.equal(true);
    });
  });

  describe("unitTimeline", function () {
    it("keeps the unit's own entries and the lot-wide ones, not other units' dispenses", async function () {
      const { supply, lotId, serials, h } = await networkHelpers.loadFixture(storyFixture);
      const unit = { serialHash: serialHash(serials[1]), index: 1n };
      const timeline = await unitTimeline(supply, lotId, unit, { chunkSize: 5 });
      const events = timeline.entries.map((e) => [e.event, e.scope]);
      expect(events).to.deep.include(["UnitDispensed", "unit"]);
      expect(timeline.entries.filter((e) => e.event === "UnitDispensed")).to.have.length(1);
      expect(events.filter(([, scope]) => scope === "lot")).to.have.length(8);
      expect(timeline.corrections.map((c) => c.newEpcisEventHash)).to.deep.equal([
        h.shipCFixed,
        h.shipCFixedAgain,
        h.acceptAFixed,
      ]);

      const own = await unitTimeline(supply, lotId, unit, { includeLotEntries: false });
      expect(own.entries.map((e) => [e.event, "epcisEventHash" in e && e.epcisEventHash])).to.deep.equal([
        ["UnitDispensed", h.dispense1],
      ]);
      expect(own.corrections).to.deep.equal([]);
    });

    it("finds nothing of its own for a unit never dispensed, and matches the index when given", async function () {
      const { supply, lotId, serials } = await networkHelpers.loadFixture(storyFixture);
      const never = await unitTimeline(
        supply,
        lotId,
        { serialHash: serialHash(serials[4]) },
        { includeLotEntries: false },
      );
      expect(never.entries).to.deep.equal([]);
      const wrongIndex = await unitTimeline(
        supply,
        lotId,
        { serialHash: serialHash(serials[1]), index: 5n },
        { includeLotEntries: false },
      );
      expect(wrongIndex.entries).to.deep.equal([]);
    });
  });

  describe("paging", function () {
    it("refuses a bad range and reads nothing from an empty one", async function () {
      const { supply } = await networkHelpers.loadFixture(storyFixture);
      await expect(resolveLogRange(ethers.provider, { chunkSize: 0 })).to.be.rejectedWith(RangeError);
      await expect(resolveLogRange(ethers.provider, { fromBlock: -1 })).to.be.rejectedWith(RangeError);
      await expect(resolveLogRange(ethers.provider, { toBlock: 1.5 })).to.be.rejectedWith(RangeError);
      const empty = await resolveLogRange(ethers.provider, { fromBlock: 10, toBlock: 9 });
      expect(await queryFilterPaged(supply, "Shipped", empty)).to.deep.equal([]);
    });
  });
});
