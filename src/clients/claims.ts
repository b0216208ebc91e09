/**
 * The SDK's client of `ClaimEscrow` (DESIGN §6): the insurer's plans, policies, escrow and review
 * decisions; the provider's payout address, claims, voids, appeals and prompt pay; the patient's
 * authorisation of a provider's patient shares, sent directly or signed (EIP-712) and relayed by anyone;
 * and `claimView`, a claim's state, its explanation of benefits and its history read from the escrow's
 * events (the same information as the CLI's `claim show`).
 *
 * Every call that the chain refuses with a custom error throws a `MedChainContractError` naming it.
 *
 * @module
 */
import type {
  ContractRunner,
  ContractTransactionReceipt,
  ContractTransactionResponse,
  EventLog,
  Log,
  LogDescription,
  Signer,
} from "ethers";

import { AuthorizeProviderTypes } from "../eip712.ts";
import { withDecodedErrors } from "../errors.ts";
import { claimIdParts } from "../ids.ts";
import { domainOf, type Relayer, type SignableContract, type SignedAction } from "../relayer.ts";
import { blockTimestamps, type LogRangeOptions, queryFilterPaged, resolveLogRange } from "../views/paging.ts";
import type { ClaimEscrow } from "../../typechain-types/index.ts";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** `IClaimEscrow.ClaimStatus`. */
export const ClaimStatus = { None: 0, Pending: 1, Denied: 2, Paid: 3, Owed: 4, Voided: 5 } as const;
/** The name of a claim status. */
export type ClaimStatusName = keyof typeof ClaimStatus;

/** `IClaimEscrow.ReviewReason`: why a claim waits for the insurer's review (`ClaimReviewOpened.reason`). */
export const ReviewReason = { AboveThreshold: 0, RepeatService: 1, Appeal: 2 } as const;

/** Why a claim waits for review, in words, by `ReviewReason` value. */
export const REVIEW_REASONS: Record<number, string> = {
  [ReviewReason.AboveThreshold]: "at or over the auto-approve threshold",
  [ReviewReason.RepeatService]: "a repeat of a service already billed",
  [ReviewReason.Appeal]: "an appeal",
};

/** `Claim.flags` bits (ClaimEscrow.sol, Treasury.sol). */
export const ClaimFlag = { APPEALED: 1, ESCROW_RESERVED: 2, PATIENT_SHARE_OWED: 4 } as const;
/** The name of a claim flag. */
export type ClaimFlagName = keyof typeof ClaimFlag;

/** A plan's per-plan terms (`IClaimEscrow.PlanTerms`), token base units and seconds. */
export interface ClaimPlanTerms {
  deductible: bigint;
  outOfPocketMax: bigint;
  annualLimit: bigint;
  autoApproveThreshold: bigint;
  reviewWindow: bigint;
  timelyFilingWindow: bigint;
}

/** Coverage of one salted procedure-code hash (`IClaimEscrow.CodeRule`). */
export interface ClaimCodeRule {
  rateBps: bigint;
  cap: bigint;
  copay: bigint;
  preauthRequired: boolean;
  covered: boolean;
}

/** An explanation of benefits: the FHIR ClaimResponse adjudication categories (`IClaimEscrow.ExplanationOfBenefits`). */
export interface ExplanationOfBenefits {
  /** What the provider billed. */
  submitted: bigint;
  /** What the plan recognises (min(submitted, cap)); the rest is the provider's write-off. */
  eligible: bigint;
  copay: bigint;
  deductible: bigint;
  /** What the insurer pays. */
  benefit: bigint;
  /** Co-pay + deductible + coinsurance, after the out-of-pocket maximum. */
  patientResponsibility: bigint;
  /** Beyond the annual limit: the patient's, outside the out-of-pocket maximum. */
  notCovered: bigint;
}

/** A claim's stored state (`getClaim`), with its status and flags named. */
export interface ClaimState {
  status: ClaimStatusName;
  flags: ClaimFlagName[];
  /** Policy year (0 = the first). */
  year: number;
  /** End of the insurer's review window (unix seconds; 0 when never reviewed). */
  reviewDeadline: bigint;
  submitted: bigint;
  benefit: bigint;
  deductible: bigint;
  patientShare: bigint;
  notCovered: bigint;
}

