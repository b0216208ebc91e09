/**
 * Issue #12 §1: a pre-authorisation is bound to the provider it was given for; one given for the hospital
 * does not serve another provider, even one the patient's data ties to the service.
 */
import { expect } from "chai";

import { USD } from "../../helpers/claims.ts";
import { DAY, HOUR, now, randomHash } from "../../helpers/identity.ts";
import { E, networkHelpers, reviewFixture, Status } from "./fixture.ts";

describe("security: a pre-authorisation serves only the provider it was given for", function () {
  it("refuses provider B a code pre-authorised for provider A, and pays A", async function () {
    const f = await networkHelpers.loadFixture(reviewFixture);
    const code = f.plan.codes.P;
    const serviceDate = (await now(E)) - DAY;
    const until = serviceDate + HOUR;
    await expect(f.escrow.connect(f.insurerOp).preauthorize(f.policyId, f.providerOrg, code, until))
      .to.emit(f.escrow, "PreauthorizationGranted")
      .withArgs(f.policyId, f.providerOrg, code, until);
    expect(await f.escrow.preauthorizationOf(f.policyId, f.providerOrg, code)).to.equal(until);
    expect(await f.escrow.preauthorizationOf(f.policyId, f.rogueOrg, code)).to.equal(0n);
    // The attack: B, custodian of its own record of the patient, bills the code A was authorised for.
    const bRecord = await f.evidence(f.patientId, f.rogueOrg);
    await expect(
      f.escrow.connect(f.rogueOp).submitClaim(f.policyId, code, randomHash(), 200n * USD, serviceDate, bRecord),
    )
      .to.be.revertedWithCustomError(f.escrow, "ClaimsPreauthorizationRequired")
      .withArgs(f.policyId, f.rogueOrg, code);
    const { claimId } = await f.submit(f.policyId, code, 200n * USD, { serviceDate });
    expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
  });
});
