/**
 * Issue #12 §3 (medium): only a Denied claim can be appealed, once; an id that never existed cannot be
 * appealed; a void and resubmission does not reset the once-only appeal. The lifecycle (ClaimLifecycle)
 * admits no None -> Pending or Voided -> Pending by appeal.
 */
import { expect } from "chai";

import { claimId as claimIdTwin } from "../../../src/ids.ts";
import { USD } from "../../helpers/claims.ts";
import { DAY, now, randomHash } from "../../helpers/identity.ts";
import { E, networkHelpers, reviewFixture, Status } from "./fixture.ts";

describe("security: only a Denied claim is appealed, once", function () {
  it("refuses to revive a voided claim after the filing window, consent and evidence are gone", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const record = await f.evidence();
    const { claimId, serviceDate, lineRef } = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD, {
      recordId: record,
    });
    // The attack: void, wait past the filing window, the patient revokes PAYMENT and the record is
    // retracted; then "appeal" so that prompt pay pays the claim with none of the submission's checks.
    await f.escrow.connect(f.providerOp).voidClaim(claimId);
    await networkHelpers.time.increase(91n * DAY);
    await f.consent.setAccess(f.patientId, f.insurerOrg, false);
    await f.records.setRecord(record, f.patientId, f.providerOrg, 0, false);
    await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
      .withArgs(claimId, Status.Voided, Status.Pending);
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Voided);
  });

  it("refuses to appeal an id that never existed (no phantom pending claim)", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const serviceDate = (await now(E)) - DAY;
    const phantom = claimIdTwin(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate);
    await expect(f.escrow.connect(f.providerOp).appealClaim(phantom, f.plan.codes.A, randomHash(), serviceDate))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
      .withArgs(phantom, Status.None, Status.Pending);
    const claim = await f.escrow.getClaim(phantom);
    expect([claim.status, claim.benefit]).to.deep.equal([Status.None, 0n]);
  });

  it("refuses to appeal a pending or paid claim", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const pending = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD);
    await expect(
      f.escrow.connect(f.providerOp).appealClaim(pending.claimId, f.plan.codes.A, pending.lineRef, pending.serviceDate),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
      .withArgs(pending.claimId, Status.Pending, Status.Pending);
    const paid = await f.submit(f.policyId, f.plan.codes.A, 100n * USD, { serviceDate: pending.serviceDate - DAY });
    await expect(
      f.escrow.connect(f.providerOp).appealClaim(paid.claimId, f.plan.codes.A, paid.lineRef, paid.serviceDate),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
      .withArgs(paid.claimId, Status.Paid, Status.Pending);
  });

  it("appeals a Denied claim once; a void and resubmission under the same id does not reset it", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const { claimId, serviceDate, lineRef } = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD);
    await f.escrow.connect(f.insurerOp).denyClaim(claimId, 50);
    await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate)).to.emit(
      f.escrow,
      "ClaimAppealed",
    );
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Pending);
    // Void the appealed claim, file it again (same provider, policy, code, date: the same id), get it
    // denied, and try a second appeal.
    await f.escrow.connect(f.providerOp).voidClaim(claimId);
    const again = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD, { serviceDate });
    expect(again.claimId).to.equal(claimId);
    expect((await f.escrow.getClaim(claimId)).flags & 1n).to.equal(1n);
    await f.escrow.connect(f.insurerOp).denyClaim(claimId, 50);
    await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, again.lineRef, serviceDate))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsAlreadyAppealed")
      .withArgs(claimId);
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Denied);
  });

  it("refuses inputs that do not hash to the claim id", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const { claimId, serviceDate, lineRef } = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD);
    await f.escrow.connect(f.insurerOp).denyClaim(claimId, 50);
    await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.P, lineRef, serviceDate))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsClaimMismatch")
      .withArgs(claimId);
  });
});
