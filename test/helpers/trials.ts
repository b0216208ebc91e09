/**
 * Test fixture for the TrialRegistry: the identity fixture plus a settable consent mock, a TrialRegistry
 * wired as in production, a sponsor, two sites, a monitoring board, a researcher and a patient, and
 * helpers to register a trial, grant RESEARCH consent and sign patient actions.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { EnrolTypes, medchainDomain, ReconsentTypes, WithdrawTypes } from "../../src/eip712.ts";
import { randomSalt } from "../../src/ids.ts";
import { Capabilities } from "../../src/roles.ts";
import { outcomesCommitment, participantId as pidOf } from "../../src/trials.ts";
import type { MockResearchConsent, TrialRegistry } from "../../typechain-types/index.ts";
import { deployIdentity, type Ethers, HOUR, now, randomHash, wireContract } from "./identity.ts";

/** Must equal `Scopes.sol`: READ action, RESEARCH purpose, and two data categories. */
export const READ = 1;
export const RESEARCH = 1 << 3;
export const SCOPES = (1 << 3) | (1 << 6); // CONDITIONS | LAB_RESULTS

export async function deployTrials(ethers: Ethers) {
  const f = await deployIdentity(ethers);
  const [sponsorOp, siteOp, site2Op, monitorOp, researcherOp, otherSponsorOp, pat, guardian, stranger, relayer] =
    f.others;
  const consent = (await ethers.deployContract("MockResearchConsent")) as unknown as MockResearchConsent;
  const trials = (await ethers.deployContract("TrialRegistry", [
    await f.manager.getAddress(),
    await f.identity.getAddress(),
    await consent.getAddress(),
  ])) as unknown as TrialRegistry;
  await wireContract(f.manager, "TrialRegistry", trials);

  const sponsorOrg = await f.registerOrg("Sponsor", Capabilities.SPONSOR_TRIALS, sponsorOp);
  const siteOrg = await f.registerOrg("Provider", Capabilities.RESEARCH, siteOp);
  const site2Org = await f.registerOrg("Lab", Capabilities.RESEARCH, site2Op);
  const monitorOrg = await f.registerOrg("Provider", Capabilities.RESEARCH, monitorOp);
  const researcherOrg = await f.registerOrg("Provider", Capabilities.RESEARCH, researcherOp);
  const otherSponsorOrg = await f.registerOrg("Sponsor", Capabilities.SPONSOR_TRIALS, otherSponsorOp);
  const patientId = await f.registerPatient(pat);

  const chainId = (await trials.runner!.provider!.getNetwork()).chainId;
  const domain = medchainDomain("TrialRegistry", chainId, await trials.getAddress());

  /** Registers a trial by `sponsorOp` with random hashes; returns its id and the outcomes reveal. */
  async function registerTrial(monitor: bigint = monitorOrg) {
    const registryIdHash = randomHash();
    const outcomesSalt = randomSalt();
    const outcomesDefinitionHash = randomHash();
    const commitmentHash = outcomesCommitment(outcomesSalt, outcomesDefinitionHash);
    await trials
      .connect(sponsorOp)
      .registerTrial(registryIdHash, randomHash(), randomHash(), commitmentHash, SCOPES, monitor);
    const trialId = await trials.computeTrialId(sponsorOrg, registryIdHash);
    return { trialId, registryIdHash, outcomesSalt, outcomesDefinitionHash, commitmentHash };
  }

  /** Grants (or withdraws) the patient's RESEARCH consent to the sponsor for the trial's scopes. */
  async function setConsent(allowed: boolean, patient: bigint = patientId, grantee: bigint = sponsorOrg) {
    await consent.setAccess(patient, grantee, SCOPES, READ, RESEARCH, allowed);
  }

  async function deadline(): Promise<bigint> {
    return (await now(ethers)) + HOUR;
  }

  async function signEnrol(
    signer: HardhatEthersSigner,
    value: {
      trialId: string;
      patientId: bigint;
      salt: string;
      protocolVersion: bigint;
      nonce: bigint;
      deadline: bigint;
    },
  ) {
    return signer.signTypedData(domain, EnrolTypes, value);
  }

  async function signReconsent(
    signer: HardhatEthersSigner,
    value: {
      trialId: string;
      patientId: bigint;
      salt: string;
      protocolVersion: bigint;
      nonce: bigint;
      deadline: bigint;
    },
  ) {
    return signer.signTypedData(domain, ReconsentTypes, value);
  }

  async function signWithdraw(
    signer: HardhatEthersSigner,
    value: { trialId: string; patientId: bigint; salt: string; nonce: bigint; deadline: bigint },
  ) {
    return signer.signTypedData(domain, WithdrawTypes, value);
  }

  /** Enrols the patient (directly, by `pat`) at the trial's current version; returns salt and participant id. */
  async function enrolPatient(trialId: string, patient: bigint = patientId, by: HardhatEthersSigner = pat) {
    const salt = randomSalt();
    const version = (await trials.getTrial(trialId)).protocolVersion;
    await trials.connect(by).enrol(trialId, patient, salt, version);
    return { salt, participantId: pidOf(patient, trialId, salt), version };
  }

  return {
    ...f,
    consent,
    trials,
    domain,
    sponsorOp,
    siteOp,
    site2Op,
    monitorOp,
    researcherOp,
    otherSponsorOp,
    pat,
    guardian,
    stranger,
    relayer,
    sponsorOrg,
    siteOrg,
    site2Org,
    monitorOrg,
    researcherOrg,
    otherSponsorOrg,
    patientId,
    registerTrial,
    setConsent,
    deadline,
    signEnrol,
    signReconsent,
    signWithdraw,
    enrolPatient,
  };
}
