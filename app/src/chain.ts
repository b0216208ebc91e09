/**
 * The app's connection: a JSON-RPC provider on the node, the deployed contracts (TypeChain bindings at
 * the addresses of demo.json), the relayer (one of the node's unlocked accounts, which pays the gas of
 * the patient's signed actions through the SDK's `Relayer`), and the patient's signer: a key held in
 * this browser (localStorage), or an injected wallet (`window.ethereum`) when one is present and chosen.
 */
import { BrowserProvider, type Eip1193Provider, JsonRpcProvider, type Signer, Wallet } from "ethers";

import { Relayer } from "../../src/relayer.ts";
import {
  ClaimEscrow__factory,
  ConsentManager__factory,
  IdentityRegistry__factory,
  SupplyChain__factory,
  type ClaimEscrow,
  type ConsentManager,
  type IdentityRegistry,
  type SupplyChain,
} from "../../typechain-types/index.ts";
import type { DemoData } from "./demo.ts";

export type SignerSource = "browser-key" | "injected";

export interface Chain {
  demo: DemoData;
  provider: JsonRpcProvider;
  identity: IdentityRegistry;
  consent: ConsentManager;
  supply: SupplyChain;
  claims: ClaimEscrow;
  relayer: Relayer;
  patientId: bigint;
  /** The organisation's display name (off chain), or `organisation #id`. */
  orgName(id: bigint | number | string): string;
  /** The latest block's timestamp: the chain's clock, which may differ from this machine's. */
  now(): Promise<bigint>;
  /** The patient's signer: the browser key, or the injected wallet's account. */
  patientSigner(source: SignerSource): Promise<Signer>;
  /** The browser key's address. */
  browserKeyAddress: string;
  /** Whether an injected wallet (`window.ethereum`) is present. */
  hasInjectedWallet: boolean;
}

/** Reads demo.json next to the page. */
export async function loadDemo(): Promise<unknown> {
  const response = await fetch("./demo.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`demo.json: HTTP ${response.status}`);
  return response.json();
}

/** The patient's key in localStorage for this deployment, stored from demo.json the first time. */
function browserKey(demo: DemoData): string {
  const slot = `medchain.patientKey.${demo.chainId}.${demo.addresses.consent.toLowerCase()}`;
  let key = localStorage.getItem(slot);
  if (key === null || new Wallet(key).address !== demo.patient.address) {
    key = demo.patient.privateKey;
    localStorage.setItem(slot, key);
  }
  return key;
}

function injected(): Eip1193Provider | undefined {
  return (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
}

export async function connect(demo: DemoData): Promise<Chain> {
  // No response cache: ethers shares identical requests made within 250 ms, so a view read right after a
  // transaction could take the block number from before it and miss the transaction's own events.
  const provider = new JsonRpcProvider(demo.rpcUrl, Number(demo.chainId), {
    staticNetwork: true,
    pollingInterval: 250,
    cacheTimeout: -1,
  });
  const { addresses } = demo;
  const wallet = new Wallet(browserKey(demo), provider);
  const names = new Map(demo.orgs.map((o) => [o.id, o.name]));
  return {
    demo,
    provider,
    identity: IdentityRegistry__factory.connect(addresses.identity, provider),
    consent: ConsentManager__factory.connect(addresses.consent, provider),
    supply: SupplyChain__factory.connect(addresses.supply, provider),
    claims: ClaimEscrow__factory.connect(addresses.claims, provider),
    relayer: new Relayer(await provider.getSigner(demo.relayer)),
    patientId: BigInt(demo.patient.id),
    orgName: (id) => names.get(String(id)) ?? `organisation #${id}`,
    now: async () => BigInt((await provider.getBlock("latest"))!.timestamp),
    patientSigner: async (source) => {
      const ethereum = injected();
      if (source === "browser-key" || ethereum === undefined) return wallet;
      return new BrowserProvider(ethereum).getSigner();
    },
    browserKeyAddress: wallet.address,
    hasInjectedWallet: injected() !== undefined,
  };
}
