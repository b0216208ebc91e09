import { expect } from "chai";
import { keccak256, toUtf8Bytes } from "ethers";
import { network } from "hardhat";

import { AuthorizeProviderTypes, typeString, WithdrawDepositTypes } from "../../src/eip712.ts";
import { procedureCodeHash, randomSalt } from "../../src/ids.ts";

import type { AdjudicationHarness } from "../../typechain-types/index.ts";
import { type ClaimsEthers, deployClaims, rule } from "../helpers/claims.ts";
import { DAY } from "../helpers/identity.ts";
import { adjudicateReference, prng, type RefAccumulators, type RefPlan, TABLE_ROWS } from "./adjudication.reference.ts";

const { ethers, networkHelpers } = await network.create();
const E = ethers as unknown as ClaimsEthers;

async function harnessFixture() {
  return (await ethers.deployContract("AdjudicationHarness")) as unknown as AdjudicationHarness;
}

async function escrowFixture() {
  return deployClaims(E);
}

async function onChain(h: AdjudicationHarness, amount: bigint, plan: RefPlan, acc: RefAccumulators) {
  return h.adjudicate(
    amount,
    { covered: plan.covered, rateBps: plan.rateBps, cap: plan.cap, copay: plan.copay },
    { deductible: plan.deductible, outOfPocketMax: plan.oopMax, annualLimit: plan.annualLimit },
    { deductibleMet: acc.deductibleMet, outOfPocketPaid: acc.oopPaid, benefitUsed: acc.benefitUsed },
  );
}

/** Claims that bring a fresh policy year to a table row's starting accumulators (rate, cap, amount). */
const SETUP: Record<number, { rateBps: bigint; amount: bigint }> = {
  2: { rateBps: 8_000n, amount: 1_500n }, // row 1's claim: met 400, paid 620, used 880
  4: { rateBps: 0n, amount: 200n }, // all deductible: met 200, paid 200
  5: { rateBps: 0n, amount: 500n }, // met 500, paid 500
  6: { rateBps: 0n, amount: 2_900n }, // met 500, paid 2,900
  7: { rateBps: 10_000n, amount: 1_000n }, // used 1,000
};

const MAX_UINT48 = 2n ** 48n - 1n;

describe("ClaimEscrow twins in src/", function () {
  it("procedureCodeHash equals keccak256(abi.encode(planSalt, code))", async function () {
    const h = await networkHelpers.loadFixture(harnessFixture);
    const salt = randomSalt();
    expect(procedureCodeHash(salt, "99213")).to.equal(await h.codeHash(salt, "99213"));
  });

  it("EIP-712 type strings hash to ClaimEscrow's type hashes", async function () {
    const f = await networkHelpers.loadFixture(escrowFixture);
    expect(keccak256(toUtf8Bytes(typeString(AuthorizeProviderTypes)))).to.equal(
      await f.escrow.AUTHORIZE_PROVIDER_TYPEHASH(),
    );
    expect(keccak256(toUtf8Bytes(typeString(WithdrawDepositTypes)))).to.equal(
      await f.escrow.WITHDRAW_DEPOSIT_TYPEHASH(),
    );
  });
});

