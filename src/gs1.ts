/**
 * GS1 element strings for DSCSA packs: GTIN (01), expiry (17), lot (10) and serial (21).
 *
 * Two spellings are read and written:
 * - **HRI** (human-readable interpretation, as printed under the barcode):
 *   `(01)09501101020917(17)261231(10)LOT42(21)SN123`
 * - **raw** (as a scanner transmits the barcode data): no parentheses; a variable-length field that is
 *   not last is ended by the GS separator (`\x1d`, FNC1). A scan may start with a symbology identifier
 *   (`]d2` GS1 DataMatrix, `]C1` GS1-128, `]Q3` GS1 QR, `]e0` GS1 DataBar, `]J1` GS1 DotCode) and/or
 *   a leading GS.
 *
 * References: GS1 General Specifications §3.2 (AIs 01, 10, 17, 21), §7.9.5 (check digit), §7.11
 * (character set 82), §7.12 (century of a YY year); DSCSA limits the serial to 20 characters.
 *
 * @module
 */

// ─── Types ───────────────────────────────────────────────────────────────────────────────────────

/** An expiry date (AI 17). `day` is always the real day: a printed `DD = 00` is resolved to the month's last day. */
export interface Gs1Expiry {
  /** Four-digit year, resolved from `YY` by the GS1 century rule. */
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31, never 0. */
  day: number;
  /** `YYYY-MM-DD`. */
  iso: string;
}

/** The four data elements DSCSA requires on a pack (the product identifier). */
export interface Gs1Pack {
  /** GTIN-14, 14 digits with a valid check digit. */
  gtin: string;
  expiry: Gs1Expiry;
  /** Batch/lot number, 1–20 characters of GS1 character set 82. */
  lot: string;
  /** Serial number, 1–20 characters of GS1 character set 82. */
  serial: string;
}

/** `hri`: `(01)…(17)…(10)…(21)…`; `raw`: `01…17…10…<GS>21…` as a scanner transmits it. */
export type Gs1Mode = "hri" | "raw";

/** Options of {@link parseGs1}. */
export interface Gs1ParseOptions {
  /**
   * The year against which a two-digit `YY` is placed in a century (GS1 General Specifications §7.12).
   * Defaults to the current UTC year; pass it to make parsing reproducible.
   */
  referenceYear?: number;
}

/** Options of {@link formatGs1}: the spelling to write. */
export interface Gs1FormatOptions extends Gs1ParseOptions {
  mode: Gs1Mode;
}

/** Why a GS1 string or value was refused. */
export type Gs1ErrorCode =
  | "MALFORMED"
  | "BAD_CHECK_DIGIT"
  | "UNKNOWN_AI"
  | "DUPLICATE_AI"
  | "MISSING_AI"
  | "TOO_LONG"
  | "BAD_DATE"
  | "BAD_CHARACTER";

/** Thrown for any invalid GS1 input. `code` says what is wrong; the message names the field and the bad value. */
export class Gs1Error extends Error {
  /** What is wrong. */
  readonly code: Gs1ErrorCode;
  /** The application identifier concerned, when there is one (`"01"`, `"17"`, `"10"`, `"21"`, or an unknown one). */
  readonly ai: string | undefined;
  /** The offending value, when there is one. */
  readonly value: string | undefined;

  constructor(code: Gs1ErrorCode, message: string, details: { ai?: string; value?: string } = {}) {
    super(message);
    this.name = "Gs1Error";
    this.code = code;
    this.ai = details.ai;
    this.value = details.value;
  }
}

// ─── Constants ───────────────────────────────────────────────────────────────────────────────────

/** The GS separator (ASCII 29) that stands for FNC1 in transmitted barcode data. */
export const GS = "\x1d";

/** Maximum length of a serial number under DSCSA (and of a lot, AI 10, under GS1). */
export const MAX_SERIAL_LENGTH = 20;
/** Maximum length of a lot number (AI 10). */
export const MAX_LOT_LENGTH = 20;

interface AiSpec {
  name: "GTIN" | "expiry" | "lot" | "serial";
  /** Exact length for predefined-length AIs, maximum length for the others. */
  length: number;
  fixed: boolean;
}

const AIS: Readonly<Record<string, AiSpec>> = {
  "01": { name: "GTIN", length: 14, fixed: true },
  "17": { name: "expiry", length: 6, fixed: true },
  "10": { name: "lot", length: MAX_LOT_LENGTH, fixed: false },
  "21": { name: "serial", length: MAX_SERIAL_LENGTH, fixed: false },
};

