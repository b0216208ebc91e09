import { expect } from "chai";

import {
  assertLot,
  assertSerial,
  expiryToUnix,
  formatGs1,
  GS,
  Gs1Error,
  type Gs1ErrorCode,
  type Gs1Pack,
  gtinCheckDigit,
  gtinHasCompanyPrefix,
  gtinToUint,
  isValidGtin,
  makeExpiry,
  normalizeGtin,
  parseGs1,
  uintToGtin,
} from "../../src/gs1.ts";
import { catchError, prng } from "../helpers/sdk.ts";

/** GS1's own example GTIN (General Specifications), check digit 7. */
const GTIN = "09501101020917";
const REF = { referenceYear: 2025 };
const PACK: Gs1Pack = {
  gtin: GTIN,
  expiry: { year: 2026, month: 12, day: 31, iso: "2026-12-31" },
  lot: "LOT42",
  serial: "SN123",
};
const HRI = "(01)09501101020917(17)261231(10)LOT42(21)SN123";
const RAW = `01095011010209171726123110LOT42${GS}21SN123`;

/** The 82 characters of GS1 character set 82. */
const CSET82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;

function expectGs1Error(fn: () => unknown, code: Gs1ErrorCode, ...fragments: string[]): Gs1Error {
  const error = catchError(fn);
  expect(error).to.be.instanceOf(Gs1Error);
  const gs1 = error as Gs1Error;
  expect(gs1.code, gs1.message).to.equal(code);
  for (const fragment of fragments) expect(gs1.message).to.include(fragment);
  return gs1;
}

type Ai = "01" | "17" | "10" | "21";
const VALUES: Record<Ai, string> = { "01": GTIN, "17": "261231", "10": "LOT42", "21": "SN123" };

/** An element string with the given AIs in the given order, in either mode (GS after each variable field but the last). */
function compose(order: readonly Ai[], mode: "hri" | "raw", values: Record<Ai, string> = VALUES): string {
  if (mode === "hri") return order.map((ai) => `(${ai})${values[ai]}`).join("");
  return order
    .map((ai, i) => {
      const variable = ai === "10" || ai === "21";
      return `${ai}${values[ai]}${variable && i < order.length - 1 ? GS : ""}`;
    })
    .join("");
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("gtinCheckDigit", function () {
  it("computes the GS1 mod-10 check digit of known GTINs", function () {
    expect(gtinCheckDigit("0950110102091")).to.equal(7); // GS1 example 09501101020917
    expect(gtinCheckDigit("0400638133393")).to.equal(1); // EAN-13 4006381333931 as GTIN-14
    expect(gtinCheckDigit("0003600029145")).to.equal(2); // UPC-A 036000291452 as GTIN-14
    expect(gtinCheckDigit("1950110102091")).to.equal(4); // indicator digit 1 changes the check digit
    expect(gtinCheckDigit("0000000000000")).to.equal(0);
  });

  it("rejects a body that is not exactly 13 digits", function () {
    expectGs1Error(() => gtinCheckDigit("095011010209"), "MALFORMED", '"095011010209"', "13 digits");
    expectGs1Error(() => gtinCheckDigit("095011010209A"), "MALFORMED", '"095011010209A"');
  });
});

describe("isValidGtin", function () {
  it("accepts GTIN-14, GTIN-13, GTIN-12 and GTIN-8 with correct check digits", function () {
    for (const gtin of [GTIN, "19501101020914", "4006381333931", "036000291452", "96385074"]) {
      expect(isValidGtin(gtin), gtin).to.equal(true);
    }
  });

  it("rejects every single-digit substitution of a valid GTIN", function () {
    for (let position = 0; position < GTIN.length; position++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === GTIN[position]) continue;
        const altered = GTIN.slice(0, position) + digit + GTIN.slice(position + 1);
        expect(isValidGtin(altered), altered).to.equal(false);
      }
    }
  });

  it("rejects non-digits and lengths other than 8, 12, 13 and 14", function () {
    for (const gtin of ["0950110102091A", "", "0950110102091", "095011010209170", "1234567", " 09501101020917"]) {
      expect(isValidGtin(gtin), JSON.stringify(gtin)).to.equal(false);
    }
  });
});

