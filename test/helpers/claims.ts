/**
 * Test fixtures for ClaimEscrow: the identity fixture, a 6-decimal test stablecoin (or another token),
 * consent and records stand-ins with settable answers, the linked libraries, and an escrow wired as in
 * production (src/wiring.ts). Helpers create plans (salted code hashes), bind policies, fund escrow and
 * submit claims with live evidence.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { BaseContract, ContractTransactionReceipt } from "ethers";

import { claimId as claimIdTwin, procedureCodeHash, randomSalt, repeatClaimId } from "../../src/ids.ts";
import { Capabilities } from "../../src/roles.ts";
import type { ClaimEscrow, MockClaimsConsent, MockClaimsRecords, TestStablecoin } from "../../typechain-types/index.ts";
import { DAY, deployIdentity, type Ethers, now, randomHash, wireContract, YEAR } from "./identity.ts";

export interface ClaimsEthers extends Ethers {
  deployContract(
    name: string,
    args?: unknown[],
    options?: { libraries?: Record<string, string> },
  ): Promise<BaseContract>;
}

export interface PlanTerms {
  deductible: bigint;
  outOfPocketMax: bigint;
  annualLimit: bigint;
  autoApproveThreshold: bigint;
  reviewWindow: bigint;
  timelyFilingWindow: bigint;
}

export interface CodeRule {
  rateBps: bigint;
  cap: bigint;
  copay: bigint;
  preauthRequired: boolean;
  covered: boolean;
}

export const USD = 1_000_000n; // 6 decimals

export const defaultTerms = (over: Partial<PlanTerms> = {}): PlanTerms => ({
  deductible: 500n * USD,
  outOfPocketMax: 3_000n * USD,
  annualLimit: 100_000n * USD,
  autoApproveThreshold: 1_000n * USD,
  reviewWindow: 14n * DAY,
  timelyFilingWindow: 90n * DAY,
  ...over,
});

export const rule = (over: Partial<CodeRule> = {}): CodeRule => ({
  rateBps: 8_000n,
  cap: 5_000n * USD,
  copay: 0n,
  preauthRequired: false,
  covered: true,
  ...over,
});

/** Deploys PlanBook and Treasury and a ClaimEscrow linked to them. */
export async function deployEscrow(
  ethers: ClaimsEthers,
  authority: string,
  identity: string,
  consent: string,
  records: string,
  token: string,
): Promise<ClaimEscrow> {
  const planBook = await ethers.deployContract("PlanBook");
  const treasury = await ethers.deployContract("Treasury");
  return (await ethers.deployContract("ClaimEscrow", [authority, identity, consent, records, token], {
    libraries: { PlanBook: await planBook.getAddress(), Treasury: await treasury.getAddress() },
  })) as unknown as ClaimEscrow;
}

/**
 * Identity + escrow, an insurer (operator `insurerOp`), a provider (`providerOp`, payout `payout`) and a
 * patient (controller `patient`), the escrow wired; `tokenName` picks the token contract.
 */
