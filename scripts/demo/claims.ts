/**
 * Demo chapter 6: claims paid from escrow by rules. The insurer creates a plan whose procedure codes are
 * hashed with a per-plan salt, binds a policy to the patient and funds its escrow in the test
 * stablecoin. The hospital's claim is refused until the patient (through the relayer) grants the insurer
 * purpose PAYMENT; then a small claim backed by the record anchored in chapters 2–3 is adjudicated and
 * paid in the same transaction, with its explanation of benefits; a large claim goes to review, and the
 * insurer approves it at the rule amount (never more).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type ContractTransactionReceipt, hexlify, randomBytes, type Result } from "ethers";

import { ConsentClient } from "../../src/clients/consent.ts";
import { claimId as claimIdOf, claimIdParts, procedureCodeHash, randomSalt } from "../../src/ids.ts";
import { Relayer } from "../../src/relayer.ts";
import type { ClaimEscrow, ConsentManager, TestStablecoin } from "../../typechain-types/index.ts";
import type { IdentityCast } from "./identity.ts";
import { chainNow, relayedGrant } from "./patient.ts";
import { PATIENT } from "./personal.ts";
import { act, chapter, note, refused } from "./story.ts";

const USD = 1_000_000n; // the test stablecoin has 6 decimals
const DAY = 24n * 3600n;
const YEAR = 365n * DAY;

/** `IClaimEscrow.ExplanationOfBenefits`: the FHIR adjudication categories of a claim. */
export interface Eob {
  submitted: bigint;
  eligible: bigint;
  copay: bigint;
  deductible: bigint;
  benefit: bigint;
  patientResponsibility: bigint;
  notCovered: bigint;
}

export interface ClaimOutcome {
  claimId: string;
  code: string;
  amount: bigint;
  eob: Eob;
  /** What the settlement paid the hospital (`ClaimSettled.benefitPaid`). */
  paid: bigint;
  /** Whether it was paid in the submitting transaction (below the auto-approve threshold). */
  paidAtOnce: boolean;
  /** The claim's status after settlement, and whether the patient's share is recorded as owed. */
  status: (typeof CLAIM_STATUS)[number];
  patientShareOwed: boolean;
}

export interface ClaimsOutcome {
  planId: bigint;
  policyId: bigint;
  terms: typeof TERMS;
  rules: Map<string, CodeRule>;
  small: ClaimOutcome;
  large: ClaimOutcome;
  /** The hospital's payout account's token balance, and the insurer's escrow after both claims. */
  payoutBalance: bigint;
  escrow: { free: bigint; reserved: bigint };
  deposited: bigint;
  refusals: string[];
}

/** The plan: per-plan limits, and per procedure code (CPT, from personal.ts) coverage, cap and co-pay. */
const TERMS = {
  deductible: 50n * USD,
  outOfPocketMax: 3_000n * USD,
  annualLimit: 50_000n * USD,
  autoApproveThreshold: 1_000n * USD,
  reviewWindow: 7n * DAY,
  timelyFilingWindow: 90n * DAY,
};
const [OFFICE_VISIT, ECG] = PATIENT.procedureCodes;
export interface CodeRule {
  rateBps: bigint;
  cap: bigint;
  copay: bigint;
  preauthRequired: boolean;
  covered: boolean;
}
const RULES: [string, CodeRule][] = [
  [OFFICE_VISIT, { rateBps: 8_000n, cap: 200n * USD, copay: 25n * USD, preauthRequired: false, covered: true }],
  [ECG, { rateBps: 8_000n, cap: 3_000n * USD, copay: 0n, preauthRequired: false, covered: true }],
];
/** `IClaimEscrow.ClaimStatus`. */
const CLAIM_STATUS = ["None", "Pending", "Denied", "Paid", "Owed", "Voided"] as const;
/** `Treasury.FLAG_PATIENT_OWED`: the patient's share awaits collection. */
const FLAG_PATIENT_OWED = 4n;

