import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { TypedDataEncoder } from "ethers";
import { network } from "hardhat";

import { CancelRecoveryTypes, RotateKeyTypes, SetControllerTypes, SetGuardianTypes } from "../../src/eip712.ts";
import { randomId } from "../../src/ids.ts";
import { Capabilities, kindsMask, OrgKind, OrgStatus, Roles } from "../../src/roles.ts";
import { encryptionPublicKeyParts, generateEncryptionKeyPair } from "../../src/crypto.ts";
import { addOperator, DAY, deployIdentity, HOUR, now, randomHash, YEAR } from "../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

async function identityFixture() {
  return deployIdentity(ethers);
}

/** A fixture with one provider (operator `op`) and one patient (controller `pat`). */
async function populatedFixture() {
  const f = await deployIdentity(ethers);
  const [op, pat, guardian, stranger, extra] = f.others;
  const caps = Capabilities.EMERGENCY_ACCESS | Capabilities.WRITE_RECORDS;
  const orgId = await f.registerOrg("Provider", caps, op);
  const patientId = await f.registerPatient(pat);
  return { ...f, op, pat, guardian, stranger, extra, orgId, patientId, caps };
}

describe("IdentityRegistry", function () {
  describe("governance", function () {
    it("lets ADMIN set a registrar's kinds and emits RegistrarKindsSet", async function () {
      const { identity, others } = await networkHelpers.loadFixture(identityFixture);
      const mask = kindsMask("Pharmacy", "Distributor");
      await expect(identity.setRegistrarKinds(others[0].address, mask))
        .to.emit(identity, "RegistrarKindsSet")
        .withArgs(others[0].address, mask);
      expect(await identity.registrarKinds(others[0].address)).to.equal(mask);
    });

    it("refuses setRegistrarKinds from a non-admin", async function () {
      const { identity, registrar } = await networkHelpers.loadFixture(identityFixture);
      await expect(identity.connect(registrar).setRegistrarKinds(registrar.address, 0))
        .to.be.revertedWithCustomError(identity, "AccessManagedUnauthorized")
        .withArgs(registrar.address);
    });

    it("is paused by PAUSER only, unpaused by ADMIN only, and pause stops writes", async function () {
      const { identity, pauser, registrar, admin, others } = await networkHelpers.loadFixture(identityFixture);
      await expect(identity.connect(registrar).pause()).to.be.revertedWithCustomError(
        identity,
        "AccessManagedUnauthorized",
      );
      await expect(identity.connect(pauser).pause()).to.emit(identity, "Paused").withArgs(pauser.address);
      await expect(
        identity
          .connect(registrar)
          .registerOrganization(OrgKind.Lab, 0, (await now(ethers)) + YEAR, randomHash(), others[0]),
      ).to.be.revertedWithCustomError(identity, "EnforcedPause");
      await expect(identity.connect(pauser).unpause()).to.be.revertedWithCustomError(
        identity,
        "AccessManagedUnauthorized",
      );
      await expect(identity.connect(admin).unpause()).to.emit(identity, "Unpaused").withArgs(admin.address);
    });
  });

  describe("registerOrganization", function () {
    it("accredits an organisation with its first operator", async function () {
      const { identity, registrar, others } = await networkHelpers.loadFixture(identityFixture);
      const validUntil = (await now(ethers)) + YEAR;
      const profile = randomHash();
      const tx = identity
        .connect(registrar)
        .registerOrganization(OrgKind.Pharmacy, Capabilities.DISPENSE, validUntil, profile, others[0]);
      await expect(tx)
        .to.emit(identity, "OrganizationRegistered")
        .withArgs(1n, OrgKind.Pharmacy, registrar.address, Capabilities.DISPENSE, validUntil, profile);
      const expiresAt = (await now(ethers)) + (await identity.OPERATOR_OFFER_WINDOW());
      await expect(tx)
        .to.emit(identity, "OperatorOffered")
        .withArgs(1n, others[0].address, registrar.address, expiresAt);
      expect(await identity.organizationOf(others[0].address)).to.equal(0n); // an offer binds nothing
      await expect(identity.connect(others[0]).acceptOperator(1n))
        .to.emit(identity, "OperatorAdded")
        .withArgs(1n, others[0].address, registrar.address);
      const org = await identity.getOrganization(1n);
      expect(org.kind).to.equal(OrgKind.Pharmacy);
      expect(org.status).to.equal(OrgStatus.Active);
      expect(await identity.organizationOf(others[0].address)).to.equal(1n);
      expect(await identity.isActiveOrganization(1n)).to.equal(true);
    });

    it("refuses a caller without the REGISTRAR role", async function () {
      const { identity, others } = await networkHelpers.loadFixture(identityFixture);
      await expect(
        identity
          .connect(others[0])
          .registerOrganization(OrgKind.Lab, 0, (await now(ethers)) + YEAR, randomHash(), others[1]),
      )
        .to.be.revertedWithCustomError(identity, "AccessManagedUnauthorized")
        .withArgs(others[0].address);
    });

    it("refuses a kind the registrar was not given", async function () {
      const { identity, registrar, others } = await networkHelpers.loadFixture(identityFixture);
      await identity.setRegistrarKinds(registrar.address, kindsMask("Pharmacy"));
      await expect(
        identity
          .connect(registrar)
          .registerOrganization(OrgKind.Insurer, 0, (await now(ethers)) + YEAR, randomHash(), others[0]),
      )
        .to.be.revertedWithCustomError(identity, "IdentityKindNotAllowed")
        .withArgs(registrar.address, OrgKind.Insurer);
    });

    it("refuses kind None", async function () {
      const { identity, registrar, others } = await networkHelpers.loadFixture(identityFixture);
      await expect(
        identity
          .connect(registrar)
          .registerOrganization(OrgKind.None, 0, (await now(ethers)) + YEAR, randomHash(), others[0]),
      )
        .to.be.revertedWithCustomError(identity, "IdentityInvalidKind")
        .withArgs(OrgKind.None);
    });

    it("refuses a licence that has already ended", async function () {
      const { identity, registrar, others } = await networkHelpers.loadFixture(identityFixture);
      const past = (await now(ethers)) - 1n;
      const tx = identity.connect(registrar).registerOrganization(OrgKind.Lab, 0, past, randomHash(), others[0]);
      await expect(tx).to.be.revertedWithCustomError(identity, "IdentityValidUntilInPast");
    });

    it("refuses an operator already bound to another organisation or a patient, and the zero address", async function () {
      const { identity, registrar, op, pat } = await networkHelpers.loadFixture(populatedFixture);
      const validUntil = (await now(ethers)) + YEAR;
      for (const account of [op, pat]) {
        await expect(
          identity.connect(registrar).registerOrganization(OrgKind.Lab, 0, validUntil, randomHash(), account),
        )
          .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
          .withArgs(account.address);
      }
      await expect(
        identity.connect(registrar).registerOrganization(OrgKind.Lab, 0, validUntil, randomHash(), ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(identity, "IdentityZeroAddress");
    });
  });

  describe("updateOrganization and setCompanyPrefix", function () {
    it("lets the kind's registrar renew a licence and change capabilities", async function () {
      const { identity, registrar, orgId, op } = await networkHelpers.loadFixture(populatedFixture);
      const validUntil = (await now(ethers)) + 2n * YEAR;
      const profile = randomHash();
      await expect(
        identity.connect(registrar).updateOrganization(orgId, Capabilities.WRITE_RECORDS, validUntil, profile),
      )
        .to.emit(identity, "OrganizationUpdated")
        .withArgs(orgId, Capabilities.WRITE_RECORDS, validUntil, profile);
      expect(await identity.hasCapability(op.address, Capabilities.EMERGENCY_ACCESS)).to.equal(false);
      expect(await identity.hasCapability(op.address, Capabilities.WRITE_RECORDS)).to.equal(true);
    });

    it("refuses an unknown organisation", async function () {
      const { identity, registrar } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(registrar).updateOrganization(99n, 0, (await now(ethers)) + YEAR, randomHash()))
        .to.be.revertedWithCustomError(identity, "IdentityUnknownOrganization")
        .withArgs(99n);
    });

    it("refuses a registrar that lost its role, even with the kind", async function () {
      const { identity, manager, registrar, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await manager.revokeRole(Roles.REGISTRAR, registrar.address);
      await expect(identity.connect(registrar).updateOrganization(orgId, 0, (await now(ethers)) + YEAR, randomHash()))
        .to.be.revertedWithCustomError(identity, "IdentityKindNotAllowed")
        .withArgs(registrar.address, OrgKind.Provider);
    });

    it("records a manufacturer's GS1 company prefix", async function () {
      const { identity, registrar, others, registerOrg } = await networkHelpers.loadFixture(populatedFixture);
      const maker = await registerOrg("Manufacturer", Capabilities.MANUFACTURE, others[5]);
      await expect(identity.connect(registrar).setCompanyPrefix(maker, 9501101n, 7))
        .to.emit(identity, "CompanyPrefixSet")
        .withArgs(maker, 9501101n, 7);
      const org = await identity.getOrganization(maker);
      expect([org.companyPrefix, org.prefixLength]).to.deep.equal([9501101n, 7n]);
    });

    it("refuses a company prefix for a non-manufacturer", async function () {
      const { identity, registrar, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(registrar).setCompanyPrefix(orgId, 9501101n, 7))
        .to.be.revertedWithCustomError(identity, "IdentityNotManufacturer")
        .withArgs(orgId, OrgKind.Provider);
    });

    it("refuses a prefix shorter than 6, longer than 12, or with more digits than its length", async function () {
      const { identity, registrar, others, registerOrg } = await networkHelpers.loadFixture(populatedFixture);
      const maker = await registerOrg("Manufacturer", Capabilities.MANUFACTURE, others[5]);
      for (const [prefix, length] of [
        [12345n, 5],
        [1n, 13],
        [12345678n, 7],
      ] as const) {
        await expect(identity.connect(registrar).setCompanyPrefix(maker, prefix, length))
          .to.be.revertedWithCustomError(identity, "IdentityInvalidCompanyPrefix")
          .withArgs(prefix, length);
      }
    });
  });

  describe("organisation status", function () {
    it("suspension by the kind's registrar takes effect in every view at once, reinstatement restores it", async function () {
      const { identity, registrar, orgId, op, caps } = await networkHelpers.loadFixture(populatedFixture);
      const reason = randomHash();
      await expect(identity.connect(registrar).suspendOrganization(orgId, reason))
        .to.emit(identity, "OrganizationStatusChanged")
        .withArgs(orgId, OrgStatus.Suspended, registrar.address, reason);
      expect(await identity.isActiveOrganization(orgId)).to.equal(false);
      expect(await identity.hasCapability(op.address, caps)).to.equal(false);
      expect((await identity.activeOrganizationOf(op.address))[0]).to.equal(0n);
      expect(await identity.organizationOf(op.address)).to.equal(orgId);
      await expect(identity.connect(registrar).reinstateOrganization(orgId, reason))
        .to.emit(identity, "OrganizationStatusChanged")
        .withArgs(orgId, OrgStatus.Active, registrar.address, reason);
      expect(await identity.hasCapability(op.address, caps)).to.equal(true);
    });

    it("lets a REGULATOR suspend any organisation", async function () {
      const { identity, regulator, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(regulator).suspendOrganization(orgId, ethers.ZeroHash))
        .to.emit(identity, "OrganizationStatusChanged")
        .withArgs(orgId, OrgStatus.Suspended, regulator.address, ethers.ZeroHash);
    });

    it("refuses a status change by anyone else", async function () {
      const { identity, stranger, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(stranger).suspendOrganization(orgId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(identity, "IdentityUnauthorized")
        .withArgs(stranger.address, orgId);
    });

    it("makes revocation final", async function () {
      const { identity, registrar, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(registrar).revokeOrganization(orgId, ethers.ZeroHash))
        .to.emit(identity, "OrganizationStatusChanged")
        .withArgs(orgId, OrgStatus.Revoked, registrar.address, ethers.ZeroHash);
      await expect(identity.connect(registrar).revokeOrganization(orgId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidStatusTransition")
        .withArgs(orgId, OrgStatus.Revoked, OrgStatus.Revoked);
      await expect(identity.connect(registrar).reinstateOrganization(orgId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidStatusTransition")
        .withArgs(orgId, OrgStatus.Revoked, OrgStatus.Active);
    });

    it("refuses to reinstate an organisation that is not suspended", async function () {
      const { identity, registrar, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(registrar).reinstateOrganization(orgId, ethers.ZeroHash))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidStatusTransition")
        .withArgs(orgId, OrgStatus.Active, OrgStatus.Active);
    });

    it("treats an expired licence as inactive everywhere", async function () {
      const { identity, op, orgId, caps } = await networkHelpers.loadFixture(populatedFixture);
      await time.increase(YEAR + 1n);
      expect(await identity.isActiveOrganization(orgId)).to.equal(false);
      expect(await identity.hasCapability(op.address, caps)).to.equal(false);
    });
  });

  describe("operators", function () {
    it("lets an operator add and remove staff accounts", async function () {
      const { identity, op, orgId, extra } = await networkHelpers.loadFixture(populatedFixture);
      const expiresAt = (await now(ethers)) + 1n + (await identity.OPERATOR_OFFER_WINDOW());
      await expect(identity.connect(op).addOperator(orgId, extra))
        .to.emit(identity, "OperatorOffered")
        .withArgs(orgId, extra.address, op.address, expiresAt);
      expect(await identity.organizationOf(extra.address)).to.equal(0n);
      expect(await identity.operatorOffer(orgId, extra.address)).to.deep.equal([op.address, expiresAt]);
      await expect(identity.connect(extra).acceptOperator(orgId))
        .to.emit(identity, "OperatorAdded")
        .withArgs(orgId, extra.address, op.address);
      expect(await identity.organizationOf(extra.address)).to.equal(orgId);
      expect(await identity.operatorOffer(orgId, extra.address)).to.deep.equal([ethers.ZeroAddress, 0n]);
      await expect(identity.connect(op).removeOperator(orgId, extra))
        .to.emit(identity, "OperatorRemoved")
        .withArgs(orgId, extra.address, op.address);
      expect(await identity.organizationOf(extra.address)).to.equal(0n);
    });

    it("lets the kind's registrar manage operators (an organisation that lost every key)", async function () {
      const { identity, registrar, op, orgId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(registrar).removeOperator(orgId, op))
        .to.emit(identity, "OperatorRemoved")
        .withArgs(orgId, op.address, registrar.address);
    });

    it("refuses a stranger, and removing an account that is not an operator of that organisation", async function () {
      const { identity, op, orgId, stranger, pat } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(stranger).addOperator(orgId, stranger))
        .to.be.revertedWithCustomError(identity, "IdentityNotOperator")
        .withArgs(stranger.address, orgId);
      await expect(identity.connect(op).removeOperator(orgId, pat))
        .to.be.revertedWithCustomError(identity, "IdentityNotOperator")
        .withArgs(pat.address, orgId);
    });
  });

  describe("setEncryptionKey", function () {
    it("publishes an operator's compressed encryption key", async function () {
      const { identity, op } = await networkHelpers.loadFixture(populatedFixture);
      const { prefix, x } = encryptionPublicKeyParts(generateEncryptionKeyPair().publicKey);
      await expect(identity.connect(op).setEncryptionKey(prefix, x))
        .to.emit(identity, "EncryptionKeySet")
        .withArgs(op.address, prefix, x);
      expect(await identity.encryptionKeyOf(op.address)).to.deep.equal([prefix, x]);
    });

    it("hides the key of an operator removed since", async function () {
      const { identity, op, orgId, extra } = await networkHelpers.loadFixture(populatedFixture);
      await addOperator(identity, orgId, op, extra);
      const { prefix, x } = encryptionPublicKeyParts(generateEncryptionKeyPair().publicKey);
      await identity.connect(extra).setEncryptionKey(prefix, x);
      await identity.connect(op).removeOperator(orgId, extra);
      expect(await identity.encryptionKeyOf(extra.address)).to.deep.equal(["0x00", ethers.ZeroHash]);
    });

    it("refuses a prefix other than 0x02/0x03 and an account with no identity", async function () {
      const { identity, op, stranger } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(op).setEncryptionKey("0x04", randomHash()))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidEncryptionKey")
        .withArgs("0x04");
      await expect(identity.connect(stranger).setEncryptionKey("0x02", randomHash()))
        .to.be.revertedWithCustomError(identity, "IdentityUnboundAccount")
        .withArgs(stranger.address);
    });
  });

  describe("registerPatient", function () {
    it("creates a patient from a registrar's attestation relayed by anyone, and emits PatientRegistered", async function () {
      const { identity, registrar, attest, others } = await networkHelpers.loadFixture(identityFixture);
      const patientId = randomId();
      const commitment = randomHash();
      const deadline = (await now(ethers)) + HOUR;
      const sig = await attest(others[0].address, patientId, commitment, deadline);
      // relayed by a stranger: the patient's controller needs no ether
      const tx = identity
        .connect(others[3])
        .registerPatient(patientId, commitment, others[0], deadline, registrar, sig);
      await expect(tx).to.emit(identity, "PatientRegistered").withArgs(patientId, others[0].address, registrar.address);
      await expect(tx).to.emit(identity, "ControllerSet").withArgs(patientId, others[0].address, true);
      expect(await identity.isPatient(patientId)).to.equal(true);
      expect(await identity.isCommitmentUsed(commitment)).to.equal(true);
      expect(await identity.patientOf(others[0].address)).to.equal(patientId);
      expect(await identity.canActForPatient(others[0].address, patientId)).to.equal(true);
    });

    it("refuses an attestation used by another account (no front-running): it binds the attested controller", async function () {
      const { identity, registrar, attest, others } = await networkHelpers.loadFixture(identityFixture);
      const [victim, thief] = others;
      const patientId = randomId();
      const commitment = randomHash();
      const deadline = (await now(ethers)) + HOUR;
      const sig = await attest(victim.address, patientId, commitment, deadline);
      await expect(identity.connect(thief).registerPatient(patientId, commitment, thief, deadline, registrar, sig))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidSignature")
        .withArgs(registrar.address);
    });

    it("refuses a commitment used before, even for another id and controller", async function () {
      const { identity, registrar, attest, others, registerPatient } =
        await networkHelpers.loadFixture(identityFixture);
      await registerPatient(others[0]);
      const used = (await identity.queryFilter(identity.filters.PatientRegistered()))[0];
      const receipt = await used.getTransactionReceipt();
      const tx = await ethers.provider.getTransaction(receipt.hash);
      const commitment = identity.interface.parseTransaction(tx!)!.args[1] as string;
      const patientId = randomId();
      const deadline = (await now(ethers)) + HOUR;
      const sig = await attest(others[1].address, patientId, commitment, deadline);
      await expect(
        identity.connect(others[1]).registerPatient(patientId, commitment, others[1], deadline, registrar, sig),
      )
        .to.be.revertedWithCustomError(identity, "IdentityCommitmentUsed")
        .withArgs(commitment);
    });

    it("refuses an existing patient id and the zero id", async function () {
      const { identity, registrar, attest, others, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const commitment = randomHash();
      const sig = await attest(others[6].address, patientId, commitment, deadline);
      await expect(
        identity.connect(others[6]).registerPatient(patientId, commitment, others[6], deadline, registrar, sig),
      )
        .to.be.revertedWithCustomError(identity, "IdentityPatientExists")
        .withArgs(patientId);
      await expect(
        identity.connect(others[6]).registerPatient(0n, commitment, others[6], deadline, registrar, sig),
      ).to.be.revertedWithCustomError(identity, "IdentityZeroPatientId");
    });

    it("refuses an attestation signed by an account without the REGISTRAR role", async function () {
      const { identity, others } = await networkHelpers.loadFixture(identityFixture);
      const deadline = (await now(ethers)) + HOUR;
      await expect(
        identity.connect(others[0]).registerPatient(randomId(), randomHash(), others[0], deadline, others[1], "0x"),
      )
        .to.be.revertedWithCustomError(identity, "IdentityAttesterNotRegistrar")
        .withArgs(others[1].address);
    });

    it("refuses an expired attestation", async function () {
      const { identity, registrar, attest, others } = await networkHelpers.loadFixture(identityFixture);
      const patientId = randomId();
      const commitment = randomHash();
      const deadline = (await now(ethers)) + 10n;
      const sig = await attest(others[0].address, patientId, commitment, deadline);
      await time.increase(60);
      await expect(
        identity.connect(others[0]).registerPatient(patientId, commitment, others[0], deadline, registrar, sig),
      ).to.be.revertedWithCustomError(identity, "IdentityExpiredSignature");
    });
  });

  describe("controllers and key rotation", function () {
    it("adds and removes a controller, consuming a nonce each time", async function () {
      const { identity, pat, extra, patientId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(pat).setController(patientId, extra, true))
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, extra.address, true);
      expect(await identity.nonces(patientId)).to.equal(1n);
      await expect(identity.connect(extra).setController(patientId, pat, false))
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, pat.address, false);
      expect(await identity.isController(pat.address, patientId)).to.equal(false);
      expect(await identity.nonces(patientId)).to.equal(2n);
    });

    it("refuses removing the last controller, or an account that is not a controller", async function () {
      const { identity, pat, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(pat).setController(patientId, pat, false))
        .to.be.revertedWithCustomError(identity, "IdentityLastController")
        .withArgs(patientId);
      await expect(identity.connect(pat).setController(patientId, stranger, false))
        .to.be.revertedWithCustomError(identity, "IdentityNotController")
        .withArgs(stranger.address, patientId);
    });

    it("refuses a non-controller and an unknown patient", async function () {
      const { identity, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      await expect(identity.connect(stranger).setController(patientId, stranger, true))
        .to.be.revertedWithCustomError(identity, "IdentityNotController")
        .withArgs(stranger.address, patientId);
      await expect(identity.connect(stranger).setController(123n, stranger, true))
        .to.be.revertedWithCustomError(identity, "IdentityUnknownPatient")
        .withArgs(123n);
    });

    it("holds at most MAX_CONTROLLERS controllers, and a key still rotates at the limit", async function () {
      const { identity, pat, extra, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const max = await identity.MAX_CONTROLLERS();
      expect(max).to.equal(8n);
      const added = Array.from({ length: Number(max) - 1 }, () => ethers.Wallet.createRandom().address);
      for (const account of added) await identity.connect(pat).setController(patientId, account, true);
      await expect(identity.connect(pat).setController(patientId, extra, true))
        .to.be.revertedWithCustomError(identity, "IdentityTooManyControllers")
        .withArgs(patientId, max);
      const tx = identity.connect(pat).rotateKey(patientId, extra);
      await expect(tx).to.emit(identity, "ControllerSet").withArgs(patientId, extra.address, true);
      await expect(tx).to.emit(identity, "ControllerSet").withArgs(patientId, pat.address, false);
      await identity.connect(extra).setController(patientId, added[0], false);
      await expect(identity.connect(extra).setController(patientId, stranger, true))
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, stranger.address, true);
    });

    it("rotates the caller's key: the old key loses control, the new gains it", async function () {
      const { identity, pat, extra, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const tx = identity.connect(pat).rotateKey(patientId, extra);
      await expect(tx).to.emit(identity, "ControllerSet").withArgs(patientId, extra.address, true);
      await expect(tx).to.emit(identity, "ControllerSet").withArgs(patientId, pat.address, false);
      expect(await identity.patientOf(pat.address)).to.equal(0n);
      expect(await identity.patientOf(extra.address)).to.equal(patientId);
    });

    it("rotates a key by the old key's signature, relayed by anyone", async function () {
      const { identity, domain, pat, extra, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await pat.signTypedData(domain, RotateKeyTypes, {
        patientId,
        newController: extra.address,
        nonce: 0n,
        deadline,
      });
      await expect(identity.connect(stranger).rotateKeyWithSig(patientId, extra, pat, deadline, sig))
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, extra.address, true);
      expect(await identity.isController(pat.address, patientId)).to.equal(false);
    });
  });

  describe("signed patient actions", function () {
    async function signSetController(
      signer: HardhatEthersSigner,
      domain: Awaited<ReturnType<typeof deployIdentity>>["domain"],
      patientId: bigint,
      account: string,
      nonce: bigint,
      deadline: bigint,
    ) {
      return signer.signTypedData(domain, SetControllerTypes, { patientId, account, enabled: true, nonce, deadline });
    }

    it("executes a controller's signature relayed by a stranger", async function () {
      const { identity, domain, pat, extra, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await signSetController(pat, domain, patientId, extra.address, 0n, deadline);
      await expect(identity.connect(stranger).setControllerWithSig(patientId, extra, true, pat, deadline, sig))
        .to.emit(identity, "ControllerSet")
        .withArgs(patientId, extra.address, true);
      expect(await identity.nonces(patientId)).to.equal(1n);
    });

    it("refuses a replayed signature", async function () {
      const { identity, domain, pat, extra, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await signSetController(pat, domain, patientId, extra.address, 0n, deadline);
      await identity.setControllerWithSig(patientId, extra, true, pat, deadline, sig);
      await identity
        .connect(extra)
        .setController(patientId, extra, false)
        .catch(() => undefined);
      await expect(identity.setControllerWithSig(patientId, extra, true, pat, deadline, sig))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidSignature")
        .withArgs(pat.address);
    });

    it("kills a signed action when the patient acts directly first", async function () {
      const { identity, domain, pat, extra, guardian, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await signSetController(pat, domain, patientId, extra.address, 0n, deadline);
      await identity.connect(pat).setGuardian(patientId, guardian, (await now(ethers)) + YEAR); // consumes nonce 0
      await expect(identity.setControllerWithSig(patientId, extra, true, pat, deadline, sig))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidSignature")
        .withArgs(pat.address);
    });

    it("refuses a signature made by a controller removed since", async function () {
      const { identity, domain, pat, extra, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      await identity.connect(pat).setController(patientId, extra, true); // nonce 0
      const deadline = (await now(ethers)) + HOUR;
      // extra signs for nonce 2 (after its own removal consumes nonce 1)
      const sig = await signSetController(extra, domain, patientId, stranger.address, 2n, deadline);
      await identity.connect(pat).setController(patientId, extra, false); // nonce 1
      await expect(identity.setControllerWithSig(patientId, stranger, true, extra, deadline, sig))
        .to.be.revertedWithCustomError(identity, "IdentityNotController")
        .withArgs(extra.address, patientId);
    });

    it("refuses an expired signature", async function () {
      const { identity, domain, pat, extra, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + 10n;
      const sig = await signSetController(pat, domain, patientId, extra.address, 0n, deadline);
      await time.increase(60);
      await expect(
        identity.setControllerWithSig(patientId, extra, true, pat, deadline, sig),
      ).to.be.revertedWithCustomError(identity, "IdentityExpiredSignature");
    });

    it("sets a guardian by signature; the guardian may then act for the patient until its term ends", async function () {
      const { identity, domain, pat, guardian, stranger, patientId } =
        await networkHelpers.loadFixture(populatedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const validUntil = (await now(ethers)) + 30n * DAY;
      const sig = await pat.signTypedData(domain, SetGuardianTypes, {
        patientId,
        guardian: guardian.address,
        validUntil,
        nonce: 0n,
        deadline,
      });
      await expect(identity.connect(stranger).setGuardianWithSig(patientId, guardian, validUntil, pat, deadline, sig))
        .to.emit(identity, "GuardianSet")
        .withArgs(patientId, guardian.address, validUntil);
      expect(await identity.guardianUntil(patientId, guardian.address)).to.equal(validUntil);
      expect(await identity.canActForPatient(guardian.address, patientId)).to.equal(true);
      await time.increaseTo(validUntil);
      expect(await identity.canActForPatient(guardian.address, patientId)).to.equal(false);
    });
  });

  describe("guardians", function () {
    it("refuses the zero address, the patient's own controller, and a past term as guardian", async function () {
      const { identity, pat, guardian, patientId } = await networkHelpers.loadFixture(populatedFixture);
      const validUntil = (await now(ethers)) + YEAR;
      await expect(identity.connect(pat).setGuardian(patientId, ethers.ZeroAddress, validUntil))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidGuardian")
        .withArgs(patientId, ethers.ZeroAddress);
      await expect(identity.connect(pat).setGuardian(patientId, pat, validUntil))
        .to.be.revertedWithCustomError(identity, "IdentityInvalidGuardian")
        .withArgs(patientId, pat.address);
      await expect(identity.connect(pat).setGuardian(patientId, guardian, 1n)).to.be.revertedWithCustomError(
        identity,
        "IdentityValidUntilInPast",
      );
    });

    it("removes a guardian while paused, but refuses to add one", async function () {
      const { identity, pauser, pat, guardian, extra, patientId } = await networkHelpers.loadFixture(populatedFixture);
      await identity.connect(pat).setGuardian(patientId, guardian, (await now(ethers)) + YEAR);
      await identity.connect(pauser).pause();
      await expect(identity.connect(pat).setGuardian(patientId, guardian, 0n))
        .to.emit(identity, "GuardianSet")
        .withArgs(patientId, guardian.address, 0n);
      await expect(
        identity.connect(pat).setGuardian(patientId, extra, (await now(ethers)) + YEAR),
      ).to.be.revertedWithCustomError(identity, "EnforcedPause");
    });
  });

  describe("recovery of a lost key", function () {
    async function proposedFixture() {
      const f = await populatedFixture();
      await f.identity.connect(f.pat).setGuardian(f.patientId, f.guardian, (await now(ethers)) + YEAR); // nonce 0
      await f.identity.connect(f.registrar).proposeRecovery(f.patientId, f.extra);
      return f;
    }

    it("is proposed by a registrar, with a 72-hour delay", async function () {
      const { identity, registrar, patientId, extra } = await networkHelpers.loadFixture(populatedFixture);
      const executableAt = (await now(ethers)) + 1n + 72n * HOUR;
      await expect(identity.connect(registrar).proposeRecovery(patientId, extra))
        .to.emit(identity, "RecoveryProposed")
        .withArgs(patientId, extra.address, registrar.address, executableAt);
      expect(await identity.pendingRecovery(patientId)).to.deep.equal([extra.address, executableAt]);
      expect(await identity.RECOVERY_DELAY()).to.equal(72n * HOUR);
    });

    it("refuses a second proposal while one is pending, and an unknown patient", async function () {
      const { identity, registrar, patientId, stranger } = await networkHelpers.loadFixture(proposedFixture);
      await expect(identity.connect(registrar).proposeRecovery(patientId, stranger))
        .to.be.revertedWithCustomError(identity, "IdentityRecoveryPending")
        .withArgs(patientId);
      await expect(identity.connect(registrar).proposeRecovery(5n, stranger))
        .to.be.revertedWithCustomError(identity, "IdentityUnknownPatient")
        .withArgs(5n);
    });

    it("refuses execution before 72 hours", async function () {
      const { identity, patientId } = await networkHelpers.loadFixture(proposedFixture);
      const { executableAt } = await identity.pendingRecovery(patientId);
      await time.increaseTo(executableAt - 2n);
      await expect(identity.executeRecovery(patientId))
        .to.be.revertedWithCustomError(identity, "IdentityRecoveryNotReady")
        .withArgs(patientId, executableAt);
    });

    it("executes after 72 hours: the new key replaces every old one and the nonce is bumped", async function () {
      const { identity, pat, extra, patientId, stranger } = await networkHelpers.loadFixture(proposedFixture);
      await time.increase(72n * HOUR);
      const nonceBefore = await identity.nonces(patientId);
      const tx = identity.connect(stranger).executeRecovery(patientId);
      await expect(tx).to.emit(identity, "RecoveryExecuted").withArgs(patientId, extra.address);
      await expect(tx).to.emit(identity, "ControllerSet").withArgs(patientId, extra.address, true);
      expect(await identity.isController(pat.address, patientId)).to.equal(false);
      expect(await identity.patientOf(pat.address)).to.equal(0n);
      expect(await identity.patientOf(extra.address)).to.equal(patientId);
      expect(await identity.nonces(patientId)).to.equal(nonceBefore + 1n);
    });

    it("retires every one of MAX_CONTROLLERS controllers, and frees their keys", async function () {
      const { identity, registrar, pat, extra, stranger, patientId } =
        await networkHelpers.loadFixture(populatedFixture);
      const max = Number(await identity.MAX_CONTROLLERS());
      const others = Array.from({ length: max - 1 }, () => ethers.Wallet.createRandom().address);
      for (const account of others) await identity.connect(pat).setController(patientId, account, true);
      await identity.connect(registrar).proposeRecovery(patientId, extra);
      await time.increase(72n * HOUR);
      await expect(identity.connect(stranger).executeRecovery(patientId))
        .to.emit(identity, "RecoveryExecuted")
        .withArgs(patientId, extra.address);
      for (const account of [pat.address, ...others]) {
        expect(await identity.canActForPatient(account, patientId)).to.equal(false);
        expect(await identity.patientOf(account)).to.equal(0n);
      }
      // The retired keys may be bound again, up to the limit.
      for (const account of others) await identity.connect(extra).setController(patientId, account, true);
      await expect(identity.connect(extra).setController(patientId, pat, true))
        .to.be.revertedWithCustomError(identity, "IdentityTooManyControllers")
        .withArgs(patientId, max);
    });

    it("never executes a cancelled recovery (cancelled by a guardian, even while paused)", async function () {
      const { identity, pauser, admin, guardian, patientId } = await networkHelpers.loadFixture(proposedFixture);
      await identity.connect(pauser).pause();
      await expect(identity.connect(guardian).cancelRecovery(patientId))
        .to.emit(identity, "RecoveryCancelled")
        .withArgs(patientId, guardian.address);
      await identity.connect(admin).unpause();
      await time.increase(73n * HOUR);
      await expect(identity.executeRecovery(patientId))
        .to.be.revertedWithCustomError(identity, "IdentityNoRecoveryPending")
        .withArgs(patientId);
      await expect(identity.connect(guardian).cancelRecovery(patientId))
        .to.be.revertedWithCustomError(identity, "IdentityNoRecoveryPending")
        .withArgs(patientId);
    });

    it("is cancelled by a controller's signature relayed by anyone", async function () {
      const { identity, domain, pat, stranger, patientId } = await networkHelpers.loadFixture(proposedFixture);
      const deadline = (await now(ethers)) + HOUR;
      const nonce = await identity.nonces(patientId);
      const sig = await pat.signTypedData(domain, CancelRecoveryTypes, { patientId, nonce, deadline });
      await expect(identity.connect(stranger).cancelRecoveryWithSig(patientId, pat, deadline, sig))
        .to.emit(identity, "RecoveryCancelled")
        .withArgs(patientId, pat.address);
    });

    it("refuses a cancellation by someone who cannot act for the patient", async function () {
      const { identity, stranger, patientId } = await networkHelpers.loadFixture(proposedFixture);
      await expect(identity.connect(stranger).cancelRecovery(patientId))
        .to.be.revertedWithCustomError(identity, "IdentityNotAuthorizedForPatient")
        .withArgs(stranger.address, patientId);
    });

    it("reserves the new key while the recovery is pending, so nobody can block it by binding that key", async function () {
      const { identity, op, orgId, pat, extra, patientId } = await networkHelpers.loadFixture(proposedFixture);
      await expect(identity.connect(op).addOperator(orgId, extra))
        .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
        .withArgs(extra.address);
      await expect(identity.connect(pat).setController(patientId, extra, true))
        .to.be.revertedWithCustomError(identity, "IdentityAccountAlreadyBound")
        .withArgs(extra.address);
      await time.increase(72n * HOUR);
      await expect(identity.executeRecovery(patientId)).to.emit(identity, "RecoveryExecuted");
    });

    it("releases the reserved key when the recovery is cancelled", async function () {
      const { identity, op, orgId, pat, extra, patientId } = await networkHelpers.loadFixture(proposedFixture);
      await identity.connect(pat).cancelRecovery(patientId);
      await identity.connect(op).addOperator(orgId, extra);
      await expect(identity.connect(extra).acceptOperator(orgId))
        .to.emit(identity, "OperatorAdded")
        .withArgs(orgId, extra.address, op.address);
    });

    it("frees a retired controller key to be bound again", async function () {
      const { identity, op, orgId, pat, patientId } = await networkHelpers.loadFixture(proposedFixture);
      await time.increase(72n * HOUR);
      await identity.executeRecovery(patientId);
      await identity.connect(op).addOperator(orgId, pat);
      await expect(identity.connect(pat).acceptOperator(orgId)).to.emit(identity, "OperatorAdded");
      expect(await identity.patientOf(pat.address)).to.equal(0n);
    });
  });

  describe("views", function () {
    it("answers for accounts with no identity", async function () {
      const { identity, stranger, patientId } = await networkHelpers.loadFixture(populatedFixture);
      expect(await identity.organizationOf(stranger.address)).to.equal(0n);
      expect(await identity.patientOf(stranger.address)).to.equal(0n);
      expect(await identity.hasCapability(stranger.address, 0)).to.equal(false);
      expect(await identity.canActForPatient(stranger.address, patientId)).to.equal(false);
      expect((await identity.activeOrganizationOf(stranger.address))[0]).to.equal(0n);
      expect(await identity.encryptionKeyOf(stranger.address)).to.deep.equal(["0x00", ethers.ZeroHash]);
    });

    it("exposes the EIP-712 domain separator the SDK's domain hashes to", async function () {
      const { identity, domain } = await networkHelpers.loadFixture(identityFixture);
      expect(await identity.DOMAIN_SEPARATOR()).to.equal(TypedDataEncoder.hashDomain(domain));
    });

    it("answers a patient's authority and an organisation's status in one call (actorAndOrganization)", async function () {
      const { identity, registrar, pat, guardian, stranger, orgId, patientId } =
        await networkHelpers.loadFixture(populatedFixture);
      await identity.connect(pat).setGuardian(patientId, guardian, (await now(ethers)) + DAY);
      expect(await identity.actorAndOrganization(pat.address, patientId, orgId)).to.deep.equal([true, true]);
      expect(await identity.actorAndOrganization(guardian.address, patientId, orgId)).to.deep.equal([true, true]);
      expect(await identity.actorAndOrganization(stranger.address, patientId, orgId)).to.deep.equal([false, true]);
      await identity.connect(registrar).suspendOrganization(orgId, randomHash());
      expect(await identity.actorAndOrganization(pat.address, patientId, orgId)).to.deep.equal([true, false]);
      expect(await identity.actorAndOrganization(pat.address, patientId, orgId + 1n)).to.deep.equal([true, false]);
      await time.increase(DAY);
      expect(await identity.actorAndOrganization(guardian.address, patientId, orgId)).to.deep.equal([false, false]);
    });

    it("keeps a patient controller out of the organisation views", async function () {
      const { identity, pat } = await networkHelpers.loadFixture(populatedFixture);
      expect(await identity.organizationOf(pat.address)).to.equal(0n);
      expect(await identity.hasCapability(pat.address, 0)).to.equal(false);
    });

    it("activeRoleOf gives an active organisation's id, kind and capabilities, and zeros otherwise", async function () {
      const { identity, registrar, op, pat, stranger, orgId, caps } =
        await networkHelpers.loadFixture(populatedFixture);
      const none = [0n, BigInt(OrgKind.None), 0n];
      expect(await identity.activeRoleOf(op.address)).to.deep.equal([orgId, BigInt(OrgKind.Provider), BigInt(caps)]);
      expect(await identity.activeRoleOf(stranger.address)).to.deep.equal(none);
      expect(await identity.activeRoleOf(pat.address)).to.deep.equal(none);
      await identity.connect(registrar).suspendOrganization(orgId, randomHash());
      expect(await identity.activeRoleOf(op.address)).to.deep.equal(none);
      await identity.connect(registrar).reinstateOrganization(orgId, randomHash());
      expect((await identity.activeRoleOf(op.address))[0]).to.equal(orgId);
      await time.increase(YEAR + 1n);
      expect(await identity.activeRoleOf(op.address)).to.deep.equal(none);
    });
  });
});
