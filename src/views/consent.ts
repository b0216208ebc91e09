/**
 * Views of `ConsentManager` rebuilt from its events (DESIGN: "every state change emits an event …
 * so an indexer, or the SDK, can rebuild any view without extra storage"): a patient's grants and
 * deny mask, a patient's access log, and break-glass openings with their fate. Logs are read with
 * `eth_getLogs` from the deployment block in chunks of a configurable number of blocks; a chunk the
 * node refuses as too large is split in halves and retried.
 *
 * Events carry **redacted** masks (`Scopes.redact`): a grant or deny mask holding any RESTRICTED
 * category (mental health, substance use, sexual health, genetics) shows the whole group. A view
 * therefore says what the chain discloses to everyone, not which sensitive category a patient chose;
 * `getGrant`/`policyOf` give the exact masks to those who may read the contract's storage.
 *
 * @module
 */
import { type Log, type LogDescription, type Provider, toBeHex, zeroPadValue } from "ethers";

import type { ConsentManager } from "../../typechain-types/index.ts";
import { latestBlockNumber, type LogRangeOptions, queryLogsInChunks } from "./paging.ts";

/** A uint256 as an indexed topic. */
export function uintTopic(value: bigint | number): string {
  return zeroPadValue(toBeHex(value), 32);
}

/** Block timestamps, read once per block. */
class BlockTimes {
  readonly #cache = new Map<number, Promise<bigint>>();
  constructor(readonly provider: Provider) {}

  of(blockNumber: number): Promise<bigint> {
    let time = this.#cache.get(blockNumber);
    if (time === undefined) {
      time = this.provider.getBlock(blockNumber).then((b) => {
        if (!b) throw new Error(`block ${blockNumber} not found`);
        return BigInt(b.timestamp);
      });
      this.#cache.set(blockNumber, time);
    }
    return time;
  }
}

/** Where an event happened. */
export interface EventOrigin {
  blockNumber: number;
  /** The block's timestamp (unix seconds). */
  timestamp: bigint;
  transactionHash: string;
  logIndex: number;
}

async function context(consent: ConsentManager): Promise<{ provider: Provider; address: string }> {
  const provider = consent.runner?.provider;
  if (!provider) throw new Error("consent views: the ConsentManager has no provider");
  return { provider, address: await consent.getAddress() };
}

async function decoded(
  consent: ConsentManager,
  logs: Log[],
  times: BlockTimes,
): Promise<{ event: LogDescription; origin: EventOrigin }[]> {
  const out: { event: LogDescription; origin: EventOrigin }[] = [];
  for (const log of logs) {
    const event = consent.interface.parseLog(log);
    if (!event) continue;
    out.push({
      event,
      origin: {
        blockNumber: log.blockNumber,
        timestamp: await times.of(log.blockNumber),
        transactionHash: log.transactionHash,
        logIndex: log.index,
      },
    });
  }
  return out;
}

type ConsentEventName = Parameters<ConsentManager["interface"]["getEvent"]>[0];

function topicOf(consent: ConsentManager, name: ConsentEventName): string {
  return consent.interface.getEvent(name)!.topicHash;
}

// ─── a patient's grants ──────────────────────────────────────────────────────────────────────────

/** A patient's grant to one organisation, as its last event left it. */
export interface GrantView {
  patientId: bigint;
  granteeOrg: bigint;
  /** Redacted (see the module note). */
  scopes: number;
  actions: number;
  purposes: number;
  notBefore: bigint;
  expiresAt: bigint;
  /** The last `ConsentGranted` for this organisation. */
  granted: EventOrigin;
  /** The `ConsentRevoked` after it, if revoked. */
  revoked?: EventOrigin;
}

/** One consent event of a patient. */
export type ConsentEvent =
  | ({ kind: "granted" } & Omit<GrantView, "granted" | "revoked"> & EventOrigin)
  | ({ kind: "revoked"; patientId: bigint; granteeOrg: bigint } & EventOrigin)
  | ({ kind: "denyMaskSet"; patientId: bigint; denyMask: number; emergencyPolicy: number } & EventOrigin);

