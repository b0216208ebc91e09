import { expect } from "chai";

import { runDemo } from "../../scripts/demo.ts";
import { PATIENT } from "../../scripts/demo/personal.ts";
import { claimIdParts } from "../../src/ids.ts";
import { Action, Category, Purpose } from "../../src/scopes.ts";
import { adjudicateReference, type RefAccumulators, type RefPlan } from "../claims/adjudication.reference.ts";
import { fhirSchemaErrors } from "../helpers/sdk-consent.ts";

type Demo = Awaited<ReturnType<typeof runDemo>>;

describe("npm run demo (the story as a test, so it cannot rot)", function () {
  let demo: Demo;
  const lines: string[] = [];

  before(async function () {
    const log = console.log;
    console.log = (...args: unknown[]) => void lines.push(args.join(" "));
    try {
      demo = await runDemo();
    } finally {
      console.log = log;
    }
  });

  describe("chapter 1: identity", function () {
    it("accredits eight organisations and registers the patient once, through the relayer", async function () {
      const { identity, cast } = demo;
      expect(await identity.patientOf(cast.patient.wallet.address)).to.equal(cast.patient.id);
      expect(await identity.canActForPatient(cast.guardian.address, cast.patient.id)).to.equal(true);
      expect(await identity.organizationCount()).to.equal(8n);
      expect(lines.filter((l) => l.includes("refused: IdentityCommitmentUsed"))).to.have.length(1);
    });
  });

  describe("chapters 2–3: consent and records", function () {
    it("grants the hospital medical history but not the address, and refuses what no grant covers", async function () {
      const { recordsOutcome: r, contracts, cast } = demo;
      const { id: patientId } = cast.patient;
      const hospital = cast.orgs.Provider.id;
      expect(r.historyAccess).to.equal(true);
      expect(r.contactAccess).to.equal(false);
      const { consent } = contracts;
      expect(await consent.hasAccess(patientId, hospital, Category.CONTACT, Action.READ, Purpose.TREATMENT)).to.equal(
        false,
      );
      expect(
        await consent.hasAccess(
          patientId,
          hospital,
          Category.CONDITIONS | Category.MEDICATIONS,
          Action.READ | Action.WRITE,
          Purpose.TREATMENT,
        ),
      ).to.equal(true);
      expect(r.refusals).to.deep.equal(["RecordWriterNotAuthorized", "ConsentNotCovered"]);
      expect(lines.some((l) => l.includes("hasAccess CONTACT, READ, TREATMENT): false"))).to.equal(true);
    });

    it("the lab and the patient decrypt exactly the Condition the hospital wrote, verified against the chain", async function () {
      const { recordsOutcome: r, contracts, cast } = demo;
      expect(fhirSchemaErrors(r.written)).to.deep.equal([]);
      expect(JSON.stringify(r.written)).to.include(PATIENT.diagnosisCode).and.to.include(PATIENT.birthDate);
      expect(r.labRead).to.deep.equal(r.written);
      expect(r.patientRead).to.deep.equal(r.written);
      expect(r.verified).to.equal(true);
      expect(await contracts.records.isLiveRecordOf(r.recordId, cast.patient.id)).to.equal(true);
    });

    it("opens and justifies the ER's break-glass access, covering a category the patient never granted", async function () {
      const { recordsOutcome: r, contracts, cast } = demo;
      expect(r.emergency.allergiesCovered).to.equal(true);
      expect(r.emergency.justified).to.equal(true);
      const access = await contracts.consent.getEmergencyAccess(r.emergency.accessId);
      expect(access.orgId).to.equal(cast.orgs.Provider.id);
      expect(access.justified).to.equal(true);
      expect(await contracts.consent.isOverdue(r.emergency.accessId)).to.equal(false);
    });

    it("exports the grants as FHIR Consent and the disclosure as FHIR AuditEvent, valid against the R4 schema", async function () {
      const { recordsOutcome: r, cast } = demo;
      expect(r.consents).to.have.length(2);
      expect(r.audits).to.have.length(1);
      for (const resource of [...r.consents, ...r.audits]) expect(fhirSchemaErrors(resource)).to.deep.equal([]);
      expect(r.consents.map((c) => c.status)).to.deep.equal(["active", "active"]);
      const [hospitalGrant, labGrant] = r.consents.map((c) => c.provision.actor![0].reference.identifier.value);
      expect(hospitalGrant).to.match(new RegExp(`:${cast.orgs.Provider.id}$`));
      expect(labGrant).to.match(new RegExp(`:${cast.orgs.Lab.id}$`));
      const [audit] = r.audits;
      expect(audit.agent.map((a) => a.who.identifier.value.split(":").at(-1))).to.deep.equal([
        String(cast.orgs.Provider.id),
        String(cast.orgs.Lab.id),
      ]);
      expect(audit.entity[0].what.identifier.value).to.match(new RegExp(`:${r.recordId}$`));
      expect(lines.filter((l) => /FHIR (Consent|AuditEvent) ×/.test(l))).to.have.length(2);
    });
  });

  describe("chapter 4: drug traceability", function () {
    it("catches the unreleased lot, the cloned pack and the recalled lot", function () {
      expect(demo.supplyOutcome.refusals).to.deep.equal([
        "SupplyLotNotReleased",
        "SupplyAlreadyDispensed",
        "SupplyLotNotSaleable",
      ]);
    });
  });

  describe("chapter 5: clinical trial", function () {
    it("enrols by signature after the RESEARCH grant, refuses switched outcomes, verifies a data point", async function () {
      const { trialsOutcome: t, contracts } = demo;
      expect(t.refusals).to.deep.equal(["TrialNoResearchConsent", "TrialOutcomesMismatch"]);
      expect(t.dataPoint).to.equal("Included");
      expect(t.tamperedDataPoint).to.equal("NotIncluded");
      expect(t.status).to.equal("Reported");
      expect(t.timeline).to.deep.equal([
        "TrialRegistered",
        "SiteSet",
        "ParticipantEnrolled",
        "DataCommitted",
        "DatabaseLocked",
        "ResultsPublished",
      ]);
      const participant = await contracts.trials.getParticipant(t.trialId, t.participantId);
      expect(participant.enrolledAt).to.be.greaterThan(0n);
      expect(participant.consentedVersion).to.equal(1n);
    });
  });

  describe("chapter 6: claims", function () {
    const plan = (code: string): RefPlan => {
      const { terms, rules } = demo.claimsOutcome;
      const rule = rules.get(code)!;
      return {
        covered: rule.covered,
        cap: rule.cap,
        copay: rule.copay,
        rateBps: rule.rateBps,
        deductible: terms.deductible,
        oopMax: terms.outOfPocketMax,
        annualLimit: terms.annualLimit,
      };
    };
    const fresh: RefAccumulators = { deductibleMet: 0n, oopPaid: 0n, benefitUsed: 0n };

    it("refuses the claim without PAYMENT consent and an approval above the rules", function () {
      expect(demo.claimsOutcome.refusals).to.deep.equal(["ClaimsNoPaymentConsent", "ClaimsApprovalExceedsRules"]);
    });

    it("pays the small claim in the same transaction, at the rule amount of its explanation of benefits", function () {
      const { small } = demo.claimsOutcome;
      const expected = adjudicateReference(small.amount, plan(small.code), fresh);
      expect(small.eob).to.deep.equal({
        submitted: small.amount,
        eligible: expected.eligible,
        copay: expected.copay,
        deductible: expected.deductible,
        benefit: expected.benefit,
        patientResponsibility: expected.patient,
        notCovered: expected.notCovered,
      });
      expect(small.paidAtOnce).to.equal(true);
      expect(small.paid).to.equal(small.eob.benefit);
      expect(small.status).to.equal("Paid");
      expect(small.patientShareOwed).to.equal(true);
    });

    it("sends the large claim to review, and the insurer's approval pays its rule amount", function () {
      const { small, large, policyId } = demo.claimsOutcome;
      const after = adjudicateReference(small.amount, plan(small.code), fresh).after;
      const expected = adjudicateReference(large.amount, plan(large.code), after);
      expect(large.eob.benefit).to.equal(expected.benefit);
      expect(large.eob.patientResponsibility).to.equal(expected.patient);
      expect(large.paidAtOnce).to.equal(false);
      expect(large.paid).to.equal(large.eob.benefit);
      expect(large.status).to.equal("Paid");
      expect(claimIdParts(large.claimId)).to.deep.equal({ policyId, providerOrg: demo.cast.orgs.Provider.id });
      expect(lines.some((l) => l.includes("goes to review"))).to.equal(true);
    });

    it("moves exactly the paid benefits from the insurer's escrow to the hospital's payout account", async function () {
      const { small, large, payoutBalance, escrow, deposited } = demo.claimsOutcome;
      expect(payoutBalance).to.equal(small.paid + large.paid);
      expect(escrow).to.deep.equal({ free: deposited - payoutBalance, reserved: 0n });
      expect(await demo.contracts.token.balanceOf(await demo.contracts.claims.getAddress())).to.equal(escrow.free);
    });
  });

  describe("the end", function () {
    it("ends with the patient's account at 0 wei: every patient action went through the relayer", function () {
      expect(demo.patientBalance).to.equal(0n);
      expect(lines.at(-1)).to.include("the patient's account holds 0 wei");
    });
  });
});
