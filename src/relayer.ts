/**
 * Gasless patient actions. A patient signs an EIP-712 message with the SDK's helpers; a relayer (any
 * funded account: a hospital, the dApp's backend) submits the `…WithSig` call and pays the gas. The
 * contract checks the signature, the deadline, the patient's nonce and the signer's authority at
 * execution, so the relayer can neither alter nor replay what it carries.
 */
import type { BaseContract, ContractTransactionReceipt, Signer, TypedDataDomain, TypedDataField } from "ethers";
import { getAddress } from "ethers";

import { withDecodedErrors } from "./errors.ts";

/** A contract of MedChain's that exposes ERC-5267 `eip712Domain()` and per-patient `nonces`. */
export interface SignableContract extends BaseContract {
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
  nonces(patientId: bigint): Promise<bigint>;
}

/** Why the SDK refused to sign with the EIP-712 domain a node gave it. */
export type SigningDomainErrorCode =
  /** The domain's chain id is not the network's (the node's `eth_chainId`, the signer's, or the expected one). */
  | "WRONG_CHAIN"
  /** The domain's `verifyingContract` is not the address of the contract the SDK called. */
  | "WRONG_CONTRACT"
  /** The domain is not a MedChain one: name `MedChain <Contract>`, version `1`, fields 0x0f (no salt, no extensions). */
  | "NOT_MEDCHAIN";

/**
 * A refusal to sign: the EIP-712 domain read from the chain does not match the network or the
 * contract, so a signature over it could be valid elsewhere (a lying or compromised node).
 */
export class SigningDomainError extends Error {
  readonly code: SigningDomainErrorCode;
  /** What the domain should have held, and what the node answered. */
  readonly expected: string;
  readonly actual: string;

  constructor(code: SigningDomainErrorCode, message: string, expected: string, actual: string) {
    super(`${code}: ${message} (expected ${expected}, got ${actual})`);
    this.name = "SigningDomainError";
    this.code = code;
    this.expected = expected;
    this.actual = actual;
  }
}

/** What {@link domainOf} checks the domain against, beyond the node's chain id and the contract's address. */
export interface DomainCheckOptions {
  /** The chain the caller means to sign for (e.g. from its deployment file); refused if the domain differs. */
  chainId?: bigint;
  /** A second opinion on the chain id: the signer (a wallet usually has its own connection). */
  signer?: Signer;
}

/**
 * Reads a contract's EIP-712 domain from the chain (ERC-5267), so the SDK never hard-codes it, and
 * checks it before anything is signed over it: its `verifyingContract` must be the address the SDK
 * called (known locally, not from the node), its `chainId` the network's — the chain id of the
 * contract's provider, of the signer's provider when it has one, and `options.chainId` when given —
 * and it must be a MedChain domain (name `MedChain <Contract>`, version `1`, no salt or extension).
 * A node that lies about either cannot obtain a signature valid on another chain or contract. (A node
 * that lies about `eth_chainId` and the domain alike is caught by the signer's provider or
 * `options.chainId`: give one of them when the node is not trusted.)
 * @throws SigningDomainError `WRONG_CHAIN`, `WRONG_CONTRACT`, `NOT_MEDCHAIN`.
 */
