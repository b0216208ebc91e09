/**
 * Gas of every state-changing operation of the ConsentManager and the RecordRegistry, in the worst case
 * issue 3 names: fresh storage for the entity written (a new grant, a new record), the patient's nonce
 * and the global counters already non-zero, an ordinary-account (EOA) signer.
 *
 *   npx hardhat run scripts/bench/consent.ts
 */
import {
  ConsentCloseEmergencyAccessTypes,
  ConsentGrantTypes,
  ConsentRevokeTypes,
  ConsentSetDenyMaskTypes,
  RecordAnchorTypes,
  RecordRetractTypes,
  RecordSupersedeTypes,
} from "../../src/eip712.ts";
import { Capabilities } from "../../src/roles.ts";
import { Action, Category, categoryIndex, Purpose, scopes } from "../../src/scopes.ts";
import { type BenchSystem, DAY, DEADLINE, deploySystem, FAR, HOUR, Seq, START } from "./system.ts";
import { type BenchRow, isMain, type Measure, printRows } from "./types.ts";

export async function benchConsent(sys: BenchSystem): Promise<Measure> {
  const { consent, records, admin, regulator, pauser, relayer } = sys;
  const s = new Seq("consent");
  const C = Capabilities;
  const doctor = await sys.account(s);
  const erDoctor = await sys.account(s);
  const hospital = await sys.registerOrg("Provider", C.EMERGENCY_ACCESS | C.WRITE_RECORDS, doctor.address, s);
  const er = await sys.registerOrg("Provider", C.EMERGENCY_ACCESS, erDoctor.address, s);
  const insurer = await sys.registerOrg("Insurer", C.INSURE, s.address(), s);
  const lab = await sys.registerOrg("Lab", C.WRITE_RECORDS, s.address(), s);
  const pharmacy = await sys.registerOrg("Pharmacy", C.DISPENSE, s.address(), s);
  const patient = await sys.account(s);
  const other = await sys.account(s);
  const newcomer = await sys.account(s);
  const patientId = await sys.registerPatient(patient.address, s);
  const otherId = await sys.registerPatient(other.address, s);
  const newcomerId = await sys.registerPatient(newcomer.address, s);
  const domain = await sys.domainOf("ConsentManager", consent);
  // Counters non-zero: the patients' nonces, the break-glass counter and the hospital's openings.
  await (await consent.connect(patient).setDenyMask(patientId, 0, 0)).wait();
  await (await consent.connect(other).setDenyMask(otherId, 0, 0)).wait();
  await (await consent.connect(doctor).openEmergencyAccess(otherId, Action.READ, s.hash())).wait();

  return async () => {
    await sys.setTime(START.consent);
    const rows: BenchRow[] = [];
    const m = async (...args: Parameters<BenchSystem["measure"]>) => rows.push(await sys.measure(...args));
    const nonce = () => consent.nonces(patientId);

    await m("ConsentManager.setEmergencyParameters", consent.connect(admin).setEmergencyParameters(48n * HOUR, 10), {
      note: "ADMIN",
    });
    const treatment = [Action.READ | Action.WRITE, Purpose.TREATMENT, 0, FAR] as const;
    await m(
      "ConsentManager.grant",
      consent.connect(patient).grant(patientId, hospital, scopes("CONDITIONS", "MEDICATIONS"), ...treatment),
      { goal: 65_000n, note: "a new (patient, organisation) grant" },
    );
    await m(
      "ConsentManager.grant (the patient's first action)",
      consent.connect(newcomer).grant(newcomerId, hospital, scopes("CONDITIONS", "MEDICATIONS"), ...treatment),
      { note: "its nonce slot is new too" },
    );
    const terms = {
      scopes: Category.BILLING,
      actions: Action.READ,
      purposes: Purpose.PAYMENT,
      notBefore: 0,
      expiresAt: FAR,
    };
    const gSig = await patient.signTypedData(domain, ConsentGrantTypes, {
      patientId,
      granteeOrg: insurer,
      ...terms,
      nonce: await nonce(),
      deadline: DEADLINE,
    });
    await m(
      "ConsentManager.grantWithSig",
      consent.connect(relayer).grantWithSig(patientId, insurer, terms, patient.address, await nonce(), DEADLINE, gSig),
      { goal: 100_000n, note: "EOA signer, relayed" },
    );
    await m("ConsentManager.revoke", consent.connect(patient).revoke(patientId, insurer), { goal: 35_000n });
    await (await consent.connect(patient).grant(patientId, lab, Category.LAB_RESULTS, ...treatment)).wait();
    const rSig = await patient.signTypedData(domain, ConsentRevokeTypes, {
      patientId,
      granteeOrg: lab,
      nonce: await nonce(),
      deadline: DEADLINE,
    });
    await m(
      "ConsentManager.revokeWithSig",
      consent.connect(relayer).revokeWithSig(patientId, lab, patient.address, await nonce(), DEADLINE, rSig),
      { note: "relayed" },
    );
    await m("ConsentManager.setDenyMask", consent.connect(patient).setDenyMask(patientId, Category.GENETIC, 0));
    const denyMask = Category.GENETIC | Category.SEXUAL_HEALTH;
    const dSig = await patient.signTypedData(domain, ConsentSetDenyMaskTypes, {
      patientId,
      denyMask,
      emergencyPolicy: 0,
      nonce: await nonce(),
      deadline: DEADLINE,
    });
    await m(
      "ConsentManager.setDenyMaskWithSig",
      consent
        .connect(relayer)
        .setDenyMaskWithSig(patientId, denyMask, 0, patient.address, await nonce(), DEADLINE, dSig),
      { note: "relayed" },
    );

    // Records: the hospital (WRITE grant held) anchors, then supersedes.
    const recordId = s.hash();
    await m(
      "RecordRegistry.anchor",
      records.connect(doctor).anchor(recordId, patientId, categoryIndex("CONDITIONS"), s.hash(), s.hash()),
      { goal: 100_000n, note: "a new record by a Provider holding a WRITE grant" },
    );
    const newRecordId = s.hash();
    await m(
      "RecordRegistry.supersede",
      records.connect(doctor).supersede(recordId, newRecordId, patientId, s.hash(), s.hash()),
      { goal: 110_000n, note: "anchoring a new version" },
    );

    // logAccess: the hospital discloses to the pharmacy (READ grant), then to the ER (break-glass only).
    await (
      await consent
        .connect(patient)
        .grant(patientId, pharmacy, Category.CONDITIONS | Category.MEDICATIONS, Action.READ, Purpose.TREATMENT, 0, FAR)
    ).wait();
    await m(
      "ConsentManager.logAccess (grant)",
      consent.connect(doctor).logAccess(patientId, pharmacy, newRecordId, Category.CONDITIONS, Purpose.TREATMENT),
      { goal: 55_000n, note: "covered by the recipient's grant" },
    );
    const first = (await consent.emergencyAccessCount()) + 1n;
    await m(
      "ConsentManager.openEmergencyAccess",
      consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, s.hash()),
      { note: "break-glass; the organisation's second opening" },
    );
    await (await consent.connect(erDoctor).openEmergencyAccess(patientId, Action.READ, s.hash())).wait();
    await m(
      "ConsentManager.logAccess (break-glass)",
      consent.connect(doctor).logAccess(patientId, er, newRecordId, Category.CONDITIONS, Purpose.EMERGENCY),
      { goal: 55_000n, note: "no grant: the recipient's open break-glass access" },
    );
    await m("ConsentManager.justifyEmergencyAccess", consent.connect(doctor).justifyEmergencyAccess(first, s.hash()));
    await m("ConsentManager.closeEmergencyAccess", consent.connect(doctor).closeEmergencyAccess(first), {
      note: "by the opening organisation",
    });
    const cSig = await patient.signTypedData(domain, ConsentCloseEmergencyAccessTypes, {
      accessId: first + 1n,
      nonce: await nonce(),
      deadline: DEADLINE,
    });
    await m(
      "ConsentManager.closeEmergencyAccessWithSig",
      consent.connect(relayer).closeEmergencyAccessWithSig(first + 1n, patient.address, await nonce(), DEADLINE, cSig),
      { note: "the patient's signature, relayed" },
    );
    await sys.increaseTime(3n * DAY + 1n);
    await m("ConsentManager.reportOverdue", consent.connect(regulator).reportOverdue(first + 1n), {
      note: "REGULATOR; unjustified after 72 h",
    });
    await m("RecordRegistry.retract", records.connect(doctor).retract(newRecordId, patientId, s.hash()), {
      note: "by the custodian",
    });

    // The patient's own record actions: a direct anchor (its nonce slot here is new), then signed ones.
    await m(
      "RecordRegistry.anchor (the patient's first record action)",
      records.connect(patient).anchor(s.hash(), patientId, categoryIndex("GENETIC"), s.hash(), s.hash()),
      { note: "no custodian; its nonce slot here is new" },
    );
    const recordsDomain = await sys.domainOf("RecordRegistry", records);
    const own = { recordId: s.hash(), patientId, category: categoryIndex("GENETIC"), contentHash: s.hash() };
    const ownLocator = s.hash();
    const aSig = await patient.signTypedData(recordsDomain, RecordAnchorTypes, {
      ...own,
      locatorCommitment: ownLocator,
      nonce: await records.nonces(patientId),
      deadline: DEADLINE,
    });
    await m(
      "RecordRegistry.anchorWithSig",
      records
        .connect(relayer)
        .anchorWithSig(
          own.recordId,
          patientId,
          own.category,
          own.contentHash,
          ownLocator,
          patient.address,
          await records.nonces(patientId),
          DEADLINE,
          aSig,
        ),
      { note: "the patient's own record, relayed" },
    );
    const next = { oldRecordId: own.recordId, newRecordId: s.hash(), patientId, contentHash: s.hash() };
    const nextLocator = s.hash();
    const sSig = await patient.signTypedData(recordsDomain, RecordSupersedeTypes, {
      ...next,
      locatorCommitment: nextLocator,
      nonce: await records.nonces(patientId),
      deadline: DEADLINE,
    });
    await m(
      "RecordRegistry.supersedeWithSig",
      records
        .connect(relayer)
        .supersedeWithSig(
          next.oldRecordId,
          next.newRecordId,
          patientId,
          next.contentHash,
          nextLocator,
          patient.address,
          await records.nonces(patientId),
          DEADLINE,
          sSig,
        ),
      { note: "a new version of the patient's own record, relayed" },
    );
    const reason = s.hash();
    const xSig = await patient.signTypedData(recordsDomain, RecordRetractTypes, {
      recordId: recordId,
      patientId,
      reasonHash: reason,
      nonce: await records.nonces(patientId),
      deadline: DEADLINE,
    });
    await m(
      "RecordRegistry.retractWithSig",
      records
        .connect(relayer)
        .retractWithSig(recordId, patientId, reason, patient.address, await records.nonces(patientId), DEADLINE, xSig),
      { note: "the patient's erasure of the hospital's (superseded) record, relayed; works while paused" },
    );

    for (const [name, c] of [
      ["ConsentManager", consent],
      ["RecordRegistry", records],
    ] as const) {
      await m(`${name}.pause`, c.connect(pauser).pause(), { note: "PAUSER" });
      await m(`${name}.unpause`, c.connect(admin).unpause(), { note: "ADMIN" });
      rows.push(await sys.measureSetAuthority(name, c));
    }
    rows.push(
      await sys.deploymentCall(
        "RecordRegistry.setConsentManager",
        await records.getAddress(),
        records.interface.getFunction("setConsentManager")!.selector,
        "ADMIN, once, by the Ignition deployment",
      ),
    );
    return rows;
  };
}

if (isMain(import.meta.url)) {
  const sys = await deploySystem();
  const measure = await benchConsent(sys);
  await sys.populate(1);
  const rows = await measure();
  printRows("ConsentManager and RecordRegistry", rows);
  for (const line of await sys.explainOver(rows)) console.log(line);
}
