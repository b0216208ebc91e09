/**
 * Shared helpers of the `medchain` tasks: the network connection, the deployment's addresses (read from
 * `ignition/deployments/chain-<id>/deployed_addresses.json`, never hard-coded), accounts given by index or
 * address, argument parsing with one-line errors, decoded contract errors and readable output.
 *
 * Every action is wrapped by {@link command}: a {@link CliError} (bad input), a GS1 or serial-store error
 * or a contract's custom error is printed as one `error: …` line on stderr and the process exits with 1.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { getAddress, isAddress, isHexString, type ContractTransactionResponse, type Interface } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { MEDCHAIN_FUTURE_IDS } from "../src/deployments.ts";
import { decodeContractError, MedChainContractError } from "../src/errors.ts";
import { Gs1Error } from "../src/gs1.ts";
import { MerkleError } from "../src/merkle.ts";
import { SerialStoreError } from "../src/serial-store.ts";
import { TrialDataError } from "../src/trials.ts";
import type {
  ClaimEscrow,
  ConsentManager,
  IdentityRegistry,
  MedChainAccessManager,
  RecordRegistry,
  SupplyChain,
  TrialRegistry,
} from "../typechain-types/index.ts";

// ─── Errors and the action wrapper ───────────────────────────────────────────────────────────────

/** Bad input or a state the command cannot work with: printed as one line, exit code 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** Throws a {@link CliError}. */
export function fail(message: string): never {
  throw new CliError(message);
}

/** Interfaces whose custom errors {@link describeError} decodes (set when the deployment is opened). */
const knownInterfaces: Interface[] = [];

/** One line saying what went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof Gs1Error) return `malformed GS1: ${error.message}`;
  if (error instanceof SerialStoreError || error instanceof MerkleError || error instanceof TrialDataError) {
    return error.message;
  }
  const decoded = decodeContractError(error, ...knownInterfaces);
  if (decoded instanceof MedChainContractError) return `the chain refused: ${decoded.message}`;
  const e = error as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(error)).split("\n")[0];
}

/**
 * Wraps a task action: any error becomes one `error: …` line on stderr and exit code 1 (Hardhat would
 * otherwise print a stack trace for errors that are not its own).
 */
