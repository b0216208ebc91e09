/**
 * The SDK's Node.js-only part (it uses the file system): the folder-backed stores, its defaults on a
 * server — {@link FolderBlobStore} (content-addressed record blobs, `blob-store.ts`) and
 * {@link FolderKeyWrapStore} (the wraps of records' data keys, `key-store.ts`), {@link FileCursorStore}
 * (the shredder's saved cursor, `shredder.ts`) — and
 * {@link loadDeployment}, which reads a deployment's addresses from Ignition's folder (`deployments.ts`).
 * The SDK's browser entry (`browser.ts`) leaves this module out.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { type BlobStore, BlobStoreError, blobAddress, checkBytes, normalizeContentHash } from "./blob-store.ts";
import { type DeploymentAddresses, DeploymentError } from "./deployments.ts";
import { parseKeyWrap } from "./crypto.ts";
import { checkCursor, type CursorStore, type ShredderCursor, ShredderError } from "./shredder.ts";
import {
  checkWraps,
  type KeyWrapStore,
  KeyWrapStoreError,
  keyWrapId,
  normalizeRecordId,
  shreddedError,
  sortBytes,
} from "./key-store.ts";

// ─── private folders ─────────────────────────────────────────────────────────────────────────────

/**
 * Makes `dir` a private folder: creates it with mode 0700 (when `create`), and tightens an existing
 * one whose mode lets the group or others in (e.g. made by hand, or by `mkdir` under a loose umask)
 * to 0700. A missing folder is left missing when `create` is false. On Windows modes do not apply.
 */
export async function ensurePrivateDir(dir: string, create: boolean): Promise<boolean> {
  if (create) await mkdir(dir, { recursive: true, mode: 0o700 });
  let mode: number;
  try {
    mode = (await stat(dir)).mode;
  } catch (cause) {
    if (errorCode(cause) === "ENOENT" && !create) return false;
    throw cause;
  }
  if (process.platform !== "win32" && (mode & 0o777) !== 0o700) await chmod(dir, 0o700);
  return true;
}

/** Runs {@link ensurePrivateDir} on a store's root until it has succeeded once (then it is a no-op). */
class PrivateRoot {
  #ready = false;

  constructor(readonly dir: string) {}

  /** Tightens (and, if `create`, creates) the root; true once it exists and is private. */
  async ensure(create: boolean): Promise<void> {
    if (this.#ready) return;
    this.#ready = await ensurePrivateDir(this.dir, create);
  }
}

// ─── FolderBlobStore ─────────────────────────────────────────────────────────────────────────────

/**
 * The default blob store: one file per blob in a folder (mode 0700; an existing folder is tightened
 * to 0700 on first use), named by its hash (64 lowercase hex digits, no `0x`), created with mode 0600.
 *
 * Writes are atomic: the bytes go to a uniquely named temporary file (`.tmp-…`, never a valid blob
 * name) that is flushed (`fsync`) and then renamed over the final name, so a reader sees either no
 * file or the whole blob, and a crash leaves at worst a stray temporary file. `get` re-hashes what it
 * reads, so a corrupted or substituted file is reported (`CORRUPT`) rather than returned; `put` of
 * bytes whose file is corrupt rewrites it.
 */
export class FolderBlobStore implements BlobStore {
  /** The absolute path of the folder (created on the first `put`). */
  readonly dir: string;
  readonly #root: PrivateRoot;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.#root = new PrivateRoot(this.dir);
  }

  /** The file a blob is (or would be) stored in. */
  pathFor(contentHash: string): string {
    return join(this.dir, normalizeContentHash(contentHash).slice(2));
  }

