/**
 * `medchain lot commission` and `medchain pack verify`: a manufacturer commissions a serialised lot
 * (writing the serial-proof store a pharmacy scans against), and anyone verifies a pack from its GS1
 * element string (src/gs1.ts `parseGs1`, src/serial-store.ts, `SupplyChain.verifyUnit`).
 */
import { existsSync, writeFileSync } from "node:fs";

import { ZeroHash } from "ethers";

import { expiryToUnix, gtinToUint, makeExpiry, normalizeGtin, parseGs1, assertLot } from "../src/gs1.ts";
import { lotHash, lotId as lotIdOf, serialHash } from "../src/merkle.ts";
import { OrgKind } from "../src/roles.ts";
import { SerialProofStore } from "../src/serial-store.ts";
import {
  account,
  command,
  fail,
  formatTime,
  nameOf,
  openMedChain,
  parseBytes32,
  printFields,
  readText,
  required,
  send,
} from "./lib.ts";

/** `ISupplyChain.UnitStatus`. */
export const UnitStatus = {
  Unknown: 0,
  Active: 1,
  Unreleased: 2,
  Dispensed: 3,
  Quarantined: 4,
  Expired: 5,
  Recalled: 6,
  Illegitimate: 7,
} as const;

/** `ISupplyChain.LotStatus`. */
export const LotStatus = { None: 0, Active: 1, Quarantined: 2, Recalled: 3, Illegitimate: 4 } as const;

interface CommissionArgs {
  gtin?: string;
  lot?: string;
  expiry?: string;
  serialsFile?: string;
  store?: string;
  from?: string;
  release: boolean;
  epcisHash?: string;
  certificateHash?: string;
}

/**
 * Commissions a lot: the serials (one per line, or a JSON array) are committed as a Merkle root, the
 * store file gains the lot (created if absent), and `--release` records a passing quality check.
 */
export const commission = command(async (args: CommissionArgs, hre) => {
  const gtin = normalizeGtin(required(args.gtin, "--gtin"));
  const lot = required(args.lot, "--lot");
  assertLot(lot);
  const expiry = parseExpiry(required(args.expiry, "--expiry"));
  const serials = readSerials(required(args.serialsFile, "--serials-file"));
  const storeFile = required(args.store, "--store");
  const store = existsSync(storeFile)
    ? SerialProofStore.fromJSON(readText(storeFile, "--store"))
    : new SerialProofStore();
  const { root, quantity } = store.addLot(gtin, lot, serials);
  const epcisHash = args.epcisHash === undefined ? ZeroHash : parseBytes32(args.epcisHash, "--epcis-hash");
  const certificateHash =
    args.certificateHash === undefined ? ZeroHash : parseBytes32(args.certificateHash, "--certificate-hash");

  const { ethers, supply } = await openMedChain(hre);
  const operator = await account(ethers, args.from, "--from");
  const gtinNumber = gtinToUint(gtin);
  const id = lotIdOf(gtinNumber, lotHash(lot));
  await send(
    `commissionLot by ${operator.address}`,
    supply.connect(operator).commissionLot(gtinNumber, lotHash(lot), expiry, quantity, root, epcisHash),
  );
  if (args.release) {
    await send("qualityCheck (passed)", supply.connect(operator).qualityCheck(id, true, certificateHash));
  }
  writeFileSync(storeFile, JSON.stringify(store, null, 2));
  printFields(`Commissioned lot ${lot} of GTIN ${gtin}`, [
    ["lot id", id],
    ["units", quantity],
    ["expiry", formatTime(expiry)],
    ["serials root", root],
    ["released", args.release ? "yes" : "no (run a quality check before shipping)"],
    ["store", `${storeFile} (${store.lots().length} lot(s))`],
  ]);
});

interface VerifyArgs {
  gs1?: string;
  store?: string;
}

/**
 * Verifies a scanned pack: its GS1 string, its proof from the store, and what the chain says of it.
 * Exit code 0 when authentic and saleable, 2 when not (1 is bad input).
 */
export const verify = command(async (args: VerifyArgs, hre) => {
  const pack = parseGs1(required(args.gs1, "--gs1"));
  const storeFile = required(args.store, "--store");
  const store = SerialProofStore.fromJSON(readText(storeFile, "--store"));
  const found = store.lookup(pack.gtin, pack.lot, pack.serial);
  if (found.status === "unknown") {
    fail(
      `serial "${pack.serial}" of lot "${pack.lot}" (GTIN ${pack.gtin}) is not in ${storeFile}: ` +
        "no proof to check it with (this alone does not make it counterfeit)",
    );
  }

  const { supply } = await openMedChain(hre);
  const [authentic, status, expiry, dispensedBy] = await supply.verifyUnit(
    gtinToUint(pack.gtin),
    lotHash(pack.lot),
    serialHash(pack.serial),
    found.index,
    found.proof,
  );
  const printedExpiry = expiryToUnix(pack.expiry);
  const fields: [string, string][] = [
    ["GTIN", pack.gtin],
    ["lot", pack.lot],
    ["serial", `${pack.serial} (unit #${found.index})`],
    ["printed expiry", pack.expiry.iso],
  ];
  if (!authentic) {
    printFields(
      "Pack NOT AUTHENTIC: the chain knows no such unit (unknown lot, or a proof that does not match its root)",
      fields,
    );
    process.exitCode = 2;
    return;
  }
  fields.push(
    ["status", nameOf(UnitStatus, status)],
    ["lot expiry", `${formatTime(expiry)}${expiry === printedExpiry ? "" : " (DIFFERS from the printed expiry)"}`],
    ["dispensed", dispensedBy === 0n ? "no" : `yes, by a ${nameOf(OrgKind, dispensedBy)}`],
  );
  const verdict =
    status === BigInt(UnitStatus.Active) ? "authentic and saleable" : `authentic, ${nameOf(UnitStatus, status)}`;
  printFields(`Pack ${verdict}`, fields);
  if (status !== BigInt(UnitStatus.Active)) process.exitCode = 2;
});

/** `YYYY-MM-DD` as the end of that day in UTC (how GS1 expiry dates are read on chain). */
function parseExpiry(text: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) fail(`--expiry: "${text}" is not a date YYYY-MM-DD`);
  return expiryToUnix(makeExpiry(Number(m[1]), Number(m[2]), Number(m[3])));
}

/** Serials from a file: a JSON array of strings, or one serial per line. */
function readSerials(file: string): string[] {
  const text = readText(file, "--serials-file").trim();
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      fail(`--serials-file: ${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === "string")) {
      fail(`--serials-file: ${file} must be a JSON array of strings`);
    }
    return parsed as string[];
  }
  const serials = text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (serials.length === 0) fail(`--serials-file: ${file} has no serials`);
  return serials;
}
