/**
 * The SDK's half of the TrialRegistry (DESIGN.md §5): TypeScript twins of the contract's ids and hashes,
 * the canonical encoding of a data row, the dataset Merkle tree a site commits, proofs and their
 * verification (locally and against the chain), and a trial's timeline rebuilt from the contract's events.
 *
 * A data row never goes on chain. Its values are serialised as canonical JSON (sorted keys, no
 * whitespace) and hashed (`rowHash`); the leaf is
 *
 * ```solidity
 * keccak256(bytes.concat(keccak256(abi.encode(bytes32 participantId, uint32 protocolVersion, bytes32 rowHash, bytes32 salt))))
 * ```
 *
 * with a fresh random 32-byte salt per row, so a low-entropy row (a visit number and a blood pressure)
 * cannot be guessed from a leaf or a proof's sibling. The tree is OpenZeppelin's `StandardMerkleTree`
 * (double-hashed leaves, sorted pairs), so a proof verifies with `MerkleProof` on chain.
 *
 * @module
 */

import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  AbiCoder,
  Contract,
  Interface,
  type ContractRunner,
  type Provider,
  isHexString,
  keccak256,
  toUtf8Bytes,
} from "ethers";

import { randomSalt } from "./ids.ts";
import { processProof } from "./merkle.ts";
import { blockTimestamps, compareLogs, DEFAULT_LOG_CHUNK, queryLogsInChunks } from "./views/paging.ts";
import { canonicalJson, type JsonObject } from "./records.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** `ITrialRegistry.TrialStatus`. */
export const TrialStatus = { None: 0, Open: 1, Locked: 2, Reported: 3 } as const;
/** The name of a trial status (`Open`, `Locked`, …). */
export type TrialStatusName = keyof typeof TrialStatus;

/** `ITrialRegistry.DataPointStatus`: what `verifyDataPoint` answers. */
export const DataPointStatus = {
  NotIncluded: 0,
  Included: 1,
  NotEnrolled: 2,
  WithdrawnBeforeCommit: 3,
  VersionMismatch: 4,
} as const;
/** The name of a data point verdict (`Included`, `VersionMismatch`, …). */
export type DataPointStatusName = keyof typeof DataPointStatus;

/** A data row as a site holds it: whose it is, under which protocol version, its values, its salt. */
export interface DataRow {
  /** The per-trial participant id (bytes32 hex), never the patient id. */
  participantId: string;
  /** The protocol version the data were collected under. */
  protocolVersion: bigint;
  /** The row's values (e.g. `{ visit: 3, sbp: 128 }`), serialised canonically. */
  values: JsonObject;
  /** A random 32-byte salt, fresh for every row. */
  salt: string;
}

/** What a leaf encodes: `[participantId, protocolVersion, rowHash, salt]`, as `verifyDataPoint` takes it. */
export type DataLeafValue = [string, bigint, string, string];

/** A batch of rows as a Merkle tree: the root a site commits and the proofs verifiers need. */
export interface Dataset {
  /** The root `commitData(trialId, root, leafCount, schemaHash)` stores. */
  root: string;
  /** The number of rows. */
  leafCount: number;
  /** Leaf `i` is `encodeRow(rows[i])`. */
  leaves: DataLeafValue[];
  /** The proof of row `index` (siblings from the leaf up). */
  proof(index: number): string[];
  /** The OpenZeppelin tree behind it. */
  tree: StandardMerkleTree<DataLeafValue>;
}

/** Why a trial dataset operation was refused. */
export type TrialDataErrorCode = "EMPTY_DATASET" | "BAD_INPUT" | "INDEX_OUT_OF_RANGE";

/** Thrown for an invalid row, dataset or index. The message names the bad value. */
export class TrialDataError extends Error {
  readonly code: TrialDataErrorCode;

