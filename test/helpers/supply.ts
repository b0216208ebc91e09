/**
 * Test fixtures for SupplyChain: the identity fixture plus a manufacturer (with a GS1 company prefix),
 * a distributor, two pharmacies, labs, and helpers to build serial trees and commission lots.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { AbiCoder, hexlify, keccak256, randomBytes, toUtf8Bytes } from "ethers";

import { Capabilities } from "../../src/roles.ts";
import type { SupplyChain } from "../../typechain-types/index.ts";
import { addOperator, DAY, deployIdentity, type Ethers, now, randomHash, wireContract } from "./identity.ts";

const abi = AbiCoder.defaultAbiCoder();

/** GS1 company prefix 0614141 (7 digits) recorded for the manufacturer. */
export const COMPANY_PREFIX = 614141n;
export const PREFIX_LENGTH = 7;

/** A random GTIN-14 under the company prefix: indicator 0, prefix, 5-digit item reference, check digit. */
export function gtinUnderPrefix(): bigint {
  const itemRef = BigInt(Math.floor(Math.random() * 100000));
  const checkDigit = BigInt(Math.floor(Math.random() * 10));
  return COMPANY_PREFIX * 10n ** 6n + itemRef * 10n + checkDigit;
}

/** `keccak256(abi.encode(uint64 gtin, bytes32 lotHash))`: the twin of `SupplyChain.lotIdOf`. */
export function lotIdOf(gtin: bigint, lotHash: string): string {
  return keccak256(abi.encode(["uint64", "bytes32"], [gtin, lotHash]));
}

/** keccak256 of a serial string (what goes on chain instead of the serial). */
export function serialHashOf(serial: string): string {
  return keccak256(toUtf8Bytes(serial));
}

/** Random alphanumeric serials (GS1 AI 21, up to 20 characters). */
export function randomSerials(n: number): string[] {
  return Array.from({ length: n }, () => hexlify(randomBytes(8)).slice(2).toUpperCase());
}

export interface SerialLot {
  serials: string[];
  hashes: string[];
  tree: StandardMerkleTree<[bigint, string]>;
  root: string;
  /** The proof of unit `index`. */
  proof(index: number): string[];
}

/** A serial tree with leaves `[index, keccak256(serial)]`, as the SDK builds it. */
export function serialLot(serials: string[]): SerialLot {
  const hashes = serials.map(serialHashOf);
  const tree = StandardMerkleTree.of(
    hashes.map((h, i): [bigint, string] => [BigInt(i), h]),
    ["uint256", "bytes32"],
  );
  return {
    serials,
    hashes,
    tree,
    root: tree.root,
    proof(index: number) {
      return tree.getProof(index);
    },
  };
}

/** Identity + SupplyChain wired as in production, with trading partners of every kind the tests need. */
export async function deploySupply(ethers: Ethers) {
  const id = await deployIdentity(ethers);
  const { manager, identity, registrar, others } = id;
  const [mfrOp, distOp, pharmOp, pharm2Op, labOp, lab2Op, stranger, mfr2Op, noQcLabOp, mfrOp2] = others;

  const supply = (await ethers.deployContract("SupplyChain", [
    await manager.getAddress(),
    await identity.getAddress(),
  ])) as unknown as SupplyChain;
  await wireContract(manager, "SupplyChain", supply);

  const C = Capabilities;
  const mfr = await id.registerOrg("Manufacturer", C.MANUFACTURE | C.TRADE | C.QUALITY_CONTROL, mfrOp);
  await identity.connect(registrar).setCompanyPrefix(mfr, COMPANY_PREFIX, PREFIX_LENGTH);
  await addOperator(identity, mfr, mfrOp, mfrOp2);
  const dist = await id.registerOrg("Distributor", C.TRADE, distOp);
  const pharm = await id.registerOrg("Pharmacy", C.TRADE | C.DISPENSE, pharmOp);
  const pharm2 = await id.registerOrg("Pharmacy", C.TRADE | C.DISPENSE, pharm2Op);
  const lab = await id.registerOrg("Lab", C.QUALITY_CONTROL, labOp);
  const lab2 = await id.registerOrg("Lab", C.QUALITY_CONTROL, lab2Op);
  const mfr2 = await id.registerOrg("Manufacturer", C.MANUFACTURE | C.TRADE, mfr2Op);
  const noQcLab = await id.registerOrg("Lab", 0, noQcLabOp);
  await supply.connect(mfrOp).setLabDesignation(lab, true);

  /** Commissions a lot of `n` random serials by the manufacturer; `release` records a passing check. */
  async function commission(n = 8, { release = true, expiresIn = 365n * DAY } = {}) {
    const lot = serialLot(randomSerials(n));
    const gtin = gtinUnderPrefix();
    const lotHash = randomHash();
    const expiry = (await now(ethers)) + expiresIn;
    await supply.connect(mfrOp).commissionLot(gtin, lotHash, expiry, n, lot.root, randomHash());
    const lotId = lotIdOf(gtin, lotHash);
    if (release) await supply.connect(mfrOp).qualityCheck(lotId, true, randomHash());
    return { ...lot, gtin, lotHash, lotId, expiry, quantity: BigInt(n) };
  }

  /** Ships `quantity` units of `lotId` from `from` to org `toOrg` and has `to` accept them. */
  async function move(lotId: string, from: HardhatEthersSigner, to: HardhatEthersSigner, toOrg: bigint, q: bigint) {
    await supply.connect(from).ship(lotId, toOrg, q, randomHash(), randomHash());
    const shipmentId = await supply.shipmentCount();
    await supply.connect(to).acceptShipment(lotId, shipmentId, randomHash(), randomHash());
    return shipmentId;
  }

  return {
    ...id,
    supply,
    mfr,
    dist,
    pharm,
    pharm2,
    lab,
    lab2,
    mfr2,
    noQcLab,
    mfrOp,
    mfrOp2,
    distOp,
    pharmOp,
    pharm2Op,
    labOp,
    lab2Op,
    mfr2Op,
    noQcLabOp,
    stranger,
    commission,
    move,
  };
}
