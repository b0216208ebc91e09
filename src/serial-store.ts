/**
 * The serial-proof store: a GS1 pack scan gives (GTIN, lot, serial), but `verifyUnit` and `dispense`
 * also need the unit's leaf index and Merkle proof. The store maps one to the other (DESIGN.md §4).
 *
 * A serial the store does not know is `"unknown"` — the store may simply not have that lot — never
 * "counterfeit": authenticity is decided on chain by `verifyUnit`.
 *
 * Memory: a lot keeps its serials, a serial → index map and its tree packed as 32-byte nodes in one
 * buffer (about 64 bytes per unit, {@link buildCompactSerialTree}); proofs are computed on demand,
 * never stored per serial. A store loaded with {@link SerialProofStore.fromJSON} rebuilds a lot's tree
 * on its first lookup and checks it against the dumped root.
 *
 * @module
 */

import { isHexString } from "ethers";

import { assertLot, normalizeGtin } from "./gs1.ts";
import { buildCompactSerialTree, type SerialProofs } from "./merkle.ts";

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** A serial the source can prove: its leaf index, the proof and the lot's root. */
export interface KnownSerial {
  status: "known";
  index: bigint;
  proof: string[];
  root: string;
}

/** A serial the source has no record of. Not evidence of a counterfeit: the lot may just be missing. */
export interface UnknownSerial {
  status: "unknown";
}

/** What a {@link ProofSource} answers for a scanned serial. */
export type SerialLookup = KnownSerial | UnknownSerial;

/** Anything that maps a scanned (GTIN, lot, serial) to its index and proof: this store, a database, a web service. */
export interface ProofSource {
  lookup(gtin: string, lot: string, serial: string): SerialLookup | Promise<SerialLookup>;
}

/** A lot as added to the store. */
export interface StoredLot {
  /** GTIN-14. */
  gtin: string;
  lot: string;
  root: string;
  quantity: bigint;
}

/** The store's dump: each lot's serials in index order and its root (checked when the tree is rebuilt). */
export interface SerialProofStoreJSON {
  format: "medchain-serial-proofs-v1";
  lots: { gtin: string; lot: string; root: string; serials: string[] }[];
}

/** Options of {@link SerialProofStore.fromJSON}. */
export interface FromJSONOptions {
  /** Rebuild and check every lot's tree now instead of on its first lookup. Default `false`. */
  eager?: boolean;
}

/** Why the serial-proof store refused. */
export type SerialStoreErrorCode = "BAD_DUMP" | "ROOT_MISMATCH" | "LOT_CONFLICT";

/** Thrown when a dump is invalid, a rebuilt tree does not match its root, or a lot is added twice with other serials. */
export class SerialStoreError extends Error {
  readonly code: SerialStoreErrorCode;

  constructor(code: SerialStoreErrorCode, message: string) {
    super(message);
    this.name = "SerialStoreError";
    this.code = code;
  }
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

const FORMAT: SerialProofStoreJSON["format"] = "medchain-serial-proofs-v1";

// ─── Store ───────────────────────────────────────────────────────────────────────────────────────

interface LotEntry {
  gtin: string;
  lot: string;
  root: string;
  serials: readonly string[];
  /** Built on first use for a loaded lot. */
  tree?: SerialProofs;
}

/** An in-memory {@link ProofSource} built from lots' serial lists; dumps to and loads from JSON. */
export class SerialProofStore implements ProofSource {
  readonly #lots = new Map<string, LotEntry>();

  /**
   * Adds a lot: builds its serial tree (leaf `i` is serial `i`). Adding the same lot again with the
   * same serials is a no-op; with other serials it throws `LOT_CONFLICT`.
   *
   * @returns the root and quantity to pass to `commissionLot`.
   * @throws {Gs1Error} for an invalid GTIN, lot or serial; {@link MerkleError} for an empty lot or a duplicate serial.
   */
  addLot(gtin: string, lot: string, serials: readonly string[]): { root: string; quantity: bigint } {
    const gtin14 = normalizeGtin(gtin);
    assertLot(lot);
    const entry: LotEntry = { gtin: gtin14, lot, root: "", serials: [...serials] };
    build(entry);
    const key = keyOf(gtin14, lot);
    const existing = this.#lots.get(key);
    if (existing !== undefined) {
      if (existing.root !== entry.root) {
        throw new SerialStoreError(
          "LOT_CONFLICT",
          `lot ${JSON.stringify(lot)} of GTIN ${gtin14} is already stored with root ${existing.root}, not ${entry.root}`,
        );
      }
      return { root: existing.root, quantity: BigInt(existing.serials.length) };
    }
    this.#lots.set(key, entry);
    return { root: entry.root, quantity: BigInt(entry.serials.length) };
  }

