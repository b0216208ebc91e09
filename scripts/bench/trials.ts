/**
 * Gas of every state-changing operation of the TrialRegistry, in the worst case issue 5 names: a trial with
 * a monitoring board (one more identity call), batches of 2^32 − 1 rows (the size does not matter: only
 * the root is stored), fresh participant slots, the patient's nonce already non-zero, RESEARCH consent
 * held in the real ConsentManager, an ordinary-account (EOA) signer relayed by the site.
 *
 * `verifyDataPoint` is a view: its execution gas with a depth-20 proof is measured in a Solidity test
 * (`gasleft()` difference, test/trials/TrialRegistry.t.sol) and read here from
 * snapshots/TrialRegistryGasTest.json, written by `vm.snapshotValue` (`npm run gas:snapshot`).
 *
 *   npx hardhat run scripts/bench/trials.ts
 */
import { readFileSync } from "node:fs";

import { EnrolTypes, ReconsentTypes, WithdrawTypes } from "../../src/eip712.ts";
import { Capabilities } from "../../src/roles.ts";
import { Action, Category, Purpose } from "../../src/scopes.ts";
import { outcomesCommitment, trialId as trialIdOf } from "../../src/trials.ts";
import { type BenchSystem, DEADLINE, deploySystem, FAR, Seq, START } from "./system.ts";
import { type BenchRow, isMain, type Measure, mined, printRows } from "./types.ts";

const SCOPES = Category.CONDITIONS | Category.LAB_RESULTS;
const MAX_LEAVES = 2 ** 32 - 1;

/** The Solidity-measured rows: `verifyDataPoint` with a depth-20 proof, execution gas. */
export function verifyDataPointRows(
  file = new URL("../../snapshots/TrialRegistryGasTest.json", import.meta.url),
): BenchRow[] {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  const row = (key: string, op: string, note: string, goal?: bigint): BenchRow => {
    if (snap[key] === undefined) throw new Error(`bench: ${key} is missing from ${file.pathname}`);
    return { op, gas: BigInt(snap[key]), goal, note };
  };
  return [
    row(
      "verifyDataPoint_depth20_latestVersion",
      "TrialRegistry.verifyDataPoint (view, depth 20)",
      "execution gas (Solidity test, gasleft()); a row under the participant's latest consented version: batch root + that version's consent, cold",
      10_000n,
    ),
    row(
      "verifyDataPoint_depth20_earlierVersion",
      "TrialRegistry.verifyDataPoint (view, depth 20, earlier version)",
      "a row under an earlier version, committed while that was the participant's latest consent: the same two cold slots",
      10_000n,
    ),
    row(
      "verifyDataPoint_depth20_earlierVersionCommittedLate",
      "TrialRegistry.verifyDataPoint (view, depth 20, earlier version committed late)",
      "a row under an earlier version committed after the participant's re-consent: the same two cold slots",
      10_000n,
    ),
    row(
      "verifyDataPoint_depth20_latestVersion_coldAccount",
      "TrialRegistry.verifyDataPoint (view, depth 20, cold account)",
      "as the first, plus 2,600 for the caller's first touch of the registry in its transaction",
    ),
  ];
}

