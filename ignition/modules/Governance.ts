import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { Roles } from "../../src/roles.ts";

/**
 * The one AccessManager of the system. The deployer is its first ADMIN (it wires the contracts);
 * the `HandOver` module then gives ADMIN to the consortium's multisig on a real network.
 * Parameters: `registrar`, `regulator`, `pauser` (accounts 1, 2, 3 by default, for local runs).
 */
export default buildModule("Governance", (m) => {
  const deployer = m.getAccount(0);
  const manager = m.contract("MedChainAccessManager", [deployer]);
  const registrar = m.getParameter("registrar", m.getAccount(1));
  const regulator = m.getParameter("regulator", m.getAccount(2));
  const pauser = m.getParameter("pauser", m.getAccount(3));
  m.call(manager, "grantRole", [Roles.REGISTRAR, registrar, 0], { id: "grant_REGISTRAR" });
  m.call(manager, "grantRole", [Roles.REGULATOR, regulator, 0], { id: "grant_REGULATOR" });
  m.call(manager, "grantRole", [Roles.PAUSER, pauser, 0], { id: "grant_PAUSER" });
  return { manager };
});
