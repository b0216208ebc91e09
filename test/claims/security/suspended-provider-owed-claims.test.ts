/**
 * Issue #12 §6b (decided): a provider suspended after submission is still paid what its claims earned, to
 * the payout address it set while active. The claim passed every check at submission (the service was
 * rendered and accepted while the provider was accredited); suspension stops new claims and new payout
 * addresses, not payment for past work. Holding the money would move the provider's loss onto nobody's
 * decision, and the insurer keeps its review: a claim under review can still be denied.
 */
import { expect } from "chai";

import { defaultTerms, rule, USD } from "../../helpers/claims.ts";
import { DAY, now, randomHash } from "../../helpers/identity.ts";
import { Capabilities } from "../../../src/roles.ts";
import { E, networkHelpers, OrgStatus, reviewFixture, Status } from "./fixture.ts";

const { time } = networkHelpers;

describe("security: a provider suspended after submission is paid for its past claims", function () {
  it("pays prompt pay, an approval and an owed benefit to its payout address, but takes no new claim", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const reviewed = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD);
    const prompt = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD, {
      serviceDate: reviewed.serviceDate - DAY,
    });
    // An owed benefit, from an unfunded insurer.
    const insurer2 = await f.registerOrg("Insurer", Capabilities.INSURE, f.insurer2Op);
    const p2 = await f.createPlan(defaultTerms({ deductible: 0n }), { A: rule() }, f.insurer2Op);
    const policy2 = await f.bindPolicy(p2.planId, f.patientId, f.insurer2Op);
    await f.consent.setAccess(f.patientId, insurer2, true);
    const owed = await f.submit(policy2, p2.codes.A, 500n * USD);
    expect((await f.escrow.getClaim(owed.claimId)).status).to.equal(Status.Owed);

    await f.identity.connect(f.regulator).suspendOrganization(f.providerOrg, randomHash());
    const before = await f.token.balanceOf(f.payout.address);
    await f.escrow.connect(f.insurerOp).approveClaim(reviewed.claimId, 1_000n * USD);
    await time.increase(15n * DAY);
    await f.escrow.connect(f.stranger).settleClaim(prompt.claimId);
    await f.fund(400n * USD, f.insurer2Op);
    await f.escrow.connect(f.stranger).payOwed(owed.claimId);
    const promptBenefit = (await f.escrow.getClaim(prompt.claimId)).benefit;
    expect(await f.token.balanceOf(f.payout.address)).to.equal(before + 1_000n * USD + promptBenefit + 400n * USD);

    // The suspension stops new work: no new claim, no new payout address; the refusal says why.
    const serviceDate = (await now(E)) - DAY;
    const record = await f.evidence();
    await expect(
      f.escrow.connect(f.providerOp).submitClaim(f.policyId, f.plan.codes.A, randomHash(), 1n, serviceDate, record),
    )
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.providerOrg, OrgStatus.Suspended);
    await expect(f.escrow.connect(f.providerOp).setPayoutAddress(f.stranger.address))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.providerOrg, OrgStatus.Suspended);
  });
});
