import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { TrialRegistry__factory } from "../../typechain-types/index.ts";
import ConsentModule from "./Consent.ts";
import { wireRestrictedFunctions } from "./wiring.ts";

/** The TrialRegistry: sponsors from the IdentityRegistry, RESEARCH consent from the ConsentManager. */
export default buildModule("Trials", (m) => {
  const { manager, identity, consent } = m.useModule(ConsentModule);
  const trials = m.contract("TrialRegistry", [manager, identity, consent]);
  wireRestrictedFunctions(m, manager, trials, "TrialRegistry", TrialRegistry__factory.createInterface());
  return { manager, identity, consent, trials };
});
