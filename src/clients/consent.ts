/**
 * The SDK's client of `ConsentManager` (DESIGN §2): grants, revocations and the deny mask, sent
 * directly by the patient's account or signed (EIP-712) by the patient and relayed by anyone, so a
 * patient never needs ether; `hasAccess`; break-glass and the audit log; and the helpers that turn
 * category, action and purpose names into the contract's bitmasks and back (twins of `Scopes.sol`,
 * through `src/scopes.ts`).
 *
 * Every call that the chain refuses with a custom error throws a `MedChainContractError` naming it.
 *
 * @module
 */
import type { ContractRunner, ContractTransactionReceipt, ContractTransactionResponse, Signer } from "ethers";

import { ConsentGrantTypes, ConsentRevokeTypes, ConsentSetDenyMaskTypes } from "../eip712.ts";
import { withDecodedErrors } from "../errors.ts";
import { type Relayer, type SignableContract, type SignedAction, signPatientAction } from "../relayer.ts";
import { Action, Category, type CategoryName, covers, EmergencyPolicy, Purpose, type PurposeName } from "../scopes.ts";
import type { ConsentManager } from "../../typechain-types/index.ts";

// ─── names ↔ bits ────────────────────────────────────────────────────────────────────────────────

/** The name of an action bit (`READ`, `WRITE`). */
export type ActionName = keyof typeof Action;
/** The name of an emergency policy flag (`OPT_OUT`, `OVERRIDES_DENY`). */
export type EmergencyPolicyName = keyof typeof EmergencyPolicy;

/** A mask given as a number, or as the names of its bits. */
export type CategoryInput = number | readonly CategoryName[];
/** An action mask given as a number, or as the names of its bits. */
export type ActionInput = number | readonly ActionName[];
/** A purpose mask given as a number, or as the names of its bits. */
export type PurposeInput = number | readonly PurposeName[];
/** Emergency policy flags given as a number, or as their names. */
export type EmergencyPolicyInput = number | readonly EmergencyPolicyName[];

function maskOf<K extends string>(table: Readonly<Record<K, number>>, kind: string, input: number | readonly K[]) {
  if (typeof input === "number") return input;
  let mask = 0;
  for (const name of input) {
    const bit = (table as Record<string, number | undefined>)[name];
    if (bit === undefined) throw new TypeError(`unknown ${kind} name: ${String(name)}`);
    mask |= bit;
  }
  return mask;
}

function namesOf<K extends string>(table: Readonly<Record<K, number>>, mask: number | bigint): K[] {
  const m = Number(mask);
  return (Object.keys(table) as K[]).filter((name) => (m & table[name]) !== 0);
}

/** The category mask of `input` (names or a mask). @throws TypeError on an unknown name. */
export function categoryMask(input: CategoryInput): number {
  return maskOf(Category, "category", input);
}
/** The action mask of `input` (names or a mask). @throws TypeError on an unknown name. */
export function actionMask(input: ActionInput): number {
  return maskOf(Action, "action", input);
}
/** The purpose mask of `input` (names or a mask). @throws TypeError on an unknown name. */
export function purposeMask(input: PurposeInput): number {
  return maskOf(Purpose, "purpose", input);
}
/** The emergency-policy flags of `input` (names or flags). @throws TypeError on an unknown name. */
export function emergencyPolicyMask(input: EmergencyPolicyInput): number {
  return maskOf(EmergencyPolicy, "emergency policy", input);
}

/** The names of the categories in `mask`, in bit order (bits outside the 16 categories are ignored). */
export function categoryNames(mask: number | bigint): CategoryName[] {
  return namesOf(Category, mask);
}
/** The names of the actions in `mask`. */
export function actionNames(mask: number | bigint): ActionName[] {
  return namesOf(Action, mask);
}
/** The names of the purposes in `mask`. */
export function purposeNames(mask: number | bigint): PurposeName[] {
  return namesOf(Purpose, mask);
}
/** The names of the emergency-policy flags in `flags`. */
export function emergencyPolicyNames(flags: number | bigint): EmergencyPolicyName[] {
  return namesOf(EmergencyPolicy, flags);
}

