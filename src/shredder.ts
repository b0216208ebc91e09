/**
 * The shredder: erasure driven by the chain. It follows `RecordRegistry`'s `RecordRetracted` events
 * and crypto-shreds (`KeyWrapStore.shred`) every version of each retracted record in the key stores
 * it is given, wherever wraps are stored — so a record is erased whoever retracted it (the patient
 * from its own app, a custodian whose own shred failed), not only when the custodian's client did.
 *
 * - **Whole version chains.** Retracting any version erases every version: the earlier ones reached
 *   through `supersedes` (usually nearly the same data) and the later ones that superseded it (they
 *   carry the same data onward), see {@link recordVersionChain}.
 * - **Idempotent.** Shredding is idempotent and leaves a tombstone, so seeing an event twice, or two
 *   shredders on one store, does no harm.
 * - **Saved cursor.** After each page of blocks the next block to read and the records whose shred
 *   failed are saved in a {@link CursorStore} (in memory here; a file with `FileCursorStore` from
 *   `node.ts`), so a restart resumes where it stopped and re-reads at most one page.
 * - **Retries.** A record whose shred failed (storage down, a node error while walking its chain) is
 *   kept in the cursor and retried first on every later run, until it succeeds.
 * - **Paged `getLogs`.** Events are read `pageSize` blocks at a time, up to `confirmations` blocks
 *   behind the head.
 *
 * `runOnce` does one pass; `start`/`stop` run passes every `intervalMs` (the gateway runs it so).
 *
 * @module
 */
import type { KeyWrapStore } from "./key-store.ts";
import { normalizeRecordId } from "./key-store.ts";
import type { RecordRegistry } from "../typechain-types/index.ts";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** Why the shredder failed. */
export type ShredderErrorCode =
  /** The saved cursor is not a cursor (see `cause`). */
  | "BAD_CURSOR"
  /** The configuration is unusable (no key store, a page size below 1, …). */
  | "BAD_CONFIG";

/** A typed error of the {@link RecordShredder}. */
export class ShredderError extends Error {
  readonly code: ShredderErrorCode;

  constructor(code: ShredderErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "ShredderError";
    this.code = code;
  }
}

/** The shredder's persisted state. */
export interface ShredderCursor {
  /** The first block not read yet. */
  nextBlock: number;
  /** Retracted records whose shred failed, retried first on the next run (lowercase bytes32). */
  pending: string[];
}

/** Where the shredder keeps its cursor between runs (a file in Node: `FileCursorStore`). */
export interface CursorStore {
  /** The saved cursor, or `undefined` before the first save. */
  load(): Promise<ShredderCursor | undefined>;
  /** Saves the cursor (atomically: a crash leaves the old one or the new one). */
  save(cursor: ShredderCursor): Promise<void>;
}

/** A cursor store in memory (tests, a shredder that may re-read from `fromBlock` after a restart). */
export class MemoryCursorStore implements CursorStore {
  #cursor: ShredderCursor | undefined;

  async load(): Promise<ShredderCursor | undefined> {
    return this.#cursor === undefined ? undefined : checkCursor(structuredClone(this.#cursor));
  }

  async save(cursor: ShredderCursor): Promise<void> {
    this.#cursor = checkCursor(structuredClone(cursor));
  }
}

/**
 * Checks that `value` is a {@link ShredderCursor} and returns it (pending ids in canonical form).
 * @throws ShredderError `BAD_CURSOR`.
 */
export function checkCursor(value: unknown): ShredderCursor {
  const cursor = value as Partial<ShredderCursor> | null;
  if (
    cursor === null ||
    typeof cursor !== "object" ||
    !Number.isSafeInteger(cursor.nextBlock) ||
    (cursor.nextBlock as number) < 0 ||
    !Array.isArray(cursor.pending)
  ) {
    throw new ShredderError("BAD_CURSOR", "a cursor is { nextBlock: integer ≥ 0, pending: record ids }");
  }
  try {
    return { nextBlock: cursor.nextBlock as number, pending: cursor.pending.map((id) => normalizeRecordId(id)) };
  } catch (cause) {
    throw new ShredderError("BAD_CURSOR", "a pending entry is not a record id", { cause });
  }
}

