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
