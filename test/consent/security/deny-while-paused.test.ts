/**
 * Issue #12 point 9 — rule: a pause never stops a restrictive patient action. `setDenyMask` and its
 * `…WithSig` work while paused when they only restrict (bits added to the deny mask, or an emergency
 * opt-out); widening (clearing a bit, opting back in, newly letting emergencies override the mask)
 * still needs the contract unpaused (`EnforcedPause`), and a refused call changes nothing.
 *
 * The review's finding: during a pause a patient who learnt of a leak could revoke a grant but could
 * not add MENTAL_HEALTH to its deny mask nor opt out of break-glass access.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { Category, EmergencyPolicy } from "../../../src/scopes.ts";
import { deployConsent } from "../../helpers/consent.ts";

const { ethers, networkHelpers } = await network.create();

const { OPT_OUT, OVERRIDES_DENY } = EmergencyPolicy;

/** A patient denying CONDITIONS with emergencies overriding the mask, then the contract paused. */
async function pausedFixture() {
  const sys = await deployConsent(ethers);
  const { consent, patient, patientId, pauser } = sys;
  await consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, OVERRIDES_DENY);
  await consent.connect(pauser).pause();
  return sys;
}

describe("security: restricting the deny mask works while paused, widening does not", function () {
  it("adds a category to the deny mask while paused, directly and by signature", async function () {
    const sys = await networkHelpers.loadFixture(pausedFixture);
    const { consent, patient, relayer, patientId } = sys;
    const wider = Category.CONDITIONS | Category.MENTAL_HEALTH;
    await expect(consent.connect(patient).setDenyMask(patientId, wider, OVERRIDES_DENY))
      .to.emit(consent, "DenyMaskSet")
      .withArgs(
        patientId,
        Category.CONDITIONS |
          Category.MENTAL_HEALTH |
          Category.SUBSTANCE_USE |
          Category.SEXUAL_HEALTH |
          Category.GENETIC,
        OVERRIDES_DENY,
      );
    const more = wider | Category.CONTACT;
    const dl = await sys.deadline();
    const sig = await sys.signDenyMask(patient, patientId, more, 0, 2n, dl);
    // Dropping OVERRIDES_DENY restricts break-glass too.
    await expect(consent.connect(relayer).setDenyMaskWithSig(patientId, more, 0, patient, 2n, dl, sig)).to.emit(
      consent,
      "DenyMaskSet",
    );
    expect(await consent.policyOf(patientId)).to.deep.equal([BigInt(more), 0n]);
  });

  it("opts out of emergency access while paused, directly and by signature", async function () {
    const sys = await networkHelpers.loadFixture(pausedFixture);
    const { consent, patient, relayer, patientId } = sys;
    const dl = await sys.deadline();
    const sig = await sys.signDenyMask(patient, patientId, Category.CONDITIONS, OPT_OUT, 1n, dl);
    await expect(
      consent.connect(relayer).setDenyMaskWithSig(patientId, Category.CONDITIONS, OPT_OUT, patient, 1n, dl, sig),
    )
      .to.emit(consent, "DenyMaskSet")
      .withArgs(patientId, Category.CONDITIONS, OPT_OUT);
    // Opted out, the override flag is moot: setting it with the opt-out is no widening.
    await expect(
      consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, OPT_OUT | OVERRIDES_DENY),
    ).to.emit(consent, "DenyMaskSet");
    expect(await consent.nonces(patientId)).to.equal(3n);
  });

  it("refuses every widening while paused (clearing a bit, opting back in, a new override), and changes nothing", async function () {
    const sys = await networkHelpers.loadFixture(pausedFixture);
    const { consent, patient, relayer, patientId } = sys;
    // Cleared CONDITIONS.
    await expect(consent.connect(patient).setDenyMask(patientId, 0, OVERRIDES_DENY)).to.be.revertedWithCustomError(
      consent,
      "EnforcedPause",
    );
    // Swapped a denied category for another (adds one, clears one).
    await expect(
      consent.connect(patient).setDenyMask(patientId, Category.CONTACT, OVERRIDES_DENY),
    ).to.be.revertedWithCustomError(consent, "EnforcedPause");
    // Signed widening.
    const dl = await sys.deadline();
    const sig = await sys.signDenyMask(patient, patientId, 0, OVERRIDES_DENY, 1n, dl);
    await expect(
      consent.connect(relayer).setDenyMaskWithSig(patientId, 0, OVERRIDES_DENY, patient, 1n, dl, sig),
    ).to.be.revertedWithCustomError(consent, "EnforcedPause");
    expect(await consent.policyOf(patientId)).to.deep.equal([BigInt(Category.CONDITIONS), BigInt(OVERRIDES_DENY)]);
    expect(await consent.nonces(patientId)).to.equal(1n);

    // Opt out (a restriction), then opting back in is a widening.
    await consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, OPT_OUT);
    await expect(consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, 0)).to.be.revertedWithCustomError(
      consent,
      "EnforcedPause",
    );
    // From no override, newly letting emergencies override the deny mask is a widening.
    await sys.consent.unpause();
    await consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, 0);
    await consent.connect(sys.pauser).pause();
    await expect(
      consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, OVERRIDES_DENY),
    ).to.be.revertedWithCustomError(consent, "EnforcedPause");
    // Unpaused, the same widening passes.
    await consent.unpause();
    await expect(consent.connect(patient).setDenyMask(patientId, 0, OVERRIDES_DENY))
      .to.emit(consent, "DenyMaskSet")
      .withArgs(patientId, 0, OVERRIDES_DENY);
  });
});
