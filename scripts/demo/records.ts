/**
 * Demo chapters 2–3: consent and records. Through the relayer (signatures only), the patient lets the
 * hospital read and write its medical history (CONDITIONS, MEDICATIONS) for TREATMENT but not its
 * address (CONTACT), and lets the lab read CONDITIONS. The hospital encrypts a FHIR Condition (the
 * patient's name, birth date and diagnosis: all off chain), stores the blob in a folder, anchors its
 * hash, and discloses it to the lab (the disclosure is logged); the lab fetches, verifies against the
 * chain and decrypts. The ER opens break-glass access and justifies it. The patient's grants and access
 * log are exported as FHIR Consent and AuditEvent.
 *
 * The patient's encryption key: the patient's app signs its publication (`setEncryptionKeyWithSig`,
 * refused by the SDK and the registry if it were the account's signing key) and the relayer sends it,
 * so the patient's account still holds no ether. The hospital then names the patient by its address:
 * the records client reads the key from the chain, so a key handed over at check-in by someone else
 * cannot be slipped in (with a ConsentManager configured the client refuses a raw key no consented
 * account published).
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { hexlify, randomBytes } from "ethers";

import { FolderBlobStore, FolderKeyWrapStore } from "../../src/node.ts";
import { ConsentClient } from "../../src/clients/consent.ts";
import { RecordsClient } from "../../src/clients/records.ts";
import { encryptionPublicKeyParts, generateEncryptionKeyPair } from "../../src/crypto.ts";
import {
  accessLogToFhir,
  consentViewToFhir,
  type FhirAuditEvent,
  type FhirConsent,
  type MedChainFhirContext,
} from "../../src/fhir.ts";
import { relaySetEncryptionKey, signSetEncryptionKey } from "../../src/identity.ts";
import { commitment, randomSalt } from "../../src/ids.ts";
import type { JsonObject } from "../../src/records.ts";
import { Relayer } from "../../src/relayer.ts";
import { Action, Category, Purpose } from "../../src/scopes.ts";
import { accessLogView, emergencyAccessView, patientConsentView } from "../../src/views/consent.ts";
import type { ConsentManager, IdentityRegistry, RecordRegistry } from "../../typechain-types/index.ts";
import { type IdentityCast, orgName } from "./identity.ts";
import { PATIENT } from "./personal.ts";
import { chainNow, relayedGrant } from "./patient.ts";
import { act, chapter, note, refused } from "./story.ts";

export interface RecordsOutcome {
  /** The Condition record's id (the claims chapter's evidence). */
  recordId: string;
  /** The FHIR Condition the hospital wrote, and what the lab and the patient decrypted. */
  written: JsonObject;
  labRead: JsonObject;
  patientRead: JsonObject;
  /** `RecordRegistry.verify` of the fetched blob's hash. */
  verified: boolean;
  /** What `hasAccess` answered the hospital for its patient's medical history and address. */
  historyAccess: boolean;
  contactAccess: boolean;
  /** The break-glass opening: covered categories the grant does not, and whether it was justified. */
  emergency: { accessId: bigint; allergiesCovered: boolean; justified: boolean };
  consents: FhirConsent[];
  audits: FhirAuditEvent[];
  refusals: string[];
}

