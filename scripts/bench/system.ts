/**
 * The benchmark's world: the whole system deployed by the `MedChain` Ignition module on a fresh in-process
 * network, its role holders, and helpers to make actors and to measure transactions.
 *
 * Every value a benchmark chooses (ids, hashes, keys, deadlines, dates) is derived from a label and a counter
 * (`Seq`), and every domain starts measuring at a fixed chain time, so two runs send byte-identical
 * calldata: a difference between the 1- and the 1,000-participant runs is the contract's, not the dice's.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { keccak256, toUtf8Bytes, Wallet, type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import MedChainModule from "../../ignition/modules/MedChain.ts";
import { medchainDomain, PatientAttestationTypes } from "../../src/eip712.ts";
import { OrgKind, type OrgKindName } from "../../src/roles.ts";
import type {
  ClaimEscrow,
  ConsentManager,
  IdentityRegistry,
  MedChainAccessManager,
  RecordRegistry,
  SupplyChain,
  TestStablecoin,
  TrialRegistry,
} from "../../typechain-types/index.ts";
import { explain, formatBreakdown } from "./explain.ts";
import { type BenchRow, floorOf, mined, type TraceProvider } from "./types.ts";

export const HOUR = 3600n;
export const DAY = 24n * HOUR;
export const YEAR = 365n * DAY;
/** 2030-01-01T00:00:00Z: the chain time at which the first domain starts measuring. */
export const T0 = 1_893_456_000n;
/** Licences, grants and signatures run until then. */
export const FAR = T0 + 10n * YEAR;
export const DEADLINE = T0 + 5n * YEAR;

/** When each domain starts measuring (each may move time forward by a few days inside its slot). */
export const START = {
  identity: T0,
  consent: T0 + 20n * DAY,
  supply: T0 + 40n * DAY,
  trials: T0 + 60n * DAY,
  claims: T0 + 80n * DAY,
} as const;

/** Deterministic values: `keccak256("<label>:<n>")` for n = 0, 1, 2, … */
export class Seq {
  private n = 0;
  constructor(private readonly label: string) {}
  hash(): string {
    return keccak256(toUtf8Bytes(`${this.label}:${this.n++}`));
  }
  /** A non-zero 256-bit id (patient ids, record ids). */
  id(): bigint {
    return BigInt(this.hash()) | 1n;
  }
  address(): string {
    return new Wallet(this.hash()).address;
  }
}

const CONTRACT_NAMES = {
  manager: "AccessManager",
  identity: "IdentityRegistry",
  records: "RecordRegistry",
  consent: "ConsentManager",
  supply: "SupplyChain",
  trials: "TrialRegistry",
  claims: "ClaimEscrow",
  token: "TestStablecoin",
} as const;

export type Connection = Awaited<ReturnType<typeof network.create>>;
export type BenchSystem = Awaited<ReturnType<typeof deploySystem>>;

