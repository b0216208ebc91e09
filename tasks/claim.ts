/**
 * `medchain claim show`: a claim's state (ClaimEscrow.getClaim), its explanation of benefits (the FHIR
 * ClaimResponse adjudication categories of its latest `ClaimSubmitted` or `ClaimAppealed` event, with the
 * final benefit of its settlement) and its history from the escrow's events — all read by the SDK's
 * `ClaimsClient.claimView`; this file only words them.
 */
import { Contract } from "ethers";

import { ClaimsClient, type ClaimFlagName, type ExplanationOfBenefits, REVIEW_REASONS } from "../src/clients/claims.ts";
import { command, fail, formatTime, openMedChain, parseBytes32, printFields } from "./lib.ts";

/** `Claim.flags` bits, in words. */
const FLAGS: Record<ClaimFlagName, string> = {
  APPEALED: "appealed",
  ESCROW_RESERVED: "escrow reserved for review",
  PATIENT_SHARE_OWED: "patient share owed",
};

/** X12 claim adjustment reason codes a denial commonly carries. */
const CARC: Record<number, string> = {
  4: "procedure code inconsistent with the modifier",
  11: "diagnosis inconsistent with the procedure",
  15: "authorisation number missing or invalid",
  16: "claim lacks information",
  18: "duplicate claim",
  29: "time limit for filing expired",
  50: "not medically necessary",
  96: "not covered by the plan",
  119: "benefit maximum reached",
  197: "pre-authorisation absent",
};

interface ShowArgs {
  claim?: string;
}

export const show = command(async (args: ShowArgs, hre) => {
  const claimId = parseBytes32(args.claim, "--claim");
  const { claims, ethers, chainId } = await openMedChain(hre);
  const view = await new ClaimsClient(claims).claimView(claimId);
  const state = view.state;
  if (state === undefined) fail(`unknown claim ${claimId}: no such claim on chain ${chainId}`);
  const policy = await claims.getPolicy(view.policyId);
  const money = await moneyFormat(ethers.provider, await claims.token());

  const flags = state.flags.map((flag) => FLAGS[flag]);
  const fields: [string, string][] = [
    ["status", `${state.status}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`],
    ["policy", `${view.policyId} (plan ${policy.planId}, insurer org ${policy.insurerOrg})`],
    ["provider", `org ${view.providerOrg}`],
  ];
  if (view.serviceDate !== undefined) {
    fields.push(["service date", formatTime(view.serviceDate)], ["code hash", view.codeHash!], ["line", view.lineRef!]);
  }
  if (state.status === "Pending") {
    fields.push(["review until", `${formatTime(state.reviewDeadline)} (then prompt pay at the rule amount)`]);
  }
  printFields(`Claim ${claimId}: ${state.status}`, fields);

  if (view.eob !== undefined) {
    const eob = view.eob;
    const rows: [string, string][] = [
      ["submitted (billed)", money(eob.submitted)],
      [
        "eligible",
        `${money(eob.eligible)}${eob.submitted > eob.eligible ? ` (${money(eob.submitted - eob.eligible)} over the plan's cap: the provider's write-off)` : ""}`,
      ],
      ["copay", money(eob.copay)],
      ["deductible", money(eob.deductible)],
      ["benefit (insurer pays)", money(eob.benefit)],
      ["patient responsibility", money(eob.patientResponsibility)],
      ["not covered", money(eob.notCovered)],
    ];
    if (view.finalBenefit !== undefined && view.finalBenefit !== eob.benefit) {
      rows.push([
        "final benefit",
        `${money(view.finalBenefit)} (approved below the rules: ${money(eob.benefit - view.finalBenefit)} written off by the provider)`,
      ]);
    }
    const title =
      (view.eobSource === "ClaimAppealed" ? "after the appeal" : "as submitted") +
      (state.status === "Pending" ? ", pending the insurer's review" : "");
    printFields(`Explanation of benefits, ${title} (FHIR ClaimResponse adjudication)`, rows);
  }

  console.log("History");
  const width = Math.max(...view.history.map((e) => e.name.length));
  for (const event of view.history) {
    console.log(
      `  ${formatTime(event.timestamp)}  block ${event.blockNumber}  ${event.name.padEnd(width)}  ${describe(event.name, event.args, money)}`,
    );
  }
});

/** What an event says, in words. */
function describe(name: string, a: Record<string, unknown>, money: (amount: bigint) => string): string {
  switch (name) {
    case "ClaimSubmitted":
      return `submitted by provider org ${a.providerOrg} under policy ${a.policyId}: billed ${money((a.eob as ExplanationOfBenefits).submitted)}, service ${formatTime(a.serviceDate as bigint)}`;
    case "ClaimReviewOpened":
      return `sent to the insurer's review until ${formatTime(a.reviewDeadline as bigint)}${a.reserved ? ", escrow reserved" : ""} (${REVIEW_REASONS[Number(a.reason)]})`;
    case "ClaimApproved":
      return `approved${a.promptPay ? " by prompt pay (review window passed)" : " by the insurer"}: ${money(a.approvedBenefit as bigint)} of ${money(a.ruleBenefit as bigint)} by the rules`;
    case "ClaimDenied": {
      const code = Number(a.reasonCode);
      return `denied, reason code ${code}${CARC[code] === undefined ? "" : ` (${CARC[code]})`}`;
    }
    case "ClaimAppealed":
      return `appealed by the provider: adjudicated again, benefit ${money((a.eob as ExplanationOfBenefits).benefit)}`;
    case "ClaimVoided":
      return "voided by the provider";
    case "ClaimSettled":
      return (
        `settled: benefit ${money(a.benefit as bigint)}, ${money(a.benefitPaid as bigint)} paid to the provider now` +
        `, ${money(a.patientPaid as bigint)} of the patient's share paid from the patient's deposit`
      );
    case "OwedBenefitPaid":
      return `owed benefit paid: ${money(a.amount as bigint)}`;
    case "PatientShareCollected":
      return `patient share collected from the deposit: ${money(a.amount as bigint)}`;
    default:
      return name;
  }
}

/** Formats token base units with the token's decimals and symbol (base units when the token does not say). */
async function moneyFormat(
  provider: ConstructorParameters<typeof Contract>[2],
  tokenAddress: string,
): Promise<(amount: bigint) => string> {
  const token = new Contract(
    tokenAddress,
    ["function decimals() view returns (uint8)", "function symbol() view returns (string)"],
    provider,
  );
  let decimals: number;
  let symbol: string;
  try {
    decimals = Number(await token.decimals());
    symbol = String(await token.symbol());
  } catch {
    return (amount) => `${amount} base units`;
  }
  const unit = 10n ** BigInt(decimals);
  return (amount) => {
    const whole = (amount / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const digits = (amount % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
    const fraction = decimals === 0 ? "" : `.${digits.padEnd(Math.min(2, decimals), "0")}`;
    return `${whole}${fraction} ${symbol}`;
  };
}
