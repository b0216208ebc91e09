/**
 * Paging event logs from a deployment block: RPC providers cap the block range (and the result size) of
 * one `eth_getLogs`, so views read `[fromBlock, toBlock]` in chunks and put the logs back in chain order.
 *
 * @module
 */
import type { BaseContract, ContractEventName, EventLog, Log, Provider } from "ethers";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** Which blocks a view reads, and in how large chunks. */
export interface LogRangeOptions {
  /** First block to read: the contract's deployment block (reading from 0 works, only slower). Default 0. */
  fromBlock?: number;
  /** Last block to read (inclusive); default the latest block when the view starts. */
  toBlock?: number;
  /** Blocks per `eth_getLogs` request; default {@link DEFAULT_LOG_CHUNK}. */
  chunkSize?: number;
  /**
   * For {@link queryLogsInChunks}: whether a failed request is retried as two halves (default: when the
   * node's message says the range or result is too large). A single block is never split.
   */
  splitOnError?: (error: unknown) => boolean;
}

/** A block range resolved to numbers. */
export interface ResolvedLogRange {
  fromBlock: number;
  toBlock: number;
  chunkSize: number;
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

/** Blocks per request by default: within what public RPC providers accept. */
export const DEFAULT_LOG_CHUNK = 10_000;

// ─── Functions ───────────────────────────────────────────────────────────────────────────────────

/**
 * The chain's latest block number, asked of the node itself. ethers' `JsonRpcProvider` answers a
 * `getBlockNumber()` made within 250 ms of an identical request from its cache, so a view read right
 * after `tx.wait()` could stop one block short and miss the transaction's own event; `send` is not cached.
 */
export async function latestBlockNumber(provider: Provider): Promise<number> {
  const rpc = provider as Provider & { send?: (method: string, params: unknown[]) => Promise<unknown> };
  if (typeof rpc.send === "function") return Number(await rpc.send("eth_blockNumber", []));
  return provider.getBlockNumber();
}

/** Resolves a range's defaults against the provider (`toBlock` = the latest block now). Throws on a bad range. */
export async function resolveLogRange(provider: Provider, options: LogRangeOptions = {}): Promise<ResolvedLogRange> {
  const fromBlock = options.fromBlock ?? 0;
  const toBlock = options.toBlock ?? (await latestBlockNumber(provider));
  const chunkSize = options.chunkSize ?? DEFAULT_LOG_CHUNK;
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0) throw new RangeError(`fromBlock ${fromBlock} is not a block`);
  if (!Number.isSafeInteger(toBlock) || toBlock < 0) throw new RangeError(`toBlock ${toBlock} is not a block`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize ${chunkSize} must be >= 1`);
  return { fromBlock, toBlock, chunkSize };
}

/**
 * `contract.queryFilter(filter, …)` over `[fromBlock, toBlock]`, `chunkSize` blocks at a time, the logs
 * sorted by (block number, log index). `filter` may be an event name, a typed filter or a topic array
 * (e.g. `[[topicA, topicB], lotId]` for several events of one lot in one request).
 */
export async function queryFilterPaged(
  contract: BaseContract,
  filter: ContractEventName,
  range: ResolvedLogRange,
): Promise<(EventLog | Log)[]> {
  const logs: (EventLog | Log)[] = [];
  for (let start = range.fromBlock; start <= range.toBlock; start += range.chunkSize) {
    const end = Math.min(start + range.chunkSize - 1, range.toBlock);
    logs.push(...(await contract.queryFilter(filter, start, end)));
  }
  return logs.sort(compareLogs);
}

/** Chain order: block number, then log index. */
export function compareLogs(
  a: { blockNumber: number; index?: number; logIndex?: number },
  b: { blockNumber: number; index?: number; logIndex?: number },
): number {
  return a.blockNumber - b.blockNumber || (a.index ?? a.logIndex ?? 0) - (b.index ?? b.logIndex ?? 0);
}

/** Reads each block's timestamp once (unix seconds), a few requests at a time. */
export async function blockTimestamps(
  provider: Provider,
  blockNumbers: Iterable<number>,
  cache: Map<number, number> = new Map(),
): Promise<Map<number, number>> {
  const missing = [...new Set(blockNumbers)].filter((n) => !cache.has(n));
  const PARALLEL = 8;
  for (let i = 0; i < missing.length; i += PARALLEL) {
    const batch = missing.slice(i, i + PARALLEL);
    const blocks = await Promise.all(batch.map((n) => provider.getBlock(n)));
    blocks.forEach((block, j) => {
      if (!block) throw new Error(`block ${batch[j]} is not available from the provider`);
      cache.set(batch[j], block.timestamp);
    });
  }
  return cache;
}

/** A topic filter position: one topic, any of several, or any (`null`). */
export type TopicFilter = (string | string[] | null)[];

/** The default `splitOnError`: the usual "block range too large / too many results" refusals. */
export function isRangeTooLarge(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String((error as { info?: unknown }).info ?? "")}` : "";
  return /range|too many|too large|limit|exceed|response size|10000 results/i.test(text);
}

/**
 * Every log of `address` matching `topics` in the block range, in chain order, read in chunks of
 * `chunkSize` blocks (a chunk the node refuses as too large is split in halves).
 */
export async function queryLogsInChunks(
  provider: Provider,
  address: string,
  topics: TopicFilter,
  options: LogRangeOptions = {},
): Promise<Log[]> {
  const chunk = options.chunkSize ?? DEFAULT_LOG_CHUNK;
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError("chunkSize must be a positive integer");
  const from = options.fromBlock ?? 0;
  const to = options.toBlock ?? (await latestBlockNumber(provider));
  const split = options.splitOnError ?? isRangeTooLarge;
  const out: Log[] = [];

  async function read(start: number, end: number): Promise<void> {
    try {
      out.push(...(await provider.getLogs({ address, topics, fromBlock: start, toBlock: end })));
    } catch (error) {
      if (start === end || !split(error)) throw error;
      const mid = start + Math.floor((end - start) / 2);
      await read(start, mid);
      await read(mid + 1, end);
    }
  }

  for (let start = from; start <= to; start += chunk) {
    await read(start, Math.min(to, start + chunk - 1));
  }
  return out;
}
