/**
 * The SDK's client of `RecordRegistry` (DESIGN §3): the whole round trip of an encrypted medical
 * record, wired to the chain.
 *
 * - `publish`: random record id → seal (encrypt into a blob, wrap the data key for each recipient,
 *   store both off chain; `records.ts`) → anchor the blob's content hash and a salted commitment to
 *   its locator on chain. Recipients are encryption public keys, or accounts whose key is read from
 *   `IdentityRegistry.encryptionKeyOf`; with a `ConsentManager`, an account of another organisation
 *   must hold a covering grant before anything is written, and each such disclosure is logged.
 * - `fetch`: read the anchor → (retracted: `RETRACTED`) → fetch the blob → check it hashes to the
 *   anchored hash → unwrap → decrypt; a superseded version opens, reported as such with its successor.
 * - `supersede`, `share` (one more reader, logged), `retract` (+ crypto-shredding of the key wraps).
 * - The patient's own anchor actions signed (EIP-712) and relayed by anyone: `signAnchor` /
 *   `relayAnchor`, `signSupersede` / `relaySupersede`, `signRetract` / `relayRetract`.
 *
 * @module
 */
import {
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  getAddress,
  hexlify,
  type Interface,
  isAddress,
  type Signer,
  randomBytes,
  ZeroHash,
} from "ethers";

import type { BlobStore } from "../blob-store.ts";
import { blobAddress } from "../blob-store.ts";
import {
  encryptionPublicKeyFromParts,
  encryptionPublicKeyParts,
  normalizeEncryptionPublicKey,
  type PrivateKeyInput,
  type RecipientWrap,
} from "../crypto.ts";
import { RecordAnchorTypes, RecordRetractTypes, RecordSupersedeTypes } from "../eip712.ts";
import { withDecodedErrors } from "../errors.ts";
import { commitment, randomSalt } from "../ids.ts";
import { type KeyWrapStore, normalizeRecordId } from "../key-store.ts";
import {
  addRecipients,
  type AnchoredRecordStatus,
  type JsonObject,
  openRecord,
  sealRecord,
  shredRecord,
} from "../records.ts";
import { type Relayer, type SignableContract, type SignedAction, signPatientAction } from "../relayer.ts";
import { recordVersionChain } from "../shredder.ts";
import { Action, Category, type CategoryName, CATEGORY_COUNT, Purpose, patientTag } from "../scopes.ts";
import type { ConsentManager, IdentityRegistry, RecordRegistry } from "../../typechain-types/index.ts";
import { type PurposeInput, purposeMask } from "./consent.ts";

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** `IRecordRegistry.RecordStatus`. */
export const RecordStatus = { None: 0, Live: 1, Superseded: 2, Retracted: 3 } as const;
/** The name of a record status (`Live`, `Superseded`, …). */
export type RecordStatusName = keyof typeof RecordStatus;

/** Why the records client refused (lower layers keep their own errors and codes, see `fetch`). */
export type RecordsClientErrorCode =
  /** No anchor exists for the record id. */
  | "UNKNOWN_RECORD"
  /** The anchor's patient tag is not that of the given patient. */
  | "OF_ANOTHER_PATIENT"
  /** A recipient account has published no encryption key in the IdentityRegistry. */
  | "NO_ENCRYPTION_KEY"
  /** A recipient is neither an address nor a secp256k1 public key. */
  | "INVALID_RECIPIENT"
  /** A recipient may not receive the record: its organisation holds no covering grant, or it is
   *  neither an organisation's operator nor the patient's controller or guardian; with a
   *  ConsentManager, also a raw public key no such account has published in the IdentityRegistry. */
  | "NOT_COVERED"
  /** A category is neither a category name nor a bit index below 16. */
  | "INVALID_CATEGORY";

/** A typed error of the {@link RecordsClient}. */
export class RecordsClientError extends Error {
  readonly code: RecordsClientErrorCode;

  constructor(code: RecordsClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = "RecordsClientError";
    this.code = code;
  }
}