describe("normalizeGtin", function () {
  it("pads GTIN-8, -12 and -13 to GTIN-14", function () {
    expect(normalizeGtin("4006381333931")).to.equal("04006381333931");
    expect(normalizeGtin("036000291452")).to.equal("00036000291452");
    expect(normalizeGtin("96385074")).to.equal("00000096385074");
    expect(normalizeGtin(GTIN)).to.equal(GTIN);
  });

  it("names the GTIN and the expected digit when the check digit is wrong", function () {
    const error = expectGs1Error(() => normalizeGtin("09501101020918"), "BAD_CHECK_DIGIT", '"09501101020918"', "7");
    expect(error.ai).to.equal("01");
    expect(error.value).to.equal("09501101020918");
  });

  it("rejects non-digits and wrong lengths", function () {
    expectGs1Error(() => normalizeGtin("0950110102091X"), "BAD_CHARACTER", '"0950110102091X"');
    expectGs1Error(() => normalizeGtin("950110102091"), "BAD_CHECK_DIGIT"); // 12 digits, read as a GTIN-12
    expectGs1Error(() => normalizeGtin("0950110102"), "MALFORMED", "not 10");
  });
});

describe("gtinToUint", function () {
  it("returns the GTIN as the number the contract stores", function () {
    expect(gtinToUint(GTIN)).to.equal(9501101020917n);
    expect(gtinToUint("19501101020914")).to.equal(19501101020914n);
  });

  it("gives a GTIN-13 and its GTIN-14 form the same number", function () {
    expect(gtinToUint("4006381333931")).to.equal(gtinToUint("04006381333931"));
  });

  it("fits every GTIN-14 in a uint64", function () {
    expect(gtinToUint("99999999999997") < 1n << 64n).to.equal(true);
  });

  it("rejects an invalid GTIN", function () {
    expectGs1Error(() => gtinToUint("09501101020918"), "BAD_CHECK_DIGIT");
  });
});

describe("uintToGtin", function () {
  it("turns the stored number back into the GTIN-14", function () {
    expect(uintToGtin(9501101020917n)).to.equal(GTIN);
    expect(uintToGtin(gtinToUint("19501101020914"))).to.equal("19501101020914");
  });

  it("rejects a number that is not a valid GTIN", function () {
    expectGs1Error(() => uintToGtin(9501101020918n), "BAD_CHECK_DIGIT");
    expectGs1Error(() => uintToGtin(-1n), "MALFORMED", "-1");
    expectGs1Error(() => uintToGtin(100_000_000_000_000n), "MALFORMED");
  });
});

describe("gtinHasCompanyPrefix", function () {
  it("matches the digits after the indicator digit", function () {
    expect(gtinHasCompanyPrefix(GTIN, "9501101")).to.equal(true);
    expect(gtinHasCompanyPrefix("19501101020914", "9501101")).to.equal(true);
  });

  it("does not count the indicator digit as part of the prefix", function () {
    expect(gtinHasCompanyPrefix(GTIN, "0950110")).to.equal(false);
  });

  it("rejects another company's GTIN", function () {
    expect(gtinHasCompanyPrefix(GTIN, "9501102")).to.equal(false);
    expect(gtinHasCompanyPrefix("4006381333931", "9501101")).to.equal(false);
  });

  it("pads a GTIN-13 before comparing", function () {
    expect(gtinHasCompanyPrefix("4006381333931", "4006381")).to.equal(true);
  });

  it("rejects a prefix that is not 4 to 12 digits", function () {
    expectGs1Error(() => gtinHasCompanyPrefix(GTIN, "950"), "MALFORMED", '"950"');
    expectGs1Error(() => gtinHasCompanyPrefix(GTIN, "9501101020917"), "MALFORMED");
    expectGs1Error(() => gtinHasCompanyPrefix(GTIN, "95O1101"), "MALFORMED");
  });

  it("rejects an invalid GTIN", function () {
    expectGs1Error(() => gtinHasCompanyPrefix("09501101020918", "9501101"), "BAD_CHECK_DIGIT");
  });
});

describe("makeExpiry", function () {
  it("builds the ISO date", function () {
    expect(makeExpiry(2026, 3, 7)).to.deep.equal({ year: 2026, month: 3, day: 7, iso: "2026-03-07" });
  });

  it("rejects dates that do not exist", function () {
    expectGs1Error(() => makeExpiry(2025, 2, 29), "BAD_DATE", "2025-2-29");
    expectGs1Error(() => makeExpiry(2026, 13, 1), "BAD_DATE");
    expectGs1Error(() => makeExpiry(2026, 4, 31), "BAD_DATE");
    expectGs1Error(() => makeExpiry(2026, 1, 0), "BAD_DATE");
    expectGs1Error(() => makeExpiry(2026.5, 1, 1), "BAD_DATE");
  });
});

