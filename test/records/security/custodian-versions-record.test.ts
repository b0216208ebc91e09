/**
 * Issue #12 point 7 — rule: only a record's custodian versions it (or the patient, for a record the
 * patient anchored); the patient may retract any record about itself (erasure is the patient's
 * right), the custodian its own records, nobody else.
 *
 * The review's attack: a lab holding a WRITE grant for CONDITIONS supersedes the hospital's CONDITIONS
 * record; the hospital's version became Superseded, the "current version" was the lab's, and the
 * hospital could no longer log disclosures of its own record nor retract the forged one.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import { Action, categoryIndex, Purpose, scopes } from "../../../src/scopes.ts";
import { deployConsent } from "../../helpers/consent.ts";
import { HOUR, now, randomHash } from "../../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const Status = { None: 0n, Live: 1n, Superseded: 2n, Retracted: 3n } as const;
const newId = () => hexlify(randomBytes(32));
const CONDITIONS = categoryIndex("CONDITIONS");

/** Hospital and lab both hold READ+WRITE grants for CONDITIONS; the hospital anchored a record. */
async function twoWritersFixture() {
  const sys = await deployConsent(ethers);
  const { patient, patientId, hospital, lab, records, doctor, identity, guardian } = sys;
  const rw = { actions: Action.READ | Action.WRITE };
  await sys.grantAs(patient, patientId, hospital, await sys.terms(scopes("CONDITIONS"), rw));
  await sys.grantAs(patient, patientId, lab, await sys.terms(scopes("CONDITIONS"), rw));
  const hospitalRecord = newId();
  const hospitalHash = randomHash();
  await records.connect(doctor).anchor(hospitalRecord, patientId, CONDITIONS, hospitalHash, randomHash());
  await identity.connect(patient).setGuardian(patientId, guardian, (await now(ethers)) + HOUR * 24n);
  return { ...sys, hospitalRecord, hospitalHash };
}

