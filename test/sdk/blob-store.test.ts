import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";
import { keccak256 } from "ethers";

import type { BlobStore } from "../../src/blob-store.ts";
import { BlobStoreError, MemoryBlobStore } from "../../src/blob-store.ts";
import { FolderBlobStore } from "../../src/node.ts";
import { expectError } from "../helpers/record-crypto.ts";

const randomBlob = (size = 256): Uint8Array => new Uint8Array(randomBytes(size));

/** Behaviour every BlobStore must have. */
function behavesLikeABlobStore(makeStore: () => Promise<BlobStore>): void {
  let store: BlobStore;
  beforeEach(async function () {
    store = await makeStore();
  });

  it("stores bytes under keccak256(bytes) and returns them", async function () {
    const blob = randomBlob();
    const hash = await store.put(blob);
    expect(hash).to.equal(keccak256(blob));
    expect(await store.get(hash)).to.deep.equal(blob);
    expect(await store.has(hash)).to.equal(true);
  });

  it("is idempotent and accepts an upper-case hash", async function () {
    const blob = randomBlob();
    const hash = await store.put(blob);
    expect(await store.put(blob)).to.equal(hash);
    expect(await store.get("0x" + hash.slice(2).toUpperCase())).to.deep.equal(blob);
  });

  it("stores an empty blob", async function () {
    const hash = await store.put(new Uint8Array(0));
    expect(await store.get(hash)).to.have.length(0);
  });

  it("is not affected by callers mutating the bytes they put or got", async function () {
    const blob = randomBlob();
    const hash = await store.put(blob);
    blob[0] ^= 0xff;
    const got = await store.get(hash);
    got[1] ^= 0xff;
    const again = await store.get(hash);
    expect(keccak256(again)).to.equal(hash);
  });

  it("reports a missing blob as NOT_FOUND", async function () {
    const hash = keccak256(randomBlob());
    expect(await store.has(hash)).to.equal(false);
    const error = await expectError(() => store.get(hash), BlobStoreError, "NOT_FOUND");
    expect((error as BlobStoreError).contentHash).to.equal(hash);
  });

  it("deletes a blob (true), then reports it gone (false, NOT_FOUND)", async function () {
    const keep = await store.put(randomBlob());
    const hash = await store.put(randomBlob());
    expect(await store.delete(hash)).to.equal(true);
    expect(await store.delete(hash)).to.equal(false);
    expect(await store.has(hash)).to.equal(false);
    await expectError(() => store.get(hash), BlobStoreError, "NOT_FOUND");
    expect(await store.has(keep)).to.equal(true);
  });

  it("rejects an address that is not a 32-byte hex hash with INVALID_HASH", async function () {
    for (const bad of ["", "0x1234", "../../etc/passwd", "0x" + "g".repeat(64), "a".repeat(64)]) {
      await expectError(() => store.get(bad), BlobStoreError, "INVALID_HASH");
      await expectError(() => store.has(bad), BlobStoreError, "INVALID_HASH");
      await expectError(() => store.delete(bad), BlobStoreError, "INVALID_HASH");
    }
  });
}

