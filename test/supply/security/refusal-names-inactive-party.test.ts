/**
 * Issue #12 point 12, in SupplyChain — a refusal for an inactive party names the organisation and why.
 *
 * The review's complaint: a distributor whose licence lapsed a second ago got
 * `SupplyNoActiveOrganization(address)` (or `SupplyPartnerNotAuthorized(orgId)` as a receiver) and had to
 * query the registry to learn why. Now, on the refusal path only (the passing path is unchanged), the caller
 * gets the registry's `IdentityOrganizationNotActive(orgId, status)` / `IdentityOrganizationExpired(orgId,
 * validUntil, now)`, and a partner named by id gets `SupplyPartnerNotAuthorized(orgId, status, validUntil)`.
 * An account that operates for no organisation keeps `SupplyNoActiveOrganization`.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { OrgStatus } from "../../../src/roles.ts";
import { now, randomHash } from "../../helpers/identity.ts";
import { deploySupply } from "../../helpers/supply.ts";

const { ethers, networkHelpers } = await network.create();

const TRADE = 1 << 4;

async function fixture() {
  const f = await deploySupply(ethers);
  const lot = await f.commission(8);
  await f.move(lot.lotId, f.mfrOp, f.distOp, f.dist, 4n);
  return { ...f, lot };
}

/** Lets `orgId`'s licence lapse in a few seconds (the others keep theirs). */
async function lapse(f: Awaited<ReturnType<typeof fixture>>, orgId: bigint) {
  const validUntil = (await now(ethers)) + 10n;
  await f.identity.connect(f.registrar).updateOrganization(orgId, TRADE, validUntil, randomHash());
  await networkHelpers.time.increase(20n);
  return validUntil;
}

describe("security: a refusal for an inactive party names the organisation and why", function () {
  it("tells a distributor whose licence lapsed, when it ships, that it expired and when", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const { supply, identity, lot, distOp, dist, pharm } = f;
    const validUntil = await lapse(f, dist);
    const tx = supply.connect(distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash());
    await expect(tx).to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired");
    // The refusal carries the organisation, the end of its licence and the moment of the attempt.
    const at = (await now(ethers)) + 1n;
    await networkHelpers.time.setNextBlockTimestamp(at);
    await expect(supply.connect(distOp).destroy(lot.lotId, 1, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
      .withArgs(dist, validUntil, at);
    expect((await supply.holdingOf(lot.lotId, dist)).quantity).to.equal(4n);
  });

  it("tells a suspended or revoked caller its status, and an account of no organisation who it is", async function () {
    const { supply, identity, regulator, lot, distOp, dist, pharmOp, pharm, stranger } =
      await networkHelpers.loadFixture(fixture);
    await identity.connect(regulator).suspendOrganization(dist, randomHash());
    await expect(supply.connect(distOp).returnForDestruction(lot.lotId, 1, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(dist, OrgStatus.Suspended);
    await identity.connect(regulator).revokeOrganization(pharm, randomHash());
    await expect(supply.connect(pharmOp).correctEvent(lot.lotId, randomHash(), randomHash(), randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(pharm, OrgStatus.Revoked);
    await expect(supply.connect(stranger).destroy(lot.lotId, 1, randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyNoActiveOrganization")
      .withArgs(stranger.address);
  });

  it("names a receiver's lapsed licence or status when a shipment is addressed to it", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const { supply, identity, regulator, lot, mfrOp, dist, pharm } = f;
    const validUntil = await lapse(f, pharm);
    await expect(supply.connect(f.distOp).ship(lot.lotId, pharm, 1, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyPartnerNotAuthorized")
      .withArgs(pharm, OrgStatus.Active, validUntil);
    await identity.connect(regulator).revokeOrganization(dist, randomHash());
    await expect(supply.connect(mfrOp).ship(lot.lotId, dist, 1, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyPartnerNotAuthorized")
      .withArgs(dist, OrgStatus.Revoked, (await identity.getOrganization(dist)).validUntil);
  });

  it("names a sender whose licence lapsed while its shipment was in transit", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const { supply, lot, distOp, dist, pharmOp, pharm } = f;
    await supply.connect(distOp).ship(lot.lotId, pharm, 2, randomHash(), randomHash());
    const validUntil = await lapse(f, dist);
    await expect(
      supply.connect(pharmOp).acceptShipment(lot.lotId, await supply.shipmentCount(), randomHash(), randomHash()),
    )
      .to.be.revertedWithCustomError(supply, "SupplyPartnerNotAuthorized")
      .withArgs(dist, OrgStatus.Active, validUntil);
    expect((await supply.holdingOf(lot.lotId, pharm)).quantity).to.equal(0n);
  });

  it("names a suspended manufacturer acting on its lot; a stranger or another organisation stays unauthorised", async function () {
    const { supply, identity, regulator, lot, mfrOp, mfr, distOp, stranger } =
      await networkHelpers.loadFixture(fixture);
    await expect(supply.connect(distOp).quarantineLot(lot.lotId, randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyUnauthorized")
      .withArgs(distOp.address, lot.lotId);
    await expect(supply.connect(stranger).recallLot(lot.lotId, 1, randomHash()))
      .to.be.revertedWithCustomError(supply, "SupplyUnauthorized")
      .withArgs(stranger.address, lot.lotId);
    await identity.connect(regulator).suspendOrganization(mfr, randomHash());
    await expect(supply.connect(mfrOp).recallLot(lot.lotId, 1, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(mfr, OrgStatus.Suspended);
    await expect(supply.connect(mfrOp).declareIllegitimate(lot.lotId, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(mfr, OrgStatus.Suspended);
  });
});