/** Deploys the system with `ignition.deploy(MedChainModule)` on a fresh network and returns the bench's helpers. */
export async function deploySystem(connection?: Connection) {
  const conn = connection ?? (await network.create());
  const { ethers, ignition, networkHelpers } = conn;
  const provider = ethers.provider as unknown as TraceProvider;
  const deployed = await ignition.deploy(MedChainModule);
  const c = {
    manager: deployed.manager as unknown as MedChainAccessManager,
    identity: deployed.identity as unknown as IdentityRegistry,
    records: deployed.records as unknown as RecordRegistry,
    consent: deployed.consent as unknown as ConsentManager,
    supply: deployed.supply as unknown as SupplyChain,
    trials: deployed.trials as unknown as TrialRegistry,
    claims: deployed.claims as unknown as ClaimEscrow,
    token: deployed.token as unknown as TestStablecoin,
  };
  const deploymentBlock = await ethers.provider.getBlockNumber();
  // Ignition's role holders (ignition/modules/Governance.ts): accounts 0 (ADMIN), 1, 2, 3.
  const [admin, registrar, regulator, pauser, relayer] = await ethers.getSigners();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const identityDomain = medchainDomain("IdentityRegistry", chainId, await c.identity.getAddress());
  const seq = new Seq("system");

  /** A domain's EIP-712 domain. */
  async function domainOf(name: string, contract: { getAddress(): Promise<string> }) {
    return medchainDomain(name, chainId, await contract.getAddress());
  }

  /** A funded account with a deterministic key (`label`). */
  async function account(s: Seq): Promise<Wallet> {
    const wallet = new Wallet(s.hash(), ethers.provider);
    await provider.send("hardhat_setBalance", [wallet.address, "0x56bc75e2d63100000"]);
    return wallet;
  }

  /**
   * The registrar accredits an organisation (licence until FAR) and offers `operator` to act for it; the
   * operator accepts (impersonated and funded when the bench holds no key for it), so it is the first operator.
   */
  async function registerOrg(kind: OrgKindName, capabilities: number, operator: string, s: Seq = seq) {
    await mined(
      c.identity.connect(registrar).registerOrganization(OrgKind[kind], capabilities, FAR, s.hash(), operator),
    );
    const orgId = await c.identity.organizationCount();
    await mined(c.identity.connect(await impersonate(operator)).acceptOperator(orgId));
    return orgId;
  }

  /** A signer for `address` on the simulated network (impersonated, funded if it holds no ether). */
  async function impersonate(address: string) {
    await provider.send("hardhat_impersonateAccount", [address]);
    if ((await ethers.provider.getBalance(address)) === 0n) {
      await provider.send("hardhat_setBalance", [address, "0x56bc75e2d63100000"]);
    }
    return ethers.getSigner(address);
  }

  /** The relayer registers a patient controlled by `controller`, attested by the registrar; returns its id. */
  async function registerPatient(controller: string, s: Seq = seq): Promise<bigint> {
    const patientId = s.id();
    const commitment = s.hash();
    const attestation = await registrar.signTypedData(identityDomain, PatientAttestationTypes, {
      commitment,
      controller,
      patientId,
      deadline: DEADLINE,
    });
    await mined(
      c.identity.connect(relayer).registerPatient(patientId, commitment, controller, DEADLINE, registrar, attestation),
    );
    return patientId;
  }

  /** Registers `n` more organisations (of every kind, in turn) and `n` more patients. */
  async function populate(n: number, log: (line: string) => void = () => {}) {
    const s = new Seq("population");
    const kinds: OrgKindName[] = ["Provider", "Pharmacy", "Manufacturer", "Distributor", "Lab", "Insurer", "Sponsor"];
    for (let i = 0; i < n; i++) {
      await registerOrg(kinds[i % kinds.length], 0x3ff, s.address(), s);
      await registerPatient(s.address(), s);
      if (n >= 100 && (i + 1) % (n / 10) === 0) log(`  registered ${i + 1} of ${n} organisations and patients`);
    }
  }

  /** Moves the chain to `t` (a later block timestamp); a no-op when it is there already. */
  async function setTime(t: bigint) {
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    if (now >= t) throw new Error(`bench: the chain is at ${now}, past the planned time ${t}`);
    await networkHelpers.time.increaseTo(t);
  }

  async function increaseTime(seconds: bigint) {
    await networkHelpers.time.increase(seconds);
  }

  /** Sends `tx`, and returns its row: gas used and EVM floor (see scripts/bench/types.ts). */
  async function measure(
    op: string,
    tx: Promise<ContractTransactionResponse>,
    opts: { goal?: bigint; note?: string } = {},
  ): Promise<BenchRow> {
    const receipt = await mined(tx);
    const [floor, account] = await floorOf(provider, receipt);
    return {
      op,
      gas: receipt.gasUsed,
      goal: opts.goal,
      floor,
      note: opts.note ? `${opts.note} [${account}]` : `[${account}]`,
      hash: receipt.hash,
    };
  }

  /** Gas of the ADMIN's `AccessManager.updateAuthority(target, manager)`, which calls `target.setAuthority`. */
  async function measureSetAuthority(name: string, target: { getAddress(): Promise<string> }): Promise<BenchRow> {
    return measure(
      `${name}.setAuthority`,
      c.manager.connect(admin).updateAuthority(await target.getAddress(), await c.manager.getAddress()),
      { note: "ADMIN via AccessManager.updateAuthority, to the same manager" },
    );
  }

  /** The row of a call Ignition made during the deployment (`contract.fn` sent to `target`). */
  async function deploymentCall(op: string, target: string, selector: string, note: string): Promise<BenchRow> {
    for (let b = 0; b <= deploymentBlock; b++) {
      const block = await ethers.provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (tx.to?.toLowerCase() === target.toLowerCase() && tx.data.startsWith(selector)) {
          const receipt = (await ethers.provider.getTransactionReceipt(tx.hash))!;
          const [floor, account] = await floorOf(provider, receipt);
          return { op, gas: receipt.gasUsed, floor, note: `${note} [${account}]` };
        }
      }
    }
    throw new Error(`bench: no deployment transaction ${op}`);
  }

  /** Prints where the gas of each row over its goal goes (scripts/bench/explain.ts). */
  async function explainOver(rows: BenchRow[]): Promise<string[]> {
    const names = new Map<string, string>();
    const ifaces = [];
    for (const [key, contract] of Object.entries(c)) {
      names.set((await contract.getAddress()).toLowerCase(), CONTRACT_NAMES[key as keyof typeof c]);
      ifaces.push(contract.interface);
    }
    for (const lib of ["PlanBook", "Treasury"]) ifaces.push((await ethers.getContractFactory(lib)).interface);
    const lines: string[] = [];
    for (const r of rows) {
      if (r.goal === undefined || r.gas <= r.goal || r.hash === undefined) continue;
      lines.push(formatBreakdown(r.op, await explain(provider, r.hash, names, ifaces)));
    }
    return lines;
  }

  return {
    conn,
    ethers,
    provider,
    networkHelpers,
    ...c,
    admin,
    registrar,
    regulator,
    pauser,
    relayer: relayer as HardhatEthersSigner,
    chainId,
    identityDomain,
    domainOf,
    account,
    registerOrg,
    impersonate,
    registerPatient,
    populate,
    setTime,
    increaseTime,
    measure,
    measureSetAuthority,
    deploymentCall,
    explainOver,
  };
}
