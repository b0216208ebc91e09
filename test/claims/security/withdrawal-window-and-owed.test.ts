/**
 * Issue #12 §4 (medium): a matured withdrawal request is executable only within `WITHDRAWAL_WINDOW` (3
 * days, a constant) after its notice, then it lapses; money owed on claims (Owed benefits) and reserved for
 * claims under review can never be withdrawn.
 */
import { expect } from "chai";

import { Capabilities } from "../../../src/roles.ts";
import { defaultTerms, rule, USD } from "../../helpers/claims.ts";
import { DAY, now } from "../../helpers/identity.ts";
import { E, networkHelpers, reviewFixture, Status } from "./fixture.ts";

const { time } = networkHelpers;

describe("security: withdrawals lapse, and never take what is owed on claims", function () {
  it("lets a matured request lapse after the window, naming its dates", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    expect(await f.escrow.WITHDRAWAL_WINDOW()).to.equal(3n * DAY);
    const amount = 1_000n * USD;
    await f.escrow.connect(f.insurerOp).requestWithdrawal(amount);
    const { executableAt } = await f.escrow.pendingWithdrawal(f.insurerOrg);
    const lapsesAt = executableAt + 3n * DAY;
    // The attack: keep the matured request for months and fire it in front of a large claim.
    await time.increaseTo(executableAt + 60n * DAY);
    const free = (await f.escrow.escrowOf(f.insurerOrg)).free;
    await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsWithdrawalLapsed")
      .withArgs(f.insurerOrg, executableAt, lapsesAt, executableAt + 60n * DAY + 1n);
    expect((await f.escrow.escrowOf(f.insurerOrg)).free).to.equal(free);
    // A new request, with its notice, is executable within its window (the last second included).
    const tx = f.escrow.connect(f.insurerOp).requestWithdrawal(amount);
    const at = (await now(E)) + 1n + 7n * DAY;
    await expect(tx)
      .to.emit(f.escrow, "WithdrawalRequested")
      .withArgs(f.insurerOrg, amount, at, at + 3n * DAY);
    await time.setNextBlockTimestamp(at + 3n * DAY);
    await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
      .to.emit(f.escrow, "WithdrawalExecuted")
      .withArgs(f.insurerOrg, f.insurerOp.address, amount);
  });

  it("refuses to withdraw free funds owed on a claim, and the claim is still paid", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    // A second, unfunded insurer: its claim is approved but Owed.
    const insurer2 = await f.registerOrg("Insurer", Capabilities.INSURE, f.insurer2Op);
    const p2 = await f.createPlan(defaultTerms({ deductible: 0n }), { A: rule() }, f.insurer2Op);
    const policy2 = await f.bindPolicy(p2.planId, f.patientId, f.insurer2Op);
    await f.consent.setAccess(f.patientId, insurer2, true);
    const { claimId } = await f.submit(policy2, p2.codes.A, 500n * USD);
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Owed);
    expect(await f.escrow.owedOf(insurer2)).to.equal(400n * USD);
    // The attack: deposit, then withdraw the deposit before anyone calls payOwed.
    await f.fund(1_000n * USD, f.insurer2Op);
    await f.escrow.connect(f.insurer2Op).requestWithdrawal(1_000n * USD);
    await time.increase(7n * DAY);
    await expect(f.escrow.connect(f.insurer2Op).executeWithdrawal(f.insurer2Op.address))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsWithdrawalTakesOwed")
      .withArgs(insurer2, 1_000n * USD, 400n * USD, 1_000n * USD);
    // What is not owed may go; the owed benefit stays and is paid to the provider's payout.
    await f.escrow.connect(f.insurer2Op).requestWithdrawal(600n * USD);
    await time.increase(7n * DAY);
    await f.escrow.connect(f.insurer2Op).executeWithdrawal(f.insurer2Op.address);
    await expect(f.escrow.connect(f.stranger).payOwed(claimId))
      .to.emit(f.escrow, "OwedBenefitPaid")
      .withArgs(claimId, 400n * USD);
    expect(await f.escrow.owedOf(insurer2)).to.equal(0n);
    expect((await f.escrow.escrowOf(insurer2)).free).to.equal(0n);
  });

  it("never withdraws reserved funds", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD); // reserves its benefit
    const { free, reserved } = await f.escrow.escrowOf(f.insurerOrg);
    expect(reserved).to.be.greaterThan(0n);
    await f.escrow.connect(f.insurerOp).requestWithdrawal(free + reserved);
    await time.increase(7n * DAY);
    await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsInsufficientEscrow")
      .withArgs(f.insurerOrg, free, free + reserved);
  });
});
