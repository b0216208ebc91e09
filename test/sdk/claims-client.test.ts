import { expect } from "chai";
import { hexlify, randomBytes, Wallet } from "ethers";
import { network } from "hardhat";

import { ClaimsClient, type ExplanationOfBenefits } from "../../src/clients/claims.ts";
import { MedChainContractError } from "../../src/errors.ts";
import { procedureCodeHash, randomSalt } from "../../src/ids.ts";
import { Relayer } from "../../src/relayer.ts";
import { adjudicateReference, type RefAccumulators, type RefPlan } from "../claims/adjudication.reference.ts";
import { defaultTerms, deployClaims, rule, USD } from "../helpers/claims.ts";
import { DAY, now, randomHash, YEAR } from "../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();

const TERMS = defaultTerms({ deductible: 200n * USD, autoApproveThreshold: 1_000n * USD });
const RULE = rule({ rateBps: 8_000n, cap: 5_000n * USD, copay: 25n * USD });

/** The claims system, and a plan, a policy and a funded escrow set up through the SDK client. */
async function claimsClientFixture() {
  const f = await deployClaims(ethers);
  const fromBlock = await ethers.provider.getBlockNumber();
  const client = new ClaimsClient(f.escrow, fromBlock);
  const insurer = client.connect(f.insurerOp);
  const provider = client.connect(f.providerOp);

  const salt = randomSalt();
  const code = procedureCodeHash(salt, "99213");
  const { planId } = await insurer.createPlan(TERMS, {});
  await insurer.setCodeRules(planId, { [code]: RULE });
  const start = (await now(ethers)) - 30n * DAY;
  const { policyId } = await insurer.bindPolicy(planId, f.patientId, start, start + YEAR);
  await f.mintTo(f.insurerOp, 50_000n * USD);
  await insurer.deposit(50_000n * USD);
  await provider.setPayoutAddress(f.payout.address);
  return { ...f, client, insurer, provider, planId, policyId, code, start };
}

const refPlan: RefPlan = {
  covered: true,
  cap: RULE.cap,
  copay: RULE.copay,
  rateBps: RULE.rateBps,
  deductible: TERMS.deductible,
  oopMax: TERMS.outOfPocketMax,
  annualLimit: TERMS.annualLimit,
};

function expectedEob(amount: bigint, acc: RefAccumulators) {
  const r = adjudicateReference(amount, refPlan, acc);
  const eob: ExplanationOfBenefits = {
    submitted: amount,
    eligible: r.eligible,
    copay: r.copay,
    deductible: r.deductible,
    benefit: r.benefit,
    patientResponsibility: r.patient,
    notCovered: r.notCovered,
  };
  return { eob, after: r.after };
}

