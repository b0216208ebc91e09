/**
 * Exports of MedChain's consent state to HL7 FHIR R4 (DESIGN §2): a patient's grants as `Consent`
 * resources and the access log as `AuditEvent` resources, built from the event views
 * (`views/consent.ts`). The output is JSON that validates against the official FHIR R4 JSON schema.
 *
 * Privacy: the patient appears only as its pseudonymous MedChain id, in an identifier; organisations
 * and records by their on-chain ids. No names, no narrative, no free text: codes and identifiers only.
 * Identifiers are URIs (`system: "urn:ietf:rfc:3986"`) naming the chain and the contract:
 * `urn:medchain:org:<chainId>:<identityRegistry>:<orgId>`, `urn:medchain:patient:<chainId>:<identityRegistry>:<patientId>`,
 * `urn:medchain:record:<chainId>:<recordRegistry>:<recordId>`, `urn:medchain:contract:<chainId>:<address>`.
 *
 * Scopes and deny masks come from events, which are redacted: a RESTRICTED category shows as the whole
 * group, so its security labels list the four sensitive kinds together.
 *
 * @module
 */
import { AbiCoder, keccak256 } from "ethers";

import { type CategoryName, Category, Purpose, type PurposeName, RESTRICTED, Action } from "./scopes.ts";
import type { AccessLogEntry, GrantView, PatientConsentView } from "./views/consent.ts";
import { grantState } from "./views/consent.ts";

// ─── FHIR R4 shapes (the subset emitted) ────────────────────────────────────────────────────────

/** FHIR R4 `Coding`. */
export interface FhirCoding {
  system: string;
  code: string;
}
/** FHIR R4 `CodeableConcept`. */
export interface FhirCodeableConcept {
  coding: FhirCoding[];
}
/** FHIR R4 `Identifier`. */
export interface FhirIdentifier {
  system: string;
  value: string;
}
/** FHIR R4 `Reference` (by identifier). */
export interface FhirReference {
  type?: string;
  identifier: FhirIdentifier;
}
/** FHIR R4 `Period`. */
export interface FhirPeriod {
  start?: string;
  end?: string;
}

/** FHIR R4 `Consent.provision`: a permit or deny rule. */
export interface FhirConsentProvision {
  type: "permit" | "deny";
  period?: FhirPeriod;
  actor?: { role: FhirCodeableConcept; reference: FhirReference }[];
  action?: FhirCodeableConcept[];
  securityLabel?: FhirCoding[];
  purpose?: FhirCoding[];
  class?: FhirCoding[];
  provision?: FhirConsentProvision[];
}

/** FHIR R4 `Consent` resource, as the exporter emits it. */
export interface FhirConsent {
  resourceType: "Consent";
  id: string;
  meta: { lastUpdated: string; source: string };
  status: "active" | "inactive";
  scope: FhirCodeableConcept;
  category: FhirCodeableConcept[];
  patient: FhirReference;
  dateTime: string;
  policyRule: FhirCodeableConcept;
  provision: FhirConsentProvision;
}

/** FHIR R4 `AuditEvent` resource, as the exporter emits it. */
export interface FhirAuditEvent {
  resourceType: "AuditEvent";
  id: string;
  meta: { source: string };
  type: FhirCoding;
  subtype: FhirCoding[];
  action: "R";
  recorded: string;
  outcome: "0";
  purposeOfEvent?: FhirCodeableConcept[];
  agent: {
    type: FhirCodeableConcept;
    who: FhirReference;
    requestor: boolean;
    purposeOfUse?: FhirCodeableConcept[];
  }[];
  source: { observer: FhirReference; type: FhirCoding[] };
  entity: {
    what: FhirReference;
    type: FhirCoding;
    role: FhirCoding;
    securityLabel?: FhirCoding[];
  }[];
}

// ─── code systems ────────────────────────────────────────────────────────────────────────────────

/** The code systems and identifier systems the FHIR exports use. */
export const FhirSystems = {
  uri: "urn:ietf:rfc:3986",
  loinc: "http://loinc.org",
  consentScope: "http://terminology.hl7.org/CodeSystem/consentscope",
  consentAction: "http://terminology.hl7.org/CodeSystem/consentaction",
  actCode: "http://terminology.hl7.org/CodeSystem/v3-ActCode",
  actReason: "http://terminology.hl7.org/CodeSystem/v3-ActReason",
  confidentiality: "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
  participationType: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
  resourceTypes: "http://hl7.org/fhir/resource-types",
  auditEventType: "http://terminology.hl7.org/CodeSystem/audit-event-type",
  restfulInteraction: "http://hl7.org/fhir/restful-interaction",
  lifecycle: "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
  dicom: "http://dicom.nema.org/resources/ontology/DCM",
  securitySourceType: "http://terminology.hl7.org/CodeSystem/security-source-type",
  auditEntityType: "http://terminology.hl7.org/CodeSystem/audit-entity-type",
  objectRole: "http://terminology.hl7.org/CodeSystem/object-role",
  /** MedChain's data categories (codes: the `Scopes` names). */
  medchainCategory: "urn:medchain:category",
} as const;

