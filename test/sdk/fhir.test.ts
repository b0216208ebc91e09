import { expect } from "chai";
import { network } from "hardhat";

import {
  accessLogToFhir,
  consentViewToFhir,
  CONSENT_LOINC,
  type FhirAuditEvent,
  type FhirCoding,
  type FhirConsent,
  fhirInstant,
  FhirSystems,
  grantToFhirConsent,
  organizationUri,
  patientUri,
  purposeCodings,
  recordUri,
} from "../../src/fhir.ts";
import { ALL_PURPOSES, Category } from "../../src/scopes.ts";
import { accessLogView, type GrantView, patientConsentView } from "../../src/views/consent.ts";
import { now } from "../helpers/identity.ts";
import { deployConsentHistory, fhirCodeSystems, fhirSchemaErrors } from "../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

/** The consent history of the views test, exported to FHIR. */
async function exportFixture() {
  const f = await deployConsentHistory(ethers, networkHelpers.time);
  const at = await now(ethers);
  const view = await patientConsentView(f.consent, f.patientId, { fromBlock: f.fromBlock });
  const log = await accessLogView(f.consent, f.patientId, { fromBlock: f.fromBlock });
  return {
    ...f,
    at,
    view,
    log,
    consents: consentViewToFhir(view, f.fhirContext, at),
    audits: accessLogToFhir(log, f.fhirContext),
  };
}

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");

/** Every Coding (an object with `system` and `code`) anywhere in `value`. */
function codings(value: unknown, out: FhirCoding[] = []): FhirCoding[] {
  if (Array.isArray(value)) value.forEach((v) => codings(v, out));
  else if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.system === "string" && typeof o.code === "string") out.push({ system: o.system, code: o.code });
    Object.values(o).forEach((v) => codings(v, out));
  }
  return out;
}

/** Every (key path, string) leaf of `value`. */
function strings(value: unknown, path = "$", out: [string, string][] = []): [string, string][] {
  if (typeof value === "string") out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) strings(v, `${path}.${k}`, out);
  }
  return out;
}

function keys(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keys(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keys(v, out);
    }
  }
  return out;
}

const codes = (list: FhirCoding[] | undefined, system: string) =>
  (list ?? []).filter((c) => c.system === system).map((c) => c.code);

