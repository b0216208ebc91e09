/**
 * Gas of every state-changing operation of the ClaimEscrow on the real system (the ConsentManager holds
 * the patient's PAYMENT grant to the insurer, the RecordRegistry the claim's evidence), in the worst case
 * issue 6 names: fresh storage for the claim and the policy year's accumulators (a new policy per
 * measurement), the provider's first token balance (a new payout address per measurement), the escrow's
 * own token balance already non-zero, the patient's nonce already non-zero.
 *
 *   npx hardhat run scripts/bench/claims.ts
 */
import type { Wallet } from "ethers";

import { AuthorizeProviderTypes, WithdrawDepositTypes } from "../../src/eip712.ts";
import { claimId as claimIdOf, procedureCodeHash } from "../../src/ids.ts";
import { Capabilities } from "../../src/roles.ts";
import { Action, Category, categoryIndex, Purpose } from "../../src/scopes.ts";
import type { BlocklistToken, ClaimEscrow } from "../../typechain-types/index.ts";
import { type BenchSystem, DAY, DEADLINE, deploySystem, FAR, Seq, START, YEAR } from "./system.ts";
import { type BenchRow, isMain, type Measure, mined, printRows } from "./types.ts";

const USD = 1_000_000n; // 6 decimals

const TERMS = {
  deductible: 500n * USD,
  outOfPocketMax: 3_000n * USD,
  annualLimit: 100_000n * USD,
  autoApproveThreshold: 1_000n * USD,
  reviewWindow: 14n * DAY,
  timelyFilingWindow: 90n * DAY,
};
const RULE = { rateBps: 8_000n, cap: 5_000n * USD, copay: 0n, preauthRequired: false, covered: true };

/** The policy period of every bench policy, and the service date of every claim. */
const POLICY_START = START.claims - 30n * DAY;
const SERVICE_DATE = START.claims - DAY;