  async put(bytes: Uint8Array): Promise<string> {
    checkBytes(bytes);
    const hash = blobAddress(bytes);
    const target = this.pathFor(hash);
    if (await this.#holds(target, hash)) return hash;

    const temp = join(this.dir, `.tmp-${randomBytes(12).toString("hex")}`);
    try {
      await this.#root.ensure(true);
      const file = await open(temp, "wx", 0o600);
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
    } catch (cause) {
      await unlink(temp).catch(() => undefined);
      throw new BlobStoreError("IO", `could not store blob ${hash} in ${this.dir}`, hash, { cause });
    }
    await syncDir(this.dir);
    return hash;
  }

  async get(contentHash: string): Promise<Uint8Array> {
    const hash = normalizeContentHash(contentHash);
    let bytes: Uint8Array;
    try {
      await this.#root.ensure(false);
      bytes = new Uint8Array(await readFile(this.pathFor(hash)));
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") throw new BlobStoreError("NOT_FOUND", `no blob ${hash}`, hash, { cause });
      throw new BlobStoreError("IO", `could not read blob ${hash}`, hash, { cause });
    }
    if (blobAddress(bytes) !== hash) throw new BlobStoreError("CORRUPT", `blob ${hash} fails its hash`, hash);
    return bytes;
  }

  async has(contentHash: string): Promise<boolean> {
    const hash = normalizeContentHash(contentHash);
    try {
      return (await stat(this.pathFor(hash))).isFile();
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return false;
      throw new BlobStoreError("IO", `could not stat blob ${hash}`, hash, { cause });
    }
  }

  async delete(contentHash: string): Promise<boolean> {
    const hash = normalizeContentHash(contentHash);
    try {
      await unlink(this.pathFor(hash));
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return false;
      throw new BlobStoreError("IO", `could not delete blob ${hash}`, hash, { cause });
    }
    await syncDir(this.dir);
    return true;
  }

  locator(contentHash: string): string {
    return pathToFileURL(this.pathFor(contentHash)).href;
  }

  /** Whether `path` already holds exactly the blob `hash` (so `put` has nothing to do). */
  async #holds(path: string, hash: string): Promise<boolean> {
    try {
      await this.#root.ensure(false);
      return blobAddress(new Uint8Array(await readFile(path))) === hash;
    } catch {
      return false; // missing or unreadable: (re)write it
    }
  }
}

/** The `code` of a Node.js file-system error (`ENOENT`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

// ─── FolderKeyWrapStore ──────────────────────────────────────────────────────────────────────────

const WRAP_FILE = /^[0-9a-f]{64}$/;

/**
 * The default key-wrap store: a folder (mode 0700; an existing one is tightened to 0700 on first use)
 * with a folder per record (named by the record id, 64 lowercase hex digits, mode 0700) holding one
 * file per wrap (named by `keccak256` of the wrap, mode 0600), and a tombstone per shredded record
 * (an empty file `<record id>.shredded`, mode 0600).
 *
 * Writes are atomic: a wrap goes to a uniquely named temporary file (`.tmp-…`, never a wrap name)
 * that is flushed and renamed over its final name. `list` re-hashes and re-parses every file, so a
 * damaged wrap is reported (`CORRUPT`), never returned. `remove` renames a wrap to `.rm-…` (so it
 * leaves the set atomically), overwrites it with zeros and deletes it.
 *
 * Shredding first writes the record's tombstone (flushed), then renames the record's folder to
 * `.shred-…` (atomic: from then on `list` finds no wrap), then overwrites each wrap with zeros (best
 * effort: a file system or SSD may keep old blocks) and deletes the folder. A crash in between
 * leaves a `.shred-…` folder, which still holds wraps: the next `shred` of any record removes it.
 * `add` refuses a tombstoned record, and checks the tombstone again after writing: an `add` racing a
 * shred (it passed the first check before the tombstone was written) destroys what it wrote and
 * throws `SHREDDED`, so a share in flight never brings a wrap back.
 */
export class FolderKeyWrapStore implements KeyWrapStore {
  /** The absolute path of the folder (created on the first `add` or `shred`). */
  readonly dir: string;
  readonly #root: PrivateRoot;

  constructor(dir: string) {
    this.dir = resolve(dir);
    this.#root = new PrivateRoot(this.dir);
  }

  /** The folder a record's wraps are (or would be) stored in. */
  recordDir(recordId: string): string {
    return join(this.dir, normalizeRecordId(recordId).slice(2));
  }

  /** The tombstone file a shredded record leaves. */
  tombstonePath(recordId: string): string {
    return `${this.recordDir(recordId)}.shredded`;
  }

  /** The file a wrap of a record is (or would be) stored in. */
  pathFor(recordId: string, keyWrap: Uint8Array): string {
    return join(this.recordDir(recordId), keyWrapId(keyWrap).slice(2));
  }

  async isShredded(recordId: string): Promise<boolean> {
    const id = normalizeRecordId(recordId);
    try {
      return (await stat(this.tombstonePath(id))).isFile();
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return false;
      throw new KeyWrapStoreError("IO", `could not read the tombstone of ${id}`, id, { cause });
    }
  }