// ─── types ───────────────────────────────────────────────────────────────────────────────────────

/** Terms of a grant, masks by name or number. */
export interface GrantTermsInput {
  scopes: CategoryInput;
  /** Default READ. */
  actions?: ActionInput;
  purposes: PurposeInput;
  /** Start of the window, unix seconds (default 0: now). */
  notBefore?: bigint;
  /** End of the window (exclusive), unix seconds. */
  expiresAt: bigint;
}

/** A grant's terms as the contract stores them (`IConsentManager.Grant`). */
export interface GrantTerms {
  scopes: number;
  actions: number;
  purposes: number;
  notBefore: bigint;
  expiresAt: bigint;
}

/** What a custodian asks before serving data (`hasAccess`). Each part non-empty. */
export interface AccessRequest {
  scopes: CategoryInput;
  /** Default READ. */
  action?: ActionInput;
  purpose: PurposeInput;
}

/** The EIP-712 `Grant` message a patient signs (nonce and deadline are added by the signing helper). */
export type GrantMessage = {
  patientId: bigint;
  granteeOrg: bigint;
  scopes: number;
  actions: number;
  purposes: number;
  notBefore: bigint;
  expiresAt: bigint;
};
/** The EIP-712 `Revoke` message a patient signs. */
export type RevokeMessage = { patientId: bigint; granteeOrg: bigint };
/** The EIP-712 `SetDenyMask` message a patient signs. */
export type SetDenyMaskMessage = { patientId: bigint; denyMask: number; emergencyPolicy: number };

/** Options of the `sign…` helpers. */
export interface SignOptions {
  /** How long the signature stays valid, by the chain's clock (default 1 h). */
  ttlSeconds?: bigint;
}

/** Normalises grant terms to the contract's form. @throws TypeError on an unknown name. */
export function grantTerms(input: GrantTermsInput): GrantTerms {
  return {
    scopes: categoryMask(input.scopes),
    actions: actionMask(input.actions ?? Action.READ),
    purposes: purposeMask(input.purposes),
    notBefore: input.notBefore ?? 0n,
    expiresAt: input.expiresAt,
  };
}

/** The state `hasAccess` reads, as an indexer or a cached read holds it. */
export interface AccessState {
  /** The grant (zero terms or undefined when none). */
  grant: GrantTerms | undefined;
  /** The patient's deny mask. */
  denyMask: number;
  /** Whether the grantee organisation is active in the IdentityRegistry. */
  granteeActive: boolean;
  /** The time to evaluate at (unix seconds): the block time for a twin of the contract's answer. */
  now: bigint;
}

/**
 * TypeScript twin of `ConsentManager.hasAccess`: whether `state` allows `request` at `state.now`. A
 * test asserts it agrees with the contract. Evaluate it on the grant read with `getGrant` (events
 * carry redacted scopes, which widen a RESTRICTED member to the whole group).
 */
export function accessAllowed(state: AccessState, request: AccessRequest): boolean {
  const g = state.grant;
  if (g === undefined) return false;
  const scopes = categoryMask(request.scopes);
  return (
    covers(g.scopes, scopes) &&
    covers(g.actions, actionMask(request.action ?? Action.READ)) &&
    covers(g.purposes, purposeMask(request.purpose)) &&
    g.notBefore <= state.now &&
    state.now < g.expiresAt &&
    (scopes & state.denyMask) === 0 &&
    state.granteeActive
  );
}

// ─── client ──────────────────────────────────────────────────────────────────────────────────────

/** A typed client of one `ConsentManager` deployment, acting as the contract's runner. */
export class ConsentClient {
  constructor(readonly contract: ConsentManager) {}

  /** The same client acting as another account (a patient, a custodian's operator, …). */
  connect(runner: ContractRunner): ConsentClient {
    return new ConsentClient(this.contract.connect(runner));
  }

  // ── direct patient actions (the runner is a controller or guardian of the patient) ──

