/**
 * Issue #12 §1 (high): a provider the patient's data does not tie to the service is not paid. The rule: the
 * submitting provider is the evidence record's custodian, or holds the patient's grant for the record's
 * category with purpose TREATMENT.
 */
import { expect } from "chai";

import { USD } from "../../helpers/claims.ts";
import { DAY, now, randomHash } from "../../helpers/identity.ts";
import { E, eventsOf, networkHelpers, READ, reviewFixture, snapshot, Status, TREATMENT } from "./fixture.ts";

describe("security: a claim's provider is tied to the service by the patient's data", function () {
  it("refuses a rogue provider citing another hospital's record under the threshold, changing nothing", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    // The attack: the rogue reads the policy's patient (getPolicy), a record id the hospital anchored
    // (RecordAnchored) and a code hash (CodeRuleSet), and files a small claim citing that record.
    const policy = await f.escrow.getPolicy(f.policyId);
    const hospitalRecord = await f.evidence(policy.patientId, f.providerOrg, 3);
    const before = await snapshot(f, f.policyId, [f.roguePayout]);
    const serviceDate = (await now(E)) - DAY;
    await expect(
      f.escrow
        .connect(f.rogueOp)
        .submitClaim(f.policyId, f.plan.codes.A, randomHash(), 900n * USD, serviceDate, hospitalRecord),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsProviderNotTiedToService")
      .withArgs(f.rogueOrg, f.policyId, hospitalRecord);
    // Nothing moved: the patient's deductible and out-of-pocket are untouched, the rogue got nothing.
    expect(await snapshot(f, f.policyId, [f.roguePayout])).to.deep.equal(before);
    // The hospital, its custodian, is paid for the same service at once (the cheap path: no consent call).
    const { receipt } = await f.submit(f.policyId, f.plan.codes.A, 900n * USD, {
      serviceDate,
      recordId: hospitalRecord,
    });
    expect(eventsOf(f, receipt, "ClaimSettled")[0].benefitPaid).to.be.greaterThan(0n);
  });

  it("pays a provider that is not the custodian only with the patient's TREATMENT grant for the record's category", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const category = 5;
    const record = await f.evidence(f.patientId, f.providerOrg, category);
    const submit = async () => {
      const serviceDate = (await now(E)) - DAY;
      return f.escrow
        .connect(f.rogueOp)
        .submitClaim(f.policyId, f.plan.codes.A, randomHash(), 300n * USD, serviceDate, record);
    };
    // A grant for another category, or for the record's category with another purpose: still refused.
    await f.consent.setTreatment(f.patientId, f.rogueOrg, 1n << BigInt(category + 1));
    await expect(submit())
      .to.be.revertedWithCustomError(f.escrow, "ClaimsProviderNotTiedToService")
      .withArgs(f.rogueOrg, f.policyId, record);
    expect(await f.consent.hasAccess(f.patientId, f.rogueOrg, 1n << BigInt(category), READ, TREATMENT)).to.equal(false);
    // The patient's TREATMENT grant for the record's category ties the second provider to the service.
    await f.consent.setTreatment(f.patientId, f.rogueOrg, 1n << BigInt(category));
    const receipt = (await (await submit()).wait())!;
    const [submitted] = eventsOf(f, receipt, "ClaimSubmitted");
    expect(submitted.providerOrg).to.equal(f.rogueOrg);
    expect((await f.escrow.getClaim(submitted.claimId)).status).to.equal(Status.Paid);
    expect(await f.token.balanceOf(f.roguePayout.address)).to.equal(eventsOf(f, receipt, "ClaimSettled")[0].benefit);
  });

  it("ties a record the patient anchored itself (no custodian) only through a grant", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const ownRecord = await f.evidence(f.patientId, 0n, 2);
    const serviceDate = (await now(E)) - DAY;
    await expect(
      f.escrow
        .connect(f.providerOp)
        .submitClaim(f.policyId, f.plan.codes.A, randomHash(), 100n * USD, serviceDate, ownRecord),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsProviderNotTiedToService")
      .withArgs(f.providerOrg, f.policyId, ownRecord);
    await f.consent.setTreatment(f.patientId, f.providerOrg, 1n << 2n);
    const { claimId } = await f.submit(f.policyId, f.plan.codes.A, 100n * USD, { serviceDate, recordId: ownRecord });
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
  });

  it("still refuses dead evidence first, whoever holds it", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const record = randomHash();
    await f.records.setRecord(record, f.patientId, f.rogueOrg, 0, false); // retracted
    const serviceDate = (await now(E)) - DAY;
    await expect(
      f.escrow.connect(f.rogueOp).submitClaim(f.policyId, f.plan.codes.A, randomHash(), 1n, serviceDate, record),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsEvidenceNotLive")
      .withArgs(record);
  });
});
