/**
 * Issue #12 point 12, in RecordRegistry — rule: a refusal of an inactive party names the organisation
 * and the reason (the registry's `requireActiveOrganization` on the refusal path, after `activeRoleOf`
 * answered 0 and the caller is not the patient either); an account that is no operator at all still
 * gets the registry's own error.
 *
 * The review's finding: a lab whose licence lapsed a second ago got `RecordWriterNotAuthorized` and had
 * to query again to learn why.
 */
import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { Action, categoryIndex, scopes } from "../../../src/scopes.ts";
import { deployConsent } from "../../helpers/consent.ts";
import { randomHash } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const OrgStatus = { Active: 1n, Suspended: 2n, Revoked: 3n } as const;
const newId = () => hexlify(randomBytes(32));
const LAB_RESULTS = categoryIndex("LAB_RESULTS");

async function labFixture() {
  const sys = await deployConsent(ethers);
  const { records, patient, patientId, lab, labTech } = sys;
  await sys.grantAs(
    patient,
    patientId,
    lab,
    await sys.terms(scopes("LAB_RESULTS"), { actions: Action.READ | Action.WRITE }),
  );
  const recordId = newId();
  await records.connect(labTech).anchor(recordId, patientId, LAB_RESULTS, randomHash(), randomHash());
  return { ...sys, recordId };
}

describe("security: RecordRegistry's refusals of an inactive party name the organisation and why", function () {
  it("anchor, supersede and retract by an operator of a suspended lab", async function () {
    const { records, identity, registrar, labTech, patientId, lab, recordId } =
      await networkHelpers.loadFixture(labFixture);
    await identity.connect(registrar).suspendOrganization(lab, randomHash());
    await expect(records.connect(labTech).anchor(newId(), patientId, LAB_RESULTS, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(lab, OrgStatus.Suspended);
    await expect(records.connect(labTech).supersede(recordId, newId(), patientId, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(lab, OrgStatus.Suspended);
    await expect(records.connect(labTech).retract(recordId, patientId, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
      .withArgs(lab, OrgStatus.Suspended);
  });

  it("anchor and retract by an operator whose licence ended", async function () {
    const { records, identity, labTech, patientId, lab, recordId } = await networkHelpers.loadFixture(labFixture);
    const { validUntil } = await identity.getOrganization(lab);
    await networkHelpers.time.increaseTo(validUntil);
    await expect(records.connect(labTech).anchor(newId(), patientId, LAB_RESULTS, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
      .withArgs(lab, validUntil, validUntil + 1n);
    await expect(records.connect(labTech).retract(recordId, patientId, randomHash()))
      .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
      .withArgs(lab, validUntil, validUntil + 1n);
  });

  it("an account that is no operator keeps the registry's own errors", async function () {
    const { records, stranger, patientId, recordId } = await networkHelpers.loadFixture(labFixture);
    await expect(records.connect(stranger).anchor(newId(), patientId, LAB_RESULTS, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(records, "RecordWriterNotAuthorized")
      .withArgs(stranger.address, patientId, LAB_RESULTS);
    await expect(records.connect(stranger).retract(recordId, patientId, randomHash()))
      .to.be.revertedWithCustomError(records, "RecordNotRetractor")
      .withArgs(stranger.address, recordId);
  });
});
