import { expect } from "chai";
import { network } from "hardhat";

import {
  Action,
  ALL_ACTIONS,
  ALL_CATEGORIES,
  ALL_PURPOSES,
  Category,
  CATEGORY_COUNT,
  categoryIndex,
  covers,
  Purpose,
  redact,
  RESTRICTED,
  scopes,
  purposes,
} from "../../src/scopes.ts";
import type { ScopesHarness } from "../../typechain-types/index.ts";

const { ethers, networkHelpers } = await network.create();

async function harnessFixture() {
  return (await ethers.deployContract("ScopesHarness")) as unknown as ScopesHarness;
}

describe("Scopes", function () {
  it("has the same categories, groups, actions and purposes in Solidity and TypeScript", async function () {
    const h = await networkHelpers.loadFixture(harnessFixture);
    expect((await h.categories()).map(Number)).to.deep.equal(Object.values(Category));
    expect((await h.groups()).map(Number)).to.deep.equal([RESTRICTED, ALL_CATEGORIES, CATEGORY_COUNT]);
    expect((await h.actions()).map(Number)).to.deep.equal([Action.READ, Action.WRITE, ALL_ACTIONS]);
    expect((await h.purposes()).map(Number)).to.deep.equal([...Object.values(Purpose), ALL_PURPOSES]);
    expect(categoryIndex("GENETIC")).to.equal(15);
    expect(scopes("CONDITIONS", "MEDICATIONS")).to.equal(0b11000);
    expect(purposes("TREATMENT", "EMERGENCY")).to.equal(0b100001);
  });

  it("redacts and covers the same way in Solidity and TypeScript", async function () {
    const h = await networkHelpers.loadFixture(harnessFixture);
    const masks = [0, Category.CONTACT, Category.GENETIC, Category.MENTAL_HEALTH | Category.CONDITIONS, ALL_CATEGORIES];
    for (let i = 0; i < 12; i++) masks.push(Math.floor(Math.random() * 0x10000));
    for (const m of masks) {
      expect(Number(await h.redact(m))).to.equal(redact(m));
      for (const r of [0, Category.CONTACT, m & 0x0f0f, m]) {
        expect(await h.covers(m, r)).to.equal(covers(m, r));
      }
    }
  });
});
