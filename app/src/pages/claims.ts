/**
 * Claim status (provider / insurer): a claim's adjudication — the explanation of benefits its events
 * carry, in the FHIR ClaimResponse categories — and its history.
 */
import { isHexString } from "ethers";

import { REVIEW_REASONS } from "../../../src/clients/claims.ts";
import type { Chain } from "../chain.ts";
import { type ClaimEvent, type ClaimView, claimView, DENIAL_REASONS } from "../claims.ts";
import { errorText, formatAmount, formatDate, h, short, show, status, time } from "../dom.ts";

export function claimsPage(chain: Chain, initial?: string): HTMLElement {
  const { decimals, symbol } = chain.demo.token;
  const money = (units: bigint) => `${formatAmount(units, decimals)} ${symbol}`;
  const input = h("input", {
    id: "claim-id",
    name: "claim",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "0x… (the claim's 32-byte id)",
    "aria-label": "Claim id",
  });
  const result = h("div", { id: "claim-result" });

  async function open(id: string): Promise<void> {
    input.value = id;
    const value = id.trim();
    if (!isHexString(value, 32)) {
      show(result, status("error", "A claim id is 0x followed by 64 hexadecimal digits."));
      return;
    }
    show(result, status("info", "Reading the claim's events…"));
    try {
      const view = await claimView(chain.claims, value, chain.demo.deployBlock);
      if (view === undefined) show(result, status("error", `No claim ${short(value)} on this chain.`));
      else show(result, render(view));
    } catch (error) {
      show(result, status("error", `Could not read the claim: ${errorText(error)}`));
    }
  }

  function render(c: ClaimView): HTMLElement[] {
    const procedure = chain.demo.procedures[c.codeHash] ?? `code ${short(c.codeHash)}`;
    const e = c.eob;
    const writeOff = e.submitted - e.eligible + (c.settledBenefit === undefined ? 0n : e.benefit - c.settledBenefit);
    const planPays = c.settledBenefit ?? e.benefit;
    const denied: [string, bigint, string][] = [
      ["Billed", e.submitted, "what the provider charged"],
      ["Plan pays", 0n, "the claim was denied"],
    ];
    const rows: [string, bigint, string][] =
      c.status === "denied"
        ? denied
        : [
            ["Billed", e.submitted, "what the provider charged"],
            ["Eligible", e.eligible, "what the plan recognises for this procedure"],
            ["Provider write-off", writeOff, "not billable to the patient"],
            ["Co-pay", e.copay, "flat amount per claim"],
            ["Deductible", e.deductible, "applied to this year's deductible"],
            [
              "Plan pays",
              planPays,
              c.status === "pending" ? "if approved as adjudicated" : "paid from the insurer's escrow",
            ],
            ["Patient owes", e.patientResponsibility + e.notCovered, "co-pay, deductible and co-insurance"],
          ];
    if (e.notCovered > 0n && c.status !== "denied")
      rows.push(["Not covered", e.notCovered, "beyond the plan's annual limit"]);
    const reason =
      c.deniedReason === undefined
        ? ""
        : ` — reason ${c.deniedReason}: ${DENIAL_REASONS[c.deniedReason] ?? "see X12 CARC"}`;
    return [
      h(
        "div",
        {
          class: `verdict verdict-${c.status === "paid" ? "good" : c.status === "denied" ? "bad" : "neutral"}`,
          "data-status": c.status,
        },
        h("strong", null, c.status[0].toUpperCase() + c.status.slice(1)),
        h("span", null, `${procedure}${reason}`),
      ),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "Claim"),
        h("dd", { title: c.claimId }, short(c.claimId)),
        h("dt", null, "Policy"),
        h("dd", null, `#${c.policyId}`),
        h("dt", null, "Provider"),
        h("dd", null, chain.orgName(c.providerOrg)),
        h("dt", null, "Insurer"),
        h("dd", null, chain.orgName(c.insurerOrg)),
        h("dt", null, "Service date"),
        h("dd", null, formatDate(c.serviceDate)),
      ),
      h("h2", null, "Explanation of benefits"),
      h(
        "table",
        { id: "eob", class: "eob" },
        h(
          "tbody",
          null,
          rows.map(([label, amount, note]) =>
            h(
              "tr",
              { "data-line": label },
              h("th", null, label),
              h("td", { class: "num" }, money(amount)),
              h("td", { class: "muted small" }, note),
            ),
          ),
        ),
      ),
      h("h2", null, "History"),
      h(
        "ol",
        { class: "timeline", id: "claim-history" },
        c.history.map((event) =>
          h("li", { "data-event": event.name }, time(event.timestamp), h("span", null, describe(event))),
        ),
      ),
    ];
  }

  function describe(event: ClaimEvent): string {
    const a = event.args;
    switch (event.name) {
      case "ClaimSubmitted":
        return `Submitted by ${chain.orgName(a.providerOrg as bigint)} for ${money((a.eob as { submitted: bigint }).submitted)}; adjudicated by the plan's rules`;
      case "ClaimReviewOpened":
        return `Sent to the insurer's review (${REVIEW_REASONS[Number(a.reason)] ?? "reviewed"}), to be decided by ${formatDate(a.reviewDeadline as bigint)}${a.reserved ? " (escrow reserved)" : ""}`;
      case "ClaimApproved":
        return a.promptPay
          ? `Approved by prompt pay after the review window: ${money(a.approvedBenefit as bigint)}`
          : `Approved by the insurer: ${money(a.approvedBenefit as bigint)} (rules: ${money(a.ruleBenefit as bigint)})`;
      case "ClaimDenied":
        return `Denied, reason ${a.reasonCode}: ${DENIAL_REASONS[Number(a.reasonCode)] ?? "see X12 CARC"}`;
      case "ClaimAppealed":
        return "Appealed by the provider; adjudicated again";
      case "ClaimVoided":
        return "Voided by the provider";
      case "ClaimSettled":
        return `Settled: the plan pays ${money(a.benefit as bigint)} (${money(a.benefitPaid as bigint)} paid now), the patient's deposit ${money(a.patientPaid as bigint)}`;
      case "OwedBenefitPaid":
        return `Owed benefit paid: ${money(a.amount as bigint)}`;
      case "PatientShareCollected":
        return `Patient share collected from the deposit: ${money(a.amount as bigint)}`;
      default:
        return event.name;
    }
  }

  const form = h(
    "form",
    {
      id: "claim-form",
      class: "row",
      onsubmit: (e) => {
        e.preventDefault();
        void open(input.value);
      },
    },
    input,
    h("button", { type: "submit" }, "Show"),
  );
  const demoClaims = h(
    "div",
    { class: "chips" },
    h("span", { class: "muted" }, "Demo claims:"),
    chain.demo.claims.map((c, i) =>
      h(
        "button",
        { type: "button", class: "chip", "data-claim": String(i), title: c.id, onclick: () => void open(c.id) },
        c.label,
      ),
    ),
  );
  if (initial !== undefined) void open(initial);
  return h(
    "section",
    { id: "page-claims" },
    h("h1", null, "Claim status"),
    h(
      "p",
      { class: "muted" },
      "A claim's adjudication by the plan's rules and its history, read from the escrow's events.",
    ),
    form,
    demoClaims,
    result,
  );
}
