/**
 * Issue #12 point 13 — units returned for destruction can only be destroyed.
 *
 * The review's attack: a pharmacy quarantines its own stock (an excursion), then "returns it for
 * destruction"; the manufacturer accepts the return and, because the units landed in its ordinary holding,
 * ships them to a distributor who sells them on to a pharmacy that dispenses them. `destroyed` stays 0 and
 * the pharmacy's stock quarantine is laundered. Now the accepted units land apart (`awaitingDestruction`),
 * every selling path refuses them with `SupplyInsufficientStock`, and `destroy` takes them first and counts
 * them as destroyed.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { randomHash } from "../../helpers/identity.ts";
import { deploySupply } from "../../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

/** 8 units: the manufacturer keeps 2, the pharmacy holds 6 (via the distributor). */
async function fixture() {
  const f = await deploySupply(ethers);
  const lot = await f.commission(8);
  await f.move(lot.lotId, f.mfrOp, f.distOp, f.dist, 6n);
  await f.move(lot.lotId, f.distOp, f.pharmOp, f.pharm, 6n);
  return { ...f, lot };
}

describe("security: units returned for destruction can only be destroyed", function () {
  it("refuses to ship or dispense a quarantined stock laundered through a return for destruction", async function () {
    const { supply, lot, mfrOp, mfr, distOp, dist, pharmOp, pharm } = await networkHelpers.loadFixture(fixture);
    // The attack: quarantine own stock, return it "for destruction", the manufacturer accepts it...
    await supply.connect(pharmOp).setStockQuarantine(lot.lotId, true, randomHash());
    await supply.connect(pharmOp).returnForDestruction(lot.lotId, 6, randomHash(), randomHash());
    const returned = await supply.shipmentCount();
    const epcis = randomHash();
    const tiTs = randomHash();
    await expect(supply.connect(mfrOp).acceptShipment(lot.lotId, returned, epcis, tiTs))
      .to.emit(supply, "ShipmentAccepted")
      .withArgs(lot.lotId, returned, mfr, pharm, 6, epcis, tiTs);
    // ...and tries to sell them on: only its own 2 saleable units can leave.
    const held = await supply.holdingOf(lot.lotId, mfr);
    expect([held.quantity, held.awaitingDestruction]).to.deep.equal([2n, 6n]);
    await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 3, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyInsufficientStock")
      .withArgs(lot.lotId, mfr, 2, 3);
    await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 8, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyInsufficientStock")
      .withArgs(lot.lotId, mfr, 2, 8);
    // Nothing moved: the refused shipments changed no holding and no total.
    expect((await supply.holdingOf(lot.lotId, dist)).quantity).to.equal(0n);
    const totals = await supply.lotTotals(lot.lotId);
    expect([totals.held, totals.inTransit, totals.awaitingDestruction]).to.deep.equal([2n, 0n, 6n]);
    // The 2 saleable units still ship (and are the only ones a pharmacy can ever dispense).
    await supply.connect(mfrOp).ship(lot.lotId, dist, 2, randomHash(), randomHash());
    await supply.connect(distOp).acceptShipment(lot.lotId, await supply.shipmentCount(), randomHash(), randomHash());
    expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(0n);
  });

  it("destroys units awaiting destruction first and counts them as destroyed", async function () {
    const { supply, lot, mfrOp, mfr, pharmOp } = await networkHelpers.loadFixture(fixture);
    await supply.connect(pharmOp).returnForDestruction(lot.lotId, 5, randomHash(), randomHash());
    await supply.connect(mfrOp).acceptShipment(lot.lotId, await supply.shipmentCount(), randomHash(), randomHash());
    const epcis = randomHash();
    await expect(supply.connect(mfrOp).destroy(lot.lotId, 4, epcis))
      .to.emit(supply, "UnitsDestroyed")
      .withArgs(lot.lotId, mfr, 4, epcis);
    let held = await supply.holdingOf(lot.lotId, mfr);
    expect([held.quantity, held.awaitingDestruction]).to.deep.equal([2n, 1n]);
    // One more than it holds in all (1 awaiting + 2 saleable) is refused, naming what it holds.
    await expect(supply.connect(mfrOp).destroy(lot.lotId, 4, randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyInsufficientStock")
      .withArgs(lot.lotId, mfr, 3, 4);
    await expect(supply.connect(mfrOp).destroy(lot.lotId, 0, randomHash())).to.be.revertedWithCustomError(
      supply,
      "SupplyZeroQuantity",
    );
    // The last awaiting unit, then one saleable unit.
    await supply.connect(mfrOp).destroy(lot.lotId, 2, randomHash());
    held = await supply.holdingOf(lot.lotId, mfr);
    expect([held.quantity, held.awaitingDestruction]).to.deep.equal([1n, 0n]);
    const stored = await supply.getLot(lot.lotId);
    expect(stored.destroyed).to.equal(6n);
    const t = await supply.lotTotals(lot.lotId);
    expect([t.held, t.inTransit, t.dispensed, t.destroyed, t.awaitingDestruction]).to.deep.equal([2n, 0n, 0n, 6n, 0n]);
  });

  it("sends a rejected or cancelled return back to the sender's own holding, with its quarantine", async function () {
    const { supply, lot, mfrOp, pharmOp, pharm } = await networkHelpers.loadFixture(fixture);
    await supply.connect(pharmOp).setStockQuarantine(lot.lotId, true, randomHash());
    await supply.connect(pharmOp).returnForDestruction(lot.lotId, 2, randomHash(), randomHash());
    await supply.connect(mfrOp).rejectShipment(lot.lotId, await supply.shipmentCount(), randomHash(), randomHash());
    await supply.connect(pharmOp).returnForDestruction(lot.lotId, 1, randomHash(), randomHash());
    await supply.connect(pharmOp).cancelShipment(lot.lotId, await supply.shipmentCount(), randomHash());
    const held = await supply.holdingOf(lot.lotId, pharm);
    expect([held.quantity, held.quarantined, held.awaitingDestruction]).to.deep.equal([6n, true, 0n]);
    await expect(supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[0], 0, lot.proof(0), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyStockQuarantined")
      .withArgs(lot.lotId, pharm);
  });
});