/** A patient's consent state, rebuilt from events. */
export interface PatientConsentView {
  patientId: bigint;
  /** One entry per organisation ever granted, in order of its latest grant; revoked ones keep `revoked`. */
  grants: GrantView[];
  /** The deny mask (redacted) and emergency policy of the last `DenyMaskSet` (0 when none). */
  denyMask: number;
  emergencyPolicy: number;
  /** The last `DenyMaskSet`, if any. */
  denyMaskSet?: EventOrigin;
  /** Every event, in chain order. */
  history: ConsentEvent[];
  /** The last block read. */
  toBlock: number;
}

/** Whether a grant (from a view) is in force at `now`, ignoring the grantee's status in the registry. */
export function grantState(grant: GrantView, now: bigint): "active" | "pending" | "expired" | "revoked" {
  if (grant.revoked) return "revoked";
  if (now >= grant.expiresAt) return "expired";
  if (now < grant.notBefore) return "pending";
  return "active";
}

/** A patient's grants, deny mask and consent history, from `ConsentGranted`, `ConsentRevoked`, `DenyMaskSet`. */
export async function patientConsentView(
  consent: ConsentManager,
  patientId: bigint,
  options: LogRangeOptions = {},
): Promise<PatientConsentView> {
  const { provider, address } = await context(consent);
  const toBlock = options.toBlock ?? (await latestBlockNumber(provider));
  const topics = [
    [topicOf(consent, "ConsentGranted"), topicOf(consent, "ConsentRevoked"), topicOf(consent, "DenyMaskSet")],
    uintTopic(patientId),
  ];
  const logs = await queryLogsInChunks(provider, address, topics, { ...options, toBlock });
  const view: PatientConsentView = { patientId, grants: [], denyMask: 0, emergencyPolicy: 0, history: [], toBlock };
  const byOrg = new Map<bigint, GrantView>();
  for (const { event, origin } of await decoded(consent, logs, new BlockTimes(provider))) {
    const a = event.args;
    if (event.name === "ConsentGranted") {
      const terms = {
        patientId: a.patientId as bigint,
        granteeOrg: a.granteeOrg as bigint,
        scopes: Number(a.scopes),
        actions: Number(a.actions),
        purposes: Number(a.purposes),
        notBefore: a.notBefore as bigint,
        expiresAt: a.expiresAt as bigint,
      };
      byOrg.delete(terms.granteeOrg); // re-insert: order of latest grant
      byOrg.set(terms.granteeOrg, { ...terms, granted: origin });
      view.history.push({ kind: "granted", ...terms, ...origin });
    } else if (event.name === "ConsentRevoked") {
      const granteeOrg = a.granteeOrg as bigint;
      const g = byOrg.get(granteeOrg);
      if (g) g.revoked = origin;
      view.history.push({ kind: "revoked", patientId: a.patientId as bigint, granteeOrg, ...origin });
    } else if (event.name === "DenyMaskSet") {
      view.denyMask = Number(a.denyMask);
      view.emergencyPolicy = Number(a.emergencyPolicy);
      view.denyMaskSet = origin;
      view.history.push({
        kind: "denyMaskSet",
        patientId: a.patientId as bigint,
        denyMask: view.denyMask,
        emergencyPolicy: view.emergencyPolicy,
        ...origin,
      });
    }
  }
  view.grants = [...byOrg.values()];
  return view;
}

// ─── a patient's access log ──────────────────────────────────────────────────────────────────────

/** One logged disclosure (`AccessLogged`). */
export interface AccessLogEntry extends EventOrigin {
  patientId: bigint;
  recipientOrg: bigint;
  recordId: string;
  custodianOrg: bigint;
  /** Redacted. */
  scopes: number;
  purpose: number;
  /** The break-glass access that covered it, 0 when a grant did. */
  accessId: bigint;
}

