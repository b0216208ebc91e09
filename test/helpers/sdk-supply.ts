/**
 * Fixtures for the SDK's supply half against the real contract: the SupplyChain fixture, one
 * SupplyClient per trading partner sharing a serial-proof store, and a lot commissioned through the SDK
 * with valid GS1 data (a GTIN with its check digit under the manufacturer's prefix 0614141).
 */
import { hexlify, randomBytes } from "ethers";

import { SupplyClient } from "../../src/clients/supply.ts";
import { formatGs1, type Gs1Expiry, isValidGtin, makeExpiry } from "../../src/gs1.ts";
import { SerialProofStore } from "../../src/serial-store.ts";
import { type Ethers, randomHash } from "./identity.ts";
import { deploySupply, PREFIX_LENGTH } from "./supply.ts";

/** A random GTIN-14 under a 7-digit company prefix: indicator 0, prefix, 5-digit item reference, check digit. */
export function validGtin(companyPrefix = "0614141"): string {
  const itemRef = String(Math.floor(Math.random() * 100_000)).padStart(5, "0");
  const body = `0${companyPrefix}${itemRef}`;
  for (let check = 0; check < 10; check++) {
    if (isValidGtin(`${body}${check}`)) return `${body}${check}`;
  }
  throw new Error("unreachable: one check digit is valid");
}

/** Random GS1 serials (AI 21) and lot numbers (AI 10): 12 upper-case hex characters. */
export function randomCode(prefix = ""): string {
  return `${prefix}${hexlify(randomBytes(6)).slice(2).toUpperCase()}`;
}

/** The expiry printed on a pack: June 30 of next year (by the chain's clock). */
export async function nextYearExpiry(ethers: Ethers): Promise<Gs1Expiry> {
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  return makeExpiry(new Date(now * 1000).getUTCFullYear() + 1, 6, 30);
}

/** Supply fixture + clients + one lot of `units` serials commissioned through the SDK and released. */
export async function deploySdkSupply(ethers: Ethers, units = 6) {
  const f = await deploySupply(ethers);
  const store = new SerialProofStore();
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  const gs1 = { referenceYear: new Date(now * 1000).getUTCFullYear() };
  const options = { store, gs1 };
  const mfrClient = new SupplyClient(f.supply.connect(f.mfrOp), options);
  const distClient = new SupplyClient(f.supply.connect(f.distOp), options);
  const pharmClient = new SupplyClient(f.supply.connect(f.pharmOp), options);
  const regulatorClient = new SupplyClient(f.supply.connect(f.regulator), options);

  const gtin = validGtin();
  const lot = randomCode("L");
  const serials = Array.from({ length: units }, () => randomCode("S"));
  const expiry = await nextYearExpiry(ethers);
  const commissioningHash = randomHash();
  const commissioned = await mfrClient.commissionLot({
    gtin,
    lot,
    expiry,
    serials,
    epcisEventHash: commissioningHash,
  });
  await mfrClient.qualityCheck({ lotId: commissioned.lotId, passed: true, certificateHash: randomHash() });

  /** The pack of unit `i` as a scanner transmits it (raw, with GS), or as printed (HRI). */
  function scan(i: number, mode: "raw" | "hri" = "raw"): string {
    return formatGs1({ gtin, expiry, lot, serial: serials[i] }, { mode, ...gs1 });
  }

  return {
    ...f,
    store,
    gs1,
    mfrClient,
    distClient,
    pharmClient,
    regulatorClient,
    gtin,
    lot,
    serials,
    expiry,
    commissioningHash,
    commissioned,
    lotId: commissioned.lotId,
    prefixLength: PREFIX_LENGTH,
    scan,
  };
}

/**
 * A lot's story for timelines and EPCIS: manufacturer → distributor (4, accepted), distributor → pharmacy
 * (1, rejected), distributor → pharmacy (3, accepted), the pharmacy dispenses units 1 and 2; the
 * distributor corrects its last shipment's EPCIS event, then corrects the correction; the pharmacy
 * (not the originator) corrects the distributor's first acceptance. Blocks are mined between steps so
 * that paging in small chunks crosses many chunk boundaries.
 */
export async function deployCustodyStory(ethers: Ethers, mine: (blocks: number) => Promise<void>) {
  const f = await deploySdkSupply(ethers, 6);
  const { lotId } = f;
  const h = {
    shipA: randomHash(),
    tiTsA: randomHash(),
    acceptA: randomHash(),
    shipB: randomHash(),
    rejectB: randomHash(),
    rejectReasonB: randomHash(),
    shipC: randomHash(),
    acceptC: randomHash(),
    dispense1: randomHash(),
    dispense2: randomHash(),
    shipCFixed: randomHash(),
    shipCFixedAgain: randomHash(),
    acceptAFixed: randomHash(),
  };
  const firstBlock = (await ethers.provider.getBlock("latest"))!.number;
  const a = await f.mfrClient.ship({ lotId, toOrg: f.dist, quantity: 4n, epcisEventHash: h.shipA, tiTsHash: h.tiTsA });
  await mine(3);
  await f.distClient.accept({ lotId, shipmentId: a.shipmentId, epcisEventHash: h.acceptA, tiTsHash: randomHash() });
  const b = await f.distClient.ship({
    lotId,
    toOrg: f.pharm,
    quantity: 1n,
    epcisEventHash: h.shipB,
    tiTsHash: randomHash(),
  });
  await mine(2);
  await f.pharmClient.reject({
    lotId,
    shipmentId: b.shipmentId,
    epcisEventHash: h.rejectB,
    reasonHash: h.rejectReasonB,
  });
  const c = await f.distClient.ship({
    lotId,
    toOrg: f.pharm,
    quantity: 3n,
    epcisEventHash: h.shipC,
    tiTsHash: randomHash(),
  });
  await f.pharmClient.accept({ lotId, shipmentId: c.shipmentId, epcisEventHash: h.acceptC, tiTsHash: randomHash() });
  await mine(4);
  await f.pharmClient.dispensePack(f.scan(1), h.dispense1);
  await f.pharmClient.dispensePack(f.scan(2), h.dispense2);
  await f.distClient.correctEvent(lotId, h.shipC, h.shipCFixed, randomHash());
  await mine(1);
  await f.distClient.correctEvent(lotId, h.shipCFixed, h.shipCFixedAgain, randomHash());
  await f.pharmClient.correctEvent(lotId, h.acceptA, h.acceptAFixed, randomHash());
  // Noise the timeline must leave out: another lot's custody, a correction of an unrelated hash.
  const other = await f.mfrClient.commissionLot({
    gtin: f.gtin,
    lot: randomCode("L"),
    expiry: f.expiry,
    serials: [randomCode("S")],
    epcisEventHash: randomHash(),
  });
  await f.distClient.correctEvent(lotId, randomHash(), randomHash(), randomHash());
  return {
    ...f,
    h,
    shipments: { a: a.shipmentId, b: b.shipmentId, c: c.shipmentId },
    firstBlock,
    otherLotId: other.lotId,
  };
}
