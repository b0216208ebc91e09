import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { medchainDomain } from "../../src/eip712.ts";
import { Capabilities } from "../../src/roles.ts";
import {
  Action,
  ALL_CATEGORIES,
  Category,
  categoryIndex,
  EmergencyPolicy,
  Purpose,
  RESTRICTED,
  scopes,
} from "../../src/scopes.ts";
import type { ERC1271PatientAccount } from "../../typechain-types/index.ts";
import { deployConsent } from "../helpers/consent.ts";
import { DAY, HOUR, now, randomHash, YEAR } from "../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const JUSTIFICATION_PERIOD = 72n * HOUR;

async function consentFixture() {
  return deployConsent(ethers);
}

/** The fixture, with a CONDITIONS record held by the hospital and a MEDICATIONS+CONDITIONS grant to it. */
async function recordFixture() {
  const sys = await deployConsent(ethers);
  const { consent, records, patient, doctor, patientId, hospital } = sys;
  const t = await sys.terms(scopes("CONDITIONS", "MEDICATIONS", "CONTACT"), {
    actions: Action.READ | Action.WRITE,
  });
  await sys.grantAs(patient, patientId, hospital, t);
  const recordId = hexlify(randomBytes(32));
  await records.connect(doctor).anchor(recordId, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
  const contactRecordId = hexlify(randomBytes(32));
  await records
    .connect(doctor)
    .anchor(contactRecordId, patientId, categoryIndex("CONTACT"), randomHash(), randomHash());
  return { ...sys, recordId, contactRecordId, consent };
}

describe("ConsentManager", function () {
  describe("deployment", function () {
    it("starts with a 24 h break-glass window, a cap of 20 a day, and knows its registries", async function () {
      const { consent, identity, records } = await networkHelpers.loadFixture(consentFixture);
      expect(await consent.emergencyParameters()).to.deep.equal([24n * HOUR, 20n]);
      expect(await consent.recordRegistry()).to.equal(await records.getAddress());
      expect(await consent.identityRegistry()).to.equal(await identity.getAddress());
      expect(await records.consentManager()).to.equal(await consent.getAddress());
      expect(await consent.emergencyAccessCount()).to.equal(0n);
    });
  });

  describe("grant", function () {
    it("lets a patient grant a doctor CONDITIONS and MEDICATIONS but not CONTACT; the CONTACT request is refused", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, records, patient, patientId, hospital, lab, labTech } = sys;
      const t = await sys.terms(scopes("CONDITIONS", "MEDICATIONS"));
      await expect(
        consent.connect(patient).grant(patientId, hospital, t.scopes, t.actions, t.purposes, t.notBefore, t.expiresAt),
      )
        .to.emit(consent, "ConsentGranted")
        .withArgs(patientId, hospital, t.scopes, t.actions, t.purposes, t.notBefore, t.expiresAt);
      const read = (s: number) => consent.hasAccess(patientId, hospital, s, Action.READ, Purpose.TREATMENT);
      expect(await read(Category.CONDITIONS)).to.equal(true);
      expect(await read(Category.MEDICATIONS)).to.equal(true);
      expect(await read(Category.CONDITIONS | Category.MEDICATIONS)).to.equal(true);
      expect(await read(Category.CONTACT)).to.equal(false);
      expect(await read(Category.CONTACT | Category.CONDITIONS)).to.equal(false);

      // The lab holds the patient's address; it may not disclose it to the doctor.
      await sys.grantAs(patient, patientId, lab, await sys.terms(Category.CONTACT, { actions: Action.WRITE }));
      const contactRecord = hexlify(randomBytes(32));
      await records
        .connect(labTech)
        .anchor(contactRecord, patientId, categoryIndex("CONTACT"), randomHash(), randomHash());
      await expect(
        consent.connect(labTech).logAccess(patientId, hospital, contactRecord, Category.CONTACT, Purpose.TREATMENT),
      )
        .to.be.revertedWithCustomError(consent, "ConsentNotCovered")
        .withArgs(patientId, hospital, Category.CONTACT, Purpose.TREATMENT);
    });

    it("stores the grant in one slot's fields and consumes the patient's nonce", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      const t = await sys.terms(Category.LAB_RESULTS, { notBefore: (await now(ethers)) + DAY, purposes: 0b111 });
      expect(await consent.nonces(patientId)).to.equal(0n);
      await sys.grantAs(patient, patientId, hospital, t);
      expect(await consent.nonces(patientId)).to.equal(1n);
      const g = await consent.getGrant(patientId, hospital);
      expect([g.scopes, g.actions, g.purposes, g.notBefore, g.expiresAt]).to.deep.equal([
        BigInt(t.scopes),
        BigInt(t.actions),
        BigInt(t.purposes),
        t.notBefore,
        t.expiresAt,
      ]);
    });

    it("lets a guardian grant for the patient, and replaces an earlier grant", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, identity, patient, guardian, patientId, hospital } = sys;
      await identity.connect(patient).setGuardian(patientId, guardian, (await now(ethers)) + YEAR);
      await sys.grantAs(patient, patientId, hospital, await sys.terms(Category.IMAGING));
      await sys.grantAs(guardian, patientId, hospital, await sys.terms(Category.ALLERGIES));
      expect(await consent.hasAccess(patientId, hospital, Category.IMAGING, Action.READ, Purpose.TREATMENT)).to.equal(
        false,
      );
      expect(await consent.hasAccess(patientId, hospital, Category.ALLERGIES, Action.READ, Purpose.TREATMENT)).to.equal(
        true,
      );
    });

    it("shows the whole RESTRICTED group in the event, never which sensitive category", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      const t = await sys.terms(Category.MENTAL_HEALTH | Category.CONDITIONS);
      await expect(
        consent.connect(patient).grant(patientId, hospital, t.scopes, t.actions, t.purposes, t.notBefore, t.expiresAt),
      )
        .to.emit(consent, "ConsentGranted")
        .withArgs(patientId, hospital, RESTRICTED | Category.CONDITIONS, t.actions, t.purposes, 0n, t.expiresAt);
      expect((await consent.getGrant(patientId, hospital)).scopes).to.equal(
        BigInt(Category.MENTAL_HEALTH | Category.CONDITIONS),
      );
    });

    it("refuses an account that cannot act for the patient", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const t = await sys.terms(Category.CONDITIONS);
      await expect(sys.grantAs(sys.stranger, sys.patientId, sys.hospital, t))
        .to.be.revertedWithCustomError(sys.consent, "ConsentUnauthorized")
        .withArgs(sys.stranger.address, sys.patientId);
    });

    it("refuses empty or unknown scopes, actions and purposes", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      const bad = [
        { scopes: 0, actions: Action.READ, purposes: Purpose.TREATMENT },
        { scopes: 1 << 16, actions: Action.READ, purposes: Purpose.TREATMENT },
        { scopes: Category.CONDITIONS, actions: 0, purposes: Purpose.TREATMENT },
        { scopes: Category.CONDITIONS, actions: 4, purposes: Purpose.TREATMENT },
        { scopes: Category.CONDITIONS, actions: Action.READ, purposes: 0 },
        { scopes: Category.CONDITIONS, actions: Action.READ, purposes: 1 << 6 },
      ];
      for (const b of bad) {
        await expect(sys.grantAs(patient, patientId, hospital, await sys.terms(b.scopes, b)))
          .to.be.revertedWithCustomError(consent, "ConsentInvalidGrant")
          .withArgs(b.scopes, b.actions, b.purposes);
      }
    });

    it("refuses a window that has ended or ends before it starts", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      const t0 = await now(ethers);
      for (const w of [
        { notBefore: 0n, expiresAt: t0 + 10n },
        { notBefore: t0 + DAY, expiresAt: t0 + DAY },
      ]) {
        const at = (await now(ethers)) + 10n;
        await networkHelpers.time.setNextBlockTimestamp(at);
        await expect(sys.grantAs(patient, patientId, hospital, await sys.terms(Category.CONDITIONS, w)))
          .to.be.revertedWithCustomError(consent, "ConsentInvalidWindow")
          .withArgs(w.notBefore, w.expiresAt, at);
      }
    });

    it("refuses a grantee that is unknown, suspended or past its licence", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, identity, registrar, patient, patientId, insurer } = sys;
      const t = await sys.terms(Category.BILLING);
      await expect(sys.grantAs(patient, patientId, 999n, t))
        .to.be.revertedWithCustomError(consent, "ConsentInactiveOrganization")
        .withArgs(999n);
      await identity.connect(registrar).suspendOrganization(insurer, randomHash());
      await expect(sys.grantAs(patient, patientId, insurer, t))
        .to.be.revertedWithCustomError(consent, "ConsentInactiveOrganization")
        .withArgs(insurer);
    });

    it("is stopped by pause", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      await sys.consent.connect(sys.pauser).pause();
      await expect(
        sys.grantAs(sys.patient, sys.patientId, sys.hospital, await sys.terms(Category.CONDITIONS)),
      ).to.be.revertedWithCustomError(sys.consent, "EnforcedPause");
    });
  });

  describe("hasAccess", function () {
    it("holds only inside the window [notBefore, expiresAt)", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      const t0 = await now(ethers);
      await sys.grantAs(
        patient,
        patientId,
        hospital,
        await sys.terms(Category.CONDITIONS, { notBefore: t0 + DAY, expiresAt: t0 + 2n * DAY }),
      );
      const ask = () => consent.hasAccess(patientId, hospital, Category.CONDITIONS, Action.READ, Purpose.TREATMENT);
      expect(await ask()).to.equal(false);
      await networkHelpers.time.increaseTo(t0 + DAY);
      expect(await ask()).to.equal(true);
      await networkHelpers.time.increaseTo(t0 + 2n * DAY);
      expect(await ask()).to.equal(false);
    });

    it("fails for a suspended grantee and after its licence ends", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, identity, registrar, patient, patientId } = sys;
      const acct0 = await sys.account();
      const clinic = await sys.registerOrg("Provider", 0, acct0, 30n * DAY);
      await sys.grantAs(patient, patientId, clinic, await sys.terms(Category.CONDITIONS));
      const ask = () => consent.hasAccess(patientId, clinic, Category.CONDITIONS, Action.READ, Purpose.TREATMENT);
      expect(await ask()).to.equal(true);
      await identity.connect(registrar).suspendOrganization(clinic, randomHash());
      expect(await ask()).to.equal(false);
      await identity.connect(registrar).reinstateOrganization(clinic, randomHash());
      expect(await ask()).to.equal(true);
      await networkHelpers.time.increase(31n * DAY);
      expect(await ask()).to.equal(false);
    });

    it("fails for an action or purpose not granted, and for an empty request", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      await sys.grantAs(patient, patientId, hospital, await sys.terms(Category.CONDITIONS));
      const ask = (s: number, a: number, p: number) => consent.hasAccess(patientId, hospital, s, a, p);
      expect(await ask(Category.CONDITIONS, Action.WRITE, Purpose.TREATMENT)).to.equal(false);
      expect(await ask(Category.CONDITIONS, Action.READ, Purpose.RESEARCH)).to.equal(false);
      expect(await ask(0, Action.READ, Purpose.TREATMENT)).to.equal(false);
      expect(await ask(Category.CONDITIONS, 0, Purpose.TREATMENT)).to.equal(false);
      expect(await ask(Category.CONDITIONS, Action.READ, 0)).to.equal(false);
    });
  });

  describe("revoke", function () {
    it("removes the grant, emits and consumes a nonce", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      await sys.grantAs(patient, patientId, hospital, await sys.terms(Category.CONDITIONS));
      await expect(consent.connect(patient).revoke(patientId, hospital))
        .to.emit(consent, "ConsentRevoked")
        .withArgs(patientId, hospital);
      expect(await consent.nonces(patientId)).to.equal(2n);
      expect((await consent.getGrant(patientId, hospital)).expiresAt).to.equal(0n);
      expect(
        await consent.hasAccess(patientId, hospital, Category.CONDITIONS, Action.READ, Purpose.TREATMENT),
      ).to.equal(false);
    });

    it("works while paused", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      await sys.grantAs(patient, patientId, hospital, await sys.terms(Category.CONDITIONS));
      await consent.connect(sys.pauser).pause();
      await expect(consent.connect(patient).revoke(patientId, hospital)).to.emit(consent, "ConsentRevoked");
    });

    it("refuses when there is no grant, and a stranger", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital, stranger } = sys;
      await expect(consent.connect(patient).revoke(patientId, hospital))
        .to.be.revertedWithCustomError(consent, "ConsentNoGrant")
        .withArgs(patientId, hospital);
      await expect(consent.connect(stranger).revoke(patientId, hospital))
        .to.be.revertedWithCustomError(consent, "ConsentUnauthorized")
        .withArgs(stranger.address, patientId);
    });
  });

  describe("setDenyMask", function () {
    it("overrides every grant and shows only the RESTRICTED group in the event", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId, hospital } = sys;
      await sys.grantAs(patient, patientId, hospital, await sys.terms(Category.MENTAL_HEALTH | Category.CONDITIONS));
      await expect(consent.connect(patient).setDenyMask(patientId, Category.MENTAL_HEALTH, EmergencyPolicy.OPT_OUT))
        .to.emit(consent, "DenyMaskSet")
        .withArgs(patientId, RESTRICTED, EmergencyPolicy.OPT_OUT);
      expect(await consent.policyOf(patientId)).to.deep.equal([BigInt(Category.MENTAL_HEALTH), 1n]);
      const ask = (s: number) => consent.hasAccess(patientId, hospital, s, Action.READ, Purpose.TREATMENT);
      expect(await ask(Category.MENTAL_HEALTH)).to.equal(false);
      expect(await ask(Category.CONDITIONS)).to.equal(true);
      expect(await consent.nonces(patientId)).to.equal(2n);
    });

    it("refuses unknown categories or policy flags, and a widening while paused", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, patientId } = sys;
      await consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, 0);
      await expect(consent.connect(patient).setDenyMask(patientId, 1 << 16, 0))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidPolicy")
        .withArgs(1 << 16, 0);
      await expect(consent.connect(patient).setDenyMask(patientId, 0, 4))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidPolicy")
        .withArgs(0, 4);
      await expect(consent.connect(sys.stranger).setDenyMask(patientId, 0, 0))
        .to.be.revertedWithCustomError(consent, "ConsentUnauthorized")
        .withArgs(sys.stranger.address, patientId);
      await consent.connect(sys.pauser).pause();
      // Clearing a denied category widens access: not while paused (restrictions: see deny-while-paused).
      await expect(consent.connect(patient).setDenyMask(patientId, 0, 0)).to.be.revertedWithCustomError(
        consent,
        "EnforcedPause",
      );
    });
  });

  describe("grantWithSig", function () {
    it("grants by the patient's signature, relayed by anyone", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(scopes("CONDITIONS", "MEDICATIONS"));
      const dl = await sys.deadline();
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.emit(consent, "ConsentGranted")
        .withArgs(patientId, hospital, t.scopes, t.actions, t.purposes, t.notBefore, t.expiresAt);
      expect(await consent.nonces(patientId)).to.equal(1n);
    });

    it("refuses a signed grant to a grantee that is no longer active", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, identity, registrar, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(scopes("CONDITIONS"));
      const dl = await sys.deadline();
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl);
      await identity.connect(registrar).suspendOrganization(hospital, randomHash());
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentInactiveOrganization")
        .withArgs(hospital);
    });

    it("grants by an ERC-1271 smart account's signature", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, identity, relayer, hospital } = sys;
      const acct1 = await sys.account();
      const owner = acct1;
      const account = (await ethers.deployContract("ERC1271PatientAccount", [
        owner.address,
      ])) as unknown as ERC1271PatientAccount;
      // The account registers itself as a patient controller (the registrar attests the account).
      const patientId = BigInt(hexlify(randomBytes(32)));
      const commitment = randomHash();
      const dl = await sys.deadline();
      const attestation = await sys.attest(await account.getAddress(), patientId, commitment, dl);
      await account
        .connect(owner)
        .execute(
          identity,
          identity.interface.encodeFunctionData("registerPatient", [
            patientId,
            commitment,
            await account.getAddress(),
            dl,
            sys.registrar.address,
            attestation,
          ]),
        );
      await expect(account.connect(relayer).execute(identity, "0x"))
        .to.be.revertedWithCustomError(account, "ERC1271PatientAccountNotOwner")
        .withArgs(relayer.address);

      const t = await sys.terms(Category.IMMUNIZATIONS);
      const sig = await sys.signGrant(owner, patientId, hospital, t, 0n, dl);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, account, 0n, dl, sig)).to.emit(
        consent,
        "ConsentGranted",
      );
      // The owner's key is not the account: a signature claiming the account from another key fails.
      const bad = await sys.signGrant(relayer, patientId, hospital, t, 1n, dl);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, account, 1n, dl, bad))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidSignature")
        .withArgs(await account.getAddress(), relayer.address);
    });

    it("rejects a signature replayed", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl);
      await consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidNonce")
        .withArgs(patientId, 0n, 1n);
    });

    it("rejects an expired signature", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline(HOUR);
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl);
      await networkHelpers.time.setNextBlockTimestamp(dl + 1n);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentSignatureExpired")
        .withArgs(dl, dl + 1n);
    });

    it("rejects a signature for another chain id", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      const otherChain = medchainDomain("ConsentManager", 1n, await consent.getAddress());
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl, otherChain);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidSignature")
        .withArgs(patient.address, (recovered: string) => recovered !== patient.address);
    });

    it("rejects a signature for another contract", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, records, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      const chainId = (await ethers.provider.getNetwork()).chainId;
      const otherContract = medchainDomain("ConsentManager", chainId, await records.getAddress());
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl, otherContract);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidSignature")
        .withArgs(patient.address, (recovered: string) => recovered !== patient.address);
    });

    it("rejects a signature by the wrong signer", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, stranger, relayer, patientId, hospital } = sys;
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      // A stranger signs in its own name: it has no authority over the patient.
      const own = await sys.signGrant(stranger, patientId, hospital, t, 0n, dl);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, stranger, 0n, dl, own))
        .to.be.revertedWithCustomError(consent, "ConsentUnauthorized")
        .withArgs(stranger.address, patientId);
      // A stranger signs and claims to be the patient: the signature recovers to the stranger.
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, own))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidSignature")
        .withArgs(patient.address, stranger.address);
      // A malformed signature recovers to no one.
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, "0x1234"))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidSignature")
        .withArgs(patient.address, ethers.ZeroAddress);
    });

    it("lets a signed grant not yet relayed die when the patient revokes directly", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital, insurer } = sys;
      await sys.grantAs(patient, patientId, insurer, await sys.terms(Category.BILLING));
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      const sig = await sys.signGrant(patient, patientId, hospital, t, 1n, dl);
      await consent.connect(patient).revoke(patientId, insurer);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 1n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentInvalidNonce")
        .withArgs(patientId, 1n, 2n);
    });

    it("refuses a signature by a controller removed since", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, identity, patient, relayer, patientId, hospital } = sys;
      const acct2 = await sys.account();
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl);
      await identity.connect(patient).rotateKey(patientId, acct2);
      await expect(consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig))
        .to.be.revertedWithCustomError(consent, "ConsentUnauthorized")
        .withArgs(patient.address, patientId);
    });

    it("is stopped by pause", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital } = sys;
      const t = await sys.terms(Category.CONDITIONS);
      const dl = await sys.deadline();
      const sig = await sys.signGrant(patient, patientId, hospital, t, 0n, dl);
      await consent.connect(sys.pauser).pause();
      await expect(
        consent.connect(relayer).grantWithSig(patientId, hospital, t, patient, 0n, dl, sig),
      ).to.be.revertedWithCustomError(consent, "EnforcedPause");
    });
  });

  describe("revokeWithSig", function () {
    it("revokes by the patient's signature, also while paused", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId, hospital } = sys;
      await sys.grantAs(patient, patientId, hospital, await sys.terms(Category.CONDITIONS));
      const dl = await sys.deadline();
      const sig = await sys.signRevoke(patient, patientId, hospital, 1n, dl);
      await consent.connect(sys.pauser).pause();
      await expect(consent.connect(relayer).revokeWithSig(patientId, hospital, patient, 1n, dl, sig))
        .to.emit(consent, "ConsentRevoked")
        .withArgs(patientId, hospital);
      expect(await consent.nonces(patientId)).to.equal(2n);
    });
  });

  describe("setDenyMaskWithSig", function () {
    it("sets the deny mask by the patient's signature", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patient, relayer, patientId } = sys;
      const dl = await sys.deadline();
      const mask = Category.GENETIC | Category.CONTACT;
      const sig = await sys.signDenyMask(patient, patientId, mask, EmergencyPolicy.OVERRIDES_DENY, 0n, dl);
      await expect(
        consent
          .connect(relayer)
          .setDenyMaskWithSig(patientId, mask, EmergencyPolicy.OVERRIDES_DENY, patient, 0n, dl, sig),
      )
        .to.emit(consent, "DenyMaskSet")
        .withArgs(patientId, RESTRICTED | Category.CONTACT, EmergencyPolicy.OVERRIDES_DENY);
      expect(await consent.policyOf(patientId)).to.deep.equal([BigInt(mask), 2n]);
    });
  });

  describe("break-glass", function () {
    it("opens READ access for the window to an emergency provider, then lapses", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, patientId, hospital } = sys;
      const reason = randomHash();
      const t0 = (await now(ethers)) + 1n;
      await networkHelpers.time.setNextBlockTimestamp(t0);
      await expect(consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, reason))
        .to.emit(consent, "EmergencyAccessOpened")
        .withArgs(1n, patientId, hospital, doctor.address, reason, t0 + DAY);
      const a = await consent.getEmergencyAccess(1n);
      expect([a.patientId, a.orgId, a.openedAt, a.closesAt, a.justified, a.reported]).to.deep.equal([
        patientId,
        hospital,
        t0,
        t0 + DAY,
        false,
        false,
      ]);
      expect(await consent.emergencyAccessCount()).to.equal(1n);
      expect(await consent.hasEmergencyAccess(patientId, hospital, ALL_CATEGORIES)).to.equal(true);
      expect(await consent.hasEmergencyAccess(patientId, hospital, 0)).to.equal(false);
      expect(await consent.hasEmergencyAccess(patientId, sys.lab, Category.CONDITIONS)).to.equal(false);
      await networkHelpers.time.increaseTo(t0 + DAY);
      expect(await consent.hasEmergencyAccess(patientId, hospital, Category.CONDITIONS)).to.equal(false);
      // A new opening is possible once the last one lapsed.
      await expect(consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, reason)).to.emit(
        consent,
        "EmergencyAccessOpened",
      );
    });

    it("refuses an opening for WRITE", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      await expect(sys.consent.connect(sys.doctor).openEmergencyAccess(sys.patientId, Action.WRITE, randomHash()))
        .to.be.revertedWithCustomError(sys.consent, "ConsentEmergencyReadOnly")
        .withArgs(Action.WRITE);
    });

    it("refuses an opening by a non-provider, a provider without the capability, or an outsider", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, patientId, labTech, pharmacist, stranger, lab, pharmacy } = sys;
      const acct3 = await sys.account();
      const acct4 = await sys.account();
      const plain = await sys.registerOrg("Provider", Capabilities.WRITE_RECORDS, acct3);
      const emergencyPharmacy = await sys.registerOrg("Pharmacy", Capabilities.EMERGENCY_ACCESS, acct4);
      for (const [who, org] of [
        [labTech, lab],
        [pharmacist, pharmacy],
        [acct3, plain],
        [acct4, emergencyPharmacy],
        [stranger, 0n],
      ] as const) {
        await expect(consent.connect(who).openEmergencyAccess(patientId, Action.READ, randomHash()))
          .to.be.revertedWithCustomError(consent, "ConsentEmergencyNotProvider")
          .withArgs(who.address, org);
      }
    });

    it("refuses an unknown patient, a patient who opted out, and a second opening while one is open", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, nurse, patient, patientId, hospital } = sys;
      await expect(consent.connect(doctor).openEmergencyAccess(42n, Action.READ, randomHash()))
        .to.be.revertedWithCustomError(consent, "ConsentUnknownPatient")
        .withArgs(42n);
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      await expect(consent.connect(nurse).openEmergencyAccess(patientId, Action.READ, randomHash()))
        .to.be.revertedWithCustomError(consent, "ConsentEmergencyAlreadyOpen")
        .withArgs(patientId, hospital, 1n);
      const acct5 = await sys.account();
      const other = await sys.registerPatient(acct5);
      await consent.connect(acct5).setDenyMask(other, 0, EmergencyPolicy.OPT_OUT);
      await expect(consent.connect(doctor).openEmergencyAccess(other, Action.READ, randomHash()))
        .to.be.revertedWithCustomError(consent, "ConsentEmergencyOptedOut")
        .withArgs(other);
      void patient;
    });

    it("refuses an opening beyond the daily cap, and allows it again 24 h after the oldest", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, hospital } = sys;
      const acct6 = await sys.account();
      const acct7 = await sys.account();
      await expect(consent.setEmergencyParameters(2n * HOUR, 2))
        .to.emit(consent, "EmergencyParametersSet")
        .withArgs(2n * HOUR, 2);
      const patients = [await sys.registerPatient(acct6), await sys.registerPatient(acct7), sys.patientId];
      await consent.connect(doctor).openEmergencyAccess(patients[0], Action.READ, randomHash());
      const first = await now(ethers);
      await networkHelpers.time.increase(HOUR);
      await consent.connect(doctor).openEmergencyAccess(patients[1], Action.READ, randomHash());
      await expect(consent.connect(doctor).openEmergencyAccess(patients[2], Action.READ, randomHash()))
        .to.be.revertedWithCustomError(consent, "ConsentEmergencyDailyCap")
        .withArgs(hospital, 2, first + DAY);
      await networkHelpers.time.increaseTo(first + DAY);
      await expect(consent.connect(doctor).openEmergencyAccess(patients[2], Action.READ, randomHash())).to.emit(
        consent,
        "EmergencyAccessOpened",
      );
      // The second opening is now the oldest within the day: the cap binds again.
      await expect(
        consent.connect(doctor).openEmergencyAccess(patients[0], Action.READ, randomHash()),
      ).to.be.revertedWithCustomError(consent, "ConsentEmergencyDailyCap");
    });

    it("respects the deny mask unless the patient let emergencies override it", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, patient, patientId, hospital } = sys;
      await consent.connect(patient).setDenyMask(patientId, Category.MENTAL_HEALTH, 0);
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      expect(await consent.hasEmergencyAccess(patientId, hospital, Category.MENTAL_HEALTH)).to.equal(false);
      expect(await consent.hasEmergencyAccess(patientId, hospital, Category.ALLERGIES)).to.equal(true);
      await consent.connect(patient).setDenyMask(patientId, Category.MENTAL_HEALTH, EmergencyPolicy.OVERRIDES_DENY);
      expect(await consent.hasEmergencyAccess(patientId, hospital, Category.MENTAL_HEALTH)).to.equal(true);
    });

    it("lets ADMIN set the window and cap within bounds only", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, stranger } = sys;
      for (const [w, c] of [
        [HOUR - 1n, 20],
        [72n * HOUR + 1n, 20],
        [HOUR, 0],
        [HOUR, 65],
      ] as const) {
        await expect(consent.setEmergencyParameters(w, c))
          .to.be.revertedWithCustomError(consent, "ConsentInvalidEmergencyParameters")
          .withArgs(w, c);
      }
      await expect(consent.connect(stranger).setEmergencyParameters(HOUR, 1))
        .to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
      await consent.setEmergencyParameters(72n * HOUR, 64);
      expect(await consent.emergencyParameters()).to.deep.equal([72n * HOUR, 64n]);
    });

    it("lets the patient close an access early (a nonce), or the provider (no nonce), also while paused", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, nurse, patient, patientId, hospital } = sys;
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      await consent.connect(sys.pauser).pause();
      await expect(consent.connect(patient).closeEmergencyAccess(1n))
        .to.emit(consent, "EmergencyAccessClosed")
        .withArgs(1n, patient.address);
      expect(await consent.nonces(patientId)).to.equal(1n);
      expect(await consent.hasEmergencyAccess(patientId, hospital, Category.CONDITIONS)).to.equal(false);
      const closedAt = await now(ethers);
      await expect(consent.connect(doctor).closeEmergencyAccess(1n))
        .to.be.revertedWithCustomError(consent, "ConsentEmergencyClosed")
        .withArgs(1n, closedAt);
      await consent.unpause();

      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      await expect(consent.connect(nurse).closeEmergencyAccess(2n))
        .to.emit(consent, "EmergencyAccessClosed")
        .withArgs(2n, nurse.address);
      expect(await consent.nonces(patientId)).to.equal(1n);
    });

    it("lets the patient close an access by signature", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, patient, relayer, patientId } = sys;
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      const dl = await sys.deadline();
      const sig = await sys.signClose(patient, 1n, 0n, dl);
      await expect(consent.connect(relayer).closeEmergencyAccessWithSig(1n, patient, 0n, dl, sig))
        .to.emit(consent, "EmergencyAccessClosed")
        .withArgs(1n, patient.address);
    });

    it("refuses to close an unknown access, or by a stranger", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, stranger, patientId } = sys;
      await expect(consent.connect(doctor).closeEmergencyAccess(7n))
        .to.be.revertedWithCustomError(consent, "ConsentUnknownEmergencyAccess")
        .withArgs(7n);
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      await expect(consent.connect(stranger).closeEmergencyAccess(1n))
        .to.be.revertedWithCustomError(consent, "ConsentUnauthorized")
        .withArgs(stranger.address, patientId);
    });

    it("takes a justification from the provider, marked late after 72 h, once", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, nurse, labTech, patientId } = sys;
      const acct8 = await sys.account();
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      const j = randomHash();
      await expect(consent.connect(labTech).justifyEmergencyAccess(1n, j))
        .to.be.revertedWithCustomError(consent, "ConsentNotEmergencyOrg")
        .withArgs(labTech.address, sys.hospital);
      await expect(consent.connect(nurse).justifyEmergencyAccess(1n, j))
        .to.emit(consent, "EmergencyAccessJustified")
        .withArgs(1n, j, false);
      await expect(consent.connect(doctor).justifyEmergencyAccess(1n, j))
        .to.be.revertedWithCustomError(consent, "ConsentEmergencyAlreadyJustified")
        .withArgs(1n);

      const other = await sys.registerPatient(acct8);
      await consent.connect(doctor).openEmergencyAccess(other, Action.READ, randomHash());
      await networkHelpers.time.increase(JUSTIFICATION_PERIOD + 1n);
      await expect(consent.connect(doctor).justifyEmergencyAccess(2n, j))
        .to.emit(consent, "EmergencyAccessJustified")
        .withArgs(2n, j, true);
    });

    it("shows an unjustified access as overdue after 72 h, and lets REGULATOR report it once", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, doctor, regulator, stranger, patientId, hospital } = sys;
      await consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash());
      const dueAt = (await now(ethers)) + JUSTIFICATION_PERIOD;
      expect(await consent.isOverdue(1n)).to.equal(false);
      expect(await consent.isOverdue(9n)).to.equal(false);
      await expect(consent.connect(regulator).reportOverdue(1n))
        .to.be.revertedWithCustomError(consent, "ConsentEmergencyNotOverdue")
        .withArgs(1n, dueAt);
      await networkHelpers.time.increaseTo(dueAt + 1n);
      expect(await consent.isOverdue(1n)).to.equal(true);
      await expect(consent.connect(stranger).reportOverdue(1n))
        .to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
      await expect(consent.connect(regulator).reportOverdue(9n))
        .to.be.revertedWithCustomError(consent, "ConsentUnknownEmergencyAccess")
        .withArgs(9n);
      await expect(consent.connect(regulator).reportOverdue(1n))
        .to.emit(consent, "EmergencyAccessOverdue")
        .withArgs(1n, hospital, dueAt);
      expect((await consent.getEmergencyAccess(1n)).reported).to.equal(true);
      await expect(consent.connect(regulator).reportOverdue(1n)).to.be.revertedWithCustomError(
        consent,
        "ConsentEmergencyNotOverdue",
      );
      await consent.connect(doctor).justifyEmergencyAccess(1n, randomHash());
      expect(await consent.isOverdue(1n)).to.equal(false);
    });
  });

  describe("logAccess", function () {
    it("logs a disclosure covered by a grant", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, doctor, patient, patientId, hospital, pharmacy, recordId } = sys;
      await sys.grantAs(patient, patientId, pharmacy, await sys.terms(scopes("CONDITIONS", "MEDICATIONS")));
      await expect(
        consent
          .connect(doctor)
          .logAccess(patientId, pharmacy, recordId, scopes("CONDITIONS", "MEDICATIONS"), Purpose.TREATMENT),
      )
        .to.emit(consent, "AccessLogged")
        .withArgs(patientId, pharmacy, recordId, hospital, scopes("CONDITIONS", "MEDICATIONS"), Purpose.TREATMENT, 0n);
    });

    it("logs an emergency disclosure covered by open break-glass access, purpose EMERGENCY only", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, doctor, patientId, hospital, recordId } = sys;
      const acct9 = await sys.account();
      const er = await sys.registerOrg("Provider", Capabilities.EMERGENCY_ACCESS, acct9);
      await consent.connect(acct9).openEmergencyAccess(patientId, Action.READ, randomHash());
      await expect(consent.connect(doctor).logAccess(patientId, er, recordId, Category.CONDITIONS, Purpose.TREATMENT))
        .to.be.revertedWithCustomError(consent, "ConsentNotCovered")
        .withArgs(patientId, er, Category.CONDITIONS, Purpose.TREATMENT);
      await expect(consent.connect(doctor).logAccess(patientId, er, recordId, Category.CONDITIONS, Purpose.EMERGENCY))
        .to.emit(consent, "AccessLogged")
        .withArgs(patientId, er, recordId, hospital, Category.CONDITIONS, Purpose.EMERGENCY, 1n);
      await networkHelpers.time.increase(DAY);
      await expect(
        consent.connect(doctor).logAccess(patientId, er, recordId, Category.CONDITIONS, Purpose.EMERGENCY),
      ).to.be.revertedWithCustomError(consent, "ConsentNotCovered");
    });

    it("refuses a record of another patient", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, doctor, hospital, recordId } = sys;
      const acct10 = await sys.account();
      const other = await sys.registerPatient(acct10);
      await sys.grantAs(acct10, other, hospital, await sys.terms(Category.CONDITIONS));
      await expect(consent.connect(doctor).logAccess(other, hospital, recordId, Category.CONDITIONS, Purpose.TREATMENT))
        .to.be.revertedWithCustomError(consent, "ConsentRecordOfAnotherPatient")
        .withArgs(recordId, other);
    });

    it("refuses a record whose category is outside the scopes", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, doctor, patientId, hospital, recordId } = sys;
      await expect(
        consent.connect(doctor).logAccess(patientId, hospital, recordId, Category.MEDICATIONS, Purpose.TREATMENT),
      )
        .to.be.revertedWithCustomError(consent, "ConsentCategoryOutsideScopes")
        .withArgs(recordId, categoryIndex("CONDITIONS"), Category.MEDICATIONS);
    });

    it("refuses a caller that is not the record's custodian", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, labTech, stranger, patientId, hospital, recordId } = sys;
      for (const who of [labTech, stranger]) {
        await expect(
          consent.connect(who).logAccess(patientId, hospital, recordId, Category.CONDITIONS, Purpose.TREATMENT),
        )
          .to.be.revertedWithCustomError(consent, "ConsentNotCustodian")
          .withArgs(who.address, recordId, hospital);
      }
    });

    it("refuses a superseded or retracted record", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, records, doctor, patientId, hospital, recordId, contactRecordId } = sys;
      await records
        .connect(doctor)
        .supersede(recordId, hexlify(randomBytes(32)), patientId, randomHash(), randomHash());
      await expect(
        consent.connect(doctor).logAccess(patientId, hospital, recordId, Category.CONDITIONS, Purpose.TREATMENT),
      )
        .to.be.revertedWithCustomError(consent, "ConsentRecordNotLive")
        .withArgs(recordId, 2);
      await records.connect(doctor).retract(contactRecordId, patientId, randomHash());
      await expect(
        consent.connect(doctor).logAccess(patientId, hospital, contactRecordId, Category.CONTACT, Purpose.TREATMENT),
      )
        .to.be.revertedWithCustomError(consent, "ConsentRecordNotLive")
        .withArgs(contactRecordId, 3);
    });

    it("refuses a recipient whose grant was revoked, or which the deny mask excludes", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, doctor, patient, patientId, pharmacy, recordId } = sys;
      await sys.grantAs(patient, patientId, pharmacy, await sys.terms(Category.CONDITIONS));
      await consent.connect(patient).setDenyMask(patientId, Category.CONDITIONS, 0);
      await expect(
        consent.connect(doctor).logAccess(patientId, pharmacy, recordId, Category.CONDITIONS, Purpose.TREATMENT),
      ).to.be.revertedWithCustomError(consent, "ConsentNotCovered");
      await consent.connect(patient).setDenyMask(patientId, 0, 0);
      await consent.connect(patient).revoke(patientId, pharmacy);
      await expect(
        consent.connect(doctor).logAccess(patientId, pharmacy, recordId, Category.CONDITIONS, Purpose.TREATMENT),
      )
        .to.be.revertedWithCustomError(consent, "ConsentNotCovered")
        .withArgs(patientId, pharmacy, Category.CONDITIONS, Purpose.TREATMENT);
    });

    it("is stopped by pause", async function () {
      const sys = await networkHelpers.loadFixture(recordFixture);
      const { consent, doctor, patientId, hospital, recordId } = sys;
      await consent.connect(sys.pauser).pause();
      await expect(
        consent.connect(doctor).logAccess(patientId, hospital, recordId, Category.CONDITIONS, Purpose.TREATMENT),
      ).to.be.revertedWithCustomError(consent, "EnforcedPause");
    });
  });

  describe("pause", function () {
    it("is PAUSER's to set and ADMIN's to lift", async function () {
      const sys = await networkHelpers.loadFixture(consentFixture);
      const { consent, pauser, stranger } = sys;
      await expect(consent.connect(stranger).pause())
        .to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
      await consent.connect(pauser).pause();
      expect(await consent.paused()).to.equal(true);
      await expect(consent.connect(pauser).unpause())
        .to.be.revertedWithCustomError(consent, "AccessManagedUnauthorized")
        .withArgs(pauser.address);
      await consent.unpause();
      expect(await consent.paused()).to.equal(false);
    });
  });
});
