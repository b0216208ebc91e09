/**
 * Ignition helper: wires a contract's restricted functions to their roles on the AccessManager, from
 * the one table in src/wiring.ts (the test fixtures read the same table).
 */
import type { Interface } from "ethers";

import { Roles } from "../../src/roles.ts";
import { RESTRICTED_FUNCTIONS, type WiredContract } from "../../src/wiring.ts";

import type { CallableContractFuture, IgnitionModuleBuilder as ModuleBuilder } from "@nomicfoundation/ignition-core";

/** Calls `manager.setTargetFunctionRole(target, selectors, role)` once per role. */
export function wireRestrictedFunctions(
  m: ModuleBuilder,
  manager: CallableContractFuture<string>,
  target: CallableContractFuture<string>,
  contractName: WiredContract,
  iface: Interface,
): void {
  const byRole = new Map<bigint, string[]>();
  for (const [fn, role] of Object.entries(RESTRICTED_FUNCTIONS[contractName])) {
    const roleId = Roles[role as keyof typeof Roles];
    byRole.set(roleId, [...(byRole.get(roleId) ?? []), iface.getFunction(fn)!.selector]);
  }
  for (const [roleId, selectors] of byRole) {
    m.call(manager, "setTargetFunctionRole", [target, selectors, roleId], { id: `wire_${contractName}_role${roleId}` });
  }
}
