import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, keccak256 } from "ethers";

import { encryptRecord, generateEncryptionKeyPair } from "../../src/crypto.ts";
import type { KeyWrapStore } from "../../src/key-store.ts";
import { KeyWrapStoreError, MemoryKeyWrapStore, keyWrapId } from "../../src/key-store.ts";
import { FolderKeyWrapStore } from "../../src/node.ts";
import { expectError, flipByte, randomPatientId, randomRecordId } from "../helpers/record-crypto.ts";

/** `n` genuine key wraps of one freshly sealed blob. */
function someWraps(n: number): Uint8Array[] {
  const recipients = Array.from({ length: n }, () => generateEncryptionKeyPair().publicKey);
  return encryptRecord({ plaintext: "x", recordId: randomRecordId(), patientId: randomPatientId(), recipients })
    .keyWraps;
}

const sorted = (wraps: Uint8Array[]): Uint8Array[] =>
  [...wraps].sort((a, b) => (hexlify(a) < hexlify(b) ? -1 : hexlify(a) > hexlify(b) ? 1 : 0));

/** Behaviour every KeyWrapStore must have. */
function behavesLikeAKeyWrapStore(makeStore: () => Promise<KeyWrapStore>): void {
  let store: KeyWrapStore;
  beforeEach(async function () {
    store = await makeStore();
  });

  it("adds wraps to a record's set and lists them in ascending byte order", async function () {
    const recordId = randomRecordId();
    const wraps = someWraps(3);
    expect(await store.add(recordId, wraps)).to.equal(3);
    expect(await store.list(recordId)).to.deep.equal(sorted(wraps));
    const more = someWraps(1);
    expect(await store.add(recordId, more)).to.equal(1);
    expect(await store.list(recordId)).to.deep.equal(sorted([...wraps, ...more]));
  });

  it("is idempotent per wrap and accepts an upper-case record id", async function () {
    const recordId = randomRecordId();
    const wraps = someWraps(2);
    expect(await store.add(recordId, [...wraps, wraps[0]])).to.equal(2);
    expect(await store.add("0x" + recordId.slice(2).toUpperCase(), wraps)).to.equal(0);
    expect(await store.list(recordId)).to.have.length(2);
    expect(await store.add(recordId, [])).to.equal(0);
  });

  it("keeps records apart, and lists an unknown record as empty", async function () {
    const a = randomRecordId();
    const b = randomRecordId();
    await store.add(a, someWraps(2));
    await store.add(b, someWraps(1));
    expect(await store.list(a)).to.have.length(2);
    expect(await store.list(b)).to.have.length(1);
    expect(await store.list(randomRecordId())).to.deep.equal([]);
  });

  it("is not affected by callers mutating the bytes they added or listed", async function () {
    const recordId = randomRecordId();
    const [wrap] = someWraps(1);
    const original = wrap.slice();
    await store.add(recordId, [wrap]);
    wrap[100] ^= 0xff;
    const [listed] = await store.list(recordId);
    listed[101] ^= 0xff;
    expect(await store.list(recordId)).to.deep.equal([original]);
  });

  it("rejects a malformed record id (INVALID_RECORD_ID) and a malformed wrap (INVALID_WRAP), writing nothing", async function () {
    const [wrap] = someWraps(1);
    for (const bad of ["", "0x1234", "../../etc", "0x" + "g".repeat(64), "a".repeat(64)]) {
      await expectError(() => store.add(bad, [wrap]), KeyWrapStoreError, "INVALID_RECORD_ID");
      await expectError(() => store.list(bad), KeyWrapStoreError, "INVALID_RECORD_ID");
      await expectError(() => store.remove(bad, [wrap]), KeyWrapStoreError, "INVALID_RECORD_ID");
      await expectError(() => store.shred(bad), KeyWrapStoreError, "INVALID_RECORD_ID");
    }
    const recordId = randomRecordId();
    for (const bad of [wrap.subarray(1), flipByte(wrap, 0), new Uint8Array(147)]) {
      await expectError(() => store.add(recordId, [wrap, bad]), KeyWrapStoreError, "INVALID_WRAP");
    }
    expect(await store.list(recordId)).to.deep.equal([]);
  });

  it("removes chosen wraps and leaves the others", async function () {
    const recordId = randomRecordId();
    const wraps = someWraps(3);
    await store.add(recordId, wraps);
    expect(await store.remove(recordId, [wraps[1]])).to.equal(1);
    expect(await store.remove(recordId, [wraps[1]])).to.equal(0);
    expect(await store.list(recordId)).to.deep.equal(sorted([wraps[0], wraps[2]]));
    expect(await store.remove(randomRecordId(), [wraps[0]])).to.equal(0);
  });

  it("shreds every wrap of a record (idempotent), leaving other records alone", async function () {
    const doomed = randomRecordId();
    const kept = randomRecordId();
    await store.add(doomed, someWraps(3));
    await store.add(kept, someWraps(2));
    expect(await store.shred(doomed)).to.equal(3);
    expect(await store.list(doomed)).to.deep.equal([]);
    expect(await store.shred(doomed)).to.equal(0);
    expect(await store.list(kept)).to.have.length(2);
    expect(await store.isShredded(doomed)).to.equal(true);
    expect(await store.isShredded(kept)).to.equal(false);
  });

  it("leaves a tombstone: a later add for a shredded record is refused (SHREDDED) and writes nothing", async function () {
    const doomed = randomRecordId();
    await store.add(doomed, someWraps(2));
    await store.shred(doomed);
    const error = await expectError(() => store.add(doomed, someWraps(1)), KeyWrapStoreError, "SHREDDED");
    expect((error as KeyWrapStoreError).recordId).to.equal(doomed.toLowerCase());
    expect(await store.list(doomed)).to.deep.equal([]);
    // A record never written is tombstoned too when shredded (a shredder may run before a share lands).
    const never = randomRecordId();
    expect(await store.shred(never)).to.equal(0);
    await expectError(() => store.add(never, someWraps(1)), KeyWrapStoreError, "SHREDDED");
    expect(await store.list(never)).to.deep.equal([]);
  });
}

