/**
 * Role ids of MedChain's single AccessManager, and organisation kinds and capability bits of the
 * IdentityRegistry. Twins of `contracts/governance/Roles.sol`, `IIdentityRegistry.OrgKind` and
 * `contracts/libraries/Capabilities.sol` (a test asserts they agree).
 */
export const Roles = {
  ADMIN: 0n,
  REGISTRAR: 1n,
  REGULATOR: 2n,
  PAUSER: 3n,
} as const;
/** The name of an AccessManager role (`ADMIN`, `REGISTRAR`, …). */
export type RoleName = keyof typeof Roles;

/** `IIdentityRegistry.OrgKind`. */
export const OrgKind = {
  None: 0,
  Provider: 1,
  Pharmacy: 2,
  Manufacturer: 3,
  Distributor: 4,
  Lab: 5,
  Insurer: 6,
  Sponsor: 7,
  Regulator: 8,
} as const;
/** The name of an organisation kind (`Provider`, `Pharmacy`, …). */
export type OrgKindName = keyof typeof OrgKind;

/** `IIdentityRegistry.OrgStatus`. */
export const OrgStatus = { None: 0, Active: 1, Suspended: 2, Revoked: 3 } as const;

/** Bits of an organisation's capability mask (`Capabilities.sol`). */
export const Capabilities = {
  EMERGENCY_ACCESS: 1 << 0,
  WRITE_RECORDS: 1 << 1,
  DISPENSE: 1 << 2,
  MANUFACTURE: 1 << 3,
  TRADE: 1 << 4,
  QUALITY_CONTROL: 1 << 5,
  INSURE: 1 << 6,
  BILL: 1 << 7,
  SPONSOR_TRIALS: 1 << 8,
  RESEARCH: 1 << 9,
} as const;

/** The bitmask of organisation kinds a registrar may accredit (`setRegistrarKinds`). */
export function kindsMask(...kinds: OrgKindName[]): number {
  return kinds.reduce((mask, k) => mask | (1 << OrgKind[k]), 0);
}
