/**
 * Issue #12 point 14 — a failed quality check withdraws the release.
 *
 * The review's attack: a lot is released, a later check fails (which quarantines it), and the manufacturer
 * simply clears the quarantine: the lot was saleable again with a failed check as its latest word. Now a
 * failure sets `released` to false, so after clearing, shipping and dispensing are refused with
 * `SupplyLotNotReleased` until a new passing check.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { randomHash } from "../../helpers/identity.ts";
import { deploySupply } from "../../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

const LotStatus = { Active: 1n, Quarantined: 2n } as const;

async function fixture() {
  const f = await deploySupply(ethers);
  const lot = await f.commission(8);
  await f.move(lot.lotId, f.mfrOp, f.pharmOp, f.pharm, 3n);
  return { ...f, lot };
}

describe("security: a failed quality check withdraws the release", function () {
  it("refuses to ship or dispense a lot cleared after a failed check, until a new check passes", async function () {
    const { supply, lot, mfrOp, mfr, lab, labOp, dist, pharmOp } = await networkHelpers.loadFixture(fixture);
    const certificate = randomHash();
    await expect(supply.connect(labOp).qualityCheck(lot.lotId, false, certificate))
      .to.emit(supply, "QualityChecked")
      .withArgs(lot.lotId, lab, false, certificate)
      .and.to.emit(supply, "LotStatusChanged")
      .withArgs(lot.lotId, LotStatus.Quarantined, labOp.address, certificate);
    expect((await supply.getLot(lot.lotId)).released).to.equal(false);
    // The attack: the manufacturer clears the quarantine and ships / the pharmacy dispenses.
    await supply.connect(mfrOp).clearQuarantine(lot.lotId, randomHash());
    expect((await supply.getLot(lot.lotId)).status).to.equal(LotStatus.Active);
    await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyLotNotReleased")
      .withArgs(lot.lotId);
    await expect(
      supply.connect(pharmOp).dispense(lot.lotId, lot.hashes[1], 1, lot.proof(1), randomHash()),
    ).to.be.revertedWithCustomError(supply, "SupplyLotNotReleased");
    expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(5n);
    // A new passing check releases it again.
    await supply.connect(labOp).qualityCheck(lot.lotId, true, randomHash());
    await supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash());
    expect((await supply.holdingOf(lot.lotId, mfr)).quantity).to.equal(4n);
  });

  it("withdraws the release of a lot already quarantined when a check fails", async function () {
    const { supply, lot, mfrOp, labOp } = await networkHelpers.loadFixture(fixture);
    await supply.connect(mfrOp).quarantineLot(lot.lotId, randomHash());
    await supply.connect(labOp).qualityCheck(lot.lotId, false, randomHash());
    const stored = await supply.getLot(lot.lotId);
    expect([stored.status, stored.released]).to.deep.equal([LotStatus.Quarantined, false]);
    await supply.connect(mfrOp).clearQuarantine(lot.lotId, randomHash());
    await expect(supply.connect(mfrOp).ship(lot.lotId, 1n, 1, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyLotNotReleased")
      .withArgs(lot.lotId);
  });
});
