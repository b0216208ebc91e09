import { expect } from "chai";
import { network } from "hardhat";

import {
  EPCIS_CONTEXT,
  type EpcisDocument,
  EpcisError,
  epcisHashEventId,
  escapeEpcComponent,
  gtinEpcParts,
  lgtinClassUri,
  sgtinPatternUri,
  sgtinUri,
  toEpcisDocument,
} from "../../src/epcis.ts";
import { Gs1Error } from "../../src/gs1.ts";
import { lotTimeline } from "../../src/views/supply.ts";
import { randomHash } from "../helpers/identity.ts";
import { deployCustodyStory, deploySdkSupply } from "../helpers/sdk-supply.ts";
import { catchError } from "../helpers/sdk.ts";

const { ethers, networkHelpers } = await network.create();

async function storyFixture() {
  return deployCustodyStory(ethers, (blocks) => networkHelpers.mine(blocks));
}

async function lotFixture() {
  return deploySdkSupply(ethers, 6);
}

// ─── A hand-written check of EPCIS 2.0 required fields (no schema download) ──────────────────────

/** CBV 2.0 business steps and dispositions (bare-word form), as the EPCIS 2.0 JSON schema lists them. */
const BIZ_STEPS = new Set(
  "accepting arriving assembling collecting commissioning consigning creating_class_instance cycle_counting decommissioning departing destroying disassembling dispensing encoding entering_exiting holding inspecting installing killing loading other packing picking receiving removing repackaging repairing replacing reserving retail_selling shipping staging_outbound stock_taking stocking storing transporting unloading unpacking void_shipping sensor_reporting sampling".split(
    " ",
  ),
);
const DISPOSITIONS = new Set(
  "active container_closed damaged destroyed dispensed disposed encoded expired in_progress in_transit inactive no_pedigree_match non_sellable_other partially_dispensed recalled reserved retail_sold returned sellable_accessible sellable_not_accessible stolen unknown".split(
    " ",
  ),
);
const EVENT_KEYS = new Set([
  "type",
  "eventTime",
  "eventTimeZoneOffset",
  "eventID",
  "errorDeclaration",
  "epcList",
  "quantityList",
  "action",
  "bizStep",
  "disposition",
  "readPoint",
  "bizLocation",
  "sourceList",
  "destinationList",
  "ilmd",
]);
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const URI = /^[a-z][a-z0-9+.-]*:\S+$/i;

