/**
 * Gas of SupplyChain, as `receipt.gasUsed` on the default hardfork, in the worst case issue 4 names: fresh
 * storage for what is written (a new lot, a new shipment slot, a receiver's first holding of the lot, a fresh
 * word of the dispensed map), the global shipment counter already non-zero, a partial shipment (the
 * sender's holding stays non-zero); measured with 1 and with 1,000 other organisations and lots.
 * Dispensing uses a lot of 2^20 units, so its Merkle proofs have depth 20; the tree is built sparsely (all
 * but a few leaves equal one filler hash) because the contract only checks one path.
 *
 *   npx hardhat run scripts/bench/supply.ts
 */
import { type ContractTransactionResponse, hexlify, keccak256, concat, randomBytes, Wallet } from "ethers";
import { network } from "hardhat";

import { type Ethers, now, randomHash, YEAR } from "../../test/helpers/identity.ts";
import { deploySupply, gtinUnderPrefix, lotIdOf, serialHashOf } from "../../test/helpers/supply.ts";
import { Capabilities } from "../../src/roles.ts";

export interface BenchRow {
  op: string;
  gas: bigint;
  goal?: bigint;
}

const DEPTH = 20;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** Sorted-pair hash, as OpenZeppelin's MerkleProof and StandardMerkleTree use. */
function hashPair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** `keccak256(bytes.concat(keccak256(abi.encode(index, serialHash))))`. */
function leafOf(index: bigint, serialHash: string): string {
  const inner = keccak256(concat([hexlify(bigintTo32(index)), serialHash]));
  return keccak256(inner);
}

function bigintTo32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * A tree of 2^depth leaves where only `known` leaves are real and every other leaf is one filler hash:
 * levels are kept as sparse maps, and an absent node at level k is the filler subtree's root D_k.
 */
function sparseTree(depth: number, known: Map<number, string>) {
  const filler = [keccak256(randomBytes(32))];
  for (let k = 0; k < depth; k++) filler.push(hashPair(filler[k], filler[k]));
  const levels: Map<number, string>[] = [new Map(known)];
  for (let k = 0; k < depth; k++) {
    const next = new Map<number, string>();
    for (const i of levels[k].keys()) {
      const parent = i >> 1;
      if (next.has(parent)) continue;
      const left = levels[k].get(parent * 2) ?? filler[k];
      const right = levels[k].get(parent * 2 + 1) ?? filler[k];
      next.set(parent, hashPair(left, right));
    }
    levels.push(next);
  }
  return {
    root: levels[depth].get(0)!,
    proof(index: number): string[] {
      const out: string[] = [];
      for (let k = 0; k < depth; k++) out.push(levels[k].get((index >> k) ^ 1) ?? filler[k]);
      return out;
    },
  };
}

