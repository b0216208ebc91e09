/**
 * Issue #12 §5 (low): review and filing windows are bounded at plan creation, and the review deadline is a
 * checked cast, so `block.timestamp + reviewWindow` never wraps into the past.
 */
import { expect } from "chai";

import { Capabilities } from "../../../src/roles.ts";
import { defaultTerms, rule, USD } from "../../helpers/claims.ts";
import { DAY, now } from "../../helpers/identity.ts";
import { E, networkHelpers, reviewFixture, Status } from "./fixture.ts";

const MAX_REVIEW_WINDOW = 180n * DAY;
const MAX_FILING_WINDOW = 3n * 365n * DAY;

describe("security: bounded plan windows, a review deadline that cannot wrap", function () {
  it("refuses a review window that would wrap the uint32 deadline (the review's attack)", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const wrapping = 2n ** 32n - 1n - (await now(E)) + 10n; // now + window wraps to ~10 s after 1970
    await expect(f.escrow.connect(f.insurerOp).createPlan(defaultTerms({ reviewWindow: wrapping }), [], []))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsReviewWindowTooLong")
      .withArgs(wrapping, MAX_REVIEW_WINDOW);
    await expect(
      f.escrow.connect(f.insurerOp).createPlan(defaultTerms({ reviewWindow: MAX_REVIEW_WINDOW + 1n }), [], []),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsReviewWindowTooLong")
      .withArgs(MAX_REVIEW_WINDOW + 1n, MAX_REVIEW_WINDOW);
  });

  it("refuses a filing window over its bound, and zero windows as before", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    await expect(
      f.escrow.connect(f.insurerOp).createPlan(defaultTerms({ timelyFilingWindow: MAX_FILING_WINDOW + 1n }), [], []),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsFilingWindowTooLong")
      .withArgs(MAX_FILING_WINDOW + 1n, MAX_FILING_WINDOW);
    await expect(f.escrow.connect(f.insurerOp).createPlan(defaultTerms({ reviewWindow: 0n }), [], []))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidWindows")
      .withArgs(0n, 90n * DAY);
  });

  it("accepts the bounds and sets the deadline at now + the longest window, in the future", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const plan = await f.createPlan(
      defaultTerms({ reviewWindow: MAX_REVIEW_WINDOW, timelyFilingWindow: MAX_FILING_WINDOW }),
      { A: rule() },
    );
    const policyId = await f.bindPolicy(plan.planId);
    const { claimId, receipt } = await f.submit(policyId, plan.codes.A, 2_000n * USD);
    const block = await receipt.getBlock();
    const claim = await f.escrow.getClaim(claimId);
    expect(claim.status).to.equal(Status.Pending);
    expect(claim.reviewDeadline).to.equal(BigInt(block.timestamp) + MAX_REVIEW_WINDOW);
    await expect(f.escrow.settleClaim(claimId))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsReviewWindowOpen")
      .withArgs(claimId, claim.reviewDeadline);
  });

  it("reverts rather than wrap a deadline past 2106 (the checked cast)", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    // An insurer and a provider accredited until after 2106 (the fixture's expire within a year).
    const signers = await E.getSigners();
    const [insurerOp, providerOp] = [signers[16], signers[17]];
    const long = 2n ** 32n;
    const insurerOrg = await f.registerOrg("Insurer", Capabilities.INSURE, insurerOp, long);
    const providerOrg = await f.registerOrg("Provider", Capabilities.BILL, providerOp, long);
    await f.escrow.connect(providerOp).setPayoutAddress(providerOp.address);
    await f.consent.setAccess(f.patientId, insurerOrg, true);
    await f.fund(10_000n * USD, insurerOp);
    const plan = await f.createPlan(defaultTerms({ timelyFilingWindow: MAX_FILING_WINDOW }), { A: rule() }, insurerOp);
    const start = 2n ** 32n - 30n * DAY;
    await f.escrow.connect(insurerOp).bindPolicy(plan.planId, f.patientId, start, start + 365n * DAY);
    const policyId = (await f.escrow.queryFilter(f.escrow.filters.PolicyBound())).at(-1)!.args.policyId;
    const record = await f.evidence(f.patientId, providerOrg);
    const at = 2n ** 32n - 2n * DAY;
    await networkHelpers.time.setNextBlockTimestamp(at);
    await expect(
      f.escrow.connect(providerOp).submitClaim(policyId, plan.codes.A, record, 2_000n * USD, at - DAY, record),
    )
      .to.be.revertedWithCustomError(f.escrow, "SafeCastOverflowedUintDowncast")
      .withArgs(32, at + 14n * DAY);
  });
});
