/**
 * Deployment addresses for dApps. Ignition writes the addresses of a deployment to
 * `ignition/deployments/chain-<id>/deployed_addresses.json`, keyed by future id (`<module>#<contract>`,
 * e.g. `Identity#IdentityRegistry`). {@link loadDeployment} reads that file (Node); a browser dApp imports
 * the JSON instead. {@link connectMedChain} turns the addresses into typed contracts; it makes no network
 * call and needs no file system, so it runs anywhere ethers runs.
 *
 * ```ts
 * import addresses from "./deployments/chain-11155111/deployed_addresses.json" with { type: "json" };
 * const medchain = connectMedChain(signer, addresses);
 * await medchain.identity.getOrganization(orgId);
 * ```
 *
 * @module
 */
import { Contract, getAddress, isAddress, type AddressLike, type BaseContract, type BigNumberish } from "ethers";
import type { ContractRunner } from "ethers";

import type { TypedContractMethod } from "../typechain-types/common.ts";
import {
  ClaimEscrow__factory,
  ConsentManager__factory,
  IdentityRegistry__factory,
  MedChainAccessManager__factory,
  RecordRegistry__factory,
  SupplyChain__factory,
  TrialRegistry__factory,
  type ClaimEscrow,
  type ConsentManager,
  type IdentityRegistry,
  type MedChainAccessManager,
  type RecordRegistry,
  type SupplyChain,
  type TrialRegistry,
} from "../typechain-types/index.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** The contents of an Ignition `deployed_addresses.json`: future id (`<module>#<contract>`) → address. */
export type DeploymentAddresses = Readonly<Record<string, string>>;

/** The contracts of a MedChain deployment, by the names {@link connectMedChain} gives them. */
export type MedChainContractName = keyof typeof MEDCHAIN_FUTURE_IDS;

/**
 * The escrow's ERC-20 (the test stablecoin on local chains, the `token` parameter on real networks):
 * the standard functions plus the optional metadata (`name`, `symbol`, `decimals`).
 */
export interface Erc20Token extends BaseContract {
  /** The same token with another runner (a signer to send transfers and approvals). */
  connect(runner: ContractRunner | null): Erc20Token;
  name: TypedContractMethod<[], [string], "view">;
  symbol: TypedContractMethod<[], [string], "view">;
  decimals: TypedContractMethod<[], [bigint], "view">;
  totalSupply: TypedContractMethod<[], [bigint], "view">;
  balanceOf: TypedContractMethod<[account: AddressLike], [bigint], "view">;
  allowance: TypedContractMethod<[owner: AddressLike, spender: AddressLike], [bigint], "view">;
  approve: TypedContractMethod<[spender: AddressLike, value: BigNumberish], [boolean], "nonpayable">;
  transfer: TypedContractMethod<[to: AddressLike, value: BigNumberish], [boolean], "nonpayable">;
  transferFrom: TypedContractMethod<[from: AddressLike, to: AddressLike, value: BigNumberish], [boolean], "nonpayable">;
}

/** A MedChain deployment as typed contracts, connected to the runner given to {@link connectMedChain}. */
export interface MedChainContracts {
  /** The address of each contract (checksummed), by name. */
  addresses: Readonly<Record<MedChainContractName, string>>;
  /** The AccessManager that holds every role and wires every restricted function. */
  manager: MedChainAccessManager;
  identity: IdentityRegistry;
  records: RecordRegistry;
  consent: ConsentManager;
  supply: SupplyChain;
  trials: TrialRegistry;
  claims: ClaimEscrow;
  /** The ERC-20 the claims escrow pays in. */
  token: Erc20Token;
}

/** Why a deployment could not be read or connected. */
export type DeploymentErrorCode = "NOT_FOUND" | "BAD_FILE" | "MISSING_CONTRACT" | "AMBIGUOUS" | "BAD_ADDRESS";

/** Thrown by {@link loadDeployment} and {@link connectMedChain}; `code` says what is wrong. */
export class DeploymentError extends Error {
  readonly code: DeploymentErrorCode;

