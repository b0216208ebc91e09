/**
 * Issue #12 point 10 — rule: an open break-glass window counts only while the patient has not opted
 * out since it opened and its organisation is still an active Provider holding EMERGENCY_ACCESS; both
 * are checked at use (`hasEmergencyAccess`, hence `logAccess` for purpose EMERGENCY), not only at
 * opening. Opting back in does not revive a window opened before the opt-out.
 *
 * The review's attack: a hospital opens a 24 h window; the patient opts out of emergency access (or
 * the registrar withdraws the hospital's EMERGENCY capability); the hospital keeps receiving the
 * patient's records under the old window, each disclosure logged as lawful.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { Capabilities } from "../../../src/roles.ts";
import { Action, categoryIndex, EmergencyPolicy, Purpose, scopes } from "../../../src/scopes.ts";
import { deployConsent } from "../../helpers/consent.ts";
import { now, randomHash, YEAR } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const CONDITIONS = scopes("CONDITIONS");

/** A lab holds the patient's CONDITIONS record; the hospital opened break-glass access to the patient. */
async function openWindowFixture() {
  const sys = await deployConsent(ethers);
  const { consent, records, patient, patientId, lab, labTech, doctor, hospital } = sys;
  await sys.grantAs(patient, patientId, lab, await sys.terms(CONDITIONS, { actions: Action.READ | Action.WRITE }));
  const recordId = hexlify(randomBytes(32));
  await records.connect(labTech).anchor(recordId, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
  await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
  const accessId = await consent.emergencyAccessCount();
  const disclose = () =>
    consent.connect(labTech).logAccess(patientId, hospital, recordId, CONDITIONS, Purpose.EMERGENCY);
  // Before anything changes: the window covers the disclosure.
  expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(true);
  return { ...sys, recordId, accessId, disclose };
}

describe("security: a break-glass window stops at once (checked at use)", function () {
  it("stops when the patient opts out, and stays stopped after the patient opts back in", async function () {
    const sys = await networkHelpers.loadFixture(openWindowFixture);
    const { consent, patient, doctor, patientId, hospital, accessId, disclose } = sys;
    await expect(disclose())
      .to.emit(consent, "AccessLogged")
      .withArgs(patientId, hospital, sys.recordId, sys.lab, CONDITIONS, Purpose.EMERGENCY, accessId);
    // The patient opts out of emergency access while the window is open.
    await consent.connect(patient).setDenyMask(patientId, 0, EmergencyPolicy.OPT_OUT);
    expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(false);
    await expect(disclose())
      .to.be.revertedWithCustomError(consent, "ConsentNotCovered")
      .withArgs(patientId, hospital, CONDITIONS, Purpose.EMERGENCY);
    // Opting back in does not revive the old window...
    await consent.connect(patient).setDenyMask(patientId, 0, 0);
    expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(false);
    await expect(disclose()).to.be.revertedWithCustomError(consent, "ConsentNotCovered");
    // ...but the hospital may open a new one (with a new reason, a new justification due).
    await expect(consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash()))
      .to.emit(consent, "EmergencyAccessOpened")
      .withArgs(accessId + 1n, patientId, hospital, doctor.address, anyValue, anyValue);
    await expect(disclose()).to.emit(consent, "AccessLogged");
  });

  it("stops when the organisation loses its EMERGENCY_ACCESS capability", async function () {
    const sys = await networkHelpers.loadFixture(openWindowFixture);
    const { consent, identity, registrar, patientId, hospital, disclose } = sys;
    await identity
      .connect(registrar)
      .updateOrganization(hospital, Capabilities.WRITE_RECORDS, (await now(ethers)) + YEAR, randomHash());
    expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(false);
    await expect(disclose())
      .to.be.revertedWithCustomError(consent, "ConsentNotCovered")
      .withArgs(patientId, hospital, CONDITIONS, Purpose.EMERGENCY);
  });

  it("stops when the organisation is suspended or its licence ends", async function () {
    const sys = await networkHelpers.loadFixture(openWindowFixture);
    const { consent, identity, registrar, patientId, hospital, disclose } = sys;
    await identity.connect(registrar).suspendOrganization(hospital, randomHash());
    expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(false);
    await expect(disclose()).to.be.revertedWithCustomError(consent, "ConsentNotCovered");
    await identity.connect(registrar).reinstateOrganization(hospital, randomHash());
    expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(true);
    await identity
      .connect(registrar)
      .updateOrganization(hospital, Capabilities.EMERGENCY_ACCESS, (await now(ethers)) + 60n, randomHash());
    await networkHelpers.time.increase(61n);
    expect(await consent.hasEmergencyAccess(patientId, hospital, CONDITIONS)).to.equal(false);
  });
});