describe("expiryToUnix", function () {
  it("returns the last second of the expiry day in UTC", function () {
    expect(expiryToUnix(PACK.expiry)).to.equal(1798761599n);
    expect(expiryToUnix(PACK.expiry) + 1n).to.equal(BigInt(Date.parse("2027-01-01T00:00:00Z") / 1000));
  });

  it("handles a leap day", function () {
    expect(expiryToUnix({ year: 2024, month: 2, day: 29 })).to.equal(1709251199n);
  });

  it("rejects an impossible date", function () {
    expectGs1Error(() => expiryToUnix({ year: 2026, month: 2, day: 29 }), "BAD_DATE");
  });
});

describe("assertLot and assertSerial", function () {
  it("accept every character of GS1 character set 82", function () {
    expect(CSET82).to.have.length(82);
    for (let i = 0; i < CSET82.length; i += 20) {
      const chunk = CSET82.slice(i, i + 20);
      expect(() => assertLot(chunk)).not.to.throw();
      expect(() => assertSerial(chunk)).not.to.throw();
    }
  });

  it("reject a character outside set 82 and name it", function () {
    for (const char of [" ", "#", "$", "@", "[", "\\", "]", "^", "`", "{", "|", "}", "~", "é", GS, "\n"]) {
      expectGs1Error(() => assertSerial(`AB${char}C`), "BAD_CHARACTER", "serial (21)", JSON.stringify(char));
    }
  });
});