/** One of the escrow's events about a claim, decoded, with its place in the chain. */
export interface ClaimHistoryEntry {
  /** The event's name (`ClaimSubmitted`, `ClaimReviewOpened`, `ClaimSettled`, …). */
  name: string;
  /** Its arguments by name (an `eob` argument as an {@link ExplanationOfBenefits}). */
  args: Record<string, unknown>;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  /** The block's timestamp (unix seconds). */
  timestamp: number;
}

/** What `claimView` returns. */
export interface ClaimView {
  claimId: string;
  policyId: bigint;
  providerOrg: bigint;
  /** `undefined` when the chain knows no such claim. */
  state: ClaimState | undefined;
  /** As submitted (from `ClaimSubmitted`), when in range. */
  codeHash?: string;
  lineRef?: string;
  serviceDate?: bigint;
  /** The latest adjudication (`ClaimSubmitted` or `ClaimAppealed`), and which event gave it. */
  eob?: ExplanationOfBenefits;
  eobSource?: "ClaimSubmitted" | "ClaimAppealed";
  /** The final benefit (`ClaimSettled`, else `ClaimApproved`), when decided. */
  finalBenefit?: bigint;
  /** Every event about the claim, in chain order. */
  history: ClaimHistoryEntry[];
}

/** What `submitClaim` returns. */
export interface SubmittedClaim {
  claimId: string;
  /** The claim's status right after the submitting transaction. */
  status: ClaimStatusName;
  /** Its adjudication (from `ClaimSubmitted`). */
  eob?: ExplanationOfBenefits;
  receipt: ContractTransactionReceipt;
}

/** A claim as submitted. */
export interface ClaimSubmission {
  policyId: bigint;
  codeHash: string;
  lineRef: string;
  amount: bigint;
  serviceDate: bigint;
  evidenceRecordId: string;
}

/** The EIP-712 `AuthorizeProvider` message a patient signs (the nonce is the policy's patient's). */
export type AuthorizeProviderMessage = { policyId: bigint; providerOrg: bigint; cap: bigint };

/** Options of `signAuthorizeProvider`. */
export interface ClaimsSignOptions {
  /** How long the signature stays valid, by the chain's clock (default 1 h). */
  ttlSeconds?: bigint;
}

/** The escrow's events about one claim (the claim id is the first indexed topic of each). */
export const CLAIM_EVENTS = [
  "ClaimSubmitted",
  "ClaimReviewOpened",
  "ClaimApproved",
  "ClaimDenied",
  "ClaimAppealed",
  "ClaimVoided",
  "ClaimSettled",
  "OwedBenefitPaid",
  "PatientShareCollected",
] as const;

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────

/** The name of a `ClaimStatus` value. */
export function claimStatusName(status: number | bigint): ClaimStatusName {
  const n = Number(status);
  const name = (Object.keys(ClaimStatus) as ClaimStatusName[]).find((k) => ClaimStatus[k] === n);
  if (name === undefined) throw new RangeError(`unknown claim status ${n}`);
  return name;
}

/** The names of the flags in `flags`. */
export function claimFlagNames(flags: number | bigint): ClaimFlagName[] {
  const f = Number(flags);
  return (Object.keys(ClaimFlag) as ClaimFlagName[]).filter((k) => (f & ClaimFlag[k]) !== 0);
}

/** An `ExplanationOfBenefits` tuple as decoded by ethers, as named bigints. */
export function eobOf(value: unknown): ExplanationOfBenefits {
  const v = value as Record<keyof ExplanationOfBenefits, bigint>;
  return {
    submitted: v.submitted,
    eligible: v.eligible,
    copay: v.copay,
    deductible: v.deductible,
    benefit: v.benefit,
    patientResponsibility: v.patientResponsibility,
    notCovered: v.notCovered,
  };
}

