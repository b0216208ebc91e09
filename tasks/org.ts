/** `medchain org register`, `org accept` and `org show`: organisations in the IdentityRegistry. */
import { ZeroHash } from "ethers";

import { Capabilities, OrgKind, OrgStatus } from "../src/roles.ts";
import {
  account,
  addressOf,
  chainNow,
  command,
  fail,
  formatTime,
  maskNames,
  nameOf,
  openMedChain,
  parseBytes32,
  parseDays,
  parseId,
  parseName,
  parseNames,
  printFields,
  send,
  type MedChain,
} from "./lib.ts";

interface RegisterArgs {
  kind?: string;
  operator?: string;
  capabilities: string;
  days: string;
  prefix?: string;
  profileHash?: string;
  from?: string;
}

/** Accredits an organisation (the registrar signs; account 1 by default, as in the Governance module). */
export const register = command(async (args: RegisterArgs, hre) => {
  const kinds = Object.fromEntries(Object.entries(OrgKind).filter(([name]) => name !== "None"));
  const kind = parseName(args.kind, kinds, "--kind", "organisation kind");
  const capabilities =
    args.capabilities.trim() === "" ? 0 : parseNames(args.capabilities, Capabilities, "--capabilities", "capability");
  const days = parseDays(args.days, "--days");
  const prefix = args.prefix === undefined ? undefined : parsePrefix(args.prefix);
  if (prefix !== undefined && kind !== OrgKind.Manufacturer)
    fail("--prefix: only a Manufacturer has a GS1 company prefix");
  const profileHash = args.profileHash === undefined ? ZeroHash : parseBytes32(args.profileHash, "--profile-hash");

  const system = await openMedChain(hre);
  const { ethers, identity } = system;
  const operator = await addressOf(ethers, args.operator, "--operator");
  const registrar = await account(ethers, args.from, "--from", 1);
  const validUntil = (await chainNow(ethers)) + days * 86_400n;

  const receipt = await send(
    `registerOrganization by ${registrar.address}`,
    identity.connect(registrar).registerOrganization(kind, capabilities, validUntil, profileHash, operator),
  );
  const event = receipt.logs
    .map((log) => identity.interface.parseLog(log))
    .find((parsed) => parsed?.name === "OrganizationRegistered");
  const orgId = event?.args.orgId as bigint | undefined;
  if (orgId === undefined) fail("registerOrganization emitted no OrganizationRegistered event");
  if (prefix !== undefined) {
    await send(
      `setCompanyPrefix ${prefix.text}`,
      identity.connect(registrar).setCompanyPrefix(orgId, prefix.value, prefix.text.length),
    );
  }
  console.log(`Registered organisation ${orgId}`);
  // An account becomes an operator only with its own consent: the registrar's transaction offered it; an
  // operator whose key this network holds (local use) accepts at once, any other runs `org accept`.
  const operatorSigner = (await ethers.getSigners()).find((s) => s.address === operator);
  if (operatorSigner === undefined) {
    console.log(`Offered to ${operator}: it becomes the operator with \`medchain org accept --id ${orgId}\``);
  } else {
    await send(`acceptOperator by ${operator}`, identity.connect(operatorSigner).acceptOperator(orgId));
  }
  await printOrganization(system, orgId);
});

interface AcceptArgs {
  id?: string;
  from?: string;
}

/** The offered account accepts to act for an organisation (`acceptOperator`). */
export const accept = command(async (args: AcceptArgs, hre) => {
  const orgId = parseId(args.id, "--id");
  const system = await openMedChain(hre);
  const operator = await account(system.ethers, args.from, "--from");
  await send(`acceptOperator by ${operator.address}`, system.identity.connect(operator).acceptOperator(orgId));
  console.log(`${operator.address} now operates for organisation ${orgId}`);
});

interface ShowArgs {
  id?: string;
}

/** Shows an organisation: kind, status, licence end, capabilities, GS1 company prefix. */
export const show = command(async (args: ShowArgs, hre) => {
  const orgId = parseId(args.id, "--id");
  await printOrganization(await openMedChain(hre), orgId);
});

async function printOrganization({ identity, ethers }: MedChain, orgId: bigint): Promise<void> {
  const org = await identity.getOrganization(orgId);
  if (org.kind === 0n) fail(`unknown organisation ${orgId} (ids run from 1 to ${await identity.organizationCount()})`);
  const now = await chainNow(ethers);
  const active = await identity.isActiveOrganization(orgId);
  printFields(`Organisation ${orgId}`, [
    ["kind", nameOf(OrgKind, org.kind)],
    ["status", `${nameOf(OrgStatus, org.status)}${active ? "" : " (not active)"}`],
    ["valid until", `${formatTime(org.validUntil)}${org.validUntil <= now ? " (expired)" : ""}`],
    ["capabilities", maskNames(org.capabilities, Capabilities)],
    [
      "company prefix",
      org.prefixLength === 0n ? "none" : org.companyPrefix.toString().padStart(Number(org.prefixLength), "0"),
    ],
  ]);
}

/** A GS1 company prefix: 6 to 12 digits (its length matters: leading zeros count). */
function parsePrefix(text: string): { text: string; value: bigint } {
  const v = text.trim();
  if (!/^\d{6,12}$/.test(v)) fail(`--prefix: "${v}" is not a GS1 company prefix (6 to 12 digits)`);
  return { text: v, value: BigInt(v) };
}