describe("parseGs1", function () {
  describe("reading", function () {
    it("reads the human-readable (HRI) form", function () {
      expect(parseGs1(HRI, REF)).to.deep.equal(PACK);
    });

    it("reads the raw form with a GS after the variable-length lot", function () {
      expect(parseGs1(RAW, REF)).to.deep.equal(PACK);
    });

    it("reads a scan that starts with a GS1 symbology identifier", function () {
      for (const id of ["]d2", "]C1", "]Q3", "]e0", "]J1"]) {
        expect(parseGs1(id + RAW, REF), id).to.deep.equal(PACK);
      }
    });

    it("reads a scan that starts with FNC1 as GS, with or without a symbology identifier", function () {
      expect(parseGs1(GS + RAW, REF)).to.deep.equal(PACK);
      expect(parseGs1(`]d2${GS}${RAW}`, REF)).to.deep.equal(PACK);
    });

    it("ignores a scanner's trailing CR/LF and a trailing GS", function () {
      expect(parseGs1(`${RAW}\r\n`, REF)).to.deep.equal(PACK);
      expect(parseGs1(`${RAW}${GS}`, REF)).to.deep.equal(PACK);
    });

    it("tolerates a GS after a predefined-length field", function () {
      expect(parseGs1(`0109501101020917${GS}17261231${GS}10LOT42${GS}21SN123`, REF)).to.deep.equal(PACK);
    });

    it("tolerates spaces between HRI elements", function () {
      expect(parseGs1("(01) 09501101020917 (17) 261231 (10) LOT42 (21) SN123", REF)).to.deep.equal(PACK);
    });

    it("reads the four AIs in any order, in both modes", function () {
      const orders = permutations<Ai>(["01", "17", "10", "21"]);
      expect(orders).to.have.length(24);
      for (const order of orders) {
        for (const mode of ["hri", "raw"] as const) {
          const input = compose(order, mode);
          expect(parseGs1(input, REF), JSON.stringify(input)).to.deep.equal(PACK);
        }
      }
    });

    it("reads a lot that contains parentheses in HRI when they do not look like an AI", function () {
      const pack = parseGs1("(01)09501101020917(17)261231(10)A(B)1(21)SN123", REF);
      expect(pack.lot).to.equal("A(B)1");
    });
  });

  describe("expiry", function () {
    it("reads DD = 00 as the last day of the month", function () {
      const cases: [string, string][] = [
        ["261200", "2026-12-31"],
        ["260400", "2026-04-30"],
        ["250200", "2025-02-28"],
        ["240200", "2024-02-29"],
      ];
      for (const [yymmdd, iso] of cases) {
        const pack = parseGs1(compose(["01", "17", "10", "21"], "hri", { ...VALUES, "17": yymmdd }), REF);
        expect(pack.expiry.iso, yymmdd).to.equal(iso);
        expect(pack.expiry.day, yymmdd).to.equal(Number(iso.slice(8)));
      }
    });

    it("accepts 29 February in a leap year only", function () {
      const leap = parseGs1(compose(["01", "17", "10", "21"], "raw", { ...VALUES, "17": "240229" }), REF);
      expect(leap.expiry).to.deep.equal({ year: 2024, month: 2, day: 29, iso: "2024-02-29" });
      expectGs1Error(
        () => parseGs1(compose(["01", "17", "10", "21"], "raw", { ...VALUES, "17": "250229" }), REF),
        "BAD_DATE",
        "expiry (17)",
        '"250229"',
      );
    });

    it("places YY in a century by the GS1 rule (49 years back, 50 ahead)", function () {
      const yearOf = (yy: string, referenceYear: number) =>
        parseGs1(compose(["01", "17", "10", "21"], "hri", { ...VALUES, "17": `${yy}0101` }), { referenceYear }).expiry
          .year;
      expect(yearOf("75", 2025)).to.equal(2075);
      expect(yearOf("76", 2025)).to.equal(1976);
      expect(yearOf("00", 2025)).to.equal(2000);
      expect(yearOf("10", 2060)).to.equal(2110);
      expect(yearOf("11", 2060)).to.equal(2011);
      expect(yearOf("99", 2001)).to.equal(1999);
    });

    it("uses the current year when no reference year is given", function () {
      const thisYear = new Date().getUTCFullYear();
      const yy = String(thisYear % 100).padStart(2, "0");
      const pack = parseGs1(compose(["01", "17", "10", "21"], "hri", { ...VALUES, "17": `${yy}0615` }));
      expect(pack.expiry.year).to.equal(thisYear);
    });
  });

  describe("length limits", function () {
    it("accepts a 20-character serial and lot in both modes", function () {
      const values = { ...VALUES, "10": "L".repeat(20), "21": "S".repeat(19) + "9" };
      for (const mode of ["hri", "raw"] as const) {
        const pack = parseGs1(compose(["01", "17", "10", "21"], mode, values), REF);
        expect(pack.serial).to.equal(values["21"]);
        expect(pack.lot).to.equal(values["10"]);
      }
    });

    it("rejects a 21-character serial in both modes (the DSCSA limit)", function () {
      const serial = "S".repeat(20) + "9";
      for (const mode of ["hri", "raw"] as const) {
        const error = expectGs1Error(
          () => parseGs1(compose(["01", "17", "10", "21"], mode, { ...VALUES, "21": serial }), REF),
          "TOO_LONG",
          "serial (21)",
          JSON.stringify(serial),
          "21 characters",
        );
        expect(error.ai).to.equal("21");
        expect(error.value).to.equal(serial);
      }
    });

    it("rejects a 21-character lot", function () {
      expectGs1Error(
        () => parseGs1(compose(["10", "01", "17", "21"], "raw", { ...VALUES, "10": "L".repeat(21) }), REF),
        "TOO_LONG",
        "lot (10)",
      );
    });
  });

  describe("errors", function () {
    it("rejects a GTIN whose check digit is wrong", function () {
      const error = expectGs1Error(
        () => parseGs1(HRI.replace(GTIN, "09501101020918"), REF),
        "BAD_CHECK_DIGIT",
        "GTIN (01)",
        '"09501101020918"',
        "expected 7",
      );
      expect(error.value).to.equal("09501101020918");
    });

    it("rejects empty and structurally broken input as MALFORMED", function () {
      const cases: [string, string][] = [
        ["", "empty"],
        [" \r\n", "empty"],
        ["(01", "(AI)"],
        ["(1)09501101020917", "(AI)"],
        ["(0A)09501101020917", "(AI)"],
        ["01095011010209171726123110LOT42\x1d\x1d21SN123", "2-digit AI"],
        ["AB095011010209171726123110LOT42", "2-digit AI"],
        [`01095011010209${GS}1726123110LOT42${GS}21SN123`, "GTIN (01)"],
        ["0109501101020917172612", "expiry (17)"],
        ["(01)0950110102091(17)261231(10)LOT42(21)SN123", "GTIN (01)"],
        ["(01)09501101020917(17)2612311(10)LOT42(21)SN123", "expiry (17)"],
        ["(01)09501101020917(17)261231(10)(21)SN123", "lot (10) is empty"],
        [`01095011010209171726123121SN123${GS}10`, "lot (10) is empty"],
        ["]d1010950110102091717261231", '"]d1"'],
        ["]d2", "no data"],
      ];
      for (const [input, fragment] of cases) {
        const error = catchError(() => parseGs1(input, REF)) as Gs1Error;
        expect(error, JSON.stringify(input)).to.be.instanceOf(Gs1Error);
        expect(error.code, `${JSON.stringify(input)}: ${error.message}`).to.equal("MALFORMED");
        expect(error.message, JSON.stringify(input)).to.include(fragment);
      }
    });

    it("rejects an AI other than 01, 17, 10 and 21 in both modes", function () {
      expectGs1Error(
        () => parseGs1("(01)09501101020917(11)250101(17)261231(10)LOT42(21)SN123", REF),
        "UNKNOWN_AI",
        "(11)",
      );
      expectGs1Error(
        () => parseGs1("(01)09501101020917(240)ABC(17)261231(10)LOT42(21)SN123", REF),
        "UNKNOWN_AI",
        "(240)",
      );
      const error = expectGs1Error(
        () => parseGs1("01095011010209171125010117261231", REF),
        "UNKNOWN_AI",
        "(11",
        "position 16",
      );
      expect(error.ai).to.equal("11");
    });

    it("rejects an AI that appears twice, naming both values", function () {
      expectGs1Error(() => parseGs1(`${HRI}(21)SN124`, REF), "DUPLICATE_AI", "(21)", '"SN123"', '"SN124"');
      expectGs1Error(() => parseGs1(`${RAW}${GS}10LOT43`, REF), "DUPLICATE_AI", "(10)", '"LOT42"', '"LOT43"');
      expectGs1Error(() => parseGs1(`${HRI}(21)SN123`, REF), "DUPLICATE_AI", "(21)");
    });

    it("rejects input that lacks any one of the four AIs, naming it", function () {
      const names: Record<Ai, string> = { "01": "GTIN", "17": "expiry", "10": "lot", "21": "serial" };
      for (const missing of ["01", "17", "10", "21"] as const) {
        const order = (["01", "17", "10", "21"] as const).filter((ai) => ai !== missing);
        for (const mode of ["hri", "raw"] as const) {
          const error = expectGs1Error(
            () => parseGs1(compose(order, mode), REF),
            "MISSING_AI",
            `(${missing}) ${names[missing]}`,
          );
          expect(error.ai).to.equal(missing);
        }
      }
    });

    it("explains a raw scan whose GS separator was lost", function () {
      // Without the GS, "21SN123" becomes part of the lot.
      const error = expectGs1Error(
        () => parseGs1("01095011010209171726123110LOT4221SN123", REF),
        "MISSING_AI",
        "(21) serial",
        "GS separator",
      );
      expect(error.message).to.include("01095011010209171726123110LOT4221SN123");
    });

    it("rejects impossible expiry dates", function () {
      for (const yymmdd of ["261301", "260001", "260230", "260431", "261232"]) {
        expectGs1Error(
          () => parseGs1(compose(["01", "17", "10", "21"], "hri", { ...VALUES, "17": yymmdd }), REF),
          "BAD_DATE",
          "expiry (17)",
          JSON.stringify(yymmdd),
        );
      }
    });

    it("rejects non-digits in the GTIN and the expiry", function () {
      expectGs1Error(() => parseGs1(HRI.replace(GTIN, "0950110102O917"), REF), "BAD_CHARACTER", "GTIN (01)", '"O"');
      expectGs1Error(() => parseGs1(RAW.replace("261231", "26-231"), REF), "BAD_CHARACTER", "expiry (17)", '"-"');
    });

    it("rejects a lot or serial with a character outside GS1 set 82, naming it", function () {
      expectGs1Error(() => parseGs1(HRI.replace("LOT42", "LOT 42"), REF), "BAD_CHARACTER", "lot (10)", '"LOT 42"');
      expectGs1Error(() => parseGs1(RAW.replace("SN123", "SN#123"), REF), "BAD_CHARACTER", "serial (21)", '"#"');
      expectGs1Error(() => parseGs1(HRI.replace("SN123", "SN\u00e9"), REF), "BAD_CHARACTER", "serial (21)");
    });

    it("rejects a GS inside an HRI value", function () {
      expectGs1Error(() => parseGs1(HRI.replace("LOT42", `LOT${GS}42`), REF), "BAD_CHARACTER", "lot (10)", "\\u001d");
    });
  });
});

