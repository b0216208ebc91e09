/**
 * Data categories, actions and purposes of patient consent, as bitmasks. Twin of
 * `contracts/libraries/Scopes.sol` (a test asserts they agree), and of the record patient tag.
 */
import { AbiCoder, dataSlice, keccak256 } from "ethers";

/** Data categories (bit per category; a record's category is the bit index). */
export const Category = {
  DEMOGRAPHICS: 1 << 0,
  CONTACT: 1 << 1,
  ENCOUNTERS: 1 << 2,
  CONDITIONS: 1 << 3,
  MEDICATIONS: 1 << 4,
  ALLERGIES: 1 << 5,
  LAB_RESULTS: 1 << 6,
  IMAGING: 1 << 7,
  IMMUNIZATIONS: 1 << 8,
  PROCEDURES: 1 << 9,
  CLINICAL_NOTES: 1 << 10,
  BILLING: 1 << 11,
  MENTAL_HEALTH: 1 << 12,
  SUBSTANCE_USE: 1 << 13,
  SEXUAL_HEALTH: 1 << 14,
  GENETIC: 1 << 15,
} as const;
/** The name of a data category (`CONDITIONS`, `GENETIC`, …). */
export type CategoryName = keyof typeof Category;

/** The sensitive group: events show it whole when any member is involved. */
export const RESTRICTED = Category.MENTAL_HEALTH | Category.SUBSTANCE_USE | Category.SEXUAL_HEALTH | Category.GENETIC;
/** Every data category. */
export const ALL_CATEGORIES = (1 << 16) - 1;
/** The number of data categories (bits 0–15). */
export const CATEGORY_COUNT = 16;

/** Actions a grant allows (bits). */
export const Action = { READ: 1, WRITE: 2 } as const;
/** Every action. */
export const ALL_ACTIONS = 3;

/** Purposes of use a grant allows (bits). */
export const Purpose = {
  TREATMENT: 1 << 0,
  PAYMENT: 1 << 1,
  OPERATIONS: 1 << 2,
  RESEARCH: 1 << 3,
  PUBLIC_HEALTH: 1 << 4,
  EMERGENCY: 1 << 5,
} as const;
/** The name of a purpose of use (`TREATMENT`, `RESEARCH`, …). */
export type PurposeName = keyof typeof Purpose;
/** Every purpose of use. */
export const ALL_PURPOSES = (1 << 6) - 1;

/** ConsentManager emergency policy flags (`setDenyMask`). */
export const EmergencyPolicy = { OPT_OUT: 1, OVERRIDES_DENY: 2 } as const;

/** The mask of the named categories. */
export function scopes(...names: CategoryName[]): number {
  return names.reduce((mask, n) => mask | Category[n], 0);
}

/** The mask of the named purposes. */
export function purposes(...names: PurposeName[]): number {
  return names.reduce((mask, n) => mask | Purpose[n], 0);
}

/** The bit index of a category (what `RecordRegistry.anchor` takes). */
export function categoryIndex(name: CategoryName): number {
  return Math.log2(Category[name]);
}

/** What an event shows of `mask` (`Scopes.redact`): any RESTRICTED member widens to the whole group. */
export function redact(mask: number): number {
  return mask & RESTRICTED ? mask | RESTRICTED : mask;
}

/** Whether `held` covers a non-empty `requested` (`Scopes.covers`). */
export function covers(held: number, requested: number): boolean {
  return requested !== 0 && (held & requested) === requested;
}

/** `RecordRegistry.patientTag`: `bytes20(keccak256(abi.encode(recordId, patientId)))`. */
export function patientTag(recordId: string, patientId: bigint): string {
  return dataSlice(keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [recordId, patientId])), 0, 20);
}
