/**
 * The whole system's Ignition graph, shared by `MedChain` (local chains: deploys the test stablecoin)
 * and `MedChainWithToken` (real networks: the escrow's ERC-20 from the `token` parameter).
 */
import type { CallableContractFuture, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

import { ClaimEscrow__factory } from "../../typechain-types/index.ts";
import ConsentModule from "./Consent.ts";
import SupplyModule from "./Supply.ts";
import TrialsModule from "./Trials.ts";
import { wireRestrictedFunctions } from "./wiring.ts";

export function buildSystem(m: IgnitionModuleBuilder, token: CallableContractFuture<string>) {
  const { manager, identity, records, consent } = m.useModule(ConsentModule);
  const { supply } = m.useModule(SupplyModule);
  const { trials } = m.useModule(TrialsModule);
  const planBook = m.library("PlanBook");
  const treasury = m.library("Treasury");
  const claims = m.contract("ClaimEscrow", [manager, identity, consent, records, token], {
    libraries: { PlanBook: planBook, Treasury: treasury },
  });
  wireRestrictedFunctions(m, manager, claims, "ClaimEscrow", ClaimEscrow__factory.createInterface());
  return { manager, identity, records, consent, supply, trials, claims, token };
}