describe("Adjudication", function () {
  describe("the issue's worked table, through the library", function () {
    for (const r of TABLE_ROWS) {
      it(`row ${r.row}: a claim of ${r.amount} adjudicates as the table says`, async function () {
        const h = await networkHelpers.loadFixture(harnessFixture);
        const res = await onChain(h, r.amount, r.plan, r.acc);
        if (r.expect === "denied") {
          expect(res.covered).to.equal(false);
          expect([res.eligible, res.benefit, res.patient]).to.deep.equal([0n, 0n, 0n]);
          return;
        }
        expect(res.covered).to.equal(true);
        const got = {
          eligible: res.eligible,
          copay: res.copay,
          deductible: res.deductible,
          benefit: res.benefit,
          patient: res.patient,
          notCovered: res.notCovered,
          writeOff: res.writeOff,
        };
        expect(got).to.deep.equal(r.expect);
        // The reference written from the prose agrees with the table too.
        const { denied: _d, after: _a, ...ref } = adjudicateReference(r.amount, r.plan, r.acc);
        void _d;
        void _a;
        expect(ref).to.deep.equal(r.expect);
      });
    }
  });

  describe("the issue's worked table, through ClaimEscrow", function () {
    for (const r of TABLE_ROWS) {
      it(`row ${r.row}: submitted, settled and explained as the table says`, async function () {
        const f = await networkHelpers.loadFixture(escrowFixture);
        const terms = {
          deductible: r.plan.deductible,
          outOfPocketMax: r.plan.oopMax,
          annualLimit: r.plan.annualLimit,
          autoApproveThreshold: MAX_UINT48, // every claim is paid at once
          reviewWindow: 14n * DAY,
          timelyFilingWindow: 90n * DAY,
        };
        const setup = SETUP[r.row];
        const plan = await f.createPlan(terms, {
          ROW: rule({ rateBps: r.plan.rateBps, cap: r.plan.cap, copay: r.plan.copay, covered: r.plan.covered }),
          SETUP: rule({ rateBps: setup?.rateBps ?? 0n, cap: MAX_UINT48 }),
        });
        const policyId = await f.bindPolicy(plan.planId);
        await f.fund(1_000_000n);
        if (setup) await f.submit(policyId, plan.codes.SETUP, setup.amount);
        const before = await f.escrow.accumulatorsOf(policyId, 0);
        expect([before.deductibleMet, before.outOfPocketPaid, before.benefitUsed]).to.deep.equal([
          r.acc.deductibleMet,
          r.acc.oopPaid,
          r.acc.benefitUsed,
        ]);

        const { claimId, receipt } = await f.submit(policyId, plan.codes.ROW, r.amount);
        const logs = receipt.logs.map((l) => f.escrow.interface.parseLog(l)).filter((l) => l !== null);
        if (r.expect === "denied") {
          const denied = logs.find((l) => l.name === "ClaimDenied")!;
          expect(denied.args.claimId).to.equal(claimId);
          expect(denied.args.reasonCode).to.equal(96n);
          return;
        }
        const submitted = logs.find((l) => l.name === "ClaimSubmitted")!;
        const settled = logs.find((l) => l.name === "ClaimSettled")!;
        const eob = submitted.args.eob;
        expect({
          submitted: eob.submitted,
          eligible: eob.eligible,
          copay: eob.copay,
          deductible: eob.deductible,
          benefit: eob.benefit,
          patient: eob.patientResponsibility,
          notCovered: eob.notCovered,
        }).to.deep.equal({
          submitted: r.amount,
          eligible: r.expect.eligible,
          copay: r.expect.copay,
          deductible: r.expect.deductible,
          benefit: r.expect.benefit,
          patient: r.expect.patient,
          notCovered: r.expect.notCovered,
        });
        expect(eob.submitted - eob.eligible).to.equal(r.expect.writeOff);
        expect(settled.args.benefitPaid).to.equal(r.expect.benefit);
        const after = await f.escrow.accumulatorsOf(policyId, 0);
        expect([after.deductibleMet, after.outOfPocketPaid, after.benefitUsed]).to.deep.equal([
          r.acc.deductibleMet + r.expect.deductible,
          r.acc.oopPaid + r.expect.patient,
          r.acc.benefitUsed + r.expect.benefit,
        ]);
        const claim = await f.escrow.getClaim(claimId);
        expect([claim.patientShare, claim.notCovered]).to.deep.equal([r.expect.patient, r.expect.notCovered]);
        expect(settled.args.benefit).to.equal(r.expect.benefit);
      });
    }
  });

  describe("against the TypeScript reference", function () {
    it("agrees to the unit on 500 random plans, claims and accumulators (seeded)", async function () {
      const h = await networkHelpers.loadFixture(harnessFixture);
      const rand = prng(0x6d656463);
      const pick = (max: bigint): bigint => {
        // Mix small values, round values and edges, so min() and the limits bind often.
        const r = rand();
        if (r < 0.1) return 0n;
        if (r < 0.15) return max;
        if (r < 0.55) return BigInt(Math.floor(rand() * 5_000)) % (max + 1n);
        return BigInt(Math.floor(rand() * Number(max + 1n)));
      };
      for (let i = 0; i < 500; i++) {
        const plan: RefPlan = {
          covered: rand() > 0.05,
          cap: pick(20_000n),
          copay: pick(200n),
          rateBps: rand() < 0.2 ? [0n, 10_000n, 5_000n, 8_000n][Math.floor(rand() * 4)] : pick(10_000n),
          deductible: pick(3_000n),
          oopMax: pick(8_000n),
          annualLimit: pick(50_000n),
        };
        const acc: RefAccumulators = {
          deductibleMet: plan.deductible === 0n ? 0n : pick(plan.deductible),
          oopPaid: plan.oopMax === 0n ? 0n : pick(plan.oopMax),
          benefitUsed: plan.annualLimit === 0n ? 0n : pick(plan.annualLimit),
        };
        const amount = rand() < 0.02 ? MAX_UINT48 : pick(30_000n);
        const ref = adjudicateReference(amount, plan, acc);
        const got = await onChain(h, amount, plan, acc);
        const where = `case ${i}: ${JSON.stringify({ amount, plan, acc }, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}`;
        expect(got.covered, where).to.equal(!ref.denied);
        expect(
          [got.eligible, got.copay, got.deductible, got.benefit, got.patient, got.notCovered, got.writeOff],
          where,
        ).to.deep.equal([
          ref.eligible,
          ref.copay,
          ref.deductible,
          ref.benefit,
          ref.patient,
          ref.notCovered,
          ref.writeOff,
        ]);
        // Accumulators stay within their limits.
        expect(ref.after.deductibleMet <= plan.deductible, where).to.equal(true);
        expect(ref.after.oopPaid <= plan.oopMax, where).to.equal(true);
        expect(ref.after.benefitUsed <= plan.annualLimit, where).to.equal(true);
      }
    });
  });
});
