import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { buildSystem } from "./system.ts";

/** The part of an ERC-20's ABI the escrow's deployment needs to name it (the escrow itself uses SafeERC20). */
const ERC20_ARTIFACT = {
  _format: "hh3-artifact-1",
  contractName: "IERC20",
  sourceName: "@openzeppelin/contracts/token/ERC20/IERC20.sol",
  abi: [
    {
      type: "function",
      name: "balanceOf",
      stateMutability: "view",
      inputs: [{ name: "account", type: "address" }],
      outputs: [{ name: "", type: "uint256" }],
    },
  ],
  bytecode: "0x",
  deployedBytecode: "0x",
  linkReferences: {},
  deployedLinkReferences: {},
} as const;

/**
 * The whole system on a real network: the claims escrow holds the ERC-20 stablecoin whose address is
 * the `token` parameter (`"MedChainWithToken": { "token": "0x…" }` in ignition/parameters/<network>.json).
 */
export default buildModule("MedChainWithToken", (m) =>
  buildSystem(m, m.contractAt("IERC20", ERC20_ARTIFACT, m.getParameter<string>("token"))),
);
