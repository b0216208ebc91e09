/**
 * Gas of the IdentityRegistry's operations, worst case (fresh storage for what is written, counters
 * already non-zero), with 1 and with 1,000 organisations and patients registered before.
 */
import { network } from "hardhat";

import { RotateKeyTypes, SetGuardianTypes } from "../../src/eip712.ts";
import { OrgKind } from "../../src/roles.ts";
import { deployIdentity, now, randomHash, YEAR } from "../../test/helpers/identity.ts";
import { type BenchEthers, type BenchRow, gasOf, isMain, printRows } from "./types.ts";

export async function benchIdentity(ethers: BenchEthers, population = [1, 1000]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const n of population) {
    const f = await deployIdentity(ethers as never);
    const signers = await ethers.getSigners();
    const [op, pat, extra, guardian] = f.others;
    // Fill the registry with n organisations and n patients (random keys, no ether needed).
    const { Wallet } = await import("ethers");
    for (let i = 0; i < n; i++) {
      await f.registerOrg("Pharmacy", 4, Wallet.createRandom());
      await f.registerPatient(Wallet.createRandom());
    }
    const until = (await now(ethers as never)) + YEAR;
    const suffix = ` (${n} registered)`;
    rows.push({
      op: `registerOrganization${suffix}`,
      gas: await gasOf(
        f.identity.connect(f.registrar).registerOrganization(OrgKind.Provider, 3, until, randomHash(), op),
      ),
    });
    const before = await ethers.provider.getBlockNumber();
    await f.registerPatient(pat);
    const reg = await ethers.provider.getTransactionReceipt(
      (await ethers.provider.getBlock(before + 1))!.transactions[0],
    );
    rows.push({ op: `registerPatient (relayed)${suffix}`, gas: reg!.gasUsed });
    const patientId = await f.identity.patientOf(pat.address);
    rows.push({
      op: `setController (add)${suffix}`,
      gas: await gasOf(f.identity.connect(pat).setController(patientId, extra, true)),
    });
    const deadline = (await now(ethers as never)) + 3600n;
    const gSig = await pat.signTypedData(f.domain, SetGuardianTypes, {
      patientId,
      guardian: guardian.address,
      validUntil: until,
      nonce: await f.identity.nonces(patientId),
      deadline,
    });
    rows.push({
      op: `setGuardianWithSig${suffix}`,
      gas: await gasOf(
        f.identity.connect(signers[0]).setGuardianWithSig(patientId, guardian, until, pat, deadline, gSig),
      ),
    });
    const fresh = f.others[8];
    const rSig = await pat.signTypedData(f.domain, RotateKeyTypes, {
      patientId,
      newController: fresh.address,
      nonce: await f.identity.nonces(patientId),
      deadline,
    });
    rows.push({
      op: `rotateKeyWithSig${suffix}`,
      gas: await gasOf(f.identity.connect(signers[0]).rotateKeyWithSig(patientId, fresh, pat, deadline, rSig)),
    });
    rows.push({
      op: `proposeRecovery${suffix}`,
      gas: await gasOf(f.identity.connect(f.registrar).proposeRecovery(patientId, f.others[7])),
    });
    rows.push({
      op: `suspendOrganization${suffix}`,
      gas: await gasOf(f.identity.connect(f.regulator).suspendOrganization(1n, randomHash())),
    });
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const { ethers } = await network.create();
  printRows("IdentityRegistry", await benchIdentity(ethers));
}