  constructor(code: TrialDataErrorCode, message: string) {
    super(message);
    this.name = "TrialDataError";
    this.code = code;
  }
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

/** The ABI types of a data leaf's value, as `StandardMerkleTree` and the contract encode it. */
export const DATA_LEAF_ENCODING: readonly ["bytes32", "uint32", "bytes32", "bytes32"] = [
  "bytes32",
  "uint32",
  "bytes32",
  "bytes32",
];

/** The TrialRegistry's events and the views the SDK calls (a minimal ABI: no generated types needed). */
export const TRIAL_REGISTRY_ABI = [
  "event TrialRegistered(bytes32 indexed trialId, uint256 indexed sponsorOrgId, bytes32 indexed registryIdHash, bytes32 protocolHash, bytes32 analysisPlanHash, bytes32 outcomesCommitment, uint32 dataScopes, uint256 monitorOrgId)",
  "event ProtocolAmended(bytes32 indexed trialId, uint32 indexed version, bytes32 protocolHash, bytes32 analysisPlanHash, bytes32 reasonHash)",
  "event SiteSet(bytes32 indexed trialId, uint256 indexed siteOrgId, bool authorized)",
  "event ParticipantEnrolled(bytes32 indexed trialId, bytes32 indexed participantId, uint32 consentedVersion)",
  "event ParticipantReconsented(bytes32 indexed trialId, bytes32 indexed participantId, uint32 version)",
  "event ParticipantWithdrawn(bytes32 indexed trialId, bytes32 indexed participantId, uint64 withdrawnAt, uint32 fromBatch)",
  "event DataCommitted(bytes32 indexed trialId, uint32 indexed batchIndex, uint256 indexed siteOrgId, bytes32 root, uint32 leafCount, bytes32 schemaHash)",
  "event InterimPublished(bytes32 indexed trialId, uint256 indexed monitorOrgId, bytes32 interimHash, uint32 batchCount)",
  "event DatabaseLocked(bytes32 indexed trialId, uint32 batchCount)",
  "event ResultsPublished(bytes32 indexed trialId, bytes32 resultsHash, bytes32 outcomesSalt, bytes32 outcomesDefinitionHash)",
  "event DataAccessGranted(bytes32 indexed trialId, uint256 indexed orgId, bytes32 duaHash, uint64 expiresAt)",
  "event DataAccessRevoked(bytes32 indexed trialId, uint256 indexed orgId)",
  "function verifyDataPoint(bytes32 trialId, uint256 batchIndex, bytes32 participantId, uint32 protocolVersion, bytes32 rowHash, bytes32 salt, bytes32[] proof) view returns (uint8)",
  "function batchRoot(bytes32 trialId, uint256 batchIndex) view returns (bytes32)",
] as const;

/** The names of the TrialRegistry's events, in the order of a trial's life. */
export const TRIAL_EVENTS = [
  "TrialRegistered",
  "ProtocolAmended",
  "SiteSet",
  "ParticipantEnrolled",
  "ParticipantReconsented",
  "ParticipantWithdrawn",
  "DataCommitted",
  "InterimPublished",
  "DatabaseLocked",
  "ResultsPublished",
  "DataAccessGranted",
  "DataAccessRevoked",
] as const;
/** The name of a TrialRegistry event that makes up a trial's timeline. */
export type TrialEventName = (typeof TRIAL_EVENTS)[number];

const abi = AbiCoder.defaultAbiCoder();
const trialInterface = new Interface(TRIAL_REGISTRY_ABI);
const MAX_UINT32 = (1n << 32n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;

// ─── Id and hash twins ───────────────────────────────────────────────────────────────────────────

/**
 * The hash of a public registry id (a ClinicalTrials.gov NCT number, an EU CT number, an ISRCTN):
 * `keccak256(utf8(id))` over the id trimmed and upper-cased, so "nct01234567 " and "NCT01234567" agree.
 */
export function registryIdHash(registryId: string): string {
  const id = registryId.trim().toUpperCase();
  if (id.length === 0) throw new TrialDataError("BAD_INPUT", "registryIdHash: the registry id is empty");
  return keccak256(toUtf8Bytes(id));
}

/** The contract's trial id: `keccak256(abi.encode(uint256 sponsorOrgId, bytes32 registryIdHash))`. */
export function trialId(sponsorOrgId: bigint, registryIdHashHex: string): string {
  checkUint("trialId: sponsorOrgId", sponsorOrgId, MAX_UINT256);
  checkBytes32("trialId: registryIdHash", registryIdHashHex);
  return keccak256(abi.encode(["uint256", "bytes32"], [sponsorOrgId, registryIdHashHex]));
}

/**
 * A participant id: `keccak256(abi.encode(uint256 patientId, bytes32 trialId, bytes32 salt))`. Compute it
 * here, not with the contract's `computeParticipantId` view: an RPC call would tell the node the patient id.
 */
export function participantId(patientId: bigint, trial: string, salt: string): string {
  checkUint("participantId: patientId", patientId, MAX_UINT256);
  checkBytes32("participantId: trialId", trial);
  checkBytes32("participantId: salt", salt);
  return keccak256(abi.encode(["uint256", "bytes32", "bytes32"], [patientId, trial, salt]));
}

/** The commitment to the outcome definitions: `keccak256(abi.encode(bytes32 salt, bytes32 definitionHash))`. */
export function outcomesCommitment(salt: string, outcomesDefinitionHash: string): string {
  checkBytes32("outcomesCommitment: salt", salt);
  checkBytes32("outcomesCommitment: outcomesDefinitionHash", outcomesDefinitionHash);
  return keccak256(abi.encode(["bytes32", "bytes32"], [salt, outcomesDefinitionHash]));
}

/** The hash of a row's values: `keccak256(utf8(canonicalJson(values)))`. Key order does not matter. */
export function rowHash(values: JsonObject): string {
  if (values === null || typeof values !== "object" || Array.isArray(values)) {
    throw new TrialDataError("BAD_INPUT", "rowHash: a row's values are a JSON object");
  }
  return keccak256(toUtf8Bytes(canonicalJson(values)));
}

/**
 * The contract's data leaf: `keccak256(bytes.concat(keccak256(abi.encode(participantId, protocolVersion,
 * rowHash, salt))))`, equal to `StandardMerkleTree`'s leaf hash of `[participantId, protocolVersion, rowHash, salt]`.
 */
export function dataLeaf(participant: string, protocolVersion: bigint, rowHashHex: string, salt: string): string {
  const value = checkLeafValue([participant, protocolVersion, rowHashHex, salt]);
  return keccak256(keccak256(abi.encode([...DATA_LEAF_ENCODING], value)));
}

// ─── Rows and datasets ───────────────────────────────────────────────────────────────────────────

/** A row with a fresh random salt (or the given one, e.g. when re-reading a stored row). */
export function makeRow(
  participant: string,
  protocolVersion: bigint,
  values: JsonObject,
  salt: string = randomSalt(),
): DataRow {
  const row: DataRow = { participantId: participant, protocolVersion, values, salt };
  encodeRow(row); // validates
  return row;
}

/** A row's leaf value `[participantId, protocolVersion, rowHash(values), salt]`. */
export function encodeRow(row: DataRow): DataLeafValue {
  return checkLeafValue([row.participantId, row.protocolVersion, rowHash(row.values), row.salt]);
}

/** Builds a batch's tree: leaf `i` is `encodeRow(rows[i])`. Salts must be distinct (one per row). */
export function buildDataset(rows: readonly DataRow[]): Dataset {
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new TrialDataError("EMPTY_DATASET", "buildDataset: a batch needs at least one row");
  }
  const salts = new Set<string>();
  const leaves = rows.map((row, i) => {
    const salt = row.salt.toLowerCase();
    if (salts.has(salt)) throw new TrialDataError("BAD_INPUT", `buildDataset: rows[${i}] reuses a salt`);
    salts.add(salt);
    return encodeRow(row);
  });
  const tree = StandardMerkleTree.of(leaves, [...DATA_LEAF_ENCODING]);
  return {
    root: tree.root,
    leafCount: leaves.length,
    leaves,
    tree,
    proof(index) {
      if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) {
        throw new TrialDataError("INDEX_OUT_OF_RANGE", `proof: index ${index} is not in [0, ${leaves.length})`);
      }
      return tree.getProof(index);
    },
  };
}

