/** Shared helpers for the SDK's record-encryption tests. */
import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { hexlify } from "ethers";

/** A random bytes32 record id. */
export function randomRecordId(): string {
  return hexlify(randomBytes(32));
}

/** A random uint256 patient id (pseudonymous, as IdentityRegistry issues them). */
export function randomPatientId(): bigint {
  return BigInt(hexlify(randomBytes(32)));
}

/** A copy of `bytes` with byte `index` XOR-ed with `mask`. */
export function flipByte(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const copy = bytes.slice();
  copy[index] ^= mask;
  return copy;
}

type ErrorClass = abstract new (...args: never[]) => Error & { code: string };

/** Asserts that `action` throws (or rejects with) an instance of `errorClass` carrying `code`. */
export async function expectError(
  action: () => unknown,
  errorClass: ErrorClass,
  code: string,
): Promise<Error & { code: string }> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${errorClass.name} ${code}, but nothing was thrown`).to.be.instanceOf(errorClass);
  const error = caught as Error & { code: string };
  expect(error.code, error.message).to.equal(code);
  return error;
}