/** A patient's access log, optionally for one recipient organisation or one record. */
export async function accessLogView(
  consent: ConsentManager,
  patientId: bigint,
  options: LogRangeOptions & { recipientOrg?: bigint; recordId?: string } = {},
): Promise<AccessLogEntry[]> {
  const { provider, address } = await context(consent);
  const topics = [
    topicOf(consent, "AccessLogged"),
    uintTopic(patientId),
    options.recipientOrg === undefined ? null : uintTopic(options.recipientOrg),
    options.recordId === undefined ? null : options.recordId.toLowerCase(),
  ];
  const logs = await queryLogsInChunks(provider, address, topics, options);
  return (await decoded(consent, logs, new BlockTimes(provider))).map(({ event, origin }) => ({
    patientId: event.args.patientId as bigint,
    recipientOrg: event.args.recipientOrg as bigint,
    recordId: event.args.recordId as string,
    custodianOrg: event.args.custodianOrg as bigint,
    scopes: Number(event.args.scopes),
    purpose: Number(event.args.purpose),
    accessId: event.args.accessId as bigint,
    ...origin,
  }));
}

// ─── break-glass ─────────────────────────────────────────────────────────────────────────────────

/** A break-glass opening and what followed (`EmergencyAccessOpened/Closed/Justified/Overdue`). */
export interface EmergencyAccessView {
  accessId: bigint;
  patientId: bigint;
  orgId: bigint;
  /** The operator who opened it. */
  operator: string;
  reasonHash: string;
  /** The opening block's time (`openedAt` on chain). */
  openedAt: bigint;
  /** The end of the window: the scheduled end, or the time it was closed early. */
  closesAt: bigint;
  /** When the justification is due (`openedAt + 72 h`). */
  justificationDueAt: bigint;
  opened: EventOrigin;
  closedEarly?: EventOrigin & { by: string };
  justified?: EventOrigin & { justificationHash: string; late: boolean };
  reportedOverdue?: EventOrigin & { dueAt: bigint };
}

/** Whether an opening is unjustified past its deadline at `now` (`isOverdue`). */
export function isEmergencyAccessOverdue(access: EmergencyAccessView, now: bigint): boolean {
  return access.justified === undefined && now > access.justificationDueAt;
}

/** The justification period of break-glass access (`ConsentManager.JUSTIFICATION_PERIOD`). */
export const EMERGENCY_JUSTIFICATION_PERIOD = 72n * 3600n;

/** Break-glass openings, optionally for one patient and/or one organisation, in order of opening. */
export async function emergencyAccessView(
  consent: ConsentManager,
  filter: { patientId?: bigint; orgId?: bigint } = {},
  options: LogRangeOptions = {},
): Promise<EmergencyAccessView[]> {
  const { provider, address } = await context(consent);
  const opened = topicOf(consent, "EmergencyAccessOpened");
  const topics = [
    [
      opened,
      topicOf(consent, "EmergencyAccessClosed"),
      topicOf(consent, "EmergencyAccessJustified"),
      topicOf(consent, "EmergencyAccessOverdue"),
    ],
  ];
  const logs = await queryLogsInChunks(provider, address, topics, options);
  const accesses = new Map<bigint, EmergencyAccessView>();
  for (const { event, origin } of await decoded(consent, logs, new BlockTimes(provider))) {
    const a = event.args;
    const accessId = a.accessId as bigint;
    if (event.name === "EmergencyAccessOpened") {
      if (filter.patientId !== undefined && a.patientId !== filter.patientId) continue;
      if (filter.orgId !== undefined && a.orgId !== filter.orgId) continue;
      accesses.set(accessId, {
        accessId,
        patientId: a.patientId as bigint,
        orgId: a.orgId as bigint,
        operator: a.operator as string,
        reasonHash: a.reasonHash as string,
        openedAt: origin.timestamp,
        closesAt: a.closesAt as bigint,
        justificationDueAt: origin.timestamp + EMERGENCY_JUSTIFICATION_PERIOD,
        opened: origin,
      });
      continue;
    }
    const access = accesses.get(accessId);
    if (access === undefined) continue; // another patient's or organisation's
    if (event.name === "EmergencyAccessClosed") {
      access.closedEarly = { ...origin, by: a.by as string };
      access.closesAt = origin.timestamp;
    } else if (event.name === "EmergencyAccessJustified") {
      access.justified = { ...origin, justificationHash: a.justificationHash as string, late: a.late as boolean };
    } else if (event.name === "EmergencyAccessOverdue") {
      access.reportedOverdue = { ...origin, dueAt: a.dueAt as bigint };
    }
  }
  return [...accesses.values()];
}
