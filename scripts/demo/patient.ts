/**
 * The patient's side of the demo: the patient's app signs (EIP-712) and the relayer submits, so the
 * patient's account never sends a transaction and never needs ether.
 */
import type { ContractTransactionReceipt } from "ethers";

import { type ConsentClient, type GrantTermsInput } from "../../src/clients/consent.ts";
import type { Relayer } from "../../src/relayer.ts";
import type { IdentityCast } from "./identity.ts";

const YEAR = 365n * 24n * 3600n;

/** The patient signs a grant to `granteeOrg` valid for a year from `now`; the relayer submits it. */
export async function relayedGrant(
  consent: ConsentClient,
  relayer: Relayer,
  cast: IdentityCast,
  granteeOrg: bigint,
  terms: Omit<GrantTermsInput, "expiresAt">,
  now: bigint,
): Promise<ContractTransactionReceipt> {
  const signed = await consent.signGrant(cast.patient.wallet, cast.patient.id, granteeOrg, {
    ...terms,
    expiresAt: now + YEAR,
  });
  return consent.relayGrant(relayer, signed);
}

/** The latest block's time. */
export async function chainNow(provider: {
  getBlock(tag: "latest"): Promise<{ timestamp: number } | null>;
}): Promise<bigint> {
  return BigInt((await provider.getBlock("latest"))!.timestamp);
}
