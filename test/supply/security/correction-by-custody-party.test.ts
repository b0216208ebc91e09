/**
 * Issue #12 point 14 — `correctEvent` corrects only an event the correcting organisation was party to.
 *
 * The review's attack: any active organisation could declare another company's EPCIS event wrong
 * (`EventCorrected` names any hash), polluting the lot's record a regulator reads. Now a correction names
 * the lot, and the organisation must have taken part in that lot's custody — its manufacturer, or an
 * organisation that accepted or rejected a shipment of it (`Holding.party`, set by the writes those calls
 * make anyway): otherwise `SupplyNotEventParty(correctedEpcisEventHash, lotId, orgId)`. Whether it sent or
 * received the very event it corrects is checked against the logs by the SDK timeline (`byOriginator`).
 */
import { expect } from "chai";
import { network } from "hardhat";

import { randomHash } from "../../helpers/identity.ts";
import { deploySupply } from "../../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

async function fixture() {
  const f = await deploySupply(ethers);
  const lot = await f.commission(8);
  await f.move(lot.lotId, f.mfrOp, f.distOp, f.dist, 4n);
  return { ...f, lot };
}

describe("security: a correction comes from a party to the lot's custody", function () {
  it("refuses a correction of a lot's event by an organisation that never touched the lot", async function () {
    const { supply, lot, pharm2Op, pharm2, lab2Op, lab2 } = await networkHelpers.loadFixture(fixture);
    const [shipEvent, forged, reason] = [randomHash(), randomHash(), randomHash()];
    await expect(supply.connect(pharm2Op).correctEvent(lot.lotId, shipEvent, forged, reason))
      .to.be.revertedWithCustomError(supply, "SupplyNotEventParty")
      .withArgs(shipEvent, lot.lotId, pharm2);
    await expect(supply.connect(lab2Op).correctEvent(lot.lotId, shipEvent, forged, reason))
      .to.be.revertedWithCustomError(supply, "SupplyNotEventParty")
      .withArgs(shipEvent, lot.lotId, lab2);
    expect((await supply.holdingOf(lot.lotId, pharm2)).party).to.equal(false);
  });

  it("lets the manufacturer, a receiver that accepted and one that rejected correct the lot's events", async function () {
    const { supply, lot, mfrOp, mfr, distOp, dist, pharmOp, pharm } = await networkHelpers.loadFixture(fixture);
    await supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
    // A receiver with a pending shipment has not taken part yet...
    const [a, b, reason] = [randomHash(), randomHash(), randomHash()];
    await expect(supply.connect(pharmOp).correctEvent(lot.lotId, a, b, reason))
      .to.be.revertedWithCustomError(supply, "SupplyNotEventParty")
      .withArgs(a, lot.lotId, pharm);
    // ...once it rejects the shipment, it has (it may correct its rejection), though it holds nothing.
    await supply.connect(pharmOp).rejectShipment(lot.lotId, await supply.shipmentCount(), randomHash(), randomHash());
    const held = await supply.holdingOf(lot.lotId, pharm);
    expect([held.quantity, held.party]).to.deep.equal([0n, true]);
    for (const [op, org] of [
      [pharmOp, pharm],
      [distOp, dist],
      [mfrOp, mfr],
    ] as const) {
      const [wrong, fixed, why] = [randomHash(), randomHash(), randomHash()];
      await expect(supply.connect(op).correctEvent(lot.lotId, wrong, fixed, why))
        .to.emit(supply, "EventCorrected")
        .withArgs(wrong, fixed, org, why);
    }
  });

  it("refuses a party of one lot correcting under another lot it never touched", async function () {
    const { supply, commission, lot, distOp, dist } = await networkHelpers.loadFixture(fixture);
    const other = await commission(2);
    const wrong = randomHash();
    await supply.connect(distOp).correctEvent(lot.lotId, wrong, randomHash(), randomHash());
    await expect(supply.connect(distOp).correctEvent(other.lotId, wrong, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyNotEventParty")
      .withArgs(wrong, other.lotId, dist);
  });
});