const REQUIRED_AIS = ["01", "17", "10", "21"] as const;

/** Symbology identifiers (ISO/IEC 15424) that announce GS1 data. `]d1`, `]Q1`, … are not GS1. */
const GS1_SYMBOLOGY_IDS = new Set(["]C1", "]e0", "]d2", "]Q3", "]J1"]);

/** GS1 character set 82 (General Specifications Figure 7.11-1). */
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;
const CSET82_CHAR = /[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]/;

/** In HRI an element starts with `(` digits `)`; the same pattern inside a value would be read as a new element. */
const HRI_AI = /\(\d{2,4}\)/g;

// ─── GTIN ────────────────────────────────────────────────────────────────────────────────────────

/**
 * The GS1 mod-10 check digit of the first 13 digits of a GTIN-14: from the right, digits are weighted
 * 3, 1, 3, 1, …; the check digit brings the weighted sum to a multiple of 10.
 */
export function gtinCheckDigit(first13: string): number {
  if (typeof first13 !== "string" || !/^\d{13}$/.test(first13)) {
    throw new Gs1Error("MALFORMED", `GTIN body ${show(first13)} must be exactly 13 digits`, {
      ai: "01",
      value: String(first13),
    });
  }
  return mod10(first13);
}

/** True for a GTIN-8, -12, -13 or -14 made of digits only with a correct check digit. Never throws. */
export function isValidGtin(gtin: string): boolean {
  return (
    typeof gtin === "string" && /^(\d{8}|\d{12,14})$/.test(gtin) && mod10(gtin.slice(0, -1)) === Number(gtin.slice(-1))
  );
}

/**
 * A GTIN-8, -12, -13 or -14 as a GTIN-14 (left-padded with zeros, which GS1 defines as the same key).
 * Throws {@link Gs1Error} (`BAD_CHARACTER`, `MALFORMED`, `BAD_CHECK_DIGIT`).
 */
export function normalizeGtin(gtin: string): string {
  const value = String(gtin);
  if (!/^\d*$/.test(value)) {
    throw new Gs1Error("BAD_CHARACTER", `GTIN ${show(value)} must contain digits only`, { ai: "01", value });
  }
  if (!/^(\d{8}|\d{12,14})$/.test(value)) {
    throw new Gs1Error("MALFORMED", `GTIN ${show(value)} must have 8, 12, 13 or 14 digits, not ${value.length}`, {
      ai: "01",
      value,
    });
  }
  const expected = mod10(value.slice(0, -1));
  if (expected !== Number(value.slice(-1))) {
    throw new Gs1Error(
      "BAD_CHECK_DIGIT",
      `GTIN ${show(value)} has check digit ${value.slice(-1)}, expected ${expected}`,
      { ai: "01", value },
    );
  }
  return value.padStart(14, "0");
}

/** The GTIN as the number the SupplyChain contract stores (`uint64`). GTIN-8/12/13 give the same number as their GTIN-14. */
export function gtinToUint(gtin: string): bigint {
  return BigInt(normalizeGtin(gtin));
}

/** The inverse of {@link gtinToUint}: a `uint64` from the chain back to a GTIN-14 string (check digit verified). */
export function uintToGtin(value: bigint): string {
  if (typeof value !== "bigint" || value < 0n || value > 99_999_999_999_999n) {
    throw new Gs1Error("MALFORMED", `GTIN number ${String(value)} is not a 0–14 digit non-negative integer`, {
      ai: "01",
      value: String(value),
    });
  }
  return normalizeGtin(value.toString().padStart(14, "0"));
}

/**
 * Whether a GTIN belongs to a GS1 company prefix. A GTIN-14 is indicator digit + company prefix + item
 * reference + check digit, so the prefix is compared with the digits right after the indicator.
 * GTIN-8/12/13 are first padded to 14 digits. The prefix must be 4–12 digits.
 */
export function gtinHasCompanyPrefix(gtin: string, prefix: string): boolean {
  const gtin14 = normalizeGtin(gtin);
  if (typeof prefix !== "string" || !/^\d{4,12}$/.test(prefix)) {
    throw new Gs1Error("MALFORMED", `GS1 company prefix ${show(prefix)} must be 4 to 12 digits`, {
      ai: "01",
      value: String(prefix),
    });
  }
  return gtin14.slice(1, 1 + prefix.length) === prefix;
}

