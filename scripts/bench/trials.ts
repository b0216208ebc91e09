/**
 * Gas of the TrialRegistry, as `receipt.gasUsed` on the default hardfork, in the worst case the issue
 * names: a trial with a monitoring board (one more identity call), a batch of 2^32 − 1 rows (the size does
 * not matter: only the root is stored; all-non-zero calldata is the dearest), fresh participant slots, an
 * ordinary-account (EOA) signer relayed by the site. `verifyDataPoint` is a view: its depth-20 execution gas
 * is measured in test/trials/TrialRegistry.t.sol (`snapshots/TrialRegistryGasTest.json`); here its cost as a
 * transaction (`eth_estimateGas`) is shown for comparison, dominated by calldata.
 *
 *   npx hardhat run scripts/bench/trials.ts
 */
import { type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { randomSalt } from "../../src/ids.ts";
import { buildDataset, encodeRow, makeRow, participantId } from "../../src/trials.ts";
import { type Ethers, randomHash } from "../../test/helpers/identity.ts";
import { deployTrials } from "../../test/helpers/trials.ts";

/** A benchmark row (the shape of `scripts/bench/types.ts` on main). */
export interface BenchRow {
  op: string;
  gas: bigint;
  goal?: bigint;
  floor?: bigint;
  note?: string;
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** The benchmark: every state-changing operation of the TrialRegistry, worst case. */
export async function benchTrials(ethers: Ethers): Promise<BenchRow[]> {
  const f = await deployTrials(ethers);
  const { trials, sponsorOp, siteOp, monitorOp, pat, patientId, researcherOrg } = f;
  const rows: BenchRow[] = [];
  const maxLeaves = 2 ** 32 - 1;

  // A first trial, so the registry's own state is not fresh (no global counter exists, but be fair).
  await f.registerTrial();
  rows.push({
    op: "registerTrial (with a monitoring board)",
    gas: await gasOf(
      trials
        .connect(sponsorOp)
        .registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), 0xffff, f.monitorOrg),
    ),
    goal: 150_000n,
    note: "2 slots: the trial and its outcomes commitment",
  });
  const t = await f.registerTrial();
  rows.push({
    op: "setSite",
    gas: await gasOf(trials.connect(sponsorOp).setSite(t.trialId, f.siteOrg, true)),
  });
  await f.setConsent(true);

  // Enrol directly, then by a relayed signature (fresh participant and history slots each time).
  const direct = randomSalt();
  rows.push({ op: "enrol", gas: await gasOf(trials.connect(pat).enrol(t.trialId, patientId, direct, 1)) });
  const salt = randomSalt();
  const deadline = await f.deadline();
  const sig = await f.signEnrol(pat, {
    trialId: t.trialId,
    patientId,
    salt,
    protocolVersion: 1n,
    nonce: await trials.nonces(patientId),
    deadline,
  });
  rows.push({
    op: "enrolWithSig (EOA signer, relayed by the site)",
    gas: await gasOf(trials.connect(siteOp).enrolWithSig(t.trialId, patientId, salt, 1, pat, deadline, sig)),
  });

  // Batches: the first (index 0) and a later one, each with the largest leaf count.
  const pid = participantId(patientId, t.trialId, salt);
  const dataRows = Array.from({ length: 64 }, (_, i) => makeRow(pid, 1n, { visit: i, sbp: 120 + (i % 9) }));
  const dataset = buildDataset(dataRows);
  for (const label of ["first", "later"]) {
    rows.push({
      op: `commitData (${label} batch, ${maxLeaves} rows)`,
      gas: await gasOf(trials.connect(siteOp).commitData(t.trialId, randomHash(), maxLeaves, randomHash())),
      goal: 80_000n,
      note: "1 new slot (the root); leaf count and schema hash in the event",
    });
  }
  const batchIndex = (await trials.getTrial(t.trialId)).batchCount;
  await trials.connect(siteOp).commitData(t.trialId, dataset.root, dataset.leafCount, randomHash());

  rows.push({
    op: "publishInterim",
    gas: await gasOf(trials.connect(monitorOp).publishInterim(t.trialId, randomHash())),
  });
  rows.push({
    op: "amendProtocol",
    gas: await gasOf(trials.connect(sponsorOp).amendProtocol(t.trialId, randomHash(), randomHash(), randomHash())),
  });
  const rdeadline = await f.deadline();
  const rsig = await f.signReconsent(pat, {
    trialId: t.trialId,
    patientId,
    salt,
    protocolVersion: 2n,
    nonce: await trials.nonces(patientId),
    deadline: rdeadline,
  });
  rows.push({
    op: "reconsentWithSig (relayed)",
    gas: await gasOf(trials.connect(siteOp).reconsentWithSig(t.trialId, patientId, salt, 2, pat, rdeadline, rsig)),
  });
  const wdeadline = await f.deadline();
  const wsig = await f.signWithdraw(pat, {
    trialId: t.trialId,
    patientId,
    salt: direct,
    nonce: await trials.nonces(patientId),
    deadline: wdeadline,
  });
  rows.push({
    op: "withdrawWithSig (relayed)",
    gas: await gasOf(trials.connect(siteOp).withdrawWithSig(t.trialId, patientId, direct, pat, wdeadline, wsig)),
  });

  // verifyDataPoint as a transaction, with the deepest proof this 64-row tree has (6) — for comparison.
  const [p, version, hash, rowSalt] = encodeRow(dataRows[0]);
  rows.push({
    op: `verifyDataPoint as a transaction (depth ${dataset.proof(0).length})`,
    gas: await trials.verifyDataPoint.estimateGas(t.trialId, batchIndex, p, version, hash, rowSalt, dataset.proof(0)),
    note: "view; execution gas at depth 20 is measured in TrialRegistry.t.sol",
  });

  const expiresAt = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 365n * 24n * 3600n;
  rows.push({
    op: "grantDataAccess",
    gas: await gasOf(trials.connect(sponsorOp).grantDataAccess(t.trialId, researcherOrg, randomHash(), expiresAt)),
  });
  rows.push({
    op: "revokeDataAccess",
    gas: await gasOf(trials.connect(sponsorOp).revokeDataAccess(t.trialId, researcherOrg)),
  });
  rows.push({
    op: "setSite (deauthorise)",
    gas: await gasOf(trials.connect(sponsorOp).setSite(t.trialId, f.siteOrg, false)),
  });
  rows.push({ op: "lockDatabase", gas: await gasOf(trials.connect(sponsorOp).lockDatabase(t.trialId)) });
  rows.push({
    op: "publishResults",
    gas: await gasOf(
      trials.connect(sponsorOp).publishResults(t.trialId, randomHash(), t.outcomesSalt, t.outcomesDefinitionHash),
    ),
  });
  return rows;
}

if (process.argv.some((arg) => arg.endsWith("scripts/bench/trials.ts"))) {
  const { ethers } = await network.create();
  const rows = await benchTrials(ethers as unknown as Ethers);
  console.table(
    rows.map((r) => ({
      op: r.op,
      gas: Number(r.gas),
      goal: r.goal === undefined ? "" : Number(r.goal),
      ok: r.goal === undefined ? "" : r.gas <= r.goal ? "yes" : "OVER",
      note: r.note ?? "",
    })),
  );
}