  /** Grants (or replaces the grant of) `granteeOrg`. Consumes the patient's nonce. */
  async grant(patientId: bigint, granteeOrg: bigint, terms: GrantTermsInput): Promise<ContractTransactionReceipt> {
    const t = grantTerms(terms);
    return this.#send(() =>
      this.contract.grant(patientId, granteeOrg, t.scopes, t.actions, t.purposes, t.notBefore, t.expiresAt),
    );
  }

  /** Revokes `granteeOrg`'s grant (works while the contract is paused). */
  async revoke(patientId: bigint, granteeOrg: bigint): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.revoke(patientId, granteeOrg));
  }

  /** Sets the categories never shared whatever the grants, and the emergency policy (default none). */
  async setDenyMask(
    patientId: bigint,
    denyMask: CategoryInput,
    emergencyPolicy: EmergencyPolicyInput = 0,
  ): Promise<ContractTransactionReceipt> {
    const mask = categoryMask(denyMask);
    const policy = emergencyPolicyMask(emergencyPolicy);
    return this.#send(() => this.contract.setDenyMask(patientId, mask, policy));
  }

  // ── signed patient actions (EIP-712) and their relaying ──

  /**
   * The patient's EIP-712 signature of a grant, for the patient's current nonce (so any later patient
   * action, direct or signed, voids it) and a deadline `ttlSeconds` from now.
   */
  async signGrant(
    patientSigner: Signer,
    patientId: bigint,
    granteeOrg: bigint,
    terms: GrantTermsInput,
    options: SignOptions = {},
  ): Promise<SignedAction<GrantMessage>> {
    const message: GrantMessage = { patientId, granteeOrg, ...grantTerms(terms) };
    return signPatientAction(this.#signable(), patientSigner, ConsentGrantTypes, message, options.ttlSeconds);
  }

  /** The patient's EIP-712 signature of a revocation. */
  async signRevoke(
    patientSigner: Signer,
    patientId: bigint,
    granteeOrg: bigint,
    options: SignOptions = {},
  ): Promise<SignedAction<RevokeMessage>> {
    const message: RevokeMessage = { patientId, granteeOrg };
    return signPatientAction(this.#signable(), patientSigner, ConsentRevokeTypes, message, options.ttlSeconds);
  }

  /** The patient's EIP-712 signature of a deny mask and emergency policy. */
  async signSetDenyMask(
    patientSigner: Signer,
    patientId: bigint,
    denyMask: CategoryInput,
    emergencyPolicy: EmergencyPolicyInput = 0,
    options: SignOptions = {},
  ): Promise<SignedAction<SetDenyMaskMessage>> {
    const message: SetDenyMaskMessage = {
      patientId,
      denyMask: categoryMask(denyMask),
      emergencyPolicy: emergencyPolicyMask(emergencyPolicy),
    };
    return signPatientAction(this.#signable(), patientSigner, ConsentSetDenyMaskTypes, message, options.ttlSeconds);
  }

  /** Submits a signed grant (`grantWithSig`, with the nonce the signature covers) from the relayer's account. */
  async relayGrant(relayer: Relayer, signed: SignedAction<GrantMessage>): Promise<ContractTransactionReceipt> {
    const m = signed.message;
    const terms = {
      scopes: m.scopes,
      actions: m.actions,
      purposes: m.purposes,
      notBefore: m.notBefore,
      expiresAt: m.expiresAt,
    };
    return relayer.relay(this.contract, "grantWithSig", [
      m.patientId,
      m.granteeOrg,
      terms,
      signed.signer,
      m.nonce,
      m.deadline,
      signed.signature,
    ]);
  }

  /** Submits a signed revocation (`revokeWithSig`). */
  async relayRevoke(relayer: Relayer, signed: SignedAction<RevokeMessage>): Promise<ContractTransactionReceipt> {
    const m = signed.message;
    return relayer.relay(this.contract, "revokeWithSig", [
      m.patientId,
      m.granteeOrg,
      signed.signer,
      m.nonce,
      m.deadline,
      signed.signature,
    ]);
  }

  /** Submits a signed deny mask (`setDenyMaskWithSig`). */
  async relaySetDenyMask(
    relayer: Relayer,
    signed: SignedAction<SetDenyMaskMessage>,
  ): Promise<ContractTransactionReceipt> {
    const m = signed.message;
    return relayer.relay(this.contract, "setDenyMaskWithSig", [
      m.patientId,
      m.denyMask,
      m.emergencyPolicy,
      signed.signer,
      m.nonce,
      m.deadline,
      signed.signature,
    ]);
  }

  // ── custodians and providers ──

  /**
   * Logs a disclosure of `recordId` to `recipientOrg` (the runner operates the record's custodian).
   * Reverts unless the recipient's grant (or, for EMERGENCY, open break-glass access) covers it.
   */
  async logAccess(
    patientId: bigint,
    recipientOrg: bigint,
    recordId: string,
    scopes: CategoryInput,
    purpose: PurposeInput,
  ): Promise<ContractTransactionReceipt> {
    const s = categoryMask(scopes);
    const p = purposeMask(purpose);
    return this.#send(() => this.contract.logAccess(patientId, recipientOrg, recordId, s, p));
  }

  /** Opens break-glass READ access for the runner's Provider; returns the access id. */
  async openEmergencyAccess(
    patientId: bigint,
    reasonHash: string,
  ): Promise<{ accessId: bigint; receipt: ContractTransactionReceipt }> {
    const receipt = await this.#send(() => this.contract.openEmergencyAccess(patientId, Action.READ, reasonHash));
    for (const log of receipt.logs) {
      const parsed = this.contract.interface.parseLog(log);
      if (parsed?.name === "EmergencyAccessOpened") return { accessId: parsed.args.accessId as bigint, receipt };
    }
    throw new Error("openEmergencyAccess: no EmergencyAccessOpened event in the receipt");
  }

  /** Closes an open break-glass access early (the opening organisation, or the patient's side). */
  async closeEmergencyAccess(accessId: bigint): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.closeEmergencyAccess(accessId));
  }

  /** Records the hash of a break-glass access's justification. */
  async justifyEmergencyAccess(accessId: bigint, justificationHash: string): Promise<ContractTransactionReceipt> {
    return this.#send(() => this.contract.justifyEmergencyAccess(accessId, justificationHash));
  }

  // ── views ──

  /** Whether `granteeOrg` may now do `request` with `patientId`'s data (`hasAccess`). */
  async hasAccess(patientId: bigint, granteeOrg: bigint, request: AccessRequest): Promise<boolean> {
    return this.contract.hasAccess(
      patientId,
      granteeOrg,
      categoryMask(request.scopes),
      actionMask(request.action ?? Action.READ),
      purposeMask(request.purpose),
    );
  }

  /** The grant of `patientId` to `granteeOrg`, or `undefined` when none. */
  async getGrant(patientId: bigint, granteeOrg: bigint): Promise<GrantTerms | undefined> {
    const g = await this.contract.getGrant(patientId, granteeOrg);
    if (g.expiresAt === 0n) return undefined;
    return {
      scopes: Number(g.scopes),
      actions: Number(g.actions),
      purposes: Number(g.purposes),
      notBefore: g.notBefore,
      expiresAt: g.expiresAt,
    };
  }

  /** The patient's deny mask and emergency policy. */
  async policyOf(patientId: bigint): Promise<{ denyMask: number; emergencyPolicy: number }> {
    const [denyMask, emergencyPolicy] = await this.contract.policyOf(patientId);
    return { denyMask: Number(denyMask), emergencyPolicy: Number(emergencyPolicy) };
  }

  /** The nonce the patient's next signature must cover. */
  async nonce(patientId: bigint): Promise<bigint> {
    return this.contract.nonces(patientId);
  }

  // ── internals ──

  #signable(): SignableContract {
    return this.contract as unknown as SignableContract;
  }

  async #send(call: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    return withDecodedErrors(async () => {
      const receipt = await (await call()).wait();
      if (!receipt) throw new Error("ConsentClient: the transaction was dropped");
      return receipt;
    }, this.contract.interface);
  }
}
