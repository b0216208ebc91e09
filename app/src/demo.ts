/**
 * The demo data `scripts/app-seed.ts` writes to `demo.json` next to the app: where the node is, the
 * deployed addresses, the organisations' names (off chain), the demo patient (its key stays in the
 * browser), the demo packs and their serial-proof store, and the demo claims. No DOM here: the seed
 * imports this type too.
 */
import type { OrgKindName } from "../../src/roles.ts";
import type { SerialProofStoreJSON } from "../../src/serial-store.ts";

/** What a demo pack should verify as (the browser test checks it). */
export type DemoPackVerdict =
  | "authentic"
  | "dispensed"
  | "recalled"
  | "quarantined"
  | "expired"
  | "counterfeit"
  | "unknown";

export interface DemoData {
  format: "medchain-app-demo-v1";
  /** The node's JSON-RPC URL, as the browser reaches it. */
  rpcUrl: string;
  /** Decimal. */
  chainId: string;
  /** The first block of the deployment (event views read from here). */
  deployBlock: number;
  addresses: {
    manager: string;
    identity: string;
    records: string;
    consent: string;
    supply: string;
    claims: string;
    token: string;
  };
  /** The node's unlocked account that relays patients' signed actions and pays their gas. */
  relayer: string;
  /** Organisations by id (decimal): their kind on chain and a display name kept off chain. */
  orgs: { id: string; kind: OrgKindName; name: string }[];
  /** The demo patient: a random id and a key that holds no ether. The name never goes on chain. */
  patient: { id: string; name: string; address: string; privateKey: string };
  /** Demo packs as GS1 HRI strings. */
  packs: { label: string; gs1: string; verdict: DemoPackVerdict }[];
  /** The proof store the pharmacy uses to turn a scanned serial into its index and Merkle proof. */
  serialStore: SerialProofStoreJSON;
  /** The escrow token's display (a 6-decimal test stablecoin). */
  token: { symbol: string; decimals: number };
  /** Demo claims (ids are bytes32 hex) and the procedure names of the plan's salted code hashes. */
  claims: { id: string; label: string }[];
  procedures: Record<string, string>;
}

/** Whether `value` looks like a {@link DemoData} (the app checks before using it). */
export function isDemoData(value: unknown): value is DemoData {
  const v = value as Partial<DemoData> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    v.format === "medchain-app-demo-v1" &&
    typeof v.rpcUrl === "string" &&
    typeof v.addresses === "object" &&
    Array.isArray(v.orgs) &&
    Array.isArray(v.packs)
  );
}