/** One scenario at a population of `count` other organisations and lots. */
async function scenario(ethers: Ethers, count: number): Promise<BenchRow[]> {
  const f = await deploySupply(ethers);
  const { supply, mfrOp, distOp, pharmOp, dist, pharm, pharm2 } = f;
  const at = ` (${count} org${count === 1 ? "" : "s"}/lot${count === 1 ? "" : "s"})`;
  const rows: BenchRow[] = [];

  for (let i = 0; i < count; i++) {
    await f.registerOrg("Pharmacy", Capabilities.TRADE | Capabilities.DISPENSE, Wallet.createRandom() as never);
  }
  const expiry = (await now(ethers)) + YEAR;
  for (let i = 0; i < count; i++) {
    await supply
      .connect(mfrOp)
      .commissionLot(gtinUnderPrefix(), randomHash(), expiry, 1000, randomHash(), randomHash());
  }

  // A lot of 2^20 units; real serials at indexes 0, 1 (same word of the dispensed map) and 64 (next word).
  const serials = new Map<number, string>();
  const known = new Map<number, string>();
  for (const i of [0, 1, 64, 2 ** DEPTH - 1]) {
    serials.set(i, serialHashOf(`SN${i}-${hexlify(randomBytes(4))}`));
    known.set(i, leafOf(BigInt(i), serials.get(i)!));
  }
  const tree = sparseTree(DEPTH, known);
  const gtin = gtinUnderPrefix();
  const lotHash = randomHash();
  const lotId = lotIdOf(gtin, lotHash);

  rows.push({
    op: `commissionLot 2^20 units${at}`,
    gas: await gasOf(supply.connect(mfrOp).commissionLot(gtin, lotHash, expiry, 2 ** DEPTH, tree.root, randomHash())),
    goal: 120_000n,
  });
  rows.push({
    op: `commissionLot 1 unit${at}`,
    gas: await gasOf(
      supply.connect(mfrOp).commissionLot(gtinUnderPrefix(), randomHash(), expiry, 1, randomHash(), randomHash()),
    ),
    goal: 120_000n,
  });
  rows.push({
    op: `qualityCheck (release)${at}`,
    gas: await gasOf(supply.connect(mfrOp).qualityCheck(lotId, true, randomHash())),
  });

  // The global shipment counter is non-zero before anything is measured.
  await supply.connect(mfrOp).ship(lotId, pharm2, 1, randomHash(), randomHash());
  // Manufacturer -> distributor -> pharmacy; each ship partial, each accept into a fresh holding.
  rows.push({
    op: `ship${at}`,
    gas: await gasOf(supply.connect(mfrOp).ship(lotId, dist, 1000, randomHash(), randomHash())),
    goal: 90_000n,
  });
  let id = await supply.shipmentCount();
  rows.push({
    op: `acceptShipment${at}`,
    gas: await gasOf(supply.connect(distOp).acceptShipment(lotId, id, randomHash(), randomHash())),
    goal: 75_000n,
  });
  await supply.connect(distOp).ship(lotId, pharm, 100, randomHash(), randomHash());
  id = await supply.shipmentCount();
  await supply.connect(pharmOp).acceptShipment(lotId, id, randomHash(), randomHash());

  await supply.connect(distOp).ship(lotId, pharm2, 10, randomHash(), randomHash());
  rows.push({
    op: `rejectShipment${at}`,
    gas: await gasOf(supply.connect(f.pharm2Op).rejectShipment(lotId, id + 1n, randomHash(), randomHash())),
  });
  await supply.connect(distOp).ship(lotId, pharm2, 10, randomHash(), randomHash());
  rows.push({
    op: `cancelShipment${at}`,
    gas: await gasOf(supply.connect(distOp).cancelShipment(lotId, id + 2n, randomHash())),
  });

  rows.push({
    op: `dispense, depth-20 proof, fresh word${at}`,
    gas: await gasOf(supply.connect(pharmOp).dispense(lotId, serials.get(0)!, 0, tree.proof(0), randomHash())),
    goal: 90_000n,
  });
  rows.push({
    op: `dispense, depth-20 proof, word in use${at}`,
    gas: await gasOf(supply.connect(pharmOp).dispense(lotId, serials.get(1)!, 1, tree.proof(1), randomHash())),
    goal: 70_000n,
  });
  rows.push({
    op: `destroy${at}`,
    gas: await gasOf(supply.connect(pharmOp).destroy(lotId, 1, randomHash())),
  });
  rows.push({
    op: `recallLot (manufacturer)${at}`,
    gas: await gasOf(supply.connect(mfrOp).recallLot(lotId, 1, randomHash())),
  });
  const check = await supply.verifyUnit(gtin, lotHash, serials.get(64)!, 64, tree.proof(64));
  if (!check.authentic) throw new Error("bench: the sparse tree's proof did not verify");
  return rows;
}

/** The benchmark: rows for 1 and 1,000 other organisations and lots. */
export async function benchSupply(
  ethers: Ethers,
  populations: number[] = process.env.BENCH_QUICK ? [1] : [1, 1000],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const count of populations) rows.push(...(await scenario(ethers, count)));
  return rows;
}

if (process.argv.some((arg) => arg.endsWith("scripts/bench/supply.ts"))) {
  const { ethers } = await network.create();
  const rows = await benchSupply(ethers as unknown as Ethers);
  console.table(
    rows.map((r) => ({
      op: r.op,
      gas: Number(r.gas),
      goal: r.goal === undefined ? "" : Number(r.goal),
      ok: r.goal === undefined ? "" : r.gas <= r.goal ? "yes" : "NO",
    })),
  );
}
