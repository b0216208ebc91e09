/**
 * Gas of every state-changing operation of the IdentityRegistry (issue 2 sets no gas goal), worst case:
 * fresh storage for what is written, the organisation counter and the patient's nonce already non-zero,
 * ordinary-account (EOA) signers relayed by an account that is not the patient's.
 *
 *   npx hardhat run scripts/bench/identity.ts
 */
import {
  CancelRecoveryTypes,
  PatientAttestationTypes,
  RotateKeyTypes,
  SetControllerTypes,
  SetEncryptionKeyTypes,
  SetGuardianTypes,
} from "../../src/eip712.ts";
import { encryptionPublicKeyOf, encryptionPublicKeyParts } from "../../src/crypto.ts";
import { Capabilities, OrgKind } from "../../src/roles.ts";
import { type BenchSystem, DAY, DEADLINE, deploySystem, FAR, Seq, START } from "./system.ts";
import { type BenchRow, isMain, type Measure, printRows } from "./types.ts";

/** The compressed encryption public key of the private key `seed`, as the registry takes it. */
function encryptionKeyParts(seed: string) {
  return encryptionPublicKeyParts(encryptionPublicKeyOf(seed));
}

/** Creates the actors (before the population is registered); returns the measurements. */
export async function benchIdentity(sys: BenchSystem): Promise<Measure> {
  const { identity, admin, registrar, regulator, pauser, relayer, identityDomain } = sys;
  const s = new Seq("identity");
  const C = Capabilities;
  const opA = await sys.account(s);
  const orgA = await sys.registerOrg("Provider", C.EMERGENCY_ACCESS | C.WRITE_RECORDS, opA.address, s);
  const orgS = await sys.registerOrg("Lab", C.QUALITY_CONTROL, s.address(), s);
  const orgR = await sys.registerOrg("Distributor", C.TRADE, s.address(), s);
  const orgM = await sys.registerOrg("Manufacturer", C.MANUFACTURE | C.TRADE, s.address(), s);
  const [w1, w2, w3] = [await sys.account(s), await sys.account(s), await sys.account(s)];
  const [p1, p2, p3] = [
    await sys.registerPatient(w1.address, s),
    await sys.registerPatient(w2.address, s),
    await sys.registerPatient(w3.address, s),
  ];
  // Each patient's nonce is non-zero before anything is measured.
  for (const [w, p] of [
    [w1, p1],
    [w2, p2],
    [w3, p3],
  ] as const) {
    await (await identity.connect(w).setGuardian(p, s.address(), FAR)).wait();
  }

  return async () => {
    await sys.setTime(START.identity);
    const rows: BenchRow[] = [];
    const m = async (...args: Parameters<BenchSystem["measure"]>) => rows.push(await sys.measure(...args));
    const nonce = (p: bigint) => identity.nonces(p);

    await m("IdentityRegistry.setRegistrarKinds", identity.connect(admin).setRegistrarKinds(s.address(), 0x1fe), {
      note: "ADMIN; a new registrar",
    });
    await m(
      "IdentityRegistry.registerOrganization",
      identity
        .connect(registrar)
        .registerOrganization(OrgKind.Pharmacy, C.TRADE | C.DISPENSE, FAR, s.hash(), s.address()),
      { note: "REGISTRAR; a new organisation and operator" },
    );
    await m(
      "IdentityRegistry.updateOrganization",
      identity
        .connect(registrar)
        .updateOrganization(orgA, C.EMERGENCY_ACCESS | C.WRITE_RECORDS | C.BILL, FAR, s.hash()),
    );
    await m("IdentityRegistry.setCompanyPrefix", identity.connect(registrar).setCompanyPrefix(orgM, 614141, 7));
    const staff = s.address();
    await m("IdentityRegistry.addOperator", identity.connect(opA).addOperator(orgA, staff), {
      note: "by an operator; an offer",
    });
    await m("IdentityRegistry.acceptOperator", identity.connect(await sys.impersonate(staff)).acceptOperator(orgA), {
      note: "by the offered account",
    });
    await m("IdentityRegistry.removeOperator", identity.connect(opA).removeOperator(orgA, staff));
    const declined = s.address();
    await (await identity.connect(opA).addOperator(orgA, declined)).wait();
    await m("IdentityRegistry.withdrawOperatorOffer", identity.connect(opA).withdrawOperatorOffer(orgA, declined));
    const opKey = encryptionKeyParts(s.hash());
    await m("IdentityRegistry.setEncryptionKey", identity.connect(opA).setEncryptionKey(opKey.prefix, opKey.x), {
      note: "an operator; the point checked on the curve",
    });
    await m("IdentityRegistry.suspendOrganization", identity.connect(regulator).suspendOrganization(orgS, s.hash()), {
      note: "REGULATOR",
    });
    await m(
      "IdentityRegistry.reinstateOrganization",
      identity.connect(regulator).reinstateOrganization(orgS, s.hash()),
    );
    await m("IdentityRegistry.revokeOrganization", identity.connect(regulator).revokeOrganization(orgR, s.hash()));

    // registerPatient, relayed with the registrar's attestation.
    const fresh = new Seq("identity:newPatient");
    const patientId = fresh.id();
    const commitment = fresh.hash();
    const controller = fresh.address();
    const attestation = await registrar.signTypedData(identityDomain, PatientAttestationTypes, {
      commitment,
      controller,
      patientId,
      deadline: DEADLINE,
    });
    await m(
      "IdentityRegistry.registerPatient",
      identity.connect(relayer).registerPatient(patientId, commitment, controller, DEADLINE, registrar, attestation),
      { note: "relayed; registrar's EIP-712 attestation" },
    );

    // Controllers and guardians, direct (patient 1) and signed (patient 2).
    const extra = s.address();
    await m("IdentityRegistry.setController (add)", identity.connect(w1).setController(p1, extra, true));
    await m("IdentityRegistry.setController (remove)", identity.connect(w1).setController(p1, extra, false));
    const added = s.address();
    const cSig = await w2.signTypedData(identityDomain, SetControllerTypes, {
      patientId: p2,
      account: added,
      enabled: true,
      nonce: await nonce(p2),
      deadline: DEADLINE,
    });
    await m(
      "IdentityRegistry.setControllerWithSig (add)",
      identity.connect(relayer).setControllerWithSig(p2, added, true, w2.address, DEADLINE, cSig),
      { note: "relayed" },
    );
    const pKey = encryptionKeyParts(s.hash());
    const kSig = await w2.signTypedData(identityDomain, SetEncryptionKeyTypes, {
      patientId: p2,
      prefix: pKey.prefix,
      x: pKey.x,
      nonce: await nonce(p2),
      deadline: DEADLINE,
    });
    await m(
      "IdentityRegistry.setEncryptionKeyWithSig",
      identity.connect(relayer).setEncryptionKeyWithSig(p2, pKey.prefix, pKey.x, w2.address, DEADLINE, kSig),
      { note: "relayed; a patient's controller" },
    );
    await m("IdentityRegistry.setGuardian", identity.connect(w1).setGuardian(p1, s.address(), FAR));
    const guardian = s.address();
    const gSig = await w2.signTypedData(identityDomain, SetGuardianTypes, {
      patientId: p2,
      guardian,
      validUntil: FAR,
      nonce: await nonce(p2),
      deadline: DEADLINE,
    });
    await m(
      "IdentityRegistry.setGuardianWithSig",
      identity.connect(relayer).setGuardianWithSig(p2, guardian, FAR, w2.address, DEADLINE, gSig),
      { note: "relayed" },
    );
    await m("IdentityRegistry.rotateKey", identity.connect(w1).rotateKey(p1, s.address()));
    const rotated = s.address();
    const rSig = await w2.signTypedData(identityDomain, RotateKeyTypes, {
      patientId: p2,
      newController: rotated,
      nonce: await nonce(p2),
      deadline: DEADLINE,
    });
    await m(
      "IdentityRegistry.rotateKeyWithSig",
      identity.connect(relayer).rotateKeyWithSig(p2, rotated, w2.address, DEADLINE, rSig),
      { note: "relayed" },
    );

    // Recovery of patient 3: proposed and cancelled (directly, then by signature), then executed.
    await m("IdentityRegistry.proposeRecovery", identity.connect(registrar).proposeRecovery(p3, s.address()), {
      note: "REGISTRAR",
    });
    await m("IdentityRegistry.cancelRecovery", identity.connect(w3).cancelRecovery(p3));
    await (await identity.connect(registrar).proposeRecovery(p3, s.address())).wait();
    const xSig = await w3.signTypedData(identityDomain, CancelRecoveryTypes, {
      patientId: p3,
      nonce: await nonce(p3),
      deadline: DEADLINE,
    });
    await m(
      "IdentityRegistry.cancelRecoveryWithSig",
      identity.connect(relayer).cancelRecoveryWithSig(p3, w3.address, DEADLINE, xSig),
      { note: "relayed" },
    );
    await (await identity.connect(registrar).proposeRecovery(p3, s.address())).wait();
    await sys.increaseTime(3n * DAY + 1n);
    await m("IdentityRegistry.executeRecovery", identity.connect(relayer).executeRecovery(p3), {
      note: "anyone, after the 72 h delay",
    });

    await m("IdentityRegistry.pause", identity.connect(pauser).pause(), { note: "PAUSER" });
    await m("IdentityRegistry.unpause", identity.connect(admin).unpause(), { note: "ADMIN" });
    rows.push(await sys.measureSetAuthority("IdentityRegistry", identity));
    return rows;
  };
}

if (isMain(import.meta.url)) {
  const sys = await deploySystem();
  const measure = await benchIdentity(sys);
  await sys.populate(1);
  printRows("IdentityRegistry", await measure());
}