export async function claimsChapter(
  claims: ClaimEscrow,
  token: TestStablecoin,
  consent: ConsentManager,
  relayerAccount: HardhatEthersSigner,
  cast: IdentityCast,
  evidenceRecordId: string,
): Promise<ClaimsOutcome> {
  chapter("6. Claims: adjudicated by the plan's rules and paid from escrow, with an explanation of benefits");
  const provider = claims.runner!.provider!;
  const { Insurer: insurer, Provider: hospital } = cast.orgs;
  const relayer = new Relayer(relayerAccount);
  const refusals: string[] = [];
  const asInsurer = claims.connect(insurer.operator);
  const asHospital = claims.connect(hospital.operator);

  // Procedure codes never go on chain: each is hashed with a salt of this plan, shared off chain with providers.
  const planSalt = randomSalt();
  const codeHash = (code: string) => procedureCodeHash(planSalt, code);
  const codes = RULES.map(([code]) => code);
  const planReceipt = await receiptOf(
    asInsurer.createPlan(
      TERMS,
      codes.map(codeHash),
      RULES.map(([, rule]) => rule),
    ),
  );
  await act(
    "Mutual Health",
    `creates a plan: deductible ${usd(TERMS.deductible)}, auto-approve below ${usd(TERMS.autoApproveThreshold)}, codes ${codes.join(", ")} salted per plan`,
    Promise.resolve(planReceipt),
  );
  const planId = eventOf(claims, planReceipt, "PlanCreated").planId as bigint;
  note(
    RULES.map(([c, r]) => `${c}: ${Number(r.rateBps) / 100}% of up to ${usd(r.cap)}, co-pay ${usd(r.copay)}`).join(
      "; ",
    ),
  );

  const start = (await chainNow(provider)) - 30n * DAY;
  const policyReceipt = await receiptOf(asInsurer.bindPolicy(planId, cast.patient.id, start, start + YEAR));
  await act(
    "Mutual Health",
    "binds a one-year policy to the patient (claims will speak of the policy only)",
    Promise.resolve(policyReceipt),
  );
  const policyId = eventOf(claims, policyReceipt, "PolicyBound").policyId as bigint;

  const deposited = 10_000n * USD;
  await act(
    "Mutual Health",
    `mints ${usd(deposited)} of the test stablecoin (mUSD)`,
    token.connect(insurer.operator).mint(insurer.operator.address, deposited),
  );
  await act(
    "Mutual Health",
    "approves the escrow",
    token.connect(insurer.operator).approve(await claims.getAddress(), deposited),
  );
  await act("Mutual Health", `deposits ${usd(deposited)} into its escrow`, asInsurer.deposit(deposited));

  const payout = hexlify(randomBytes(20)); // the hospital's treasury account
  await act("St Elsewhere", `sets its payout address ${payout.slice(0, 10)}…`, asHospital.setPayoutAddress(payout));

  const serviceDate = (await chainNow(provider)) - DAY;
  const submit = (code: string, amount: bigint, lineRef: string) =>
    asHospital.submitClaim(policyId, codeHash(code), lineRef, amount, serviceDate, evidenceRecordId);
  const smallLine = randomSalt(); // a hash of the hospital's invoice line
  const smallAmount = 180n * USD;
  refusals.push(
    await refused(
      "St Elsewhere",
      `submits a ${usd(smallAmount)} claim before the patient allowed the insurer PAYMENT`,
      submit(OFFICE_VISIT, smallAmount, smallLine),
    ),
  );
  await act(
    "relayer",
    "relays the patient's signed grant: Mutual Health may read BILLING for PAYMENT",
    relayedGrant(
      new ConsentClient(consent),
      relayer,
      cast,
      insurer.id,
      { scopes: ["BILLING"], purposes: ["PAYMENT"] },
      await chainNow(provider),
    ),
  );

  // A small claim: adjudicated and paid in the same transaction.
  const smallReceipt = await receiptOf(submit(OFFICE_VISIT, smallAmount, smallLine));
  await act(
    "St Elsewhere",
    `claims ${usd(smallAmount)} for ${OFFICE_VISIT} (office visit), evidence: the Condition record of chapter 2–3`,
    Promise.resolve(smallReceipt),
  );
  const small = await claimOutcome(claims, smallReceipt, smallReceipt, OFFICE_VISIT, smallAmount);
  note(`explanation of benefits: ${describeEob(small.eob)}`);
  note(
    `paid in the same transaction (${small.status}): ${usd(small.paid)} to St Elsewhere; the patient's ${usd(small.eob.patientResponsibility)} is ${small.patientShareOwed ? "recorded as owed (no deposit authorised)" : "paid"}`,
  );

  // A large claim: over the auto-approve threshold, it waits for the insurer's review.
  const largeAmount = 2_400n * USD;
  const largeLine = randomSalt();
  const largeReceipt = await receiptOf(submit(ECG, largeAmount, largeLine));
  await act(
    "St Elsewhere",
    `claims ${usd(largeAmount)} for ${ECG} (over the threshold: it goes to review)`,
    Promise.resolve(largeReceipt),
  );
  const largeId = claimIdOf(hospital.id, policyId, codeHash(ECG), serviceDate); // the first ECG line that day
  const parts = claimIdParts(largeId);
  note(
    `its id ${largeId.slice(0, 10)}…${largeId.slice(-4)} packs policy ${parts.policyId}, provider ${parts.providerOrg} and a hash of code and date (the dedupe key): no patient`,
  );
  const review = eventOf(claims, largeReceipt, "ClaimReviewOpened");
  const largeEob = toEob(eventOf(claims, largeReceipt, "ClaimSubmitted").eob as Result);
  note(`explanation of benefits: ${describeEob(largeEob)}`);
  note(
    `under review until ${iso(review.reviewDeadline as bigint)}; escrow reserved: ${usd((await claims.escrowOf(insurer.id)).reserved)}`,
  );
  refusals.push(
    await refused(
      "Mutual Health",
      `approves ${usd(largeEob.benefit + USD)}, a dollar more than the rules allow`,
      asInsurer.approveClaim(largeId, largeEob.benefit + USD),
    ),
  );
  const approveReceipt = await receiptOf(asInsurer.approveClaim(largeId, largeEob.benefit));
  await act(
    "Mutual Health",
    `approves the rule amount ${usd(largeEob.benefit)}: paid from escrow`,
    Promise.resolve(approveReceipt),
  );
  const large = await claimOutcome(claims, largeReceipt, approveReceipt, ECG, largeAmount);

  const payoutBalance = await token.balanceOf(payout);
  const escrow = await claims.escrowOf(insurer.id);
  note(
    `balances: St Elsewhere's payout account ${usd(payoutBalance)}; Mutual Health's escrow ${usd(escrow.free)} free, ${usd(escrow.reserved)} reserved (of ${usd(deposited)})`,
  );
  return {
    planId,
    policyId,
    terms: TERMS,
    rules: new Map(RULES),
    small,
    large,
    payoutBalance,
    escrow: { free: escrow.free, reserved: escrow.reserved },
    deposited,
    refusals,
  };
}