/** What is wrong with `doc` as an EPCIS 2.0 EPCISDocument of ObjectEvents (empty when nothing). */
function epcisProblems(doc: EpcisDocument): string[] {
  const problems: string[] = [];
  const d = doc as unknown as Record<string, unknown>;
  for (const key of ["@context", "type", "schemaVersion", "creationDate", "epcisBody"]) {
    if (!(key in d)) problems.push(`document lacks ${key}`);
  }
  const context = d["@context"];
  if (!(Array.isArray(context) ? context[0] === EPCIS_CONTEXT : context === EPCIS_CONTEXT)) {
    problems.push("@context does not start with the EPCIS 2.0 context");
  }
  if (d.type !== "EPCISDocument") problems.push("type is not EPCISDocument");
  if (d.schemaVersion !== "2.0") problems.push("schemaVersion is not 2.0");
  if (typeof d.creationDate !== "string" || !DATE_TIME.test(d.creationDate)) problems.push("creationDate");
  const events = (d.epcisBody as { eventList?: unknown })?.eventList;
  if (!Array.isArray(events)) return [...problems, "epcisBody.eventList is not an array"];
  events.forEach((event: Record<string, unknown>, i) => {
    const at = `eventList[${i}]`;
    if (event.type !== "ObjectEvent") problems.push(`${at}.type`);
    if (typeof event.eventTime !== "string" || !DATE_TIME.test(event.eventTime)) problems.push(`${at}.eventTime`);
    if (!/^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$/.test(String(event.eventTimeZoneOffset))) {
      problems.push(`${at}.eventTimeZoneOffset`);
    }
    if (!["ADD", "OBSERVE", "DELETE"].includes(String(event.action))) problems.push(`${at}.action`);
    if (event.ilmd !== undefined && event.action !== "ADD") problems.push(`${at}: ilmd without ADD`);
    if (event.bizStep !== undefined && !BIZ_STEPS.has(String(event.bizStep))) problems.push(`${at}.bizStep`);
    if (event.disposition !== undefined && !DISPOSITIONS.has(String(event.disposition))) {
      problems.push(`${at}.disposition`);
    }
    if (event.eventID !== undefined && !URI.test(String(event.eventID))) problems.push(`${at}.eventID`);
    if (!Array.isArray(event.epcList) && !Array.isArray(event.quantityList)) {
      problems.push(`${at} has neither epcList nor quantityList`);
    }
    for (const epc of (event.epcList as unknown[] | undefined) ?? []) {
      if (typeof epc !== "string" || !URI.test(epc)) problems.push(`${at}.epcList item ${String(epc)}`);
    }
    const quantities = event.quantityList as { epcClass?: unknown; quantity?: unknown }[] | undefined;
    if (quantities !== undefined && quantities.length === 0) problems.push(`${at}.quantityList is empty`);
    for (const q of quantities ?? []) {
      if (typeof q.epcClass !== "string" || !URI.test(q.epcClass)) problems.push(`${at}.quantityList epcClass`);
      if (typeof q.quantity !== "number") problems.push(`${at}.quantityList quantity`);
      if (Object.keys(q).some((k) => !["epcClass", "quantity", "uom"].includes(k))) problems.push(`${at} quantity key`);
    }
    for (const [list, field] of [
      ["sourceList", "source"],
      ["destinationList", "destination"],
    ] as const) {
      for (const item of (event[list] as Record<string, unknown>[] | undefined) ?? []) {
        if (typeof item.type !== "string" || typeof item[field] !== "string" || !URI.test(String(item[field]))) {
          problems.push(`${at}.${list}`);
        }
      }
    }
    const declaration = event.errorDeclaration as Record<string, unknown> | undefined;
    if (declaration !== undefined) {
      if (typeof declaration.declarationTime !== "string" || !DATE_TIME.test(declaration.declarationTime)) {
        problems.push(`${at}.errorDeclaration.declarationTime`);
      }
      if (Object.keys(declaration).some((k) => !["declarationTime", "reason", "correctiveEventIDs"].includes(k))) {
        problems.push(`${at}.errorDeclaration has an unknown key`);
      }
    }
    for (const key of Object.keys(event)) {
      // Anything else must be an extension under a prefix the @context declares.
      if (!EVENT_KEYS.has(key) && !key.startsWith("medchain:")) problems.push(`${at}: unknown key ${key}`);
    }
  });
  return problems;
}

// ─── Tests ───────────────────────────────────────────────────────────────────────────────────────

