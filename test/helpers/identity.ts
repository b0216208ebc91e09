/**
 * Test fixtures: an AccessManager and an IdentityRegistry wired as in production (src/wiring.ts), with
 * named accounts, and helpers to accredit organisations and register patients with random ids.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { BaseContract, ContractTransactionResponse } from "ethers";
import { hexlify, randomBytes } from "ethers";

import { medchainDomain, PatientAttestationTypes } from "../../src/eip712.ts";
import { randomId } from "../../src/ids.ts";
import { type OrgKindName, OrgKind, Roles } from "../../src/roles.ts";
import { RESTRICTED_FUNCTIONS, type WiredContract } from "../../src/wiring.ts";
import type { MedChainAccessManager as AccessManager, IdentityRegistry } from "../../typechain-types/index.ts";

// Minimal view of what `network.create()` gives a test file.
export interface Ethers {
  getSigners(): Promise<HardhatEthersSigner[]>;
  deployContract(name: string, args?: unknown[]): Promise<BaseContract>;
  provider: { getBlock(tag: string): Promise<{ timestamp: number; number: number } | null> };
}

/** Wires every restricted function of `target` listed in src/wiring.ts to its role. */
export async function wireContract(
  manager: AccessManager,
  contractName: WiredContract,
  target: BaseContract,
): Promise<void> {
  const byRole = new Map<bigint, string[]>();
  for (const [fn, role] of Object.entries(RESTRICTED_FUNCTIONS[contractName])) {
    const selector = target.interface.getFunction(fn)!.selector;
    const roleId = Roles[role as keyof typeof Roles];
    byRole.set(roleId, [...(byRole.get(roleId) ?? []), selector]);
  }
  for (const [roleId, selectors] of byRole) {
    await manager.setTargetFunctionRole(await target.getAddress(), selectors, roleId);
  }
}

export async function now(ethers: Ethers): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

export const YEAR = 365n * 24n * 3600n;
export const DAY = 24n * 3600n;
export const HOUR = 3600n;
export const randomHash = (): string => hexlify(randomBytes(32));

/** AccessManager + IdentityRegistry, roles granted, the registrar allowed every kind. */
export async function deployIdentity(ethers: Ethers) {
  const [admin, registrar, regulator, pauser, ...others] = await ethers.getSigners();
  const manager = (await ethers.deployContract("MedChainAccessManager", [admin.address])) as unknown as AccessManager;
  const identity = (await ethers.deployContract("IdentityRegistry", [
    await manager.getAddress(),
  ])) as unknown as IdentityRegistry;
  await wireContract(manager, "IdentityRegistry", identity);
  await manager.grantRole(Roles.REGISTRAR, registrar.address, 0);
  await manager.grantRole(Roles.REGULATOR, regulator.address, 0);
  await manager.grantRole(Roles.PAUSER, pauser.address, 0);
  await identity.setRegistrarKinds(registrar.address, 0x1fe); // every kind (bits 1..8)

  const chainId = (await identity.runner!.provider!.getNetwork()).chainId;
  const domain = medchainDomain("IdentityRegistry", chainId, await identity.getAddress());

  /**
   * Accredits an organisation and has `operator` accept the registrar's offer (an account becomes an
   * operator only with its own consent), so `operator` is its first operator; returns its id.
   */
  async function registerOrg(
    kind: OrgKindName,
    capabilities: number,
    operator: HardhatEthersSigner,
    validFor: bigint = YEAR,
  ): Promise<bigint> {
    const validUntil = (await now(ethers)) + validFor;
    await identity
      .connect(registrar)
      .registerOrganization(OrgKind[kind], capabilities, validUntil, randomHash(), operator);
    const orgId = await identity.organizationCount();
    await identity.connect(operator).acceptOperator(orgId);
    return orgId;
  }

  /** The registrar's EIP-712 attestation of (commitment, controller, patientId, deadline). */
  async function attest(controller: string, patientId: bigint, commitmentHash: string, deadline: bigint) {
    return registrar.signTypedData(domain, PatientAttestationTypes, {
      commitment: commitmentHash,
      controller,
      patientId,
      deadline,
    });
  }

  /** Registers a patient with a random id and commitment, controlled by `controller`. */
  async function registerPatient(controller: { address: string }): Promise<bigint> {
    const patientId = randomId();
    const commitmentHash = randomHash();
    const deadline = (await now(ethers)) + HOUR;
    const sig = await attest(controller.address, patientId, commitmentHash, deadline);
    await identity.registerPatient(patientId, commitmentHash, controller.address, deadline, registrar, sig);
    return patientId;
  }

  return {
    manager,
    identity,
    admin,
    registrar,
    regulator,
    pauser,
    others,
    domain,
    registerOrg,
    attest,
    registerPatient,
  };
}

/**
 * `by` (an operator of `orgId`, or its registrar) offers `account` to act for `orgId`, and `account`
 * accepts: the two steps by which an account becomes an operator with its own consent.
 */
export async function addOperator(
  identity: IdentityRegistry,
  orgId: bigint,
  by: HardhatEthersSigner,
  account: HardhatEthersSigner,
): Promise<void> {
  await (await identity.connect(by).addOperator(orgId, account)).wait();
  await (await identity.connect(account).acceptOperator(orgId)).wait();
}

export type Tx = Promise<ContractTransactionResponse>;
