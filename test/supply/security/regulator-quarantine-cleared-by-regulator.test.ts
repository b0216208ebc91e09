/**
 * Issue #12 point 14 — a quarantine set by a REGULATOR is cleared only by a REGULATOR.
 *
 * The review's attack: a regulator quarantines a lot (a suspected diversion); the manufacturer clears it
 * the next block and ships. Now a regulator's quarantine is a regulator's hold: the manufacturer is refused
 * with `SupplyQuarantineHeldByRegulator(lotId, caller)`. A manufacturer that quarantines first cannot keep
 * the lot out of the regulator's hands either: the regulator's quarantine takes the hold over.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { randomHash } from "../../helpers/identity.ts";
import { deploySupply } from "../../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

const LotStatus = { Active: 1n, Quarantined: 2n, Recalled: 3n } as const;

async function fixture() {
  const f = await deploySupply(ethers);
  const lot = await f.commission(8);
  return { ...f, lot };
}

describe("security: a REGULATOR's quarantine is cleared only by a REGULATOR", function () {
  it("refuses the manufacturer's clearing of a regulator's quarantine; the regulator clears it", async function () {
    const { supply, lot, regulator, mfrOp, mfrOp2, dist } = await networkHelpers.loadFixture(fixture);
    const reason = randomHash();
    await expect(supply.connect(regulator).quarantineLot(lot.lotId, reason))
      .to.emit(supply, "LotStatusChanged")
      .withArgs(lot.lotId, LotStatus.Quarantined, regulator.address, reason);
    expect(await supply.isRegulatorHold(lot.lotId)).to.equal(true);
    // The attack: the manufacturer (any of its operators) clears it and ships.
    for (const op of [mfrOp, mfrOp2]) {
      await expect(supply.connect(op).clearQuarantine(lot.lotId, randomHash()))
        .to.be.revertedWithCustomError(supply, "SupplyQuarantineHeldByRegulator")
        .withArgs(lot.lotId, op.address);
    }
    expect((await supply.getLot(lot.lotId)).status).to.equal(LotStatus.Quarantined);
    await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyLotNotSaleable")
      .withArgs(lot.lotId, LotStatus.Quarantined);
    // The regulator lifts its hold; the lot is the manufacturer's to quarantine and clear again.
    const cleared = randomHash();
    await expect(supply.connect(regulator).clearQuarantine(lot.lotId, cleared))
      .to.emit(supply, "LotStatusChanged")
      .withArgs(lot.lotId, LotStatus.Active, regulator.address, cleared);
    expect(await supply.isRegulatorHold(lot.lotId)).to.equal(false);
    await supply.connect(mfrOp).quarantineLot(lot.lotId, randomHash());
    expect(await supply.isRegulatorHold(lot.lotId)).to.equal(false);
    await supply.connect(mfrOp).clearQuarantine(lot.lotId, randomHash());
    await supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash());
  });

  it("lets a regulator take over a quarantine the manufacturer set first", async function () {
    const { supply, lot, regulator, mfrOp } = await networkHelpers.loadFixture(fixture);
    await supply.connect(mfrOp).quarantineLot(lot.lotId, randomHash());
    const reason = randomHash();
    await expect(supply.connect(regulator).quarantineLot(lot.lotId, reason))
      .to.emit(supply, "LotStatusChanged")
      .withArgs(lot.lotId, LotStatus.Quarantined, regulator.address, reason);
    expect(await supply.isRegulatorHold(lot.lotId)).to.equal(true);
    await expect(supply.connect(mfrOp).clearQuarantine(lot.lotId, randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyQuarantineHeldByRegulator")
      .withArgs(lot.lotId, mfrOp.address);
    // The manufacturer still cannot quarantine twice, and a recall ends the hold.
    await expect(supply.connect(mfrOp).quarantineLot(lot.lotId, randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyInvalidTransition")
      .withArgs(lot.lotId, LotStatus.Quarantined, LotStatus.Quarantined);
    await supply.connect(mfrOp).recallLot(lot.lotId, 1, randomHash());
    expect(await supply.isRegulatorHold(lot.lotId)).to.equal(false);
  });
});
