/**
 * Issue #12 §6c (decided): consent and evidence are checked at submission, not again at settlement. A
 * claim is a bill for a service already rendered: the patient's PAYMENT consent, given for it, covers its
 * payment (a revocation acts forward, as HIPAA's does on actions taken in reliance), and a retraction of
 * the record (erasure of the copy) does not undo the service. The insurer, who reviews, can deny; prompt
 * pay and payOwed stay cheap and cannot be blocked by a revocation timed to avoid paying. What stops a
 * claim from living on without its checks is §3: an appeal revives only a Denied claim, once.
 */
import { expect } from "chai";

import { USD } from "../../helpers/claims.ts";
import { DAY } from "../../helpers/identity.ts";
import { networkHelpers, reviewFixture, Status } from "./fixture.ts";

const { time } = networkHelpers;

describe("security: settlement pays what submission checked", function () {
  it("pays a reviewed claim by prompt pay after the patient revoked PAYMENT and the record was retracted", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const record = await f.evidence();
    const { claimId } = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD, { recordId: record });
    await f.consent.setAccess(f.patientId, f.insurerOrg, false);
    await f.records.setRecord(record, f.patientId, f.providerOrg, 0, false);
    await time.increase(15n * DAY);
    const benefit = (await f.escrow.getClaim(claimId)).benefit;
    await expect(f.escrow.settleClaim(claimId))
      .to.emit(f.escrow, "ClaimSettled")
      .withArgs(claimId, benefit, benefit, 0n);
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
  });

  it("still lets the insurer deny such a claim during its review", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const record = await f.evidence();
    const { claimId } = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD, { recordId: record });
    await f.records.setRecord(record, f.patientId, f.providerOrg, 0, false);
    await f.escrow.connect(f.insurerOp).denyClaim(claimId, 16);
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Denied);
  });
});