describe("blob-store", function () {
  describe("MemoryBlobStore", function () {
    behavesLikeABlobStore(async () => new MemoryBlobStore());

    it("gives a memory: locator", async function () {
      const store = new MemoryBlobStore();
      const hash = await store.put(randomBlob());
      expect(store.locator(hash)).to.equal(`memory:${hash}`);
      expect(store.size).to.equal(1);
    });
  });

  describe("FolderBlobStore", function () {
    let root: string;
    let dirs = 0;
    const newDir = (): string => join(root, `store-${dirs++}`);

    before(async function () {
      root = await mkdtemp(join(tmpdir(), "medchain-blobs-"));
    });

    after(async function () {
      await rm(root, { recursive: true, force: true });
    });

    behavesLikeABlobStore(async () => new FolderBlobStore(newDir()));

    it("creates its folder on the first put and names each file by its hash", async function () {
      const store = new FolderBlobStore(newDir());
      const blob = randomBlob();
      const hash = await store.put(blob);
      expect(await readdir(store.dir)).to.deep.equal([hash.slice(2)]);
      expect(store.pathFor(hash)).to.equal(join(store.dir, hash.slice(2)));
      expect(store.locator(hash)).to.equal(pathToFileURL(store.pathFor(hash)).href);
    });

    it("writes files readable only by their owner", async function () {
      if (process.platform === "win32") this.skip();
      const store = new FolderBlobStore(newDir());
      const hash = await store.put(randomBlob());
      expect((await stat(store.pathFor(hash))).mode & 0o777).to.equal(0o600);
    });

    it("leaves no temporary files after many concurrent puts, of the same and of different blobs", async function () {
      const store = new FolderBlobStore(newDir());
      const same = randomBlob(4096);
      const others = Array.from({ length: 10 }, () => randomBlob(4096));
      const hashes = await Promise.all([...others, same, same, same, same].map((blob) => store.put(blob)));
      const files = await readdir(store.dir);
      expect(files.filter((name) => name.startsWith(".tmp-"))).to.deep.equal([]);
      expect(files).to.have.length(11);
      for (const [i, blob] of [...others, same].entries()) expect(await store.get(hashes[i])).to.deep.equal(blob);
    });

    it("ignores a stray temporary file left by a crashed write", async function () {
      const store = new FolderBlobStore(newDir());
      const blob = randomBlob();
      const hash = keccak256(blob);
      await mkdir(store.dir, { recursive: true });
      await writeFile(join(store.dir, ".tmp-crashed"), blob.subarray(0, 10));
      expect(await store.has(hash)).to.equal(false);
      await expectError(() => store.get(hash), BlobStoreError, "NOT_FOUND");
      expect(await store.put(blob)).to.equal(hash);
      expect(await store.get(hash)).to.deep.equal(blob);
    });

    it("cleans up its temporary file and reports IO when the final rename fails", async function () {
      const store = new FolderBlobStore(newDir());
      const blob = randomBlob();
      const hash = keccak256(blob);
      await mkdir(store.pathFor(hash), { recursive: true }); // a directory where the file should go
      const error = await expectError(() => store.put(blob), BlobStoreError, "IO");
      expect(error.cause).to.be.instanceOf(Error);
      expect((await readdir(store.dir)).filter((name) => name.startsWith(".tmp-"))).to.deep.equal([]);
      expect(await store.has(hash)).to.equal(false);
    });

    it("detects a corrupted file as CORRUPT, and a put of the right bytes repairs it", async function () {
      const store = new FolderBlobStore(newDir());
      const blob = randomBlob();
      const hash = await store.put(blob);
      const damaged = blob.slice();
      damaged[100] ^= 0x01;
      await writeFile(store.pathFor(hash), damaged);
      expect(await store.has(hash)).to.equal(true); // has() does not read the file
      const error = await expectError(() => store.get(hash), BlobStoreError, "CORRUPT");
      expect((error as BlobStoreError).contentHash).to.equal(hash);
      await store.put(blob);
      expect(await store.get(hash)).to.deep.equal(blob);
    });

    it("detects a file replaced by another blob's bytes as CORRUPT", async function () {
      const store = new FolderBlobStore(newDir());
      const hash = await store.put(randomBlob());
      await writeFile(store.pathFor(hash), randomBlob());
      await expectError(() => store.get(hash), BlobStoreError, "CORRUPT");
    });

    it("shares blobs between two stores on the same folder", async function () {
      const dir = newDir();
      const blob = randomBlob();
      const hash = await new FolderBlobStore(dir).put(blob);
      expect(await new FolderBlobStore(dir).get(hash)).to.deep.equal(blob);
    });
  });
});
