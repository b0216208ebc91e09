/**
 * Rule: every recipient is a consented party. The review's attack: a recipient given as a raw public
 * key was wrapped with no `hasAccess` check and no `logAccess` entry, even with a ConsentManager
 * configured — the same party given as an address was refused. Now, with consent configured, a raw key
 * is accepted only if the IdentityRegistry says it belongs to the patient (controller or guardian) or
 * to an operator of the writer's or a consented organisation, and it is then treated as that account:
 * checked, and its organisation's disclosure logged. Refused keys leave nothing behind.
 */
import { expect } from "chai";
import { SigningKey } from "ethers";
import { network } from "hardhat";

import { RecordsClient, RecordsClientError } from "../../../src/clients/records.ts";
import { encryptionPublicKeyParts, generateEncryptionKeyPair, RecordCryptoError } from "../../../src/crypto.ts";
import { relaySetEncryptionKey, signSetEncryptionKey } from "../../../src/identity.ts";
import { Category, categoryIndex, Purpose } from "../../../src/scopes.ts";
import { accessLogView } from "../../../src/views/consent.ts";
import { expectError } from "../../helpers/record-crypto.ts";
import { deploySdkConsent, syntheticCondition, withFreshStores } from "../../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function sdkFixture() {
  return deploySdkConsent(ethers);
}

async function setup() {
  return withFreshStores(await networkHelpers.loadFixture(sdkFixture));
}

type Fixture = Awaited<ReturnType<typeof setup>>;

/** The doctor publishes a CONDITIONS record for itself and `recipient`. */
function publishFor(f: Fixture, recipient: string, client: RecordsClient = f.recordsClient) {
  return client.connect(f.doctor).publish({
    resource: syntheticCondition(),
    patientId: f.patientId,
    category: "CONDITIONS",
    recipients: [f.doctor.address, recipient],
  });
}

/** Nothing of a refused publication stays: no blob, no anchor, no disclosure. */
async function expectNothingWritten(f: Fixture, blobsBefore: number, attempt: () => Promise<unknown>, why: RegExp) {
  const logBefore = (await accessLogView(f.consent, f.patientId, { fromBlock: f.fromBlock })).length;
  const error = await expectError(attempt, RecordsClientError, "NOT_COVERED");
  expect(error.message).to.match(why);
  expect(f.blobStore.size).to.equal(blobsBefore);
  expect((await accessLogView(f.consent, f.patientId, { fromBlock: f.fromBlock })).length).to.equal(logBefore);
}

