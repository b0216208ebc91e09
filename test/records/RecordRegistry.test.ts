import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { Capabilities } from "../../src/roles.ts";
import { Action, Category, categoryIndex, patientTag, RESTRICTED, scopes } from "../../src/scopes.ts";
import type { RecordRegistry } from "../../typechain-types/index.ts";
import { deployConsent } from "../helpers/consent.ts";
import { randomHash } from "../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const Status = { None: 0n, Live: 1n, Superseded: 2n, Retracted: 3n } as const;
const newId = () => hexlify(randomBytes(32));

/** The system, with the hospital and the lab holding READ+WRITE grants for a few categories. */
async function recordsFixture() {
  const sys = await deployConsent(ethers);
  const { patient, patientId, hospital, lab } = sys;
  const rw = { actions: Action.READ | Action.WRITE };
  await sys.grantAs(
    patient,
    patientId,
    hospital,
    await sys.terms(scopes("CONDITIONS", "MENTAL_HEALTH", "IMAGING"), rw),
  );
  await sys.grantAs(patient, patientId, lab, await sys.terms(scopes("LAB_RESULTS"), rw));
  return sys;
}

describe("RecordRegistry", function () {
  describe("anchor", function () {
    it("anchors a provider's record in two slots and emits the locator commitment", async function () {
      const { records, doctor, patientId, hospital } = await networkHelpers.loadFixture(recordsFixture);
      const [id, content, locator] = [newId(), randomHash(), randomHash()];
      await expect(records.connect(doctor).anchor(id, patientId, categoryIndex("CONDITIONS"), content, locator))
        .to.emit(records, "RecordAnchored")
        .withArgs(id, patientId, hospital, Category.CONDITIONS, content, locator, ethers.ZeroHash, 1n);
      const r = await records.getRecord(id);
      expect([r.contentHash, r.patientTag, r.custodianOrg, r.category, r.status, r.version]).to.deep.equal([
        content,
        patientTag(id, patientId),
        hospital,
        BigInt(categoryIndex("CONDITIONS")),
        Status.Live,
        1n,
      ]);
      expect(await records.verify(id, content)).to.deep.equal([true, Status.Live]);
      expect(await records.verify(id, randomHash())).to.deep.equal([false, Status.Live]);
      expect(await records.verify(newId(), content)).to.deep.equal([false, Status.None]);
      expect(await records.recordFor(id, patientId)).to.deep.equal([
        hospital,
        BigInt(categoryIndex("CONDITIONS")),
        Status.Live,
        true,
      ]);
      expect((await records.recordFor(id, patientId + 1n))[3]).to.equal(false);
      expect((await records.recordFor(newId(), patientId))[3]).to.equal(false);
      expect(await records.isLiveRecordOf(id, patientId)).to.equal(true);
      expect(await records.isLiveRecordOf(id, patientId + 1n)).to.equal(false);
      expect(await records.isLiveRecordOf(newId(), patientId)).to.equal(false);
      await records.connect(doctor).retract(id, patientId, randomHash());
      expect(await records.isLiveRecordOf(id, patientId)).to.equal(false);
    });

    it("shows a restricted category as the whole RESTRICTED group", async function () {
      const { records, doctor, patientId, hospital } = await networkHelpers.loadFixture(recordsFixture);
      const [id, content, locator] = [newId(), randomHash(), randomHash()];
      await expect(records.connect(doctor).anchor(id, patientId, categoryIndex("MENTAL_HEALTH"), content, locator))
        .to.emit(records, "RecordAnchored")
        .withArgs(id, patientId, hospital, RESTRICTED, content, locator, ethers.ZeroHash, 1n);
    });

    it("lets a lab with a WRITE grant, and the patient or a guardian (no custodian), write", async function () {
      const sys = await networkHelpers.loadFixture(recordsFixture);
      const { records, identity, labTech, patient, guardian, patientId, lab } = sys;
      const [id, h, loc] = [newId(), randomHash(), randomHash()];
      await expect(records.connect(labTech).anchor(id, patientId, categoryIndex("LAB_RESULTS"), h, loc))
        .to.emit(records, "RecordAnchored")
        .withArgs(id, patientId, lab, Category.LAB_RESULTS, h, loc, ethers.ZeroHash, 1n);
      expect((await records.getRecord(id)).custodianOrg).to.equal(lab);
      const own = newId();
      const [c, l] = [randomHash(), randomHash()];
      await expect(records.connect(patient).anchor(own, patientId, categoryIndex("GENETIC"), c, l))
        .to.emit(records, "RecordAnchored")
        .withArgs(own, patientId, 0n, RESTRICTED, c, l, ethers.ZeroHash, 1n);
      await identity
        .connect(patient)
        .setGuardian(patientId, guardian, BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 3600n);
      await expect(
        records.connect(guardian).anchor(newId(), patientId, categoryIndex("CONTACT"), randomHash(), randomHash()),
      ).to.emit(records, "RecordAnchored");
    });

    it("refuses a writer without a WRITE grant for the category, a wrong kind or capability, and a stranger", async function () {
      const sys = await networkHelpers.loadFixture(recordsFixture);
      const { records, doctor, labTech, pharmacist, stranger, patient, patientId, pharmacy } = sys;
      const cases: [typeof doctor, number][] = [
        [doctor, categoryIndex("LAB_RESULTS")], // no grant for that category
        [labTech, categoryIndex("CONDITIONS")],
        [stranger, categoryIndex("CONDITIONS")],
      ];
      // A READ-only grant is not enough.
      await sys.grantAs(
        patient,
        patientId,
        pharmacy,
        await sys.terms(Category.MEDICATIONS, { actions: Action.READ | Action.WRITE }),
      );
      cases.push([pharmacist, categoryIndex("MEDICATIONS")]); // a pharmacy is not a record writer
      const reader = await sys.account();
      const readerOrg = await sys.registerOrg("Provider", Capabilities.WRITE_RECORDS, reader);
      await sys.grantAs(patient, patientId, readerOrg, await sys.terms(Category.ALLERGIES));
      cases.push([reader, categoryIndex("ALLERGIES")]);
      const noCap = await sys.account();
      const noCapOrg = await sys.registerOrg("Lab", 0, noCap);
      await sys.grantAs(patient, patientId, noCapOrg, await sys.terms(Category.ALLERGIES, { actions: Action.WRITE }));
      cases.push([noCap, categoryIndex("ALLERGIES")]);
      for (const [who, category] of cases) {
        await expect(records.connect(who).anchor(newId(), patientId, category, randomHash(), randomHash()))
          .to.be.revertedWithCustomError(records, "RecordWriterNotAuthorized")
          .withArgs(who.address, patientId, category);
      }
    });

    it("refuses an unknown category, zero values and a taken id", async function () {
      const { records, doctor, patientId } = await networkHelpers.loadFixture(recordsFixture);
      const cat = categoryIndex("CONDITIONS");
      await expect(records.connect(doctor).anchor(newId(), patientId, 16, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordInvalidCategory")
        .withArgs(16);
      const h = randomHash();
      await expect(records.connect(doctor).anchor(ethers.ZeroHash, patientId, cat, h, randomHash()))
        .to.be.revertedWithCustomError(records, "RecordZeroValue")
        .withArgs(ethers.ZeroHash, h);
      const id = newId();
      await expect(records.connect(doctor).anchor(id, patientId, cat, ethers.ZeroHash, randomHash()))
        .to.be.revertedWithCustomError(records, "RecordZeroValue")
        .withArgs(id, ethers.ZeroHash);
      await records.connect(doctor).anchor(id, patientId, cat, randomHash(), randomHash());
      await expect(records.connect(doctor).anchor(id, patientId, cat, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordExists")
        .withArgs(id);
    });

    it("is stopped by pause (PAUSER), resumed by ADMIN; retraction (erasure) is not stopped", async function () {
      const { records, doctor, pauser, stranger, patientId } = await networkHelpers.loadFixture(recordsFixture);
      const live = newId();
      await records.connect(doctor).anchor(live, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
      await expect(records.connect(stranger).pause())
        .to.be.revertedWithCustomError(records, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
      await records.connect(pauser).pause();
      const args = [newId(), patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash()] as const;
      await expect(records.connect(doctor).anchor(...args)).to.be.revertedWithCustomError(records, "EnforcedPause");
      await expect(
        records.connect(doctor).supersede(newId(), newId(), patientId, randomHash(), randomHash()),
      ).to.be.revertedWithCustomError(records, "EnforcedPause");
      const reason = randomHash();
      await expect(records.connect(doctor).retract(live, patientId, reason))
        .to.emit(records, "RecordRetracted")
        .withArgs(live, doctor.address, reason);
      await records.unpause();
      await expect(records.connect(doctor).anchor(...args)).to.emit(records, "RecordAnchored");
    });
  });

  describe("setConsentManager", function () {
    it("is set once by ADMIN; until then no organisation can write, though the patient can", async function () {
      const sys = await networkHelpers.loadFixture(recordsFixture);
      const { manager, identity, doctor, patient, patientId, stranger, consent } = sys;
      const fresh = (await ethers.deployContract("RecordRegistry", [
        await manager.getAddress(),
        await identity.getAddress(),
      ])) as unknown as RecordRegistry;
      expect(await fresh.identityRegistry()).to.equal(await identity.getAddress());
      expect(await fresh.consentManager()).to.equal(ethers.ZeroAddress);
      const cat = categoryIndex("CONDITIONS");
      await expect(
        fresh.connect(doctor).anchor(newId(), patientId, cat, randomHash(), randomHash()),
      ).to.be.revertedWithCustomError(fresh, "RecordConsentManagerNotSet");
      await expect(fresh.connect(patient).anchor(newId(), patientId, cat, randomHash(), randomHash())).to.emit(
        fresh,
        "RecordAnchored",
      );
      await expect(fresh.connect(stranger).setConsentManager(consent))
        .to.be.revertedWithCustomError(fresh, "AccessManagedUnauthorized")
        .withArgs(stranger.address);
      await expect(fresh.setConsentManager(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(fresh, "RecordConsentManagerAlreadySet")
        .withArgs(ethers.ZeroAddress);
      await expect(fresh.setConsentManager(consent))
        .to.emit(fresh, "ConsentManagerSet")
        .withArgs(await consent.getAddress());
      await expect(fresh.setConsentManager(consent))
        .to.be.revertedWithCustomError(fresh, "RecordConsentManagerAlreadySet")
        .withArgs(await consent.getAddress());
      await expect(fresh.connect(doctor).anchor(newId(), patientId, cat, randomHash(), randomHash())).to.emit(
        fresh,
        "RecordAnchored",
      );
    });
  });

  describe("supersede", function () {
    it("anchors the next version and marks the old one Superseded", async function () {
      const sys = await networkHelpers.loadFixture(recordsFixture);
      const { records, doctor, patient, patientId, hospital } = sys;
      const [v1, v2, v3] = [newId(), newId(), newId()];
      const cat = categoryIndex("IMAGING");
      const h1 = randomHash();
      await records.connect(doctor).anchor(v1, patientId, cat, h1, randomHash());
      const [h2, l2] = [randomHash(), randomHash()];
      await expect(records.connect(doctor).supersede(v1, v2, patientId, h2, l2))
        .to.emit(records, "RecordSuperseded")
        .withArgs(v1, v2)
        .and.to.emit(records, "RecordAnchored")
        .withArgs(v2, patientId, hospital, Category.IMAGING, h2, l2, v1, 2n);
      expect(await records.verify(v1, h1)).to.deep.equal([true, Status.Superseded]);
      expect((await records.getRecord(v2)).version).to.equal(2n);
      // The custodian writes the next version again; the chain keeps its custodian.
      await expect(records.connect(doctor).supersede(v2, v3, patientId, randomHash(), randomHash()))
        .to.emit(records, "RecordSuperseded")
        .withArgs(v2, v3);
      expect((await records.getRecord(v3)).custodianOrg).to.equal(hospital);
      // The patient versions only what the patient anchored (see security/custodian-versions-record).
      await expect(records.connect(patient).supersede(v3, newId(), patientId, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordNotCustodian")
        .withArgs(v3, 0n, hospital);
      await expect(records.connect(doctor).supersede(v1, newId(), patientId, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordInvalidStatus")
        .withArgs(v1, Status.Superseded);
    });

    it("refuses an unknown record, another patient's record, and an unauthorised writer", async function () {
      const sys = await networkHelpers.loadFixture(recordsFixture);
      const { records, doctor, labTech, patientId } = sys;
      const missing = newId();
      await expect(records.connect(doctor).supersede(missing, newId(), patientId, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordUnknown")
        .withArgs(missing);
      const v1 = newId();
      await records.connect(doctor).anchor(v1, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
      await expect(records.connect(doctor).supersede(v1, newId(), patientId + 1n, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordOfAnotherPatient")
        .withArgs(v1, patientId + 1n);
      await expect(records.connect(labTech).supersede(v1, newId(), patientId, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordWriterNotAuthorized")
        .withArgs(labTech.address, patientId, categoryIndex("CONDITIONS"));
    });
  });

  describe("retract", function () {
    it("lets the custodian or the patient retract a live or superseded record, once", async function () {
      const sys = await networkHelpers.loadFixture(recordsFixture);
      const { records, doctor, patient, patientId } = sys;
      const [a, b, c] = [newId(), newId(), newId()];
      const cat = categoryIndex("CONDITIONS");
      await records.connect(doctor).anchor(a, patientId, cat, randomHash(), randomHash());
      await records.connect(doctor).supersede(a, b, patientId, randomHash(), randomHash());
      const reason = randomHash();
      await expect(records.connect(doctor).retract(a, patientId, reason))
        .to.emit(records, "RecordRetracted")
        .withArgs(a, doctor.address, reason);
      await expect(records.connect(patient).retract(b, patientId, reason))
        .to.emit(records, "RecordRetracted")
        .withArgs(b, patient.address, reason);
      expect((await records.getRecord(b)).status).to.equal(Status.Retracted);
      await expect(records.connect(patient).retract(b, patientId, reason))
        .to.be.revertedWithCustomError(records, "RecordInvalidStatus")
        .withArgs(b, Status.Retracted);
      await records.connect(doctor).anchor(c, patientId, cat, randomHash(), randomHash());
      await expect(records.connect(sys.labTech).retract(c, patientId, reason))
        .to.be.revertedWithCustomError(records, "RecordNotRetractor")
        .withArgs(sys.labTech.address, c);
      await expect(records.connect(sys.stranger).retract(c, patientId, reason))
        .to.be.revertedWithCustomError(records, "RecordNotRetractor")
        .withArgs(sys.stranger.address, c);
    });
  });

  describe("patientTag", function () {
    it("agrees with its TypeScript twin", async function () {
      const { records } = await networkHelpers.loadFixture(recordsFixture);
      for (let i = 0; i < 4; i++) {
        const id = newId();
        const pid = BigInt(newId());
        expect(await records.patientTag(id, pid)).to.equal(patientTag(id, pid));
      }
    });
  });
});