export async function deployClaims(ethers: ClaimsEthers, tokenName = "TestStablecoin") {
  const id = await deployIdentity(ethers);
  const [insurerOp, providerOp, patient, payout, stranger, insurer2Op, provider2Op, guardian, relayer] = id.others;
  const token = (await ethers.deployContract(tokenName)) as unknown as TestStablecoin;
  const consent = (await ethers.deployContract("MockClaimsConsent")) as unknown as MockClaimsConsent;
  const records = (await ethers.deployContract("MockClaimsRecords")) as unknown as MockClaimsRecords;
  const escrow = await deployEscrow(
    ethers,
    await id.manager.getAddress(),
    await id.identity.getAddress(),
    await consent.getAddress(),
    await records.getAddress(),
    await token.getAddress(),
  );
  await wireContract(id.manager, "ClaimEscrow", escrow);
  const escrowAddress = await escrow.getAddress();

  const insurerOrg = await id.registerOrg("Insurer", Capabilities.INSURE, insurerOp);
  const providerOrg = await id.registerOrg("Provider", Capabilities.BILL | Capabilities.WRITE_RECORDS, providerOp);
  const patientId = await id.registerPatient(patient);
  await escrow.connect(providerOp).setPayoutAddress(payout.address);
  await consent.setAccess(patientId, insurerOrg, true);

  /** Mints `amount` to `who` and approves the escrow. */
  async function mintTo(who: HardhatEthersSigner, amount: bigint) {
    await token.mint(who.address, amount);
    await token.connect(who).approve(escrowAddress, amount);
  }

  /** Deposits `amount` into the insurer's escrow. */
  async function fund(amount: bigint, op: HardhatEthersSigner = insurerOp) {
    await mintTo(op, amount);
    await escrow.connect(op).deposit(amount);
  }

  /** Creates a plan with one rule per code (codes are salted with a fresh plan salt). */
  async function createPlan(
    terms: PlanTerms,
    rules: Record<string, CodeRule>,
    op: HardhatEthersSigner = insurerOp,
  ): Promise<{ planId: bigint; salt: string; codes: Record<string, string> }> {
    const salt = randomSalt();
    const codes: Record<string, string> = {};
    for (const code of Object.keys(rules)) codes[code] = procedureCodeHash(salt, code);
    await escrow.connect(op).createPlan(
      terms,
      Object.keys(rules).map((c) => codes[c]),
      Object.values(rules),
    );
    const planId = (await escrow.queryFilter(escrow.filters.PlanCreated())).at(-1)!.args.planId;
    return { planId, salt, codes };
  }

  /** Binds `pid` to `planId` from 30 days ago for a year; returns the policy id. */
  async function bindPolicy(planId: bigint, pid: bigint = patientId, op: HardhatEthersSigner = insurerOp) {
    const start = (await now(ethers)) - 30n * DAY;
    await escrow.connect(op).bindPolicy(planId, pid, start, start + YEAR);
    return (await escrow.queryFilter(escrow.filters.PolicyBound())).at(-1)!.args.policyId;
  }

  /** A live record of `pid` held by `custodian` (the provider by default; 0: the patient's own), of `category`. */
  async function evidence(pid: bigint = patientId, custodian: bigint = providerOrg, category = 0): Promise<string> {
    const recordId = randomHash();
    await records.setRecord(recordId, pid, custodian, category, true);
    return recordId;
  }

  /** Submits a claim (service yesterday, fresh line) by `op`; returns its id and receipt. */
  async function submit(
    policyId: bigint,
    codeHash: string,
    amount: bigint,
    opts: { op?: HardhatEthersSigner; org?: bigint; serviceDate?: bigint; lineRef?: string; recordId?: string } = {},
  ): Promise<{ claimId: string; receipt: ContractTransactionReceipt; serviceDate: bigint; lineRef: string }> {
    const serviceDate = opts.serviceDate ?? (await now(ethers)) - DAY;
    const lineRef = opts.lineRef ?? randomHash();
    const recordId = opts.recordId ?? (await evidence(patientId, opts.org ?? providerOrg));
    const tx = await escrow
      .connect(opts.op ?? providerOp)
      .submitClaim(policyId, codeHash, lineRef, amount, serviceDate, recordId);
    const receipt = (await tx.wait())!;
    const submitted = receipt.logs
      .map((log) => escrow.interface.parseLog(log))
      .find((parsed) => parsed?.name === "ClaimSubmitted");
    const id = submitted!.args.claimId as string;
    // The SDK twin agrees: the first line's id, or a repeat's.
    const org = opts.org ?? providerOrg;
    if (
      id !== claimIdTwin(org, policyId, codeHash, serviceDate) &&
      id !== repeatClaimId(org, policyId, codeHash, serviceDate, lineRef)
    ) {
      throw new Error(`claim id ${id} is neither twin`);
    }
    return {
      claimId: id,
      receipt,
      serviceDate,
      lineRef,
    };
  }

  return {
    ...id,
    token,
    consent,
    records,
    escrow,
    escrowAddress,
    insurerOp,
    providerOp,
    patient,
    payout,
    stranger,
    insurer2Op,
    provider2Op,
    guardian,
    relayer,
    insurerOrg,
    providerOrg,
    patientId,
    mintTo,
    fund,
    createPlan,
    bindPolicy,
    evidence,
    submit,
  };
}
