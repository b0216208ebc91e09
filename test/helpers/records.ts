/**
 * Test helpers for RecordRegistry's signed patient actions: the EIP-712 domain of the registry and
 * one signer per `…WithSig` (nonce and deadline given explicitly, so tests can replay or expire them).
 */
import type { Signer, TypedDataDomain } from "ethers";

import { medchainDomain, RecordAnchorTypes, RecordRetractTypes, RecordSupersedeTypes } from "../../src/eip712.ts";
import type { RecordRegistry } from "../../typechain-types/index.ts";

export interface AnchorArgs {
  recordId: string;
  patientId: bigint;
  category: number;
  contentHash: string;
  locatorCommitment: string;
}

export interface SupersedeArgs {
  oldRecordId: string;
  newRecordId: string;
  patientId: bigint;
  contentHash: string;
  locatorCommitment: string;
}

export interface RetractArgs {
  recordId: string;
  patientId: bigint;
  reasonHash: string;
}

/** The registry's EIP-712 domain and signers of its three patient actions. */
export async function recordSigners(records: RecordRegistry) {
  const chainId = (await records.runner!.provider!.getNetwork()).chainId;
  const domain = medchainDomain("RecordRegistry", chainId, await records.getAddress());
  return {
    domain,
    signAnchor: (s: Signer, a: AnchorArgs, nonce: bigint, deadline: bigint, d: TypedDataDomain = domain) =>
      s.signTypedData(d, RecordAnchorTypes, { ...a, nonce, deadline }),
    signSupersede: (s: Signer, a: SupersedeArgs, nonce: bigint, deadline: bigint, d: TypedDataDomain = domain) =>
      s.signTypedData(d, RecordSupersedeTypes, { ...a, nonce, deadline }),
    signRetract: (s: Signer, a: RetractArgs, nonce: bigint, deadline: bigint, d: TypedDataDomain = domain) =>
      s.signTypedData(d, RecordRetractTypes, { ...a, nonce, deadline }),
  };
}
