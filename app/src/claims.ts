/**
 * A claim's view for the Claim status page, read by the SDK's `ClaimsClient.claimView` (the claim's state
 * and its history from ClaimEscrow's events: the explanation of benefits of its submission or appeal, its
 * review, approval or denial, and its settlement), with the insurer and the settled benefit the page shows.
 * No DOM here.
 */
import {
  ClaimsClient,
  type ClaimHistoryEntry,
  type ClaimStatusName as SdkClaimStatusName,
  type ExplanationOfBenefits,
} from "../../src/clients/claims.ts";
import type { ClaimEscrow } from "../../typechain-types/index.ts";

export type { ExplanationOfBenefits };
/** One of the escrow's events about the claim, decoded, with its block's timestamp. */
export type ClaimEvent = ClaimHistoryEntry;

/** A claim status as the page names it: the SDK's, in lower case. */
export type ClaimStatusName = Lowercase<SdkClaimStatusName>;

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

/** The claim `claimId` (bytes32 hex), or `undefined` when the chain has no such claim. */
export async function claimView(escrow: ClaimEscrow, claimId: string, fromBlock = 0): Promise<ClaimView | undefined> {
  const view = await new ClaimsClient(escrow, fromBlock).claimView(claimId);
  if (view.state === undefined) return undefined;
  if (view.eob === undefined || view.codeHash === undefined || view.serviceDate === undefined) {
    throw new Error(`claim ${claimId}: no ClaimSubmitted event since block ${fromBlock}`);
  }
  const settled = view.history.findLast((e) => e.name === "ClaimSettled");
  const denied = view.history.findLast((e) => e.name === "ClaimDenied");
  const policy = await escrow.getPolicy(view.policyId);
  return {
    claimId,
    status: view.state.status.toLowerCase() as ClaimStatusName,
    policyId: view.policyId,
    providerOrg: view.providerOrg,
    insurerOrg: policy.insurerOrg,
    codeHash: view.codeHash,
    serviceDate: view.serviceDate,
    eob: view.eob,
    settledBenefit: settled?.args.benefit as bigint | undefined,
    deniedReason: denied === undefined ? undefined : Number(denied.args.reasonCode),
    history: view.history,
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