/** Where the client keeps blobs and key wraps, and the contracts it talks to. */
export interface RecordsClientConfig {
  records: RecordRegistry;
  /** Read for recipients' encryption keys and organisations. */
  identity: IdentityRegistry;
  /** When given, recipients of other organisations must hold a grant, and disclosures are logged. */
  consent?: ConsentManager;
  blobStore: BlobStore;
  keyStore: KeyWrapStore;
  /** The block the RecordRegistry was deployed in: where event look-ups start (default 0). */
  fromBlock?: number;
}

/** A recipient: an encryption public key (33 or 65 bytes, hex), or an account's address. */
export type Recipient = string;

/** Arguments of {@link RecordsClient.publish}. */
export interface PublishParams {
  /** The record, e.g. a FHIR resource (a JSON object). */
  resource: object;
  patientId: bigint;
  /** The data category, by name or bit index. */
  category: CategoryName | number;
  /** Who may read it. Include the custodian's own key to add readers later (`share`). */
  recipients: readonly Recipient[];
  /** The purpose the recipients' grants must cover (default TREATMENT). */
  purpose?: PurposeInput;
  /** Pad the plaintext to a power-of-two bucket (default true). */
  padding?: boolean;
}

/** Arguments of {@link RecordsClient.supersede}: the category is the old version's. */
export interface SupersedeParams extends Omit<PublishParams, "category"> {
  /** The live record this version replaces. */
  oldRecordId: string;
}

/** What `publish` and `supersede` return. Keep `locator` and `locatorSalt` for whoever fetches. */
export interface PublishedRecord {
  recordId: string;
  patientId: bigint;
  /** The category's bit index. */
  category: number;
  /** keccak256 of the blob, anchored on chain. */
  contentHash: string;
  /** Where the blob store keeps the blob (off chain only). */
  locator: string;
  /** The salt of `locatorCommitment`. */
  locatorSalt: string;
  /** `keccak256(abi.encode(locatorSalt, locator))`, anchored in the event. */
  locatorCommitment: string;
  /** The record this one supersedes (ZeroHash for a first version). */
  supersedes: string;
  /** 1 for a first version. */
  version: number;
  /** The recipients' encryption public keys (compressed). */
  recipientKeys: string[];
  /** Which key wrap is whose, for the writer alone: keep it private (it names the readers the
   *  anonymous wraps hide) and pass a reader's `keyWrap` to {@link RecordsClient.revokeReader} to stop
   *  that reader's further reads. One entry per distinct key, in the order recipients were given. */
  readers: RecordReader[];
  /** Organisations whose disclosure was logged with `ConsentManager.logAccess`. */
  loggedFor: bigint[];
  receipt: ContractTransactionReceipt;
}

/** One reader of a published record, as only its writer knows it. */
export interface RecordReader {
  /** The recipient as given (an address, checksummed, or a public key). */
  recipient: string;
  /** The account whose published key this is (the address given, or found for a raw key); absent
   *  for a raw key when no ConsentManager is configured. */
  account?: string;
  /** Its organisation (0n: the patient's side or unknown). */
  orgId: bigint;
  /** Its encryption public key (compressed). */
  publicKey: string;
  /** The serialised key wrap made for it. */
  keyWrap: Uint8Array;
}

/** Arguments of {@link RecordsClient.fetch}. */
export interface FetchParams {
  recordId: string;
  patientId: bigint;
  /** The reader's encryption private key. */
  privateKey: PrivateKeyInput;
}

/** What {@link RecordsClient.fetch} returns. */
export interface FetchedRecord {
  resource: JsonObject;
  recordId: string;
  /** The verified content hash (equal to the anchored one). */
  contentHash: string;
  /** `active`, or `superseded` (it opens, but `supersededBy` is newer). */
  status: Exclude<AnchoredRecordStatus, "retracted">;
  /** The newer version, when superseded. */
  supersededBy?: string;
  version: number;
  category: number;
  /** 0 when the patient wrote it. */
  custodianOrg: bigint;
}

