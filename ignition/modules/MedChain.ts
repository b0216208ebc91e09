import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { buildSystem } from "./system.ts";

/**
 * The whole system on a local chain (the in-process network, `hardhat node`): the AccessManager and
 * every contract, each restricted function wired to its role, and a 6-decimal test stablecoin for the
 * claims escrow. On a real network use `MedChainWithToken`. Parameters: ignition/parameters/<network>.json.
 */
export default buildModule("MedChain", (m) => buildSystem(m, m.contract("TestStablecoin")));