  async add(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const wraps = checkWraps(id, keyWraps);
    if (await this.isShredded(id)) throw shreddedError(id);
    if (wraps.size === 0) return 0;
    const folder = this.recordDir(id);
    let added = 0;
    try {
      await this.#root.ensure(true);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      for (const [wrapId, keyWrap] of wraps) {
        const target = join(folder, wrapId.slice(2));
        if (await holds(target, wrapId)) continue;
        const temp = join(folder, `.tmp-${randomBytes(12).toString("hex")}`);
        try {
          const file = await open(temp, "wx", 0o600);
          try {
            await file.writeFile(keyWrap);
            await file.sync();
          } finally {
            await file.close();
          }
          await rename(temp, target);
        } catch (cause) {
          await unlink(temp).catch(() => undefined);
          throw cause;
        }
        added++;
      }
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `could not store key wraps of ${id} in ${this.dir}`, id, { cause });
    }
    await syncDir(folder);
    await syncDir(this.dir);
    if (await this.isShredded(id)) {
      // A shred began while we wrote: what we wrote may have landed after its rename. Destroy it.
      await this.#destroyRecordFolder(id);
      throw shreddedError(id);
    }
    return added;
  }

  async list(recordId: string): Promise<Uint8Array[]> {
    const id = normalizeRecordId(recordId);
    const folder = this.recordDir(id);
    let names: string[];
    try {
      await this.#root.ensure(false);
      names = await readdir(folder);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return [];
      throw new KeyWrapStoreError("IO", `could not list key wraps of ${id}`, id, { cause });
    }
    const wraps: Uint8Array[] = [];
    for (const name of names.filter((n) => WRAP_FILE.test(n))) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(join(folder, name)));
      } catch (cause) {
        if (errorCode(cause) === "ENOENT") continue; // removed meanwhile
        throw new KeyWrapStoreError("IO", `could not read key wrap ${name} of ${id}`, id, { cause });
      }
      if (keyWrapId(bytes) !== `0x${name}`) {
        throw new KeyWrapStoreError("CORRUPT", `key wrap file ${name} of ${id} fails its hash`, id);
      }
      try {
        parseKeyWrap(bytes);
      } catch (cause) {
        throw new KeyWrapStoreError("CORRUPT", `key wrap file ${name} of ${id} is not a key wrap`, id, { cause });
      }
      wraps.push(bytes);
    }
    return sortBytes(wraps);
  }

  async remove(recordId: string, keyWraps: readonly Uint8Array[]): Promise<number> {
    const id = normalizeRecordId(recordId);
    const folder = this.recordDir(id);
    const wrapIds = [...checkWraps(id, keyWraps).keys()];
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return 0; // no wraps for this record
      throw new KeyWrapStoreError("IO", `could not list key wraps of ${id}`, id, { cause });
    }
    let removed = 0;
    try {
      // Left-overs of a crashed remove first: they still hold wraps.
      for (const name of names.filter((n) => n.startsWith(".rm-"))) await destroyFile(join(folder, name));
      for (const wrapId of wrapIds) {
        // Unlist it atomically (a concurrent `list` never reads a half-zeroed wrap), then destroy it.
        const doomed = join(folder, `.rm-${randomBytes(12).toString("hex")}`);
        try {
          await rename(join(folder, wrapId.slice(2)), doomed);
        } catch (cause) {
          if (errorCode(cause) === "ENOENT") continue;
          throw cause;
        }
        removed++;
        await destroyFile(doomed);
      }
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `could not delete key wraps of ${id}`, id, { cause });
    }
    if (removed > 0) await syncDir(folder);
    return removed;
  }

  async shred(recordId: string): Promise<number> {
    const id = normalizeRecordId(recordId);
    try {
      await this.#root.ensure(true);
      const tombstone = await open(this.tombstonePath(id), "a", 0o600);
      try {
        await tombstone.sync();
      } finally {
        await tombstone.close();
      }
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `could not write the tombstone of ${id}`, id, { cause });
    }
    await syncDir(this.dir);
    await this.#sweep();
    return this.#destroyRecordFolder(id);
  }

  /** Unlists a record's folder atomically (rename to `.shred-…`), then destroys it; how many wraps it held. */
  async #destroyRecordFolder(id: string): Promise<number> {
    const doomed = join(this.dir, `.shred-${randomBytes(12).toString("hex")}`);
    try {
      await rename(this.recordDir(id), doomed);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return 0;
      throw new KeyWrapStoreError("IO", `could not shred the key wraps of ${id}`, id, { cause });
    }
    await syncDir(this.dir);
    try {
      return await destroyFolder(doomed);
    } catch (cause) {
      throw new KeyWrapStoreError("IO", `key wraps of ${id} are unlisted but left in ${doomed}`, id, { cause });
    } finally {
      await syncDir(this.dir);
    }
  }

  /** Destroys `.shred-…` folders a crashed `shred` left behind. */
  async #sweep(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return;
      throw new KeyWrapStoreError("IO", `could not list ${this.dir}`, undefined, { cause });
    }
    for (const name of names.filter((n) => n.startsWith(".shred-"))) {
      try {
        await destroyFolder(join(this.dir, name));
      } catch (cause) {
        throw new KeyWrapStoreError("IO", `could not destroy a left-over ${name}`, undefined, { cause });
      }
    }
  }
}

