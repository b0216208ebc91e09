import { expect } from "chai";

import { Gs1Error, parseGs1 } from "../../src/gs1.ts";
import { buildSerialTree, MerkleError, verifySerialProof } from "../../src/merkle.ts";
import {
  type ProofSource,
  type SerialLookup,
  SerialProofStore,
  SerialStoreError,
  type SerialStoreErrorCode,
} from "../../src/serial-store.ts";
import { catchError, fakeSerials } from "../helpers/sdk.ts";

const GTIN = "09501101020917";
const OTHER_GTIN = "04006381333931";

function expectStoreError(fn: () => unknown, code: SerialStoreErrorCode, ...fragments: string[]): void {
  const error = catchError(fn);
  expect(error).to.be.instanceOf(SerialStoreError);
  expect((error as SerialStoreError).code, (error as Error).message).to.equal(code);
  for (const fragment of fragments) expect((error as Error).message).to.include(fragment);
}

function storeWithLots(): { store: SerialProofStore; lot1: string[]; lot2: string[]; lot3: string[] } {
  const store = new SerialProofStore();
  const lot1 = fakeSerials(25, "store-lot1");
  const lot2 = fakeSerials(7, "store-lot2");
  const lot3 = fakeSerials(1, "store-lot3");
  store.addLot(GTIN, "LOT1", lot1);
  store.addLot(GTIN, "LOT2", lot2);
  store.addLot(OTHER_GTIN, "LOT1", lot3);
  return { store, lot1, lot2, lot3 };
}

