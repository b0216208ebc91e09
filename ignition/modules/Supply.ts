import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { SupplyChain__factory } from "../../typechain-types/index.ts";
import IdentityModule from "./Identity.ts";
import { wireRestrictedFunctions } from "./wiring.ts";

/** The SupplyChain (drug traceability), reading organisations from the IdentityRegistry. */
export default buildModule("Supply", (m) => {
  const { manager, identity } = m.useModule(IdentityModule);
  const supply = m.contract("SupplyChain", [manager, identity]);
  wireRestrictedFunctions(m, manager, supply, "SupplyChain", SupplyChain__factory.createInterface());
  return { manager, identity, supply };
});
