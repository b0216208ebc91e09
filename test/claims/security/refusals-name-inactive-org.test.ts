/**
 * Issue #12 §12 in ClaimEscrow: a refusal of an inactive provider or insurer names its organisation and
 * the reason (status, or validUntil passed), from the IdentityRegistry's `requireActiveOrganization`,
 * asked only on the refusal path; an account with no organisation gets ClaimEscrow's own error.
 */
import { expect } from "chai";

import { USD } from "../../helpers/claims.ts";
import { DAY, now, randomHash } from "../../helpers/identity.ts";
import { E, networkHelpers, OrgStatus, reviewFixture } from "./fixture.ts";

describe("security: refusals of an inactive party say who and why", function () {
  it("names a suspended provider, and a revoked one", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const serviceDate = (await now(E)) - DAY;
    const record = await f.evidence();
    const submit = () =>
      f.escrow.connect(f.providerOp).submitClaim(f.policyId, f.plan.codes.A, randomHash(), 1n, serviceDate, record);
    await f.identity.connect(f.regulator).suspendOrganization(f.providerOrg, randomHash());
    await expect(submit())
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.providerOrg, OrgStatus.Suspended);
    await f.identity.connect(f.regulator).revokeOrganization(f.providerOrg, randomHash());
    await expect(submit())
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.providerOrg, OrgStatus.Revoked);
  });

  it("names an insurer whose accreditation expired, with the dates", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const { claimId } = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD);
    const { validUntil } = await f.identity.getOrganization(f.insurerOrg);
    await networkHelpers.time.setNextBlockTimestamp(validUntil + 1n);
    await expect(f.escrow.connect(f.insurerOp).approveClaim(claimId, 1n))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationExpired")
      .withArgs(f.insurerOrg, validUntil, validUntil + 1n);
  });

  it("keeps ClaimEscrow's own errors for an account with no organisation, or without the capability", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    await expect(f.escrow.connect(f.stranger).setPayoutAddress(f.stranger.address))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsNotProvider")
      .withArgs(f.stranger.address);
    await expect(f.escrow.connect(f.stranger).deposit(1n))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
      .withArgs(f.stranger.address);
    await expect(f.escrow.connect(f.providerOp).deposit(1n))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
      .withArgs(f.providerOp.address);
  });
});