describe("SDK EPCIS export", function () {
  describe("EPC URIs", function () {
    // GS1 EPC Tag Data Standard, SGTIN / LGTIN URIs: for GTIN-14 d1…d14 and a company prefix of L digits,
    // CompanyPrefix = d2…d(L+1), IndicatorAndItemRef = d1 d(L+2)…d13, check digit d14 dropped.
    // Vector 1: indicator 0, prefix 4012345 (L = 7), item reference 12345 → body 0401234512345; its mod-10
    // check digit (weights 3,1,3,… from the right: sum 64) is 6 → GTIN 04012345123456, and the lot 998877
    // gives the class URI urn:epc:class:lgtin:4012345.012345.998877 (the form the TDS and EPCIS examples use).
    // Vector 2: indicator 8, prefix 0614141, item reference 12345 → body 8061414112345, sum 102, check 8
    // → GTIN 80614141123458, serial 12345 → urn:epc:id:sgtin:0614141.812345.12345.
    it("builds the lgtin class, the sgtin and the sgtin pattern from a GTIN and its prefix length", function () {
      expect(lgtinClassUri("04012345123456", "998877", 7)).to.equal("urn:epc:class:lgtin:4012345.012345.998877");
      expect(sgtinUri("80614141123458", "12345", 7)).to.equal("urn:epc:id:sgtin:0614141.812345.12345");
      expect(sgtinPatternUri("80614141123458", 7)).to.equal("urn:epc:idpat:sgtin:0614141.812345.*");
      expect(gtinEpcParts("4012345123456", 7)).to.deep.equal({ companyPrefix: "4012345", itemRef: "012345" });
    });

    it("moves the indicator digit for every prefix length from 6 to 12, keeping 13 digits", function () {
      expect(gtinEpcParts("04012345123456", 6)).to.deep.equal({ companyPrefix: "401234", itemRef: "0512345" });
      expect(gtinEpcParts("04012345123456", 12)).to.deep.equal({ companyPrefix: "401234512345", itemRef: "0" });
      for (let L = 6; L <= 12; L++) {
        const { companyPrefix, itemRef } = gtinEpcParts("80614141123458", L);
        expect(companyPrefix.length + itemRef.length).to.equal(13);
        expect(itemRef[0]).to.equal("8");
      }
      for (const L of [5, 13, 7.5]) {
        const error = catchError(() => sgtinPatternUri("80614141123458", L));
        expect(error).to.be.instanceOf(EpcisError);
        expect((error as EpcisError).code).to.equal("BAD_PREFIX_LENGTH");
      }
      expect(catchError(() => lgtinClassUri("80614141123459", "L1", 7))).to.be.instanceOf(Gs1Error);
    });

    it("percent-escapes the characters the TDS reserves in a lot or serial, and only those", function () {
      expect(escapeEpcComponent('A/B%C"D&E<F>G?H')).to.equal("A%2FB%25C%22D%26E%3CF%3EG%3FH");
      expect(escapeEpcComponent("!'()*+,-.:;=_az09")).to.equal("!'()*+,-.:;=_az09");
      expect(lgtinClassUri("04012345123456", "L/1", 7)).to.equal("urn:epc:class:lgtin:4012345.012345.L%2F1");
    });

    it("writes an on-chain EPCIS hash as the CBV 2.0 event hash ID", function () {
      const hash = `0x${"Ab".repeat(32)}`;
      expect(epcisHashEventId(hash)).to.equal(`ni:///sha-256;${"ab".repeat(32)}?ver=CBV2.0`);
      expect(() => epcisHashEventId("0x1234")).to.throw(TypeError);
    });
  });

  describe("toEpcisDocument", function () {
    it("exports the story's timeline as a valid EPCISDocument in chain order", async function () {
      const f = await networkHelpers.loadFixture(storyFixture);
      const creationDate = new Date("2030-01-02T03:04:05.000Z");
      const doc = await f.pharmClient.exportEpcis(f.lotId, {
        creationDate,
        serialOf: (lotId, index) => (lotId === f.lotId ? f.serials[Number(index)] : undefined),
      });
      expect(epcisProblems(doc)).to.deep.equal([]);
      expect(doc["@context"][0]).to.equal(EPCIS_CONTEXT);
      expect(doc).to.deep.include({
        type: "EPCISDocument",
        schemaVersion: "2.0",
        creationDate: "2030-01-02T03:04:05.000Z",
      });

      const events = doc.epcisBody.eventList;
      const id = epcisHashEventId;
      expect(events.map((e) => [e.bizStep, e.disposition ?? null, e.action, e.eventID ?? null])).to.deep.equal([
        ["commissioning", "active", "ADD", id(f.commissioningHash)],
        ["inspecting", "active", "OBSERVE", null], // the release (no EPCIS hash on chain)
        ["shipping", "in_transit", "OBSERVE", id(f.h.shipA)],
        ["receiving", "in_progress", "OBSERVE", id(f.h.acceptA)],
        ["shipping", "in_transit", "OBSERVE", id(f.h.shipB)],
        ["receiving", "returned", "OBSERVE", id(f.h.rejectB)],
        ["shipping", "in_transit", "OBSERVE", id(f.h.shipC)],
        ["receiving", "in_progress", "OBSERVE", id(f.h.acceptC)],
        ["dispensing", "dispensed", "OBSERVE", id(f.h.dispense1)],
        ["dispensing", "dispensed", "OBSERVE", id(f.h.dispense2)],
        ["shipping", "in_transit", "OBSERVE", id(f.h.shipC)], // shipC declared wrong
        ["receiving", "in_progress", "OBSERVE", id(f.h.acceptA)], // acceptA declared wrong
      ]);

      const lgtin = lgtinClassUri(f.gtin, f.lot, 7);
      const [commissioning, , shipA, acceptA] = events;
      expect(commissioning.quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 6 }]);
      expect(commissioning.ilmd).to.deep.equal({
        "cbvmda:itemExpirationDate": f.expiry.iso,
        "cbvmda:lotNumber": f.lot,
      });
      expect(shipA.quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 4 }]);
      expect(shipA.sourceList).to.deep.equal([{ type: "owning_party", source: `urn:medchain:org:${f.mfr}` }]);
      expect(shipA.destinationList).to.deep.equal([
        { type: "owning_party", destination: `urn:medchain:org:${f.dist}` },
      ]);
      expect(shipA["medchain:tiTsHash"]).to.equal(f.h.tiTsA);
      expect(acceptA["medchain:org"]).to.equal(`urn:medchain:org:${f.dist}`);
      expect(events[5].quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 1 }]);
      expect(events[8].epcList).to.deep.equal([sgtinUri(f.gtin, f.serials[1], 7)]);

      const timeline = await lotTimeline(f.supply, f.lotId);
      expect(events.slice(0, 10).map((e) => e.eventTime)).to.deep.equal(
        timeline.entries.map((e) => new Date(e.timestamp * 1000).toISOString()),
      );
      expect(events.slice(0, 10).map((e) => e["medchain:transactionHash"])).to.deep.equal(
        timeline.entries.map((e) => e.transactionHash),
      );
    });

    it("declares a corrected event in error, naming the corrective event, at the correction's time", async function () {
      const f = await networkHelpers.loadFixture(storyFixture);
      const doc = await f.pharmClient.exportEpcis(f.lotId);
      const timeline = await lotTimeline(f.supply, f.lotId);
      const original = doc.epcisBody.eventList[6];
      const declared = doc.epcisBody.eventList[10];
      const correction = timeline.corrections.find((c) => c.correctedEpcisEventHash === f.h.shipC)!;
      expect(original.errorDeclaration).to.equal(undefined);
      expect(declared.errorDeclaration).to.deep.equal({
        declarationTime: new Date(correction.timestamp * 1000).toISOString(),
        reason: "incorrect_data",
        correctiveEventIDs: [epcisHashEventId(f.h.shipCFixed)],
      });
      const { errorDeclaration: _declaration, ...rest } = declared;
      expect(Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith("medchain:declar")))).to.deep.equal(
        original,
      );
      expect(declared["medchain:declaredBy"]).to.equal(`urn:medchain:org:${f.dist}`);
      const byPharmacy = doc.epcisBody.eventList[11];
      expect(byPharmacy.errorDeclaration?.correctiveEventIDs).to.deep.equal([epcisHashEventId(f.h.acceptAFixed)]);
      expect(byPharmacy["medchain:declaredBy"]).to.equal(`urn:medchain:org:${f.pharm}`);
    });

    it("uses the caller's party and location URIs, and the sgtin pattern when the lot number is unknown", async function () {
      const f = await networkHelpers.loadFixture(storyFixture);
      const timeline = await lotTimeline(f.supply, f.lotId);
      const doc = toEpcisDocument(timeline, {
        lots: { [f.lotId]: { companyPrefixLength: 7 } },
        orgUri: (org) => `urn:epc:id:pgln:0614141.${String(org).padStart(5, "0")}`,
        orgLocation: (org) => (org === f.pharm ? "urn:epc:id:sgln:0614141.00777.0" : undefined),
        correctionReason: "did_not_occur",
      });
      expect(epcisProblems(doc)).to.deep.equal([]);
      const pattern = sgtinPatternUri(f.gtin, 7);
      const [commissioning, , shipA] = doc.epcisBody.eventList;
      expect(commissioning.quantityList).to.deep.equal([{ epcClass: pattern, quantity: 6 }]);
      expect(commissioning.ilmd).to.deep.equal({ "cbvmda:itemExpirationDate": f.expiry.iso });
      expect(shipA.sourceList?.[0].source).to.equal(`urn:epc:id:pgln:0614141.${String(f.mfr).padStart(5, "0")}`);
      expect(shipA.readPoint).to.equal(undefined);
      const dispensed = doc.epcisBody.eventList[8];
      expect(dispensed.readPoint).to.deep.equal({ id: "urn:epc:id:sgln:0614141.00777.0" });
      expect(dispensed.bizLocation).to.deep.equal({ id: "urn:epc:id:sgln:0614141.00777.0" });
      expect(dispensed.quantityList).to.deep.equal([{ epcClass: pattern, quantity: 1 }]);
      expect(doc.epcisBody.eventList[10].errorDeclaration?.reason).to.equal("did_not_occur");
    });

    it("refuses a lot it has no information for, or whose GTIN it cannot learn", async function () {
      const f = await networkHelpers.loadFixture(storyFixture);
      const timeline = await lotTimeline(f.supply, f.lotId);
      const noInfo = catchError(() => toEpcisDocument(timeline, { lots: {} }));
      expect(noInfo).to.be.instanceOf(EpcisError);
      expect((noInfo as EpcisError).code).to.equal("UNKNOWN_LOT");
      const withoutCommissioning = timeline.entries.filter((e) => e.event !== "LotCommissioned");
      const noGtin = catchError(() =>
        toEpcisDocument(withoutCommissioning, { lots: new Map([[f.lotId, { companyPrefixLength: 7 }]]) }),
      );
      expect((noGtin as EpcisError).message).to.match(/no GTIN/);
      const given = toEpcisDocument(withoutCommissioning, {
        lots: new Map([[f.lotId, { companyPrefixLength: 7, gtin: f.gtin, lot: f.lot }]]),
      });
      expect(given.epcisBody.eventList[1].quantityList?.[0].epcClass).to.equal(lgtinClassUri(f.gtin, f.lot, 7));
      await expect(f.pharmClient.exportEpcis(f.lotId, { fromBlock: f.firstBlock + 1 })).to.be.rejectedWith(
        EpcisError,
        /no LotCommissioned/,
      );
    });

    it("maps quality, quarantine, recall, stock quarantine, cancel, return, destroy and saleable return", async function () {
      const f = await networkHelpers.loadFixture(lotFixture);
      const { lotId } = f;
      const toDist = await f.mfrClient.ship({
        lotId,
        toOrg: f.dist,
        quantity: 3n,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await f.distClient.accept({
        lotId,
        shipmentId: toDist.shipmentId,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      const cancelled = await f.distClient.ship({
        lotId,
        toOrg: f.pharm,
        quantity: 1n,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await f.distClient.cancel({ lotId, shipmentId: cancelled.shipmentId, epcisEventHash: randomHash() });
      const found = f.store.lookup(f.gtin, f.lot, f.serials[0]);
      if (found.status !== "known") throw new Error("fixture: serial 0 is known");
      await f.distClient.verifySaleableReturn({
        lotId,
        serial: f.serials[0],
        index: found.index,
        proof: found.proof,
        epcisEventHash: randomHash(),
      });
      await f.distClient.setStockQuarantine(lotId, true, randomHash());
      await f.distClient.setStockQuarantine(lotId, false, randomHash());
      await f.mfrClient.qualityCheck({ lotId, passed: false, certificateHash: randomHash() }); // quarantines the lot
      await f.mfrClient.clearQuarantine(lotId, randomHash());
      await f.pharmClient.reportSuspect(lotId, undefined, randomHash());
      await f.regulatorClient.recall({ lotId, recallClass: 1, reasonHash: randomHash() });
      const back = await f.distClient.returnForDestruction({
        lotId,
        quantity: 3n,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await f.mfrClient.accept({
        lotId,
        shipmentId: back.shipmentId,
        epcisEventHash: randomHash(),
        tiTsHash: randomHash(),
      });
      await f.mfrClient.destroy({ lotId, quantity: 6n, epcisEventHash: randomHash() });

      const doc = await f.pharmClient.exportEpcis(lotId);
      expect(epcisProblems(doc)).to.deep.equal([]);
      const rows = doc.epcisBody.eventList.map((e) => [e.bizStep, e.disposition ?? null, e.action]);
      expect(rows).to.deep.equal([
        ["commissioning", "active", "ADD"],
        ["inspecting", "active", "OBSERVE"],
        ["shipping", "in_transit", "OBSERVE"],
        ["receiving", "in_progress", "OBSERVE"],
        ["shipping", "in_transit", "OBSERVE"],
        ["void_shipping", null, "OBSERVE"],
        ["inspecting", "sellable_accessible", "OBSERVE"],
        ["holding", "non_sellable_other", "OBSERVE"],
        ["holding", "active", "OBSERVE"],
        ["holding", "non_sellable_other", "OBSERVE"], // failed check: the lot's status changed to quarantined
        ["inspecting", "non_sellable_other", "OBSERVE"],
        ["holding", "active", "OBSERVE"], // cleared
        ["holding", "recalled", "OBSERVE"], // once, though the chain emits LotStatusChanged and LotRecalled
        ["shipping", "in_transit", "OBSERVE"],
        ["receiving", "in_progress", "OBSERVE"],
        ["destroying", "destroyed", "DELETE"],
      ]);
      const events = doc.epcisBody.eventList;
      const lgtin = lgtinClassUri(f.gtin, f.lot, 7);
      expect(events[5].quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 1 }]); // cancelled: 1 unit
      expect(events[6].quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 1 }]); // no serialOf: one of the class
      expect(events[7]).to.deep.include({ epcList: [], "medchain:epcClass": lgtin, "medchain:stockQuarantined": true });
      expect(events[12]).to.deep.include({
        "medchain:recallClass": 1,
        quantityList: [{ epcClass: lgtin, quantity: 6 }],
      });
      expect(events[13]["medchain:forDestruction"]).to.equal(true);
      expect(events[15].quantityList).to.deep.equal([{ epcClass: lgtin, quantity: 6 }]);
    });
  });
});