function argsOf(event: LogDescription): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  event.fragment.inputs.forEach((input, i) => {
    out[input.name] = input.name === "eob" ? eobOf(event.args[i]) : event.args[i];
  });
  return out;
}

// ─── client ──────────────────────────────────────────────────────────────────────────────────────

/** A typed client of one `ClaimEscrow` deployment, acting as the contract's runner. */
export class ClaimsClient {
  constructor(
    readonly contract: ClaimEscrow,
    /** Default first block of `claimView` (the escrow's deployment block). */
    readonly fromBlock = 0,
  ) {}

  /** The same client acting as another account (an insurer's or provider's operator, a patient, …). */
  connect(runner: ContractRunner): ClaimsClient {
    return new ClaimsClient(this.contract.connect(runner), this.fromBlock);
  }

  // ── insurers ──

  /** Creates a plan with its code rules; returns the plan id (from `PlanCreated`). */
  async createPlan(
    terms: ClaimPlanTerms,
    rules: Record<string, ClaimCodeRule> | ReadonlyMap<string, ClaimCodeRule> = {},
  ): Promise<{ planId: bigint; receipt: ContractTransactionReceipt }> {
    const [codes, list] = splitRules(rules);
    const receipt = await this.#send(() => this.contract.createPlan(terms, codes, list));
    return { planId: this.#eventArg(receipt, "PlanCreated", "planId") as bigint, receipt };
  }

  /** Sets code rules (code hash → rule) of a plan no policy is bound to yet. */
  async setCodeRules(
    planId: bigint,
    rules: Record<string, ClaimCodeRule> | ReadonlyMap<string, ClaimCodeRule>,
  ): Promise<ContractTransactionReceipt> {
    const [codes, list] = splitRules(rules);
    return this.#send(() => this.contract.setCodeRules(planId, codes, list));
  }

  /** Binds `patientId` to `planId` for `[start, end)`; returns the policy id (from `PolicyBound`). */
  async bindPolicy(
    planId: bigint,
    patientId: bigint,
    start: bigint,
    end: bigint,
  ): Promise<{ policyId: bigint; receipt: ContractTransactionReceipt }> {
    const receipt = await this.#send(() => this.contract.bindPolicy(planId, patientId, start, end));
    return { policyId: this.#eventArg(receipt, "PolicyBound", "policyId") as bigint, receipt };
  }

  /** Funds the runner's insurer escrow with `amount` (the runner has approved the escrow for it). */
  async deposit(amount: bigint): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.deposit(amount));
  }