describe("SerialProofStore", function () {
  describe("addLot", function () {
    it("returns the root and quantity of the lot's serial tree", function () {
      const serials = fakeSerials(10, "add");
      const result = new SerialProofStore().addLot(GTIN, "LOT1", serials);
      const tree = buildSerialTree(serials);
      expect(result).to.deep.equal({ root: tree.root, quantity: 10n });
    });

    it("accepts the same lot again with the same serials", function () {
      const store = new SerialProofStore();
      const serials = fakeSerials(5, "again");
      const first = store.addLot(GTIN, "LOT1", serials);
      expect(store.addLot(GTIN.slice(1), "LOT1", serials)).to.deep.equal(first); // GTIN-13 spelling
      expect(store.lots()).to.have.length(1);
    });

    it("refuses the same lot with other serials", function () {
      const store = new SerialProofStore();
      store.addLot(GTIN, "LOT1", fakeSerials(5, "a"));
      expectStoreError(() => store.addLot(GTIN, "LOT1", fakeSerials(5, "b")), "LOT_CONFLICT", '"LOT1"', GTIN);
    });

    it("rejects an invalid GTIN, lot or serial list", function () {
      const store = new SerialProofStore();
      const badGtin = catchError(() => store.addLot("09501101020918", "LOT1", ["SN1"]));
      expect((badGtin as Gs1Error).code).to.equal("BAD_CHECK_DIGIT");
      const badLot = catchError(() => store.addLot(GTIN, "LOT 1", ["SN1"]));
      expect((badLot as Gs1Error).code).to.equal("BAD_CHARACTER");
      const duplicate = catchError(() => store.addLot(GTIN, "LOT1", ["SN1", "SN1"]));
      expect((duplicate as MerkleError).code).to.equal("DUPLICATE_SERIAL");
      const empty = catchError(() => store.addLot(GTIN, "LOT1", []));
      expect((empty as MerkleError).code).to.equal("EMPTY_LOT");
      expect(store.lots()).to.deep.equal([]);
    });
  });

  describe("lookup", function () {
    it("returns each serial's index, root and a proof that verifies and equals the tree's", function () {
      const { store, lot1, lot2, lot3 } = storeWithLots();
      for (const [gtin, lot, serials] of [
        [GTIN, "LOT1", lot1],
        [GTIN, "LOT2", lot2],
        [OTHER_GTIN, "LOT1", lot3],
      ] as const) {
        const tree = buildSerialTree(serials);
        serials.forEach((serial, i) => {
          const found = store.lookup(gtin, lot, serial);
          expect(found).to.deep.equal({ status: "known", index: BigInt(i), proof: tree.proof(i), root: tree.root });
          if (found.status !== "known") throw new Error("unreachable");
          expect(verifySerialProof(found.root, found.index, serial, found.proof)).to.equal(true);
        });
      }
    });

    it("answers unknown, not counterfeit, for a serial the lot does not contain", function () {
      const { store } = storeWithLots();
      expect(store.lookup(GTIN, "LOT1", "SN-NEVER-MADE")).to.deep.equal({ status: "unknown" });
    });

    it("answers unknown for a lot or GTIN it does not hold", function () {
      const { store, lot1 } = storeWithLots();
      expect(store.lookup(GTIN, "LOT9", lot1[0])).to.deep.equal({ status: "unknown" });
      expect(store.lookup("19501101020914", "LOT1", lot1[0])).to.deep.equal({ status: "unknown" });
    });

    it("keeps lots apart: a serial of one lot is unknown in another", function () {
      const { store, lot1, lot3 } = storeWithLots();
      expect(store.lookup(GTIN, "LOT2", lot1[0]).status).to.equal("unknown");
      expect(store.lookup(GTIN, "LOT1", lot3[0]).status).to.equal("unknown");
      expect(store.lookup(OTHER_GTIN, "LOT1", lot3[0]).status).to.equal("known");
    });

    it("treats lot and serial as case-sensitive, as GS1 does", function () {
      const store = new SerialProofStore();
      store.addLot(GTIN, "Lot1", ["SnA"]);
      expect(store.lookup(GTIN, "LOT1", "SnA").status).to.equal("unknown");
      expect(store.lookup(GTIN, "Lot1", "SNA").status).to.equal("unknown");
      expect(store.lookup(GTIN, "Lot1", "SnA").status).to.equal("known");
    });

    it("finds a lot whichever GTIN spelling is used (GTIN-13 or GTIN-14)", function () {
      const store = new SerialProofStore();
      store.addLot("4006381333931", "LOT1", ["SN1"]);
      expect(store.lookup(OTHER_GTIN, "LOT1", "SN1").status).to.equal("known");
    });

    it("looks up a scanned pack", function () {
      const { store, lot1 } = storeWithLots();
      const pack = parseGs1(`]d2010950110102091717261231${"10"}LOT1\x1d21${lot1[3]}`, { referenceYear: 2025 });
      const found = store.lookup(pack.gtin, pack.lot, pack.serial);
      expect(found.status === "known" && found.index).to.equal(3n);
    });

    it("rejects a malformed GTIN instead of answering unknown", function () {
      const { store } = storeWithLots();
      const error = catchError(() => store.lookup("09501101020918", "LOT1", "SN1"));
      expect(error).to.be.instanceOf(Gs1Error);
      expect((error as Gs1Error).code).to.equal("BAD_CHECK_DIGIT");
    });
  });

  describe("lots", function () {
    it("lists the lots with their roots and quantities", function () {
      const { store, lot1, lot2, lot3 } = storeWithLots();
      expect(store.lots()).to.deep.equal([
        { gtin: GTIN, lot: "LOT1", root: buildSerialTree(lot1).root, quantity: 25n },
        { gtin: GTIN, lot: "LOT2", root: buildSerialTree(lot2).root, quantity: 7n },
        { gtin: OTHER_GTIN, lot: "LOT1", root: buildSerialTree(lot3).root, quantity: 1n },
      ]);
    });
  });

  describe("hasLot and removeLot", function () {
    it("tells whether a lot is held and removes one lot only (GTIN-13 and GTIN-14 are the same key)", function () {
      const { store, lot1 } = storeWithLots();
      expect(store.hasLot(GTIN, "LOT1")).to.equal(true);
      expect(store.hasLot(GTIN.slice(1), "LOT2")).to.equal(true);
      expect(store.hasLot(GTIN, "LOT9")).to.equal(false);
      expect(store.removeLot(GTIN.slice(1), "LOT1")).to.equal(true);
      expect(store.removeLot(GTIN, "LOT1")).to.equal(false);
      expect(store.hasLot(GTIN, "LOT1")).to.equal(false);
      expect(store.lookup(GTIN, "LOT1", lot1[0])).to.deep.equal({ status: "unknown" });
      expect(store.lots().map((l) => [l.gtin, l.lot])).to.deep.equal([
        [GTIN, "LOT2"],
        [OTHER_GTIN, "LOT1"],
      ]);
    });
  });

  describe("toJSON and fromJSON", function () {
    it("dumps serials and roots only, no proofs", function () {
      const { store, lot1 } = storeWithLots();
      const dump = store.toJSON();
      expect(dump.format).to.equal("medchain-serial-proofs-v1");
      expect(dump.lots).to.have.length(3);
      expect(Object.keys(dump.lots[0]).sort()).to.deep.equal(["gtin", "lot", "root", "serials"]);
      expect(dump.lots[0].serials).to.deep.equal(lot1);
    });

    it("loads a dump that answers every lookup as the original did", function () {
      const { store, lot1, lot2, lot3 } = storeWithLots();
      for (const eager of [false, true]) {
        const loaded = SerialProofStore.fromJSON(JSON.stringify(store), { eager });
        expect(loaded.lots()).to.deep.equal(store.lots());
        for (const [gtin, lot, serials] of [
          [GTIN, "LOT1", lot1],
          [GTIN, "LOT2", lot2],
          [OTHER_GTIN, "LOT1", lot3],
        ] as const) {
          for (const serial of [...serials, "SN-UNKNOWN"]) {
            expect(loaded.lookup(gtin, lot, serial)).to.deep.equal(store.lookup(gtin, lot, serial));
          }
        }
      }
    });

    it("loads the dump object as well as its JSON text", function () {
      const { store, lot2 } = storeWithLots();
      const loaded = SerialProofStore.fromJSON(store.toJSON());
      expect(loaded.lookup(GTIN, "LOT2", lot2[6])).to.deep.equal(store.lookup(GTIN, "LOT2", lot2[6]));
    });

    it("detects a tampered root on first lookup, or at load when eager", function () {
      const { store, lot1 } = storeWithLots();
      const dump = store.toJSON();
      dump.lots[0].root = buildSerialTree(fakeSerials(3, "forged")).root;
      expectStoreError(() => SerialProofStore.fromJSON(dump, { eager: true }), "ROOT_MISMATCH", '"LOT1"', GTIN);
      const lazy = SerialProofStore.fromJSON(dump);
      expectStoreError(() => lazy.lookup(GTIN, "LOT1", lot1[0]), "ROOT_MISMATCH", dump.lots[0].root);
      expect(lazy.lookup(GTIN, "LOT2", fakeSerials(7, "store-lot2")[0]).status).to.equal("known");
    });

    it("detects serials swapped between indexes in a dump", function () {
      const { store } = storeWithLots();
      const dump = store.toJSON();
      const serials = dump.lots[1].serials;
      [serials[0], serials[1]] = [serials[1], serials[0]];
      expectStoreError(() => SerialProofStore.fromJSON(dump, { eager: true }), "ROOT_MISMATCH", '"LOT2"');
    });

    it("rejects a dump that is not JSON, has another format or malformed lots", function () {
      expectStoreError(() => SerialProofStore.fromJSON("{not json"), "BAD_DUMP", "not JSON");
      expectStoreError(() => SerialProofStore.fromJSON('{"format":"other","lots":[]}'), "BAD_DUMP", "format");
      expectStoreError(() => SerialProofStore.fromJSON("null"), "BAD_DUMP");
      const { store } = storeWithLots();
      const noRoot = store.toJSON();
      noRoot.lots[2].root = "0x1234";
      expectStoreError(() => SerialProofStore.fromJSON(noRoot), "BAD_DUMP", "lots[2]");
      const badSerials = JSON.parse(JSON.stringify(store));
      badSerials.lots[1].serials = [1, 2];
      expectStoreError(() => SerialProofStore.fromJSON(badSerials), "BAD_DUMP", "lots[1]");
      const twice = store.toJSON();
      twice.lots.push(twice.lots[0]);
      expectStoreError(() => SerialProofStore.fromJSON(twice), "BAD_DUMP", "lots[3]", "appears twice");
    });

    it("rejects a dump with an invalid GTIN", function () {
      const { store } = storeWithLots();
      const dump = store.toJSON();
      dump.lots[0].gtin = "09501101020918";
      expect((catchError(() => SerialProofStore.fromJSON(dump)) as Gs1Error).code).to.equal("BAD_CHECK_DIGIT");
    });
  });

  describe("ProofSource", function () {
    it("lets another backend, even an asynchronous one, answer the same lookups", async function () {
      const { store, lot1 } = storeWithLots();
      /** A stand-in for a remote service: answers from a plain map, asynchronously. */
      class RemoteSource implements ProofSource {
        readonly #answers = new Map<string, SerialLookup>();
        constructor(entries: [string, SerialLookup][]) {
          for (const [key, value] of entries) this.#answers.set(key, value);
        }
        async lookup(gtin: string, lot: string, serial: string): Promise<SerialLookup> {
          return this.#answers.get(`${gtin}/${lot}/${serial}`) ?? { status: "unknown" };
        }
      }
      const remote = new RemoteSource([[`${GTIN}/LOT1/${lot1[2]}`, store.lookup(GTIN, "LOT1", lot1[2])]]);
      const resolve = async (source: ProofSource, serial: string) => await source.lookup(GTIN, "LOT1", serial);
      for (const source of [store, remote]) {
        expect(await resolve(source, lot1[2])).to.deep.equal(store.lookup(GTIN, "LOT1", lot1[2]));
        expect(await resolve(source, "SN-UNKNOWN")).to.deep.equal({ status: "unknown" });
      }
    });
  });
});
