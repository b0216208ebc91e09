/**
 * `medchain trial verify` and `medchain trial show`: a data point checked against a committed batch
 * (src/trials.ts `verifyDataPointOnChain`, which asks `TrialRegistry.verifyDataPoint`), and a trial's
 * timeline rebuilt from the registry's events (src/trials.ts `trialTimeline`).
 *
 * The data point is one JSON file, the row as the site holds it (`DataRow` of src/trials.ts) and its
 * Merkle proof in the batch (`Dataset.proof(i)`):
 *
 * ```json
 * { "participantId": "0x…", "protocolVersion": 1, "values": { "visit": 3, "sbp": 128 },
 *   "salt": "0x…", "proof": ["0x…", "0x…"] }
 * ```
 *
 * `--proof <file>` (a JSON array of bytes32) gives the proof separately instead.
 */
import {
  type DataPointStatusName,
  type DataRow,
  dataLeaf,
  encodeRow,
  type TimelineEntry,
  trialTimeline,
  TrialStatus,
  verifyDataPointOnChain,
} from "../src/trials.ts";
import type { JsonObject } from "../src/records.ts";
import { Category } from "../src/scopes.ts";
import {
  command,
  fail,
  formatTime,
  maskNames,
  nameOf,
  openMedChain,
  parseBytes32,
  parseId,
  printFields,
  readJson,
  required,
  type MedChain,
} from "./lib.ts";

interface VerifyArgs {
  trial?: string;
  batch?: string;
  row?: string;
  proof?: string;
}

/** What each answer of `verifyDataPoint` means, in words. */
const MEANING: Record<DataPointStatusName, string> = {
  Included:
    "the row is in the batch, and its participant was enrolled, not withdrawn and consented to its protocol version when the batch was committed",
  NotIncluded:
    "the proof does not lead to the batch's root: the row, its salt or its proof is not what the site committed",
  NotEnrolled: "the row is in the batch, but its participant was not enrolled when the batch was committed",
  WithdrawnBeforeCommit: "the row is in the batch, but the batch was committed after its participant withdrew",
  VersionMismatch:
    "the row is in the batch, but its participant had not consented to the row's protocol version when the batch was committed",
};

/** Exit code 0 when the data point is Included, 2 for any other answer (1 is bad input). */
export const verify = command(async (args: VerifyArgs, hre) => {
  const trialId = parseBytes32(args.trial, "--trial");
  const batch = parseId(args.batch, "--batch");
  const rowFile = required(args.row, "--row");
  const { row, proof } = parseDataPoint(readJson(rowFile, "--row"), rowFile);
  const separateProof = args.proof === undefined ? undefined : parseProof(readJson(args.proof, "--proof"), "--proof");
  const finalProof = separateProof ?? proof ?? fail(`--row: ${rowFile} has no "proof" array, and no --proof was given`);

  const system = await openMedChain(hre);
  const trial = await requireTrial(system, trialId);
  if (batch >= trial.batchCount) {
    fail(`trial ${trialId} has no batch ${batch} (it has ${trial.batchCount}${batchRange(trial.batchCount)})`);
  }
  const registry = { address: await system.trials.getAddress(), runner: system.ethers.provider };
  const status = await verifyDataPointOnChain(registry, trialId, batch, row, finalProof);
  const [pid, version, hash, salt] = encodeRow(row);
  printFields(`Data point ${status}: ${MEANING[status]}`, [
    ["trial", trialId],
    ["batch", `${batch} (root ${await system.trials.batchRoot(trialId, batch)})`],
    ["participant", pid],
    ["protocol", `v${version}`],
    ["row hash", hash],
    ["leaf", dataLeaf(pid, version, hash, salt)],
    ["proof", `${finalProof.length} sibling(s)`],
  ]);
  if (status !== "Included") process.exitCode = 2;
});

interface ShowArgs {
  trial?: string;
}

/** A trial's state and its timeline from the registry's events. */
export const show = command(async (args: ShowArgs, hre) => {
  const trialId = parseBytes32(args.trial, "--trial");
  const system = await openMedChain(hre);
  const trial = await requireTrial(system, trialId);
  const entries = await trialTimeline(system.ethers.provider, await system.trials.getAddress(), trialId);
  const count = (name: string) => entries.filter((e) => e.event === name).length;
  printFields(`Trial ${trialId}`, [
    ["status", nameOf(TrialStatus, trial.status)],
    ["sponsor", `org ${trial.sponsorOrgId}`],
    ["monitoring board", trial.monitorOrgId === 0n ? "none" : `org ${trial.monitorOrgId}`],
    ["protocol", `v${trial.protocolVersion}`],
    ["data scopes", maskNames(trial.dataScopes, Category)],
    ["data batches", trial.batchCount],
    ["participants", `${count("ParticipantEnrolled")} enrolled, ${count("ParticipantWithdrawn")} withdrawn`],
  ]);
  console.log("Timeline");
  const width = Math.max(...entries.map((e) => e.event.length));
  for (const entry of entries) {
    console.log(
      `  ${formatTime(entry.timestamp)}  block ${entry.blockNumber}  ${entry.event.padEnd(width)}  ${describe(entry)}`,
    );
  }
});

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

