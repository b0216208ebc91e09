/**
 * Issue #12 §2: a second line with the same provider, policy, code and service date is never paid at once:
 * it goes to the insurer's review, and the event says why (`ReviewReason.RepeatService`).
 */
import { expect } from "chai";

import { claimId as claimIdTwin, repeatClaimId } from "../../../src/ids.ts";
import { USD } from "../../helpers/claims.ts";
import { DAY, now, randomHash } from "../../helpers/identity.ts";
import { E, eventsOf, networkHelpers, ReviewReason, reviewFixture, Status } from "./fixture.ts";

describe("security: a repeat of a service is reviewed, never paid at once", function () {
  it("sends a second line under a new lineRef to review, with the reason, and pays nothing", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const serviceDate = (await now(E)) - DAY;
    const first = await f.submit(f.policyId, f.plan.codes.A, 900n * USD, { serviceDate });
    expect(first.claimId).to.equal(claimIdTwin(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate));
    expect((await f.escrow.getClaim(first.claimId)).status).to.equal(Status.Paid);
    const paidBefore = await f.token.balanceOf(f.payout.address);
    // The attack: the same provider, policy, code and date, billed again under a fresh lineRef.
    const lineRef = randomHash();
    const record = await f.evidence();
    const tx = f.escrow
      .connect(f.providerOp)
      .submitClaim(f.policyId, f.plan.codes.A, lineRef, 900n * USD, serviceDate, record);
    const repeatId = repeatClaimId(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate, lineRef);
    const deadline = (await now(E)) + 1n + 14n * DAY;
    await expect(tx)
      .to.emit(f.escrow, "ClaimReviewOpened")
      .withArgs(repeatId, deadline, true, ReviewReason.RepeatService);
    await expect(tx).to.not.emit(f.escrow, "ClaimSettled");
    const receipt = (await (await tx).wait())!;
    expect(eventsOf(f, receipt, "ClaimSubmitted")[0].lineRef).to.equal(lineRef);
    expect((await f.escrow.getClaim(repeatId)).status).to.equal(Status.Pending);
    expect(await f.token.balanceOf(f.payout.address)).to.equal(paidBefore);
    // The insurer decides: a duplicate is denied (CARC 18), and its reservation is released.
    await expect(f.escrow.connect(f.insurerOp).denyClaim(repeatId, 18))
      .to.emit(f.escrow, "ClaimDenied")
      .withArgs(repeatId, 18);
    expect((await f.escrow.escrowOf(f.insurerOrg)).reserved).to.equal(0n);
  });

  it("lets a voided first line be filed again as a first line, and a service on another day is a first line", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const serviceDate = (await now(E)) - DAY;
    const big = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD, { serviceDate });
    await f.escrow.connect(f.providerOp).voidClaim(big.claimId);
    const again = await f.submit(f.policyId, f.plan.codes.A, 900n * USD, { serviceDate });
    expect(again.claimId).to.equal(big.claimId);
    expect((await f.escrow.getClaim(again.claimId)).status).to.equal(Status.Paid);
    const nextDay = await f.submit(f.policyId, f.plan.codes.A, 900n * USD, { serviceDate: serviceDate - DAY });
    expect((await f.escrow.getClaim(nextDay.claimId)).status).to.equal(Status.Paid);
  });

  it("refuses the same repeat line twice with ClaimsDuplicate", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const serviceDate = (await now(E)) - DAY;
    await f.submit(f.policyId, f.plan.codes.A, 100n * USD, { serviceDate });
    const lineRef = randomHash();
    const repeat = await f.submit(f.policyId, f.plan.codes.A, 100n * USD, { serviceDate, lineRef });
    await expect(f.submit(f.policyId, f.plan.codes.A, 100n * USD, { serviceDate, lineRef }))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsDuplicate")
      .withArgs(repeat.claimId);
  });
});