/** Configuration of a {@link RecordShredder}. */
export interface RecordShredderConfig {
  /** The registry whose `RecordRetracted` events drive the shredder (read only: no runner needed). */
  records: RecordRegistry;
  /** Every key store this process holds wraps in. */
  keyStores: readonly KeyWrapStore[];
  /** Where the cursor is kept. */
  cursorStore: CursorStore;
  /** The block the registry was deployed in: where the first run starts (default 0). */
  fromBlock?: number;
  /** Blocks per `getLogs` request (default 2,000). */
  pageSize?: number;
  /** How many blocks behind the head to stay (default 0: a retraction is erased as soon as it is seen). */
  confirmations?: number;
  /** The pause between two runs of `start` (default 5,000 ms). */
  intervalMs?: number;
  /** Told of a run that failed as a whole (e.g. the node is down) under `start`; it is retried next interval. */
  onError?: (error: unknown) => void;
}

/** What one {@link RecordShredder.runOnce} did. */
export interface ShredderRun {
  /** The blocks read, inclusive (`toBlock < fromBlock` when there was nothing new). */
  fromBlock: number;
  toBlock: number;
  /** How many `getLogs` pages were read. */
  pages: number;
  /** Retracted records (from events, or retried) whose whole chain is now shredded. */
  erased: string[];
  /** Every record id shredded (each erased record's version chain). */
  shredded: string[];
  /** How many wraps were destroyed (0 when everything was shredded before: idempotent). */
  wraps: number;
  /** Retracted records whose shred failed this run: kept in the cursor and retried next run. */
  failed: { recordId: string; error: unknown }[];
}

// ─── version chains ──────────────────────────────────────────────────────────────────────────────

/**
 * Every version of the record `recordId` belongs to, oldest first: the versions before it (followed
 * back through the `supersedes` of each `RecordAnchored`) and after it (followed forward through
 * `RecordSuperseded`). A version is superseded at most once on chain, so the chain is a line.
 */
export async function recordVersionChain(
  records: RecordRegistry,
  recordId: string,
  options: { fromBlock?: number; toBlock?: number; pageSize?: number } = {},
): Promise<string[]> {
  const id = normalizeRecordId(recordId);
  const fromBlock = options.fromBlock ?? 0;
  const toBlock = options.toBlock ?? (await records.runner!.provider!.getBlockNumber());
  const pageSize = options.pageSize ?? 2000;
  const seen = new Set<string>([id]);
  const before: string[] = [];
  for (let current = id; ; ) {
    const filter = records.filters.RecordAnchored(current);
    const anchored = await paged((from, to) => records.queryFilter(filter, from, to), fromBlock, toBlock, pageSize);
    const previous = anchored.at(0)?.args.supersedes.toLowerCase();
    if (previous === undefined || /^0x0{64}$/.test(previous) || seen.has(previous)) break;
    seen.add(previous);
    before.unshift(previous);
    current = previous;
  }
  const after: string[] = [];
  for (let current = id; ; ) {
    const filter = records.filters.RecordSuperseded(current);
    const superseded = await paged((from, to) => records.queryFilter(filter, from, to), fromBlock, toBlock, pageSize);
    const next = superseded.at(0)?.args.newRecordId.toLowerCase();
    if (next === undefined || seen.has(next)) break;
    seen.add(next);
    after.push(next);
    current = next;
  }
  return [...before, id, ...after];
}

/** `read(from, to)` over `[fromBlock, toBlock]` in pages of `pageSize` blocks, concatenated. */
async function paged<T>(
  read: (from: number, to: number) => Promise<T[]>,
  fromBlock: number,
  toBlock: number,
  pageSize: number,
): Promise<T[]> {
  const out: T[] = [];
  for (let from = fromBlock; from <= toBlock; from += pageSize) {
    out.push(...(await read(from, Math.min(toBlock, from + pageSize - 1))));
  }
  return out;
}

// ─── RecordShredder ──────────────────────────────────────────────────────────────────────────────

/** Erases every retracted record's version chain from the key stores, driven by `RecordRetracted`. */
export class RecordShredder {
  readonly records: RecordRegistry;
  readonly keyStores: readonly KeyWrapStore[];
  readonly cursorStore: CursorStore;
  readonly fromBlock: number;
  readonly pageSize: number;
  readonly confirmations: number;
  readonly intervalMs: number;
  readonly #onError: (error: unknown) => void;
  #running: Promise<ShredderRun> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #started = false;