describe("security: a record is versioned only by its custodian", function () {
  it("refuses the lab's supersede of the hospital's record; the hospital's version stays live and loggable", async function () {
    const sys = await networkHelpers.loadFixture(twoWritersFixture);
    const { records, consent, labTech, doctor, patientId, hospital, lab, hospitalRecord, hospitalHash } = sys;
    // The attack: the lab, with a WRITE grant for CONDITIONS, writes "the next version" of the hospital's record.
    const forged = newId();
    await expect(records.connect(labTech).supersede(hospitalRecord, forged, patientId, randomHash(), randomHash()))
      .to.be.revertedWithCustomError(records, "RecordNotCustodian")
      .withArgs(hospitalRecord, lab, hospital);
    // Nothing changed: the hospital's version is live, the forged id unknown, the hospital still logs.
    expect(await records.verify(hospitalRecord, hospitalHash)).to.deep.equal([true, Status.Live]);
    expect((await records.getRecord(forged)).status).to.equal(Status.None);
    await expect(
      consent.connect(doctor).logAccess(patientId, lab, hospitalRecord, scopes("CONDITIONS"), Purpose.TREATMENT),
    ).to.emit(consent, "AccessLogged");
    // The lab's grant still lets it write records of its own.
    const labRecord = newId();
    await expect(records.connect(labTech).anchor(labRecord, patientId, CONDITIONS, randomHash(), randomHash()))
      .to.emit(records, "RecordAnchored")
      .withArgs(labRecord, patientId, lab, scopes("CONDITIONS"), anyValue, anyValue, ethers.ZeroHash, 1n);
  });

  it("lets the custodian version its record; the new version keeps the custodian", async function () {
    const { records, doctor, patientId, hospital, hospitalRecord } =
      await networkHelpers.loadFixture(twoWritersFixture);
    const v2 = newId();
    const [h, l] = [randomHash(), randomHash()];
    await expect(records.connect(doctor).supersede(hospitalRecord, v2, patientId, h, l))
      .to.emit(records, "RecordAnchored")
      .withArgs(v2, patientId, hospital, scopes("CONDITIONS"), h, l, hospitalRecord, 2n);
    expect((await records.getRecord(v2)).custodianOrg).to.equal(hospital);
  });

  it("refuses the patient's (or a guardian's) version of the hospital's record, and any organisation's of the patient's", async function () {
    const sys = await networkHelpers.loadFixture(twoWritersFixture);
    const { records, patient, guardian, doctor, labTech, patientId, hospital, lab, hospitalRecord } = sys;
    for (const who of [patient, guardian]) {
      await expect(records.connect(who).supersede(hospitalRecord, newId(), patientId, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordNotCustodian")
        .withArgs(hospitalRecord, 0n, hospital);
    }
    const own = newId();
    await records.connect(patient).anchor(own, patientId, CONDITIONS, randomHash(), randomHash());
    for (const [who, org] of [
      [doctor, hospital],
      [labTech, lab],
    ] as const) {
      await expect(records.connect(who).supersede(own, newId(), patientId, randomHash(), randomHash()))
        .to.be.revertedWithCustomError(records, "RecordNotCustodian")
        .withArgs(own, org, 0n);
    }
    // The patient's guardian versions the patient's own record.
    const v2 = newId();
    await expect(records.connect(guardian).supersede(own, v2, patientId, randomHash(), randomHash()))
      .to.emit(records, "RecordSuperseded")
      .withArgs(own, v2);
    expect((await records.getRecord(v2)).custodianOrg).to.equal(0n);
  });

  describe("retract: every actor kind", function () {
    it("the custodian retracts its record", async function () {
      const { records, doctor, patientId, hospitalRecord } = await networkHelpers.loadFixture(twoWritersFixture);
      const reason = randomHash();
      await expect(records.connect(doctor).retract(hospitalRecord, patientId, reason))
        .to.emit(records, "RecordRetracted")
        .withArgs(hospitalRecord, doctor.address, reason);
    });

    it("another organisation holding a WRITE grant for the category may not", async function () {
      const { records, labTech, patientId, hospitalRecord } = await networkHelpers.loadFixture(twoWritersFixture);
      await expect(records.connect(labTech).retract(hospitalRecord, patientId, randomHash()))
        .to.be.revertedWithCustomError(records, "RecordNotRetractor")
        .withArgs(labTech.address, hospitalRecord);
      expect((await records.getRecord(hospitalRecord)).status).to.equal(Status.Live);
    });

    it("the patient retracts any record about itself (erasure), consuming its nonce", async function () {
      const { records, patient, patientId, hospitalRecord } = await networkHelpers.loadFixture(twoWritersFixture);
      const before = await records.nonces(patientId);
      const reason = randomHash();
      await expect(records.connect(patient).retract(hospitalRecord, patientId, reason))
        .to.emit(records, "RecordRetracted")
        .withArgs(hospitalRecord, patient.address, reason);
      expect(await records.nonces(patientId)).to.equal(before + 1n);
    });

    it("a guardian retracts for the patient", async function () {
      const { records, guardian, patientId, hospitalRecord } = await networkHelpers.loadFixture(twoWritersFixture);
      const reason = randomHash();
      await expect(records.connect(guardian).retract(hospitalRecord, patientId, reason))
        .to.emit(records, "RecordRetracted")
        .withArgs(hospitalRecord, guardian.address, reason);
    });

    it("a stranger may not, nor the custodian of another patient's record", async function () {
      const sys = await networkHelpers.loadFixture(twoWritersFixture);
      const { records, stranger, patientId, hospitalRecord } = sys;
      await expect(records.connect(stranger).retract(hospitalRecord, patientId, randomHash()))
        .to.be.revertedWithCustomError(records, "RecordNotRetractor")
        .withArgs(stranger.address, hospitalRecord);
      // Another patient's controller is a stranger to this record.
      const other = await sys.account();
      await sys.registerPatient(other);
      await expect(records.connect(other).retract(hospitalRecord, patientId, randomHash()))
        .to.be.revertedWithCustomError(records, "RecordNotRetractor")
        .withArgs(other.address, hospitalRecord);
      expect((await records.getRecord(hospitalRecord)).status).to.equal(Status.Live);
    });
  });
});
