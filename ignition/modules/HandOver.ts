import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { Roles } from "../../src/roles.ts";
import GovernanceModule from "./Governance.ts";

/**
 * For real networks, after the system is deployed and wired: gives ADMIN to the consortium's
 * multisig (`admin`, with an execution delay `adminDelay` in seconds) and removes the deployer's.
 * Never run it with `admin` = the deployer.
 */
export default buildModule("HandOver", (m) => {
  const { manager } = m.useModule(GovernanceModule);
  const admin = m.getParameter<string>("admin");
  const adminDelay = m.getParameter("adminDelay", 2 * 24 * 3600);
  const granted = m.call(manager, "grantRole", [Roles.ADMIN, admin, adminDelay], { id: "grant_ADMIN" });
  m.call(manager, "renounceRole", [Roles.ADMIN, m.getAccount(0)], { id: "renounce_deployer_ADMIN", after: [granted] });
  return { manager };
});