describe("security: every recipient is a consented party", function () {
  it("the attack: the pharmacist's raw key (its pharmacy holds no grant) is refused as its address is", async function () {
    const f = await setup();
    const before = f.blobStore.size;
    await expectNothingWritten(f, before, () => publishFor(f, f.pharmacist.address), /holds no grant/);
    await expectNothingWritten(f, before, () => publishFor(f, f.keys.pharmacist.publicKey), /belongs to no account/);
    // Uncompressed, as ethers prints keys: the same point, the same refusal.
    const uncompressed = SigningKey.computePublicKey(f.keys.pharmacist.publicKey, false);
    await expectNothingWritten(f, before, () => publishFor(f, uncompressed), /belongs to no account/);
  });

  it("a key nobody published is refused (give the address, or have the reader publish its key)", async function () {
    const f = await setup();
    await expectNothingWritten(
      f,
      f.blobStore.size,
      () => publishFor(f, f.keys.stranger.publicKey),
      /published by no account/,
    );
  });

  it("a consented operator's raw key is that operator: wrapped, named in readers, and its disclosure logged", async function () {
    const f = await setup();
    const published = await publishFor(f, f.keys.labTech.publicKey);
    const lab = f.lab;
    expect(published.loggedFor).to.deep.equal([lab]);
    const reader = published.readers.find((r) => r.publicKey === f.keys.labTech.publicKey)!;
    expect(reader).to.include({ recipient: f.keys.labTech.publicKey, account: f.labTech.address, orgId: lab });
    const log = await accessLogView(f.consent, f.patientId, { fromBlock: f.fromBlock });
    expect(log.map((e) => [e.recipientOrg, e.recordId, e.custodianOrg, e.scopes, e.purpose])).to.deep.equal([
      [lab, published.recordId, f.hospital, Category.CONDITIONS, Purpose.TREATMENT],
    ]);
    const read = await f.recordsClient.fetch({
      recordId: published.recordId,
      patientId: f.patientId,
      privateKey: f.keys.labTech.privateKey,
    });
    expect(read.status).to.equal("active");
  });

  it("the lab's raw key is refused for a category the lab holds no grant for (MEDICATIONS)", async function () {
    const f = await setup();
    await expectNothingWritten(
      f,
      f.blobStore.size,
      () =>
        f.recordsClient.connect(f.doctor).publish({
          resource: syntheticCondition(),
          patientId: f.patientId,
          category: categoryIndex("MEDICATIONS"),
          recipients: [f.doctor.address, f.keys.labTech.publicKey],
        }),
      new RegExp(`category ${categoryIndex("MEDICATIONS")}`),
    );
  });

  it("a key its owner has replaced since is refused", async function () {
    const f = await setup();
    const replacement = generateEncryptionKeyPair();
    const { prefix, x } = encryptionPublicKeyParts(replacement.publicKey);
    await f.identity.connect(f.labTech).setEncryptionKey(prefix, x);
    await expectNothingWritten(
      f,
      f.blobStore.size,
      () => publishFor(f, f.keys.labTech.publicKey),
      /belongs to no account/,
    );
    const published = await publishFor(f, replacement.publicKey);
    expect(published.readers.map((r) => r.account)).to.deep.equal([f.doctor.address, f.labTech.address]);
  });

  it("the patient's key: refused until published, then published by signature (no ether) and accepted", async function () {
    const f = await setup();
    const { wallet, patientId } = await f.patientWithoutEther();
    const patientKey = generateEncryptionKeyPair();
    const asDoctor = f.recordsClient.connect(f.doctor);
    const publish = (recipient: string) =>
      asDoctor.publish({
        resource: syntheticCondition(),
        patientId,
        category: "CONDITIONS",
        recipients: [f.doctor.address, recipient],
      });
    await expectError(() => publish(patientKey.publicKey), RecordsClientError, "NOT_COVERED");

    const signed = await signSetEncryptionKey(f.identity, wallet, patientId, patientKey.publicKey);
    await relaySetEncryptionKey(f.relayer, f.identity, signed);
    expect(await ethers.provider.getBalance(wallet.address)).to.equal(0n);

    // The doctor's hospital needs this patient's grant to write for it (sent directly, so funded now).
    await f.rest[1].sendTransaction({ to: wallet.address, value: ethers.parseEther("1") });
    await f.consentClient.connect(wallet).grant(patientId, f.hospital, {
      scopes: ["CONDITIONS"],
      actions: ["READ", "WRITE"],
      purposes: ["TREATMENT"],
      expiresAt: f.expiresAt,
    });

    for (const recipient of [patientKey.publicKey, wallet.address]) {
      const published = await publish(recipient);
      expect(published.loggedFor).to.deep.equal([]); // the patient's side: nothing to log
      expect(published.readers[1]).to.include({ account: wallet.address, orgId: 0n, publicKey: patientKey.publicKey });
      const read = await f.recordsClient.fetch({
        recordId: published.recordId,
        patientId,
        privateKey: patientKey.privateKey,
      });
      expect(read.status).to.equal("active");
    }
    // The key is this patient's: for another patient's record it is nobody's who may read.
    await expectError(
      () =>
        asDoctor.publish({
          resource: syntheticCondition(),
          patientId: f.patientId,
          category: "CONDITIONS",
          recipients: [patientKey.publicKey],
        }),
      RecordsClientError,
      "NOT_COVERED",
    );
  });

  it("without a ConsentManager, raw keys are taken as given (the caller vouches for them)", async function () {
    const f = await setup();
    const { records, identity, blobStore, keyStore, fromBlock } = f;
    const bare = new RecordsClient({ records, identity, blobStore, keyStore, fromBlock });
    const published = await publishFor(f, f.keys.stranger.publicKey, bare);
    expect(published.loggedFor).to.deep.equal([]);
    expect(published.readers[1]).to.deep.include({ recipient: f.keys.stranger.publicKey, orgId: 0n });
    expect(published.readers[1]).to.not.have.property("account");
    const read = await bare.fetch({
      recordId: published.recordId,
      patientId: f.patientId,
      privateKey: f.keys.stranger.privateKey,
    });
    expect(read.status).to.equal("active");
    await expectError(
      () =>
        bare.fetch({ recordId: published.recordId, patientId: f.patientId, privateKey: f.keys.pharmacist.privateKey }),
      RecordCryptoError,
      "NOT_A_RECIPIENT",
    );
  });
});