describe("SDK FHIR export", function () {
  describe("Consent", function () {
    it("exports every grant as a FHIR R4 Consent that validates against the official schema", async function () {
      const {
        consents,
        fhirContext: ctx,
        hospital,
        lab,
        insurer,
        pharmacy,
        patientId,
      } = await networkHelpers.loadFixture(exportFixture);
      expect(consents).to.have.length(4);
      for (const c of consents) expect(fhirSchemaErrors(c), c.id).to.deep.equal([]);

      const byOrg = (org: bigint) =>
        consents.find((c) => c.provision.actor![0].reference.identifier.value === organizationUri(ctx, org))!;
      expect(byOrg(hospital).status).to.equal("active");
      expect(byOrg(lab).status).to.equal("active");
      expect(byOrg(insurer).status).to.equal("inactive"); // revoked
      expect(byOrg(pharmacy).status).to.equal("inactive"); // expired
      for (const c of consents) {
        expect(c.scope.coding).to.deep.equal([{ system: FhirSystems.consentScope, code: "patient-privacy" }]);
        expect(c.category).to.deep.equal([{ coding: [{ system: FhirSystems.loinc, code: CONSENT_LOINC }] }]);
        expect(c.patient).to.deep.equal({
          type: "Patient",
          identifier: { system: FhirSystems.uri, value: patientUri(ctx, patientId) },
        });
        expect(c.provision.type).to.equal("permit");
        expect(c.provision.actor![0].reference.type).to.equal("Organization");
        expect(c.provision.actor![0].reference.identifier.value).to.match(
          new RegExp(`^urn:medchain:org:${ctx.chainId}:${ctx.identityRegistry.toLowerCase()}:\\d+$`),
        );
      }
      expect(new Set(consents.map((c) => c.id)).size).to.equal(4);
    });

    it("maps categories, actions, purposes, the window and the deny mask into the provisions", async function () {
      const { consents, view, fhirContext: ctx, lab, insurer } = await networkHelpers.loadFixture(exportFixture);
      const labGrant = view.grants.find((g) => g.granteeOrg === lab)!;
      const labConsent = consents.find(
        (c) => c.provision.actor![0].reference.identifier.value === organizationUri(ctx, lab),
      )!;
      const p = labConsent.provision;
      // Redacted scopes: CONDITIONS and the whole RESTRICTED group (GENETIC was granted).
      expect(codes(p.class, FhirSystems.medchainCategory)).to.deep.equal([
        "CONDITIONS",
        "MENTAL_HEALTH",
        "SUBSTANCE_USE",
        "SEXUAL_HEALTH",
        "GENETIC",
      ]);
      expect(codes(p.class, FhirSystems.resourceTypes)).to.deep.equal(["Condition"]);
      expect(codes(p.securityLabel, FhirSystems.confidentiality)).to.deep.equal(["R"]);
      expect(codes(p.securityLabel, FhirSystems.actCode)).to.deep.equal(["PSY", "SUD", "SEX", "GDIS"]);
      expect(codes(p.purpose, FhirSystems.actReason)).to.deep.equal(["TREAT", "HRESCH"]);
      expect(p.action!.map((a) => a.coding[0].code)).to.deep.equal(["access", "correct"]);
      expect(p.period).to.deep.equal({ start: iso(labGrant.granted.timestamp), end: iso(labGrant.expiresAt) });
      expect(labConsent.dateTime).to.equal(iso(labGrant.granted.timestamp));

      // The deny mask (CONTACT, SUBSTANCE_USE → the RESTRICTED group) as a nested deny provision.
      expect(p.provision).to.have.length(1);
      const deny = p.provision![0];
      expect(deny.type).to.equal("deny");
      expect(codes(deny.class, FhirSystems.medchainCategory)).to.deep.equal([
        "CONTACT",
        "MENTAL_HEALTH",
        "SUBSTANCE_USE",
        "SEXUAL_HEALTH",
        "GENETIC",
      ]);
      expect(codes(deny.securityLabel, FhirSystems.confidentiality)).to.deep.equal(["R"]);

      // A revoked grant's permit ends when it was revoked.
      const insurerGrant = view.grants.find((g) => g.granteeOrg === insurer)!;
      const insurerConsent = consents.find(
        (c) => c.provision.actor![0].reference.identifier.value === organizationUri(ctx, insurer),
      )!;
      expect(insurerConsent.provision.period!.end).to.equal(iso(insurerGrant.revoked!.timestamp));
      expect(insurerConsent.provision.securityLabel).to.equal(undefined);
      expect(codes(insurerConsent.provision.purpose, FhirSystems.actReason)).to.deep.equal(["HPAYMT"]);

      expect(codes(purposeCodings(ALL_PURPOSES), FhirSystems.actReason)).to.deep.equal([
        "TREAT",
        "HPAYMT",
        "HOPERAT",
        "HRESCH",
        "PUBHLTH",
        "ETREAT",
      ]);
    });

    it("writes a window beyond year 9999 as open-ended, a future start as active, and still validates", async function () {
      const { fhirContext: ctx, view, at } = await networkHelpers.loadFixture(exportFixture);
      const template = view.grants[0];
      const forever: GrantView = { ...template, notBefore: at + 1000n, expiresAt: 2n ** 64n - 1n };
      const c = grantToFhirConsent(forever, 0, ctx, at);
      expect(c.status).to.equal("active");
      expect(c.provision.period).to.deep.equal({ start: iso(at + 1000n) });
      expect(c.provision.provision).to.equal(undefined);
      expect(fhirSchemaErrors(c)).to.deep.equal([]);
      expect(fhirInstant(0n)).to.equal("1970-01-01T00:00:00Z");
      expect(fhirInstant(253402300800n)).to.equal(undefined);
    });
  });

  describe("AuditEvent", function () {
    it("exports the access log as FHIR R4 AuditEvents that validate against the official schema", async function () {
      const {
        audits,
        log,
        fhirContext: ctx,
        hospital,
        lab,
        hospitalRecord,
        labRecord,
        patientId,
        secondAccess,
      } = await networkHelpers.loadFixture(exportFixture);
      expect(audits).to.have.length(3);
      for (const a of audits) expect(fhirSchemaErrors(a), a.id).to.deep.equal([]);
      audits.forEach((a, i) => {
        expect(a.type).to.deep.equal({ system: FhirSystems.auditEventType, code: "rest" });
        expect(a.subtype.map((s) => s.code)).to.deep.equal(["read", "access"]);
        expect(a.action).to.equal("R");
        expect(a.recorded).to.equal(iso(log[i].timestamp));
        const patientEntity = a.entity.find((e) => e.what.type === "Patient")!;
        expect(patientEntity.what.identifier.value).to.equal(patientUri(ctx, patientId));
      });
      const [research, treatment, emergency] = audits;
      const agentOrgs = (a: FhirAuditEvent) => a.agent.map((g) => [g.who.identifier.value, g.requestor]);
      expect(agentOrgs(research)).to.deep.equal([
        [organizationUri(ctx, hospital), false],
        [organizationUri(ctx, lab), true],
      ]);
      expect(research.entity[0].what.identifier.value).to.equal(recordUri(ctx, hospitalRecord));
      expect(research.purposeOfEvent).to.deep.equal([{ coding: [{ system: FhirSystems.actReason, code: "HRESCH" }] }]);
      expect(research.entity[0].securityLabel).to.equal(undefined);
      expect(codes(treatment.entity[0].securityLabel, FhirSystems.actCode)).to.deep.equal([
        "PSY",
        "SUD",
        "SEX",
        "GDIS",
      ]);

      // The break-glass disclosure: purpose ETREAT and the emergency access as an entity.
      expect(emergency.entity[0].what.identifier.value).to.equal(recordUri(ctx, labRecord));
      expect(emergency.purposeOfEvent![0].coding[0].code).to.equal("ETREAT");
      expect(emergency.entity).to.have.length(3);
      expect(emergency.entity[2].what.identifier.value).to.equal(
        `urn:medchain:emergency-access:${ctx.chainId}:${ctx.consentManager.toLowerCase()}:${secondAccess}`,
      );
      expect(agentOrgs(emergency)).to.deep.equal([
        [organizationUri(ctx, lab), false],
        [organizationUri(ctx, hospital), true],
      ]);
    });
  });

  describe("vocabulary and privacy", function () {
    it("uses only codes that exist in the HL7 and DICOM code systems it names", async function () {
      const { consents, audits } = await networkHelpers.loadFixture(exportFixture);
      const systems = fhirCodeSystems();
      const used = codings([...consents, ...audits]);
      const checked = new Set<string>();
      for (const { system, code } of used) {
        if (system === FhirSystems.medchainCategory) {
          expect(Object.keys(Category)).to.include(code);
          continue;
        }
        if (system === FhirSystems.loinc || system === FhirSystems.uri) continue;
        const known = systems.get(system);
        expect(known, `code system ${system} is in the R4 definitions`).to.not.equal(undefined);
        expect(known!.has(code), `${system}|${code}`).to.equal(true);
        checked.add(system);
      }
      expect(checked.size).to.be.greaterThanOrEqual(12);
      expect(systems.get(FhirSystems.actReason)!.has("NOT-A-REASON")).to.equal(false);
    });

    it("contains no name and no free text; the patient appears only as its pseudonymous id", async function () {
      const { consents, audits, fhirContext: ctx, patientId } = await networkHelpers.loadFixture(exportFixture);
      const resources = [...consents, ...audits];
      const forbidden = ["name", "text", "display", "description", "outcomeDesc", "note", "address", "telecom"];
      const used = keys(resources);
      for (const k of forbidden) expect(used.has(k), `key ${k}`).to.equal(false);
      const patientHex = patientId.toString(16).padStart(64, "0");
      for (const [path, s] of strings(resources)) {
        expect(s, path).to.match(/^[A-Za-z0-9:._\-+/]+$/); // codes, ids, URIs, instants: no spaces, no prose
        if (s.includes(patientHex)) expect(s, path).to.equal(patientUri(ctx, patientId));
        expect(s, path).to.not.include(patientId.toString()); // the id never in decimal
      }
    });

    it("the validator refuses resources that break the R4 structure (so the checks above can fail)", async function () {
      const { consents, audits } = await networkHelpers.loadFixture(exportFixture);
      const consent = structuredClone(consents[0]) as Partial<FhirConsent>;
      delete consent.scope;
      expect(fhirSchemaErrors(consent)).to.not.deep.equal([]);
      expect(fhirSchemaErrors({ ...consents[0], status: "revoked" })).to.not.deep.equal([]);
      expect(fhirSchemaErrors({ ...consents[0], dateTime: "yesterday" })).to.not.deep.equal([]);
      expect(fhirSchemaErrors({ ...consents[0], patientName: "x" })).to.not.deep.equal([]);
      const audit = structuredClone(audits[0]) as Partial<FhirAuditEvent>;
      delete audit.source;
      expect(fhirSchemaErrors(audit)).to.not.deep.equal([]);
      expect(fhirSchemaErrors({ ...audits[0], action: "X" })).to.not.deep.equal([]);
      expect(fhirSchemaErrors({ resourceType: "NoSuchResource" })).to.deep.equal([
        "no FHIR R4 definition for resourceType NoSuchResource",
      ]);
    });
  });
});
