/**
 * Demo chapter 5: a tamper-evident clinical trial. The sponsor registers the trial with a commitment to
 * its outcome definitions and authorises the hospital as a site; the patient grants the sponsor
 * RESEARCH access and enrols by a relayed signature under a per-trial participant id; the site commits
 * a batch of data rows as one Merkle root; the database is locked; results are published revealing the
 * outcome definitions, which must match the commitment (a switched outcome is refused); anyone verifies
 * one data point against the chain.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { keccak256, toUtf8Bytes } from "ethers";

import { ConsentClient } from "../../src/clients/consent.ts";
import { EnrolTypes } from "../../src/eip712.ts";
import { randomSalt } from "../../src/ids.ts";
import { Relayer, type SignableContract, signPatientAction } from "../../src/relayer.ts";
import { Category } from "../../src/scopes.ts";
import {
  buildDataset,
  type DataPointStatusName,
  type DataRow,
  makeRow,
  outcomesCommitment,
  participantId as participantIdOf,
  registryIdHash,
  trialId as trialIdOf,
  trialTimeline,
  TrialStatus,
  type TrialStatusName,
  verifyDataPointOnChain,
} from "../../src/trials.ts";
import type { ConsentManager, TrialRegistry } from "../../typechain-types/index.ts";
import type { IdentityCast } from "./identity.ts";
import { chainNow, relayedGrant } from "./patient.ts";
import { act, chapter, note, refused } from "./story.ts";

export interface TrialsOutcome {
  trialId: string;
  participantId: string;
  /** `verifyDataPoint` for one of the patient's rows as committed, and for the same row altered. */
  dataPoint: DataPointStatusName;
  tamperedDataPoint: DataPointStatusName;
  status: TrialStatusName;
  /** The trial's events, in chain order. */
  timeline: string[];
  refusals: string[];
}

/** Documents that stay off chain: only their hashes are registered. */
const REGISTRY_ID = "NCT09999999"; // a fictional ClinicalTrials.gov number
const PROTOCOL = "Protocol v1: low-dose combination therapy vs standard care in essential hypertension, 12 weeks";
const ANALYSIS_PLAN = "SAP v1: ANCOVA of the week-12 change, baseline as covariate, two-sided alpha 0.05";
const OUTCOMES = "Primary outcome: change in seated systolic blood pressure from baseline to week 12";
const SWITCHED_OUTCOMES = "Primary outcome: change in diastolic blood pressure from baseline to week 8";
const ROW_SCHEMA = '{"visit":"integer","week":"integer","sbp":"mmHg","dbp":"mmHg"}';

const docHash = (text: string) => keccak256(toUtf8Bytes(text));

