/**
 * Rule: the SDK signs only over a domain that matches the network and the contract. The review's
 * attack: a lying node answers `eip712Domain()` with another chain id or another verifying contract
 * (or lies about `eth_chainId` too), and the SDK signed whatever it read — a signature the node can
 * replay on the other chain or contract. Now `domainOf` (behind `signPatientAction` and the claims
 * client) checks the domain first and refuses with `SigningDomainError`, before anything is signed.
 */
import { expect } from "chai";
import { BrowserProvider, type Eip1193Provider, hexlify, randomBytes, toQuantity, Wallet } from "ethers";
import { network } from "hardhat";

import { SetGuardianTypes } from "../../../src/eip712.ts";
import { domainOf, type SignableContract, SigningDomainError, signPatientAction } from "../../../src/relayer.ts";
import { deployIdentity, now, YEAR } from "../../helpers/identity.ts";
import { expectError } from "../../helpers/record-crypto.ts";

const { ethers, networkHelpers, provider: honest } = await network.create();

/** What the lying node changes in its answers. */
interface Lies {
  chainId?: bigint;
  domain?: { fields?: string; name?: string; version?: string; chainId?: bigint; verifyingContract?: string };
}

async function fixture() {
  const f = await deployIdentity(ethers);
  const patient = new Wallet(hexlify(randomBytes(32)), ethers.provider);
  const patientId = await f.registerPatient(patient);
  return { ...f, patient, patientId };
}

/** An EIP-1193 node that forwards everything to the honest one, except what `lies` says. */
function lyingNode(f: Awaited<ReturnType<typeof fixture>>, lies: Lies): BrowserProvider {
  const iface = f.identity.interface;
  const selector = iface.getFunction("eip712Domain")!.selector;
  const node: Eip1193Provider = {
    async request({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) {
      const args = (params ?? []) as unknown[];
      if (method === "eth_chainId" && lies.chainId !== undefined) return toQuantity(lies.chainId);
      if (method === "eth_call" && lies.domain !== undefined) {
        const data = String(
          (args[0] as { data?: string; input?: string }).data ?? (args[0] as { input?: string }).input,
        );
        if (data.startsWith(selector)) {
          const real = iface.decodeFunctionResult(
            "eip712Domain",
            (await honest.request({ method, params: args })) as string,
          );
          const d = lies.domain;
          return iface.encodeFunctionResult("eip712Domain", [
            d.fields ?? real[0],
            d.name ?? real[1],
            d.version ?? real[2],
            d.chainId ?? real[3],
            d.verifyingContract ?? real[4],
            real[5],
            real[6],
          ]);
        }
      }
      return honest.request({ method, params: args });
    },
  };
  return new BrowserProvider(node);
}

async function signOver(
  f: Awaited<ReturnType<typeof fixture>>,
  node: BrowserProvider,
  signer: Wallet,
  chainId?: bigint,
) {
  const contract = f.identity.connect(node) as unknown as SignableContract;
  return signPatientAction(
    contract,
    signer,
    SetGuardianTypes,
    { patientId: f.patientId, guardian: f.others[5].address, validUntil: (await now(ethers)) + YEAR },
    3600n,
    chainId === undefined ? {} : { chainId },
  );
}

describe("security: the signing domain matches the network and the contract", function () {
  it("an honest node: the domain read equals the one the SDK builds, and the action is signed", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    expect(await domainOf(f.identity as unknown as SignableContract)).to.deep.equal(f.domain);
    const signed = await signOver(f, lyingNode(f, {}), f.patient, BigInt(f.domain.chainId!));
    expect(signed.signer).to.equal(f.patient.address);
  });

  it("a node that lies about the domain's chain id is refused (WRONG_CHAIN), nothing signed", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const real = BigInt(f.domain.chainId!);
    const error = (await expectError(
      () => signOver(f, lyingNode(f, { domain: { chainId: 1n } }), f.patient),
      SigningDomainError,
      "WRONG_CHAIN",
    )) as SigningDomainError;
    expect(error).to.include({ expected: String(real), actual: "1" });
  });

  it("a node that lies about eth_chainId and the domain alike is refused by the signer's network or the expected chain", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const real = BigInt(f.domain.chainId!);
    const liar = lyingNode(f, { chainId: 1n, domain: { chainId: 1n } });
    // The patient's wallet is on its own (honest) connection: its chain id disagrees.
    const viaSigner = (await expectError(
      () => signOver(f, liar, f.patient),
      SigningDomainError,
      "WRONG_CHAIN",
    )) as SigningDomainError;
    expect(viaSigner).to.include({ expected: String(real), actual: "1" });
    // A wallet on the lying node too: the chain id the caller expects (its deployment's) disagrees.
    const onLiar = new Wallet(f.patient.privateKey, liar);
    const viaExpected = (await expectError(
      () => signOver(f, liar, onLiar, real),
      SigningDomainError,
      "WRONG_CHAIN",
    )) as SigningDomainError;
    expect(viaExpected).to.include({ expected: String(real), actual: "1" });
  });

  it("a node that names another verifying contract is refused (WRONG_CONTRACT)", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    const elsewhere = Wallet.createRandom().address;
    const error = (await expectError(
      () => signOver(f, lyingNode(f, { domain: { verifyingContract: elsewhere } }), f.patient),
      SigningDomainError,
      "WRONG_CONTRACT",
    )) as SigningDomainError;
    expect(error).to.include({ expected: await f.identity.getAddress(), actual: elsewhere });
  });

  it("a domain that is not MedChain's (another name, version or fields) is refused (NOT_MEDCHAIN)", async function () {
    const f = await networkHelpers.loadFixture(fixture);
    for (const domain of [{ name: "Permit2" }, { version: "2" }, { fields: "0x1f" }]) {
      await expectError(() => signOver(f, lyingNode(f, { domain }), f.patient), SigningDomainError, "NOT_MEDCHAIN");
    }
  });
});
