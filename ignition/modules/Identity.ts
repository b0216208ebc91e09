import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { IdentityRegistry__factory } from "../../typechain-types/index.ts";
import GovernanceModule from "./Governance.ts";
import { wireRestrictedFunctions } from "./wiring.ts";

/**
 * The IdentityRegistry, wired to the AccessManager. Parameter `registrarKinds`: the bitmask of
 * organisation kinds (`1 << OrgKind`) the Governance module's registrar may accredit (all by default).
 */
export default buildModule("Identity", (m) => {
  const { manager } = m.useModule(GovernanceModule);
  const identity = m.contract("IdentityRegistry", [manager]);
  wireRestrictedFunctions(m, manager, identity, "IdentityRegistry", IdentityRegistry__factory.createInterface());
  const registrar = m.getParameter("registrar", m.getAccount(1));
  const kinds = m.getParameter("registrarKinds", 0x1fe);
  m.call(identity, "setRegistrarKinds", [registrar, kinds]);
  return { manager, identity };
});