// ─── Expiry ──────────────────────────────────────────────────────────────────────────────────────

/** A validated {@link Gs1Expiry} for a calendar date (year 1000–9999). Throws `BAD_DATE`. */
export function makeExpiry(year: number, month: number, day: number): Gs1Expiry {
  const ok =
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    year >= 1000 &&
    year <= 9999 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month);
  if (!ok) {
    throw new Gs1Error("BAD_DATE", `expiry (17) ${year}-${month}-${day} is not a calendar date`, {
      ai: "17",
      value: `${year}-${month}-${day}`,
    });
  }
  return { year, month, day, iso: `${year}-${pad2(month)}-${pad2(day)}` };
}

/**
 * The expiry as Unix seconds at the **end** of that day in UTC (`23:59:59`): a pack is expired once
 * `block.timestamp > expiryToUnix(expiry)`.
 */
export function expiryToUnix(expiry: Pick<Gs1Expiry, "year" | "month" | "day">): bigint {
  const { year, month, day } = makeExpiry(expiry.year, expiry.month, expiry.day);
  return BigInt(Date.UTC(year, month - 1, day, 23, 59, 59) / 1000);
}

// ─── Lot and serial ──────────────────────────────────────────────────────────────────────────────

/** Throws {@link Gs1Error} unless `lot` is 1–20 characters of GS1 character set 82. */
export function assertLot(lot: string): void {
  checkVariable("10", lot);
}

/** Throws {@link Gs1Error} unless `serial` is 1–20 characters of GS1 character set 82 (the DSCSA limit). */
export function assertSerial(serial: string): void {
  checkVariable("21", serial);
}

// ─── Parse and format ────────────────────────────────────────────────────────────────────────────

/**
 * Parses a GS1 element string carrying AIs 01, 17, 10 and 21 in any order, in HRI form (starts with `(`)
 * or raw form. All four are required; each may appear once. Surrounding whitespace (a scanner's CR/LF)
 * is ignored, and so is whitespace between HRI elements.
 *
 * In raw form a GS after a predefined-length field (01, 17) and a trailing GS are tolerated. In HRI form a
 * `(` + digits + `)` sequence always starts a new element, so a lot or serial containing one can only
 * be read in raw form ({@link formatGs1} refuses to print such a value as HRI).
 *
 * @throws {Gs1Error} with the first problem found.
 */
export function parseGs1(input: string, options: Gs1ParseOptions = {}): Gs1Pack {
  if (typeof input !== "string") {
    throw new Gs1Error("MALFORMED", `GS1 input must be a string, got ${typeof input}`);
  }
  const text = input.trim();
  if (text === "") throw new Gs1Error("MALFORMED", "GS1 input is empty", { value: input });
  const mode: Gs1Mode = text.startsWith("(") ? "hri" : "raw";
  const elements = mode === "hri" ? splitHri(text) : splitRaw(text);

  const values = new Map<string, string>();
  for (const { ai, value } of elements) {
    const spec = AIS[ai];
    if (values.has(ai)) {
      throw new Gs1Error(
        "DUPLICATE_AI",
        `AI (${ai}) ${spec.name} appears twice: ${show(values.get(ai))} and ${show(value)}`,
        { ai, value },
      );
    }
    if (spec.fixed) checkFixed(ai, value);
    else checkVariable(ai, value, mode === "raw" ? LOST_GS_HINT : "");
    values.set(ai, value);
  }
  const missing = REQUIRED_AIS.filter((ai) => !values.has(ai));
  if (missing.length > 0) {
    const hint = mode === "raw" && elements.length > 0 ? LOST_GS_HINT : "";
    throw new Gs1Error(
      "MISSING_AI",
      `GS1 input ${show(input)} lacks ${missing.map((ai) => `(${ai}) ${AIS[ai].name}`).join(", ")}${hint}`,
      { ai: missing[0], value: input },
    );
  }

  const gtin = values.get("01")!;
  const gtinCheck = mod10(gtin.slice(0, 13));
  if (gtinCheck !== Number(gtin[13])) {
    throw new Gs1Error(
      "BAD_CHECK_DIGIT",
      `GTIN (01) ${show(gtin)} has check digit ${gtin[13]}, expected ${gtinCheck}`,
      {
        ai: "01",
        value: gtin,
      },
    );
  }
  return {
    gtin,
    expiry: parseYymmdd(values.get("17")!, referenceYearOf(options)),
    lot: values.get("10")!,
    serial: values.get("21")!,
  };
}

