/**
 * Rule (issue 12, point 12): a refusal of an inactive party says why. TrialRegistry refuses a sponsor, a
 * site, a monitoring board or a data recipient whose organisation is suspended, revoked or whose licence
 * ended with the IdentityRegistry's error, which names the organisation and the reason (its status, or
 * the licence's end and the time now), instead of a bare "not a sponsor" that sends the caller off to
 * query again. An account that is no operator at all still gets the trial's own error.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { Capabilities, OrgStatus } from "../../../src/roles.ts";
import { DAY, randomHash } from "../../helpers/identity.ts";
import { deployTrials, SCOPES } from "../../helpers/trials.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

async function openTrialFixture() {
  const f = await deployTrials(ethers);
  const t = await f.registerTrial();
  await f.trials.connect(f.sponsorOp).setSite(t.trialId, f.siteOrg, true);
  return { ...f, ...t };
}

/** The next transaction runs at the very second `orgId`'s licence ends. */
async function atLicenceEnd(f: Awaited<ReturnType<typeof openTrialFixture>>, orgId: bigint): Promise<bigint> {
  const { validUntil } = await f.identity.getOrganization(orgId);
  await time.setNextBlockTimestamp(validUntil);
  return validUntil;
}

describe("TrialRegistry › refusals name the inactive party and why", function () {
  it("a sponsor whose licence ended this very second registers a trial: refused with the licence's end", async function () {
    const f = await networkHelpers.loadFixture(openTrialFixture);
    const lapsedOp = f.others[10];
    const lapsed = await f.registerOrg("Sponsor", Capabilities.SPONSOR_TRIALS, lapsedOp, DAY);
    const validUntil = await atLicenceEnd(f, lapsed);
    await expect(
      f.trials.connect(lapsedOp).registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, 0),
    )
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationExpired")
      .withArgs(lapsed, validUntil, validUntil);
    // An account that operates for nobody still gets the trial's own error.
    await expect(
      f.trials.connect(f.stranger).registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, 0),
    )
      .to.be.revertedWithCustomError(f.trials, "TrialNotSponsorOrganization")
      .withArgs(f.stranger.address);
  });

  it("a revoked sponsor amends its protocol: refused, naming the sponsor and its status", async function () {
    const f = await networkHelpers.loadFixture(openTrialFixture);
    await f.identity.connect(f.regulator).revokeOrganization(f.sponsorOrg, randomHash());
    await expect(f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash()))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.sponsorOrg, OrgStatus.Revoked);
    // The trial is untouched.
    expect((await f.trials.getTrial(f.trialId)).protocolVersion).to.equal(1n);
  });

  it("a suspended site commits data: refused, naming the site and its status; no batch is stored", async function () {
    const f = await networkHelpers.loadFixture(openTrialFixture);
    await f.identity.connect(f.regulator).suspendOrganization(f.siteOrg, randomHash());
    await expect(f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 10, randomHash()))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.siteOrg, OrgStatus.Suspended);
    expect((await f.trials.getTrial(f.trialId)).batchCount).to.equal(0n);
    // A stranger is still told it is no authorised site.
    await expect(f.trials.connect(f.stranger).commitData(f.trialId, randomHash(), 10, randomHash()))
      .to.be.revertedWithCustomError(f.trials, "TrialSiteNotAuthorized")
      .withArgs(f.trialId, f.stranger.address);
  });

  it("a monitoring board whose licence ended publishes an interim: refused with the licence's end", async function () {
    const f = await networkHelpers.loadFixture(openTrialFixture);
    const boardOp = f.others[10];
    const board = await f.registerOrg("Provider", Capabilities.RESEARCH, boardOp, DAY);
    const t = await f.registerTrial(board);
    const validUntil = await atLicenceEnd(f, board);
    await expect(f.trials.connect(boardOp).publishInterim(t.trialId, randomHash()))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationExpired")
      .withArgs(board, validUntil, validUntil);
    await expect(f.trials.connect(f.stranger).publishInterim(t.trialId, randomHash()))
      .to.be.revertedWithCustomError(f.trials, "TrialNotMonitor")
      .withArgs(t.trialId, f.stranger.address);
  });

  it("a sponsor names an expired board, authorises an expired site, shares data with a revoked researcher: each refused with why", async function () {
    const f = await networkHelpers.loadFixture(openTrialFixture);
    const lateOrg = await f.registerOrg("Lab", Capabilities.RESEARCH, f.others[10], DAY);
    const validUntil = await atLicenceEnd(f, lateOrg);
    await expect(
      f.trials
        .connect(f.sponsorOp)
        .registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, lateOrg),
    )
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationExpired")
      .withArgs(lateOrg, validUntil, validUntil);
    // A refused call mines no block: the chain moves on to a second after the licence's end.
    const now = validUntil + 1n;
    await time.setNextBlockTimestamp(now);
    await expect(f.trials.connect(f.sponsorOp).setSite(f.trialId, lateOrg, true))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationExpired")
      .withArgs(lateOrg, validUntil, now);
    expect(await f.trials.isSite(f.trialId, lateOrg)).to.equal(false);

    await f.identity.connect(f.regulator).revokeOrganization(f.researcherOrg, randomHash());
    const expiresAt = BigInt(await time.latest()) + DAY;
    await expect(f.trials.connect(f.sponsorOp).grantDataAccess(f.trialId, f.researcherOrg, randomHash(), expiresAt))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.researcherOrg, OrgStatus.Revoked);
    expect(await f.trials.dataAccessExpiry(f.trialId, f.researcherOrg)).to.equal(0n);
  });
});
