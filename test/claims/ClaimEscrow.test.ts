import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { network } from "hardhat";

import { AuthorizeProviderTypes, medchainDomain, WithdrawDepositTypes } from "../../src/eip712.ts";
import { claimId as claimIdTwin, procedureCodeHash, randomId, repeatClaimId } from "../../src/ids.ts";
import { Capabilities } from "../../src/roles.ts";
import type { BlocklistToken, ReentrantToken } from "../../typechain-types/index.ts";
import { type ClaimsEthers, defaultTerms, deployClaims, rule, USD } from "../helpers/claims.ts";
import { DAY, HOUR, now, randomHash, YEAR } from "../helpers/identity.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;
const E = ethers as unknown as ClaimsEthers;

const Status = { None: 0n, Pending: 1n, Denied: 2n, Paid: 3n, Owed: 4n, Voided: 5n };
const ReviewReason = { AboveThreshold: 0n, RepeatService: 1n, Appeal: 2n };
const FLAG_APPEALED = 1n;
const FLAG_RESERVED = 2n;
const FLAG_PATIENT_OWED = 4n;

/** An insurer's plan (80% code A, 100% code FULL, uncovered code X, preauth code P), a policy, 100k escrow. */
async function claimsFixture() {
  const f = await deployClaims(E);
  const plan = await f.createPlan(defaultTerms(), {
    A: rule(),
    FULL: rule({ rateBps: 10_000n, cap: 50_000n * USD }),
    X: rule({ covered: false }),
    P: rule({ preauthRequired: true }),
  });
  const policyId = await f.bindPolicy(plan.planId);
  await f.fund(100_000n * USD);
  return { ...f, plan, policyId };
}

async function feeTokenFixture() {
  return deployClaims(E, "FeeOnTransferToken");
}

async function noBoolTokenFixture() {
  return deployClaims(E, "NoBoolToken");
}

async function blocklistFixture() {
  const f = await deployClaims(E, "BlocklistToken");
  const plan = await f.createPlan(defaultTerms({ deductible: 0n }), { A: rule() });
  const policyId = await f.bindPolicy(plan.planId);
  await f.fund(10_000n * USD);
  return { ...f, token: f.token as unknown as BlocklistToken, plan, policyId };
}

async function reentrantFixture() {
  const f = await deployClaims(E, "ReentrantToken");
  const plan = await f.createPlan(defaultTerms({ deductible: 0n }), { A: rule() });
  const policyId = await f.bindPolicy(plan.planId);
  await f.fund(10_000n * USD);
  return { ...f, token: f.token as unknown as ReentrantToken, plan, policyId };
}

type F = Awaited<ReturnType<typeof claimsFixture>>;

/** Submits a claim of `amount` for code `code` under the fixture's policy. */
async function submitCode(f: F, code: string, amount: bigint, opts: Parameters<F["submit"]>[3] = {}) {
  return f.submit(f.policyId, f.plan.codes[code], amount, opts);
}

/** A claim under review (amount over the threshold). */
async function pendingClaim(f: F, amount = 2_000n * USD) {
  return submitCode(f, "A", amount);
}

async function signAuthorize(
  f: F,
  signer: HardhatEthersSigner,
  providerOrg: bigint,
  cap: bigint,
  nonce: bigint,
  deadline: bigint,
) {
  const domain = medchainDomain("ClaimEscrow", (await ethers.provider.getNetwork()).chainId, f.escrowAddress);
  return signer.signTypedData(domain, AuthorizeProviderTypes, {
    policyId: f.policyId,
    providerOrg,
    cap,
    nonce,
    deadline,
  });
}

async function signWithdraw(
  f: F,
  signer: HardhatEthersSigner,
  amount: bigint,
  to: string,
  nonce: bigint,
  deadline: bigint,
) {
  const domain = medchainDomain("ClaimEscrow", (await ethers.provider.getNetwork()).chainId, f.escrowAddress);
  return signer.signTypedData(domain, WithdrawDepositTypes, { patientId: f.patientId, amount, to, nonce, deadline });
}

/** Deposits `amount` for the fixture's patient and authorises the provider for `cap` under the policy. */
async function patientFunds(f: F, amount: bigint, cap: bigint = amount) {
  await f.mintTo(f.patient, amount);
  await f.escrow.connect(f.patient).depositForPatient(f.patientId, amount);
  await f.escrow.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, cap);
}