  /**
   * The index, proof and root of a scanned unit, or `{status: "unknown"}` if this store has no such
   * serial in that lot.
   *
   * @throws {Gs1Error} for an invalid GTIN; {@link SerialStoreError} `ROOT_MISMATCH` if a loaded lot is corrupt.
   */
  lookup(gtin: string, lot: string, serial: string): SerialLookup {
    const entry = this.#lots.get(keyOf(normalizeGtin(gtin), lot));
    if (entry === undefined) return { status: "unknown" };
    const tree = build(entry);
    const index = tree.indexOf(serial);
    if (index === undefined) return { status: "unknown" };
    return { status: "known", index, proof: tree.proof(index), root: entry.root };
  }

  /** Whether the store holds this lot. @throws {Gs1Error} for an invalid GTIN. */
  hasLot(gtin: string, lot: string): boolean {
    return this.#lots.has(keyOf(normalizeGtin(gtin), lot));
  }

  /** Removes a lot (e.g. one whose commissioning failed); returns whether it was there. */
  removeLot(gtin: string, lot: string): boolean {
    return this.#lots.delete(keyOf(normalizeGtin(gtin), lot));
  }

  /** The lots in the store, in insertion order. */
  lots(): StoredLot[] {
    return [...this.#lots.values()].map(({ gtin, lot, root, serials }) => ({
      gtin,
      lot,
      root,
      quantity: BigInt(serials.length),
    }));
  }

  /** The dump a pharmacy ships: serials and roots only (the trees are rebuilt on load). `JSON.stringify` uses it. */
  toJSON(): SerialProofStoreJSON {
    return {
      format: FORMAT,
      lots: [...this.#lots.values()].map(({ gtin, lot, root, serials }) => ({
        gtin,
        lot,
        root,
        serials: [...serials],
      })),
    };
  }

  /**
   * Loads a dump (the object or its JSON text). Trees are rebuilt lazily on first lookup and checked
   * against the dumped root, or all at once with `{eager: true}`.
   *
   * @throws {SerialStoreError} `BAD_DUMP` or (eager) `ROOT_MISMATCH`; {@link Gs1Error} for an invalid GTIN or lot.
   */
  static fromJSON(data: SerialProofStoreJSON | string, options: FromJSONOptions = {}): SerialProofStore {
    const dump: unknown = typeof data === "string" ? parseJson(data) : data;
    if (!isRecord(dump) || dump.format !== FORMAT || !Array.isArray(dump.lots)) {
      throw new SerialStoreError(
        "BAD_DUMP",
        `not a serial-proof store dump (expected format ${JSON.stringify(FORMAT)})`,
      );
    }
    const store = new SerialProofStore();
    dump.lots.forEach((item: unknown, i: number) => {
      if (
        !isRecord(item) ||
        typeof item.gtin !== "string" ||
        typeof item.lot !== "string" ||
        typeof item.root !== "string" ||
        !isHexString(item.root, 32) ||
        !Array.isArray(item.serials) ||
        !item.serials.every((s: unknown) => typeof s === "string")
      ) {
        throw new SerialStoreError("BAD_DUMP", `lots[${i}] needs gtin, lot, a bytes32 root and an array of serials`);
      }
      const gtin = normalizeGtin(item.gtin);
      assertLot(item.lot);
      const key = keyOf(gtin, item.lot);
      if (store.#lots.has(key)) {
        throw new SerialStoreError(
          "BAD_DUMP",
          `lots[${i}]: lot ${JSON.stringify(item.lot)} of GTIN ${gtin} appears twice`,
        );
      }
      const entry: LotEntry = {
        gtin,
        lot: item.lot,
        root: item.root.toLowerCase(),
        serials: [...(item.serials as string[])],
      };
      if (options.eager === true) build(entry);
      store.#lots.set(key, entry);
    });
    return store;
  }
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

/** GS (ASCII 29) cannot occur in a GS1 lot, so it separates the key's parts unambiguously. */
function keyOf(gtin14: string, lot: string): string {
  return `${gtin14}\x1d${lot}`;
}

/** Builds (once) the lot's tree; sets the root of a new lot, checks the root of a loaded one. */
function build(entry: LotEntry): SerialProofs {
  if (entry.tree !== undefined) return entry.tree;
  const tree = buildCompactSerialTree(entry.serials);
  if (entry.root === "") {
    entry.root = tree.root;
  } else if (entry.root !== tree.root) {
    throw new SerialStoreError(
      "ROOT_MISMATCH",
      `lot ${JSON.stringify(entry.lot)} of GTIN ${entry.gtin}: serials hash to ${tree.root}, the dump says ${entry.root}`,
    );
  }
  entry.tree = tree;
  return tree;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SerialStoreError("BAD_DUMP", `serial-proof store dump is not JSON: ${(error as Error).message}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