  /** @throws ShredderError `BAD_CONFIG`. */
  constructor(config: RecordShredderConfig) {
    if (config.keyStores.length === 0) throw new ShredderError("BAD_CONFIG", "a shredder needs a key store");
    for (const [name, value, min] of [
      ["fromBlock", config.fromBlock ?? 0, 0],
      ["pageSize", config.pageSize ?? 2000, 1],
      ["confirmations", config.confirmations ?? 0, 0],
      ["intervalMs", config.intervalMs ?? 5000, 0],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new ShredderError("BAD_CONFIG", `${name} must be an integer ≥ ${min}, got ${value}`);
      }
    }
    if (config.records.runner?.provider == null) {
      throw new ShredderError("BAD_CONFIG", "the registry contract has no provider to read events from");
    }
    this.records = config.records;
    this.keyStores = [...config.keyStores];
    this.cursorStore = config.cursorStore;
    this.fromBlock = config.fromBlock ?? 0;
    this.pageSize = config.pageSize ?? 2000;
    this.confirmations = config.confirmations ?? 0;
    this.intervalMs = config.intervalMs ?? 5000;
    this.#onError = config.onError ?? (() => undefined);
  }

  /**
   * One pass: retries the records whose shred failed before, then reads `RecordRetracted` from the
   * cursor to the head (less `confirmations`) page by page, erasing each record's version chain and
   * saving the cursor after each page. Concurrent calls share one pass.
   * @throws what the node or the cursor store throws (a failed page is read again next run); a
   * failed shred does not throw: it is reported in `failed` and kept for the next run.
   */
  runOnce(): Promise<ShredderRun> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Runs a pass now and then every `intervalMs` after the previous one ends, until `stop`. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const loop = (): void => {
      this.runOnce()
        .catch((error: unknown) => this.#onError(error))
        .finally(() => {
          if (this.#started) this.#timer = setTimeout(loop, this.intervalMs);
        });
    };
    loop();
  }

  /** Stops `start`'s loop and waits for a pass under way to end. */
  async stop(): Promise<void> {
    this.#started = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Whether `start`'s loop is on. */
  get running(): boolean {
    return this.#started;
  }

  async #pass(): Promise<ShredderRun> {
    const cursor = (await this.cursorStore.load()) ?? { nextBlock: this.fromBlock, pending: [] };
    const head = (await this.records.runner!.provider!.getBlockNumber()) - this.confirmations;
    const run: ShredderRun = {
      fromBlock: cursor.nextBlock,
      toBlock: Math.max(cursor.nextBlock - 1, head),
      pages: 0,
      erased: [],
      shredded: [],
      wraps: 0,
      failed: [],
    };
    const pending = new Set(cursor.pending);
    const erase = async (recordId: string): Promise<void> => {
      try {
        const chain = await recordVersionChain(this.records, recordId, {
          fromBlock: this.fromBlock,
          toBlock: Math.max(head, cursor.nextBlock - 1),
          pageSize: this.pageSize,
        });
        for (const store of this.keyStores) {
          for (const id of chain) run.wraps += await store.shred(id);
        }
        pending.delete(recordId);
        run.erased.push(recordId);
        for (const id of chain) if (!run.shredded.includes(id)) run.shredded.push(id);
      } catch (error) {
        pending.add(recordId);
        run.failed.push({ recordId, error });
      }
    };

    const retries = [...pending];
    for (const recordId of retries) await erase(recordId);
    if (retries.length > 0 && head < cursor.nextBlock) {
      await this.cursorStore.save({ nextBlock: cursor.nextBlock, pending: [...pending] });
    }
    for (let from = cursor.nextBlock; from <= head; from += this.pageSize) {
      const to = Math.min(head, from + this.pageSize - 1);
      const events = await this.records.queryFilter(this.records.filters.RecordRetracted(), from, to);
      run.pages++;
      for (const event of events) {
        const recordId = event.args.recordId.toLowerCase();
        if (run.erased.includes(recordId)) continue;
        await erase(recordId);
      }
      await this.cursorStore.save({ nextBlock: to + 1, pending: [...pending] });
    }
    return run;
  }
}