/** Whether `proof` shows the row's leaf under `root` (as `MerkleProof.verify` on chain). */
export function verifyRowProof(root: string, row: DataRow | DataLeafValue, proof: readonly string[]): boolean {
  checkBytes32("verifyRowProof: root", root);
  const [pid, version, hash, salt] = Array.isArray(row) ? checkLeafValue(row) : encodeRow(row);
  return processProof(dataLeaf(pid, version, hash, salt), proof) === root.toLowerCase();
}

// ─── Against the chain ───────────────────────────────────────────────────────────────────────────

/** A TrialRegistry's address and a runner (a provider for views). */
export interface TrialRegistryRef {
  address: string;
  runner: ContractRunner;
}

/** Asks the contract's `verifyDataPoint` about a row of batch `batchIndex`; returns the status's name. */
export async function verifyDataPointOnChain(
  registry: TrialRegistryRef,
  trial: string,
  batchIndex: bigint,
  row: DataRow | DataLeafValue,
  proof: readonly string[],
): Promise<DataPointStatusName> {
  const [pid, version, hash, salt] = Array.isArray(row) ? checkLeafValue(row) : encodeRow(row);
  const contract = new Contract(registry.address, trialInterface, registry.runner);
  const status = Number(await contract.verifyDataPoint(trial, batchIndex, pid, version, hash, salt, [...proof]));
  const name = (Object.keys(DataPointStatus) as DataPointStatusName[]).find((k) => DataPointStatus[k] === status);
  if (name === undefined) throw new TrialDataError("BAD_INPUT", `verifyDataPoint returned unknown status ${status}`);
  return name;
}

