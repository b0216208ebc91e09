import { expect } from "chai";
import { keccak256, toBeHex, toUtf8Bytes, TypedDataEncoder, zeroPadValue } from "ethers";
import { network } from "hardhat";

import { EnrolTypes, ReconsentTypes, typeString, WithdrawTypes } from "../../src/eip712.ts";
import { randomId, randomSalt } from "../../src/ids.ts";
import { Capabilities, OrgStatus } from "../../src/roles.ts";
import {
  buildDataset,
  DataPointStatus,
  dataLeaf,
  encodeRow,
  makeRow,
  outcomesCommitment,
  participantId as pidOf,
  trialId as trialIdOf,
  trialTimeline,
  TrialStatus,
  verifyDataPointOnChain,
  type DataRow,
} from "../../src/trials.ts";
import { DAY, randomHash, YEAR } from "../helpers/identity.ts";
import { deployTrials, RESEARCH, SCOPES } from "../helpers/trials.ts";

const { ethers, networkHelpers } = await network.create();
const { time } = networkHelpers;

async function trialsFixture() {
  return deployTrials(ethers);
}

/** A registered trial with an authorised site and the patient's RESEARCH consent to the sponsor. */
async function openTrialFixture() {
  const f = await deployTrials(ethers);
  const t = await f.registerTrial();
  await f.trials.connect(f.sponsorOp).setSite(t.trialId, f.siteOrg, true);
  await f.setConsent(true);
  return { ...f, ...t };
}

/** The open trial with the patient enrolled (directly) under a random salt. */
async function enrolledFixture() {
  const f = await openTrialFixture();
  const enrolment = await f.enrolPatient(f.trialId);
  return { ...f, ...enrolment };
}

type Fixture = Awaited<ReturnType<typeof enrolledFixture>>;

/** A batch of rows for `pids` (one row each, random values) under `version`; committed by the site. */
async function commitRows(f: Fixture, pids: string[], version: bigint) {
  const rows = pids.map((pid, i) => makeRow(pid, version, { visit: i + 1, sbp: 110 + i, arm: "A" }));
  const dataset = buildDataset(rows);
  const batchIndex = (await f.trials.getTrial(f.trialId)).batchCount;
  await f.trials.connect(f.siteOp).commitData(f.trialId, dataset.root, dataset.leafCount, randomHash());
  return { rows, dataset, batchIndex };
}

async function verify(f: Fixture, batchIndex: bigint, row: DataRow, proof: string[]) {
  const [pid, version, hash, salt] = encodeRow(row);
  return f.trials.verifyDataPoint(f.trialId, batchIndex, pid, version, hash, salt, proof);
}

