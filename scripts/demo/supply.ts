/**
 * Demo chapter: drug traceability. A lot of 10,000 serialised packs is commissioned (one Merkle root),
 * released by a designated lab, passed manufacturer → distributor → pharmacy, one pack is scanned by
 * its GS1 string and dispensed, a cloned pack is caught, the lot is recalled and the next dispense is
 * refused.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { hexlify, randomBytes } from "ethers";

import { SupplyClient } from "../../src/clients/supply.ts";
import { formatGs1, isValidGtin, makeExpiry } from "../../src/gs1.ts";
import { SerialProofStore } from "../../src/serial-store.ts";
import type { IdentityRegistry, SupplyChain } from "../../typechain-types/index.ts";
import type { IdentityCast } from "./identity.ts";
import { act, chapter, note, refused } from "./story.ts";

const hash = (): string => hexlify(randomBytes(32));
const code = (prefix: string): string => `${prefix}${hexlify(randomBytes(5)).slice(2).toUpperCase()}`;

export interface SupplyOutcome {
  lotId: string;
  units: number;
  dispensedPack: string;
  refusals: string[];
}

export async function supplyChapter(
  supply: SupplyChain,
  identity: IdentityRegistry,
  registrar: HardhatEthersSigner,
  regulator: HardhatEthersSigner,
  cast: IdentityCast,
  units = 10_000,
): Promise<SupplyOutcome> {
  chapter(`4. Drug traceability: a lot of ${units.toLocaleString("en")} serialised packs, from factory to patient`);
  const { Manufacturer: mfr, Distributor: dist, Pharmacy: pharm, Lab: lab } = cast.orgs;
  const refusals: string[] = [];
  const now = (await supply.runner!.provider!.getBlock("latest"))!.timestamp;
  const year = new Date(now * 1000).getUTCFullYear();
  const store = new SerialProofStore();
  const options = { store, gs1: { referenceYear: year } };
  const client = (op: HardhatEthersSigner) => new SupplyClient(supply.connect(op), options);
  const [mfrC, distC, pharmC, regC] = [
    client(mfr.operator),
    client(dist.operator),
    client(pharm.operator),
    client(regulator),
  ];

  await act(
    "registrar",
    "records Acme Pharma's GS1 company prefix 0614141",
    identity.connect(registrar).setCompanyPrefix(mfr.id, 614141n, 7),
  );
  await act("Acme Pharma", "designates Quality Lab to release its lots", mfrC.setLabDesignation(lab.id, true));

  let gtin = "";
  for (let check = 0; !isValidGtin(gtin); check++) gtin = `0061414112345${check}`;
  const lot = code("L");
  const expiry = makeExpiry(year + 2, 6, 30);
  const serials = Array.from({ length: units }, () => code("S"));
  const t0 = Date.now();
  const commissioned = await mfrC.commissionLot({ gtin, lot, expiry, serials, epcisEventHash: hash() });
  note(
    `the serial tree of ${units.toLocaleString("en")} packs was built off chain in ${Date.now() - t0} ms; only its root goes on chain`,
  );
  await act(
    "Acme Pharma",
    `commissions lot ${lot} of GTIN ${gtin}: ${units.toLocaleString("en")} units, one root`,
    Promise.resolve(commissioned.receipt),
  );
  const { lotId } = commissioned;
  refusals.push(
    await refused(
      "Acme Pharma",
      "ships before the lot is released by quality control",
      mfrC.ship({ lotId, toOrg: dist.id, quantity: 100n, epcisEventHash: hash(), tiTsHash: hash() }),
    ),
  );
  await act(
    "Quality Lab",
    "records a passing quality check: the lot is released",
    client(lab.operator).qualityCheck({ lotId, passed: true, certificateHash: hash() }),
  );

  const s1 = await mfrC.ship({ lotId, toOrg: dist.id, quantity: 100n, epcisEventHash: hash(), tiTsHash: hash() });
  await act("Acme Pharma", "ships 100 packs to Wholesale Co (pending until accepted)", Promise.resolve(s1));
  await act(
    "Wholesale Co",
    "accepts the shipment",
    distC.accept({ lotId, shipmentId: s1.shipmentId, epcisEventHash: hash(), tiTsHash: hash() }),
  );
  const s2 = await distC.ship({ lotId, toOrg: pharm.id, quantity: 20n, epcisEventHash: hash(), tiTsHash: hash() });
  await act("Wholesale Co", "ships 20 packs to Corner Pharmacy", Promise.resolve(s2));
  await act(
    "Corner Pharmacy",
    "accepts the shipment",
    pharmC.accept({ lotId, shipmentId: s2.shipmentId, epcisEventHash: hash(), tiTsHash: hash() }),
  );

  const pack = formatGs1({ gtin, expiry, lot, serial: serials[42] }, { mode: "hri", referenceYear: year });
  const scanned = formatGs1({ gtin, expiry, lot, serial: serials[42] }, { mode: "raw", referenceYear: year });
  const before = await pharmC.verifyPack(scanned);
  note(`the pharmacist scans ${pack}: ${before.status}, ${before.unitStatus}`);
  await act(
    "Corner Pharmacy",
    "dispenses that pack to a patient (its serial's bit is set)",
    pharmC.dispensePack(scanned, hash()),
  );
  const clone = await pharmC.verifyPack(scanned);
  note(
    `a second pack with the same serial is scanned: ${clone.status}, ${clone.unitStatus} by a ${clone.dispensedByKind}`,
  );
  refusals.push(await refused("Corner Pharmacy", "dispenses the cloned pack", pharmC.dispensePack(scanned, hash())));
  const forged = formatGs1({ gtin, expiry, lot, serial: "FAKE0001" }, { mode: "raw", referenceYear: year });
  note(
    `a pack with a serial the proof store never saw: ${(await pharmC.verifyPack(forged)).status} (unknown is not counterfeit)`,
  );

  await act("regulator", "recalls the lot (class 1)", regC.recall({ lotId, recallClass: 1, reasonHash: hash() }));
  const next = formatGs1({ gtin, expiry, lot, serial: serials[43] }, { mode: "raw", referenceYear: year });
  note(`the next pack scans as: ${(await pharmC.verifyPack(next)).unitStatus}`);
  refusals.push(
    await refused("Corner Pharmacy", "dispenses a pack of the recalled lot", pharmC.dispensePack(next, hash())),
  );
  const back = await pharmC.returnForDestruction({ lotId, quantity: 19n, epcisEventHash: hash(), tiTsHash: hash() });
  await act("Corner Pharmacy", "returns its 19 recalled packs to Acme Pharma for destruction", Promise.resolve(back));
  await act(
    "Acme Pharma",
    "accepts the return: the packs are held apart, to be destroyed only",
    mfrC.accept({ lotId, shipmentId: back.shipmentId, epcisEventHash: hash(), tiTsHash: hash() }),
  );
  await act(
    "Acme Pharma",
    "destroys the 19 returned packs",
    mfrC.destroy({ lotId, quantity: 19n, epcisEventHash: hash() }),
  );
  const totals = await regC.lotTotals(lotId);
  note(
    `the lot's totals in one call: ${totals.held} held, ${totals.inTransit} in transit, ${totals.dispensed} dispensed, ` +
      `${totals.destroyed} destroyed, ${totals.awaitingDestruction} awaiting destruction (of ${totals.quantity})`,
  );
  return { lotId, units, dispensedPack: pack, refusals };
}
