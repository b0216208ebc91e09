/**
 * The scene of the outside review (issue #12 §Claims): an insurer with a funded escrow and a plan, a
 * patient's policy, the patient's hospital (the provider of the claims fixture, custodian of its records)
 * and a rogue accredited provider with BILL and a payout address of its own, which reads the policy, a
 * record id and the code hashes from the chain.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionReceipt } from "ethers";
import { network } from "hardhat";

import { Capabilities } from "../../../src/roles.ts";
import { type ClaimsEthers, defaultTerms, deployClaims, rule, USD } from "../../helpers/claims.ts";

export const { ethers, networkHelpers } = await network.create();
export const E = ethers as unknown as ClaimsEthers;

export const Status = { None: 0n, Pending: 1n, Denied: 2n, Paid: 3n, Owed: 4n, Voided: 5n };
export const ReviewReason = { AboveThreshold: 0n, RepeatService: 1n, Appeal: 2n };
export const OrgStatus = { None: 0n, Active: 1n, Suspended: 2n, Revoked: 3n };
export const TREATMENT = 1n << 0n; // Scopes.TREATMENT
export const READ = 1n; // Scopes.READ

export async function reviewFixture() {
  const f = await deployClaims(E);
  const plan = await f.createPlan(defaultTerms(), {
    A: rule(),
    P: rule({ preauthRequired: true }),
  });
  const policyId = await f.bindPolicy(plan.planId);
  await f.fund(100_000n * USD);
  // The rogue: an accredited organisation with BILL and a payout address, no tie to the patient.
  const rogueOp = f.provider2Op;
  const rogueOrg = await f.registerOrg("Provider", Capabilities.BILL, rogueOp);
  const roguePayout = f.relayer;
  await f.escrow.connect(rogueOp).setPayoutAddress(roguePayout.address);
  return { ...f, plan, policyId, rogueOp, rogueOrg, roguePayout };
}

export type Scene = Awaited<ReturnType<typeof reviewFixture>>;

/** The events of `name` in `receipt`. */
export function eventsOf(f: Scene, receipt: ContractTransactionReceipt, name: string) {
  return receipt.logs
    .map((log) => f.escrow.interface.parseLog(log))
    .filter((parsed) => parsed?.name === name)
    .map((parsed) => parsed!.args);
}

/** Everything a refused claim could have changed: accumulators, escrow, the payees' balances. */
export async function snapshot(f: Scene, policyId: bigint, payees: HardhatEthersSigner[]) {
  const acc = await f.escrow.accumulatorsOf(policyId, 0);
  const escrow = await f.escrow.escrowOf(f.insurerOrg);
  const balances = await Promise.all(payees.map((p) => f.token.balanceOf(p.address)));
  return {
    acc: [acc.deductibleMet, acc.outOfPocketPaid, acc.benefitUsed],
    escrow: [escrow.free, escrow.reserved],
    balances,
    liabilities: await f.escrow.totalLiabilities(),
  };
}