export async function domainOf(contract: SignableContract, options: DomainCheckOptions = {}): Promise<TypedDataDomain> {
  const provider = contract.runner?.provider ?? options.signer?.provider;
  if (!provider) throw new Error("domainOf: the contract has no provider");
  const signerProvider = options.signer?.provider ?? undefined;
  const [[fields, name, version, chainId, verifyingContract, salt, extensions], address, network, signerNetwork] =
    await Promise.all([
      contract.eip712Domain(),
      contract.getAddress(),
      provider.getNetwork(),
      signerProvider === undefined || signerProvider === provider ? undefined : signerProvider.getNetwork(),
    ]);
  if (
    !/^MedChain [A-Za-z]+$/.test(name) ||
    version !== "1" ||
    fields.toLowerCase() !== "0x0f" ||
    !/^0x0{64}$/.test(salt) ||
    extensions.length !== 0
  ) {
    throw new SigningDomainError(
      "NOT_MEDCHAIN",
      "the contract's EIP-712 domain is not a MedChain domain",
      'fields 0x0f, name "MedChain <Contract>", version "1"',
      `fields ${fields}, name ${JSON.stringify(name)}, version ${JSON.stringify(version)}`,
    );
  }
  if (getAddress(verifyingContract) !== getAddress(address)) {
    throw new SigningDomainError(
      "WRONG_CONTRACT",
      "the domain's verifyingContract is not the contract called",
      getAddress(address),
      verifyingContract,
    );
  }
  const expected: [string, bigint | undefined][] = [
    ["the node's eth_chainId", network.chainId],
    ["the signer's network", signerNetwork?.chainId],
    ["the expected chain", options.chainId],
  ];
  for (const [source, id] of expected) {
    if (id !== undefined && id !== chainId) {
      throw new SigningDomainError(
        "WRONG_CHAIN",
        `the domain's chain id is not ${source}`,
        String(id),
        String(chainId),
      );
    }
  }
  return { name, version, chainId, verifyingContract: getAddress(verifyingContract) };
}

/** A signed patient action, ready for any relayer. */
export interface SignedAction<M extends Record<string, unknown>> {
  message: M & { nonce: bigint; deadline: bigint };
  signer: string;
  signature: string;
}

/**
 * Signs a patient action of `types` for `patientId` with the patient's current nonce and a deadline
 * `ttlSeconds` from now (by the chain's clock), over the contract's domain once {@link domainOf} has
 * checked it against the network (`options.chainId`: the chain meant, when the node is not trusted).
 * @throws SigningDomainError before anything is signed, when the domain does not match.
 */
export async function signPatientAction<M extends Record<string, unknown>>(
  contract: SignableContract,
  patientSigner: Signer,
  types: Record<string, TypedDataField[]>,
  message: M & { patientId: bigint },
  ttlSeconds = 3600n,
  options: Omit<DomainCheckOptions, "signer"> = {},
): Promise<SignedAction<M>> {
  const provider = contract.runner?.provider ?? patientSigner.provider;
  if (!provider) throw new Error("signPatientAction: the contract has no provider");
  const [domain, nonce, block] = await Promise.all([
    domainOf(contract, { ...options, signer: patientSigner }),
    contract.nonces(message.patientId),
    provider.getBlock("latest"),
  ]);
  const deadline = BigInt(block!.timestamp) + ttlSeconds;
  const full = { ...message, nonce, deadline };
  const signature = await patientSigner.signTypedData(domain, types, full);
  return { message: full, signer: await patientSigner.getAddress(), signature };
}

/** Why the relayer refused to send. */
export type RelayerErrorCode =
  /** The method is not a `…WithSig` function of the contract's ABI (or it is payable). */
  | "NOT_A_SIGNED_ACTION"
  /** The contract is not a MedChain contract (not in the relayer's list, or no MedChain EIP-712 domain). */
  | "NOT_MEDCHAIN"
  /** The simulated call needs more gas than the relayer's cap. */
  | "GAS_CAP";

/** A typed refusal of the {@link Relayer}; nothing was sent. */
export class RelayerError extends Error {
  readonly code: RelayerErrorCode;
  /** The contract's address and the method asked for. */
  readonly contract: string;
  readonly method: string;
  /** For `GAS_CAP`: the simulated gas and the cap. */
  readonly gas: { estimate: bigint; cap: bigint } | undefined;

  constructor(
    code: RelayerErrorCode,
    message: string,
    contract: string,
    method: string,
    options?: { cause?: unknown; gas?: { estimate: bigint; cap: bigint } },
  ) {
    super(`${code}: ${message}`, options);
    this.name = "RelayerError";
    this.code = code;
    this.contract = contract;
    this.method = method;
    this.gas = options?.gas;
  }
}

/** How a {@link Relayer} limits what it pays for. */
export interface RelayerOptions {
  /** The most gas one relayed call may use (default {@link DEFAULT_RELAY_GAS_CAP}). */
  gasCap?: bigint;
  /** The MedChain contracts it relays to (addresses, e.g. from the deployment file). When absent, any
   *  contract whose EIP-712 domain is a MedChain one for this chain and its own address. */
  contracts?: readonly string[];
  /** Headroom added to the simulated gas for the gas limit, in percent (default 20; never above the cap). */
  headroomPercent?: bigint;
}

