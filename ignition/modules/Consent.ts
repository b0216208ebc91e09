import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ConsentManager__factory, RecordRegistry__factory } from "../../typechain-types/index.ts";
import IdentityModule from "./Identity.ts";
import { wireRestrictedFunctions } from "./wiring.ts";

/**
 * RecordRegistry and ConsentManager. The registry is deployed first and given to the ConsentManager's
 * constructor (logAccess reads it as an immutable); the registry learns the ConsentManager once.
 * Parameters: `emergencyWindow` (seconds, default 24 h) and `emergencyDailyCap` (default 20).
 */
export default buildModule("Consent", (m) => {
  const { manager, identity } = m.useModule(IdentityModule);
  const records = m.contract("RecordRegistry", [manager, identity]);
  const consent = m.contract("ConsentManager", [manager, identity, records]);
  m.call(records, "setConsentManager", [consent]);
  wireRestrictedFunctions(m, manager, records, "RecordRegistry", RecordRegistry__factory.createInterface());
  wireRestrictedFunctions(m, manager, consent, "ConsentManager", ConsentManager__factory.createInterface());
  // Break-glass: how long an opening lasts and how many one organisation may open per 24 h (ADMIN-set).
  m.call(consent, "setEmergencyParameters", [
    m.getParameter("emergencyWindow", 24 * 3600),
    m.getParameter("emergencyDailyCap", 20),
  ]);
  return { manager, identity, records, consent };
});
