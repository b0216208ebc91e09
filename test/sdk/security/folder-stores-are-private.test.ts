/**
 * Rule: folder stores are private. A blob or key-wrap store's root folder is 0700 — created so, and
 * an existing root that lets the group or others in (made by hand, a loose umask, a restored backup)
 * is tightened to 0700 on first use, so a record's wraps are never readable by another local user.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { keccak256 } from "ethers";

import { expect } from "chai";

import { encryptRecord, generateEncryptionKeyPair } from "../../../src/crypto.ts";
import { FolderBlobStore, FolderKeyWrapStore } from "../../../src/node.ts";
import { randomPatientId, randomRecordId } from "../../helpers/record-crypto.ts";

function someWraps(n: number): Uint8Array[] {
  const recipients = Array.from({ length: n }, () => generateEncryptionKeyPair().publicKey);
  return encryptRecord({ plaintext: "x", recordId: randomRecordId(), patientId: randomPatientId(), recipients })
    .keyWraps;
}

describe("security: folder stores are private (0700 roots)", function () {
  let root: string;

  beforeEach(async function () {
    root = await mkdtemp(join(tmpdir(), "medchain-private-"));
  });

  afterEach(async function () {
    await rm(root, { recursive: true, force: true });
  });

  it("tightens an existing root folder to 0700 (blob and key-wrap stores alike)", async function () {
    if (process.platform === "win32") this.skip();
    const keysDir = join(root, "keys");
    await mkdir(keysDir, { mode: 0o755 });
    await chmod(keysDir, 0o755);
    await new FolderKeyWrapStore(keysDir).add(randomRecordId(), someWraps(1));
    expect((await stat(keysDir)).mode & 0o777).to.equal(0o700);
    // A read-only use tightens it too.
    await chmod(keysDir, 0o777);
    expect(await new FolderKeyWrapStore(keysDir).list(randomRecordId())).to.deep.equal([]);
    expect((await stat(keysDir)).mode & 0o777).to.equal(0o700);

    const blobsDir = join(root, "blobs");
    await mkdir(blobsDir, { mode: 0o775 });
    await chmod(blobsDir, 0o775);
    await new FolderBlobStore(blobsDir).put(randomBytes(40));
    expect((await stat(blobsDir)).mode & 0o777).to.equal(0o700);
    await chmod(blobsDir, 0o750);
    await new FolderBlobStore(blobsDir).has(keccak256(randomBytes(8))).catch(() => undefined);
    await new FolderBlobStore(blobsDir).get(keccak256(randomBytes(8))).catch(() => undefined);
    expect((await stat(blobsDir)).mode & 0o777).to.equal(0o700);
    // A new root is created 0700.
    const fresh = join(root, "fresh", "blobs");
    await new FolderBlobStore(fresh).put(randomBytes(40));
    expect((await stat(fresh)).mode & 0o777).to.equal(0o700);
  });
});