describe("formatGs1", function () {
  it("writes the HRI form", function () {
    expect(formatGs1(PACK, { mode: "hri", ...REF })).to.equal(HRI);
  });

  it("writes the raw form with a GS after the lot and none at the end", function () {
    expect(formatGs1(PACK, { mode: "raw", ...REF })).to.equal(RAW);
  });

  it("gives back what parseGs1 read, for both modes", function () {
    expect(formatGs1(parseGs1(HRI, REF), { mode: "hri", ...REF })).to.equal(HRI);
    expect(formatGs1(parseGs1(RAW, REF), { mode: "raw", ...REF })).to.equal(RAW);
  });

  it("round-trips random packs through format and parse in both modes", function () {
    const random = prng(20251126);
    const pick = (alphabet: string, length: number) =>
      Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    for (let i = 0; i < 300; i++) {
      const body = pick("0123456789", 13);
      const year = 2000 + Math.floor(random() * 75);
      const month = 1 + Math.floor(random() * 12);
      const day = 1 + Math.floor(random() * 28);
      const pack: Gs1Pack = {
        gtin: body + gtinCheckDigit(body),
        expiry: makeExpiry(year, month, day),
        lot: pick(CSET82, 1 + Math.floor(random() * 20)),
        serial: pick(CSET82, 1 + Math.floor(random() * 20)),
      };
      expect(parseGs1(formatGs1(pack, { mode: "raw", ...REF }), REF)).to.deep.equal(pack);
      if (!/\(\d{2,4}\)/.test(pack.lot + pack.serial)) {
        expect(parseGs1(formatGs1(pack, { mode: "hri", ...REF }), REF)).to.deep.equal(pack);
      }
    }
  });

  it("writes a DD = 00 expiry with its real day", function () {
    const pack = parseGs1("(01)09501101020917(17)240200(10)LOT42(21)SN123", REF);
    expect(formatGs1(pack, { mode: "hri", ...REF })).to.equal("(01)09501101020917(17)240229(10)LOT42(21)SN123");
  });

  it("writes a GTIN-13 as GTIN-14", function () {
    const pack = { ...PACK, gtin: "4006381333931" };
    expect(formatGs1(pack, { mode: "hri", ...REF })).to.match(/^\(01\)04006381333931\(17\)/);
  });

  it("refuses to print as HRI a value that would read back as an AI, and prints it raw", function () {
    const pack = { ...PACK, serial: "SN(21)9" };
    expectGs1Error(() => formatGs1(pack, { mode: "hri", ...REF }), "MALFORMED", "serial (21)", '"SN(21)9"', "raw");
    expect(parseGs1(formatGs1(pack, { mode: "raw", ...REF }), REF)).to.deep.equal(pack);
  });

  it("rejects an invalid pack", function () {
    expectGs1Error(() => formatGs1({ ...PACK, gtin: "09501101020918" }, { mode: "raw" }), "BAD_CHECK_DIGIT");
    expectGs1Error(() => formatGs1({ ...PACK, serial: "S".repeat(21) }, { mode: "raw" }), "TOO_LONG", "serial (21)");
    expectGs1Error(() => formatGs1({ ...PACK, lot: "LOT 42" }, { mode: "hri" }), "BAD_CHARACTER", "lot (10)");
    expectGs1Error(() => formatGs1({ ...PACK, lot: "" }, { mode: "hri" }), "MALFORMED", "lot (10) is empty");
    expectGs1Error(
      () => formatGs1({ ...PACK, expiry: { year: 2026, month: 2, day: 30, iso: "2026-02-30" } }, { mode: "raw" }),
      "BAD_DATE",
    );
  });

  it("rejects a year that would read back in another century", function () {
    const pack = { ...PACK, expiry: makeExpiry(2080, 1, 1) };
    expectGs1Error(() => formatGs1(pack, { mode: "raw", ...REF }), "BAD_DATE", "2080", "1980");
  });

  it("rejects an unknown mode", function () {
    expectGs1Error(() => formatGs1(PACK, { mode: "pretty" as unknown as "hri", ...REF }), "MALFORMED", '"pretty"');
  });
});
