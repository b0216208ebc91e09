/**
 * Verify a pack: a GS1 string (typed, pasted or a demo pack) → the SDK's `SupplyClient.verifyPack`
 * (serial-proof store → `verifyUnit` on chain) → a verdict, the product and lot, and the pack's custody
 * timeline (`unitTimeline`: the lot's movements and this unit's own events) with dates.
 */
import type { BaseContract } from "ethers";

import { type PackVerification, SupplyClient } from "../../../src/clients/supply.ts";
import { Gs1Error } from "../../../src/gs1.ts";
import { SerialProofStore } from "../../../src/serial-store.ts";
import { type CustodyEntry, unitTimeline } from "../../../src/views/supply.ts";
import type { Chain } from "../chain.ts";
import { errorText, formatDate, h, show, status, time } from "../dom.ts";

/** The verdict shown: the unit's status when authentic, else counterfeit / unknown. */
export type Verdict =
  | Exclude<PackVerification["unitStatus"], "active" | undefined>
  | "authentic"
  | "counterfeit"
  | "unknown";

const VERDICTS: Record<Verdict, { title: string; tone: "good" | "bad" | "neutral"; text: string }> = {
  authentic: { title: "Authentic", tone: "good", text: "The chain knows this pack and it may be handed over." },
  dispensed: {
    title: "Dispensed",
    tone: "bad",
    text: "This serial was dispensed already: the pack in your hand may be a clone. Do not hand it over.",
  },
  recalled: { title: "Recalled", tone: "bad", text: "Its lot was recalled. Do not hand it over." },
  quarantined: { title: "Quarantined", tone: "bad", text: "Its lot is quarantined pending an investigation." },
  expired: { title: "Expired", tone: "bad", text: "The lot's shelf life on chain has ended." },
  unreleased: { title: "Not released", tone: "bad", text: "Its lot has not passed quality control yet." },
  illegitimate: { title: "Illegitimate", tone: "bad", text: "Its lot was declared illegitimate." },
  counterfeit: {
    title: "Counterfeit",
    tone: "bad",
    text: "The proof store knows this serial, but the lot's commitment on chain rejects it.",
  },
  unknown: {
    title: "Unknown",
    tone: "neutral",
    text: "No proof for this serial (or its lot is not on this chain): this alone does not make it counterfeit.",
  },
};

export function verdictOf(v: PackVerification): Verdict {
  if (v.status !== "authentic") return v.status;
  return v.unitStatus === "active" || v.unitStatus === undefined ? "authentic" : v.unitStatus;
}

export function verifyPage(chain: Chain): HTMLElement {
  const store = SerialProofStore.fromJSON(chain.demo.serialStore);
  const client = new SupplyClient(chain.supply, { proofs: store, logs: { fromBlock: chain.demo.deployBlock } });
  const input = h("input", {
    id: "gs1",
    name: "gs1",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "(01)…(17)…(10)…(21)…",
    "aria-label": "GS1 element string",
  });
  const result = h("div", { id: "verify-result" });

  async function verify(): Promise<void> {
    show(result, status("info", "Verifying on chain…"));
    try {
      const v = await client.verifyPack(input.value);
      show(result, await renderVerification(chain, v));
    } catch (error) {
      if (error instanceof Gs1Error) {
        show(result, status("error", `This is not a valid GS1 pack code: ${error.message}.`));
      } else {
        show(result, status("error", `Could not verify the pack: ${errorText(error)}`));
      }
    }
  }

  const form = h(
    "form",
    {
      id: "verify-form",
      class: "row",
      onsubmit: (e) => {
        e.preventDefault();
        void verify();
      },
    },
    input,
    h("button", { type: "submit" }, "Verify"),
  );
  const demoPacks = h(
    "div",
    { class: "chips" },
    h("span", { class: "muted" }, "Demo packs:"),
    chain.demo.packs.map((pack) =>
      h(
        "button",
        {
          type: "button",
          class: "chip",
          "data-pack": pack.verdict,
          title: pack.gs1,
          onclick: () => {
            input.value = pack.gs1;
            void verify();
          },
        },
        pack.label,
      ),
    ),
  );
  return h(
    "section",
    { id: "page-verify" },
    h("h1", null, "Verify a pack"),
    h(
      "p",
      { class: "muted" },
      "Scan or paste the pack's GS1 code (HRI with parentheses, or raw as a scanner sends it). ",
      "The serial's Merkle proof comes from the pharmacy's proof store; authenticity and status come from the chain.",
    ),
    form,
    demoPacks,
    result,
  );
}

