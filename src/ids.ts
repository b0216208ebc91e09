/**
 * TypeScript twins of the ids and hashes MedChain's contracts derive on chain. Each has a test that
 * asserts it equals the contract's own computation.
 */
import { AbiCoder, getBytes, hexlify, keccak256, randomBytes, toBigInt } from "ethers";

const abi = AbiCoder.defaultAbiCoder();

/** A random, non-zero 256-bit id (patient ids, record ids): never derived from personal data. */
export function randomId(): bigint {
  for (;;) {
    const id = toBigInt(randomBytes(32));
    if (id !== 0n) return id;
  }
}

/** A random 32-byte salt as hex. */
export function randomSalt(): string {
  return hexlify(randomBytes(32));
}

/**
 * A commitment to a value: `keccak256(abi.encode(bytes32 salt, value))` with a random 32-byte salt, so a
 * low-entropy value cannot be brute-forced from the hash (DESIGN.md ground rules).
 */
export function commitment(salt: string, type: string, value: unknown): string {
  if (getBytes(salt).length !== 32) throw new Error("commitment: the salt must be 32 bytes");
  return keccak256(abi.encode(["bytes32", type], [salt, value]));
}

/**
 * ClaimEscrow: a procedure code's hash under one plan, `keccak256(abi.encode(bytes32 planSalt, string code))`.
 * The salt is per plan and kept off chain, so a code cannot be read back by hashing a code list.
 */
export function procedureCodeHash(planSalt: string, code: string): string {
  return commitment(planSalt, "string", code);
}

/**
 * ClaimEscrow: a first line's claim id, which is also the dedupe key (provider, policy, code, service date):
 * `policyId << 208 | providerOrg << 160 | uint160(keccak256(abi.encode(codeHash, uint64 serviceDate)))`,
 * so the contract reads the policy and the provider from the id itself. A second line of the same service
 * (while the first is not voided) takes `repeatClaimId` and always goes to the insurer's review.
 */
export function claimId(providerOrg: bigint, policyId: bigint, codeHash: string, serviceDate: bigint): string {
  return packClaimId(providerOrg, policyId, keccak256(abi.encode(["bytes32", "uint64"], [codeHash, serviceDate])));
}

/**
 * ClaimEscrow: a repeat line's claim id (same provider, policy, code and service date as a claim that is
 * not voided): as `claimId` with `uint160(keccak256(abi.encode(codeHash, uint64 serviceDate, lineRef)))`.
 */
export function repeatClaimId(
  providerOrg: bigint,
  policyId: bigint,
  codeHash: string,
  serviceDate: bigint,
  lineRef: string,
): string {
  return packClaimId(
    providerOrg,
    policyId,
    keccak256(abi.encode(["bytes32", "uint64", "bytes32"], [codeHash, serviceDate, lineRef])),
  );
}

function packClaimId(providerOrg: bigint, policyId: bigint, hash: string): string {
  const id = (policyId << 208n) | (providerOrg << 160n) | (toBigInt(hash) & ((1n << 160n) - 1n));
  return "0x" + id.toString(16).padStart(64, "0");
}

/** ClaimEscrow: the policy and provider organisation a claim id carries. */
export function claimIdParts(id: string): { policyId: bigint; providerOrg: bigint } {
  const n = toBigInt(id);
  return { policyId: n >> 208n, providerOrg: (n >> 160n) & ((1n << 48n) - 1n) };
}
