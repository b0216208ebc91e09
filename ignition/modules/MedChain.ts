import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import ConsentModule from "./Consent.ts";
import SupplyModule from "./Supply.ts";
import TrialsModule from "./Trials.ts";

/**
 * The whole system: the AccessManager and every contract, each restricted function wired to its role.
 * Parameters per network in ignition/parameters/<network>.json.
 */
export default buildModule("MedChain", (m) => {
  const { manager, identity, records, consent } = m.useModule(ConsentModule);
  const { supply } = m.useModule(SupplyModule);
  const { trials } = m.useModule(TrialsModule);
  return { manager, identity, records, consent, supply, trials };
});