export async function recordsChapter(
  contracts: { identity: IdentityRegistry; consent: ConsentManager; records: RecordRegistry },
  relayerAccount: HardhatEthersSigner,
  erDoctor: HardhatEthersSigner,
  cast: IdentityCast,
): Promise<RecordsOutcome> {
  chapter("2–3. Consent and records: the patient decides who reads what; records stay encrypted off chain");
  const { identity, consent, records } = contracts;
  const provider = consent.runner!.provider!;
  const { Provider: hospital, Lab: lab, Pharmacy: pharmacy } = cast.orgs;
  const patientId = cast.patient.id;
  const relayer = new Relayer(relayerAccount);
  const consentClient = new ConsentClient(consent);
  const refusals: string[] = [];
  const now = await chainNow(provider);

  await act(
    "relayer",
    "relays the patient's signed grant: St Elsewhere may read and write CONDITIONS + MEDICATIONS for TREATMENT",
    relayedGrant(
      consentClient,
      relayer,
      cast,
      hospital.id,
      { scopes: ["CONDITIONS", "MEDICATIONS"], actions: ["READ", "WRITE"], purposes: ["TREATMENT"] },
      now,
    ),
  );
  await act(
    "relayer",
    "relays the patient's signed grant: Quality Lab may read CONDITIONS for TREATMENT",
    relayedGrant(consentClient, relayer, cast, lab.id, { scopes: ["CONDITIONS"], purposes: ["TREATMENT"] }, now),
  );
  const historyAccess = await consentClient.hasAccess(patientId, hospital.id, {
    scopes: ["CONDITIONS", "MEDICATIONS"],
    purpose: ["TREATMENT"],
  });
  const contactAccess = await consentClient.hasAccess(patientId, hospital.id, {
    scopes: ["CONTACT"],
    purpose: ["TREATMENT"],
  });
  note(
    `St Elsewhere asks for the medical history (hasAccess CONDITIONS+MEDICATIONS, READ, TREATMENT): ${historyAccess}`,
  );
  note(
    `St Elsewhere asks for the patient's address (hasAccess CONTACT, READ, TREATMENT): ${contactAccess} → refused, not granted`,
  );

  // Encryption keys: operators publish theirs; the patient's stays off chain (see the module note).
  const keys = { hospital: generateEncryptionKeyPair(), lab: generateEncryptionKeyPair() };
  const patientKey = generateEncryptionKeyPair();
  for (const [who, org, key] of [
    ["St Elsewhere", hospital, keys.hospital],
    ["Quality Lab", lab, keys.lab],
  ] as const) {
    const { prefix, x } = encryptionPublicKeyParts(key.publicKey);
    await act(
      who,
      "publishes its operator's encryption public key",
      identity.connect(org.operator).setEncryptionKey(prefix, x),
    );
  }
  const signedKey = await signSetEncryptionKey(identity, cast.patient.wallet, patientId, patientKey.publicKey);
  await act(
    "relayer",
    "relays the patient's signed publication of its encryption public key (a key pair apart from its account's)",
    relaySetEncryptionKey(relayer, identity, signedKey),
  );

  const dir = await mkdtemp(join(tmpdir(), "medchain-demo-"));
  try {
    const blobStore = new FolderBlobStore(join(dir, "blobs"));
    const keyStore = new FolderKeyWrapStore(join(dir, "key-wraps"));
    const recordsClient = new RecordsClient({ records, identity, consent, blobStore, keyStore });
    const asHospital = recordsClient.connect(hospital.operator);

    const address: JsonObject = {
      resourceType: "Patient",
      id: hexlify(randomBytes(8)).slice(2),
      address: [{ text: PATIENT.address }],
      telecom: [{ system: "phone", value: PATIENT.phone }],
    };
    refusals.push(
      await refused(
        "St Elsewhere",
        "files the patient's address and phone as a CONTACT record",
        asHospital.publish({
          resource: address,
          patientId,
          category: "CONTACT",
          recipients: [hospital.operator.address],
        }),
      ),
    );

    const written = conditionResource();
    const published = await asHospital.publish({
      resource: written,
      patientId,
      category: "CONDITIONS",
      recipients: [hospital.operator.address, cast.patient.wallet.address],
    });
    const { recordId, contentHash } = published;
    await act(
      "St Elsewhere",
      `encrypts a FHIR Condition (${PATIENT.diagnosisCode}) for itself and the patient, anchors its hash`,
      Promise.resolve(published),
    );
    const blobBytes = (await stat(blobStore.pathFor(contentHash))).size;
    note(
      `the blob (${blobBytes} bytes of AES-256-GCM ciphertext) is in ${blobStore.dir}; on chain: record ${short(recordId)}, hash ${short(contentHash)}, a salted commitment to its locator`,
    );

    await act(
      "St Elsewhere",
      "discloses the record to Quality Lab: logAccess checks the lab's grant and logs it, then the key is wrapped for the lab",
      asHospital.share({ recordId, patientId, privateKey: keys.hospital.privateKey, recipient: lab.operator.address }),
    );
    const fetched = await recordsClient
      .connect(lab.operator)
      .fetch({ recordId, patientId, privateKey: keys.lab.privateKey });
    const { matches, status } = await recordsClient.verifyBlob(recordId, await blobStore.get(contentHash));
    note(
      `Quality Lab fetches the blob, checks it against the chain (verify: ${matches}, ${status}), unwraps its key and decrypts:`,
    );
    note(`  ${describeCondition(fetched.resource)}`);
    const patientRead = (await recordsClient.fetch({ recordId, patientId, privateKey: patientKey.privateKey }))
      .resource;
    note(`the patient's app decrypts the same record with the patient's own key (no transaction)`);

    refusals.push(
      await refused(
        "St Elsewhere",
        "logs a disclosure of the record to Corner Pharmacy, which holds no grant",
        consentClient
          .connect(hospital.operator)
          .logAccess(patientId, pharmacy.id, recordId, ["CONDITIONS"], ["TREATMENT"]),
      ),
    );

    // Break-glass: an ER doctor of the hospital, for categories the patient never granted.
    await act(
      "St Elsewhere",
      `offers its ER doctor's account ${erDoctor.address.slice(0, 10)}… a place as an operator`,
      identity.connect(hospital.operator).addOperator(hospital.id, erDoctor.address),
    );
    await act("ER doctor", "accepts with its own key", identity.connect(erDoctor).acceptOperator(hospital.id));
    const asEr = consentClient.connect(erDoctor);
    const before = await consent.hasAccess(patientId, hospital.id, Category.ALLERGIES, Action.READ, Purpose.TREATMENT);
    const reason = commitment(randomSalt(), "string", "unconscious patient in the ER, allergies unknown");
    const opened = await asEr.openEmergencyAccess(patientId, reason);
    await act("ER doctor", "opens break-glass READ access (reason: a salted hash)", Promise.resolve(opened));
    const allergiesCovered = await consent.hasEmergencyAccess(patientId, hospital.id, Category.ALLERGIES);
    note(`ALLERGIES: granted for TREATMENT ${before}; covered by the open emergency access ${allergiesCovered}`);
    await act(
      "ER doctor",
      "records the justification's hash (due within 72 h, else visible to the regulator)",
      asEr.justifyEmergencyAccess(opened.accessId, commitment(randomSalt(), "string", "anaphylaxis risk check")),
    );
    const [access] = await emergencyAccessView(consent, { patientId });
    note(
      `break-glass #${access.accessId} by ${orgName(cast, access.orgId)}: justified ${access.justified !== undefined}, window closes ${iso(access.closesAt)}`,
    );

    // FHIR exports of the patient's consent state, rebuilt from events.
    const ctx: MedChainFhirContext = {
      chainId: (await provider.getNetwork()).chainId,
      identityRegistry: await identity.getAddress(),
      consentManager: await consent.getAddress(),
      recordRegistry: await records.getAddress(),
    };
    const at = await chainNow(provider);
    const consents = consentViewToFhir(await patientConsentView(consent, patientId), ctx, at);
    const audits = accessLogToFhir(await accessLogView(consent, patientId), ctx);
    note(`FHIR Consent ×${consents.length}: ${consents.map((c) => consentSummary(c, cast)).join("; ")}`);
    note(`FHIR AuditEvent ×${audits.length}: ${audits.map((a) => auditSummary(a, cast)).join("; ")}`);

    return {
      recordId,
      written,
      labRead: fetched.resource,
      patientRead,
      verified: matches,
      historyAccess,
      contactAccess,
      emergency: { accessId: opened.accessId, allergiesCovered, justified: access.justified !== undefined },
      consents,
      audits,
      refusals,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The fictional patient's diagnosis as a FHIR R4 Condition, the patient contained (name, birth date). */
function conditionResource(): JsonObject {
  return {
    resourceType: "Condition",
    id: hexlify(randomBytes(8)).slice(2),
    contained: [
      {
        resourceType: "Patient",
        id: "patient",
        name: [{ text: PATIENT.name, family: PATIENT.familyName, given: [PATIENT.givenName] }],
        birthDate: PATIENT.birthDate,
      },
    ],
    clinicalStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
    },
    code: {
      coding: [
        { system: "http://hl7.org/fhir/sid/icd-10", code: PATIENT.diagnosisCode, display: PATIENT.diagnosisText },
      ],
    },
    subject: { reference: "#patient" },
    recordedDate: new Date().toISOString().slice(0, 10),
  };
}

function describeCondition(resource: JsonObject): string {
  const r = resource as {
    resourceType: string;
    code: { coding: { code: string; display: string }[] };
    contained: { name: { text: string }[]; birthDate: string }[];
  };
  const [patient] = r.contained;
  return `${r.resourceType} ${r.code.coding[0].code} "${r.code.coding[0].display}" of ${patient.name[0].text}, born ${patient.birthDate}`;
}

function orgOf(reference: { identifier: { value: string } } | undefined, cast: IdentityCast): string {
  const id = reference?.identifier.value.split(":").at(-1);
  return id === undefined ? "?" : orgName(cast, BigInt(id));
}

function consentSummary(c: FhirConsent, cast: IdentityCast): string {
  const p = c.provision;
  const classes = (p.class ?? []).filter((k) => k.system === "urn:medchain:category").map((k) => k.code);
  const actions = (p.action ?? []).map((a) => a.coding[0].code).join("+");
  const purposes = (p.purpose ?? []).map((x) => x.code).join("+");
  return `${orgOf(p.actor?.[0]?.reference, cast)} ${p.type} ${actions} ${classes.join("+")} for ${purposes} (${c.status})`;
}

function auditSummary(a: FhirAuditEvent, cast: IdentityCast): string {
  const [custodian, recipient] = a.agent;
  const purpose = (a.purposeOfEvent ?? []).flatMap((p) => p.coding.map((x) => x.code)).join("+");
  return `${orgOf(custodian.who, cast)} → ${orgOf(recipient.who, cast)}, record ${short(a.entity[0].what.identifier.value.split(":").at(-1)!)} for ${purpose} at ${a.recorded}`;
}

const short = (hex: string) => `${hex.slice(0, 6)}…${hex.slice(-4)}`;
const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
