/**
 * Demo chapter 1: who is who. A registrar accredits eight organisations and registers a patient whose
 * account holds no ether: the attestation and the patient's signed actions go through a relayer.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type Provider, Wallet, hexlify, randomBytes } from "ethers";

import { medchainDomain, PatientAttestationTypes, SetGuardianTypes } from "../../src/eip712.ts";
import { randomId } from "../../src/ids.ts";
import { Capabilities, OrgKind, type OrgKindName } from "../../src/roles.ts";
import type { IdentityRegistry } from "../../typechain-types/index.ts";
import { act, chapter, note, refused } from "./story.ts";

const YEAR = 365n * 24n * 3600n;

export interface IdentityCast {
  orgs: Record<OrgKindName, { id: bigint; operator: HardhatEthersSigner; name: string }>;
  patient: { id: bigint; wallet: Wallet };
  guardian: Wallet;
}

/** The name of the cast's organisation `id` (off chain: the chain knows organisations by id). */
export function orgName(cast: IdentityCast, id: bigint): string {
  return Object.values(cast.orgs).find((o) => o.id === id)?.name ?? `organisation ${id}`;
}

const ORGS: [OrgKindName, string, number][] = [
  [
    "Provider",
    "St Elsewhere Hospital",
    Capabilities.EMERGENCY_ACCESS | Capabilities.WRITE_RECORDS | Capabilities.BILL | Capabilities.RESEARCH,
  ],
  ["Pharmacy", "Corner Pharmacy", Capabilities.DISPENSE | Capabilities.TRADE | Capabilities.BILL],
  ["Manufacturer", "Acme Pharma", Capabilities.MANUFACTURE | Capabilities.TRADE | Capabilities.QUALITY_CONTROL],
  ["Distributor", "Wholesale Co", Capabilities.TRADE],
  ["Lab", "Quality Lab", Capabilities.QUALITY_CONTROL | Capabilities.WRITE_RECORDS],
  ["Insurer", "Mutual Health", Capabilities.INSURE],
  ["Sponsor", "Trial Sponsor Inc", Capabilities.SPONSOR_TRIALS],
  ["Regulator", "Health Authority", 0],
];

export async function identityChapter(
  identity: IdentityRegistry,
  registrar: HardhatEthersSigner,
  relayer: HardhatEthersSigner,
  operators: HardhatEthersSigner[],
  provider: Provider,
): Promise<IdentityCast> {
  chapter("1. Identity: accredited organisations and a pseudonymous patient");
  const now = BigInt((await provider.getBlock("latest"))!.timestamp);
  const orgs = {} as IdentityCast["orgs"];
  for (const [i, [kind, name, caps]] of ORGS.entries()) {
    const operator = operators[i];
    // The profile (name, licence, GLN) stays off chain; only its hash is anchored.
    const profileHash = hexlify(randomBytes(32));
    await act(
      "registrar",
      `accredits ${name} (${kind}), operator ${operator.address.slice(0, 10)}…`,
      identity.connect(registrar).registerOrganization(OrgKind[kind], caps, now + YEAR, profileHash, operator),
    );
    const id = await identity.organizationCount();
    // The registrar only offered: the operator's own key accepts (nobody binds an account without its consent).
    await act(name, "its operator accepts to act for it", identity.connect(operator).acceptOperator(id));
    orgs[kind] = { id, operator, name };
  }

  const wallet = new Wallet(hexlify(randomBytes(32)), provider);
  const patientId = randomId();
  const commitment = hexlify(randomBytes(32)); // stands for HMAC(pepper, normalised national id), computed by the registrar
  const chainId = (await provider.getNetwork()).chainId;
  const domain = medchainDomain("IdentityRegistry", chainId, await identity.getAddress());
  const deadline = now + 3600n;
  const attestation = await registrar.signTypedData(domain, PatientAttestationTypes, {
    commitment,
    controller: wallet.address,
    patientId,
    deadline,
  });
  note(`the registrar attests a random patient id and a uniqueness commitment for the patient's new key`);
  await act(
    "relayer",
    `registers patient ${patientId.toString(16).slice(0, 8)}… for the patient's key`,
    identity.connect(relayer).registerPatient(patientId, commitment, wallet.address, deadline, registrar, attestation),
  );
  await refused(
    "relayer",
    "registers the same person again under another id",
    identity.connect(relayer).registerPatient(randomId(), commitment, wallet.address, deadline, registrar, attestation),
  );

  const guardian = new Wallet(hexlify(randomBytes(32)));
  const validUntil = now + YEAR;
  const sig = await wallet.signTypedData(domain, SetGuardianTypes, {
    patientId,
    guardian: guardian.address,
    validUntil,
    nonce: await identity.nonces(patientId),
    deadline,
  });
  await act(
    "relayer",
    "relays the patient's signed 'add a guardian (a caregiver) for one year'",
    identity
      .connect(relayer)
      .setGuardianWithSig(patientId, guardian.address, validUntil, wallet.address, deadline, sig),
  );
  note(`the guardian may now act for the patient: ${await identity.canActForPatient(guardian.address, patientId)}`);
  return { orgs, patient: { id: patientId, wallet }, guardian };
}