describe("ClaimEscrow", function () {
  describe("deployment and governance", function () {
    it("knows its token, registries and notice period", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      expect(await f.escrow.token()).to.equal(await f.token.getAddress());
      expect(await f.escrow.identity()).to.equal(await f.identity.getAddress());
      expect(await f.escrow.consent()).to.equal(await f.consent.getAddress());
      expect(await f.escrow.records()).to.equal(await f.records.getAddress());
      expect(await f.escrow.WITHDRAWAL_NOTICE()).to.equal(7n * DAY);
      expect(await f.escrow.REASON_NOT_COVERED()).to.equal(96n);
    });

    it("is paused by PAUSER only, unpaused by ADMIN only, and pause stops claims", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.connect(f.stranger).pause())
        .to.be.revertedWithCustomError(f.escrow, "AccessManagedUnauthorized")
        .withArgs(f.stranger.address);
      await expect(f.escrow.connect(f.pauser).pause()).to.emit(f.escrow, "Paused").withArgs(f.pauser.address);
      const record = await f.evidence();
      await expect(
        f.escrow
          .connect(f.providerOp)
          .submitClaim(f.policyId, f.plan.codes.A, randomHash(), 100n, (await now(ethers)) - DAY, record),
      ).to.be.revertedWithCustomError(f.escrow, "EnforcedPause");
      await expect(f.escrow.connect(f.pauser).unpause()).to.be.revertedWithCustomError(
        f.escrow,
        "AccessManagedUnauthorized",
      );
      await expect(f.escrow.connect(f.admin).unpause()).to.emit(f.escrow, "Unpaused").withArgs(f.admin.address);
    });

    it("lets a patient withdraw its deposit and change authorisations while paused", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await patientFunds(f, 100n * USD);
      await f.escrow.connect(f.pauser).pause();
      expect(await f.escrow.paused()).to.equal(true);
      // Revoking the authorisation gives the earmark back to the deposit.
      await expect(f.escrow.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, 0n))
        .to.emit(f.escrow, "ProviderAuthorized")
        .withArgs(f.policyId, f.providerOrg, 0n);
      await expect(f.escrow.connect(f.patient).withdrawPatientDeposit(f.patientId, 100n * USD, f.patient.address))
        .to.emit(f.escrow, "PatientDepositWithdrawn")
        .withArgs(f.patientId, f.patient.address, 100n * USD);
    });

    it("lets ADMIN sweep tokens sent directly, and only the surplus", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.sweepSurplus(f.admin.address)).to.be.revertedWithCustomError(f.escrow, "ClaimsNoSurplus");
      await f.token.mint(f.escrowAddress, 123n);
      await expect(f.escrow.connect(f.insurerOp).sweepSurplus(f.insurerOp.address))
        .to.be.revertedWithCustomError(f.escrow, "AccessManagedUnauthorized")
        .withArgs(f.insurerOp.address);
      await expect(f.escrow.sweepSurplus(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.escrow,
        "ClaimsZeroAddress",
      );
      await expect(f.escrow.sweepSurplus(f.admin.address))
        .to.emit(f.escrow, "SurplusSwept")
        .withArgs(f.admin.address, 123n);
      expect(await f.token.balanceOf(f.escrowAddress)).to.equal(await f.escrow.totalLiabilities());
    });
  });

  describe("createPlan", function () {
    it("creates a plan with its code rules and emits PlanCreated and CodeRuleSet", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const terms = defaultTerms({ deductible: 7n });
      const code = procedureCodeHash(randomHash(), "99213");
      const r = rule({ copay: 3n });
      const tx = f.escrow.connect(f.insurerOp).createPlan(terms, [code], [r]);
      await expect(tx).to.emit(f.escrow, "PlanCreated").withArgs(2n, f.insurerOrg, Object.values(terms));
      await expect(tx).to.emit(f.escrow, "CodeRuleSet").withArgs(2n, code, Object.values(r));
      const [storedTerms, insurerOrg, locked] = await f.escrow.getPlan(2n);
      expect(storedTerms.deductible).to.equal(7n);
      expect(insurerOrg).to.equal(f.insurerOrg);
      expect(locked).to.equal(false);
      expect((await f.escrow.getCodeRule(2n, code)).copay).to.equal(3n);
    });

    it("refuses a caller that is not an active insurer holding INSURE", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      for (const who of [f.providerOp, f.stranger]) {
        await expect(f.escrow.connect(who).createPlan(defaultTerms(), [], []))
          .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
          .withArgs(who.address);
      }
      await f.registerOrg("Insurer", Capabilities.BILL, f.insurer2Op);
      await expect(f.escrow.connect(f.insurer2Op).createPlan(defaultTerms(), [], []))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
        .withArgs(f.insurer2Op.address);
    });

    it("refuses zero review or timely-filing windows", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.connect(f.insurerOp).createPlan(defaultTerms({ reviewWindow: 0n }), [], []))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidWindows")
        .withArgs(0n, 90n * DAY);
      await expect(f.escrow.connect(f.insurerOp).createPlan(defaultTerms({ timelyFilingWindow: 0n }), [], []))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidWindows")
        .withArgs(14n * DAY, 0n);
    });

    it("refuses a rate above 10,000 bps and mismatched arrays", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const code = randomHash();
      await expect(f.escrow.connect(f.insurerOp).createPlan(defaultTerms(), [code], [rule({ rateBps: 10_001n })]))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidRate")
        .withArgs(code, 10_001n);
      await expect(f.escrow.connect(f.insurerOp).createPlan(defaultTerms(), [code, code], [rule()]))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsLengthMismatch")
        .withArgs(2n, 1n);
    });
  });

  describe("setCodeRules", function () {
    it("changes rules of an unbound plan, and refuses once a policy is bound", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { planId } = await f.createPlan(defaultTerms(), {});
      const code = randomHash();
      await expect(f.escrow.connect(f.insurerOp).setCodeRules(planId, [code], [rule({ rateBps: 5_000n })]))
        .to.emit(f.escrow, "CodeRuleSet")
        .withArgs(planId, code, Object.values(rule({ rateBps: 5_000n })));
      await f.bindPolicy(planId);
      expect((await f.escrow.getPlan(planId)).locked).to.equal(true);
      await expect(f.escrow.connect(f.insurerOp).setCodeRules(planId, [code], [rule()]))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsPlanLocked")
        .withArgs(planId);
    });

    it("refuses an unknown plan and another insurer's plan", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.connect(f.insurerOp).setCodeRules(99n, [], []))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPlan")
        .withArgs(99n);
      const other = await f.registerOrg("Insurer", Capabilities.INSURE, f.insurer2Op);
      await expect(f.escrow.connect(f.insurer2Op).setCodeRules(f.plan.planId, [], []))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsWrongOrganization")
        .withArgs(f.insurerOrg, other);
    });
  });

  describe("bindPolicy", function () {
    it("binds a patient without naming it in the event, and binds more policies to a locked plan", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const start = await now(ethers);
      const tx = f.escrow.connect(f.insurerOp).bindPolicy(f.plan.planId, f.patientId, start, start + YEAR);
      await expect(tx)
        .to.emit(f.escrow, "PolicyBound")
        .withArgs(2n, f.plan.planId, f.insurerOrg, start, start + YEAR);
      const receipt = await (await tx).wait();
      const idHex = f.patientId.toString(16);
      expect(JSON.stringify(receipt!.logs).toLowerCase()).to.not.include(idHex);
      const policy = await f.escrow.getPolicy(2n);
      expect(policy.patientId).to.equal(f.patientId);
      expect(policy.planId).to.equal(f.plan.planId);
    });

    it("refuses an unknown patient, an unknown plan and a bad period", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const start = await now(ethers);
      const stranger = randomId();
      await expect(f.escrow.connect(f.insurerOp).bindPolicy(f.plan.planId, stranger, start, start + YEAR))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPatient")
        .withArgs(stranger);
      await expect(f.escrow.connect(f.insurerOp).bindPolicy(42n, f.patientId, start, start + YEAR))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPlan")
        .withArgs(42n);
      await expect(f.escrow.connect(f.insurerOp).bindPolicy(f.plan.planId, f.patientId, start, start))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidPolicyPeriod")
        .withArgs(start, start);
      const tooLong = start + 256n * YEAR;
      await expect(f.escrow.connect(f.insurerOp).bindPolicy(f.plan.planId, f.patientId, start, tooLong))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidPolicyPeriod")
        .withArgs(start, tooLong);
    });
  });

  describe("preauthorize", function () {
    it("is needed for a code that requires it, covering the service date", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const code = f.plan.codes.P;
      const record = await f.evidence();
      const serviceDate = (await now(ethers)) - DAY;
      await expect(
        f.escrow.connect(f.providerOp).submitClaim(f.policyId, code, randomHash(), 100n, serviceDate, record),
      )
        .to.be.revertedWithCustomError(f.escrow, "ClaimsPreauthorizationRequired")
        .withArgs(f.policyId, f.providerOrg, code);
      const until = serviceDate + HOUR;
      await expect(f.escrow.connect(f.insurerOp).preauthorize(f.policyId, f.providerOrg, code, until))
        .to.emit(f.escrow, "PreauthorizationGranted")
        .withArgs(f.policyId, f.providerOrg, code, until);
      expect(await f.escrow.preauthorizationOf(f.policyId, f.providerOrg, code)).to.equal(until);
      const { claimId } = await f.submit(f.policyId, code, 100n * USD, { serviceDate, recordId: record });
      expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
    });

    it("refuses an unknown policy and another insurer", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.connect(f.insurerOp).preauthorize(77n, f.providerOrg, randomHash(), 1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPolicy")
        .withArgs(77n);
      const other = await f.registerOrg("Insurer", Capabilities.INSURE, f.insurer2Op);
      await expect(f.escrow.connect(f.insurer2Op).preauthorize(f.policyId, f.providerOrg, randomHash(), 1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsWrongOrganization")
        .withArgs(f.insurerOrg, other);
    });
  });

  describe("escrow", function () {
    it("takes deposits and counts them as liabilities", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await f.mintTo(f.insurerOp, 5n);
      await expect(f.escrow.connect(f.insurerOp).deposit(5n))
        .to.emit(f.escrow, "EscrowDeposited")
        .withArgs(f.insurerOrg, f.insurerOp.address, 5n);
      expect((await f.escrow.escrowOf(f.insurerOrg)).free).to.equal(100_000n * USD + 5n);
      expect(await f.escrow.totalLiabilities()).to.equal(100_000n * USD + 5n);
      await expect(f.escrow.connect(f.insurerOp).deposit(0n)).to.be.revertedWithCustomError(
        f.escrow,
        "ClaimsZeroAmount",
      );
      await expect(f.escrow.connect(f.providerOp).deposit(1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNotInsurer")
        .withArgs(f.providerOp.address);
    });

    it("refuses a fee-on-transfer token with a clear error", async function () {
      const f = await networkHelpers.loadFixture(feeTokenFixture);
      await f.mintTo(f.insurerOp, 1_000n);
      await expect(f.escrow.connect(f.insurerOp).deposit(1_000n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsFeeOnTransfer")
        .withArgs(1_000n, 990n);
    });

    it("handles a token that returns no bool, in and out", async function () {
      const f = await networkHelpers.loadFixture(noBoolTokenFixture);
      await f.fund(1_000n);
      await f.escrow.connect(f.insurerOp).requestWithdrawal(400n);
      await time.increase(7n * DAY);
      await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
        .to.emit(f.escrow, "WithdrawalExecuted")
        .withArgs(f.insurerOrg, f.insurerOp.address, 400n);
      expect(await f.token.balanceOf(f.insurerOp.address)).to.equal(400n);
    });

    it("withdraws free funds only after the notice, and never reserved ones", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await pendingClaim(f, 5_000n * USD); // reserves its benefit
      const reserved = (await f.escrow.escrowOf(f.insurerOrg)).reserved;
      expect(reserved).to.be.greaterThan(0n);
      const amount = 100_000n * USD;
      const tx = f.escrow.connect(f.insurerOp).requestWithdrawal(amount);
      const executableAt = (await now(ethers)) + 1n + 7n * DAY;
      await expect(tx)
        .to.emit(f.escrow, "WithdrawalRequested")
        .withArgs(f.insurerOrg, amount, executableAt, executableAt + 3n * DAY);
      expect((await f.escrow.pendingWithdrawal(f.insurerOrg)).amount).to.equal(amount);
      await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsWithdrawalNotReady")
        .withArgs(f.insurerOrg, executableAt);
      await time.increaseTo(executableAt);
      await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInsufficientEscrow")
        .withArgs(f.insurerOrg, amount - reserved, amount);
      await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.escrow,
        "ClaimsZeroAddress",
      );
      await f.escrow.connect(f.insurerOp).requestWithdrawal(amount - reserved);
      await time.increase(7n * DAY);
      await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
        .to.emit(f.escrow, "WithdrawalExecuted")
        .withArgs(f.insurerOrg, f.insurerOp.address, amount - reserved);
      expect(await f.token.balanceOf(f.escrowAddress)).to.equal(reserved);
    });

    it("cancels a pending withdrawal, and refuses with none pending", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.connect(f.insurerOp).cancelWithdrawal())
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNoWithdrawalPending")
        .withArgs(f.insurerOrg);
      await expect(f.escrow.connect(f.insurerOp).requestWithdrawal(0n)).to.be.revertedWithCustomError(
        f.escrow,
        "ClaimsZeroAmount",
      );
      await f.escrow.connect(f.insurerOp).requestWithdrawal(1n);
      await expect(f.escrow.connect(f.insurerOp).cancelWithdrawal())
        .to.emit(f.escrow, "WithdrawalCancelled")
        .withArgs(f.insurerOrg);
      await expect(f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNoWithdrawalPending")
        .withArgs(f.insurerOrg);
    });
  });

  describe("setPayoutAddress", function () {
    it("sets where a provider is paid; refuses non-providers and the zero address", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await expect(f.escrow.connect(f.providerOp).setPayoutAddress(f.stranger.address))
        .to.emit(f.escrow, "PayoutAddressSet")
        .withArgs(f.providerOrg, f.stranger.address);
      expect(await f.escrow.payoutAddressOf(f.providerOrg)).to.equal(f.stranger.address);
      await expect(f.escrow.connect(f.providerOp).setPayoutAddress(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.escrow,
        "ClaimsZeroAddress",
      );
      await expect(f.escrow.connect(f.insurerOp).setPayoutAddress(f.stranger.address))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNotProvider")
        .withArgs(f.insurerOp.address);
    });
  });

  describe("submitClaim", function () {
    it("adjudicates and pays a claim below the threshold in the same transaction", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const serviceDate = (await now(ethers)) - DAY;
      const lineRef = randomHash();
      const record = await f.evidence();
      const id = claimIdTwin(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate);
      const tx = f.escrow
        .connect(f.providerOp)
        .submitClaim(f.policyId, f.plan.codes.A, lineRef, 900n * USD, serviceDate, record);
      // 900: deductible 500, coinsurance base 400 at 80% = 320; patient 500 + 80 = 580.
      await expect(tx)
        .to.emit(f.escrow, "ClaimSubmitted")
        .withArgs(id, f.policyId, f.providerOrg, f.plan.codes.A, lineRef, serviceDate, [
          900n * USD,
          900n * USD,
          0n,
          500n * USD,
          320n * USD,
          580n * USD,
          0n,
        ]);
      await expect(tx)
        .to.emit(f.escrow, "ClaimSettled")
        .withArgs(id, 320n * USD, 320n * USD, 0n);
      await expect(tx).to.changeTokenBalances(ethers, f.token, [f.payout, f.escrowAddress], [320n * USD, -320n * USD]);
      const claim = await f.escrow.getClaim(id);
      expect(claim.status).to.equal(Status.Paid);
      expect(claim.flags).to.equal(FLAG_PATIENT_OWED);
      expect(claim.patientShare + claim.notCovered).to.equal(580n * USD);
      const acc = await f.escrow.accumulatorsOf(f.policyId, 0);
      expect([acc.deductibleMet, acc.outOfPocketPaid, acc.benefitUsed]).to.deep.equal([
        500n * USD,
        580n * USD,
        320n * USD,
      ]);
      expect(await f.token.balanceOf(f.escrowAddress)).to.equal(await f.escrow.totalLiabilities());
    });

    it("puts a claim at or above the threshold under review, reserving escrow and headroom", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const serviceDate = (await now(ethers)) - DAY;
      const lineRef = randomHash();
      const record = await f.evidence();
      const id = claimIdTwin(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate);
      const tx = f.escrow
        .connect(f.providerOp)
        .submitClaim(f.policyId, f.plan.codes.A, lineRef, 1_000n * USD, serviceDate, record);
      const deadline = (await now(ethers)) + 1n + 14n * DAY;
      // 1,000: deductible 500, base 500 at 80% = 400.
      await expect(tx).to.emit(f.escrow, "ClaimReviewOpened").withArgs(id, deadline, true, ReviewReason.AboveThreshold);
      await expect(tx).to.not.emit(f.escrow, "ClaimSettled");
      const claim = await f.escrow.getClaim(id);
      expect(claim.status).to.equal(Status.Pending);
      expect(claim.flags).to.equal(FLAG_RESERVED);
      expect(claim.reviewDeadline).to.equal(deadline);
      expect([claim.submitted, claim.benefit, claim.deductible, claim.patientShare, claim.notCovered]).to.deep.equal([
        1_000n * USD,
        400n * USD,
        500n * USD,
        600n * USD,
        0n,
      ]);
      expect((await f.escrow.escrowOf(f.insurerOrg)).reserved).to.equal(400n * USD);
      expect((await f.escrow.accumulatorsOf(f.policyId, 0)).benefitUsed).to.equal(400n * USD);
    });

    it("records an approved claim as owed when escrow is short, and pays it when funds arrive", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { planId, codes } = await f.createPlan(defaultTerms({ deductible: 0n }), { A: rule() });
      const policyId = await f.bindPolicy(planId);
      const insurer2 = await f.registerOrg("Insurer", Capabilities.INSURE, f.insurer2Op);
      // A second insurer's plan, unfunded.
      const p2 = await f.createPlan(defaultTerms({ deductible: 0n }), { A: rule() }, f.insurer2Op);
      const policy2 = await f.bindPolicy(p2.planId, f.patientId, f.insurer2Op);
      await f.consent.setAccess(f.patientId, insurer2, true);
      const { claimId, receipt } = await f.submit(policy2, p2.codes.A, 500n * USD);
      const settled = receipt.logs.map((l) => f.escrow.interface.parseLog(l)).find((l) => l?.name === "ClaimSettled");
      expect(settled!.args.benefitPaid).to.equal(0n);
      expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Owed);
      await expect(f.escrow.payOwed(claimId))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInsufficientEscrow")
        .withArgs(insurer2, 0n, 400n * USD);
      await f.fund(400n * USD, f.insurer2Op);
      await expect(f.escrow.connect(f.stranger).payOwed(claimId))
        .to.emit(f.escrow, "OwedBenefitPaid")
        .withArgs(claimId, 400n * USD);
      expect(await f.token.balanceOf(f.payout.address)).to.equal(400n * USD);
      await expect(f.escrow.payOwed(claimId))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(claimId, Status.Paid, Status.Paid);
      void codes;
      void policyId;
    });

    it("denies an uncovered code with reason 96, and it cannot be appealed", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const serviceDate = (await now(ethers)) - DAY;
      const lineRef = randomHash();
      const record = await f.evidence();
      const id = claimIdTwin(f.providerOrg, f.policyId, f.plan.codes.X, serviceDate);
      await expect(
        f.escrow.connect(f.providerOp).submitClaim(f.policyId, f.plan.codes.X, lineRef, 500n, serviceDate, record),
      )
        .to.emit(f.escrow, "ClaimDenied")
        .withArgs(id, 96n);
      expect((await f.escrow.getClaim(id)).status).to.equal(Status.Denied);
      await expect(f.escrow.connect(f.providerOp).appealClaim(id, f.plan.codes.X, lineRef, serviceDate))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsAlreadyAppealed")
        .withArgs(id);
      expect((await f.escrow.accumulatorsOf(f.policyId, 0)).deductibleMet).to.equal(0n);
    });

    it("sends a second line of the same service to review, and refuses the same repeat twice", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId, serviceDate, lineRef } = await submitCode(f, "A", 100n * USD);
      expect(claimId).to.equal(claimIdTwin(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate));
      const repeat = await submitCode(f, "A", 50n * USD, { serviceDate, lineRef });
      expect(repeat.claimId).to.equal(repeatClaimId(f.providerOrg, f.policyId, f.plan.codes.A, serviceDate, lineRef));
      expect((await f.escrow.getClaim(repeat.claimId)).status).to.equal(Status.Pending);
      await expect(submitCode(f, "A", 50n * USD, { serviceDate, lineRef }))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsDuplicate")
        .withArgs(repeat.claimId);
    });

    it("refuses unknown policies and services outside the policy, in the future or filed late", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const t = await now(ethers);
      const record = await f.evidence();
      const code = f.plan.codes.A;
      const submit = (policyId: bigint, serviceDate: bigint) =>
        f.escrow.connect(f.providerOp).submitClaim(policyId, code, randomHash(), 100n, serviceDate, record);
      await expect(submit(9n, t)).to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPolicy").withArgs(9n);
      const policy = await f.escrow.getPolicy(f.policyId);
      await expect(submit(f.policyId, policy.start - 1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsServiceOutsidePolicy")
        .withArgs(f.policyId, policy.start - 1n);
      await expect(submit(f.policyId, policy.end))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsServiceOutsidePolicy")
        .withArgs(f.policyId, policy.end);
      await expect(submit(f.policyId, t + DAY))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsServiceInFuture")
        .withArgs(t + DAY, anyValue);
      await time.increase(90n * DAY);
      await expect(submit(f.policyId, policy.start))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsFilingWindowClosed")
        .withArgs(policy.start, policy.start + 90n * DAY);
    });

    it("needs the BILL capability, a payout address, PAYMENT consent and live evidence of that patient", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const t = (await now(ethers)) - DAY;
      const record = await f.evidence();
      const code = f.plan.codes.A;
      await expect(f.escrow.connect(f.stranger).submitClaim(f.policyId, code, randomHash(), 1n, t, record))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNotProvider")
        .withArgs(f.stranger.address);
      const org2 = await f.registerOrg("Pharmacy", Capabilities.BILL, f.provider2Op);
      await expect(f.escrow.connect(f.provider2Op).submitClaim(f.policyId, code, randomHash(), 1n, t, record))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNoPayoutAddress")
        .withArgs(org2);
      await f.consent.setAccess(f.patientId, f.insurerOrg, false);
      await expect(f.escrow.connect(f.providerOp).submitClaim(f.policyId, code, randomHash(), 1n, t, record))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNoPaymentConsent")
        .withArgs(f.policyId);
      await f.consent.setAccess(f.patientId, f.insurerOrg, true);
      const otherPatientRecord = await f.evidence(randomId());
      await expect(
        f.escrow.connect(f.providerOp).submitClaim(f.policyId, code, randomHash(), 1n, t, otherPatientRecord),
      )
        .to.be.revertedWithCustomError(f.escrow, "ClaimsEvidenceNotLive")
        .withArgs(otherPatientRecord);
      await f.records.setRecord(record, f.patientId, f.providerOrg, 0, false);
      await expect(f.escrow.connect(f.providerOp).submitClaim(f.policyId, code, randomHash(), 1n, t, record))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsEvidenceNotLive")
        .withArgs(record);
    });

    it("books claims of a later policy year in that year's accumulators", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const start = (await now(ethers)) - 30n * DAY;
      await f.escrow.connect(f.insurerOp).bindPolicy(f.plan.planId, f.patientId, start, start + 2n * YEAR);
      const policyId = 2n;
      await time.increase(340n * DAY); // the policy began 30 days ago: this is its second year
      const { claimId } = await f.submit(policyId, f.plan.codes.A, 600n * USD);
      expect((await f.escrow.getClaim(claimId)).year).to.equal(1n);
      expect((await f.escrow.accumulatorsOf(policyId, 1)).deductibleMet).to.equal(500n * USD);
      expect((await f.escrow.accumulatorsOf(policyId, 0)).deductibleMet).to.equal(0n);
    });
  });

  describe("patient share", function () {
    it("is paid from the patient's deposit in the same settlement, within the provider's cap", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await patientFunds(f, 1_000n * USD, 600n * USD);
      const { claimId, receipt } = await submitCode(f, "A", 900n * USD);
      const settled = receipt.logs.map((l) => f.escrow.interface.parseLog(l)).find((l) => l?.name === "ClaimSettled");
      expect(settled!.args.patientPaid).to.equal(580n * USD);
      expect(await f.token.balanceOf(f.payout.address)).to.equal(900n * USD);
      expect(await f.escrow.patientDepositOf(f.patientId)).to.equal(400n * USD);
      expect(await f.escrow.authorizationOf(f.policyId, f.providerOrg)).to.equal(20n * USD);
      expect((await f.escrow.getClaim(claimId)).flags).to.equal(0n);
    });

    it("is recorded as owed without a cap, and collected later by anyone", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await submitCode(f, "A", 900n * USD);
      await expect(f.escrow.collectPatientShare(claimId))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsPatientShareUnavailable")
        .withArgs(claimId, 580n * USD);
      await patientFunds(f, 580n * USD);
      await expect(f.escrow.connect(f.stranger).collectPatientShare(claimId))
        .to.emit(f.escrow, "PatientShareCollected")
        .withArgs(claimId, 580n * USD);
      await expect(f.escrow.collectPatientShare(claimId))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNoPatientShareOwed")
        .withArgs(claimId);
      expect(await f.token.balanceOf(f.payout.address)).to.equal(900n * USD);
    });

    it("refuses a deposit for an unknown patient", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const unknown = randomId();
      await f.mintTo(f.stranger, 1n);
      await expect(f.escrow.connect(f.stranger).depositForPatient(unknown, 1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPatient")
        .withArgs(unknown);
      await expect(f.escrow.connect(f.stranger).depositForPatient(f.patientId, 1n))
        .to.emit(f.escrow, "PatientDeposited")
        .withArgs(f.patientId, f.stranger.address, 1n);
    });
  });

  describe("review", function () {
    it("approves at the rule amount and pays the provider", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await pendingClaim(f);
      // 2,000: deductible 500, base 1,500 at 80% = 1,200; patient 800.
      const tx = f.escrow.connect(f.insurerOp).approveClaim(claimId, 1_200n * USD);
      await expect(tx)
        .to.emit(f.escrow, "ClaimApproved")
        .withArgs(claimId, 1_200n * USD, 1_200n * USD, false);
      await expect(tx)
        .to.emit(f.escrow, "ClaimSettled")
        .withArgs(claimId, 1_200n * USD, 1_200n * USD, 0n);
      await expect(tx).to.changeTokenBalance(ethers, f.token, f.payout, 1_200n * USD);
      expect((await f.escrow.escrowOf(f.insurerOrg)).reserved).to.equal(0n);
      expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
    });

    it("approves less than the rule amount as the provider's write-off, freeing headroom and escrow", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await pendingClaim(f);
      await patientFunds(f, 800n * USD);
      const tx = f.escrow.connect(f.insurerOp).approveClaim(claimId, 1_000n * USD);
      await expect(tx)
        .to.emit(f.escrow, "ClaimApproved")
        .withArgs(claimId, 1_000n * USD, 1_200n * USD, false);
      await expect(tx).to.changeTokenBalance(ethers, f.token, f.payout, 1_800n * USD);
      expect((await f.escrow.accumulatorsOf(f.policyId, 0)).benefitUsed).to.equal(1_000n * USD);
      expect((await f.escrow.escrowOf(f.insurerOrg)).free).to.equal(99_000n * USD);
    });

    it("never approves more than the rules allow", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await pendingClaim(f);
      await expect(f.escrow.connect(f.insurerOp).approveClaim(claimId, 1_200n * USD + 1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsApprovalExceedsRules")
        .withArgs(claimId, 1_200n * USD + 1n, 1_200n * USD);
    });

    it("lets only the policy's insurer decide, only in the window, only pending claims", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await pendingClaim(f);
      const other = await f.registerOrg("Insurer", Capabilities.INSURE, f.insurer2Op);
      await expect(f.escrow.connect(f.insurer2Op).approveClaim(claimId, 1n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsWrongOrganization")
        .withArgs(f.insurerOrg, other);
      const deadline = (await f.escrow.getClaim(claimId)).reviewDeadline;
      await time.increaseTo(deadline + 1n);
      await expect(f.escrow.connect(f.insurerOp).denyClaim(claimId, 50))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsReviewWindowClosed")
        .withArgs(claimId, deadline);
      const { claimId: paid } = await submitCode(f, "A", 10n * USD);
      await expect(f.escrow.connect(f.insurerOp).approveClaim(paid, 0n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(paid, Status.Paid, Status.Paid);
    });

    it("denies with a reason code, releasing the reserved escrow and headroom", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await pendingClaim(f);
      await expect(f.escrow.connect(f.insurerOp).denyClaim(claimId, 50))
        .to.emit(f.escrow, "ClaimDenied")
        .withArgs(claimId, 50);
      const acc = await f.escrow.accumulatorsOf(f.policyId, 0);
      expect([acc.deductibleMet, acc.outOfPocketPaid, acc.benefitUsed]).to.deep.equal([0n, 0n, 0n]);
      expect(await f.escrow.escrowOf(f.insurerOrg)).to.deep.equal([100_000n * USD, 0n]);
      const claim = await f.escrow.getClaim(claimId);
      expect(claim.status).to.equal(Status.Denied);
      expect(claim.flags).to.equal(0n);
    });

    it("lets the provider appeal a denial once, re-adjudicated against today's accumulators", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId, serviceDate, lineRef } = await pendingClaim(f);
      await f.escrow.connect(f.insurerOp).denyClaim(claimId, 50);
      await submitCode(f, "A", 500n * USD); // meets the deductible meanwhile
      const tx = f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate);
      const deadline = (await now(ethers)) + 1n + 14n * DAY;
      // Re-adjudicated: the deductible is met now, so 2,000 at 80% = 1,600.
      await expect(tx)
        .to.emit(f.escrow, "ClaimAppealed")
        .withArgs(claimId, [2_000n * USD, 2_000n * USD, 0n, 0n, 1_600n * USD, 400n * USD, 0n]);
      await expect(tx).to.emit(f.escrow, "ClaimReviewOpened").withArgs(claimId, deadline, true, ReviewReason.Appeal);
      const claim = await f.escrow.getClaim(claimId);
      expect(claim.status).to.equal(Status.Pending);
      expect(claim.flags).to.equal(FLAG_APPEALED | FLAG_RESERVED);
      await f.escrow.connect(f.insurerOp).denyClaim(claimId, 51);
      await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsAlreadyAppealed")
        .withArgs(claimId);
    });

    it("emits ClaimAppealed and refuses appeals of other providers, wrong inputs or undenied claims", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId, serviceDate, lineRef } = await pendingClaim(f);
      await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(claimId, Status.Pending, Status.Pending);
      await f.escrow.connect(f.insurerOp).denyClaim(claimId, 50);
      await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.FULL, lineRef, serviceDate))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsClaimMismatch")
        .withArgs(claimId);
      const org2 = await f.registerOrg("Provider", Capabilities.BILL, f.provider2Op);
      // The id carries the provider: another provider's appeal does not hash to it.
      await expect(f.escrow.connect(f.provider2Op).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsClaimMismatch")
        .withArgs(claimId);
      void org2;
      await expect(f.escrow.connect(f.providerOp).appealClaim(claimId, f.plan.codes.A, lineRef, serviceDate))
        .to.emit(f.escrow, "ClaimAppealed")
        .withArgs(claimId, [2_000n * USD, 2_000n * USD, 0n, 500n * USD, 1_200n * USD, 800n * USD, 0n]);
    });

    it("settles at the rule amount once the window has passed (prompt pay)", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await pendingClaim(f);
      const deadline = (await f.escrow.getClaim(claimId)).reviewDeadline;
      await expect(f.escrow.connect(f.providerOp).settleClaim(claimId))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsReviewWindowOpen")
        .withArgs(claimId, deadline);
      await time.increaseTo(deadline + 1n);
      const tx = f.escrow.connect(f.providerOp).settleClaim(claimId);
      await expect(tx)
        .to.emit(f.escrow, "ClaimApproved")
        .withArgs(claimId, 1_200n * USD, 1_200n * USD, true);
      await expect(tx).to.changeTokenBalance(ethers, f.token, f.payout, 1_200n * USD);
      await expect(f.escrow.settleClaim(claimId))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(claimId, Status.Paid, Status.Paid);
    });

    it("reviews a claim without reservation when escrow is short, and owes it if still short", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await f.escrow.connect(f.insurerOp).requestWithdrawal(100_000n * USD);
      await time.increase(7n * DAY);
      await f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address);
      const { claimId } = await pendingClaim(f);
      expect((await f.escrow.getClaim(claimId)).flags).to.equal(0n);
      await f.escrow.connect(f.insurerOp).approveClaim(claimId, 1_200n * USD);
      expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Owed);
      const { claimId: second } = await pendingClaim(f);
      await f.fund(1_200n * USD);
      await f.escrow.connect(f.insurerOp).approveClaim(second, 1_200n * USD);
      expect((await f.escrow.getClaim(second)).status).to.equal(Status.Paid);
    });

    it("pays nothing from escrow for a zero benefit", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId } = await submitCode(f, "A", 300n * USD); // all deductible
      expect((await f.escrow.getClaim(claimId)).benefit).to.equal(0n);
      expect((await f.escrow.escrowOf(f.insurerOrg)).free).to.equal(100_000n * USD);
    });
  });

  describe("voidClaim and replaceClaim", function () {
    it("voids a claim under review, releasing what it held, and frees its key", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId, serviceDate, lineRef } = await pendingClaim(f);
      await expect(f.escrow.connect(f.providerOp).voidClaim(claimId))
        .to.emit(f.escrow, "ClaimVoided")
        .withArgs(claimId);
      expect(await f.escrow.escrowOf(f.insurerOrg)).to.deep.equal([100_000n * USD, 0n]);
      expect((await f.escrow.accumulatorsOf(f.policyId, 0)).benefitUsed).to.equal(0n);
      const again = await submitCode(f, "A", 100n * USD, { serviceDate, lineRef });
      expect(again.claimId).to.equal(claimId);
      expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
    });

    it("refuses voiding a settled, denied or owed claim, or another provider's", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId: paid } = await submitCode(f, "A", 100n * USD);
      await expect(f.escrow.connect(f.providerOp).voidClaim(paid))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(paid, Status.Paid, Status.Voided);
      const { claimId: denied } = await pendingClaim(f);
      await f.escrow.connect(f.insurerOp).denyClaim(denied, 1);
      await expect(f.escrow.connect(f.providerOp).voidClaim(denied))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(denied, Status.Denied, Status.Voided);
      const org2 = await f.registerOrg("Provider", Capabilities.BILL, f.provider2Op);
      await expect(f.escrow.connect(f.provider2Op).voidClaim(paid))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsWrongOrganization")
        .withArgs(f.providerOrg, org2);
      // An owed claim: drain escrow, then approve.
      const { claimId: pending } = await pendingClaim(f);
      await f.escrow.connect(f.insurerOp).requestWithdrawal((await f.escrow.escrowOf(f.insurerOrg)).free);
      await time.increase(7n * DAY);
      await f.escrow.connect(f.insurerOp).executeWithdrawal(f.insurerOp.address);
      const { claimId: owed } = await submitCode(f, "FULL", 10n * USD);
      expect((await f.escrow.getClaim(owed)).status).to.equal(Status.Owed);
      await expect(f.escrow.connect(f.providerOp).voidClaim(owed))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidTransition")
        .withArgs(owed, Status.Owed, Status.Voided);
      void pending;
    });

    it("replaces a claim under review with a corrected one in one transaction", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const { claimId, serviceDate, lineRef } = await pendingClaim(f);
      const record = await f.evidence();
      const input = {
        policyId: f.policyId,
        codeHash: f.plan.codes.A,
        lineRef,
        amount: 700n * USD,
        serviceDate,
        evidenceRecordId: record,
      };
      const tx = f.escrow.connect(f.providerOp).replaceClaim(claimId, input);
      await expect(tx).to.emit(f.escrow, "ClaimVoided").withArgs(claimId);
      await expect(tx)
        .to.emit(f.escrow, "ClaimSubmitted")
        .withArgs(claimId, f.policyId, f.providerOrg, f.plan.codes.A, lineRef, serviceDate, anyValue);
      await expect(tx).to.emit(f.escrow, "ClaimSettled");
    });
  });

  describe("credits", function () {
    it("turns a failed push into a credit the payee withdraws elsewhere", async function () {
      const f = await networkHelpers.loadFixture(blocklistFixture);
      await f.token.setBlocked(f.payout.address, true);
      const { claimId } = await f.submit(f.policyId, f.plan.codes.A, 100n * USD);
      const receipt = (await f.escrow.queryFilter(f.escrow.filters.PaymentCredited()))[0];
      expect(receipt.args.payee).to.equal(f.payout.address);
      expect(receipt.args.amount).to.equal(80n * USD);
      expect(await f.escrow.creditOf(f.payout.address)).to.equal(80n * USD);
      expect((await f.escrow.getClaim(claimId)).status).to.equal(Status.Paid);
      expect(await f.token.balanceOf(f.escrowAddress)).to.equal(await f.escrow.totalLiabilities());
      await expect(f.escrow.connect(f.payout).withdrawCredit(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        f.escrow,
        "ClaimsZeroAddress",
      );
      await expect(f.escrow.connect(f.payout).withdrawCredit(f.stranger.address))
        .to.emit(f.escrow, "CreditWithdrawn")
        .withArgs(f.payout.address, f.stranger.address, 80n * USD);
      await expect(f.escrow.connect(f.payout).withdrawCredit(f.stranger.address))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNoCredit")
        .withArgs(f.payout.address);
    });
  });

  describe("reentrancy", function () {
    it("blocks a token calling back into the escrow during a payment", async function () {
      const f = await networkHelpers.loadFixture(reentrantFixture);
      const { claimId } = await f.submit(f.policyId, f.plan.codes.A, 10n * USD);
      // Arm the token: on the next transfer it tries to re-enter payOwed / withdrawCredit.
      await f.token.arm(f.escrowAddress, f.escrow.interface.encodeFunctionData("withdrawCredit", [f.stranger.address]));
      await f.submit(f.policyId, f.plan.codes.A, 10n * USD);
      expect(await f.token.attempted()).to.equal(true);
      expect(await f.token.lastSucceeded()).to.equal(false);
      const selector = f.escrow.interface.getError("ReentrancyGuardReentrantCall")!.selector;
      expect(await f.token.lastReturn()).to.equal(selector);
      expect(await f.token.balanceOf(f.payout.address)).to.equal(16n * USD);
      expect(await f.token.balanceOf(f.escrowAddress)).to.equal(await f.escrow.totalLiabilities());
      void claimId;
    });
  });

  describe("patient actions", function () {
    it("authorizeProvider sets aside a cap from the deposit and consumes a nonce; strangers are refused", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await f.mintTo(f.patient, 10n);
      await f.escrow.connect(f.patient).depositForPatient(f.patientId, 10n);
      await expect(f.escrow.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, 11n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInsufficientDeposit")
        .withArgs(f.patientId, 10n, 11n);
      await expect(f.escrow.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, 6n))
        .to.emit(f.escrow, "ProviderAuthorized")
        .withArgs(f.policyId, f.providerOrg, 6n);
      expect(await f.escrow.nonces(f.patientId)).to.equal(1n);
      expect(await f.escrow.patientDepositOf(f.patientId)).to.equal(4n);
      await f.escrow.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, 2n);
      expect(await f.escrow.patientDepositOf(f.patientId)).to.equal(8n);
      expect(await f.escrow.authorizationOf(f.policyId, f.providerOrg)).to.equal(2n);
      expect(await f.escrow.totalLiabilities()).to.equal(100_000n * USD + 10n);
      await expect(f.escrow.connect(f.stranger).authorizeProvider(f.policyId, f.providerOrg, 0n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNotAuthorizedForPatient")
        .withArgs(f.stranger.address, f.patientId);
      await expect(f.escrow.connect(f.patient).authorizeProvider(999n, f.providerOrg, 0n))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsUnknownPolicy")
        .withArgs(999n);
    });

    it("authorizeProviderWithSig is relayed by anyone; a replayed, expired or wrong signature fails", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await signAuthorize(f, f.patient, f.providerOrg, 0n, 0n, deadline);
      await expect(
        f.escrow
          .connect(f.relayer)
          .authorizeProviderWithSig(f.policyId, f.providerOrg, 0n, f.patient.address, deadline, sig),
      )
        .to.emit(f.escrow, "ProviderAuthorized")
        .withArgs(f.policyId, f.providerOrg, 0n);
      await expect(
        f.escrow
          .connect(f.relayer)
          .authorizeProviderWithSig(f.policyId, f.providerOrg, 0n, f.patient.address, deadline, sig),
      )
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidSignature")
        .withArgs(f.patient.address);
      const past = (await now(ethers)) - 1n;
      const old = await signAuthorize(f, f.patient, f.providerOrg, 0n, 1n, past);
      await expect(f.escrow.authorizeProviderWithSig(f.policyId, f.providerOrg, 0n, f.patient.address, past, old))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsExpiredSignature")
        .withArgs(past, anyValue);
      const bySomeoneElse = await signAuthorize(f, f.stranger, f.providerOrg, 0n, 1n, deadline);
      await expect(
        f.escrow.authorizeProviderWithSig(f.policyId, f.providerOrg, 0n, f.stranger.address, deadline, bySomeoneElse),
      )
        .to.be.revertedWithCustomError(f.escrow, "ClaimsNotAuthorizedForPatient")
        .withArgs(f.stranger.address, f.patientId);
    });

    it("a direct action kills a signed one not yet relayed", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      const deadline = (await now(ethers)) + HOUR;
      const sig = await signAuthorize(f, f.patient, f.providerOrg, 0n, 0n, deadline);
      await f.escrow.connect(f.patient).authorizeProvider(f.policyId, f.providerOrg, 0n);
      await expect(f.escrow.authorizeProviderWithSig(f.policyId, f.providerOrg, 0n, f.patient.address, deadline, sig))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInvalidSignature")
        .withArgs(f.patient.address);
    });

    it("withdraws the deposit directly or by signature, never more than it holds", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      await patientFunds(f, 100n, 0n); // nonce 0 used by authorizeProvider
      await expect(f.escrow.connect(f.patient).withdrawPatientDeposit(f.patientId, 101n, f.patient.address))
        .to.be.revertedWithCustomError(f.escrow, "ClaimsInsufficientDeposit")
        .withArgs(f.patientId, 100n, 101n);
      await expect(
        f.escrow.connect(f.patient).withdrawPatientDeposit(f.patientId, 0n, f.patient.address),
      ).to.be.revertedWithCustomError(f.escrow, "ClaimsZeroAmount");
      await expect(
        f.escrow.connect(f.patient).withdrawPatientDeposit(f.patientId, 1n, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(f.escrow, "ClaimsZeroAddress");
      const deadline = (await now(ethers)) + HOUR;
      const sig = await signWithdraw(f, f.patient, 60n, f.guardian.address, 1n, deadline);
      await expect(
        f.escrow
          .connect(f.relayer)
          .withdrawPatientDepositWithSig(f.patientId, 60n, f.guardian.address, f.patient.address, deadline, sig),
      )
        .to.emit(f.escrow, "PatientDepositWithdrawn")
        .withArgs(f.patientId, f.guardian.address, 60n);
      expect(await f.token.balanceOf(f.guardian.address)).to.equal(60n);
      expect(await f.escrow.patientDepositOf(f.patientId)).to.equal(40n);
      expect(await f.escrow.nonces(f.patientId)).to.equal(2n);
    });
  });

  describe("attack tokens", function () {
    it("reports no surplus on a balance equal to liabilities", async function () {
      const f = await networkHelpers.loadFixture(claimsFixture);
      expect(await f.token.balanceOf(f.escrowAddress)).to.equal(await f.escrow.totalLiabilities());
    });
  });
});
