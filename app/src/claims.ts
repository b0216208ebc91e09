/**
 * A claim's history from ClaimEscrow's events (every claim event has the claim id as its first indexed
 * topic): the explanation of benefits of its submission (or of its appeal), its review, approval or
 * denial, and its settlement. No DOM here.
 */
import type { LogDescription } from "ethers";

import { claimIdParts } from "../../src/ids.ts";
import { queryLogsInChunks } from "../../src/views/paging.ts";
import type { ClaimEscrow } from "../../typechain-types/index.ts";

/** `IClaimEscrow.ClaimStatus`, by name. */
export const CLAIM_STATUS = ["none", "pending", "denied", "paid", "owed", "voided"] as const;
export type ClaimStatusName = (typeof CLAIM_STATUS)[number];

/** `IClaimEscrow.ExplanationOfBenefits` (token base units). */
export interface ExplanationOfBenefits {
  submitted: bigint;
  eligible: bigint;
  copay: bigint;
  deductible: bigint;
  benefit: bigint;
  patientResponsibility: bigint;
  notCovered: bigint;
}

export interface ClaimEvent {
  name: string;
  args: LogDescription["args"];
  blockNumber: number;
  timestamp: number;
  transactionHash: string;
}

export interface ClaimView {
  claimId: string;
  status: ClaimStatusName;
  policyId: bigint;
  providerOrg: bigint;
  insurerOrg: bigint;
  codeHash: string;
  serviceDate: bigint;
  /** The adjudication in force: the appeal's when appealed, else the submission's. */
  eob: ExplanationOfBenefits;
  /** The benefit settled (an approval may reduce the rule amount: the provider writes the difference off). */
  settledBenefit?: bigint;
  deniedReason?: number;
  history: ClaimEvent[];
}

const CLAIM_EVENTS = [
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

function eobOf(value: LogDescription["args"][number]): ExplanationOfBenefits {
  const e = value as ExplanationOfBenefits;
  return {
    submitted: e.submitted,
    eligible: e.eligible,
    copay: e.copay,
    deductible: e.deductible,
    benefit: e.benefit,
    patientResponsibility: e.patientResponsibility,
    notCovered: e.notCovered,
  };
}

/** The claim `claimId` (bytes32 hex), or `undefined` when the chain has no such claim. */
export async function claimView(escrow: ClaimEscrow, claimId: string, fromBlock = 0): Promise<ClaimView | undefined> {
  const provider = escrow.runner?.provider;
  if (!provider) throw new Error("claimView: the escrow has no provider");
  const claim = await escrow.getClaim(claimId);
  if (claim.status === 0n) return undefined;
  const topics = [CLAIM_EVENTS.map((name) => escrow.interface.getEvent(name).topicHash), claimId.toLowerCase()];
  const logs = await queryLogsInChunks(provider, await escrow.getAddress(), topics, { fromBlock });
  const times = new Map<number, number>();
  const history: ClaimEvent[] = [];
  for (const log of logs) {
    const parsed = escrow.interface.parseLog(log);
    if (parsed === null) continue;
    if (!times.has(log.blockNumber)) times.set(log.blockNumber, (await provider.getBlock(log.blockNumber))!.timestamp);
    history.push({
      name: parsed.name,
      args: parsed.args,
      blockNumber: log.blockNumber,
      timestamp: times.get(log.blockNumber)!,
      transactionHash: log.transactionHash,
    });
  }
  const submitted = history.find((e) => e.name === "ClaimSubmitted");
  if (submitted === undefined) throw new Error(`claim ${claimId}: no ClaimSubmitted event since block ${fromBlock}`);
  const appealed = history.findLast((e) => e.name === "ClaimAppealed");
  const settled = history.findLast((e) => e.name === "ClaimSettled");
  const denied = history.findLast((e) => e.name === "ClaimDenied");
  const { policyId, providerOrg } = claimIdParts(claimId);
  const policy = await escrow.getPolicy(policyId);
  return {
    claimId,
    status: CLAIM_STATUS[Number(claim.status)],
    policyId,
    providerOrg,
    insurerOrg: policy.insurerOrg,
    codeHash: submitted.args.codeHash as string,
    serviceDate: submitted.args.serviceDate as bigint,
    eob: eobOf((appealed ?? submitted).args.eob),
    settledBenefit: settled?.args.benefit as bigint | undefined,
    deniedReason: denied === undefined ? undefined : Number(denied.args.reasonCode),
    history,
  };
}

/** X12 claim adjustment reason codes an insurer commonly denies with. */
export const DENIAL_REASONS: Record<number, string> = {
  27: "expenses incurred after coverage terminated",
  29: "the time limit for filing has expired",
  50: "not deemed a medical necessity",
  96: "non-covered charge",
  197: "pre-certification or authorization absent",
};