/** Overwrites every wrap in `folder` with zeros, deletes the folder, and returns how many wraps it held. */
async function destroyFolder(folder: string): Promise<number> {
  const names = await readdir(folder);
  let wraps = 0;
  for (const name of names) {
    await zeroFile(join(folder, name)).catch(() => undefined); // best effort; rm deletes it below
    if (WRAP_FILE.test(name)) wraps++;
  }
  await rm(folder, { recursive: true, force: true });
  return wraps;
}

/** Overwrites a file with zeros (best effort) and deletes it. */
async function destroyFile(path: string): Promise<void> {
  await zeroFile(path).catch(() => undefined);
  await unlink(path).catch((cause: unknown) => {
    if (errorCode(cause) !== "ENOENT") throw cause;
  });
}

/** Best-effort overwrite of a small file with zeros, flushed. */
async function zeroFile(path: string): Promise<void> {
  const file = await open(path, "r+");
  try {
    const { size } = await file.stat();
    await file.write(new Uint8Array(size), 0, size, 0);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Whether `path` already holds exactly the wrap `wrapId`. */
async function holds(path: string, wrapId: string): Promise<boolean> {
  try {
    return keyWrapId(new Uint8Array(await readFile(path))) === wrapId;
  } catch {
    return false; // missing or unreadable: (re)write it
  }
}

/** Makes a rename or unlink durable. Best effort: not every platform can fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // e.g. Windows (EPERM/EISDIR), or the folder is gone: the rename itself is still atomic.
  }
}

// ─── Reading a deployment ────────────────────────────────────────────────────────────────────────

/**
 * Reads `<dir>/chain-<chainId>/deployed_addresses.json`, as Ignition writes it. `dir` defaults to
 * `ignition/deployments` under the current directory. Throws a {@link DeploymentError} (`NOT_FOUND`, `BAD_FILE`) when there is no
 * deployment for the chain or the file is not an object of addresses.
 */
export async function loadDeployment(
  chainId: bigint | number,
  dir = "ignition/deployments",
): Promise<DeploymentAddresses> {
  const file = resolve(join(dir, `chain-${chainId}`, "deployed_addresses.json"));
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw new DeploymentError("NOT_FOUND", `no MedChain deployment for chain ${chainId} (${file} does not exist)`);
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DeploymentError("BAD_FILE", `${file} is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new DeploymentError("BAD_FILE", `${file} is not an object of addresses`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new DeploymentError("BAD_FILE", `${file}: ${key} is not an address`);
  }
  return parsed as DeploymentAddresses;
}

// ─── FileCursorStore ─────────────────────────────────────────────────────────────────────────────

/**
 * The shredder's cursor in a JSON file (`shredder.ts`), written atomically (a flushed temporary file
 * renamed over it, mode 0600), so a crash leaves the old cursor or the new one. Its folder is created
 * (0700) if missing. The cursor holds block numbers and record ids only.
 */
export class FileCursorStore implements CursorStore {
  /** The absolute path of the file. */
  readonly path: string;

  constructor(path: string) {
    this.path = resolve(path);
  }

  /** @throws ShredderError `BAD_CURSOR` when the file is not a cursor. */
  async load(): Promise<ShredderCursor | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (cause) {
      if (errorCode(cause) === "ENOENT") return undefined;
      throw cause;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new ShredderError("BAD_CURSOR", `${this.path} is not JSON`, { cause });
    }
    return checkCursor(parsed);
  }

  async save(cursor: ShredderCursor): Promise<void> {
    const checked = checkCursor(cursor);
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.tmp-${randomBytes(12).toString("hex")}`);
    try {
      const file = await open(temp, "wx", 0o600);
      try {
        await file.writeFile(JSON.stringify(checked) + "\n");
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.path);
    } catch (cause) {
      await unlink(temp).catch(() => undefined);
      throw cause;
    }
    await syncDir(dir);
  }
}
