/**
 * Rule (issue 12, point 11; DESIGN "An account becomes an organisation's operator only with its own
 * consent"): an operator or registrar only *offers* an account a place (`addOperator`, or the first
 * operator at `registerOrganization`); the account binds when it accepts (`acceptOperator`), within the
 * offer's window. Only an active organisation adds operators.
 *
 * The review's attack: an operator watching the mempool binds a victim's key as its own staff before the
 * victim's `registerPatient`, `rotateKey` or `proposeRecovery` lands, so the victim's transaction reverts
 * `IdentityAccountAlreadyBound`; and when the victim removes itself, binds it again for good. Each is
 * played below: the front-run now binds nothing, the victim's transaction goes through, and the
 * attacker's attempts to complete a binding are refused with the contract's error.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { randomId } from "../../../src/ids.ts";
import { Capabilities, OrgKind, OrgStatus } from "../../../src/roles.ts";
import { DAY, deployIdentity, HOUR, now, randomHash, YEAR } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

/** A rogue organisation (operator `attacker`) and a victim patient (controller `victim`). */
async function attackFixture() {
  const f = await deployIdentity(ethers);
  const [attacker, victim, newKey, bystander, accomplice] = f.others;
  const rogueOrg = await f.registerOrg("Provider", Capabilities.WRITE_RECORDS, attacker);
  return { ...f, attacker, victim, newKey, bystander, accomplice, rogueOrg };
}

