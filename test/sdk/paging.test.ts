import { expect } from "chai";
import type { Provider } from "ethers";

import { latestBlockNumber, resolveLogRange } from "../../src/views/paging.ts";

/** A provider whose cached `getBlockNumber` lags the node by one block, as ethers' JsonRpcProvider can. */
function laggingProvider(cached: number, node: number): Provider {
  return {
    getBlockNumber: async () => cached,
    send: async (method: string) => {
      if (method !== "eth_blockNumber") throw new Error(`unexpected ${method}`);
      return `0x${node.toString(16)}`;
    },
  } as unknown as Provider;
}

describe("views/paging", function () {
  it("asks the node for the latest block, not the provider's cache", async function () {
    expect(await latestBlockNumber(laggingProvider(41, 42))).to.equal(42);
    expect((await resolveLogRange(laggingProvider(41, 42))).toBlock).to.equal(42);
  });

  it("falls back to getBlockNumber for a provider without send", async function () {
    const provider = { getBlockNumber: async () => 7 } as unknown as Provider;
    expect(await latestBlockNumber(provider)).to.equal(7);
  });

  it("keeps an explicit toBlock and refuses a bad range", async function () {
    expect((await resolveLogRange(laggingProvider(1, 2), { toBlock: 1 })).toBlock).to.equal(1);
    let error: unknown;
    await resolveLogRange(laggingProvider(1, 2), { chunkSize: 0 }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
  });
});
