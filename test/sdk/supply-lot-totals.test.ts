/**
 * Issue #12 point 15 — a lot's totals in one view. `SupplyClient.lotTotals` (one `lotTotals` call) must
 * agree with an independent walk of the lot's custody events (commissioned, shipped, accepted, rejected,
 * cancelled, dispensed, destroyed, returns for destruction), at every step of a story that visits every
 * bucket, and the five counts always add up to the lot's quantity.
 */
import { expect } from "chai";
import type { EventLog } from "ethers";
import { network } from "hardhat";

import type { LotTotals } from "../../src/clients/supply.ts";
import type { SupplyChain } from "../../typechain-types/index.ts";
import { randomHash } from "../helpers/identity.ts";
import { deploySdkSupply } from "../helpers/sdk-supply.ts";

const { ethers, networkHelpers } = await network.create();

async function fixture() {
  return deploySdkSupply(ethers, 10);
}

/** The lot's totals rebuilt from its events alone (no contract view). */
async function walkEvents(supply: SupplyChain, lotId: string): Promise<LotTotals> {
  const logs = (await supply.queryFilter("*" as never)) as EventLog[];
  const saleable = new Map<bigint, bigint>();
  const add = (org: bigint, q: bigint) => saleable.set(org, (saleable.get(org) ?? 0n) + q);
  const shipments = new Map<bigint, { from: bigint; to: bigint; q: bigint; forDestruction: boolean }>();
  let manufacturer = 0n;
  const t = { quantity: 0n, held: 0n, inTransit: 0n, dispensed: 0n, destroyed: 0n, awaitingDestruction: 0n };
  for (const log of logs) {
    if (!("args" in log) || log.args.length === 0 || log.args[0] !== lotId) continue;
    const a = log.args;
    switch (log.eventName) {
      case "LotCommissioned":
        manufacturer = a.manufacturerId;
        t.quantity = a.quantity;
        add(manufacturer, a.quantity);
        break;
      case "Shipped":
        shipments.set(a.shipmentId, { from: a.fromOrg, to: a.toOrg, q: a.quantity, forDestruction: a.forDestruction });
        add(a.fromOrg, 0n - (a.quantity as bigint));
        t.inTransit += a.quantity;
        break;
      case "ShipmentAccepted": {
        const s = shipments.get(a.shipmentId)!;
        t.inTransit -= s.q;
        if (s.forDestruction) t.awaitingDestruction += s.q;
        else add(s.to, s.q);
        break;
      }
      case "ShipmentRejected":
      case "ShipmentCancelled": {
        const s = shipments.get(a.shipmentId)!;
        t.inTransit -= s.q;
        add(s.from, s.q);
        break;
      }
      case "UnitDispensed":
        add(a.orgId, -1n);
        t.dispensed += 1n;
        break;
      case "UnitsDestroyed": {
        // Units awaiting destruction (the manufacturer's alone) go first.
        const awaiting = a.orgId === manufacturer ? t.awaitingDestruction : 0n;
        const fromAwaiting = awaiting < a.quantity ? awaiting : a.quantity;
        t.awaitingDestruction -= fromAwaiting;
        add(a.orgId, fromAwaiting - (a.quantity as bigint));
        t.destroyed += a.quantity;
        break;
      }
    }
  }
  for (const q of saleable.values()) t.held += q;
  return t;
}

describe("SDK SupplyClient.lotTotals", function () {
  it("agrees with a walk of the lot's events at every step, and the five buckets add up", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const { supply, lotId, mfrClient, distClient, pharmClient } = f;
    const check = async () => {
      const totals = await pharmClient.lotTotals(lotId);
      expect(totals).to.deep.equal(await walkEvents(supply, lotId));
      return totals;
    };
    expect(await check()).to.deep.include({ quantity: 10n, held: 10n });
    const a = await mfrClient.ship({
      lotId,
      toOrg: f.dist,
      quantity: 7n,
      epcisEventHash: randomHash(),
      tiTsHash: randomHash(),
    });
    expect(await check()).to.deep.include({ held: 3n, inTransit: 7n });
    await distClient.accept({ lotId, shipmentId: a.shipmentId, epcisEventHash: randomHash(), tiTsHash: randomHash() });
    const b = await distClient.ship({
      lotId,
      toOrg: f.pharm,
      quantity: 5n,
      epcisEventHash: randomHash(),
      tiTsHash: randomHash(),
    });
    await pharmClient.accept({ lotId, shipmentId: b.shipmentId, epcisEventHash: randomHash(), tiTsHash: randomHash() });
    const c = await distClient.ship({
      lotId,
      toOrg: f.pharm,
      quantity: 1n,
      epcisEventHash: randomHash(),
      tiTsHash: randomHash(),
    });
    await pharmClient.reject({
      lotId,
      shipmentId: c.shipmentId,
      epcisEventHash: randomHash(),
      reasonHash: randomHash(),
    });
    const d = await distClient.ship({
      lotId,
      toOrg: f.pharm,
      quantity: 1n,
      epcisEventHash: randomHash(),
      tiTsHash: randomHash(),
    });
    await distClient.cancel({ lotId, shipmentId: d.shipmentId, epcisEventHash: randomHash() });
    await check();
    await pharmClient.dispensePack(f.scan(0), randomHash());
    await pharmClient.dispensePack(f.scan(4), randomHash());
    expect(await check()).to.deep.include({ dispensed: 2n });
    const r = await pharmClient.returnForDestruction({
      lotId,
      quantity: 2n,
      epcisEventHash: randomHash(),
      tiTsHash: randomHash(),
    });
    expect(await check()).to.deep.include({ inTransit: 2n });
    await mfrClient.accept({ lotId, shipmentId: r.shipmentId, epcisEventHash: randomHash(), tiTsHash: randomHash() });
    expect(await check()).to.deep.include({ awaitingDestruction: 2n, inTransit: 0n });
    await mfrClient.destroy({ lotId, quantity: 3n, epcisEventHash: randomHash() });
    await distClient.destroy({ lotId, quantity: 1n, epcisEventHash: randomHash() });
    await distClient.ship({
      lotId,
      toOrg: f.pharm,
      quantity: 1n,
      epcisEventHash: randomHash(),
      tiTsHash: randomHash(),
    });
    const end = await check();
    expect(end).to.deep.equal({
      quantity: 10n,
      held: 3n,
      inTransit: 1n,
      dispensed: 2n,
      destroyed: 4n,
      awaitingDestruction: 0n,
    });
    // The raw view agrees, and an unknown lot is all zeros.
    const raw = await supply.lotTotals(lotId);
    expect([raw.held, raw.inTransit, raw.dispensed, raw.destroyed, raw.awaitingDestruction]).to.deep.equal([
      3n,
      1n,
      2n,
      4n,
      0n,
    ]);
    const none = await supply.lotTotals(randomHash());
    expect([none.held, none.inTransit, none.dispensed, none.destroyed, none.awaitingDestruction]).to.deep.equal([
      0n,
      0n,
      0n,
      0n,
      0n,
    ]);
  });
});