/**
 * Writes a pack as HRI (`(01)…(17)…(10)…(21)…`) or raw (`01…17…10…<GS>21…`, no symbology identifier,
 * no trailing GS). The expiry is written with its real day (never `00`). GTIN-8/12/13 are written as
 * GTIN-14. The pack is validated first, so `parseGs1(formatGs1(p, o), o)` returns `p`.
 *
 * @throws {Gs1Error} if the pack is invalid, its year cannot be written as `YY` relative to the
 * reference year, or (HRI only) a lot or serial contains `(` digits `)`.
 */
export function formatGs1(pack: Gs1Pack, options: Gs1FormatOptions): string {
  const gtin = normalizeGtin(pack.gtin);
  const { year, month, day } = makeExpiry(pack.expiry.year, pack.expiry.month, pack.expiry.day);
  const yy = year % 100;
  if (centuryOf(yy, referenceYearOf(options)) !== year) {
    throw new Gs1Error(
      "BAD_DATE",
      `expiry (17) year ${year} cannot be written as YY: it would read back as ${centuryOf(yy, referenceYearOf(options))}`,
      { ai: "17", value: String(year) },
    );
  }
  assertLot(pack.lot);
  assertSerial(pack.serial);
  const yymmdd = `${pad2(yy)}${pad2(month)}${pad2(day)}`;
  switch (options.mode) {
    case "hri":
      for (const [ai, value] of [
        ["10", pack.lot],
        ["21", pack.serial],
      ] as const) {
        if (new RegExp(HRI_AI.source).test(value)) {
          throw new Gs1Error(
            "MALFORMED",
            `${AIS[ai].name} (${ai}) ${show(value)} contains an AI-like "(nn)" and cannot be printed as HRI; use raw`,
            { ai, value },
          );
        }
      }
      return `(01)${gtin}(17)${yymmdd}(10)${pack.lot}(21)${pack.serial}`;
    case "raw":
      return `01${gtin}17${yymmdd}10${pack.lot}${GS}21${pack.serial}`;
    default:
      throw new Gs1Error("MALFORMED", `unknown GS1 format mode ${show(options.mode)}`);
  }
}

// ─── Internal ────────────────────────────────────────────────────────────────────────────────────

const LOST_GS_HINT = " (if the scanner dropped the GS separator, the next element runs into this one)";

interface Element {
  ai: string;
  value: string;
}

function splitHri(text: string): Element[] {
  const elements: Element[] = [];
  let pos = 0;
  // `text` starts with "(" and every element ends where the next "(AI)" starts, so `pos` is always at a "(".
  while (pos < text.length) {
    const close = text.indexOf(")", pos);
    const ai = close < 0 ? "" : text.slice(pos + 1, close);
    if (!/^\d{2,4}$/.test(ai)) {
      throw new Gs1Error("MALFORMED", `HRI ${show(text)}: no "(AI)" of 2–4 digits at position ${pos}`, {
        value: text,
      });
    }
    if (!(ai in AIS)) {
      throw new Gs1Error("UNKNOWN_AI", `AI (${ai}) is not supported (only 01, 17, 10, 21) in ${show(text)}`, {
        ai,
        value: text,
      });
    }
    HRI_AI.lastIndex = close + 1;
    const next = HRI_AI.exec(text);
    const end = next ? next.index : text.length;
    elements.push({ ai, value: text.slice(close + 1, end).trim() });
    pos = end;
  }
  return elements;
}