export async function benchTrials(sys: BenchSystem): Promise<Measure> {
  const { trials, consent, admin, pauser } = sys;
  const s = new Seq("trials");
  const C = Capabilities;
  const sponsorOp = await sys.account(s);
  const siteOp = await sys.account(s);
  const monitorOp = await sys.account(s);
  const sponsor = await sys.registerOrg("Sponsor", C.SPONSOR_TRIALS, sponsorOp.address, s);
  const site = await sys.registerOrg("Provider", C.RESEARCH, siteOp.address, s);
  const monitor = await sys.registerOrg("Provider", C.RESEARCH, monitorOp.address, s);
  const researcher = await sys.registerOrg("Lab", C.RESEARCH, s.address(), s);
  const pat = await sys.account(s);
  const pat2 = await sys.account(s);
  const patientId = await sys.registerPatient(pat.address, s);
  const patient2 = await sys.registerPatient(pat2.address, s);
  const domain = await sys.domainOf("TrialRegistry", trials);
  // RESEARCH consent to the sponsor, in the ConsentManager.
  for (const [w, p] of [
    [pat, patientId],
    [pat2, patient2],
  ] as const) {
    await mined(consent.connect(w).grant(p, sponsor, SCOPES, Action.READ, Purpose.RESEARCH, 0, FAR));
  }

  /** Registers a trial with a monitoring board; returns its id and the outcomes reveal. */
  async function register() {
    const registryIdHash = s.hash();
    const outcomesSalt = s.hash();
    const outcomesDefinitionHash = s.hash();
    const commitment = outcomesCommitment(outcomesSalt, outcomesDefinitionHash);
    const tx = trials.connect(sponsorOp).registerTrial(registryIdHash, s.hash(), s.hash(), commitment, SCOPES, monitor);
    return { trialId: trialIdOf(sponsor, registryIdHash), outcomesSalt, outcomesDefinitionHash, tx };
  }

  // A first trial, each patient enrolled in it: their nonces here are non-zero.
  const warmUp = await register();
  await mined(warmUp.tx);
  await mined(trials.connect(sponsorOp).setSite(warmUp.trialId, site, true));
  await mined(trials.connect(pat).enrol(warmUp.trialId, patientId, s.hash(), 1));
  await mined(trials.connect(pat2).enrol(warmUp.trialId, patient2, s.hash(), 1));

  return async () => {
    await sys.setTime(START.trials);
    const rows: BenchRow[] = [];
    const m = async (...args: Parameters<BenchSystem["measure"]>) => rows.push(await sys.measure(...args));
    const t = await register();
    const id = t.trialId;
    await m("TrialRegistry.registerTrial", t.tx, {
      goal: 150_000n,
      note: "with a monitoring board",
    });
    await m("TrialRegistry.setSite (authorise)", trials.connect(sponsorOp).setSite(id, site, true));
    const salt = s.hash();
    await m("TrialRegistry.enrol", trials.connect(pat).enrol(id, patientId, salt, 1), {
      note: "by the patient; RESEARCH consent read from the ConsentManager",
    });
    const salt2 = s.hash();
    const eSig = await pat2.signTypedData(domain, EnrolTypes, {
      trialId: id,
      patientId: patient2,
      salt: salt2,
      protocolVersion: 1,
      nonce: await trials.nonces(patient2),
      deadline: DEADLINE,
    });
    await m(
      "TrialRegistry.enrolWithSig",
      trials.connect(siteOp).enrolWithSig(id, patient2, salt2, 1, pat2.address, DEADLINE, eSig),
      { note: "EOA signer, relayed by the site" },
    );
    for (const label of ["first", "later"]) {
      await m(
        `TrialRegistry.commitData (${label} batch)`,
        trials.connect(siteOp).commitData(id, s.hash(), MAX_LEAVES, s.hash()),
        { goal: 80_000n, note: "2^32 − 1 rows: only the root is stored" },
      );
    }
    await m("TrialRegistry.publishInterim", trials.connect(monitorOp).publishInterim(id, s.hash()), {
      note: "the monitoring board",
    });
    await m("TrialRegistry.amendProtocol", trials.connect(sponsorOp).amendProtocol(id, s.hash(), s.hash(), s.hash()));
    await m("TrialRegistry.reconsent", trials.connect(pat).reconsent(id, patientId, salt, 2));
    const rSig = await pat2.signTypedData(domain, ReconsentTypes, {
      trialId: id,
      patientId: patient2,
      salt: salt2,
      protocolVersion: 2,
      nonce: await trials.nonces(patient2),
      deadline: DEADLINE,
    });
    await m(
      "TrialRegistry.reconsentWithSig",
      trials.connect(siteOp).reconsentWithSig(id, patient2, salt2, 2, pat2.address, DEADLINE, rSig),
      { note: "relayed" },
    );
    await m("TrialRegistry.withdraw", trials.connect(pat).withdraw(id, patientId, salt));
    const wSig = await pat2.signTypedData(domain, WithdrawTypes, {
      trialId: id,
      patientId: patient2,
      salt: salt2,
      nonce: await trials.nonces(patient2),
      deadline: DEADLINE,
    });
    await m(
      "TrialRegistry.withdrawWithSig",
      trials.connect(siteOp).withdrawWithSig(id, patient2, salt2, pat2.address, DEADLINE, wSig),
      { note: "relayed" },
    );
    await m("TrialRegistry.grantDataAccess", trials.connect(sponsorOp).grantDataAccess(id, researcher, s.hash(), FAR));
    await m("TrialRegistry.revokeDataAccess", trials.connect(sponsorOp).revokeDataAccess(id, researcher));
    await m("TrialRegistry.setSite (deauthorise)", trials.connect(sponsorOp).setSite(id, site, false));
    await m("TrialRegistry.lockDatabase", trials.connect(sponsorOp).lockDatabase(id));
    await m(
      "TrialRegistry.publishResults",
      trials.connect(sponsorOp).publishResults(id, s.hash(), t.outcomesSalt, t.outcomesDefinitionHash),
      { note: "reveals the outcome definitions" },
    );
    await m("TrialRegistry.pause", trials.connect(pauser).pause(), { note: "PAUSER" });
    await m("TrialRegistry.unpause", trials.connect(admin).unpause(), { note: "ADMIN" });
    rows.push(await sys.measureSetAuthority("TrialRegistry", trials));
    rows.push(...verifyDataPointRows());
    return rows;
  };
}

if (isMain(import.meta.url)) {
  const sys = await deploySystem();
  const measure = await benchTrials(sys);
  await sys.populate(1);
  printRows("TrialRegistry", await measure());
}