  constructor(code: DeploymentErrorCode, message: string) {
    super(message);
    this.name = "DeploymentError";
    this.code = code;
  }
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

/**
 * The Ignition future ids under which each contract may appear in `deployed_addresses.json`. The
 * system modules (`MedChain` on local chains, `MedChainWithToken` on real networks) share the
 * per-domain modules; only the escrow and its token are keyed by the system module's name.
 */
export const MEDCHAIN_FUTURE_IDS = {
  manager: ["Governance#MedChainAccessManager"],
  identity: ["Identity#IdentityRegistry"],
  records: ["Consent#RecordRegistry"],
  consent: ["Consent#ConsentManager"],
  supply: ["Supply#SupplyChain"],
  trials: ["Trials#TrialRegistry"],
  claims: ["MedChain#ClaimEscrow", "MedChainWithToken#ClaimEscrow"],
  token: ["MedChain#TestStablecoin", "MedChainWithToken#IERC20"],
} as const satisfies Record<string, readonly string[]>;

/** The ERC-20 functions {@link Erc20Token} types (human-readable ABI). */
export const ERC20_ABI = [
  "function name() view returns (string)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function totalSupply() view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 value) returns (bool)",
  "function transfer(address to, uint256 value) returns (bool)",
  "function transferFrom(address from, address to, uint256 value) returns (bool)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "event Approval(address indexed owner, address indexed spender, uint256 value)",
] as const;

/**
 * The address of each MedChain contract in `addresses` (checksummed). Throws a {@link DeploymentError}
 * when a contract is missing (`MISSING_CONTRACT`, all missing ones named), appears under two future
 * ids (`AMBIGUOUS`: both system modules deployed to one chain) or has an invalid address (`BAD_ADDRESS`).
 */
export function medchainAddresses(addresses: DeploymentAddresses): Record<MedChainContractName, string> {
  const found: Partial<Record<MedChainContractName, string>> = {};
  const missing: string[] = [];
  for (const [name, ids] of Object.entries(MEDCHAIN_FUTURE_IDS) as [MedChainContractName, readonly string[]][]) {
    const present = ids.filter((id) => addresses[id] !== undefined);
    if (present.length === 0) {
      missing.push(ids.join(" or "));
      continue;
    }
    if (present.length > 1) {
      throw new DeploymentError("AMBIGUOUS", `the deployment has ${present.join(" and ")}: keep one system module`);
    }
    const address = addresses[present[0]];
    if (!isAddress(address)) throw new DeploymentError("BAD_ADDRESS", `${present[0]}: "${address}" is not an address`);
    found[name] = getAddress(address);
  }
  if (missing.length > 0) {
    throw new DeploymentError("MISSING_CONTRACT", `the deployment lacks ${missing.join(", ")}`);
  }
  return found as Record<MedChainContractName, string>;
}

/**
 * Typed contracts of a MedChain deployment from its addresses (a `deployed_addresses.json` read with
 * {@link loadDeployment} or imported as JSON), connected to `runner`: a provider to read, a signer to
 * write (each contract's `.connect(other)` switches). Makes no network call; throws a
 * {@link DeploymentError} as {@link medchainAddresses} does.
 */
export function connectMedChain(
  runner: ContractRunner | null | undefined,
  addresses: DeploymentAddresses,
): MedChainContracts {
  const a = medchainAddresses(addresses);
  return {
    addresses: a,
    manager: MedChainAccessManager__factory.connect(a.manager, runner),
    identity: IdentityRegistry__factory.connect(a.identity, runner),
    records: RecordRegistry__factory.connect(a.records, runner),
    consent: ConsentManager__factory.connect(a.consent, runner),
    supply: SupplyChain__factory.connect(a.supply, runner),
    trials: TrialRegistry__factory.connect(a.trials, runner),
    claims: ClaimEscrow__factory.connect(a.claims, runner),
    token: new Contract(a.token, ERC20_ABI, runner) as unknown as Erc20Token,
  };
}
