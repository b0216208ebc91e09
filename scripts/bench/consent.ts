/**
 * Gas of ConsentManager and RecordRegistry, as `receipt.gasUsed` on the default hardfork, in the worst
 * case the issue names: fresh storage for the entity written (a new grant, a new record), the patient's
 * nonce and the global counters already non-zero, an ordinary-account (EOA) signer; measured with 1 and
 * with 1,000 other organisations and patients registered.
 *
 *   npx hardhat run scripts/bench/consent.ts
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type ContractTransactionResponse, hexlify, randomBytes, Wallet } from "ethers";
import { network } from "hardhat";

import { deployConsent } from "../../test/helpers/consent.ts";
import { type Ethers, HOUR, now, randomHash, YEAR } from "../../test/helpers/identity.ts";
import { Capabilities } from "../../src/roles.ts";
import { Action, Category, categoryIndex, Purpose, scopes } from "../../src/scopes.ts";

export interface BenchRow {
  op: string;
  gas: bigint;
  goal?: bigint;
}

interface BenchEthers extends Ethers {
  provider: Ethers["provider"] & { send(method: string, params: unknown[]): Promise<unknown> };
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** Registers `count` organisations and `count` patients besides the fixture's own. */
async function populate(ethers: BenchEthers, sys: Awaited<ReturnType<typeof deployConsent>>, count: number) {
  for (let i = 0; i < count; i++) {
    await sys.registerOrg("Provider", Capabilities.WRITE_RECORDS, Wallet.createRandom() as never);
  }
  for (let i = 0; i < count; i++) {
    const wallet = Wallet.createRandom().connect(sys.identity.runner!.provider);
    await ethers.provider.send("hardhat_setBalance", [wallet.address, "0xde0b6b3a7640000"]);
    await sys.registerPatient(wallet as unknown as HardhatEthersSigner);
  }
}

/** One scenario at a population of `count` other organisations and patients. */
async function scenario(ethers: BenchEthers, count: number): Promise<BenchRow[]> {
  const sys = await deployConsent(ethers);
  const { consent, records, patient, doctor, hospital, insurer, pharmacy, patientId } = sys;
  await populate(ethers, sys, count);
  const at = ` (${count} org${count === 1 ? "" : "s"}/patient${count === 1 ? "" : "s"})`;
  const rows: BenchRow[] = [];
  const expiresAt = (await now(ethers)) + YEAR;

  // Counters non-zero: the patient's nonce, the break-glass counter, the hospital's openings.
  await consent.connect(patient).setDenyMask(patientId, 0, 0);
  await consent.connect(doctor).openEmergencyAccess(await sys.registerPatient(sys.rest[0]), Action.READ, randomHash());

  // grant: a fresh (patient, org) slot.
  rows.push({
    op: `grant${at}`,
    gas: await gasOf(
      consent
        .connect(patient)
        .grant(
          patientId,
          hospital,
          scopes("CONDITIONS", "MEDICATIONS"),
          Action.READ | Action.WRITE,
          Purpose.TREATMENT,
          0,
          expiresAt,
        ),
    ),
    goal: 65_000n,
  });

  // grantWithSig: an EOA signer, relayed, a fresh slot.
  const t = { scopes: scopes("BILLING"), actions: Action.READ, purposes: Purpose.PAYMENT, notBefore: 0n, expiresAt };
  const nonce = await consent.nonces(patientId);
  const deadline = (await now(ethers)) + HOUR;
  const sig = await sys.signGrant(patient, patientId, insurer, t, nonce, deadline);
  rows.push({
    op: `grantWithSig${at}`,
    gas: await gasOf(consent.connect(sys.relayer).grantWithSig(patientId, insurer, t, patient, nonce, deadline, sig)),
    goal: 100_000n,
  });

  // revoke.
  rows.push({
    op: `revoke${at}`,
    gas: await gasOf(consent.connect(patient).revoke(patientId, insurer)),
    goal: 35_000n,
  });

  // anchor: the hospital writes a fresh record (WRITE grant held).
  const recordId = hexlify(randomBytes(32));
  rows.push({
    op: `anchor${at}`,
    gas: await gasOf(
      records.connect(doctor).anchor(recordId, patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash()),
    ),
    goal: 100_000n,
  });

  // supersede: a new version of it.
  const newRecordId = hexlify(randomBytes(32));
  rows.push({
    op: `anchor superseding${at}`,
    gas: await gasOf(records.connect(doctor).supersede(recordId, newRecordId, patientId, randomHash(), randomHash())),
    goal: 110_000n,
  });

  // logAccess: the hospital discloses to the pharmacy, which holds a READ grant.
  await consent
    .connect(patient)
    .grant(
      patientId,
      pharmacy,
      Category.MEDICATIONS | Category.CONDITIONS,
      Action.READ,
      Purpose.TREATMENT,
      0,
      expiresAt,
    );
  rows.push({
    op: `logAccess${at}`,
    gas: await gasOf(
      consent.connect(doctor).logAccess(patientId, pharmacy, newRecordId, Category.CONDITIONS, Purpose.TREATMENT),
    ),
    goal: 55_000n,
  });

  // For information: the other writes.
  rows.push({
    op: `setDenyMask${at}`,
    gas: await gasOf(consent.connect(patient).setDenyMask(patientId, Category.GENETIC, 0)),
  });
  const before = await consent.emergencyAccessCount();
  rows.push({
    op: `openEmergencyAccess${at}`,
    gas: await gasOf(consent.connect(doctor).openEmergencyAccess(patientId, Action.READ, randomHash())),
  });
  rows.push({
    op: `justifyEmergencyAccess${at}`,
    gas: await gasOf(consent.connect(doctor).justifyEmergencyAccess(before + 1n, randomHash())),
  });
  rows.push({
    op: `retract${at}`,
    gas: await gasOf(records.connect(doctor).retract(newRecordId, patientId, randomHash())),
  });
  return rows;
}

/** The benchmark: rows for 1 and 1,000 registered organisations and patients. */
export async function benchConsent(
  ethers: Ethers,
  populations: number[] = process.env.BENCH_QUICK ? [1] : [1, 1000],
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const count of populations) rows.push(...(await scenario(ethers as BenchEthers, count)));
  return rows;
}

if (process.argv.some((arg) => arg.endsWith("scripts/bench/consent.ts"))) {
  const { ethers } = await network.create();
  const rows = await benchConsent(ethers as unknown as Ethers);
  console.table(
    rows.map((r) => ({
      op: r.op,
      gas: Number(r.gas),
      goal: r.goal === undefined ? "" : Number(r.goal),
      ok: r.goal === undefined ? "" : r.gas <= r.goal ? "yes" : "NO",
    })),
  );
}