/** The EIP-712 `Anchor` message a patient signs (nonce and deadline are added by the signing helper). */
export type AnchorMessage = {
  recordId: string;
  patientId: bigint;
  category: number;
  contentHash: string;
  locatorCommitment: string;
};
/** The EIP-712 `Supersede` message a patient signs (for a record the patient anchored). */
export type SupersedeMessage = {
  oldRecordId: string;
  newRecordId: string;
  patientId: bigint;
  contentHash: string;
  locatorCommitment: string;
};
/** The EIP-712 `Retract` message a patient signs (erasure of any record about the patient). */
export type RetractMessage = { recordId: string; patientId: bigint; reasonHash: string };

/** An anchor as the chain holds it. */
export interface RecordAnchor {
  recordId: string;
  contentHash: string;
  patientTag: string;
  custodianOrg: bigint;
  category: number;
  status: RecordStatusName;
  version: number;
}

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────

/** A random, non-zero bytes32 record id. */
export function randomRecordId(): string {
  for (;;) {
    const id = hexlify(randomBytes(32));
    if (id !== ZeroHash) return id;
  }
}

/** A commitment to a blob locator: `keccak256(abi.encode(bytes32 salt, string locator))`. */
export function locatorCommitment(salt: string, locator: string): string {
  return commitment(salt, "string", locator);
}

/** A category's bit index from its name or index. @throws RecordsClientError `INVALID_CATEGORY`. */
export function toCategoryIndex(category: CategoryName | number): number {
  if (typeof category === "number") {
    if (!Number.isInteger(category) || category < 0 || category >= CATEGORY_COUNT) {
      throw new RecordsClientError("INVALID_CATEGORY", `category index ${category} is not below ${CATEGORY_COUNT}`);
    }
    return category;
  }
  const bit = (Category as Record<string, number | undefined>)[category];
  if (bit === undefined) throw new RecordsClientError("INVALID_CATEGORY", `unknown category ${String(category)}`);
  return Math.log2(bit);
}

function statusName(status: bigint | number): RecordStatusName {
  const names = Object.keys(RecordStatus) as RecordStatusName[];
  return names[Number(status)] ?? "None";
}

function anchoredStatus(status: RecordStatusName): AnchoredRecordStatus {
  if (status === "Retracted") return "retracted";
  if (status === "Superseded") return "superseded";
  return "active";
}

/** A recipient after resolution: its key, and the account and organisation behind it if known. */
interface ResolvedRecipient {
  recipient: string;
  account?: string;
  orgId: bigint;
  key: string;
}

/** Pairs each distinct recipient key with the wrap sealed for it. */
function readersOf(resolved: readonly ResolvedRecipient[], wraps: readonly RecipientWrap[]): RecordReader[] {
  const byKey = new Map(wraps.map((w) => [w.publicKey, w.keyWrap]));
  const seen = new Set<string>();
  const readers: RecordReader[] = [];
  for (const r of resolved) {
    if (seen.has(r.key)) continue;
    seen.add(r.key);
    const keyWrap = byKey.get(r.key) as Uint8Array; // sealRecord wrapped every distinct key
    readers.push({
      recipient: r.recipient,
      ...(r.account === undefined ? {} : { account: r.account }),
      orgId: r.orgId,
      publicKey: r.key,
      keyWrap,
    });
  }
  return readers;
}

// ─── client ──────────────────────────────────────────────────────────────────────────────────────

/** The round trip of encrypted records over one RecordRegistry, acting as its runner. */
export class RecordsClient {
  readonly records: RecordRegistry;
  readonly identity: IdentityRegistry;
  readonly consent: ConsentManager | undefined;
  readonly blobStore: BlobStore;
  readonly keyStore: KeyWrapStore;
  readonly fromBlock: number;