export function command<A>(
  fn: (args: A, hre: HardhatRuntimeEnvironment) => Promise<void>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<void> {
  return async (args, hre) => {
    try {
      await fn(args, hre);
    } catch (error) {
      console.error(`error: ${describeError(error)}`);
      process.exitCode = 1;
    }
  };
}

// ─── Deployment ──────────────────────────────────────────────────────────────────────────────────

/**
 * The Ignition future ids of the contracts, as `deployed_addresses.json` keys them (`<module>#<contract>`):
 * ignition/modules/*.ts. The escrow belongs to the top module, `MedChain` as `medchain deploy` deploys it.
 */
export const DEPLOYMENT_KEYS = {
  manager: MEDCHAIN_FUTURE_IDS.manager[0],
  identity: MEDCHAIN_FUTURE_IDS.identity[0],
  records: MEDCHAIN_FUTURE_IDS.records[0],
  consent: MEDCHAIN_FUTURE_IDS.consent[0],
  supply: MEDCHAIN_FUTURE_IDS.supply[0],
  trials: MEDCHAIN_FUTURE_IDS.trials[0],
  claims: MEDCHAIN_FUTURE_IDS.claims[0],
} as const;

/** Other future ids of a key (the SDK's table): on a real network the system is `MedChainWithToken`. */
const KEY_ALIASES: Record<string, readonly string[]> = Object.fromEntries(
  Object.values(MEDCHAIN_FUTURE_IDS).map(([key, ...aliases]) => [key, aliases]),
);

/** The deployment folder of a chain. */
export function deploymentDir(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(hre.config.paths.ignition, "deployments", `chain-${chainId}`);
}

/** A connection to the network chosen with `--network`. */
export interface Connection {
  ethers: HardhatEthers;
  networkName: string;
  chainId: bigint;
  /** The `--network` to suggest in messages (`localhost` when on the in-process network, which keeps nothing). */
  suggestedNetwork: string;
}

export async function connect(hre: HardhatRuntimeEnvironment): Promise<Connection> {
  const connection = await hre.network.create();
  const { chainId } = await connection.ethers.provider.getNetwork();
  const suggestedNetwork = connection.networkConfig.type === "edr-simulated" ? "localhost" : connection.networkName;
  return { ethers: connection.ethers, networkName: connection.networkName, chainId, suggestedNetwork };
}

/** The deployed system, contracts connected to the provider (read-only; `.connect(signer)` to write). */
export interface MedChain extends Connection {
  addresses: Record<string, string>;
  manager: MedChainAccessManager;
  identity: IdentityRegistry;
  records: RecordRegistry;
  consent: ConsentManager;
  supply: SupplyChain;
  trials: TrialRegistry;
  claims: ClaimEscrow;
}

/** Reads `deployed_addresses.json` of the chain; fails with the command to run when there is none. */
export function readAddresses(hre: HardhatRuntimeEnvironment, connection: Connection): Record<string, string> {
  const file = path.join(deploymentDir(hre, connection.chainId), "deployed_addresses.json");
  const hint = `run \`npx hardhat medchain deploy --network ${connection.suggestedNetwork}\` first`;
  if (!existsSync(file)) fail(`no MedChain deployment for chain ${connection.chainId}: ${hint}`);
  const addresses = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  for (const [key, aliases] of Object.entries(KEY_ALIASES)) {
    const alias = aliases.find((a) => addresses[a] !== undefined);
    if (addresses[key] === undefined && alias !== undefined) addresses[key] = addresses[alias];
  }
  const missing = Object.values(DEPLOYMENT_KEYS).filter((key) => addresses[key] === undefined);
  if (missing.length > 0) {
    fail(`the deployment for chain ${connection.chainId} lacks ${missing.join(", ")}: ${hint}`);
  }
  return addresses;
}

/** Connects and opens the deployment; checks that the chain still has the contracts (a restarted node forgets them). */
export async function openMedChain(hre: HardhatRuntimeEnvironment): Promise<MedChain> {
  const connection = await connect(hre);
  const addresses = readAddresses(hre, connection);
  const { ethers } = connection;
  const identityAddress = addresses[DEPLOYMENT_KEYS.identity];
  if ((await ethers.provider.getCode(identityAddress)) === "0x") {
    fail(
      `no MedChain contract at ${identityAddress} on chain ${connection.chainId} (the node was restarted?): ` +
        `run \`npx hardhat medchain deploy --network ${connection.suggestedNetwork}\` again`,
    );
  }
  const at = async <T>(name: string, key: string) =>
    (await ethers.getContractAt(name, addresses[key])) as unknown as T & { interface: Interface };
  const system: MedChain = {
    ...connection,
    addresses,
    manager: await at<MedChainAccessManager>("MedChainAccessManager", DEPLOYMENT_KEYS.manager),
    identity: await at<IdentityRegistry>("IdentityRegistry", DEPLOYMENT_KEYS.identity),
    records: await at<RecordRegistry>("RecordRegistry", DEPLOYMENT_KEYS.records),
    consent: await at<ConsentManager>("ConsentManager", DEPLOYMENT_KEYS.consent),
    supply: await at<SupplyChain>("SupplyChain", DEPLOYMENT_KEYS.supply),
    trials: await at<TrialRegistry>("TrialRegistry", DEPLOYMENT_KEYS.trials),
    claims: await at<ClaimEscrow>("ClaimEscrow", DEPLOYMENT_KEYS.claims),
  };
  knownInterfaces.push(
    system.identity.interface,
    system.consent.interface,
    system.records.interface,
    system.supply.interface,
    system.trials.interface,
    system.claims.interface,
    system.manager.interface,
  );
  return system;
}

// ─── Accounts and transactions ───────────────────────────────────────────────────────────────────

/**
 * The account `spec` names: an index into the network's accounts or an address among them. When `spec`
 * is empty, account `defaultIndex` (or a failure naming `flag` when there is no default).
 */
export async function account(
  ethers: HardhatEthers,
  spec: string | undefined,
  flag: string,
  defaultIndex?: number,
): Promise<HardhatEthersSigner> {
  const signers = await ethers.getSigners();
  const value = (spec ?? "").trim();
  if (value === "") {
    if (defaultIndex === undefined) fail(`missing ${flag} <account index or address>`);
    return signers[defaultIndex] ?? fail(`${flag}: this network has no account ${defaultIndex}`);
  }
  if (/^\d+$/.test(value)) {
    const index = Number(value);
    return signers[index] ?? fail(`${flag}: account index ${index} out of range (this network has ${signers.length})`);
  }
  if (!isAddress(value)) fail(`${flag}: "${value}" is neither an account index nor an address`);
  const address = getAddress(value);
  return (
    signers.find((s) => s.address === address) ??
    fail(`${flag}: ${address} is not one of this network's accounts (no key to sign with)`)
  );
}

/** An address given by account index or as an address (it need not be one of this network's accounts). */
export async function addressOf(ethers: HardhatEthers, spec: string | undefined, flag: string): Promise<string> {
  const value = required(spec, flag);
  if (isAddress(value)) return getAddress(value);
  return (await account(ethers, value, flag)).address;
}

/** Sends a transaction, waits for it and prints its hash and gas. */
export async function send(what: string, tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (receipt === null) fail(`${what}: the transaction was dropped`);
  console.log(`${what}: tx ${receipt.hash} (block ${receipt.blockNumber}, ${receipt.gasUsed} gas)`);
  return receipt;
}

/** The latest block's timestamp (the chain's clock, not this machine's). */
export async function chainNow(ethers: HardhatEthers): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

// ─── Arguments ───────────────────────────────────────────────────────────────────────────────────

/** The value of a required option, trimmed. */
export function required(value: string | undefined, flag: string): string {
  const v = (value ?? "").trim();
  if (v === "") fail(`missing ${flag}`);
  return v;
}

/** A non-negative integer id, decimal or 0x-hex (patient ids are 256-bit). */
export function parseId(value: string | undefined, flag: string): bigint {
  const v = required(value, flag);
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(v)) fail(`${flag}: "${v}" is not a number (decimal or 0x-hex)`);
  const id = BigInt(v);
  if (id >= 1n << 256n) fail(`${flag}: ${v} does not fit in 256 bits`);
  return id;
}