/** Whether the chain holds `dataset.root` as batch `batchIndex` of the trial. */
export async function isBatchCommitted(
  registry: TrialRegistryRef,
  trial: string,
  batchIndex: bigint,
  dataset: Pick<Dataset, "root">,
): Promise<boolean> {
  const contract = new Contract(registry.address, trialInterface, registry.runner);
  const root = String(await contract.batchRoot(trial, batchIndex));
  return root.toLowerCase() === dataset.root.toLowerCase();
}

// ─── Timeline from events ────────────────────────────────────────────────────────────────────────

/** One event of a trial's life, decoded. `args` holds the event's named arguments. */
export interface TimelineEntry {
  event: TrialEventName;
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  /** The block's timestamp (unix seconds). */
  timestamp: number;
  args: Record<string, string | bigint | boolean>;
}

/** The block range and page size of {@link trialTimeline}. */
export interface TimelineOptions {
  /** First block to read (the registry's deployment block); default 0. */
  fromBlock?: number;
  /** Last block to read; default the latest. */
  toBlock?: number;
  /** Blocks per `getLogs` call (providers cap ranges); default 10,000. */
  pageSize?: number;
}

/**
 * Rebuilds a trial's timeline — registration, amendments, sites, enrolments, consents, withdrawals,
 * batches, interim results, lock, results and data-access grants — from the registry's events: one
 * `getLogs` per page of blocks, filtered on the trial id (every event's first indexed topic), in chain order.
 */
export async function trialTimeline(
  provider: Provider,
  registryAddress: string,
  trial: string,
  options: TimelineOptions = {},
): Promise<TimelineEntry[]> {
  checkBytes32("trialTimeline: trialId", trial);
  const pageSize = options.pageSize ?? DEFAULT_LOG_CHUNK;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new TrialDataError("BAD_INPUT", `trialTimeline: pageSize ${pageSize} is not a positive integer`);
  }
  const topics = TRIAL_EVENTS.map((name) => trialInterface.getEvent(name)!.topicHash);
  const logs = (
    await queryLogsInChunks(provider, registryAddress, [topics, trial], {
      fromBlock: options.fromBlock,
      toBlock: options.toBlock,
      chunkSize: pageSize,
    })
  ).sort(compareLogs);
  const timestamps = await blockTimestamps(
    provider,
    logs.map((l) => l.blockNumber),
  );
  const entries: TimelineEntry[] = [];
  for (const log of logs) {
    const parsed = trialInterface.parseLog(log)!;
    const args: Record<string, string | bigint | boolean> = {};
    parsed.fragment.inputs.forEach((input, i) => {
      args[input.name] = parsed.args[i] as string | bigint | boolean;
    });
    entries.push({
      event: parsed.name as TrialEventName,
      blockNumber: log.blockNumber,
      logIndex: log.index,
      transactionHash: log.transactionHash,
      timestamp: timestamps.get(log.blockNumber)!,
      args,
    });
  }
  return entries;
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

function checkLeafValue(value: readonly [string, bigint, string, string]): DataLeafValue {
  const [pid, version, hash, salt] = value;
  checkBytes32("participantId", pid);
  checkUint("protocolVersion", version, MAX_UINT32);
  checkBytes32("rowHash", hash);
  checkBytes32("salt", salt);
  return [pid, version, hash, salt];
}

function checkBytes32(what: string, value: string): void {
  if (!isHexString(value, 32)) {
    throw new TrialDataError("BAD_INPUT", `${what} ${JSON.stringify(value)} is not a 0x-prefixed bytes32`);
  }
}

function checkUint(what: string, value: bigint, max: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value > max) {
    throw new TrialDataError("BAD_INPUT", `${what} ${String(value)} is out of range [0, ${max}]`);
  }
}