/** LOINC 59284-0 "Patient Consent": the category of every exported Consent. */
export const CONSENT_LOINC = "59284-0";

/** Purposes as HL7 v3 ActReason codes. */
export const PURPOSE_ACT_REASON: Readonly<Record<PurposeName, string>> = {
  TREATMENT: "TREAT",
  PAYMENT: "HPAYMT",
  OPERATIONS: "HOPERAT",
  RESEARCH: "HRESCH",
  PUBLIC_HEALTH: "PUBHLTH",
  EMERGENCY: "ETREAT",
};

/** Sensitive categories as HL7 v3 ActCode information-sensitivity codes. */
export const SENSITIVITY_ACT_CODE: Readonly<Partial<Record<CategoryName, string>>> = {
  MENTAL_HEALTH: "PSY",
  SUBSTANCE_USE: "SUD",
  SEXUAL_HEALTH: "SEX",
  GENETIC: "GDIS",
};

/** FHIR resource types a category's records usually are (a hint for consent engines; the MedChain
 *  category code is authoritative). DEMOGRAPHICS and CONTACT are both parts of `Patient`, and the
 *  sensitive categories cut across types, so they have none. */
export const CATEGORY_RESOURCE_TYPES: Readonly<Partial<Record<CategoryName, readonly string[]>>> = {
  ENCOUNTERS: ["Encounter"],
  CONDITIONS: ["Condition"],
  MEDICATIONS: ["MedicationRequest", "MedicationStatement"],
  ALLERGIES: ["AllergyIntolerance"],
  LAB_RESULTS: ["Observation", "DiagnosticReport"],
  IMAGING: ["ImagingStudy"],
  IMMUNIZATIONS: ["Immunization"],
  PROCEDURES: ["Procedure"],
  CLINICAL_NOTES: ["DocumentReference"],
  BILLING: ["Claim", "ExplanationOfBenefit", "Coverage"],
};

// ─── identifiers ─────────────────────────────────────────────────────────────────────────────────

/** The deployment an export speaks of: its chain and contracts. */
export interface MedChainFhirContext {
  chainId: bigint;
  identityRegistry: string;
  consentManager: string;
  recordRegistry: string;
}

const lower = (a: string) => a.toLowerCase();
const hex32 = (v: bigint) => `0x${v.toString(16).padStart(64, "0")}`;
const uriIdentifier = (value: string): FhirIdentifier => ({ system: FhirSystems.uri, value });

/** `urn:medchain:org:<chainId>:<identityRegistry>:<orgId>`. */
export function organizationUri(ctx: MedChainFhirContext, orgId: bigint): string {
  return `urn:medchain:org:${ctx.chainId}:${lower(ctx.identityRegistry)}:${orgId}`;
}
/** `urn:medchain:patient:<chainId>:<identityRegistry>:<patientId as 32-byte hex>`. */
export function patientUri(ctx: MedChainFhirContext, patientId: bigint): string {
  return `urn:medchain:patient:${ctx.chainId}:${lower(ctx.identityRegistry)}:${hex32(patientId)}`;
}
/** `urn:medchain:record:<chainId>:<recordRegistry>:<recordId>`. */
export function recordUri(ctx: MedChainFhirContext, recordId: string): string {
  return `urn:medchain:record:${ctx.chainId}:${lower(ctx.recordRegistry)}:${lower(recordId)}`;
}
/** `urn:medchain:contract:<chainId>:<address>`. */
export function contractUri(ctx: MedChainFhirContext, address: string): string {
  return `urn:medchain:contract:${ctx.chainId}:${lower(address)}`;
}
/** `urn:medchain:emergency-access:<chainId>:<consentManager>:<accessId>`. */
export function emergencyAccessUri(ctx: MedChainFhirContext, accessId: bigint): string {
  return `urn:medchain:emergency-access:${ctx.chainId}:${lower(ctx.consentManager)}:${accessId}`;
}
/** `urn:medchain:tx:<chainId>:<transactionHash>`: where a resource's facts were read. */
export function transactionUri(ctx: MedChainFhirContext, transactionHash: string): string {
  return `urn:medchain:tx:${ctx.chainId}:${lower(transactionHash)}`;
}

/** A stable resource id (64 hex digits) for the event at (`transactionHash`, `logIndex`). */
export function fhirResourceId(ctx: MedChainFhirContext, transactionHash: string, logIndex: number): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["uint256", "address", "bytes32", "uint256"],
    [ctx.chainId, ctx.consentManager, transactionHash, logIndex],
  );
  return keccak256(encoded).slice(2);
}