describe("key-store", function () {
  describe("MemoryKeyWrapStore", function () {
    behavesLikeAKeyWrapStore(async () => new MemoryKeyWrapStore());

    it("counts the records that have wraps", async function () {
      const store = new MemoryKeyWrapStore();
      const recordId = randomRecordId();
      await store.add(recordId, someWraps(2));
      expect(store.size).to.equal(1);
      await store.shred(recordId);
      expect(store.size).to.equal(0);
    });
  });

  describe("FolderKeyWrapStore", function () {
    let root: string;
    let dirs = 0;
    const newDir = (): string => join(root, `keys-${dirs++}`);

    before(async function () {
      root = await mkdtemp(join(tmpdir(), "medchain-keys-"));
    });

    after(async function () {
      await rm(root, { recursive: true, force: true });
    });

    behavesLikeAKeyWrapStore(async () => new FolderKeyWrapStore(newDir()));

    it("keeps a folder per record (0700) and a file per wrap named by its keccak256 (0600)", async function () {
      const store = new FolderKeyWrapStore(newDir());
      const recordId = randomRecordId();
      const wraps = someWraps(2);
      await store.add(recordId, wraps);
      expect(await readdir(store.dir)).to.deep.equal([recordId.slice(2)]);
      expect((await readdir(store.recordDir(recordId))).sort()).to.deep.equal(
        wraps.map((w) => keccak256(w).slice(2)).sort(),
      );
      expect(store.pathFor(recordId, wraps[0])).to.equal(join(store.recordDir(recordId), keyWrapId(wraps[0]).slice(2)));
      if (process.platform !== "win32") {
        expect((await stat(store.recordDir(recordId))).mode & 0o777).to.equal(0o700);
        expect((await stat(store.pathFor(recordId, wraps[0]))).mode & 0o777).to.equal(0o600);
      }
    });

    it("leaves no temporary files after concurrent adds, and ignores a stray one", async function () {
      const store = new FolderKeyWrapStore(newDir());
      const recordId = randomRecordId();
      const wraps = someWraps(6);
      await Promise.all([...wraps, wraps[0], wraps[0]].map((w) => store.add(recordId, [w])));
      const files = await readdir(store.recordDir(recordId));
      expect(files.filter((name) => name.startsWith("."))).to.deep.equal([]);
      expect(files).to.have.length(6);
      await writeFile(join(store.recordDir(recordId), ".tmp-crashed"), wraps[0].subarray(0, 10));
      expect(await store.list(recordId)).to.deep.equal(sorted(wraps));
    });

    it("reports a damaged or substituted wrap file as CORRUPT", async function () {
      const store = new FolderKeyWrapStore(newDir());
      const recordId = randomRecordId();
      const [wrap] = someWraps(1);
      await store.add(recordId, [wrap]);
      const path = store.pathFor(recordId, wrap);
      await writeFile(path, flipByte(wrap, 120));
      await expectError(() => store.list(recordId), KeyWrapStoreError, "CORRUPT");
      await store.add(recordId, [wrap]); // a put of the right bytes repairs it
      expect(await store.list(recordId)).to.deep.equal([wrap]);
      const junk = new Uint8Array(147);
      await writeFile(join(store.recordDir(recordId), keccak256(junk).slice(2)), junk);
      await expectError(() => store.list(recordId), KeyWrapStoreError, "CORRUPT");
    });

    it("shreds by removing the record's folder, and cleans up a shred a crash left half done", async function () {
      const store = new FolderKeyWrapStore(newDir());
      const recordId = randomRecordId();
      await store.add(recordId, someWraps(2));
      // A crashed shred: its folder was renamed to .shred-… but not yet destroyed.
      const leftover = join(store.dir, ".shred-crashed");
      await mkdir(leftover);
      const [stale] = someWraps(1);
      await writeFile(join(leftover, keccak256(stale).slice(2)), stale);
      expect(await store.shred(recordId)).to.equal(2);
      expect(await readdir(store.dir)).to.deep.equal([`${recordId.slice(2)}.shredded`]);
    });

    it("an add that races a shred (it passed the tombstone check first) destroys what it wrote and throws SHREDDED", async function () {
      const store = new FolderKeyWrapStore(newDir());
      const recordId = randomRecordId();
      await store.add(recordId, someWraps(1));
      // The add's first check sees no tombstone; the shred lands while it writes.
      const racing = new (class extends FolderKeyWrapStore {
        #first = true;
        override async isShredded(id: string): Promise<boolean> {
          const answer = await super.isShredded(id);
          if (this.#first) {
            this.#first = false;
            await new FolderKeyWrapStore(this.dir).shred(id);
          }
          return answer;
        }
      })(store.dir);
      await expectError(() => racing.add(recordId, someWraps(2)), KeyWrapStoreError, "SHREDDED");
      expect(await store.list(recordId)).to.deep.equal([]);
      expect((await readdir(store.dir)).filter((n) => !n.endsWith(".shredded"))).to.deep.equal([]);
    });

    it("shares wraps between two stores on the same folder", async function () {
      const dir = newDir();
      const recordId = randomRecordId();
      const wraps = someWraps(2);
      await new FolderKeyWrapStore(dir).add(recordId, wraps);
      expect(await new FolderKeyWrapStore(dir).list(recordId)).to.deep.equal(sorted(wraps));
      expect(await new FolderKeyWrapStore(dir).shred(recordId)).to.equal(2);
      expect(await new FolderKeyWrapStore(dir).list(recordId)).to.deep.equal([]);
    });
  });
});