async function requireTrial({ trials, chainId }: MedChain, trialId: string) {
  const trial = await trials.getTrial(trialId);
  if (trial.status === BigInt(TrialStatus.None)) fail(`unknown trial ${trialId}: never registered on chain ${chainId}`);
  return trial;
}

function batchRange(count: bigint): string {
  if (count === 0n) return "";
  return count === 1n ? ": batch 0" : `: batches 0 to ${count - 1n}`;
}

/** The row (and its proof, if the file carries one) of a data-point file; fails naming what is wrong. */
function parseDataPoint(json: unknown, file: string): { row: DataRow; proof?: string[] } {
  const where = `--row: ${file}`;
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    fail(`${where} must hold a JSON object { participantId, protocolVersion, values, salt, proof }`);
  }
  const o = json as Record<string, unknown>;
  for (const key of ["participantId", "salt"]) {
    if (typeof o[key] !== "string") fail(`${where}: "${key}" must be a 0x-prefixed bytes32 string`);
  }
  const version = o.protocolVersion;
  const versionOk =
    (typeof version === "number" && Number.isSafeInteger(version)) ||
    (typeof version === "string" && /^\d+$/.test(version));
  if (!versionOk) fail(`${where}: "protocolVersion" must be a whole number`);
  const values = o.values;
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    fail(`${where}: "values" must be a JSON object (the row's fields)`);
  }
  const row: DataRow = {
    participantId: o.participantId as string,
    protocolVersion: BigInt(version as number | string),
    values: values as JsonObject,
    salt: o.salt as string,
  };
  try {
    encodeRow(row);
  } catch (error) {
    fail(`${where}: ${(error as Error).message}`);
  }
  return { row, proof: o.proof === undefined ? undefined : parseProof(o.proof, `${where}: "proof"`) };
}

function parseProof(json: unknown, where: string): string[] {
  const isBytes32 = (s: unknown) => typeof s === "string" && /^0x[0-9a-fA-F]{64}$/.test(s);
  if (!Array.isArray(json) || !json.every(isBytes32)) fail(`${where} must be a JSON array of bytes32 hex strings`);
  return json as string[];
}

/** `0x1234abcd…` of a bytes32. */
function short(hash: unknown): string {
  return `${String(hash).slice(0, 10)}…`;
}

/** What an event says, in words. */
function describe({ event, args: a }: TimelineEntry): string {
  switch (event) {
    case "TrialRegistered":
      return (
        `registered by sponsor org ${a.sponsorOrgId}, protocol v1 ${short(a.protocolHash)}, ` +
        `outcomes committed ${short(a.outcomesCommitment)}, ` +
        (a.monitorOrgId === 0n ? "no monitoring board" : `monitoring board org ${a.monitorOrgId}`)
      );
    case "ProtocolAmended":
      return `protocol amended to v${a.version} ${short(a.protocolHash)} (reason ${short(a.reasonHash)})`;
    case "SiteSet":
      return `site org ${a.siteOrgId} ${a.authorized ? "authorised" : "deauthorised"}`;
    case "ParticipantEnrolled":
      return `participant ${short(a.participantId)} enrolled, consenting to protocol v${a.consentedVersion}`;
    case "ParticipantReconsented":
      return `participant ${short(a.participantId)} consented to protocol v${a.version}`;
    case "ParticipantWithdrawn":
      return `participant ${short(a.participantId)} withdrew (batches from #${a.fromBatch} on do not count its rows)`;
    case "DataCommitted":
      return `batch #${a.batchIndex} committed by site org ${a.siteOrgId}: ${a.leafCount} rows, root ${short(a.root)}`;
    case "InterimPublished":
      return `interim results by monitoring board org ${a.monitorOrgId} after ${a.batchCount} batch(es) ${short(a.interimHash)}`;
    case "DatabaseLocked":
      return `database locked after ${a.batchCount} batch(es)`;
    case "ResultsPublished":
      return `results published ${short(a.resultsHash)}; outcome definitions revealed, matching the registered commitment`;
    case "DataAccessGranted":
      return `org ${a.orgId} granted data access until ${formatTime(a.expiresAt as bigint)} (agreement ${short(a.duaHash)})`;
    case "DataAccessRevoked":
      return `org ${a.orgId}'s data access revoked`;
  }
}