describe("IdentityRegistry › an account becomes an operator only with its own consent", function () {
  describe("the review's attacks", function () {
    it("front-running registerPatient: the operator's addOperator only offers, and the patient registers", async function () {
      const { identity, registrar, attest, attacker, victim, rogueOrg } =
        await networkHelpers.loadFixture(attackFixture);
      const patientId = randomId();
      const commitment = randomHash();
      const deadline = (await now(ethers)) + HOUR;
      const attestation = await attest(victim.address, patientId, commitment, deadline);

      // The attacker sees the victim's registerPatient in the mempool and gets in first.
      await expect(identity.connect(attacker).addOperator(rogueOrg, victim)).to.emit(identity, "OperatorOffered");
      expect(await identity.organizationOf(victim.address)).to.equal(0n);

      // The victim's transaction lands and binds the victim as the patient's controller.
      await expect(
        identity.connect(victim).registerPatient(patientId, commitment, victim, deadline, registrar, attestation),
      )
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, victim.address, true);
      expect(await identity.patientOf(victim.address)).to.equal(patientId);
      expect(await identity.organizationOf(victim.address)).to.equal(0n);

      // The offer cannot be turned into a binding by anyone else: acceptOperator binds only its caller.
      await expect(identity.connect(attacker).acceptOperator(rogueOrg))
        .to.be.revertedWithCustomError(identity, "IdentityNoOperatorOffer")
        .withArgs(attacker.address, rogueOrg);
      expect(await identity.organizationOf(victim.address)).to.equal(0n);
    });

    it("front-running rotateKey: the new key is only offered, and the rotation goes through", async function () {
      const { identity, registerPatient, attacker, victim, newKey, rogueOrg } =
        await networkHelpers.loadFixture(attackFixture);
      const patientId = await registerPatient(victim);
      await identity.connect(attacker).addOperator(rogueOrg, newKey);
      await expect(identity.connect(victim).rotateKey(patientId, newKey))
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, newKey.address, true);
      expect(await identity.patientOf(newKey.address)).to.equal(patientId);
      // Even the offered key accepting later is refused: it is bound to the patient now.
      await expect(identity.connect(newKey).acceptOperator(rogueOrg))
        .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
      expect(await identity.organizationOf(newKey.address)).to.equal(0n);
    });

    it("front-running proposeRecovery: the recovery key is only offered, and the recovery is proposed and executes", async function () {
      const { identity, registrar, registerPatient, attacker, victim, newKey, rogueOrg } =
        await networkHelpers.loadFixture(attackFixture);
      const patientId = await registerPatient(victim);
      await identity.connect(attacker).addOperator(rogueOrg, newKey);
      await expect(identity.connect(registrar).proposeRecovery(patientId, newKey)).to.emit(
        identity,
        "RecoveryProposed",
      );
      // While the recovery is pending its key is reserved: accepting the old offer is refused.
      await expect(identity.connect(newKey).acceptOperator(rogueOrg))
        .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
        .withArgs(newKey.address);
      await time.increase(72n * HOUR);
      await expect(identity.executeRecovery(patientId))
        .to.emit(identity, "RecoveryExecuted")
        .withArgs(patientId, newKey.address);
      expect(await identity.patientOf(newKey.address)).to.equal(patientId);
    });

    it("re-binding after the victim removes itself: the re-offer binds nothing, the old acceptance is spent", async function () {
      const { identity, attacker, victim, rogueOrg, registerPatient } = await networkHelpers.loadFixture(attackFixture);
      // The victim once consented (accepted), then left.
      await identity.connect(attacker).addOperator(rogueOrg, victim);
      await identity.connect(victim).acceptOperator(rogueOrg);
      await expect(identity.connect(victim).removeOperator(rogueOrg, victim))
        .to.emit(identity, "OperatorRemoved")
        .withArgs(rogueOrg, victim.address, victim.address);

      // The attacker binds it again: only an offer, and the earlier acceptance cannot be replayed.
      await identity.connect(attacker).addOperator(rogueOrg, victim);
      expect(await identity.organizationOf(victim.address)).to.equal(0n);
      // The victim is free: it registers as a patient.
      const patientId = await registerPatient(victim);
      expect(await identity.patientOf(victim.address)).to.equal(patientId);
      expect(await identity.organizationOf(victim.address)).to.equal(0n);
    });
  });

  describe("only an active organisation adds operators", function () {
    it("refuses an offer from a suspended or a revoked organisation, naming it and its status", async function () {
      const { identity, regulator, attacker, bystander, rogueOrg } = await networkHelpers.loadFixture(attackFixture);
      await identity.connect(regulator).suspendOrganization(rogueOrg, randomHash());
      await expect(identity.connect(attacker).addOperator(rogueOrg, bystander))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(rogueOrg, OrgStatus.Suspended);
      await identity.connect(regulator).revokeOrganization(rogueOrg, randomHash());
      await expect(identity.connect(attacker).addOperator(rogueOrg, bystander))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(rogueOrg, OrgStatus.Revoked);
      expect(await identity.operatorOffer(rogueOrg, bystander.address)).to.deep.equal([ethers.ZeroAddress, 0n]);
    });

    it("refuses an offer from an organisation whose licence ended, even by its registrar, naming the end", async function () {
      const { identity, registrar, registerOrg, bystander, others } = await networkHelpers.loadFixture(attackFixture);
      const org = await registerOrg("Lab", 0, others[6], DAY);
      const { validUntil } = await identity.getOrganization(org);
      await time.setNextBlockTimestamp(validUntil);
      await expect(identity.connect(registrar).addOperator(org, bystander))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationExpired")
        .withArgs(org, validUntil, validUntil);
      expect(await identity.operatorOffer(org, bystander.address)).to.deep.equal([ethers.ZeroAddress, 0n]);
    });

    it("refuses an acceptance once the organisation was suspended after its offer", async function () {
      const { identity, regulator, attacker, bystander, rogueOrg } = await networkHelpers.loadFixture(attackFixture);
      await identity.connect(attacker).addOperator(rogueOrg, bystander);
      await identity.connect(regulator).suspendOrganization(rogueOrg, randomHash());
      await expect(identity.connect(bystander).acceptOperator(rogueOrg))
        .to.be.revertedWithCustomError(identity, "IdentityOrganizationNotActive")
        .withArgs(rogueOrg, OrgStatus.Suspended);
      expect(await identity.organizationOf(bystander.address)).to.equal(0n);
    });
  });

  describe("offers", function () {
    it("the registrar's first operator is only offered too, and binds when it accepts", async function () {
      const { identity, registrar, bystander } = await networkHelpers.loadFixture(attackFixture);
      const validUntil = (await now(ethers)) + YEAR;
      await identity.connect(registrar).registerOrganization(OrgKind.Lab, 0, validUntil, randomHash(), bystander);
      const orgId = await identity.organizationCount();
      expect(await identity.organizationOf(bystander.address)).to.equal(0n);
      await expect(identity.connect(bystander).acceptOperator(orgId))
        .to.emit(identity, "OperatorAdded")
        .withArgs(orgId, bystander.address, registrar.address);
      expect(await identity.organizationOf(bystander.address)).to.equal(orgId);
    });

    it("lapses after OPERATOR_OFFER_WINDOW: a late acceptance is refused with the offer's end", async function () {
      const { identity, attacker, bystander, rogueOrg } = await networkHelpers.loadFixture(attackFixture);
      await identity.connect(attacker).addOperator(rogueOrg, bystander);
      const { expiresAt } = await identity.operatorOffer(rogueOrg, bystander.address);
      expect(expiresAt).to.equal((await now(ethers)) + (await identity.OPERATOR_OFFER_WINDOW()));
      await time.setNextBlockTimestamp(expiresAt);
      await expect(identity.connect(bystander).acceptOperator(rogueOrg))
        .to.be.revertedWithCustomError(identity, "IdentityOperatorOfferExpired")
        .withArgs(bystander.address, rogueOrg, expiresAt, expiresAt);
      expect(await identity.organizationOf(bystander.address)).to.equal(0n);
    });

    it("can be withdrawn by a fellow operator or the registrar, and then cannot be accepted", async function () {
      const { identity, registrar, attacker, bystander, accomplice, rogueOrg, stranger } = {
        ...(await networkHelpers.loadFixture(attackFixture)),
        stranger: (await ethers.getSigners())[15],
      };
      await identity.connect(attacker).addOperator(rogueOrg, bystander);
      await identity.connect(attacker).addOperator(rogueOrg, accomplice);
      await expect(identity.connect(stranger).withdrawOperatorOffer(rogueOrg, bystander))
        .to.be.revertedWithCustomError(identity, "IdentityNotOperator")
        .withArgs(stranger.address, rogueOrg);
      await expect(identity.connect(attacker).withdrawOperatorOffer(rogueOrg, bystander))
        .to.emit(identity, "OperatorOfferWithdrawn")
        .withArgs(rogueOrg, bystander.address, attacker.address);
      await expect(identity.connect(registrar).withdrawOperatorOffer(rogueOrg, accomplice))
        .to.emit(identity, "OperatorOfferWithdrawn")
        .withArgs(rogueOrg, accomplice.address, registrar.address);
      for (const account of [bystander, accomplice]) {
        await expect(identity.connect(account).acceptOperator(rogueOrg))
          .to.be.revertedWithCustomError(identity, "IdentityNoOperatorOffer")
          .withArgs(account.address, rogueOrg);
      }
      await expect(identity.connect(attacker).withdrawOperatorOffer(rogueOrg, bystander))
        .to.be.revertedWithCustomError(identity, "IdentityNoOperatorOffer")
        .withArgs(bystander.address, rogueOrg);
    });

    it("several organisations may court one account; it accepts one, and the others' offers then fail", async function () {
      const { identity, registerOrg, attacker, bystander, rogueOrg, others } =
        await networkHelpers.loadFixture(attackFixture);
      const otherOp = others[6];
      const otherOrg = await registerOrg("Pharmacy", 0, otherOp);
      await identity.connect(attacker).addOperator(rogueOrg, bystander);
      await identity.connect(otherOp).addOperator(otherOrg, bystander);
      await identity.connect(bystander).acceptOperator(otherOrg);
      expect(await identity.organizationOf(bystander.address)).to.equal(otherOrg);
      await expect(identity.connect(bystander).acceptOperator(rogueOrg))
        .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
        .withArgs(bystander.address);
    });

    it("refuses an offer to an account bound already, and while paused", async function () {
      const { identity, pauser, admin, attacker, bystander, rogueOrg, registerPatient } =
        await networkHelpers.loadFixture(attackFixture);
      await registerPatient(bystander);
      await expect(identity.connect(attacker).addOperator(rogueOrg, bystander))
        .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
        .withArgs(bystander.address);
      await identity.connect(pauser).pause();
      await expect(identity.connect(attacker).acceptOperator(rogueOrg)).to.be.revertedWithCustomError(
        identity,
        "EnforcedPause",
      );
      await expect(identity.connect(attacker).withdrawOperatorOffer(rogueOrg, bystander)).to.be.revertedWithCustomError(
        identity,
        "EnforcedPause",
      );
      await identity.connect(admin).unpause();
    });
  });
});