describe("ClaimsClient", function () {
  describe("submitClaim and claimView", function () {
    it("pays a small claim at once, and claimView shows the reference adjudication and the history", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const amount = 800n * USD;
      const serviceDate = (await now(ethers)) - DAY;
      const lineRef = randomHash();
      const before = await f.token.balanceOf(f.payout.address);
      const res = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef,
        amount,
        serviceDate,
        evidenceRecordId: await f.evidence(),
      });
      const { eob } = expectedEob(amount, { deductibleMet: 0n, oopPaid: 0n, benefitUsed: 0n });
      expect(res.status).to.equal("Paid");
      expect(res.eob).to.deep.equal(eob);
      expect((await f.token.balanceOf(f.payout.address)) - before).to.equal(eob.benefit);

      const view = await f.client.claimView(res.claimId);
      expect(view.policyId).to.equal(f.policyId);
      expect(view.providerOrg).to.equal(f.providerOrg);
      expect(view.state?.status).to.equal("Paid");
      expect(view.state?.benefit).to.equal(eob.benefit);
      expect(view.eob).to.deep.equal(eob);
      expect(view.eobSource).to.equal("ClaimSubmitted");
      expect(view.finalBenefit).to.equal(eob.benefit);
      expect(view.codeHash).to.equal(f.code);
      expect(view.lineRef).to.equal(lineRef);
      expect(view.serviceDate).to.equal(serviceDate);
      expect(view.history.map((e) => e.name)).to.deep.equal(["ClaimSubmitted", "ClaimSettled"]);
      const block = await ethers.provider.getBlock(res.receipt.blockNumber);
      for (const e of view.history) {
        expect(e.blockNumber).to.equal(res.receipt.blockNumber);
        expect(e.timestamp).to.equal(block!.timestamp);
      }
      expect(view.history[1].args.benefitPaid).to.equal(eob.benefit);
    });

    it("sends a large claim to review, then the insurer's approval pays it", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const small = 300n * USD;
      await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef: randomHash(),
        amount: small,
        serviceDate: (await now(ethers)) - 2n * DAY,
        evidenceRecordId: await f.evidence(),
      });
      const first = expectedEob(small, { deductibleMet: 0n, oopPaid: 0n, benefitUsed: 0n });

      const amount = 2_500n * USD;
      const res = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef: randomHash(),
        amount,
        serviceDate: (await now(ethers)) - DAY,
        evidenceRecordId: await f.evidence(),
      });
      const { eob } = expectedEob(amount, first.after);
      expect(res.status).to.equal("Pending");
      expect(res.eob).to.deep.equal(eob);
      const pending = await f.client.claimView(res.claimId);
      expect(pending.state?.status).to.equal("Pending");
      expect(pending.finalBenefit).to.equal(undefined);
      expect(pending.history.map((e) => e.name)).to.deep.equal(["ClaimSubmitted", "ClaimReviewOpened"]);

      await networkHelpers.time.increase(3n * DAY);
      const before = await f.token.balanceOf(f.payout.address);
      const approval = await f.insurer.approveClaim(res.claimId, eob.benefit);
      expect((await f.token.balanceOf(f.payout.address)) - before).to.equal(eob.benefit);

      const view = await f.client.claimView(res.claimId);
      expect(view.state?.status).to.equal("Paid");
      expect(view.eob).to.deep.equal(eob);
      expect(view.finalBenefit).to.equal(eob.benefit);
      expect(view.history.map((e) => e.name)).to.deep.equal([
        "ClaimSubmitted",
        "ClaimReviewOpened",
        "ClaimApproved",
        "ClaimSettled",
      ]);
      expect(view.history[2].args.promptPay).to.equal(false);
      const t0 = (await ethers.provider.getBlock(res.receipt.blockNumber))!.timestamp;
      const t1 = (await ethers.provider.getBlock(approval.blockNumber))!.timestamp;
      expect(view.history.map((e) => e.timestamp)).to.deep.equal([t0, t0, t1, t1]);
      expect(t1 - t0).to.be.greaterThanOrEqual(Number(3n * DAY));

      // A range that ends before the approval shows the claim as it was then.
      const earlier = await f.client.claimView(res.claimId, { toBlock: res.receipt.blockNumber });
      expect(earlier.state?.status).to.equal("Pending");
      expect(earlier.history.map((e) => e.name)).to.deep.equal(["ClaimSubmitted", "ClaimReviewOpened"]);
    });

    it("has no state and no history for an unknown claim", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const view = await f.client.claimView(hexlify(randomBytes(32)));
      expect(view.state).to.equal(undefined);
      expect(view.eob).to.equal(undefined);
      expect(view.history).to.deep.equal([]);
    });
  });

  describe("refusals", function () {
    it("surfaces an approval above the rule amount as ClaimsApprovalExceedsRules", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const res = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef: randomHash(),
        amount: 2_000n * USD,
        serviceDate: (await now(ethers)) - DAY,
        evidenceRecordId: await f.evidence(),
      });
      const benefit = res.eob!.benefit;
      const error = await f.insurer.approveClaim(res.claimId, benefit + 1n).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(MedChainContractError);
      const e = error as MedChainContractError;
      expect(e.errorName).to.equal("ClaimsApprovalExceedsRules");
      expect(e.args.claimId).to.equal(res.claimId);
      expect(e.args.approved).to.equal(benefit + 1n);
      expect(e.args.ruleBenefit).to.equal(benefit);
    });

    it("surfaces a stranger's denial as ClaimsNotInsurer, and a provider's void of a paid claim as ClaimsInvalidTransition", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const res = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef: randomHash(),
        amount: 2_000n * USD,
        serviceDate: (await now(ethers)) - DAY,
        evidenceRecordId: await f.evidence(),
      });
      expect(res.status).to.equal("Pending");
      const paid = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef: randomHash(),
        amount: 100n * USD,
        serviceDate: (await now(ethers)) - DAY,
        evidenceRecordId: await f.evidence(),
      });
      expect(paid.status).to.equal("Paid");
      const denied = await f.client
        .connect(f.stranger)
        .denyClaim(res.claimId, 50)
        .catch((e: unknown) => e);
      expect(denied).to.be.instanceOf(MedChainContractError);
      expect((denied as MedChainContractError).errorName).to.equal("ClaimsNotInsurer");
      expect((denied as MedChainContractError).args.account).to.equal(f.stranger.address);

      const voided = await f.provider.voidClaim(paid.claimId).catch((e: unknown) => e);
      expect(voided).to.be.instanceOf(MedChainContractError);
      expect((voided as MedChainContractError).errorName).to.equal("ClaimsInvalidTransition");
      expect((voided as MedChainContractError).args.claimId).to.equal(paid.claimId);
    });
  });

  describe("denial, appeal and prompt pay", function () {
    it("denies a reviewed claim, re-adjudicates the appeal, and settles it by prompt pay after the window", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const serviceDate = (await now(ethers)) - DAY;
      const lineRef = randomHash();
      const amount = 1_500n * USD;
      const res = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef,
        amount,
        serviceDate,
        evidenceRecordId: await f.evidence(),
      });
      await f.insurer.denyClaim(res.claimId, 50);
      expect((await f.client.getClaim(res.claimId))?.status).to.equal("Denied");
      const appeal = await f.provider.appealClaim(res.claimId, f.code, lineRef, serviceDate);
      const { eob } = expectedEob(amount, { deductibleMet: 0n, oopPaid: 0n, benefitUsed: 0n });
      expect(appeal.eob).to.deep.equal(eob);

      await networkHelpers.time.increase(TERMS.reviewWindow + 1n);
      await f.client.connect(f.stranger).settleClaim(res.claimId);
      const view = await f.client.claimView(res.claimId);
      expect(view.state?.status).to.equal("Paid");
      expect(view.state?.flags).to.include("APPEALED");
      expect(view.eobSource).to.equal("ClaimAppealed");
      expect(view.eob).to.deep.equal(eob);
      expect(view.history.map((e) => e.name)).to.deep.equal([
        "ClaimSubmitted",
        "ClaimReviewOpened",
        "ClaimDenied",
        "ClaimAppealed",
        "ClaimReviewOpened",
        "ClaimApproved",
        "ClaimSettled",
      ]);
      expect(view.history[2].args.reasonCode).to.equal(50n);
      expect(view.history[5].args.promptPay).to.equal(true);
    });

    it("voids a claim under review", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const res = await f.provider.submitClaim({
        policyId: f.policyId,
        codeHash: f.code,
        lineRef: randomHash(),
        amount: 3_000n * USD,
        serviceDate: (await now(ethers)) - DAY,
        evidenceRecordId: await f.evidence(),
      });
      await f.provider.voidClaim(res.claimId);
      const view = await f.client.claimView(res.claimId);
      expect(view.state?.status).to.equal("Voided");
      expect(view.history.at(-1)?.name).to.equal("ClaimVoided");
    });
  });

  describe("authorizeProvider", function () {
    it("relays a patient's signed authorisation when the patient holds 0 ether", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const wallet = new Wallet(hexlify(randomBytes(32)), ethers.provider as never);
      const patientId = await f.registerPatient(wallet);
      const start = (await now(ethers)) - DAY;
      const { policyId } = await f.insurer.bindPolicy(f.planId, patientId, start, start + YEAR);
      const cap = 400n * USD;
      await f.mintTo(f.relayer, cap);
      await f.escrow.connect(f.relayer).depositForPatient(patientId, cap);
      const nonceBefore = await f.client.nonce(patientId);

      const signed = await f.client.signAuthorizeProvider(wallet, policyId, f.providerOrg, cap);
      expect(signed.message.nonce).to.equal(nonceBefore);
      expect(signed.signer).to.equal(wallet.address);
      await f.client.relayAuthorizeProvider(new Relayer(f.relayer), signed);

      expect(await ethers.provider.getBalance(wallet.address)).to.equal(0n);
      expect(await f.client.authorizationOf(policyId, f.providerOrg)).to.equal(cap);
      expect(await f.client.nonce(patientId)).to.equal(nonceBefore + 1n);

      // Replayed: the nonce it covers is spent, so the recovered signer differs.
      const replay = await f.client.relayAuthorizeProvider(new Relayer(f.relayer), signed).catch((e: unknown) => e);
      expect(replay).to.be.instanceOf(MedChainContractError);
      expect((replay as MedChainContractError).errorName).to.equal("ClaimsInvalidSignature");
    });

    it("authorises directly from the patient's account", async function () {
      const f = await networkHelpers.loadFixture(claimsClientFixture);
      const cap = 100n * USD;
      await f.mintTo(f.patient, cap);
      await f.escrow.connect(f.patient).depositForPatient(f.patientId, cap);
      await f.client.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, cap);
      expect(await f.client.authorizationOf(f.policyId, f.providerOrg)).to.equal(cap);
    });
  });
});
