/**
 * Rule (issue 12, point 12): refusals say why. `activeRoleOf` answers the same zero for an unknown
 * account and for a suspended, revoked or expired organisation; a contract refusing on that zero calls
 * `requireActiveOrganization(account)` (or `requireActiveOrganizationId(orgId)` for a check by
 * organisation id), whose error names the organisation and the reason, so a distributor whose licence
 * lapsed a second ago learns it from the refusal itself instead of querying again.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { Capabilities, OrgStatus } from "../../../src/roles.ts";
import { DAY, deployIdentity, randomHash } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

async function fixture() {
  const f = await deployIdentity(ethers);
  const [op, pat, stranger, reserved] = f.others;
  const orgId = await f.registerOrg("Distributor", Capabilities.TRADE, op, 30n * DAY);
  const patientId = await f.registerPatient(pat);
  return { ...f, op, pat, stranger, reserved, orgId, patientId };
}

describe("IdentityRegistry › refusals say why", function () {
  describe("requireActiveOrganization(account)", function () {
    it("returns the organisation of an operator whose organisation is active", async function () {
      const { identity, op, orgId } = await networkHelpers.loadFixture(fixture);
      expect(await identity.requireActiveOrganization(op.address)).to.equal(orgId);
    });

    it("names a suspended organisation, then a revoked one, with its status", async function () {
      const { identity, regulator, op, orgId } = await networkHelpers.loadFixture(fixture);
      await identity.connect(regulator).suspendOrganization(orgId, randomHash());
      await expect(identity.requireActiveOrganization(op.address))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(orgId, OrgStatus.Suspended);
      await identity.connect(regulator).revokeOrganization(orgId, randomHash());
      await expect(identity.requireActiveOrganization(op.address))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(orgId, OrgStatus.Revoked);
    });

    it("names an organisation whose licence ends this very second, with its end and the time now", async function () {
      const { identity, op, orgId } = await networkHelpers.loadFixture(fixture);
      const { validUntil } = await identity.getOrganization(orgId);
      await time.increaseTo(validUntil - 1n);
      expect(await identity.requireActiveOrganization(op.address)).to.equal(orgId); // a second before: active
      await time.increaseTo(validUntil);
      await expect(identity.requireActiveOrganization(op.address))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
        .withArgs(orgId, validUntil, validUntil);
    });

    it("returns 0 for an account that operates for nobody: unknown, a patient's controller, a recovery's reserved key", async function () {
      const { identity, registrar, stranger, pat, reserved, patientId } = await networkHelpers.loadFixture(fixture);
      await identity.connect(registrar).proposeRecovery(patientId, reserved);
      for (const account of [stranger, pat, reserved]) {
        expect(await identity.requireActiveOrganization(account.address)).to.equal(0n);
      }
    });
  });

  describe("requireActiveOrganizationId(orgId)", function () {
    it("returns for an active organisation and names an unknown, suspended or expired one", async function () {
      const { identity, regulator, orgId } = await networkHelpers.loadFixture(fixture);
      await identity.requireActiveOrganizationId(orgId); // does not revert
      const unknown = orgId + 1n;
      await expect(identity.requireActiveOrganizationId(unknown))
        .to.be.revertedWithCustomError(identity, "IdentityUnknownOrganization")
        .withArgs(unknown);
      await identity.connect(regulator).suspendOrganization(orgId, randomHash());
      await expect(identity.requireActiveOrganizationId(orgId))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(orgId, OrgStatus.Suspended);
      await identity.connect(regulator).reinstateOrganization(orgId, randomHash());
      const { validUntil } = await identity.getOrganization(orgId);
      await time.increaseTo(validUntil);
      await expect(identity.requireActiveOrganizationId(orgId))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
        .withArgs(orgId, validUntil, validUntil);
    });
  });
});