/** The default gas cap of a relayed call: several times the heaviest `…WithSig` (about 200k gas). */
export const DEFAULT_RELAY_GAS_CAP = 1_000_000n;

/**
 * Submits signed actions with its own funded account; errors come back decoded. It relays only what it
 * is for: a non-payable `…WithSig` method of a MedChain contract; it simulates the call (`eth_call`,
 * then `eth_estimateGas`) right before sending, so a call that would revert costs it nothing, and it
 * refuses a call needing more gas than its cap, sending with a gas limit no higher than the cap.
 */
export class Relayer {
  readonly gasCap: bigint;
  readonly contracts: ReadonlySet<string> | undefined;
  readonly headroomPercent: bigint;

  constructor(
    readonly account: Signer,
    options: RelayerOptions = {},
  ) {
    this.gasCap = options.gasCap ?? DEFAULT_RELAY_GAS_CAP;
    if (this.gasCap <= 0n) throw new RangeError("Relayer: gasCap must be positive");
    this.headroomPercent = options.headroomPercent ?? 20n;
    if (this.headroomPercent < 0n) throw new RangeError("Relayer: headroomPercent must not be negative");
    this.contracts = options.contracts === undefined ? undefined : new Set(options.contracts.map((a) => getAddress(a)));
  }

  /**
   * Calls `contract.method(...args)` from the relayer's account and waits for the receipt. A custom
   * error (in the simulation or the transaction) is thrown as a `MedChainContractError`.
   * @throws RelayerError `NOT_A_SIGNED_ACTION`, `NOT_MEDCHAIN`, `GAS_CAP` (nothing is sent).
   */
  async relay(contract: BaseContract, method: string, args: unknown[]): Promise<ContractTransactionReceipt> {
    const address = getAddress(await contract.getAddress());
    const fragment = contract.interface.getFunction(method);
    if (fragment === null || !fragment.name.endsWith("WithSig") || fragment.payable) {
      throw new RelayerError(
        "NOT_A_SIGNED_ACTION",
        `${method} is not a non-payable …WithSig method of the contract`,
        address,
        method,
      );
    }
    const connected = contract.connect(this.account) as BaseContract;
    await this.#checkMedChain(connected, address, method);
    const call = connected.getFunction(fragment);
    return withDecodedErrors(async () => {
      await call.staticCall(...args);
      const estimate = await call.estimateGas(...args);
      if (estimate > this.gasCap) {
        throw new RelayerError(
          "GAS_CAP",
          `${method} needs ${estimate} gas, over the cap ${this.gasCap}`,
          address,
          method,
          {
            gas: { estimate, cap: this.gasCap },
          },
        );
      }
      const withHeadroom = (estimate * (100n + this.headroomPercent)) / 100n;
      const gasLimit = withHeadroom < this.gasCap ? withHeadroom : this.gasCap;
      const tx = (await call(...args, { gasLimit })) as { wait(): Promise<ContractTransactionReceipt | null> };
      const receipt = await tx.wait();
      if (!receipt) throw new Error(`relay: ${method} was dropped`);
      return receipt;
    }, contract.interface);
  }

  async #checkMedChain(contract: BaseContract, address: string, method: string): Promise<void> {
    if (this.contracts !== undefined) {
      if (!this.contracts.has(address)) {
        throw new RelayerError("NOT_MEDCHAIN", `${address} is not one of the relayer's contracts`, address, method);
      }
      return;
    }
    if (contract.interface.getFunction("eip712Domain") === null) {
      throw new RelayerError("NOT_MEDCHAIN", `${address} exposes no EIP-712 domain`, address, method);
    }
    try {
      await domainOf(contract as SignableContract, { signer: this.account });
    } catch (cause) {
      throw new RelayerError("NOT_MEDCHAIN", `${address} has no MedChain EIP-712 domain here`, address, method, {
        cause,
      });
    }
  }
}
