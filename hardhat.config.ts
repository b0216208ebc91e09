import { createRequire } from "node:module";

import hardhatToolboxMochaEthersPlugin from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { configVariable, defineConfig } from "hardhat/config";

import { medchainTasks } from "./tasks/index.ts";

const require = createRequire(import.meta.url);

/** One compiler for the whole project, taken from the pinned npm `solc` package (no download). */
const SOLC_VERSION = "0.8.30";
/** One EVM version, so the same bytecode deploys on Ethereum, L2s and permissioned chains (Besu). */
const EVM_VERSION = "prague";

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
  tasks: medchainTasks,
  solidity: {
    profiles: {
      default: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: {
          evmVersion: EVM_VERSION,
          optimizer: { enabled: true, runs: 200 },
        },
      },
      production: {
        version: SOLC_VERSION,
        path: require.resolve("solc/soljson.js"),
        settings: {
          evmVersion: EVM_VERSION,
          optimizer: { enabled: true, runs: 200 },
        },
      },
    },
  },
  typechain: {
    outDir: "typechain-types",
  },
  coverage: {
    skipFiles: ["contracts/mocks/**", "test/**"],
  },
  test: {
    solidity: {
      profiles: {
        // Fixed seeds: a run is reproducible, and the committed .gas-snapshot (default profile) is stable.
        default: {
          fuzz: { runs: 256, seed: "0x1" },
          invariant: { runs: 32, depth: 50, failOnRevert: false },
        },
        ci: {
          fuzz: { runs: 5000, seed: "0x4d656443686169" },
          invariant: { runs: 256, depth: 100, failOnRevert: false },
        },
      },
    },
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.MEDCHAIN_RPC_URL ?? "http://127.0.0.1:8545",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
    rpc: {
      type: "http",
      chainType: "generic",
      url: configVariable("RPC_URL"),
      accounts: [configVariable("RPC_PRIVATE_KEY")],
    },
  },
});