export async function trialsChapter(
  trials: TrialRegistry,
  consent: ConsentManager,
  relayerAccount: HardhatEthersSigner,
  cast: IdentityCast,
): Promise<TrialsOutcome> {
  chapter("5. Clinical trial: outcomes committed before enrolment, data committed by the site, results verified");
  const provider = trials.runner!.provider!;
  const { Sponsor: sponsor, Provider: site } = cast.orgs;
  const { wallet, id: patientId } = cast.patient;
  const relayer = new Relayer(relayerAccount);
  const refusals: string[] = [];

  const outcomesSalt = randomSalt();
  const registryHash = registryIdHash(REGISTRY_ID);
  const trialId = trialIdOf(sponsor.id, registryHash);
  await act(
    "Trial Sponsor",
    `registers ${REGISTRY_ID}: hashes of protocol and analysis plan, a salted commitment to its outcomes`,
    trials
      .connect(sponsor.operator)
      .registerTrial(
        registryHash,
        docHash(PROTOCOL),
        docHash(ANALYSIS_PLAN),
        outcomesCommitment(outcomesSalt, docHash(OUTCOMES)),
        Category.CONDITIONS,
        0n,
      ),
  );
  await act(
    "Trial Sponsor",
    "authorises St Elsewhere as a site",
    trials.connect(sponsor.operator).setSite(trialId, site.id, true),
  );

  // The patient's app picks a random salt: the participant id hides the patient id from the trial.
  const salt = randomSalt();
  const participantId = participantIdOf(patientId, trialId, salt);
  const version = (await trials.getTrial(trialId)).protocolVersion;
  const signed = await signPatientAction(trials as unknown as SignableContract, wallet, EnrolTypes, {
    trialId,
    patientId,
    salt,
    protocolVersion: version,
  });
  const enrol = () =>
    relayer.relay(trials, "enrolWithSig", [
      trialId,
      patientId,
      salt,
      version,
      signed.signer,
      signed.message.deadline,
      signed.signature,
    ]);
  refusals.push(await refused("relayer", "relays the patient's signed enrolment before any RESEARCH grant", enrol()));
  await act(
    "relayer",
    "relays the patient's signed grant: Trial Sponsor may read CONDITIONS for RESEARCH",
    relayedGrant(
      new ConsentClient(consent),
      relayer,
      cast,
      sponsor.id,
      { scopes: ["CONDITIONS"], purposes: ["RESEARCH"] },
      await chainNow(provider),
    ),
  );
  await act(
    "relayer",
    `relays the same signed enrolment: participant ${short(participantId)}, protocol v${version}`,
    enrol(),
  );

  // The site's data: the patient's two visits and three other participants' rows, one salt per row.
  const rows: DataRow[] = [
    makeRow(participantId, version, { visit: 1, week: 0, sbp: 152, dbp: 94 }),
    makeRow(participantId, version, { visit: 2, week: 12, sbp: 134, dbp: 86 }),
  ];
  for (let i = 0; i < 3; i++) {
    const other = keccak256(toUtf8Bytes(`${randomSalt()}:${i}`));
    rows.push(makeRow(other, version, { visit: 1, week: 0, sbp: 148 + i, dbp: 92 }));
    rows.push(makeRow(other, version, { visit: 2, week: 12, sbp: 139 - i, dbp: 88 }));
  }
  const dataset = buildDataset(rows);
  await act(
    "St Elsewhere",
    `commits batch 0: ${dataset.leafCount} data rows as one Merkle root (rows and salts stay at the site)`,
    trials.connect(site.operator).commitData(trialId, dataset.root, dataset.leafCount, docHash(ROW_SCHEMA)),
  );
  await act("Trial Sponsor", "locks the database", trials.connect(sponsor.operator).lockDatabase(trialId));
  refusals.push(
    await refused(
      "Trial Sponsor",
      "publishes results under a switched primary outcome (diastolic, week 8)",
      trials
        .connect(sponsor.operator)
        .publishResults(trialId, docHash("results report"), outcomesSalt, docHash(SWITCHED_OUTCOMES)),
    ),
  );
  await act(
    "Trial Sponsor",
    "publishes results revealing the registered outcome definitions and salt (they match the commitment)",
    trials
      .connect(sponsor.operator)
      .publishResults(trialId, docHash("results report"), outcomesSalt, docHash(OUTCOMES)),
  );

  const registry = { address: await trials.getAddress(), runner: provider };
  const dataPoint = await verifyDataPointOnChain(registry, trialId, 0n, rows[1], dataset.proof(1));
  const tampered = { ...rows[1], values: { ...rows[1].values, sbp: 124 } };
  const tamperedDataPoint = await verifyDataPointOnChain(registry, trialId, 0n, tampered, dataset.proof(1));
  note(`an auditor checks the patient's week-12 row (sbp 134) with its proof: ${dataPoint}`);
  note(`the same row with sbp 124 (a "better" result): ${tamperedDataPoint}`);
  const timeline = (await trialTimeline(provider, registry.address, trialId)).map((e) => e.event);
  const status = (Object.keys(TrialStatus) as TrialStatusName[])[Number((await trials.getTrial(trialId)).status)];
  note(`the trial's timeline from events: ${timeline.join(" → ")} (status ${status})`);
  return { trialId, participantId, dataPoint, tamperedDataPoint, status, timeline, refusals };
}

const short = (hex: string) => `${hex.slice(0, 6)}…${hex.slice(-4)}`;
