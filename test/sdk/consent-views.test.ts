import { expect } from "chai";
import type { Provider } from "ethers";
import { network } from "hardhat";

import { Category, Purpose, redact } from "../../src/scopes.ts";
import {
  accessLogView,
  EMERGENCY_JUSTIFICATION_PERIOD,
  emergencyAccessView,
  grantState,
  isEmergencyAccessOverdue,
  patientConsentView,
  uintTopic,
} from "../../src/views/consent.ts";
import { queryLogsInChunks } from "../../src/views/paging.ts";
import { now } from "../helpers/identity.ts";
import { deployConsentHistory } from "../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function historyFixture() {
  return deployConsentHistory(ethers, networkHelpers.time);
}

describe("SDK consent views", function () {
  describe("patientConsentView", function () {
    it("rebuilds the patient's grants and deny mask from events, agreeing with getGrant and policyOf (redacted)", async function () {
      const f = await networkHelpers.loadFixture(historyFixture);
      const view = await patientConsentView(f.consent, f.patientId, { fromBlock: f.fromBlock });
      const at = await now(ethers);
      expect(view.grants.map((g) => g.granteeOrg)).to.have.members([f.hospital, f.lab, f.insurer, f.pharmacy]);
      for (const org of [f.hospital, f.lab, f.insurer, f.pharmacy, f.pharmacy + 100n]) {
        const onChain = await f.consent.getGrant(f.patientId, org);
        const g = view.grants.find((x) => x.granteeOrg === org);
        if (onChain.expiresAt === 0n) {
          expect(g === undefined || g.revoked !== undefined, `org ${org}`).to.equal(true);
          continue;
        }
        expect(g, `org ${org}`).to.not.equal(undefined);
        expect(g!.revoked).to.equal(undefined);
        expect([g!.scopes, g!.actions, g!.purposes, g!.notBefore, g!.expiresAt]).to.deep.equal([
          redact(Number(onChain.scopes)),
          Number(onChain.actions),
          Number(onChain.purposes),
          onChain.notBefore,
          onChain.expiresAt,
        ]);
        // No grant here overlaps the deny mask and every grantee is active: in force ⇔ hasAccess.
        const lowest = (m: bigint) => m & -m;
        const live = await f.consent.hasAccess(
          f.patientId,
          org,
          onChain.scopes,
          lowest(onChain.actions),
          lowest(onChain.purposes),
        );
        expect(grantState(g!, at) === "active", `org ${org}`).to.equal(live);
      }
      const lab = view.grants.find((g) => g.granteeOrg === f.lab)!;
      expect(lab.scopes).to.equal(redact(Category.CONDITIONS | Category.GENETIC)); // the whole RESTRICTED group
      expect(grantState(view.grants.find((g) => g.granteeOrg === f.insurer)!, at)).to.equal("revoked");
      expect(grantState(view.grants.find((g) => g.granteeOrg === f.pharmacy)!, at)).to.equal("expired");
      expect(grantState(lab, at)).to.equal("active");

      const [denyMask, emergencyPolicy] = await f.consent.policyOf(f.patientId);
      expect(view.denyMask).to.equal(redact(Number(denyMask)));
      expect(view.emergencyPolicy).to.equal(Number(emergencyPolicy));
      expect(view.history.map((e) => e.kind)).to.deep.equal([
        "granted",
        "granted",
        "granted",
        "granted",
        "granted",
        "revoked",
        "denyMaskSet",
      ]);
      expect(view.history.every((e) => e.patientId === f.patientId)).to.equal(true);
      const block = await ethers.provider.getBlock(view.grants[0].granted.blockNumber);
      expect(view.grants[0].granted.timestamp).to.equal(BigInt(block!.timestamp));
    });

    it("keeps each patient to its own events", async function () {
      const f = await networkHelpers.loadFixture(historyFixture);
      const other = await patientConsentView(f.consent, f.otherPatientId, { fromBlock: f.fromBlock });
      expect(other.grants.map((g) => [g.granteeOrg, g.scopes])).to.deep.equal([[f.hospital, Category.IMAGING]]);
      expect(other.denyMask).to.equal(0);
    });

    it("reads the same in chunks of 1, 3 or 5,000 blocks; fromBlock leaves earlier events out", async function () {
      const f = await networkHelpers.loadFixture(historyFixture);
      const whole = await patientConsentView(f.consent, f.patientId, { fromBlock: f.fromBlock });
      for (const chunkSize of [1, 3]) {
        const chunked = await patientConsentView(f.consent, f.patientId, { fromBlock: f.fromBlock, chunkSize });
        expect(chunked).to.deep.equal(whole);
      }
      const revokedAt = whole.history.find((e) => e.kind === "revoked")!.blockNumber;
      const late = await patientConsentView(f.consent, f.patientId, { fromBlock: revokedAt });
      expect(late.history.map((e) => e.kind)).to.deep.equal(["revoked", "denyMaskSet"]);
      expect(late.grants).to.deep.equal([]);
      const early = await patientConsentView(f.consent, f.patientId, {
        fromBlock: f.fromBlock,
        toBlock: revokedAt - 1,
      });
      expect(early.history.map((e) => e.kind)).to.not.include("revoked");
    });
  });

  describe("queryLogsInChunks", function () {
    it("splits a range the node refuses as too large and retries the halves; other errors propagate", async function () {
      const f = await networkHelpers.loadFixture(historyFixture);
      const address = await f.consent.getAddress();
      const topics = [null, uintTopic(f.patientId)];
      const expected = await ethers.provider.getLogs({ address, topics, fromBlock: f.fromBlock, toBlock: "latest" });
      expect(expected.length).to.be.greaterThan(5);

      let calls = 0;
      const picky = {
        getBlockNumber: () => ethers.provider.getBlockNumber(),
        getLogs: async (filter: { fromBlock: number; toBlock: number }) => {
          calls++;
          if (filter.toBlock - filter.fromBlock > 2) throw new Error("query exceeds max block range 3");
          return ethers.provider.getLogs(filter);
        },
      } as unknown as Provider;
      const logs = await queryLogsInChunks(picky, address, topics, { fromBlock: f.fromBlock, chunkSize: 1000 });
      expect(logs.map((l) => [l.blockNumber, l.index])).to.deep.equal(expected.map((l) => [l.blockNumber, l.index]));
      expect(calls).to.be.greaterThan(1);

      calls = 0;
      const down = {
        getBlockNumber: () => ethers.provider.getBlockNumber(),
        getLogs: async () => {
          calls++;
          throw new Error("connect ECONNREFUSED");
        },
      } as unknown as Provider;
      await queryLogsInChunks(down, address, topics, { fromBlock: f.fromBlock, chunkSize: 1000 }).then(
        () => expect.fail("expected the error"),
        (e: Error) => expect(e.message).to.equal("connect ECONNREFUSED"),
      );
      expect(calls).to.equal(1);
      await queryLogsInChunks(down, address, topics, { chunkSize: 0 }).then(
        () => expect.fail("expected a RangeError"),
        (e: Error) => expect(e).to.be.instanceOf(RangeError),
      );
    });
  });

  describe("accessLogView", function () {
    it("lists the patient's logged disclosures with their cover, filtered by recipient and by record", async function () {
      const f = await networkHelpers.loadFixture(historyFixture);
      const log = await accessLogView(f.consent, f.patientId, { fromBlock: f.fromBlock, chunkSize: 2 });
      expect(
        log.map((e) => [e.recipientOrg, e.recordId, e.custodianOrg, e.scopes, e.purpose, e.accessId]),
      ).to.deep.equal([
        [f.lab, f.hospitalRecord, f.hospital, Category.CONDITIONS, Purpose.RESEARCH, 0n],
        [f.lab, f.hospitalRecord, f.hospital, redact(Category.CONDITIONS | Category.GENETIC), Purpose.TREATMENT, 0n],
        [f.hospital, f.labRecord, f.lab, redact(Category.GENETIC), Purpose.EMERGENCY, f.secondAccess],
      ]);
      for (const e of log) {
        const block = await ethers.provider.getBlock(e.blockNumber);
        expect(e.timestamp).to.equal(BigInt(block!.timestamp));
      }
      const toHospital = await accessLogView(f.consent, f.patientId, {
        fromBlock: f.fromBlock,
        recipientOrg: f.hospital,
      });
      expect(toHospital.map((e) => e.recordId)).to.deep.equal([f.labRecord]);
      const ofRecord = await accessLogView(f.consent, f.patientId, {
        fromBlock: f.fromBlock,
        recordId: f.hospitalRecord,
      });
      expect(ofRecord).to.have.length(2);
      expect(await accessLogView(f.consent, f.otherPatientId, { fromBlock: f.fromBlock })).to.deep.equal([]);
    });
  });

  describe("emergencyAccessView", function () {
    it("rebuilds openings, justification, early close and overdue report, agreeing with getEmergencyAccess and isOverdue", async function () {
      const f = await networkHelpers.loadFixture(historyFixture);
      expect(EMERGENCY_JUSTIFICATION_PERIOD).to.equal(await f.consent.JUSTIFICATION_PERIOD());
      const views = await emergencyAccessView(f.consent, { patientId: f.patientId }, { fromBlock: f.fromBlock });
      expect(views.map((v) => v.accessId)).to.deep.equal([f.firstAccess, f.secondAccess]);
      const at = await now(ethers);
      for (const v of views) {
        const onChain = await f.consent.getEmergencyAccess(v.accessId);
        expect([v.patientId, v.orgId, v.openedAt, v.closesAt]).to.deep.equal([
          onChain.patientId,
          onChain.orgId,
          onChain.openedAt,
          onChain.closesAt,
        ]);
        expect(v.justified !== undefined).to.equal(onChain.justified);
        expect(v.reportedOverdue !== undefined).to.equal(onChain.reported);
        expect(isEmergencyAccessOverdue(v, at)).to.equal(await f.consent.isOverdue(v.accessId));
        expect(v.operator).to.equal(f.doctor.address);
      }
      const [first, second] = views;
      expect(first.closedEarly?.by).to.equal(f.doctor.address);
      expect(first.justified?.late).to.equal(false);
      expect(second.closedEarly).to.equal(undefined);
      expect(second.reportedOverdue?.dueAt).to.equal(second.openedAt + EMERGENCY_JUSTIFICATION_PERIOD);
      expect(isEmergencyAccessOverdue(second, at)).to.equal(true);

      expect(await emergencyAccessView(f.consent, { orgId: f.hospital }, { fromBlock: f.fromBlock })).to.deep.equal(
        views,
      );
      expect(await emergencyAccessView(f.consent, { orgId: f.lab }, { fromBlock: f.fromBlock })).to.deep.equal([]);
      expect(
        await emergencyAccessView(f.consent, { patientId: f.otherPatientId }, { fromBlock: f.fromBlock }),
      ).to.deep.equal([]);
    });
  });
});