/** A claim's outcome from its submission and settlement receipts and its state on chain. */
async function claimOutcome(
  claims: ClaimEscrow,
  submitReceipt: ContractTransactionReceipt,
  settleReceipt: ContractTransactionReceipt,
  code: string,
  amount: bigint,
): Promise<ClaimOutcome> {
  const submitted = eventOf(claims, submitReceipt, "ClaimSubmitted");
  const settled = eventOf(claims, settleReceipt, "ClaimSettled");
  const claimId = submitted.claimId as string;
  const onChain = await claims.getClaim(claimId);
  return {
    claimId,
    code,
    amount,
    eob: toEob(submitted.eob as Result),
    paid: settled.benefitPaid as bigint,
    paidAtOnce: submitReceipt === settleReceipt,
    status: CLAIM_STATUS[Number(onChain.status)],
    patientShareOwed: (onChain.flags & FLAG_PATIENT_OWED) !== 0n,
  };
}

function toEob(r: Result): Eob {
  return {
    submitted: r.submitted,
    eligible: r.eligible,
    copay: r.copay,
    deductible: r.deductible,
    benefit: r.benefit,
    patientResponsibility: r.patientResponsibility,
    notCovered: r.notCovered,
  };
}

/** The EOB with the FHIR ClaimResponse adjudication category codes (CARIN Blue Button). */
function describeEob(eob: Eob): string {
  return [
    `submitted ${usd(eob.submitted)}`,
    `eligible ${usd(eob.eligible)}`,
    `copay ${usd(eob.copay)}`,
    `deductible ${usd(eob.deductible)}`,
    `benefit ${usd(eob.benefit)}`,
    `memberliability ${usd(eob.patientResponsibility)}`,
    `noncovered ${usd(eob.notCovered)}`,
  ].join(" · ");
}

async function receiptOf(sent: Promise<{ wait(): Promise<ContractTransactionReceipt | null> }>) {
  return (await (await sent).wait())!;
}

/** The arguments of the first `name` event `claims` emitted in `receipt`. */
function eventOf(claims: ClaimEscrow, receipt: ContractTransactionReceipt, name: string): Result {
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== claims.target.toString().toLowerCase()) continue;
    const parsed = claims.interface.parseLog(log);
    if (parsed?.name === name) return parsed.args;
  }
  throw new Error(`demo: no ${name} event in the receipt`);
}

const usd = (amount: bigint) =>
  `$${(Number(amount) / Number(USD)).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