/** The latest instant FHIR can write (year 9999). */
const MAX_FHIR_SECONDS = 253402300799n;

/** A unix time as a FHIR instant (UTC, seconds); `undefined` beyond year 9999 (open-ended). */
export function fhirInstant(seconds: bigint): string | undefined {
  if (seconds < 0n || seconds > MAX_FHIR_SECONDS) return undefined;
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

function instant(seconds: bigint): string {
  const s = fhirInstant(seconds);
  if (s === undefined) throw new RangeError(`time ${seconds} cannot be written in FHIR`);
  return s;
}

// ─── codes from masks ────────────────────────────────────────────────────────────────────────────

const names = <K extends string>(table: Readonly<Record<K, number>>, mask: number): K[] =>
  (Object.keys(table) as K[]).filter((n) => (mask & table[n]) !== 0);

/** `provision.class`: a MedChain category code per category, then the resource types hinted. */
export function categoryClasses(mask: number): FhirCoding[] {
  const categories = names(Category, mask);
  const classes: FhirCoding[] = categories.map((code) => ({ system: FhirSystems.medchainCategory, code }));
  const types = new Set(categories.flatMap((c) => CATEGORY_RESOURCE_TYPES[c] ?? []));
  for (const code of types) classes.push({ system: FhirSystems.resourceTypes, code });
  return classes;
}

/** Security labels of a mask: confidentiality R and the sensitivity codes when RESTRICTED is involved. */
export function securityLabels(mask: number): FhirCoding[] {
  if ((mask & RESTRICTED) === 0) return [];
  const labels: FhirCoding[] = [{ system: FhirSystems.confidentiality, code: "R" }];
  for (const c of names(Category, mask & RESTRICTED)) {
    labels.push({ system: FhirSystems.actCode, code: SENSITIVITY_ACT_CODE[c]! });
  }
  return labels;
}

/** Purposes as v3 ActReason codings. */
export function purposeCodings(mask: number): FhirCoding[] {
  return names(Purpose, mask).map((p) => ({ system: FhirSystems.actReason, code: PURPOSE_ACT_REASON[p] }));
}

/** Actions as consent-action concepts: READ → `access`, WRITE → `correct`. */
export function actionConcepts(mask: number): FhirCodeableConcept[] {
  const out: FhirCodeableConcept[] = [];
  if (mask & Action.READ) out.push({ coding: [{ system: FhirSystems.consentAction, code: "access" }] });
  if (mask & Action.WRITE) out.push({ coding: [{ system: FhirSystems.consentAction, code: "correct" }] });
  return out;
}

function withNonEmpty<T extends object, K extends string, V>(obj: T, key: K, list: V[]): T {
  return list.length === 0 ? obj : { ...obj, [key]: list };
}

// ─── Consent ─────────────────────────────────────────────────────────────────────────────────────

/**
 * A grant as a FHIR R4 Consent: `active` while not revoked nor expired (a grant whose window has not
 * begun is active with a later `provision.period.start`), `inactive` otherwise. The permit names the
 * grantee organisation, its categories (`class`, and `securityLabel` for RESTRICTED), actions and
 * purposes, and its window; the patient's deny mask is a nested `deny` provision.
 */
export function grantToFhirConsent(
  grant: GrantView,
  denyMask: number,
  ctx: MedChainFhirContext,
  now: bigint,
): FhirConsent {
  const state = grantState(grant, now);
  const end = grant.revoked && grant.revoked.timestamp < grant.expiresAt ? grant.revoked.timestamp : grant.expiresAt;
  const startSeconds = grant.notBefore === 0n ? grant.granted.timestamp : grant.notBefore;
  const period: FhirPeriod = { start: instant(startSeconds) };
  const endInstant = fhirInstant(end < startSeconds ? startSeconds : end);
  if (endInstant !== undefined) period.end = endInstant;

  let permit: FhirConsentProvision = {
    type: "permit",
    period,
    actor: [
      {
        role: { coding: [{ system: FhirSystems.participationType, code: "IRCP" }] },
        reference: { type: "Organization", identifier: uriIdentifier(organizationUri(ctx, grant.granteeOrg)) },
      },
    ],
  };
  permit = withNonEmpty(permit, "action", actionConcepts(grant.actions));
  permit = withNonEmpty(permit, "securityLabel", securityLabels(grant.scopes));
  permit = withNonEmpty(permit, "purpose", purposeCodings(grant.purposes));
  permit = withNonEmpty(permit, "class", categoryClasses(grant.scopes));
  if (denyMask !== 0) {
    const deny = withNonEmpty(
      { type: "deny" as const, class: categoryClasses(denyMask) },
      "securityLabel",
      securityLabels(denyMask),
    );
    permit.provision = [deny];
  }

  const last = grant.revoked ?? grant.granted;
  return {
    resourceType: "Consent",
    id: fhirResourceId(ctx, grant.granted.transactionHash, grant.granted.logIndex),
    meta: { lastUpdated: instant(last.timestamp), source: transactionUri(ctx, last.transactionHash) },
    status: state === "active" || state === "pending" ? "active" : "inactive",
    scope: { coding: [{ system: FhirSystems.consentScope, code: "patient-privacy" }] },
    category: [{ coding: [{ system: FhirSystems.loinc, code: CONSENT_LOINC }] }],
    patient: { type: "Patient", identifier: uriIdentifier(patientUri(ctx, grant.patientId)) },
    dateTime: instant(grant.granted.timestamp),
    policyRule: { coding: [{ system: FhirSystems.actCode, code: "OPTIN" }] },
    provision: permit,
  };
}

/** Every grant of a patient's consent view as a FHIR R4 Consent (see {@link grantToFhirConsent}). */
export function consentViewToFhir(view: PatientConsentView, ctx: MedChainFhirContext, now: bigint): FhirConsent[] {
  return view.grants.map((g) => grantToFhirConsent(g, view.denyMask, ctx, now));
}

// ─── AuditEvent ──────────────────────────────────────────────────────────────────────────────────

const orgRef = (ctx: MedChainFhirContext, orgId: bigint): FhirReference => ({
  type: "Organization",
  identifier: uriIdentifier(organizationUri(ctx, orgId)),
});

/**
 * A logged disclosure as a FHIR R4 AuditEvent: type `rest`, subtype `read` and lifecycle `access`,
 * action R, recorded at the block time; agents the custodian (source, 110153) and the recipient
 * (destination and requestor, 110152); entities the record and the patient, by identifier, and the
 * break-glass access when one covered it; `purposeOfEvent` from the logged purpose.
 */
export function accessLogToFhirAuditEvent(entry: AccessLogEntry, ctx: MedChainFhirContext): FhirAuditEvent {
  const purpose = purposeCodings(entry.purpose);
  const purposeOfEvent = purpose.length === 0 ? [] : [{ coding: purpose }];
  let recordEntity: FhirAuditEvent["entity"][number] = {
    what: { identifier: uriIdentifier(recordUri(ctx, entry.recordId)) },
    type: { system: FhirSystems.auditEntityType, code: "2" },
    role: { system: FhirSystems.objectRole, code: "4" },
  };
  recordEntity = withNonEmpty(recordEntity, "securityLabel", securityLabels(entry.scopes));
  const entity: FhirAuditEvent["entity"] = [
    recordEntity,
    {
      what: { type: "Patient", identifier: uriIdentifier(patientUri(ctx, entry.patientId)) },
      type: { system: FhirSystems.auditEntityType, code: "1" },
      role: { system: FhirSystems.objectRole, code: "1" },
    },
  ];
  if (entry.accessId !== 0n) {
    entity.push({
      what: { identifier: uriIdentifier(emergencyAccessUri(ctx, entry.accessId)) },
      type: { system: FhirSystems.auditEntityType, code: "2" },
      role: { system: FhirSystems.objectRole, code: "13" },
    });
  }
  const recipient = withNonEmpty(
    {
      type: { coding: [{ system: FhirSystems.dicom, code: "110152" }] },
      who: orgRef(ctx, entry.recipientOrg),
      requestor: true,
    },
    "purposeOfUse",
    purposeOfEvent,
  );
  const event: FhirAuditEvent = {
    resourceType: "AuditEvent",
    id: fhirResourceId(ctx, entry.transactionHash, entry.logIndex),
    meta: { source: transactionUri(ctx, entry.transactionHash) },
    type: { system: FhirSystems.auditEventType, code: "rest" },
    subtype: [
      { system: FhirSystems.restfulInteraction, code: "read" },
      { system: FhirSystems.lifecycle, code: "access" },
    ],
    action: "R",
    recorded: instant(entry.timestamp),
    outcome: "0",
    agent: [
      {
        type: { coding: [{ system: FhirSystems.dicom, code: "110153" }] },
        who: orgRef(ctx, entry.custodianOrg),
        requestor: false,
      },
      recipient,
    ],
    source: {
      observer: { type: "Device", identifier: uriIdentifier(contractUri(ctx, ctx.consentManager)) },
      type: [{ system: FhirSystems.securitySourceType, code: "4" }],
    },
    entity,
  };
  return withNonEmpty(event, "purposeOfEvent", purposeOfEvent);
}

/** A patient's access log as FHIR R4 AuditEvents. */
export function accessLogToFhir(entries: readonly AccessLogEntry[], ctx: MedChainFhirContext): FhirAuditEvent[] {
  return entries.map((e) => accessLogToFhirAuditEvent(e, ctx));
}
