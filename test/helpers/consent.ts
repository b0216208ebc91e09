/**
 * Test fixtures: IdentityRegistry + ConsentManager + RecordRegistry wired as in production, with a
 * patient, a doctor's organisation (Provider with EMERGENCY_ACCESS and WRITE_RECORDS), a lab and a
 * stranger, and signing helpers for the ConsentManager's `…WithSig` actions.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { type Signer, Wallet } from "ethers";

import {
  ConsentCloseEmergencyAccessTypes,
  ConsentGrantTypes,
  ConsentRevokeTypes,
  ConsentSetDenyMaskTypes,
  medchainDomain,
} from "../../src/eip712.ts";
import { Capabilities } from "../../src/roles.ts";
import { Action, ALL_PURPOSES, Purpose } from "../../src/scopes.ts";
import type { ConsentManager, RecordRegistry } from "../../typechain-types/index.ts";
import { addOperator, deployIdentity, type Ethers, HOUR, now, wireContract, YEAR } from "./identity.ts";

export interface GrantTerms {
  scopes: number;
  actions: number;
  purposes: number;
  notBefore: bigint;
  expiresAt: bigint;
}

/** The whole consent/records system over a fresh identity registry. */
export async function deployConsent(ethers: Ethers) {
  const id = await deployIdentity(ethers);
  const { manager, identity, others } = id;
  const [patient, guardian, doctor, nurse, labTech, stranger, relayer, insurerOp, pharmacist, ...rest] = others;

  // The RecordRegistry first: the ConsentManager holds it immutably; it learns the ConsentManager once.
  const records = (await ethers.deployContract("RecordRegistry", [
    await manager.getAddress(),
    await identity.getAddress(),
  ])) as unknown as RecordRegistry;
  const consent = (await ethers.deployContract("ConsentManager", [
    await manager.getAddress(),
    await identity.getAddress(),
    await records.getAddress(),
  ])) as unknown as ConsentManager;
  await wireContract(manager, "ConsentManager", consent);
  await wireContract(manager, "RecordRegistry", records);
  await records.setConsentManager(consent);

  const hospital = await id.registerOrg("Provider", Capabilities.EMERGENCY_ACCESS | Capabilities.WRITE_RECORDS, doctor);
  await addOperator(identity, hospital, doctor, nurse);
  const lab = await id.registerOrg("Lab", Capabilities.WRITE_RECORDS, labTech);
  const insurer = await id.registerOrg("Insurer", Capabilities.INSURE, insurerOp);
  const pharmacy = await id.registerOrg("Pharmacy", Capabilities.DISPENSE, pharmacist);
  const patientId = await id.registerPatient(patient);

  const chainId = (await consent.runner!.provider!.getNetwork()).chainId;
  const consentDomain = medchainDomain("ConsentManager", chainId, await consent.getAddress());

  /** Default terms: the whole of `scopes`, READ, TREATMENT, from now for a year. */
  async function terms(scopes: number, overrides: Partial<GrantTerms> = {}): Promise<GrantTerms> {
    return {
      scopes,
      actions: Action.READ,
      purposes: Purpose.TREATMENT,
      notBefore: 0n,
      expiresAt: (await now(ethers)) + YEAR,
      ...overrides,
    };
  }

  async function deadline(validFor: bigint = HOUR): Promise<bigint> {
    return (await now(ethers)) + validFor;
  }

  async function signGrant(
    signer: Signer,
    pid: bigint,
    granteeOrg: bigint,
    t: GrantTerms,
    nonce: bigint,
    dl: bigint,
    domain = consentDomain,
  ): Promise<string> {
    return signer.signTypedData(domain, ConsentGrantTypes, {
      patientId: pid,
      granteeOrg,
      ...t,
      nonce,
      deadline: dl,
    });
  }

  async function signRevoke(signer: Signer, pid: bigint, granteeOrg: bigint, nonce: bigint, dl: bigint) {
    return signer.signTypedData(consentDomain, ConsentRevokeTypes, { patientId: pid, granteeOrg, nonce, deadline: dl });
  }

  async function signDenyMask(
    signer: Signer,
    pid: bigint,
    denyMask: number,
    emergencyPolicy: number,
    nonce: bigint,
    dl: bigint,
  ) {
    return signer.signTypedData(consentDomain, ConsentSetDenyMaskTypes, {
      patientId: pid,
      denyMask,
      emergencyPolicy,
      nonce,
      deadline: dl,
    });
  }

  async function signClose(signer: Signer, accessId: bigint, nonce: bigint, dl: bigint) {
    return signer.signTypedData(consentDomain, ConsentCloseEmergencyAccessTypes, { accessId, nonce, deadline: dl });
  }

  /** A fresh funded account (the default signers run out). */
  async function account(): Promise<HardhatEthersSigner> {
    const provider = identity.runner!.provider!;
    const wallet = Wallet.createRandom().connect(provider);
    await (provider as unknown as { send(m: string, p: unknown[]): Promise<unknown> }).send("hardhat_setBalance", [
      wallet.address,
      "0x56bc75e2d63100000",
    ]);
    return wallet as unknown as HardhatEthersSigner;
  }

  /** The patient grants `org` the given terms directly. */
  async function grantAs(actor: HardhatEthersSigner, pid: bigint, org: bigint, t: GrantTerms): Promise<void> {
    await consent.connect(actor).grant(pid, org, t.scopes, t.actions, t.purposes, t.notBefore, t.expiresAt);
  }

  return {
    ...id,
    consent,
    records,
    patient,
    guardian,
    doctor,
    nurse,
    labTech,
    stranger,
    relayer,
    insurerOp,
    pharmacist,
    rest,
    hospital,
    lab,
    insurer,
    pharmacy,
    patientId,
    consentDomain,
    terms,
    deadline,
    signGrant,
    signRevoke,
    signDenyMask,
    signClose,
    grantAs,
    account,
    ALL_PURPOSES,
  };
}
