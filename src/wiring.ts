/**
 * Which AccessManager role may call which restricted function, per contract. One table, read by the
 * Ignition modules (deployment) and the test fixtures, so the two cannot drift. A restricted function
 * not listed here stays ADMIN-only (the AccessManager's default).
 */
import type { RoleName } from "./roles.ts";

/** Contract → restricted function → the role allowed to call it. */
export const RESTRICTED_FUNCTIONS = {
  IdentityRegistry: {
    registerOrganization: "REGISTRAR",
    proposeRecovery: "REGISTRAR",
    pause: "PAUSER",
    // setRegistrarKinds, unpause: ADMIN (default)
  },
  ConsentManager: {
    pause: "PAUSER",
    reportOverdue: "REGULATOR",
    // setEmergencyParameters, unpause: ADMIN (default)
  },
  RecordRegistry: {
    pause: "PAUSER",
    // setConsentManager, unpause: ADMIN (default)
  },
  SupplyChain: {
    pause: "PAUSER",
    // unpause: ADMIN (default)
  },
  TrialRegistry: {
    pause: "PAUSER",
    // unpause: ADMIN (default); everything else is checked against the IdentityRegistry and consent
  },
  ClaimEscrow: {
    pause: "PAUSER",
    // unpause, sweepSurplus: ADMIN (default)
  },
} as const satisfies Record<string, Record<string, RoleName>>;

/** A contract with restricted functions listed in {@link RESTRICTED_FUNCTIONS}. */
export type WiredContract = keyof typeof RESTRICTED_FUNCTIONS;
