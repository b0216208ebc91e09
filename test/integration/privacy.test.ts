/**
 * The privacy check of issue 7: runs the whole demo, then scans every transaction's calldata, every
 * event (topics and data) and every storage value the transactions wrote, for the personal values the
 * story used off chain (scripts/demo/personal.ts): as UTF-8, as the hex text of that UTF-8 in either
 * case, left- or right-padded to a 32-byte word, and as their plain keccak256 and sha256 hashes.
 * Zero hits.
 */
import { createHash } from "node:crypto";

import { expect } from "chai";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";

import { runDemo } from "../../scripts/demo.ts";
import { PERSONAL_VALUES } from "../../scripts/demo/personal.ts";

/** Below this many bytes, a value's raw UTF-8 also occurs by chance in random hashes: it is then
 *  searched only as a whole 32-byte word (padded) and through its hashes. */
const MIN_SUBSTRING_BYTES = 5;

interface Needle {
  value: string;
  form: string;
  hex: string; // lower-case, no 0x
  wordOnly: boolean; // match only a whole, aligned 32-byte word
}

function needlesFor(value: string): Needle[] {
  const utf8 = toUtf8Bytes(value);
  const hex = hexlify(utf8).slice(2);
  const asciiHex = (text: string) => hexlify(toUtf8Bytes(text)).slice(2);
  const needles: Needle[] = [
    { value, form: "keccak256", hex: keccak256(utf8).slice(2), wordOnly: false },
    { value, form: "sha256", hex: createHash("sha256").update(utf8).digest("hex"), wordOnly: false },
  ];
  if (utf8.length <= 32) {
    needles.push({ value, form: "right-padded word", hex: hex.padEnd(64, "0"), wordOnly: true });
    needles.push({ value, form: "left-padded word", hex: hex.padStart(64, "0"), wordOnly: true });
  }
  if (utf8.length >= MIN_SUBSTRING_BYTES) {
    needles.push({ value, form: "UTF-8", hex, wordOnly: false });
    needles.push({ value, form: "hex text (lower case)", hex: asciiHex(hex), wordOnly: false });
    needles.push({ value, form: "hex text (upper case)", hex: asciiHex(hex.toUpperCase()), wordOnly: false });
  }
  return needles;
}

function find(haystack: string, needle: Needle): boolean {
  const h = haystack.toLowerCase().replace(/^0x/, "");
  if (!needle.wordOnly) {
    for (let i = h.indexOf(needle.hex); i !== -1; i = h.indexOf(needle.hex, i + 1)) {
      if (i % 2 === 0) return true; // byte-aligned
    }
    return false;
  }
  for (let i = h.indexOf(needle.hex); i !== -1; i = h.indexOf(needle.hex, i + 1)) {
    if (i % 64 === 0 || i % 2 === 0) return true; // a word, aligned to a byte (calldata words may be offset by the selector)
  }
  return false;
}

describe("privacy: no personal value of the demo's story reaches the chain", function () {
  it("finds none in any transaction's calldata, any event, or any storage value written", async function () {
    this.timeout(600_000);
    const log = console.log;
    console.log = () => undefined;
    let provider;
    try {
      ({ provider } = await runDemo());
    } finally {
      console.log = log;
    }
    const latest = await provider.getBlockNumber();
    const haystacks: { where: string; data: string }[] = [];
    for (let n = 0; n <= latest; n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block!.prefetchedTransactions) {
        haystacks.push({ where: `calldata of ${tx.hash}`, data: tx.data });
        const receipt = await provider.getTransactionReceipt(tx.hash);
        for (const l of receipt!.logs) {
          haystacks.push({ where: `event ${l.index} of ${tx.hash}`, data: [...l.topics, l.data].join("") });
        }
        const trace = (await provider.send("debug_traceTransaction", [
          tx.hash,
          { disableMemory: true, disableStack: true, disableStorage: false },
        ])) as { structLogs: { storage?: Record<string, string> }[] };
        const written = new Set<string>();
        for (const step of trace.structLogs) for (const v of Object.values(step.storage ?? {})) written.add(v);
        haystacks.push({ where: `storage written by ${tx.hash}`, data: [...written].join("") });
      }
    }
    expect(haystacks.length, "the demo sent transactions").to.be.greaterThan(40);
    const storage = haystacks.filter((h) => h.where.startsWith("storage") && h.data.length > 0);
    expect(storage.length, "the traces gave the storage written").to.be.greaterThan(20);

    const hits: string[] = [];
    for (const value of PERSONAL_VALUES) {
      for (const needle of needlesFor(value)) {
        for (const h of haystacks) if (find(h.data, needle)) hits.push(`"${value}" as ${needle.form} in ${h.where}`);
      }
    }
    expect(hits).to.deep.equal([]);
  });

  it("would find a personal value if one were there (the scan can fail)", function () {
    const [value] = PERSONAL_VALUES;
    const utf8 = hexlify(toUtf8Bytes(value));
    const forms = needlesFor(value);
    expect(
      forms.some((n) => find(`0xa9059cbb${utf8.slice(2)}`, n)),
      "raw UTF-8",
    ).to.equal(true);
    expect(
      forms.some((n) => find(keccak256(toUtf8Bytes(value)), n)),
      "keccak256",
    ).to.equal(true);
    const sha = createHash("sha256").update(value).digest("hex");
    expect(
      forms.some((n) => find(`0x${"00".repeat(7)}${sha}`, n)),
      "sha256",
    ).to.equal(true);
    const short = needlesFor("I10");
    expect(
      short.some((n) => find(`0x${hexlify(toUtf8Bytes("I10")).slice(2).padEnd(64, "0")}`, n)),
      "padded word",
    ).to.equal(true);
  });
});
