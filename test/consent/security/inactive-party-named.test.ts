/**
 * Issue #12 point 12, in ConsentManager — rule: a refusal of an inactive party names the organisation
 * and the reason. After `activeRoleOf` answered orgId 0, the refusal path asks the registry
 * `requireActiveOrganization(msg.sender)`, which reverts `IdentityOrganizationNotActive(orgId, status)`
 * or `IdentityOrganizationExpired(orgId, validUntil, now)`; an account that is no operator at all
 * still gets the contract's own error.
 *
 * The review's finding: a custodian suspended a second ago got `ConsentNotCustodian` (and a provider
 * `ConsentEmergencyNotProvider(account, 0)`) and had to query again to learn why.
 */
import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { Action, categoryIndex, Purpose, scopes } from "../../../src/scopes.ts";
import { deployConsent } from "../../helpers/consent.ts";
import { randomHash } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const OrgStatus = { Active: 1n, Suspended: 2n, Revoked: 3n } as const;
const CONDITIONS = scopes("CONDITIONS");

async function custodianFixture() {
  const sys = await deployConsent(ethers);
  const { records, patient, patientId, hospital, lab, doctor } = sys;
  await sys.grantAs(patient, patientId, hospital, await sys.terms(CONDITIONS, { actions: Action.READ | Action.WRITE }));
  await sys.grantAs(patient, patientId, lab, await sys.terms(CONDITIONS));
  const recordId = hexlify(randomBytes(32));
  await records.connect(doctor).anchor(recordId, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
  return { ...sys, recordId };
}

describe("security: ConsentManager's refusals of an inactive party name the organisation and why", function () {
  it("logAccess by an operator of a suspended, then revoked, custodian", async function () {
    const { consent, identity, registrar, doctor, patientId, hospital, lab, recordId } =
      await networkHelpers.loadFixture(custodianFixture);
    await identity.connect(registrar).suspendOrganization(hospital, randomHash());
    await expect(consent.connect(doctor).logAccess(patientId, lab, recordId, CONDITIONS, Purpose.TREATMENT))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(hospital, OrgStatus.Suspended);
    await identity.connect(registrar).revokeOrganization(hospital, randomHash());
    await expect(consent.connect(doctor).logAccess(patientId, lab, recordId, CONDITIONS, Purpose.TREATMENT))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(hospital, OrgStatus.Revoked);
  });

  it("logAccess by an operator whose licence ended", async function () {
    const { consent, identity, doctor, patientId, hospital, lab, recordId } =
      await networkHelpers.loadFixture(custodianFixture);
    const { validUntil } = await identity.getOrganization(hospital);
    await networkHelpers.time.increaseTo(validUntil);
    await expect(consent.connect(doctor).logAccess(patientId, lab, recordId, CONDITIONS, Purpose.TREATMENT))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
      .withArgs(hospital, validUntil, validUntil + 1n);
  });

  it("logAccess by an account that is no operator still gets ConsentNotCustodian", async function () {
    const { consent, stranger, patientId, hospital, lab, recordId } =
      await networkHelpers.loadFixture(custodianFixture);
    await expect(consent.connect(stranger).logAccess(patientId, lab, recordId, CONDITIONS, Purpose.TREATMENT))
      .to.be.revertedWithCustomError(consent, "ConsentNotCustodian")
      .withArgs(stranger.address, recordId, hospital);
  });

  it("openEmergencyAccess by an operator of a suspended or expired provider; a stranger keeps the old error", async function () {
    const { consent, identity, registrar, doctor, stranger, patientId, hospital } =
      await networkHelpers.loadFixture(custodianFixture);
    await identity.connect(registrar).suspendOrganization(hospital, randomHash());
    await expect(consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(hospital, OrgStatus.Suspended);
    await identity.connect(registrar).reinstateOrganization(hospital, randomHash());
    const { validUntil } = await identity.getOrganization(hospital);
    await networkHelpers.time.increaseTo(validUntil);
    await expect(consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
      .withArgs(hospital, validUntil, validUntil + 1n);
    await expect(consent.connect(stranger).openEmergencyAccess(patientId, Action.READ, randomHash()))
      .to.be.revertedWithCustomError(consent, "ConsentEmergencyNotProvider")
      .withArgs(stranger.address, 0n);
  });
});