/** A positive whole number of days. */
export function parseDays(value: string | undefined, flag: string): bigint {
  const v = required(value, flag);
  if (!/^\d+$/.test(v) || BigInt(v) === 0n) fail(`${flag}: "${v}" is not a positive whole number of days`);
  return BigInt(v);
}

/** A 32-byte hex value. */
export function parseBytes32(value: string | undefined, flag: string): string {
  const v = required(value, flag);
  if (!isHexString(v, 32)) fail(`${flag}: "${v}" is not a 32-byte hex value (0x + 64 hex digits)`);
  return v.toLowerCase();
}

/** The value of one name of `table` (case-insensitive); fails listing the known names. */
export function parseName(
  value: string | undefined,
  table: Record<string, number>,
  flag: string,
  what: string,
): number {
  const name = required(value, flag);
  const found = Object.entries(table).find(([k]) => k.toUpperCase() === name.toUpperCase());
  if (found === undefined) fail(`unknown ${what} "${name}" (known: ${Object.keys(table).join(", ")})`);
  return found[1];
}

/** A mask from comma-separated names of `table` (case-insensitive); fails naming the unknown one. */
export function parseNames(
  value: string | undefined,
  table: Record<string, number>,
  flag: string,
  what: string,
): number {
  const names = required(value, flag)
    .split(",")
    .map((n) => n.trim().toUpperCase())
    .filter((n) => n !== "");
  if (names.length === 0) fail(`missing ${flag}`);
  const upper = new Map(Object.entries(table).map(([k, bit]) => [k.toUpperCase(), bit]));
  return names.reduce((mask, name) => {
    const bit = upper.get(name);
    if (bit === undefined) fail(`unknown ${what} "${name}" (known: ${Object.keys(table).join(", ")})`);
    return mask | bit;
  }, 0);
}

/** The names of the bits set in `mask` (and any unnamed bits as hex). */
export function maskNames(mask: bigint | number, table: Record<string, number>): string {
  let rest = BigInt(mask);
  const names: string[] = [];
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & BigInt(bit)) === BigInt(bit)) {
      names.push(name);
      rest &= ~BigInt(bit);
    }
  }
  if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
  return names.length > 0 ? names.join(",") : "none";
}

/** The name of `value` in an enum-like table. */
export function nameOf(table: Record<string, number>, value: bigint | number): string {
  return Object.entries(table).find(([, v]) => BigInt(v) === BigInt(value))?.[0] ?? `#${value}`;
}

// ─── Files ───────────────────────────────────────────────────────────────────────────────────────

/** The text of `file`; fails naming `flag` when there is no such file. */
export function readText(file: string, flag: string): string {
  if (!existsSync(file)) fail(`${flag}: no such file ${file}`);
  return readFileSync(file, "utf8");
}

/** The JSON value in `file`; fails naming `flag` when it is missing or not JSON. */
export function readJson(file: string, flag: string): unknown {
  const text = readText(file, flag);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    fail(`${flag}: ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

// ─── Output ──────────────────────────────────────────────────────────────────────────────────────

/** `YYYY-MM-DD HH:MM:SS UTC` of a unix time in seconds. */
export function formatTime(seconds: bigint | number): string {
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A 256-bit id as 0x + 64 hex digits (how patient ids are shown and accepted). */
export function formatId(id: bigint): string {
  return `0x${id.toString(16).padStart(64, "0")}`;
}

/** Prints a title and aligned `key  value` lines. */
export function printFields(title: string, fields: [string, string | number | bigint | boolean][]): void {
  console.log(title);
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [key, value] of fields) console.log(`  ${key.padEnd(width)}  ${String(value)}`);
}