describe("TrialRegistry", function () {
  describe("governance", function () {
    it("is paused by PAUSER only and unpaused by ADMIN only", async function () {
      const { trials, pauser, admin, sponsorOp } = await networkHelpers.loadFixture(trialsFixture);
      await expect(trials.connect(sponsorOp).pause())
        .to.be.revertedWithCustomError(trials, "AccessManagedUnauthorized")
        .withArgs(sponsorOp.address);
      await expect(trials.connect(pauser).pause()).to.emit(trials, "Paused").withArgs(pauser.address);
      await expect(trials.connect(pauser).unpause())
        .to.be.revertedWithCustomError(trials, "AccessManagedUnauthorized")
        .withArgs(pauser.address);
      await expect(trials.connect(admin).unpause()).to.emit(trials, "Unpaused").withArgs(admin.address);
    });

    it("stops every write while paused except withdrawal and data-access revocation", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await f.trials
        .connect(f.sponsorOp)
        .grantDataAccess(f.trialId, f.researcherOrg, randomHash(), (await time.latest()) + 1000);
      await f.trials.connect(f.pauser).pause();
      const writes = [
        f.trials.connect(f.sponsorOp).registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, 0),
        f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash()),
        f.trials.connect(f.sponsorOp).setSite(f.trialId, f.site2Org, true),
        f.trials.connect(f.sponsorOp).lockDatabase(f.trialId),
        f.trials.connect(f.sponsorOp).publishResults(f.trialId, randomHash(), f.outcomesSalt, f.outcomesDefinitionHash),
        f.trials.connect(f.sponsorOp).grantDataAccess(f.trialId, f.researcherOrg, randomHash(), 1n << 40n),
        f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash()),
        f.trials.connect(f.monitorOp).publishInterim(f.trialId, randomHash()),
        f.trials.connect(f.pat).enrol(f.trialId, f.patientId, randomSalt(), 1),
        f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 1),
        f.trials.enrolWithSig(f.trialId, f.patientId, randomSalt(), 1, f.pat, 0, "0x"),
        f.trials.reconsentWithSig(f.trialId, f.patientId, f.salt, 1, f.pat, 0, "0x"),
      ];
      for (const write of writes) await expect(write).to.be.revertedWithCustomError(f.trials, "EnforcedPause");
      await expect(f.trials.connect(f.sponsorOp).revokeDataAccess(f.trialId, f.researcherOrg))
        .to.emit(f.trials, "DataAccessRevoked")
        .withArgs(f.trialId, f.researcherOrg);
      await expect(f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt)).to.emit(
        f.trials,
        "ParticipantWithdrawn",
      );
    });

    it("exposes its wiring: identity, consent and the EIP-712 type hashes of src/eip712.ts", async function () {
      const { trials, identity, consent, domain } = await networkHelpers.loadFixture(trialsFixture);
      expect(await trials.DOMAIN_SEPARATOR()).to.equal(TypedDataEncoder.hashDomain(domain));
      expect(await trials.IDENTITY()).to.equal(await identity.getAddress());
      expect(await trials.CONSENT()).to.equal(await consent.getAddress());
      expect(await trials.ENROL_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(typeString(EnrolTypes))));
      expect(await trials.RECONSENT_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(typeString(ReconsentTypes))));
      expect(await trials.WITHDRAW_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(typeString(WithdrawTypes))));
    });
  });

  describe("registerTrial", function () {
    it("registers a trial at protocol version 1 under the id keccak256(abi.encode(sponsorOrgId, registryIdHash))", async function () {
      const { trials, sponsorOp, sponsorOrg, monitorOrg } = await networkHelpers.loadFixture(trialsFixture);
      const [registryIdHash, protocolHash, planHash, commitmentHash] = [
        randomHash(),
        randomHash(),
        randomHash(),
        randomHash(),
      ];
      const expectedId = trialIdOf(sponsorOrg, registryIdHash);
      await expect(
        trials
          .connect(sponsorOp)
          .registerTrial(registryIdHash, protocolHash, planHash, commitmentHash, SCOPES, monitorOrg),
      )
        .to.emit(trials, "TrialRegistered")
        .withArgs(expectedId, sponsorOrg, registryIdHash, protocolHash, planHash, commitmentHash, SCOPES, monitorOrg);
      expect(await trials.computeTrialId(sponsorOrg, registryIdHash)).to.equal(expectedId);
      const trial = await trials.getTrial(expectedId);
      expect(trial.sponsorOrgId).to.equal(sponsorOrg);
      expect(trial.monitorOrgId).to.equal(monitorOrg);
      expect(trial.protocolVersion).to.equal(1n);
      expect(trial.batchCount).to.equal(0n);
      expect(trial.dataScopes).to.equal(BigInt(SCOPES));
      expect(trial.status).to.equal(BigInt(TrialStatus.Open));
      expect(trial.outcomesCommitment).to.equal(commitmentHash);
    });

    it("refuses a registry id reused by the same sponsor", async function () {
      const { trials, sponsorOp, sponsorOrg } = await networkHelpers.loadFixture(trialsFixture);
      const registryIdHash = randomHash();
      await trials
        .connect(sponsorOp)
        .registerTrial(registryIdHash, randomHash(), randomHash(), randomHash(), SCOPES, 0);
      await expect(
        trials.connect(sponsorOp).registerTrial(registryIdHash, randomHash(), randomHash(), randomHash(), SCOPES, 0),
      )
        .to.be.revertedWithCustomError(trials, "TrialRegistryIdTaken")
        .withArgs(sponsorOrg, registryIdHash);
    });

    it("lets another sponsor use the same registry id under its own trial id (nobody can squat it)", async function () {
      const { trials, sponsorOp, otherSponsorOp, sponsorOrg, otherSponsorOrg } =
        await networkHelpers.loadFixture(trialsFixture);
      const registryIdHash = randomHash();
      await trials
        .connect(otherSponsorOp)
        .registerTrial(registryIdHash, randomHash(), randomHash(), randomHash(), SCOPES, 0);
      const [protocolHash, planHash, commitmentHash] = [randomHash(), randomHash(), randomHash()];
      await expect(
        trials.connect(sponsorOp).registerTrial(registryIdHash, protocolHash, planHash, commitmentHash, SCOPES, 0),
      )
        .to.emit(trials, "TrialRegistered")
        .withArgs(
          trialIdOf(sponsorOrg, registryIdHash),
          sponsorOrg,
          registryIdHash,
          protocolHash,
          planHash,
          commitmentHash,
          SCOPES,
          0n,
        );
      expect(trialIdOf(sponsorOrg, registryIdHash)).to.not.equal(trialIdOf(otherSponsorOrg, registryIdHash));
      expect((await trials.getTrial(trialIdOf(otherSponsorOrg, registryIdHash))).sponsorOrgId).to.equal(
        otherSponsorOrg,
      );
    });

    it("refuses anyone but an operator of an active Sponsor holding SPONSOR_TRIALS", async function () {
      const f = await networkHelpers.loadFixture(trialsFixture);
      const noCapability = f.others[10];
      await f.registerOrg("Sponsor", Capabilities.RESEARCH, noCapability);
      const callers = [f.siteOp, f.stranger, noCapability];
      for (const caller of callers) {
        await expect(
          f.trials.connect(caller).registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, 0),
        )
          .to.be.revertedWithCustomError(f.trials, "TrialNotSponsorOrganization")
          .withArgs(caller.address);
      }
      // A suspended sponsor is told why (the registry's error names it and its status).
      await f.identity.connect(f.regulator).suspendOrganization(f.sponsorOrg, randomHash());
      await expect(
        f.trials.connect(f.sponsorOp).registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, 0),
      )
        .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
        .withArgs(f.sponsorOrg, OrgStatus.Suspended);
    });

    it("refuses a trial that collects no data category", async function () {
      const { trials, sponsorOp } = await networkHelpers.loadFixture(trialsFixture);
      await expect(
        trials.connect(sponsorOp).registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), 0, 0),
      ).to.be.revertedWithCustomError(trials, "TrialNoDataScopes");
    });

    it("refuses a monitoring board that is the sponsor itself or not an active organisation", async function () {
      const f = await networkHelpers.loadFixture(trialsFixture);
      await f.identity.connect(f.regulator).suspendOrganization(f.site2Org, randomHash());
      const register = (monitor: bigint) =>
        f.trials
          .connect(f.sponsorOp)
          .registerTrial(randomHash(), randomHash(), randomHash(), randomHash(), SCOPES, monitor);
      await expect(register(f.sponsorOrg))
        .to.be.revertedWithCustomError(f.trials, "TrialInvalidMonitor")
        .withArgs(f.sponsorOrg);
      await expect(register(f.site2Org))
        .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
        .withArgs(f.site2Org, OrgStatus.Suspended);
      await expect(register(999n))
        .to.be.revertedWithCustomError(f.identity, "IdentityUnknownOrganization")
        .withArgs(999n);
    });
  });

  describe("amendProtocol", function () {
    it("adds version 2 with its reason and asks participants to re-consent", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const [protocolHash, planHash, reasonHash] = [randomHash(), randomHash(), randomHash()];
      await expect(f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, protocolHash, planHash, reasonHash))
        .to.emit(f.trials, "ProtocolAmended")
        .withArgs(f.trialId, 2n, protocolHash, planHash, reasonHash);
      expect((await f.trials.getTrial(f.trialId)).protocolVersion).to.equal(2n);
    });

    it("refuses an unknown trial, a caller who is not the sponsor, and a locked trial", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const unknown = randomHash();
      await expect(f.trials.connect(f.sponsorOp).amendProtocol(unknown, randomHash(), randomHash(), randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialUnknown")
        .withArgs(unknown);
      await expect(
        f.trials.connect(f.otherSponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash()),
      )
        .to.be.revertedWithCustomError(f.trials, "TrialNotSponsor")
        .withArgs(f.trialId, f.otherSponsorOp.address);
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      await expect(f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialDatabaseLocked")
        .withArgs(f.trialId);
    });
  });

  describe("setSite", function () {
    it("authorises and deauthorises a site", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await expect(f.trials.connect(f.sponsorOp).setSite(f.trialId, f.site2Org, true))
        .to.emit(f.trials, "SiteSet")
        .withArgs(f.trialId, f.site2Org, true);
      expect(await f.trials.isSite(f.trialId, f.site2Org)).to.equal(true);
      await expect(f.trials.connect(f.sponsorOp).setSite(f.trialId, f.site2Org, false))
        .to.emit(f.trials, "SiteSet")
        .withArgs(f.trialId, f.site2Org, false);
      expect(await f.trials.isSite(f.trialId, f.site2Org)).to.equal(false);
    });

    it("refuses a site that is not an active organisation with the RESEARCH capability", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.identity.connect(f.regulator).suspendOrganization(f.site2Org, randomHash());
      await expect(f.trials.connect(f.sponsorOp).setSite(f.trialId, f.otherSponsorOrg, true))
        .to.be.revertedWithCustomError(f.trials, "TrialNotResearchOrganization")
        .withArgs(f.otherSponsorOrg);
      await expect(f.trials.connect(f.sponsorOp).setSite(f.trialId, f.site2Org, true))
        .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
        .withArgs(f.site2Org, OrgStatus.Suspended);
      await expect(f.trials.connect(f.sponsorOp).setSite(f.trialId, 999n, true))
        .to.be.revertedWithCustomError(f.identity, "IdentityUnknownOrganization")
        .withArgs(999n);
    });
  });

  describe("commitData", function () {
    it("appends batches with sequential indexes, storing only the root", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      for (const index of [0n, 1n]) {
        const [root, schemaHash] = [randomHash(), randomHash()];
        await expect(f.trials.connect(f.siteOp).commitData(f.trialId, root, 1000, schemaHash))
          .to.emit(f.trials, "DataCommitted")
          .withArgs(f.trialId, index, f.siteOrg, root, 1000, schemaHash);
        expect(await f.trials.batchRoot(f.trialId, index)).to.equal(root);
      }
      expect((await f.trials.getTrial(f.trialId)).batchCount).to.equal(2n);
    });

    it("refuses a site the sponsor did not authorise", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      for (const caller of [f.site2Op, f.sponsorOp, f.stranger]) {
        await expect(f.trials.connect(caller).commitData(f.trialId, randomHash(), 1, randomHash()))
          .to.be.revertedWithCustomError(f.trials, "TrialSiteNotAuthorized")
          .withArgs(f.trialId, caller.address);
      }
    });

    it("refuses a site once deauthorised, suspended, or stripped of the RESEARCH capability", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.trials.connect(f.sponsorOp).setSite(f.trialId, f.site2Org, true);
      await f.trials.connect(f.sponsorOp).setSite(f.trialId, f.siteOrg, false);
      await expect(f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialSiteNotAuthorized")
        .withArgs(f.trialId, f.siteOp.address);
      const validUntil = (await time.latest()) + Number(YEAR);
      await f.identity.connect(f.registrar).updateOrganization(f.site2Org, 0, validUntil, randomHash());
      await expect(f.trials.connect(f.site2Op).commitData(f.trialId, randomHash(), 1, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialSiteNotAuthorized")
        .withArgs(f.trialId, f.site2Op.address);
    });

    it("refuses data committed after lock", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      await expect(f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialDatabaseLocked")
        .withArgs(f.trialId);
    });

    it("refuses an empty batch (zero root or no leaf) and an unknown trial", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const root = randomHash();
      await expect(f.trials.connect(f.siteOp).commitData(f.trialId, root, 0, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialInvalidBatch")
        .withArgs(root, 0);
      await expect(f.trials.connect(f.siteOp).commitData(f.trialId, ethers.ZeroHash, 5, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialInvalidBatch")
        .withArgs(ethers.ZeroHash, 5);
      const unknown = randomHash();
      await expect(f.trials.connect(f.siteOp).commitData(unknown, root, 1, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialUnknown")
        .withArgs(unknown);
    });
  });

  describe("enrol", function () {
    it("enrols the patient under its participant id, never storing or emitting the patient id", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const salt = randomSalt();
      const pid = pidOf(f.patientId, f.trialId, salt);
      expect(await f.trials.computeParticipantId(f.patientId, f.trialId, salt)).to.equal(pid);
      const tx = f.trials.connect(f.pat).enrol(f.trialId, f.patientId, salt, 1);
      await expect(tx).to.emit(f.trials, "ParticipantEnrolled").withArgs(f.trialId, pid, 1n);
      const receipt = await (await tx).wait();
      const patientWord = zeroPadValue(toBeHex(f.patientId), 32).slice(2);
      for (const log of receipt!.logs) {
        expect(log.topics.join("") + log.data).to.not.include(patientWord);
      }
      const p = await f.trials.getParticipant(f.trialId, pid);
      expect(p.enrolledAt).to.equal(BigInt(await time.latest()));
      expect(p.consentedVersion).to.equal(1n);
      expect(p.withdrawnAt).to.equal(0n);
      const c = await f.trials.versionConsent(f.trialId, pid, 1);
      expect([c.consentedAt, c.fromBatch, c.enrolledFromBatch, c.previousVersion, c.withdrawn]).to.deep.equal([
        p.enrolledAt,
        p.enrolledFromBatch,
        p.enrolledFromBatch,
        0n,
        false,
      ]);
      expect(await f.trials.nonces(f.patientId)).to.equal(1n);
    });

    it("lets a guardian enrol the patient", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.identity.connect(f.pat).setGuardian(f.patientId, f.guardian, (await time.latest()) + Number(DAY));
      const salt = randomSalt();
      await expect(f.trials.connect(f.guardian).enrol(f.trialId, f.patientId, salt, 1))
        .to.emit(f.trials, "ParticipantEnrolled")
        .withArgs(f.trialId, pidOf(f.patientId, f.trialId, salt), 1n);
    });

    it("refuses an account that cannot act for the patient", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const salt = randomSalt();
      await expect(f.trials.connect(f.stranger).enrol(f.trialId, f.patientId, salt, 1))
        .to.be.revertedWithCustomError(f.trials, "TrialNotAuthorizedForPatient")
        .withArgs(f.stranger.address, pidOf(f.patientId, f.trialId, salt));
    });

    it("refuses a patient without a RESEARCH grant to the sponsor covering the trial's data", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.setConsent(false);
      await f.consent.setAccess(f.patientId, f.sponsorOrg, SCOPES, 1, RESEARCH >> 1, true); // another purpose
      const salt = randomSalt();
      await expect(f.trials.connect(f.pat).enrol(f.trialId, f.patientId, salt, 1))
        .to.be.revertedWithCustomError(f.trials, "TrialNoResearchConsent")
        .withArgs(f.trialId, pidOf(f.patientId, f.trialId, salt));
    });

    it("refuses consent to a version that is no longer current", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      await expect(f.trials.connect(f.pat).enrol(f.trialId, f.patientId, randomSalt(), 1))
        .to.be.revertedWithCustomError(f.trials, "TrialVersionNotCurrent")
        .withArgs(f.trialId, 1n, 2n);
    });

    it("refuses the same participant twice, an unknown trial and a locked trial", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await expect(f.trials.connect(f.pat).enrol(f.trialId, f.patientId, f.salt, 1))
        .to.be.revertedWithCustomError(f.trials, "TrialAlreadyEnrolled")
        .withArgs(f.trialId, f.participantId);
      const unknown = randomHash();
      await expect(f.trials.connect(f.pat).enrol(unknown, f.patientId, randomSalt(), 1))
        .to.be.revertedWithCustomError(f.trials, "TrialUnknown")
        .withArgs(unknown);
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      await expect(f.trials.connect(f.pat).enrol(f.trialId, f.patientId, randomSalt(), 1))
        .to.be.revertedWithCustomError(f.trials, "TrialDatabaseLocked")
        .withArgs(f.trialId);
    });
  });

  describe("enrolWithSig", function () {
    it("enrols on the patient's signature relayed by the site, the patient sending no transaction", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const salt = randomSalt();
      const deadline = await f.deadline();
      const value = { trialId: f.trialId, patientId: f.patientId, salt, protocolVersion: 1n, nonce: 0n, deadline };
      const sig = await f.signEnrol(f.pat, value);
      const patNonce = await ethers.provider.getTransactionCount(f.pat.address);
      await expect(f.trials.connect(f.siteOp).enrolWithSig(f.trialId, f.patientId, salt, 1, f.pat, deadline, sig))
        .to.emit(f.trials, "ParticipantEnrolled")
        .withArgs(f.trialId, pidOf(f.patientId, f.trialId, salt), 1n);
      expect(await ethers.provider.getTransactionCount(f.pat.address)).to.equal(patNonce);
      expect(await f.trials.nonces(f.patientId)).to.equal(1n);
    });

    it("refuses an expired, forged or replayed signature, and one killed by a direct action", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const salt = randomSalt();
      const deadline = await f.deadline();
      const value = { trialId: f.trialId, patientId: f.patientId, salt, protocolVersion: 1n, nonce: 0n, deadline };
      const past = BigInt(await time.latest()) - 1n;
      const expiredSig = await f.signEnrol(f.pat, { ...value, deadline: past });
      await expect(f.trials.enrolWithSig(f.trialId, f.patientId, salt, 1, f.pat, past, expiredSig))
        .to.be.revertedWithCustomError(f.trials, "TrialExpiredSignature")
        .withArgs(past, (await time.latest()) + 1);
      const forged = await f.signEnrol(f.stranger, value);
      await expect(f.trials.enrolWithSig(f.trialId, f.patientId, salt, 1, f.pat, deadline, forged))
        .to.be.revertedWithCustomError(f.trials, "TrialInvalidSignature")
        .withArgs(f.pat.address);
      // A direct action consumes nonce 0: the signature over nonce 0 is dead.
      const sig = await f.signEnrol(f.pat, value);
      await f.trials.connect(f.pat).enrol(f.trialId, f.patientId, randomSalt(), 1);
      await expect(f.trials.enrolWithSig(f.trialId, f.patientId, salt, 1, f.pat, deadline, sig))
        .to.be.revertedWithCustomError(f.trials, "TrialInvalidSignature")
        .withArgs(f.pat.address);
      // A good signature, once relayed, cannot be replayed.
      const fresh = await f.signEnrol(f.pat, { ...value, nonce: 1n });
      await f.trials.enrolWithSig(f.trialId, f.patientId, salt, 1, f.pat, deadline, fresh);
      await expect(f.trials.enrolWithSig(f.trialId, f.patientId, salt, 1, f.pat, deadline, fresh))
        .to.be.revertedWithCustomError(f.trials, "TrialInvalidSignature")
        .withArgs(f.pat.address);
    });

    it("checks the signer's authority when the signature is executed, not when it was made", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.identity.connect(f.pat).setGuardian(f.patientId, f.guardian, (await time.latest()) + Number(DAY));
      const salt = randomSalt();
      const deadline = (await time.latest()) + Number(2n * DAY);
      const sig = await f.signEnrol(f.guardian, {
        trialId: f.trialId,
        patientId: f.patientId,
        salt,
        protocolVersion: 1n,
        nonce: 0n,
        deadline: BigInt(deadline),
      });
      await time.increase(Number(DAY) + 1);
      await expect(f.trials.enrolWithSig(f.trialId, f.patientId, salt, 1, f.guardian, deadline, sig))
        .to.be.revertedWithCustomError(f.trials, "TrialNotAuthorizedForPatient")
        .withArgs(f.guardian.address, pidOf(f.patientId, f.trialId, salt));
    });
  });

  describe("reconsent", function () {
    it("binds the participant to the amended version", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash());
      await f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      await expect(f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 2))
        .to.emit(f.trials, "ParticipantReconsented")
        .withArgs(f.trialId, f.participantId, 2n);
      const p = await f.trials.getParticipant(f.trialId, f.participantId);
      expect(p.consentedVersion).to.equal(2n);
      expect(p.consentedFromBatch).to.equal(1n);
      expect(p.enrolledFromBatch).to.equal(0n);
      const c = await f.trials.versionConsent(f.trialId, f.participantId, 2);
      expect(c.fromBatch).to.equal(1n);
      expect(c.consentedAt).to.equal(BigInt(await time.latest()));
      // Chained to the consent before it (the chain a withdrawal walks), which stays as it was.
      expect([c.enrolledFromBatch, c.previousVersion, c.withdrawn]).to.deep.equal([0n, 1n, false]);
      const v1 = await f.trials.versionConsent(f.trialId, f.participantId, 1);
      expect([v1.fromBatch, v1.previousVersion, v1.withdrawn]).to.deep.equal([0n, 0n, false]);
    });

    it("accepts a relayed signature", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      const deadline = await f.deadline();
      const nonce = await f.trials.nonces(f.patientId);
      const sig = await f.signReconsent(f.pat, {
        trialId: f.trialId,
        patientId: f.patientId,
        salt: f.salt,
        protocolVersion: 2n,
        nonce,
        deadline,
      });
      await expect(
        f.trials.connect(f.relayer).reconsentWithSig(f.trialId, f.patientId, f.salt, 2, f.pat, deadline, sig),
      )
        .to.emit(f.trials, "ParticipantReconsented")
        .withArgs(f.trialId, f.participantId, 2n);
      expect(await f.trials.nonces(f.patientId)).to.equal(nonce + 1n);
    });

    it("refuses a participant not enrolled, withdrawn, already consented, or without consent", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await expect(f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 1))
        .to.be.revertedWithCustomError(f.trials, "TrialAlreadyConsented")
        .withArgs(f.trialId, f.participantId, 1n);
      await f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      const other = randomSalt();
      await expect(f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, other, 2))
        .to.be.revertedWithCustomError(f.trials, "TrialNotEnrolled")
        .withArgs(f.trialId, pidOf(f.patientId, f.trialId, other));
      await expect(f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 1))
        .to.be.revertedWithCustomError(f.trials, "TrialVersionNotCurrent")
        .withArgs(f.trialId, 1n, 2n);
      await f.setConsent(false);
      await expect(f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 2))
        .to.be.revertedWithCustomError(f.trials, "TrialNoResearchConsent")
        .withArgs(f.trialId, f.participantId);
      await f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt);
      await expect(f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 2))
        .to.be.revertedWithCustomError(f.trials, "TrialParticipantWithdrawn")
        .withArgs(f.trialId, f.participantId);
      await expect(f.trials.connect(f.stranger).reconsent(f.trialId, f.patientId, f.salt, 2))
        .to.be.revertedWithCustomError(f.trials, "TrialNotAuthorizedForPatient")
        .withArgs(f.stranger.address, f.participantId);
    });
  });

  describe("withdraw", function () {
    it("records when the participant withdrew and from which batch, also after the lock", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash());
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      const tx = f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt);
      await expect(tx)
        .to.emit(f.trials, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.participantId, (await time.latest()) + 1, 1n);
      const p = await f.trials.getParticipant(f.trialId, f.participantId);
      expect(p.withdrawnAt).to.equal(BigInt(await time.latest()));
      expect(p.withdrawnFromBatch).to.equal(1n);
      // The consent learns of the withdrawal (so verifyDataPoint reads that slot alone).
      const c = await f.trials.versionConsent(f.trialId, f.participantId, p.consentedVersion);
      expect([c.withdrawn, c.withdrawnFromBatch]).to.deep.equal([true, 1n]);
    });

    it("marks the withdrawal on every version the participant consented to, and only those", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const amend = () =>
        f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      await amend();
      await f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 2);
      await amend(); // version 3: never consented to
      await amend();
      await f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 4);
      await f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash());
      await f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt);
      const chain: [bigint, boolean, bigint][] = [];
      for (const version of [1, 2, 3, 4]) {
        const c = await f.trials.versionConsent(f.trialId, f.participantId, version);
        chain.push([c.previousVersion, c.withdrawn, c.withdrawnFromBatch]);
      }
      expect(chain).to.deep.equal([
        [0n, true, 1n],
        [1n, true, 1n],
        [0n, false, 0n],
        [2n, true, 1n],
      ]);
    });

    it("accepts a relayed signature, and works while paused", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await f.trials.connect(f.pauser).pause();
      const deadline = await f.deadline();
      const nonce = await f.trials.nonces(f.patientId);
      const sig = await f.signWithdraw(f.pat, {
        trialId: f.trialId,
        patientId: f.patientId,
        salt: f.salt,
        nonce,
        deadline,
      });
      await expect(f.trials.connect(f.relayer).withdrawWithSig(f.trialId, f.patientId, f.salt, f.pat, deadline, sig))
        .to.emit(f.trials, "ParticipantWithdrawn")
        .withArgs(f.trialId, f.participantId, (await time.latest()) + 1, 0n);
    });

    it("refuses a stranger, a participant not enrolled, and a second withdrawal", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      await expect(f.trials.connect(f.stranger).withdraw(f.trialId, f.patientId, f.salt))
        .to.be.revertedWithCustomError(f.trials, "TrialNotAuthorizedForPatient")
        .withArgs(f.stranger.address, f.participantId);
      const other = randomSalt();
      await expect(f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, other))
        .to.be.revertedWithCustomError(f.trials, "TrialNotEnrolled")
        .withArgs(f.trialId, pidOf(f.patientId, f.trialId, other));
      await f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt);
      await expect(f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt))
        .to.be.revertedWithCustomError(f.trials, "TrialParticipantWithdrawn")
        .withArgs(f.trialId, f.participantId);
    });
  });

  describe("verifyDataPoint", function () {
    it("answers Included for every row of an enrolled participant, on chain and through the SDK", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const second = await f.enrolPatient(f.trialId);
      const { rows, dataset, batchIndex } = await commitRows(f, [f.participantId, second.participantId], 1n);
      const ref = { address: await f.trials.getAddress(), runner: ethers.provider };
      for (let i = 0; i < rows.length; i++) {
        expect(await verify(f, batchIndex, rows[i], dataset.proof(i))).to.equal(BigInt(DataPointStatus.Included));
        expect(await verifyDataPointOnChain(ref, f.trialId, batchIndex, rows[i], dataset.proof(i))).to.equal(
          "Included",
        );
      }
    });

    it("fails a tampered row: a changed value or salt is NotIncluded, a changed version or participant fails its consent check first", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const { rows, dataset, batchIndex } = await commitRows(f, [f.participantId, f.participantId], 1n);
      const proof = dataset.proof(0);
      const row = rows[0];
      const tampered: [DataRow, number][] = [
        [{ ...row, values: { ...row.values, sbp: Number(row.values.sbp) + 1 } }, DataPointStatus.NotIncluded],
        [{ ...row, salt: randomSalt() }, DataPointStatus.NotIncluded],
        [{ ...row, protocolVersion: 2n }, DataPointStatus.VersionMismatch],
        [{ ...row, participantId: randomHash() }, DataPointStatus.NotEnrolled],
      ];
      for (const [t, status] of tampered) {
        expect(await verify(f, batchIndex, t, proof)).to.equal(BigInt(status));
      }
      expect(await verify(f, batchIndex, rows[1], proof)).to.equal(BigInt(DataPointStatus.NotIncluded));
    });

    it("gives VersionMismatch for a participant's later rows after an amendment without re-consent", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const before = await commitRows(f, [f.participantId], 1n);
      await f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      const later = await commitRows(f, [f.participantId], 2n);
      expect(await verify(f, later.batchIndex, later.rows[0], later.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.VersionMismatch),
      );
      expect(await verify(f, before.batchIndex, before.rows[0], before.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.Included),
      );
      // Re-consent later does not bless rows committed before it; rows after it are Included.
      await f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 2);
      expect(await verify(f, later.batchIndex, later.rows[0], later.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.VersionMismatch),
      );
      const after = await commitRows(f, [f.participantId, f.participantId], 2n);
      expect(await verify(f, after.batchIndex, after.rows[0], after.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.Included),
      );
      // Late entry of data collected under version 1, which the participant consented to: Included.
      const lateV1 = await commitRows(f, [f.participantId], 1n);
      expect(await verify(f, lateV1.batchIndex, lateV1.rows[0], lateV1.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.Included),
      );
    });

    it("gives WithdrawnBeforeCommit for a withdrawn participant's row committed after withdrawal", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const before = await commitRows(f, [f.participantId], 1n);
      await f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt);
      const after = await commitRows(f, [f.participantId], 1n);
      expect(await verify(f, after.batchIndex, after.rows[0], after.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.WithdrawnBeforeCommit),
      );
      expect(await verify(f, before.batchIndex, before.rows[0], before.dataset.proof(0))).to.equal(
        BigInt(DataPointStatus.Included),
      );
    });

    it("gives NotEnrolled for a participant never enrolled or enrolled after the batch", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const salt = randomSalt();
      const late = pidOf(f.patientId, f.trialId, salt);
      const { rows, dataset, batchIndex } = await commitRows(f, [randomHash(), late], 1n);
      await f.trials.connect(f.pat).enrol(f.trialId, f.patientId, salt, 1);
      for (const i of [0, 1]) {
        expect(await verify(f, batchIndex, rows[i], dataset.proof(i))).to.equal(BigInt(DataPointStatus.NotEnrolled));
      }
    });

    it("reverts for a batch that does not exist", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const row = makeRow(f.participantId, 1n, { visit: 1 });
      await expect(verify(f, 0n, row, []))
        .to.be.revertedWithCustomError(f.trials, "TrialUnknownBatch")
        .withArgs(f.trialId, 0n);
    });

    it("hashes the leaf exactly as the SDK does", async function () {
      const { trials } = await networkHelpers.loadFixture(trialsFixture);
      for (let i = 0; i < 5; i++) {
        const [pid, version, hash, salt] = [
          randomHash(),
          BigInt(i * 7 + 1) << BigInt(i * 6),
          randomHash(),
          randomSalt(),
        ];
        expect(await trials.dataLeaf(pid, version, hash, salt)).to.equal(dataLeaf(pid, version, hash, salt));
      }
    });
  });

  describe("publishInterim", function () {
    it("lets the monitoring board record interim results over the batches so far", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash());
      const interimHash = randomHash();
      await expect(f.trials.connect(f.monitorOp).publishInterim(f.trialId, interimHash))
        .to.emit(f.trials, "InterimPublished")
        .withArgs(f.trialId, f.monitorOrg, interimHash, 1n);
    });

    it("refuses the sponsor and strangers, a trial without a board, and a locked trial", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      for (const caller of [f.sponsorOp, f.stranger]) {
        await expect(f.trials.connect(caller).publishInterim(f.trialId, randomHash()))
          .to.be.revertedWithCustomError(f.trials, "TrialNotMonitor")
          .withArgs(f.trialId, caller.address);
      }
      const noBoard = await f.registerTrial(0n);
      await expect(f.trials.connect(f.stranger).publishInterim(noBoard.trialId, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialNotMonitor")
        .withArgs(noBoard.trialId, f.stranger.address);
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      await expect(f.trials.connect(f.monitorOp).publishInterim(f.trialId, randomHash()))
        .to.be.revertedWithCustomError(f.trials, "TrialDatabaseLocked")
        .withArgs(f.trialId);
    });
  });

  describe("lockDatabase and publishResults", function () {
    it("locks once, then publishes results revealing the committed outcome definitions", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.trials.connect(f.siteOp).commitData(f.trialId, randomHash(), 1, randomHash());
      await expect(f.trials.connect(f.sponsorOp).lockDatabase(f.trialId))
        .to.emit(f.trials, "DatabaseLocked")
        .withArgs(f.trialId, 1n);
      await expect(f.trials.connect(f.sponsorOp).lockDatabase(f.trialId))
        .to.be.revertedWithCustomError(f.trials, "TrialDatabaseLocked")
        .withArgs(f.trialId);
      const resultsHash = randomHash();
      await expect(
        f.trials.connect(f.sponsorOp).publishResults(f.trialId, resultsHash, f.outcomesSalt, f.outcomesDefinitionHash),
      )
        .to.emit(f.trials, "ResultsPublished")
        .withArgs(f.trialId, resultsHash, f.outcomesSalt, f.outcomesDefinitionHash);
      expect((await f.trials.getTrial(f.trialId)).status).to.equal(BigInt(TrialStatus.Reported));
      await expect(
        f.trials.connect(f.sponsorOp).publishResults(f.trialId, resultsHash, f.outcomesSalt, f.outcomesDefinitionHash),
      )
        .to.be.revertedWithCustomError(f.trials, "TrialResultsAlreadyPublished")
        .withArgs(f.trialId);
    });

    it("refuses results before lock", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await expect(
        f.trials.connect(f.sponsorOp).publishResults(f.trialId, randomHash(), f.outcomesSalt, f.outcomesDefinitionHash),
      )
        .to.be.revertedWithCustomError(f.trials, "TrialDatabaseNotLocked")
        .withArgs(f.trialId);
    });

    it("refuses revealed outcomes that differ from the commitment (outcome switching)", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      const switched = randomHash();
      await expect(f.trials.connect(f.sponsorOp).publishResults(f.trialId, randomHash(), f.outcomesSalt, switched))
        .to.be.revertedWithCustomError(f.trials, "TrialOutcomesMismatch")
        .withArgs(f.trialId, f.commitmentHash, outcomesCommitment(f.outcomesSalt, switched));
    });

    it("refuses a caller who is not the trial's sponsor, and a sponsor no longer active", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      await expect(f.trials.connect(f.siteOp).lockDatabase(f.trialId))
        .to.be.revertedWithCustomError(f.trials, "TrialNotSponsor")
        .withArgs(f.trialId, f.siteOp.address);
      await f.identity.connect(f.regulator).suspendOrganization(f.sponsorOrg, randomHash());
      await expect(f.trials.connect(f.sponsorOp).lockDatabase(f.trialId))
        .to.be.revertedWithCustomError(f.identity, "IdentityOrganizationNotActive")
        .withArgs(f.sponsorOrg, OrgStatus.Suspended);
    });
  });

  describe("data sharing", function () {
    it("grants a researcher access under a data-use agreement until it expires, and revokes it", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const duaHash = randomHash();
      const expiresAt = (await time.latest()) + Number(DAY);
      await expect(f.trials.connect(f.sponsorOp).grantDataAccess(f.trialId, f.researcherOrg, duaHash, expiresAt))
        .to.emit(f.trials, "DataAccessGranted")
        .withArgs(f.trialId, f.researcherOrg, duaHash, expiresAt);
      expect(await f.trials.hasDataAccess(f.trialId, f.researcherOrg)).to.equal(true);
      expect(await f.trials.dataAccessExpiry(f.trialId, f.researcherOrg)).to.equal(BigInt(expiresAt));
      expect(await f.trials.hasDataAccess(f.trialId, f.site2Org)).to.equal(false);
      await f.identity.connect(f.regulator).suspendOrganization(f.researcherOrg, randomHash());
      expect(await f.trials.hasDataAccess(f.trialId, f.researcherOrg)).to.equal(false);
      await f.identity.connect(f.regulator).reinstateOrganization(f.researcherOrg, randomHash());
      await time.increaseTo(expiresAt);
      expect(await f.trials.hasDataAccess(f.trialId, f.researcherOrg)).to.equal(false);
      await expect(f.trials.connect(f.sponsorOp).revokeDataAccess(f.trialId, f.researcherOrg))
        .to.emit(f.trials, "DataAccessRevoked")
        .withArgs(f.trialId, f.researcherOrg);
      expect(await f.trials.dataAccessExpiry(f.trialId, f.researcherOrg)).to.equal(0n);
    });

    it("refuses a past expiry, a non-research organisation, a missing grant and a non-sponsor", async function () {
      const f = await networkHelpers.loadFixture(openTrialFixture);
      const past = await time.latest();
      await expect(f.trials.connect(f.sponsorOp).grantDataAccess(f.trialId, f.researcherOrg, randomHash(), past))
        .to.be.revertedWithCustomError(f.trials, "TrialExpiryInPast")
        .withArgs(past, past + 1);
      await expect(
        f.trials.connect(f.sponsorOp).grantDataAccess(f.trialId, f.otherSponsorOrg, randomHash(), past + 1000),
      )
        .to.be.revertedWithCustomError(f.trials, "TrialNotResearchOrganization")
        .withArgs(f.otherSponsorOrg);
      await expect(f.trials.connect(f.sponsorOp).revokeDataAccess(f.trialId, f.researcherOrg))
        .to.be.revertedWithCustomError(f.trials, "TrialNoDataAccess")
        .withArgs(f.trialId, f.researcherOrg);
      await expect(
        f.trials.connect(f.researcherOp).grantDataAccess(f.trialId, f.researcherOrg, randomHash(), past + 1000),
      )
        .to.be.revertedWithCustomError(f.trials, "TrialNotSponsor")
        .withArgs(f.trialId, f.researcherOp.address);
    });
  });

  describe("timeline (SDK)", function () {
    it("rebuilds a trial's life from its events, in order, and nothing of other trials", async function () {
      const f = await networkHelpers.loadFixture(enrolledFixture);
      const other = await f.registerTrial();
      await f.trials.connect(f.sponsorOp).amendProtocol(f.trialId, randomHash(), randomHash(), randomHash());
      await f.trials.connect(f.pat).reconsent(f.trialId, f.patientId, f.salt, 2);
      const batch = await commitRows(f, [f.participantId], 2n);
      await f.trials.connect(f.monitorOp).publishInterim(f.trialId, randomHash());
      await f.trials.connect(f.pat).withdraw(f.trialId, f.patientId, f.salt);
      await f.trials.connect(f.sponsorOp).lockDatabase(f.trialId);
      await f.trials
        .connect(f.sponsorOp)
        .publishResults(f.trialId, randomHash(), f.outcomesSalt, f.outcomesDefinitionHash);
      await f.trials
        .connect(f.sponsorOp)
        .grantDataAccess(f.trialId, f.researcherOrg, randomHash(), (await time.latest()) + 100);
      await f.trials.connect(f.sponsorOp).revokeDataAccess(f.trialId, f.researcherOrg);
      await f.trials.connect(f.sponsorOp).lockDatabase(other.trialId);

      const timeline = await trialTimeline(ethers.provider, await f.trials.getAddress(), f.trialId, { pageSize: 7 });
      expect(timeline.map((e) => e.event)).to.deep.equal([
        "TrialRegistered",
        "SiteSet",
        "ParticipantEnrolled",
        "ProtocolAmended",
        "ParticipantReconsented",
        "DataCommitted",
        "InterimPublished",
        "ParticipantWithdrawn",
        "DatabaseLocked",
        "ResultsPublished",
        "DataAccessGranted",
        "DataAccessRevoked",
      ]);
      const committed = timeline.find((e) => e.event === "DataCommitted")!;
      expect(committed.args.root).to.equal(batch.dataset.root);
      expect(committed.args.batchIndex).to.equal(0n);
      expect(committed.args.leafCount).to.equal(1n);
      expect(timeline[0].args.sponsorOrgId).to.equal(f.sponsorOrg);
      for (let i = 1; i < timeline.length; i++) {
        expect(timeline[i].blockNumber).to.be.greaterThan(timeline[i - 1].blockNumber);
        expect(timeline[i].timestamp).to.be.at.least(timeline[i - 1].timestamp);
      }
    });
  });

  describe("id twins", function () {
    it("agree with the contract for trial ids, participant ids and random patients", async function () {
      const { trials } = await networkHelpers.loadFixture(trialsFixture);
      for (let i = 0; i < 3; i++) {
        const [org, registryIdHash, patientId, salt] = [randomId(), randomHash(), randomId(), randomSalt()];
        const id = trialIdOf(org, registryIdHash);
        expect(await trials.computeTrialId(org, registryIdHash)).to.equal(id);
        expect(await trials.computeParticipantId(patientId, id, salt)).to.equal(pidOf(patientId, id, salt));
      }
    });
  });
});