  constructor(config: RecordsClientConfig) {
    this.records = config.records;
    this.identity = config.identity;
    this.consent = config.consent;
    this.blobStore = config.blobStore;
    this.keyStore = config.keyStore;
    this.fromBlock = config.fromBlock ?? 0;
  }

  /** The same client (same stores) acting as another account. */
  connect(runner: ContractRunner): RecordsClient {
    return new RecordsClient({
      records: this.records.connect(runner),
      identity: this.identity.connect(runner),
      consent: this.consent?.connect(runner),
      blobStore: this.blobStore,
      keyStore: this.keyStore,
      fromBlock: this.fromBlock,
    });
  }

  /**
   * Encrypts, stores and anchors a new record. The runner is the patient (controller or guardian) or
   * an operator of a Provider or Lab holding a WRITE grant for the category. If anchoring fails, the
   * key wraps just written are shredded and the blob deleted.
   * @throws RecordsClientError (`NOT_COVERED`, `NO_ENCRYPTION_KEY`, `INVALID_RECIPIENT`,
   * `INVALID_CATEGORY`), `MedChainContractError` (e.g. `RecordWriterNotAuthorized`), and the errors of
   * `sealRecord`.
   */
  async publish(params: PublishParams): Promise<PublishedRecord> {
    const category = toCategoryIndex(params.category);
    return this.#write(params, category, ZeroHash, (recordId, contentHash, commit) =>
      this.records.anchor(recordId, params.patientId, category, contentHash, commit),
    );
  }

  /**
   * Encrypts, stores and anchors a new version of the live record `oldRecordId` (same patient and
   * category), which becomes Superseded on chain. The old version stays readable.
   */
  async supersede(params: SupersedeParams): Promise<PublishedRecord> {
    const old = await this.getAnchor(params.oldRecordId);
    this.#checkPatient(old, params.patientId);
    return this.#write(params, old.category, params.oldRecordId, (recordId, contentHash, commit) =>
      this.records.supersede(params.oldRecordId, recordId, params.patientId, contentHash, commit),
    );
  }

  /**
   * Fetches, verifies and decrypts a record: the anchor is read from the chain; a retracted record is
   * refused (`OffChainRecordError` `RETRACTED`) before anything is fetched; the blob must hash to the
   * anchored content hash (`HASH_MISMATCH` otherwise, e.g. a tampered or swapped blob); then the
   * reader's key wrap is unwrapped (`RecordCryptoError` `NOT_A_RECIPIENT`, or `SHREDDED` once the
   * wraps are destroyed) and the blob decrypted with `(recordId, patientId)` as AAD.
   * @throws RecordsClientError `UNKNOWN_RECORD`, `OF_ANOTHER_PATIENT`; `OffChainRecordError`;
   * `RecordCryptoError`; `BlobStoreError`; `KeyWrapStoreError`.
   */
  async fetch(params: FetchParams): Promise<FetchedRecord> {
    const anchor = await this.getAnchor(params.recordId);
    this.#checkPatient(anchor, params.patientId);
    const opened = await openRecord(this.blobStore, this.keyStore, {
      recordId: anchor.recordId,
      patientId: params.patientId,
      privateKey: params.privateKey,
      expectedHash: anchor.contentHash,
      status: () => anchoredStatus(anchor.status),
    });
    const status = opened.status === "superseded" ? "superseded" : "active";
    const fetched: FetchedRecord = {
      resource: opened.resource,
      recordId: anchor.recordId,
      contentHash: opened.contentHash,
      status,
      version: anchor.version,
      category: anchor.category,
      custodianOrg: anchor.custodianOrg,
    };
    if (status === "superseded") {
      const next = await this.supersededBy(anchor.recordId);
      if (next !== undefined) fetched.supersededBy = next;
    }
    return fetched;
  }

  /**
   * Lets one more account read an existing record: the disclosure is first logged on chain
   * (`ConsentManager.logAccess`, which reverts unless the account's organisation is covered for
   * `purpose`), then the data key is wrapped for the account's published encryption key. The runner
   * operates the record's custodian and `privateKey` is a current recipient's (the custodian's).
   */
  async share(params: {
    recordId: string;
    patientId: bigint;
    privateKey: PrivateKeyInput;
    recipient: string;
    purpose?: PurposeInput;
  }): Promise<{ recipientKey: string; keyWraps: Uint8Array[]; receipt: ContractTransactionReceipt }> {
    if (this.consent === undefined) throw new Error("RecordsClient.share needs a ConsentManager");
    const anchor = await this.getAnchor(params.recordId);
    this.#checkPatient(anchor, params.patientId);
    const consent = this.consent;
    const orgId = await this.identity.organizationOf(getAddress(params.recipient));
    if (orgId === 0n) throw new RecordsClientError("NOT_COVERED", `${params.recipient} operates no organisation`);
    const recipientKey = await this.#encryptionKeyOf(params.recipient);
    const scopes = 1 << anchor.category;
    const purpose = purposeMask(params.purpose ?? Purpose.TREATMENT);
    const receipt = await this.#send(() =>
      consent.logAccess(params.patientId, orgId, anchor.recordId, scopes, purpose),
    );
    const { keyWraps } = await addRecipients(this.blobStore, this.keyStore, {
      recordId: anchor.recordId,
      patientId: params.patientId,
      contentHash: anchor.contentHash,
      privateKey: params.privateKey,
      recipients: [recipientKey],
    });
    return { recipientKey, keyWraps, receipt };
  }

  /**
   * Retracts a record on chain (its custodian's operator, or the patient), then crypto-shreds its
   * whole version chain (see {@link RecordsClient.shred}), so no copy of any version's blob can be
   * decrypted any more. A `RecordShredder` over the same key store does the same from the event, if
   * this client's shred fails or another client retracted.
   */
  async retract(params: {
    recordId: string;
    patientId: bigint;
    reasonHash?: string;
  }): Promise<{ receipt: ContractTransactionReceipt; shreddedWraps: number }> {
    const receipt = await this.#send(() =>
      this.records.retract(params.recordId, params.patientId, params.reasonHash ?? ZeroHash),
    );
    return { receipt, shreddedWraps: await this.shred(params.recordId) };
  }

  /**
   * Stops one reader's further reads of a record version: deletes the reader's key wraps (from
   * `publish`'s `readers`, or `share`'s `keyWraps`) from the key store. Nothing goes on chain and the
   * other readers keep theirs; the reader may still hold what it already decrypted. To stop an
   * organisation's reads of future versions too, the patient revokes its grant (`ConsentManager`).
   * @returns how many wraps were deleted (0: none was there).
   */
  async revokeReader(params: { recordId: string; keyWraps: readonly Uint8Array[] }): Promise<number> {
    return this.keyStore.remove(params.recordId, params.keyWraps);
  }

  // ── the patient's record actions, signed (EIP-712) and relayed by anyone ──
  // Each signature covers the patient's current nonce in the RecordRegistry, so any later patient
  // action there, direct or signed, voids it; the signer's authority is checked when it is relayed.

  /** The patient's EIP-712 signature of an anchor of its own record (`anchorWithSig`). */
  async signAnchor(
    patientSigner: Signer,
    message: AnchorMessage,
    options: { ttlSeconds?: bigint } = {},
  ): Promise<SignedAction<AnchorMessage>> {
    const m = {
      ...message,
      recordId: normalizeRecordId(message.recordId),
      category: toCategoryIndex(message.category),
    };
    return signPatientAction(this.#signable(), patientSigner, RecordAnchorTypes, m, options.ttlSeconds);
  }

  /** The patient's EIP-712 signature of a new version of a record the patient anchored. */
  async signSupersede(
    patientSigner: Signer,
    message: SupersedeMessage,
    options: { ttlSeconds?: bigint } = {},
  ): Promise<SignedAction<SupersedeMessage>> {
    return signPatientAction(this.#signable(), patientSigner, RecordSupersedeTypes, message, options.ttlSeconds);
  }

  /** The patient's EIP-712 signature of a retraction (erasure) of a record about it. */
  async signRetract(
    patientSigner: Signer,
    message: RetractMessage,
    options: { ttlSeconds?: bigint } = {},
  ): Promise<SignedAction<RetractMessage>> {
    return signPatientAction(this.#signable(), patientSigner, RecordRetractTypes, message, options.ttlSeconds);
  }

  /** Submits a signed anchor (`anchorWithSig`) from the relayer's account. */
  async relayAnchor(relayer: Relayer, signed: SignedAction<AnchorMessage>): Promise<ContractTransactionReceipt> {
    const m = signed.message;
    return relayer.relay(this.records, "anchorWithSig", [
      m.recordId,
      m.patientId,
      m.category,
      m.contentHash,
      m.locatorCommitment,
      signed.signer,
      m.nonce,
      m.deadline,
      signed.signature,
    ]);
  }

  /** Submits a signed new version (`supersedeWithSig`). */
  async relaySupersede(relayer: Relayer, signed: SignedAction<SupersedeMessage>): Promise<ContractTransactionReceipt> {
    const m = signed.message;
    return relayer.relay(this.records, "supersedeWithSig", [
      m.oldRecordId,
      m.newRecordId,
      m.patientId,
      m.contentHash,
      m.locatorCommitment,
      signed.signer,
      m.nonce,
      m.deadline,
      signed.signature,
    ]);
  }

  /**
   * Submits a signed retraction (`retractWithSig`; works while paused), then crypto-shreds the
   * record's key wraps held in this client's key store.
   */
  async relayRetract(
    relayer: Relayer,
    signed: SignedAction<RetractMessage>,
  ): Promise<{ receipt: ContractTransactionReceipt; shreddedWraps: number }> {
    const m = signed.message;
    const receipt = await relayer.relay(this.records, "retractWithSig", [
      m.recordId,
      m.patientId,
      m.reasonHash,
      signed.signer,
      m.nonce,
      m.deadline,
      signed.signature,
    ]);
    return { receipt, shreddedWraps: await this.shred(m.recordId) };
  }

  /** The nonce the patient's next signature to the RecordRegistry must cover. */
  async nonce(patientId: bigint): Promise<bigint> {
    return this.records.nonces(patientId);
  }

  /**
   * Destroys every key wrap (crypto-shredding, with a tombstone) of every version of `recordId`'s
   * chain — earlier and later versions alike, an erasure request's default — without touching the
   * chain. `onlyThisVersion` shreds `recordId` alone.
   * @returns how many wraps were destroyed.
   */
  async shred(recordId: string, options: { onlyThisVersion?: boolean } = {}): Promise<number> {
    return shredRecord(this.keyStore, options.onlyThisVersion ? recordId : await this.versionChain(recordId));
  }

  /** Every version of the chain `recordId` belongs to, oldest first (from the registry's events). */
  async versionChain(recordId: string): Promise<string[]> {
    return recordVersionChain(this.records, recordId, { fromBlock: this.fromBlock });
  }

  /** Whether `bytes` are the registered content of `recordId`, and the record's status (`verify`). */
  async verifyBlob(recordId: string, bytes: Uint8Array): Promise<{ matches: boolean; status: RecordStatusName }> {
    const [matches, status] = await this.records.verify(recordId, blobAddress(bytes));
    return { matches, status: statusName(status) };
  }

  /** The anchor of `recordId`. @throws RecordsClientError `UNKNOWN_RECORD`. */
  async getAnchor(recordId: string): Promise<RecordAnchor> {
    const id = normalizeRecordId(recordId);
    const r = await this.records.getRecord(id);
    const status = statusName(r.status);
    if (status === "None") throw new RecordsClientError("UNKNOWN_RECORD", `no record ${id} is anchored`);
    return {
      recordId: id,
      contentHash: r.contentHash,
      patientTag: r.patientTag,
      custodianOrg: r.custodianOrg,
      category: Number(r.category),
      status,
      version: Number(r.version),
    };
  }

  /** The record that superseded `recordId` (from the `RecordSuperseded` event), if any. */
  async supersededBy(recordId: string): Promise<string | undefined> {
    const events = await this.records.queryFilter(this.records.filters.RecordSuperseded(recordId), this.fromBlock);
    return events.at(-1)?.args.newRecordId;
  }

  // ── internals ──

  #signable(): SignableContract {
    return this.records as unknown as SignableContract;
  }

  #checkPatient(anchor: RecordAnchor, patientId: bigint): void {
    if (anchor.patientTag.toLowerCase() !== patientTag(anchor.recordId, patientId)) {
      throw new RecordsClientError("OF_ANOTHER_PATIENT", `record ${anchor.recordId} is not the given patient's`);
    }
  }

  async #write(
    params: Omit<PublishParams, "category">,
    category: number,
    supersedes: string,
    anchor: (recordId: string, contentHash: string, commit: string) => Promise<ContractTransactionResponse>,
  ): Promise<PublishedRecord> {
    const purpose = purposeMask(params.purpose ?? Purpose.TREATMENT);
    const resolved = await this.#resolveRecipients(params.recipients, params.patientId, category, purpose);
    const recipientKeys = [...new Set(resolved.map((r) => r.key))];
    const recordId = randomRecordId();
    const sealed = await sealRecord(this.blobStore, this.keyStore, {
      resource: params.resource,
      recordId,
      patientId: params.patientId,
      recipients: recipientKeys,
      padding: params.padding,
    });
    const salt = randomSalt();
    const commit = locatorCommitment(salt, sealed.locator);
    let receipt: ContractTransactionReceipt;
    try {
      receipt = await this.#send(() => anchor(recordId, sealed.contentHash, commit));
    } catch (error) {
      await shredRecord(this.keyStore, recordId);
      await this.blobStore.delete(sealed.contentHash);
      throw error;
    }
    const written = await this.getAnchor(recordId);
    const loggedFor: bigint[] = [];
    const consent = this.consent;
    if (consent !== undefined && written.custodianOrg !== 0n) {
      const others = new Set(resolved.map((r) => r.orgId).filter((o) => o !== 0n && o !== written.custodianOrg));
      for (const orgId of others) {
        await this.#send(() => consent.logAccess(params.patientId, orgId, recordId, 1 << category, purpose));
        loggedFor.push(orgId);
      }
    }
    return {
      recordId,
      patientId: params.patientId,
      category,
      contentHash: sealed.contentHash,
      locator: sealed.locator,
      locatorSalt: salt,
      locatorCommitment: commit,
      supersedes,
      version: written.version,
      recipientKeys,
      readers: readersOf(resolved, sealed.readers),
      loggedFor,
      receipt,
    };
  }

  /**
   * Turns recipients into encryption keys, checking each against the chain when a ConsentManager is
   * configured: an account of another organisation than the writer's must hold a grant covering READ
   * of the category for `purpose`; an account of no organisation must act for the patient (controller
   * or guardian). A raw public key is accepted only if an account passing those rules has it
   * published in the IdentityRegistry (found from its `EncryptionKeySet` events), and is then that
   * account — so its organisation's disclosure is logged like an address's. Without a ConsentManager,
   * raw keys are taken as given (the caller vouches for them).
   */
  async #resolveRecipients(
    recipients: readonly Recipient[],
    patientId: bigint,
    category: number,
    purpose: number,
  ): Promise<ResolvedRecipient[]> {
    const runner = this.records.runner as { getAddress?: () => Promise<string> } | null;
    const writer = typeof runner?.getAddress === "function" ? await runner.getAddress() : undefined;
    const writerOrg = writer === undefined ? 0n : await this.identity.organizationOf(writer);
    const rule = { patientId, category, purpose, writerOrg };
    const out: ResolvedRecipient[] = [];
    for (const recipient of recipients) {
      if (isAddress(recipient)) {
        const account = getAddress(recipient);
        const { orgId, refusal } = await this.#judgeRecipient(account, rule);
        if (refusal !== undefined) throw new RecordsClientError("NOT_COVERED", refusal);
        out.push({ recipient: account, account, orgId, key: await this.#encryptionKeyOf(account) });
        continue;
      }
      let key: string;
      try {
        key = normalizeEncryptionPublicKey(recipient);
      } catch (cause) {
        throw new RecordsClientError("INVALID_RECIPIENT", `${recipient} is neither an address nor a public key`, {
          cause,
        });
      }
      if (this.consent === undefined) {
        out.push({ recipient, orgId: 0n, key });
        continue;
      }
      out.push({ recipient, key, ...(await this.#ownerOfKey(key, rule)) });
    }
    return out;
  }

  /** A recipient account's organisation, and why the consent rules refuse it (see `#resolveRecipients`). */
  async #judgeRecipient(
    account: string,
    rule: { patientId: bigint; category: number; purpose: number; writerOrg: bigint },
  ): Promise<{ orgId: bigint; refusal?: string }> {
    const orgId = await this.identity.organizationOf(account);
    if (this.consent === undefined) return { orgId };
    let refusal: string | undefined;
    if (orgId === 0n) {
      if (!(await this.identity.canActForPatient(account, rule.patientId))) {
        refusal = `${account} is no organisation's operator nor the patient's`;
      }
    } else if (orgId !== rule.writerOrg) {
      const covered = await this.consent.hasAccess(
        rule.patientId,
        orgId,
        1 << rule.category,
        Action.READ,
        rule.purpose,
      );
      if (!covered) {
        refusal = `organisation ${orgId} (${account}) holds no grant to read category ${rule.category} for purpose ${rule.purpose}`;
      }
    }
    return refusal === undefined ? { orgId } : { orgId, refusal };
  }

  /** The account that published `key` and may receive the record, or `NOT_COVERED`. */
  async #ownerOfKey(
    key: string,
    rule: { patientId: bigint; category: number; purpose: number; writerOrg: bigint },
  ): Promise<{ account: string; orgId: bigint }> {
    const { prefix, x } = encryptionPublicKeyParts(key);
    const events = await this.identity.queryFilter(this.identity.filters.EncryptionKeySet(), this.fromBlock);
    const candidates = new Set<string>();
    for (const event of events) {
      if (event.args.prefix.toLowerCase() === prefix && event.args.x.toLowerCase() === x) {
        candidates.add(getAddress(event.args.account));
      }
    }
    for (const account of candidates) {
      const [nowPrefix, nowX] = await this.identity.encryptionKeyOf(account);
      if (nowPrefix.toLowerCase() !== prefix || nowX.toLowerCase() !== x) continue; // replaced since
      const { orgId, refusal } = await this.#judgeRecipient(account, rule);
      if (refusal === undefined) return { account, orgId };
    }
    throw new RecordsClientError(
      "NOT_COVERED",
      candidates.size === 0
        ? `public key ${key} is published by no account in the IdentityRegistry: give the reader's address, or have it publish the key`
        : `public key ${key} belongs to no account that may read category ${rule.category} of this patient for purpose ${rule.purpose}`,
    );
  }

  async #encryptionKeyOf(account: string): Promise<string> {
    const [prefix, x] = await this.identity.encryptionKeyOf(account);
    if (prefix === "0x00") {
      throw new RecordsClientError("NO_ENCRYPTION_KEY", `${account} has published no encryption key`);
    }
    return encryptionPublicKeyFromParts({ prefix, x });
  }

  async #send(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    const interfaces: Interface[] = [this.records.interface, this.identity.interface];
    if (this.consent !== undefined) interfaces.push(this.consent.interface);
    return withDecodedErrors(
      async () => {
        const receipt = await (await call()).wait();
        if (!receipt) throw new Error("RecordsClient: the transaction was dropped");
        return receipt;
      },
      ...interfaces,
    );
  }
}
