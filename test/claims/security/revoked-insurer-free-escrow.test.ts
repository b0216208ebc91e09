/**
 * Issue #12 §6a (decided): a revoked insurer's free escrow is not locked forever. Revocation is final, so an
 * operator of the revoked Insurer may still request, cancel and execute withdrawals of its free funds to an
 * address it chooses (its own money; no ADMIN holds a release power over it). What it owes on claims and
 * what is reserved for claims under review stay in escrow until they settle. A suspended (or expired)
 * insurer waits: it may be reinstated (or renewed).
 */
import { expect } from "chai";

import { USD } from "../../helpers/claims.ts";
import { DAY, randomHash } from "../../helpers/identity.ts";
import { networkHelpers, OrgStatus, reviewFixture, Status } from "./fixture.ts";

const { time } = networkHelpers;

describe("security: a revoked insurer withdraws its free funds, never what it owes", function () {
  it("lets the revoked insurer withdraw free funds after the notice, keeping the reservation for prompt pay", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const pending = await f.submit(f.policyId, f.plan.codes.A, 2_000n * USD); // reserved
    await f.identity.connect(f.regulator).revokeOrganization(f.insurerOrg, randomHash());
    // It can no longer run claims...
    await expect(f.escrow.connect(f.insurerOp).deposit(1n))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.insurerOrg, OrgStatus.Revoked);
    // ...but its free funds are not locked forever.
    const { free, reserved } = await f.escrow.escrowOf(f.insurerOrg);
    await f.escrow.connect(f.insurerOp).requestWithdrawal(free + 1n);
    await f.escrow.connect(f.insurerOp).cancelWithdrawal();
    await f.escrow.connect(f.insurerOp).requestWithdrawal(free);
    await time.increase(7n * DAY);
    await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.guardian.address))
      .to.emit(f.escrow, "WithdrawalExecuted")
      .withArgs(f.insurerOrg, f.guardian.address, free);
    expect(await f.token.balanceOf(f.guardian.address)).to.equal(free);
    // The reservation stayed: the provider is paid by prompt pay after the window.
    expect((await f.escrow.escrowOf(f.insurerOrg)).reserved).to.equal(reserved);
    await time.increase(14n * DAY);
    await f.escrow.settleClaim(pending.claimId);
    expect((await f.escrow.getClaim(pending.claimId)).status).to.equal(Status.Paid);
  });

  it("keeps a suspended insurer waiting, naming its status; a stranger is no insurer", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    await f.identity.connect(f.regulator).suspendOrganization(f.insurerOrg, randomHash());
    await expect(f.escrow.connect(f.insurerOp).requestWithdrawal(1n))
      .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
      .withArgs(f.insurerOrg, OrgStatus.Suspended);
    await expect(f.escrow.connect(f.stranger).requestWithdrawal(1n))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
      .withArgs(f.stranger.address);
    // A revoked organisation that is not an insurer gets nothing either.
    await f.identity.connect(f.regulator).revokeOrganization(f.providerOrg, randomHash());
    await expect(f.escrow.connect(f.providerOp).requestWithdrawal(1n))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
      .withArgs(f.providerOp.address);
    // An active organisation that is not an insurer neither.
    await expect(f.escrow.connect(f.rogueOp).requestWithdrawal(1n))
      .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
      .withArgs(f.rogueOp.address);
  });
});
