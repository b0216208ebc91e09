/**
 * `medchain claim show`: a claim's state (ClaimEscrow.getClaim), its explanation of benefits (the FHIR
 * ClaimResponse adjudication categories of its latest `ClaimSubmitted` or `ClaimAppealed` event, with the
 * final benefit of its settlement) and its history from the escrow's events, paged with src/views/paging.ts.
 */
import { Contract, type EventLog, type Log, type LogDescription } from "ethers";

import { claimIdParts } from "../src/ids.ts";
import { blockTimestamps, queryFilterPaged, resolveLogRange } from "../src/views/paging.ts";
import { command, fail, formatTime, nameOf, openMedChain, parseBytes32, printFields } from "./lib.ts";

/** `IClaimEscrow.ClaimStatus`. */
export const ClaimStatus = { None: 0, Pending: 1, Denied: 2, Paid: 3, Owed: 4, Voided: 5 } as const;

/** The escrow's events about one claim (the claim id is the first indexed topic of each). */
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

/** `Claim.flags` bits (ClaimEscrow.sol, Treasury.sol). */
const FLAGS = { appealed: 1, "escrow reserved for review": 2, "patient share owed": 4 } as const;

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

interface Eob {
  submitted: bigint;
  eligible: bigint;
  copay: bigint;
  deductible: bigint;
  benefit: bigint;
  patientResponsibility: bigint;
  notCovered: bigint;
}

export const show = command(async (args: ShowArgs, hre) => {
  const claimId = parseBytes32(args.claim, "--claim");
  const { claims, ethers, chainId } = await openMedChain(hre);
  const claim = await claims.getClaim(claimId);
  if (claim.status === BigInt(ClaimStatus.None)) fail(`unknown claim ${claimId}: no such claim on chain ${chainId}`);
  const { policyId, providerOrg } = claimIdParts(claimId);
  const policy = await claims.getPolicy(policyId);
  const money = await moneyFormat(ethers.provider, await claims.token());

  const range = await resolveLogRange(ethers.provider);
  const topics = CLAIM_EVENTS.map((name) => claims.interface.getEvent(name).topicHash);
  const logs = await queryFilterPaged(claims, [topics, claimId], range);
  const times = await blockTimestamps(
    ethers.provider,
    logs.map((log) => log.blockNumber),
  );
  const events = logs
    .map((log) => ({ log, event: claims.interface.parseLog(log) }))
    .filter((e): e is { log: EventLog | Log; event: LogDescription } => e.event !== null);

  const submitted = events.find((e) => e.event.name === "ClaimSubmitted")?.event;
  const adjudicated = events.filter((e) => ["ClaimSubmitted", "ClaimAppealed"].includes(e.event.name)).at(-1)?.event;
  const settled = events.filter((e) => e.event.name === "ClaimSettled").at(-1)?.event;
  const approved = events.filter((e) => e.event.name === "ClaimApproved").at(-1)?.event;

  const status = nameOf(ClaimStatus, claim.status);
  const flags = Object.entries(FLAGS)
    .filter(([, bit]) => (Number(claim.flags) & bit) !== 0)
    .map(([name]) => name);
  const fields: [string, string][] = [
    ["status", `${status}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`],
    ["policy", `${policyId} (plan ${policy.planId}, insurer org ${policy.insurerOrg})`],
    ["provider", `org ${providerOrg}`],
  ];
  if (submitted !== undefined) {
    fields.push(
      ["service date", formatTime(submitted.args.serviceDate as bigint)],
      ["code hash", submitted.args.codeHash as string],
      ["line", submitted.args.lineRef as string],
    );
  }
  if (claim.status === BigInt(ClaimStatus.Pending)) {
    fields.push(["review until", `${formatTime(claim.reviewDeadline)} (then prompt pay at the rule amount)`]);
  }
  printFields(`Claim ${claimId}: ${status}`, fields);

  if (adjudicated !== undefined) {
    const eob = adjudicated.args.eob as unknown as Eob;
    const finalBenefit =
      (settled?.args.benefit as bigint | undefined) ?? (approved?.args.approvedBenefit as bigint | undefined);
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
    if (finalBenefit !== undefined && finalBenefit !== eob.benefit) {
      rows.push([
        "final benefit",
        `${money(finalBenefit)} (approved below the rules: ${money(eob.benefit - finalBenefit)} written off by the provider)`,
      ]);
    }
    const title =
      (adjudicated.name === "ClaimAppealed" ? "after the appeal" : "as submitted") +
      (claim.status === BigInt(ClaimStatus.Pending) ? ", pending the insurer's review" : "");
    printFields(`Explanation of benefits, ${title} (FHIR ClaimResponse adjudication)`, rows);
  }

  console.log("History");
  const width = Math.max(...events.map((e) => e.event.name.length));
  for (const { log, event } of events) {
    console.log(
      `  ${formatTime(times.get(log.blockNumber)!)}  block ${log.blockNumber}  ${event.name.padEnd(width)}  ${describe(event, money)}`,
    );
  }
});

/** What an event says, in words. */
function describe({ name, args: a }: LogDescription, money: (amount: bigint) => string): string {
  switch (name) {
    case "ClaimSubmitted":
      return `submitted by provider org ${a.providerOrg} under policy ${a.policyId}: billed ${money((a.eob as unknown as Eob).submitted)}, service ${formatTime(a.serviceDate as bigint)}`;
    case "ClaimReviewOpened":
      return `sent to the insurer's review until ${formatTime(a.reviewDeadline as bigint)}${a.reserved ? ", escrow reserved" : ""}`;
    case "ClaimApproved":
      return `approved${a.promptPay ? " by prompt pay (review window passed)" : " by the insurer"}: ${money(a.approvedBenefit as bigint)} of ${money(a.ruleBenefit as bigint)} by the rules`;
    case "ClaimDenied": {
      const code = Number(a.reasonCode);
      return `denied, reason code ${code}${CARC[code] === undefined ? "" : ` (${CARC[code]})`}`;
    }
    case "ClaimAppealed":
      return `appealed by the provider: adjudicated again, benefit ${money((a.eob as unknown as Eob).benefit)}`;
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