function splitRaw(text: string): Element[] {
  let data = text;
  if (data.startsWith("]")) {
    const id = data.slice(0, 3);
    if (!GS1_SYMBOLOGY_IDS.has(id)) {
      throw new Gs1Error(
        "MALFORMED",
        `symbology identifier ${show(id)} does not announce GS1 data (expected one of ${[...GS1_SYMBOLOGY_IDS].join(" ")})`,
        { value: text },
      );
    }
    data = data.slice(3);
  }
  if (data.startsWith(GS)) data = data.slice(1); // FNC1 in first position, as some scanners transmit it
  if (data === "") throw new Gs1Error("MALFORMED", `GS1 input ${show(text)} carries no data`, { value: text });

  const elements: Element[] = [];
  let pos = 0;
  while (pos < data.length) {
    const ai = data.slice(pos, pos + 2);
    if (!/^\d\d$/.test(ai)) {
      throw new Gs1Error(
        "MALFORMED",
        `raw GS1 ${show(text)}: expected a 2-digit AI at position ${pos}, found ${show(ai)}`,
        { value: text },
      );
    }
    const spec = AIS[ai];
    if (spec === undefined) {
      throw new Gs1Error(
        "UNKNOWN_AI",
        `AI (${ai}…) at position ${pos} is not supported (only 01, 17, 10, 21) in ${show(text)}`,
        {
          ai,
          value: text,
        },
      );
    }
    const start = pos + 2;
    let end: number;
    if (spec.fixed) {
      end = start + spec.length;
      const value = data.slice(start, end);
      if (value.length < spec.length || value.includes(GS)) {
        throw new Gs1Error(
          "MALFORMED",
          `${spec.name} (${ai}) ${show(value.split(GS)[0])} must be exactly ${spec.length} digits`,
          { ai, value },
        );
      }
    } else {
      const gs = data.indexOf(GS, start);
      end = gs < 0 ? data.length : gs;
    }
    elements.push({ ai, value: data.slice(start, end) });
    pos = end;
    if (data[pos] === GS) pos += 1; // separator after a variable field (tolerated after a fixed one)
  }
  return elements;
}

function checkFixed(ai: string, value: string): void {
  const spec = AIS[ai];
  const bad = value.search(/\D/);
  if (bad >= 0) {
    throw new Gs1Error(
      "BAD_CHARACTER",
      `${spec.name} (${ai}) ${show(value)} has non-digit ${show(value[bad])} at position ${bad}`,
      { ai, value },
    );
  }
  if (value.length !== spec.length) {
    throw new Gs1Error(
      "MALFORMED",
      `${spec.name} (${ai}) ${show(value)} must be exactly ${spec.length} digits, not ${value.length}`,
      { ai, value },
    );
  }
}

function checkVariable(ai: string, value: string, hint = ""): void {
  const spec = AIS[ai];
  if (typeof value !== "string" || value === "") {
    throw new Gs1Error("MALFORMED", `${spec.name} (${ai}) is empty`, { ai, value: String(value) });
  }
  if (!CSET82.test(value)) {
    const index = [...value].findIndex((c) => !CSET82_CHAR.test(c));
    const char = [...value][index];
    throw new Gs1Error(
      "BAD_CHARACTER",
      `${spec.name} (${ai}) ${show(value)} has character ${show(char)} at position ${index}, outside GS1 character set 82`,
      { ai, value },
    );
  }
  if (value.length > spec.length) {
    throw new Gs1Error(
      "TOO_LONG",
      `${spec.name} (${ai}) ${show(value)} has ${value.length} characters, at most ${spec.length} allowed${hint}`,
      { ai, value },
    );
  }
}

function parseYymmdd(value: string, referenceYear: number): Gs1Expiry {
  const yy = Number(value.slice(0, 2));
  const month = Number(value.slice(2, 4));
  const dd = Number(value.slice(4, 6));
  const year = centuryOf(yy, referenceYear);
  if (month < 1 || month > 12 || dd > daysInMonth(year, month)) {
    throw new Gs1Error("BAD_DATE", `expiry (17) ${show(value)} is not a valid YYMMDD date (year ${year})`, {
      ai: "17",
      value,
    });
  }
  // GS1: DD = 00 means the last day of the month.
  return makeExpiry(year, month, dd === 0 ? daysInMonth(year, month) : dd);
}

/** GS1 General Specifications §7.12: place YY within 49 years back or 50 years ahead of the reference year. */
function centuryOf(yy: number, referenceYear: number): number {
  const century = Math.floor(referenceYear / 100) * 100;
  const diff = yy - (referenceYear % 100);
  if (diff >= 51) return century - 100 + yy;
  if (diff <= -50) return century + 100 + yy;
  return century + yy;
}

function referenceYearOf(options: Gs1ParseOptions): number {
  const year = options.referenceYear ?? new Date().getUTCFullYear();
  if (!Number.isInteger(year) || year < 1100 || year > 9899) {
    throw new Gs1Error("BAD_DATE", `reference year ${String(year)} must be an integer between 1100 and 9899`);
  }
  return year;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function mod10(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    // Weights 3, 1, 3, … counted from the rightmost digit of the body (the one next to the check digit).
    sum += Number(body[i]) * ((body.length - i) % 2 === 1 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** A value quoted for an error message, with control characters (GS, CR, …) made visible. */
function show(value: unknown): string {
  return JSON.stringify(String(value));
}