  /** Approves a claim under review for `benefit` (at most the rule amount) and pays it. */
  async approveClaim(claimId: string, benefit: bigint): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.approveClaim(claimId, benefit));
  }

  /** Denies a claim under review with an X12 CARC reason code. */
  async denyClaim(claimId: string, reasonCode: number): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.denyClaim(claimId, reasonCode));
  }

  // ── providers ──

  /** Sets where the runner's provider organisation is paid. */
  async setPayoutAddress(payout: string): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.setPayoutAddress(payout));
  }

  /**
   * Submits a claim; returns its id, its status right after the transaction (`Paid`/`Owed` when below
   * the auto-approve threshold, `Pending` for review, `Denied` when the code is not covered) and its
   * explanation of benefits.
   */
  async submitClaim(claim: ClaimSubmission): Promise<SubmittedClaim> {
    const receipt = await this.#send(() =>
      this.contract.submitClaim(
        claim.policyId,
        claim.codeHash,
        claim.lineRef,
        claim.amount,
        claim.serviceDate,
        claim.evidenceRecordId,
      ),
    );
    const submitted = this.#parsed(receipt).find((e) => e.name === "ClaimSubmitted");
    if (!submitted) throw new Error("submitClaim: no ClaimSubmitted event in the receipt");
    const claimId = submitted.args.claimId as string;
    const state = await this.contract.getClaim(claimId, { blockTag: receipt.blockNumber });
    return { claimId, status: claimStatusName(state.status), eob: eobOf(submitted.args.eob), receipt };
  }

  /** Voids the runner's claim under review. */
  async voidClaim(claimId: string): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.voidClaim(claimId));
  }

  /** Appeals a denied claim once (giving its code, line and service date); returns the new adjudication. */
  async appealClaim(
    claimId: string,
    codeHash: string,
    lineRef: string,
    serviceDate: bigint,
  ): Promise<{ eob: ExplanationOfBenefits; receipt: ContractTransactionReceipt }> {
    const receipt = await this.#send(() => this.contract.appealClaim(claimId, codeHash, lineRef, serviceDate));
    return { eob: eobOf(this.#eventArg(receipt, "ClaimAppealed", "eob")), receipt };
  }

  /** Prompt pay: settles a claim whose review window has passed, at its rule amount. Anyone. */
  async settleClaim(claimId: string): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.settleClaim(claimId));
  }

  // ── patients ──

  /** Lets `providerOrg` draw up to `cap` for patient shares under `policyId` (the runner acts for the patient). */
  async authorizeProvider(policyId: bigint, providerOrg: bigint, cap: bigint): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.authorizeProvider(policyId, providerOrg, cap));
  }

  /**
   * The patient's EIP-712 signature of `authorizeProvider`. `authorizeProviderWithSig` takes no nonce: the
   * contract consumes the current nonce of the policy's patient, so the signature covers that nonce (read
   * here through `getPolicy`) and any patient action before it is relayed voids it.
   */
  async signAuthorizeProvider(
    patientSigner: Signer,
    policyId: bigint,
    providerOrg: bigint,
    cap: bigint,
    options: ClaimsSignOptions = {},
  ): Promise<SignedAction<AuthorizeProviderMessage>> {
    const provider = this.contract.runner?.provider ?? patientSigner.provider;
    if (!provider) throw new Error("signAuthorizeProvider: the contract has no provider");
    const policy = await this.contract.getPolicy(policyId);
    if (policy.planId === 0n) throw new Error(`signAuthorizeProvider: no policy ${policyId}`);
    const [domain, nonce, block] = await Promise.all([
      domainOf(this.contract as unknown as SignableContract),
      this.contract.nonces(policy.patientId),
      provider.getBlock("latest"),
    ]);
    const message = {
      policyId,
      providerOrg,
      cap,
      nonce,
      deadline: BigInt(block!.timestamp) + (options.ttlSeconds ?? 3600n),
    };
    const signature = await patientSigner.signTypedData(domain, AuthorizeProviderTypes, message);
    return { message, signer: await patientSigner.getAddress(), signature };
  }

  /** Submits a signed `authorizeProvider` (`authorizeProviderWithSig`) from the relayer's account. */
  async relayAuthorizeProvider(
    relayer: Relayer,
    signed: SignedAction<AuthorizeProviderMessage>,
  ): Promise<ContractTransactionReceipt> {
    const m = signed.message;
    return relayer.relay(this.contract, "authorizeProviderWithSig", [
      m.policyId,
      m.providerOrg,
      m.cap,
      signed.signer,
      m.deadline,
      signed.signature,
    ]);
  }

  // ── views ──

  /** A claim's stored state, or `undefined` when none. */
  async getClaim(claimId: string): Promise<ClaimState | undefined> {
    return stateOf(await this.contract.getClaim(claimId));
  }

  /** What `providerOrg` may still draw for patient shares under `policyId`. */
  async authorizationOf(policyId: bigint, providerOrg: bigint): Promise<bigint> {
    return this.contract.authorizationOf(policyId, providerOrg);
  }

  /** The nonce the patient's next signature must cover. */
  async nonce(patientId: bigint): Promise<bigint> {
    return this.contract.nonces(patientId);
  }

  /**
   * A claim's state (`getClaim`), its latest explanation of benefits (`ClaimSubmitted` or
   * `ClaimAppealed`) with its final benefit, and its history of events in chain order with block
   * timestamps, read in pages over `range` (default from the client's `fromBlock` to the latest block).
   */
  async claimView(claimId: string, range: LogRangeOptions = {}): Promise<ClaimView> {
    const provider = this.contract.runner?.provider;
    if (!provider) throw new Error("claimView: the contract has no provider");
    const resolved = await resolveLogRange(provider, { fromBlock: this.fromBlock, ...range });
    const { policyId, providerOrg } = claimIdParts(claimId);
    const topics = CLAIM_EVENTS.map((name) => this.contract.interface.getEvent(name).topicHash);
    const [raw, logs] = await Promise.all([
      this.contract.getClaim(claimId, { blockTag: resolved.toBlock }),
      queryFilterPaged(this.contract, [topics, claimId], resolved),
    ]);
    const times = await blockTimestamps(
      provider,
      logs.map((l) => l.blockNumber),
    );
    const history: ClaimHistoryEntry[] = [];
    for (const log of logs as (EventLog | Log)[]) {
      const event = this.contract.interface.parseLog(log);
      if (event === null) continue;
      history.push({
        name: event.name,
        args: argsOf(event),
        blockNumber: log.blockNumber,
        logIndex: log.index,
        transactionHash: log.transactionHash,
        timestamp: times.get(log.blockNumber)!,
      });
    }
    const view: ClaimView = { claimId, policyId, providerOrg, state: stateOf(raw), history };
    const submitted = history.find((e) => e.name === "ClaimSubmitted");
    if (submitted) {
      view.codeHash = submitted.args.codeHash as string;
      view.lineRef = submitted.args.lineRef as string;
      view.serviceDate = submitted.args.serviceDate as bigint;
    }
    const adjudicated = history.filter((e) => e.name === "ClaimSubmitted" || e.name === "ClaimAppealed").at(-1);
    if (adjudicated) {
      view.eob = adjudicated.args.eob as ExplanationOfBenefits;
      view.eobSource = adjudicated.name as "ClaimSubmitted" | "ClaimAppealed";
    }
    const settled = history.filter((e) => e.name === "ClaimSettled").at(-1);
    const approved = history.filter((e) => e.name === "ClaimApproved").at(-1);
    const final = (settled?.args.benefit ?? approved?.args.approvedBenefit) as bigint | undefined;
    if (final !== undefined) view.finalBenefit = final;
    return view;
  }

  // ── internals ──

  #parsed(receipt: ContractTransactionReceipt): LogDescription[] {
    const address = receipt.to?.toLowerCase();
    const out: LogDescription[] = [];
    for (const log of receipt.logs) {
      if (address !== undefined && log.address.toLowerCase() !== address) continue;
      const parsed = this.contract.interface.parseLog(log);
      if (parsed) out.push(parsed);
    }
    return out;
  }

  #eventArg(receipt: ContractTransactionReceipt, event: string, arg: string): unknown {
    const parsed = this.#parsed(receipt).find((e) => e.name === event);
    if (!parsed) throw new Error(`ClaimsClient: no ${event} event in the receipt`);
    return parsed.args[arg];
  }

  async #send(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return withDecodedErrors(async () => {
      const receipt = await (await call()).wait();
      if (!receipt) throw new Error("ClaimsClient: the transaction was dropped");
      return receipt;
    }, this.contract.interface);
  }
}

function splitRules(
  rules: Record<string, ClaimCodeRule> | ReadonlyMap<string, ClaimCodeRule>,
): [string[], ClaimCodeRule[]] {
  const entries = rules instanceof Map ? [...rules.entries()] : Object.entries(rules);
  return [entries.map(([code]) => code), entries.map(([, r]) => r)];
}

function stateOf(c: Awaited<ReturnType<ClaimEscrow["getClaim"]>>): ClaimState | undefined {
  if (Number(c.status) === ClaimStatus.None) return undefined;
  return {
    status: claimStatusName(c.status),
    flags: claimFlagNames(c.flags),
    year: Number(c.year),
    reviewDeadline: c.reviewDeadline,
    submitted: c.submitted,
    benefit: c.benefit,
    deductible: c.deductible,
    patientShare: c.patientShare,
    notCovered: c.notCovered,
  };
}
