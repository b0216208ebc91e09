/**
 * Gas of ClaimEscrow, as `receipt.gasUsed` on the default hardfork, in the worst case issue 6 names:
 * fresh storage for the claim and the policy year's accumulators (a new policy per measurement), the
 * provider's first token balance (a new payout address per measurement), the escrow's own token balance
 * already non-zero. Consent and records are the test stand-ins (one mapping read each); the real
 * ConsentManager and RecordRegistry add their own reads.
 *
 *   npx hardhat run scripts/bench/claims.ts
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type ContractTransactionResponse, Wallet } from "ethers";
import { network } from "hardhat";

import { type ClaimsEthers, defaultTerms, deployClaims, rule, USD } from "../../test/helpers/claims.ts";
import { Capabilities } from "../../src/roles.ts";

export interface BenchRow {
  op: string;
  gas: bigint;
  goal?: bigint;
  note?: string;
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** The benchmark rows (goals from issue 6). */
export async function benchClaims(ethers: unknown): Promise<BenchRow[]> {
  const f = await deployClaims(ethers as ClaimsEthers);
  const rows: BenchRow[] = [];
  const plan = await f.createPlan(defaultTerms(), { A: rule() });
  await f.fund(1_000_000n * USD); // the escrow's balance is non-zero from here on

  /** A fresh policy (fresh accumulators) and a fresh payout address (the provider's first balance). */
  async function fresh(): Promise<bigint> {
    await f.escrow.connect(f.providerOp).setPayoutAddress(Wallet.createRandom().address);
    return f.bindPolicy(plan.planId);
  }

  // deposit: a second insurer's first deposit (fresh escrow slot); allowance and balance stay non-zero.
  const [insurer2] = [f.insurer2Op as HardhatEthersSigner];
  await f.registerOrg("Insurer", Capabilities.INSURE, insurer2);
  await f.token.mint(insurer2.address, 20_000n * USD);
  await f.token.connect(insurer2).approve(f.escrowAddress, 20_000n * USD);
  rows.push({
    op: "deposit (insurer's first)",
    gas: await gasOf(f.escrow.connect(insurer2).deposit(10_000n * USD)),
    goal: 100_000n,
  });
  rows.push({ op: "deposit (again)", gas: await gasOf(f.escrow.connect(insurer2).deposit(1_000n * USD)) });

  // submit + auto-adjudicate + pay, the patient share recorded as owed.
  let policyId = await fresh();
  let r = await f.submit(policyId, plan.codes.A, 900n * USD);
  rows.push({
    op: "submitClaim → adjudicate → pay",
    gas: r.receipt.gasUsed,
    goal: 170_000n,
    note: "patient share recorded as owed",
  });

  // the same, the patient share paid from the patient's deposit (set aside for the provider) in the same push.
  await f.mintTo(f.patient, 10_000n * USD);
  await f.escrow.connect(f.patient).depositForPatient(f.patientId, 10_000n * USD);
  policyId = await fresh();
  await f.escrow.connect(f.patient).authorizeProvider(policyId, f.providerOrg, 1_000n * USD);
  r = await f.submit(policyId, plan.codes.A, 900n * USD);
  rows.push({
    op: "submitClaim → adjudicate → pay",
    gas: r.receipt.gasUsed,
    goal: 170_000n,
    note: "patient share paid from its deposit",
  });

  // submit to review.
  policyId = await fresh();
  await f.escrow.connect(f.patient).authorizeProvider(policyId, f.providerOrg, 1_000n * USD);
  r = await f.submit(policyId, plan.codes.A, 2_000n * USD);
  rows.push({ op: "submitClaim → review", gas: r.receipt.gasUsed, goal: 140_000n, note: "escrow reserved" });

  // approve and pay (patient share from the deposit, paid in the same push).
  await f.escrow.connect(f.providerOp).setPayoutAddress(Wallet.createRandom().address);
  rows.push({
    op: "approveClaim → pay",
    gas: await gasOf(f.escrow.connect(f.insurerOp).approveClaim(r.claimId, 1_200n * USD)),
    goal: 100_000n,
    note: "patient share paid from its deposit",
  });

  // approve and pay, patient share owed (no cap left for this provider).
  policyId = await fresh();
  r = await f.submit(policyId, plan.codes.A, 2_000n * USD);
  await f.escrow.connect(f.providerOp).setPayoutAddress(Wallet.createRandom().address);
  rows.push({
    op: "approveClaim → pay",
    gas: await gasOf(f.escrow.connect(f.insurerOp).approveClaim(r.claimId, 1_200n * USD)),
    goal: 100_000n,
    note: "patient share recorded as owed",
  });

  // Other operations, for the record.
  policyId = await fresh();
  r = await f.submit(policyId, plan.codes.A, 2_000n * USD);
  rows.push({ op: "denyClaim", gas: await gasOf(f.escrow.connect(f.insurerOp).denyClaim(r.claimId, 50)) });
  rows.push({
    op: "appealClaim → review",
    gas: await gasOf(f.escrow.connect(f.providerOp).appealClaim(r.claimId, plan.codes.A, r.lineRef, r.serviceDate)),
  });
  rows.push({ op: "voidClaim", gas: await gasOf(f.escrow.connect(f.providerOp).voidClaim(r.claimId)) });
  return rows;
}

if (process.argv.some((arg) => arg.endsWith("scripts/bench/claims.ts"))) {
  const { ethers } = await network.create();
  const rows = await benchClaims(ethers);
  console.table(
    rows.map((row) => ({
      op: row.op,
      gas: Number(row.gas),
      goal: row.goal === undefined ? "" : Number(row.goal),
      ok: row.goal === undefined ? "" : row.gas <= row.goal ? "yes" : "NO",
      note: row.note ?? "",
    })),
  );
}
