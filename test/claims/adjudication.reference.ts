/**
 * Reference adjudication, written from DESIGN.md §6's prose (not from the Solidity), in bigint token
 * units. For a claim of amount A:
 *   1. E = min(A, cap); an uncovered code is denied; A − E is the provider's write-off;
 *   2. K = min(copay, E);
 *   3. D = min(E − K, deductible − deductibleMet);
 *   4. B = E − K − D; R = ⌊B × rate / 10,000⌋; S = K + D + (B − R);
 *   5. if outOfPocketPaid + S > oopMax, the excess moves from S to R;
 *   6. if benefitUsed + R > annualLimit, the excess Y moves from R to "not covered";
 *   7. accumulators += (D, S, R).
 */
export interface RefPlan {
  covered: boolean;
  cap: bigint;
  copay: bigint;
  rateBps: bigint;
  deductible: bigint;
  oopMax: bigint;
  annualLimit: bigint;
}

export interface RefAccumulators {
  deductibleMet: bigint;
  oopPaid: bigint;
  benefitUsed: bigint;
}

export interface RefResult {
  denied: boolean;
  eligible: bigint;
  copay: bigint;
  deductible: bigint;
  benefit: bigint;
  patient: bigint;
  notCovered: bigint;
  writeOff: bigint;
  after: RefAccumulators;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);

export function adjudicateReference(amount: bigint, plan: RefPlan, acc: RefAccumulators): RefResult {
  if (!plan.covered) {
    return {
      denied: true,
      eligible: 0n,
      copay: 0n,
      deductible: 0n,
      benefit: 0n,
      patient: 0n,
      notCovered: 0n,
      writeOff: 0n,
      after: { ...acc },
    };
  }
  const eligible = min(amount, plan.cap);
  const writeOff = amount - eligible;
  const copay = min(plan.copay, eligible);
  const deductibleLeft = plan.deductible - acc.deductibleMet;
  const deductible = min(eligible - copay, deductibleLeft);
  const base = eligible - copay - deductible;
  let benefit = (base * plan.rateBps) / 10_000n;
  let patient = copay + deductible + (base - benefit);
  if (acc.oopPaid + patient > plan.oopMax) {
    const excess = acc.oopPaid + patient - plan.oopMax;
    patient -= excess;
    benefit += excess;
  }
  let notCovered = 0n;
  if (acc.benefitUsed + benefit > plan.annualLimit) {
    notCovered = acc.benefitUsed + benefit - plan.annualLimit;
    benefit -= notCovered;
  }
  return {
    denied: false,
    eligible,
    copay,
    deductible,
    benefit,
    patient,
    notCovered,
    writeOff,
    after: {
      deductibleMet: acc.deductibleMet + deductible,
      oopPaid: acc.oopPaid + patient,
      benefitUsed: acc.benefitUsed + benefit,
    },
  };
}

/** A small seeded PRNG (mulberry32) so fuzz cases are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The issue's worked table (issue 6), amounts in token units. `acc` is the policy year before the claim.
 * Row 10's code is not covered.
 */
export const TABLE_ROWS: {
  row: number;
  amount: bigint;
  plan: RefPlan;
  acc: RefAccumulators;
  expect:
    | {
        eligible: bigint;
        copay: bigint;
        deductible: bigint;
        benefit: bigint;
        patient: bigint;
        notCovered: bigint;
        writeOff: bigint;
      }
    | "denied";
}[] = [
  row(1, 1500n, [5000n, 0n, 8000n], [400n, 0n], [3000n, 0n], [100000n, 0n], [1500n, 0n, 400n, 880n, 620n, 0n, 0n]),
  row(2, 900n, [5000n, 0n, 8000n], [400n, 400n], [3000n, 620n], [100000n, 880n], [900n, 0n, 0n, 720n, 180n, 0n, 0n]),
  row(3, 300n, [5000n, 0n, 8000n], [500n, 0n], [3000n, 0n], [100000n, 0n], [300n, 0n, 300n, 0n, 300n, 0n, 0n]),
  row(4, 800n, [5000n, 25n, 8000n], [500n, 200n], [3000n, 200n], [100000n, 0n], [800n, 25n, 300n, 380n, 420n, 0n, 0n]),
  row(
    5,
    6000n,
    [5000n, 0n, 8000n],
    [500n, 500n],
    [3000n, 500n],
    [100000n, 0n],
    [5000n, 0n, 0n, 4000n, 1000n, 0n, 1000n],
  ),
  row(
    6,
    10000n,
    [20000n, 0n, 8000n],
    [500n, 500n],
    [3000n, 2900n],
    [100000n, 0n],
    [10000n, 0n, 0n, 9900n, 100n, 0n, 0n],
  ),
  row(7, 4000n, [20000n, 0n, 9000n], [0n, 0n], [3000n, 0n], [2500n, 1000n], [4000n, 0n, 0n, 1500n, 400n, 2100n, 0n]),
  row(8, 150n, [5000n, 50n, 10000n], [0n, 0n], [3000n, 0n], [100000n, 0n], [150n, 50n, 0n, 100n, 50n, 0n, 0n]),
  row(9, 2000n, [20000n, 0n, 5000n], [1000n, 0n], [1200n, 0n], [100000n, 0n], [2000n, 0n, 1000n, 800n, 1200n, 0n, 0n]),
  {
    row: 10,
    amount: 500n,
    plan: { covered: false, cap: 0n, copay: 0n, rateBps: 0n, deductible: 0n, oopMax: 0n, annualLimit: 0n },
    acc: { deductibleMet: 0n, oopPaid: 0n, benefitUsed: 0n },
    expect: "denied",
  },
];

function row(
  n: number,
  amount: bigint,
  [cap, copay, rateBps]: bigint[],
  [deductible, deductibleMet]: bigint[],
  [oopMax, oopPaid]: bigint[],
  [annualLimit, benefitUsed]: bigint[],
  [eligible, k, d, benefit, patient, notCovered, writeOff]: bigint[],
) {
  return {
    row: n,
    amount,
    plan: { covered: true, cap, copay, rateBps, deductible, oopMax, annualLimit },
    acc: { deductibleMet, oopPaid, benefitUsed },
    expect: { eligible, copay: k, deductible: d, benefit, patient, notCovered, writeOff },
  };
}
