/**
 * Gasless patient actions. A patient signs an EIP-712 message with the SDK's helpers; a relayer (any
 * funded account: a hospital, the dApp's backend) submits the `…WithSig` call and pays the gas. The
 * contract checks the signature, the deadline, the patient's nonce and the signer's authority at
 * execution, so the relayer can neither alter nor replay what it carries.
 */
import type { BaseContract, ContractTransactionReceipt, Signer, TypedDataDomain, TypedDataField } from "ethers";

import { withDecodedErrors } from "./errors.ts";

/** A contract of MedChain's that exposes ERC-5267 `eip712Domain()` and per-patient `nonces`. */
export interface SignableContract extends BaseContract {
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
  nonces(patientId: bigint): Promise<bigint>;
}

/** Reads a contract's EIP-712 domain from the chain (ERC-5267), so the SDK never hard-codes it. */
export async function domainOf(contract: SignableContract): Promise<TypedDataDomain> {
  const [, name, version, chainId, verifyingContract] = await contract.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/** A signed patient action, ready for any relayer. */
export interface SignedAction<M extends Record<string, unknown>> {
  message: M & { nonce: bigint; deadline: bigint };
  signer: string;
  signature: string;
}

/**
 * Signs a patient action of `types` for `patientId` with the patient's current nonce and a deadline
 * `ttlSeconds` from now (by the chain's clock).
 */
export async function signPatientAction<M extends Record<string, unknown>>(
  contract: SignableContract,
  patientSigner: Signer,
  types: Record<string, TypedDataField[]>,
  message: M & { patientId: bigint },
  ttlSeconds = 3600n,
): Promise<SignedAction<M>> {
  const provider = contract.runner?.provider ?? patientSigner.provider;
  if (!provider) throw new Error("signPatientAction: the contract has no provider");
  const [domain, nonce, block] = await Promise.all([
    domainOf(contract),
    contract.nonces(message.patientId),
    provider.getBlock("latest"),
  ]);
  const deadline = BigInt(block!.timestamp) + ttlSeconds;
  const full = { ...message, nonce, deadline };
  const signature = await patientSigner.signTypedData(domain, types, full);
  return { message: full, signer: await patientSigner.getAddress(), signature };
}

/** Submits signed actions with its own funded account; errors come back decoded. */
export class Relayer {
  constructor(readonly account: Signer) {}

  /**
   * Calls `contract.method(...args)` from the relayer's account and waits for the receipt. A custom
   * error is thrown as a `MedChainContractError`.
   */
  async relay(contract: BaseContract, method: string, args: unknown[]): Promise<ContractTransactionReceipt> {
    const connected = contract.connect(this.account) as BaseContract &
      Record<string, (...a: unknown[]) => Promise<unknown>>;
    return withDecodedErrors(async () => {
      const tx = (await connected[method](...args)) as { wait(): Promise<ContractTransactionReceipt | null> };
      const receipt = await tx.wait();
      if (!receipt) throw new Error(`relay: ${method} was dropped`);
      return receipt;
    }, contract.interface);
  }
}
