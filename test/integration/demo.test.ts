import { expect } from "chai";

import { runDemo } from "../../scripts/demo.ts";

describe("npm run demo (the story as a test, so it cannot rot)", function () {
  it("runs every chapter; the patient ends with zero ether and the refusals are the expected ones", async function () {
    const log = console.log;
    const lines: string[] = [];
    console.log = (...args: unknown[]) => void lines.push(args.join(" "));
    try {
      const { identity, cast, supplyOutcome, patientBalance } = await runDemo();
      expect(supplyOutcome.refusals).to.deep.equal([
        "SupplyLotNotReleased",
        "SupplyAlreadyDispensed",
        "SupplyLotNotSaleable",
      ]);
      expect(patientBalance).to.equal(0n);
      expect(await identity.patientOf(cast.patient.wallet.address)).to.equal(cast.patient.id);
      expect(await identity.canActForPatient(cast.guardian.address, cast.patient.id)).to.equal(true);
      expect(await identity.organizationCount()).to.equal(8n);
    } finally {
      console.log = log;
    }
    expect(lines.filter((l) => l.includes("refused: IdentityCommitmentUsed"))).to.have.length(1);
  });
});