export async function benchClaims(sys: BenchSystem): Promise<Measure> {
  const { claims: escrow, token, consent, records, identity, manager, admin, pauser, relayer } = sys;
  const s = new Seq("claims");
  const C = Capabilities;
  const escrowAddress = await escrow.getAddress();
  const insurerOp = await sys.account(s);
  const insurer2Op = await sys.account(s);
  const insurer3Op = await sys.account(s);
  const providerOp = await sys.account(s);
  const pat = await sys.account(s);
  const insurer = await sys.registerOrg("Insurer", C.INSURE, insurerOp.address, s);
  await sys.registerOrg("Insurer", C.INSURE, insurer2Op.address, s);
  const insurer3 = await sys.registerOrg("Insurer", C.INSURE, insurer3Op.address, s);
  const provider = await sys.registerOrg("Provider", C.BILL | C.WRITE_RECORDS, providerOp.address, s);
  const patientId = await sys.registerPatient(pat.address, s);
  const domain = await sys.domainOf("ClaimEscrow", escrow);

  // The patient's consents: PAYMENT to each insurer, WRITE of CONDITIONS to the provider (its evidence).
  for (const org of [insurer, insurer3]) {
    await mined(consent.connect(pat).grant(patientId, org, Category.BILLING, Action.READ, Purpose.PAYMENT, 0, FAR));
  }
  await mined(
    consent
      .connect(pat)
      .grant(patientId, provider, Category.CONDITIONS, Action.READ | Action.WRITE, Purpose.TREATMENT, 0, FAR),
  );

  async function mintTo(who: Wallet, amount: bigint, to: string = escrowAddress) {
    await mined(token.mint(who.address, amount));
    await mined(token.connect(who).approve(to, amount));
  }

  /** A plan of one code (salted per plan) by `op`; returns its id and the code's hash. */
  async function plan(op: Wallet = insurerOp, e: ClaimEscrow = escrow) {
    const code = procedureCodeHash(s.hash(), "99213");
    const planId = await e.connect(op).createPlan.staticCall(TERMS, [code], [RULE]);
    await mined(e.connect(op).createPlan(TERMS, [code], [RULE]));
    return { planId, code };
  }

  async function bind(planId: bigint, op: Wallet = insurerOp, e: ClaimEscrow = escrow): Promise<bigint> {
    const policyId = await e.connect(op).bindPolicy.staticCall(planId, patientId, POLICY_START, POLICY_START + YEAR);
    await mined(e.connect(op).bindPolicy(planId, patientId, POLICY_START, POLICY_START + YEAR));
    return policyId;
  }

  /** A live record of the patient, anchored by the provider: a claim's evidence. */
  async function evidence(): Promise<string> {
    const recordId = s.hash();
    await mined(
      records.connect(providerOp).anchor(recordId, patientId, categoryIndex("CONDITIONS"), s.hash(), s.hash()),
    );
    return recordId;
  }

  /** The provider's claim; returns its id and the transaction. */
  async function submit(policyId: bigint, code: string, amount: bigint, e: ClaimEscrow = escrow) {
    const lineRef = s.hash();
    const recordId = await evidence();
    const claimId = claimIdOf(provider, policyId, code, SERVICE_DATE); // a first line (fresh policies)
    const tx = e.connect(providerOp).submitClaim(policyId, code, lineRef, amount, SERVICE_DATE, recordId);
    return { claimId, lineRef, tx };
  }

  // The escrow's balance is non-zero; the patient's nonce here is non-zero.
  const main = await plan();
  await mintTo(insurerOp, 10_000_000n * USD);
  await mined(escrow.connect(insurerOp).deposit(1_000_000n * USD));
  await mintTo(insurer2Op, 20_000n * USD);
  await mintTo(pat, 1_000_000n * USD);
  const policy0 = await bind(main.planId);
  await mined(escrow.connect(pat).authorizeProvider(policy0, provider, 0));

  return async () => {
    await sys.setTime(START.claims);
    const rows: BenchRow[] = [];
    const m = async (...args: Parameters<BenchSystem["measure"]>) => rows.push(await sys.measure(...args));
    const nonce = () => escrow.nonces(patientId);
    /** A fresh policy of the main plan (fresh accumulators) and a fresh payout address (a first balance). */
    async function fresh(): Promise<bigint> {
      await mined(escrow.connect(providerOp).setPayoutAddress(s.address()));
      return bind(main.planId);
    }

    // Plans and policies.
    const code = procedureCodeHash(s.hash(), "99214");
    await m("ClaimEscrow.createPlan (1 code)", escrow.connect(insurerOp).createPlan(TERMS, [code], [RULE]), {
      note: "each further code adds its rule's slot",
    });
    const unbound = await plan();
    await m(
      "ClaimEscrow.setCodeRules (1 code)",
      escrow.connect(insurerOp).setCodeRules(unbound.planId, [procedureCodeHash(s.hash(), "99215")], [RULE]),
    );
    await m(
      "ClaimEscrow.bindPolicy",
      escrow.connect(insurerOp).bindPolicy(main.planId, patientId, POLICY_START, POLICY_START + YEAR),
    );
    const policyP = await bind(main.planId);
    await m(
      "ClaimEscrow.preauthorize",
      escrow.connect(insurerOp).preauthorize(policyP, provider, main.code, Number(FAR)),
    );

    // Money in.
    await m("ClaimEscrow.deposit", escrow.connect(insurer2Op).deposit(10_000n * USD), {
      goal: 100_000n,
      note: "an insurer's first deposit",
    });
    await m("ClaimEscrow.depositForPatient", escrow.connect(pat).depositForPatient(patientId, 10_000n * USD), {
      note: "the patient's first deposit",
    });
    await m("ClaimEscrow.setPayoutAddress", escrow.connect(providerOp).setPayoutAddress(s.address()), {
      note: "by the provider",
    });

    // Claims paid at once.
    const owedPolicy = await fresh();
    const owedShare = await submit(owedPolicy, main.code, 900n * USD);
    await m("ClaimEscrow.submitClaim → adjudicate → pay (share owed)", owedShare.tx, {
      goal: 170_000n,
      note: "the patient's share recorded as owed",
    });
    let policyId = await fresh();
    await mined(escrow.connect(pat).authorizeProvider(policyId, provider, 1_000n * USD));
    await m(
      "ClaimEscrow.submitClaim → adjudicate → pay (share paid)",
      (await submit(policyId, main.code, 900n * USD)).tx,
      {
        goal: 170_000n,
        note: "the patient's share paid from its deposit too",
      },
    );

    // Claims under review.
    policyId = await fresh();
    await mined(escrow.connect(pat).authorizeProvider(policyId, provider, 1_000n * USD));
    const review = await submit(policyId, main.code, 2_000n * USD);
    await m("ClaimEscrow.submitClaim → review", review.tx, { goal: 140_000n, note: "escrow reserved" });
    await mined(escrow.connect(providerOp).setPayoutAddress(s.address()));
    await m(
      "ClaimEscrow.approveClaim → pay (share paid)",
      escrow.connect(insurerOp).approveClaim(review.claimId, 1_200n * USD),
      {
        goal: 100_000n,
        note: "the patient's share paid from its deposit",
      },
    );
    policyId = await fresh();
    const review2 = await submit(policyId, main.code, 2_000n * USD);
    await mined(review2.tx);
    await mined(escrow.connect(providerOp).setPayoutAddress(s.address()));
    await m(
      "ClaimEscrow.approveClaim → pay (share owed)",
      escrow.connect(insurerOp).approveClaim(review2.claimId, 1_200n * USD),
      {
        goal: 100_000n,
        note: "the patient's share recorded as owed",
      },
    );
    policyId = await fresh();
    const denied = await submit(policyId, main.code, 2_000n * USD);
    await mined(denied.tx);
    await m("ClaimEscrow.denyClaim", escrow.connect(insurerOp).denyClaim(denied.claimId, 50));
    await m(
      "ClaimEscrow.appealClaim → review",
      escrow.connect(providerOp).appealClaim(denied.claimId, main.code, denied.lineRef, SERVICE_DATE),
    );
    await m("ClaimEscrow.voidClaim", escrow.connect(providerOp).voidClaim(denied.claimId));
    policyId = await fresh();
    const replaced = await submit(policyId, main.code, 2_000n * USD);
    await mined(replaced.tx);
    const input = {
      policyId,
      codeHash: main.code,
      lineRef: replaced.lineRef,
      amount: 1_500n * USD,
      serviceDate: SERVICE_DATE,
      evidenceRecordId: await evidence(),
    };
    await m("ClaimEscrow.replaceClaim → review", escrow.connect(providerOp).replaceClaim(replaced.claimId, input), {
      note: "voids the old claim and submits the new",
    });

    // Owed amounts paid later: the patient's share of the first claim, a benefit of an unfunded insurer.
    await mined(escrow.connect(pat).authorizeProvider(owedPolicy, provider, 1_000n * USD));
    await m("ClaimEscrow.collectPatientShare", escrow.connect(relayer).collectPatientShare(owedShare.claimId), {
      note: "anyone; from the patient's deposit",
    });
    const p3 = await plan(insurer3Op);
    const owedBenefit = await submit(await bind(p3.planId, insurer3Op), p3.code, 900n * USD);
    await mined(owedBenefit.tx);
    await mintTo(insurer3Op, 10_000n * USD);
    await mined(escrow.connect(insurer3Op).deposit(10_000n * USD));
    await m("ClaimEscrow.payOwed", escrow.connect(relayer).payOwed(owedBenefit.claimId), {
      note: "anyone, once the insurer is funded",
    });

    // The patient's deposit and authorisations, directly and signed.
    await m("ClaimEscrow.authorizeProvider", escrow.connect(pat).authorizeProvider(policyP, provider, 500n * USD), {
      note: "a new earmark from the deposit",
    });
    const aSig = await pat.signTypedData(domain, AuthorizeProviderTypes, {
      policyId: policyP,
      providerOrg: provider,
      cap: 700n * USD,
      nonce: await nonce(),
      deadline: DEADLINE,
    });
    await m(
      "ClaimEscrow.authorizeProviderWithSig",
      escrow.connect(relayer).authorizeProviderWithSig(policyP, provider, 700n * USD, pat.address, DEADLINE, aSig),
      { note: "relayed" },
    );
    await m(
      "ClaimEscrow.withdrawPatientDeposit",
      escrow.connect(pat).withdrawPatientDeposit(patientId, 100n * USD, s.address()),
      { note: "to a new address" },
    );
    const to = s.address();
    const wSig = await pat.signTypedData(domain, WithdrawDepositTypes, {
      patientId,
      amount: 100n * USD,
      to,
      nonce: await nonce(),
      deadline: DEADLINE,
    });
    await m(
      "ClaimEscrow.withdrawPatientDepositWithSig",
      escrow.connect(relayer).withdrawPatientDepositWithSig(patientId, 100n * USD, to, pat.address, DEADLINE, wSig),
      { note: "relayed, to a new address" },
    );

    // Insurer withdrawals: requested, cancelled, requested again and executed after the notice.
    await m("ClaimEscrow.requestWithdrawal", escrow.connect(insurerOp).requestWithdrawal(1_000n * USD));
    await m("ClaimEscrow.cancelWithdrawal", escrow.connect(insurerOp).cancelWithdrawal());

    // Prompt pay: a claim under review, once its window has passed.
    policyId = await fresh();
    const late = await submit(policyId, main.code, 2_000n * USD);
    await mined(late.tx);
    await sys.increaseTime(TERMS.reviewWindow + 1n);
    await m("ClaimEscrow.settleClaim", escrow.connect(providerOp).settleClaim(late.claimId), {
      note: "prompt pay after the review window",
    });
    // Requested again, executed after the notice and before the request lapses.
    await mined(escrow.connect(insurerOp).requestWithdrawal(1_000n * USD));
    await sys.increaseTime(7n * DAY);
    await m("ClaimEscrow.executeWithdrawal", escrow.connect(insurerOp).executeWithdrawal(s.address()), {
      note: "after the 7-day notice, to a new address",
    });

    // A credit: on a second escrow over a blocklist token, a push to a blocked payout address fails.
    rows.push(await withdrawCredit());

    await mined(token.mint(escrowAddress, 123n));
    await m("ClaimEscrow.sweepSurplus", escrow.connect(admin).sweepSurplus(s.address()), { note: "ADMIN" });
    await m("ClaimEscrow.pause", escrow.connect(pauser).pause(), { note: "PAUSER" });
    await m("ClaimEscrow.unpause", escrow.connect(admin).unpause(), { note: "ADMIN" });
    rows.push(await sys.measureSetAuthority("ClaimEscrow", escrow));
    return rows;

    async function withdrawCredit(): Promise<BenchRow> {
      const blocklist = (await sys.ethers.deployContract("BlocklistToken")) as unknown as BlocklistToken;
      const planBook = await sys.ethers.deployContract("PlanBook");
      const treasury = await sys.ethers.deployContract("Treasury");
      const second = (await sys.ethers.deployContract(
        "ClaimEscrow",
        [manager, identity, consent, records, blocklist].map((x) => x.target),
        { libraries: { PlanBook: await planBook.getAddress(), Treasury: await treasury.getAddress() } },
      )) as unknown as ClaimEscrow;
      await mined(blocklist.mint(insurerOp.address, 10_000n * USD));
      await mined(blocklist.connect(insurerOp).approve(second, 10_000n * USD));
      await mined(second.connect(insurerOp).deposit(10_000n * USD));
      const payout = await sys.account(s);
      await mined(second.connect(providerOp).setPayoutAddress(payout.address));
      await mined(blocklist.setBlocked(payout.address, true));
      const p = await plan(insurerOp, second);
      const claim = await submit(await bind(p.planId, insurerOp, second), p.code, 900n * USD, second);
      await mined(claim.tx);
      return sys.measure("ClaimEscrow.withdrawCredit", second.connect(payout).withdrawCredit(s.address()), {
        note: "a second escrow over a blocklist token: the push to the blocked payout became a credit",
      });
    }
  };
}

if (isMain(import.meta.url)) {
  const sys = await deploySystem();
  const measure = await benchClaims(sys);
  await sys.populate(1);
  const rows = await measure();
  printRows("ClaimEscrow", rows);
  for (const line of await sys.explainOver(rows)) console.log(line);
}
