// Shared helpers for the SDK's pure-TypeScript tests (no network).
import { keccak256, toUtf8Bytes } from "ethers";

/** Runs `fn` and returns what it threw; throws if it did not throw (so a missing error fails the test). */
export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, but none was thrown");
}

/** Deterministic pseudo-random generator (mulberry32): the same seed gives the same fake data on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct fake serials (`SN` + 12 upper-case hex characters), derived from `seed`. No real data. */
export function fakeSerials(count: number, seed = "medchain-test"): string[] {
  return Array.from(
    { length: count },
    (_, i) =>
      `SN${keccak256(toUtf8Bytes(`${seed}:${i}`))
        .slice(2, 14)
        .toUpperCase()}`,
  );
}
