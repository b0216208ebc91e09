import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { ConsentManager__factory, RecordRegistry__factory } from "../../typechain-types/index.ts";
import IdentityModule from "./Identity.ts";
import { wireRestrictedFunctions } from "./wiring.ts";

/**
 * RecordRegistry and ConsentManager. The registry is deployed first and given to the ConsentManager's
 * constructor (logAccess reads it as an immutable); the registry learns the ConsentManager once.
 */
export default buildModule("Consent", (m) => {
  const { manager, identity } = m.useModule(IdentityModule);
  const records = m.contract("RecordRegistry", [manager, identity]);
  const consent = m.contract("ConsentManager", [manager, identity, records]);
  m.call(records, "setConsentManager", [consent]);
  wireRestrictedFunctions(m, manager, records, "RecordRegistry", RecordRegistry__factory.createInterface());
  wireRestrictedFunctions(m, manager, consent, "ConsentManager", ConsentManager__factory.createInterface());
  return { manager, identity, records, consent };
});