async function renderVerification(chain: Chain, v: PackVerification): Promise<HTMLElement[]> {
  const verdict = verdictOf(v);
  const info = VERDICTS[verdict];
  const dispensedBy = v.dispensedByKind ? ` (by a ${v.dispensedByKind.toLowerCase()})` : "";
  const out: HTMLElement[] = [
    h(
      "div",
      { class: `verdict verdict-${info.tone}`, "data-verdict": verdict },
      h("strong", null, info.title),
      h("span", null, info.text + (verdict === "dispensed" ? dispensedBy : "")),
    ),
    h(
      "dl",
      { class: "facts" },
      fact("Product (GTIN)", v.gtin),
      fact("Lot", v.lot),
      fact("Serial", v.index === undefined ? v.serial : `${v.serial} (unit #${v.index})`),
      fact("Printed expiry", v.printedExpiry.iso),
      v.expiry === undefined
        ? null
        : fact(
            "Expiry on chain",
            formatDate(v.expiry - 1n) + (v.expiryMatchesPack === false ? " — differs from the printed date!" : ""),
          ),
      fact("Read at block", String(v.blockNumber)),
    ),
  ];
  if (v.status === "unknown" && v.reason === "serial-not-in-store") return out;
  const timeline = await unitTimeline(
    chain.supply as unknown as BaseContract,
    v.lotId,
    { serialHash: v.serialHash, index: v.index },
    { fromBlock: chain.demo.deployBlock },
  );
  out.push(
    h("h2", null, "Custody timeline"),
    timeline.entries.length === 0
      ? h("p", { class: "muted" }, "The chain has no events for this lot.")
      : h(
          "ol",
          { class: "timeline", id: "timeline" },
          timeline.entries.map((entry) =>
            h("li", { "data-event": entry.event }, time(entry.timestamp), h("span", null, describeEntry(chain, entry))),
          ),
        ),
  );
  return out;
}

function fact(term: string, value: string): HTMLElement[] {
  return [h("dt", null, term), h("dd", null, value)];
}

/** One readable line per custody event. */
export function describeEntry(chain: Chain, e: CustodyEntry): string {
  const org = chain.orgName;
  switch (e.event) {
    case "LotCommissioned":
      return `Commissioned by ${org(e.manufacturerId)}: ${e.quantity} packs, expiry ${formatDate(e.expiry - 1n)}`;
    case "Shipped":
      return `${org(e.fromOrg)} shipped ${e.quantity} packs to ${org(e.toOrg)}${e.forDestruction ? " for destruction" : ""}`;
    case "ShipmentAccepted":
      return `${org(e.toOrg)} received ${e.quantity} packs from ${org(e.fromOrg)}`;
    case "ShipmentRejected":
      return `${org(e.toOrg)} rejected shipment #${e.shipmentId}`;
    case "ShipmentCancelled":
      return `${org(e.fromOrg)} cancelled shipment #${e.shipmentId}`;
    case "UnitDispensed":
      return `This pack was dispensed by ${org(e.orgId)}`;
    case "UnitsDestroyed":
      return `${org(e.orgId)} destroyed ${e.quantity} packs`;
    case "SaleableReturnVerified":
      return `${org(e.orgId)} re-verified this pack as a saleable return`;
    case "SuspectReported":
      return `Reported suspect by ${e.reporter}`;
    case "QualityChecked":
      return `Quality check by ${org(e.orgId)}: ${e.passed ? "passed, lot released" : "failed, lot quarantined"}`;
    case "LotStatusChanged":
      return `Lot status set to ${e.status}`;
    case "LotRecalled":
      return `Lot recalled (class ${e.recallClass})`;
    case "StockQuarantineSet":
      return `${org(e.orgId)} ${e.quarantined ? "quarantined" : "released"} its stock`;
  }
}
