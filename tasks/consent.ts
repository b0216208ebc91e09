/** `medchain consent grant | revoke | check`: a patient's grants to an organisation (ConsentManager). */
import { Action, Category, Purpose } from "../src/scopes.ts";
import {
  account,
  chainNow,
  command,
  fail,
  formatId,
  formatTime,
  maskNames,
  openMedChain,
  parseDays,
  parseId,
  parseNames,
  printFields,
  send,
  type MedChain,
} from "./lib.ts";

interface Parties {
  patient?: string;
  org?: string;
}

interface GrantArgs extends Parties {
  categories?: string;
  purposes?: string;
  actions: string;
  days: string;
  from?: string;
}

/** The patient's controller (or guardian) grants the organisation access for `--days`. */
export const grant = command(async (args: GrantArgs, hre) => {
  const { patientId, orgId } = parseParties(args);
  const scopes = parseNames(args.categories, Category, "--categories", "category");
  const purposes = parseNames(args.purposes, Purpose, "--purposes", "purpose");
  const actions = parseNames(args.actions, Action, "--actions", "action");
  const days = parseDays(args.days, "--days");

  const system = await openMedChain(hre);
  await checkParties(system, patientId, orgId);
  const signer = await account(system.ethers, args.from, "--from");
  const expiresAt = (await chainNow(system.ethers)) + days * 86_400n;
  await send(
    `grant by ${signer.address}`,
    system.consent.connect(signer).grant(patientId, orgId, scopes, actions, purposes, 0, expiresAt),
  );
  await printGrant(system, patientId, orgId);
});

interface RevokeArgs extends Parties {
  from?: string;
}

/** The patient's controller (or guardian) revokes the organisation's grant. */
export const revoke = command(async (args: RevokeArgs, hre) => {
  const { patientId, orgId } = parseParties(args);
  const system = await openMedChain(hre);
  await checkParties(system, patientId, orgId);
  const signer = await account(system.ethers, args.from, "--from");
  await send(`revoke by ${signer.address}`, system.consent.connect(signer).revoke(patientId, orgId));
  console.log(`Revoked the grant of patient ${formatId(patientId)} to organisation ${orgId}`);
});

interface CheckArgs extends Parties {
  categories?: string;
  purposes?: string;
  action: string;
}

/** Whether the organisation may now access those categories for those purposes (`hasAccess`). */
export const check = command(async (args: CheckArgs, hre) => {
  const { patientId, orgId } = parseParties(args);
  const scopes = parseNames(args.categories, Category, "--categories", "category");
  const purposes = parseNames(args.purposes, Purpose, "--purposes", "purpose");
  const action = parseNames(args.action, Action, "--action", "action");

  const system = await openMedChain(hre);
  await checkParties(system, patientId, orgId);
  const allowed = await system.consent.hasAccess(patientId, orgId, scopes, action, purposes);
  console.log(
    `access ${allowed ? "GRANTED" : "DENIED"}: organisation ${orgId} to ${maskNames(action, Action)} ` +
      `${maskNames(scopes, Category)} of patient ${formatId(patientId)} for ${maskNames(purposes, Purpose)}`,
  );
  await printGrant(system, patientId, orgId);
});

function parseParties(args: Parties): { patientId: bigint; orgId: bigint } {
  return { patientId: parseId(args.patient, "--patient"), orgId: parseId(args.org, "--org") };
}

async function checkParties({ identity }: MedChain, patientId: bigint, orgId: bigint): Promise<void> {
  if (!(await identity.isPatient(patientId))) fail(`unknown patient ${formatId(patientId)}`);
  if ((await identity.getOrganization(orgId)).kind === 0n) fail(`unknown organisation ${orgId}`);
}

async function printGrant({ consent, ethers }: MedChain, patientId: bigint, orgId: bigint): Promise<void> {
  const g = await consent.getGrant(patientId, orgId);
  if (g.expiresAt === 0n) {
    console.log(`No grant of patient ${formatId(patientId)} to organisation ${orgId}`);
    return;
  }
  const now = await chainNow(ethers);
  printFields(`Grant of patient ${formatId(patientId)} to organisation ${orgId}`, [
    ["categories", maskNames(g.scopes, Category)],
    ["actions", maskNames(g.actions, Action)],
    ["purposes", maskNames(g.purposes, Purpose)],
    ["from", g.notBefore === 0n ? "now" : formatTime(g.notBefore)],
    ["until", `${formatTime(g.expiresAt)}${g.expiresAt <= now ? " (expired)" : ""}`],
  ]);
}
