/**
 * The `medchain` command line: Hardhat tasks for the operations people do by hand, registered in
 * hardhat.config.ts and listed by `npx hardhat --help`. Only the definitions live here (this file loads
 * with every Hardhat command); each action is imported when its command runs, from one file per group.
 *
 * Accounts (`--from`, `--operator`, `--controller`) are an index into the network's accounts or an
 * address. Addresses of the contracts come from `ignition/deployments/chain-<id>/deployed_addresses.json`.
 */
import { emptyTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

/** A string option without a default (the action says when it is missing). */
function opt<N extends string>(name: N, description: string) {
  return { name, description, type: ArgumentType.STRING_WITHOUT_DEFAULT as const, defaultValue: undefined };
}

/** A lazily imported named action. */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): () => Promise<{ default: M[K] }> {
  return async () => ({ default: (await load())[name] });
}

const deploy = () => import("./deploy.ts");
const org = () => import("./org.ts");
const patient = () => import("./patient.ts");
const consent = () => import("./consent.ts");
const supply = () => import("./supply.ts");
const timeline = () => import("./timeline.ts");
const record = () => import("./record.ts");
const trial = () => import("./trial.ts");
const claim = () => import("./claim.ts");

const FROM_PATIENT = "The patient's controller or guardian account (index or address)";
const CATEGORIES = "Data categories, comma-separated (CONDITIONS,MEDICATIONS,…)";
const PURPOSES = "Purposes, comma-separated (TREATMENT,PAYMENT,…)";

export const medchainTasks = [
  emptyTask("medchain", "MedChain: deploy the system and run its day-to-day operations").build(),

  task(
    ["medchain", "deploy"],
    "Deploy MedChain (Ignition) with ignition/parameters/<network>.json; print the addresses",
  )
    .addFlag({ name: "noCompile", description: "Do not build the contracts first" })
    .setAction(deploy)
    .build(),

  emptyTask(["medchain", "org"], "Organisations (IdentityRegistry)").build(),
  task(["medchain", "org", "register"], "Accredit an organisation (signed by a registrar)")
    .addOption(opt("kind", "Provider, Pharmacy, Manufacturer, Distributor, Lab, Insurer, Sponsor or Regulator"))
    .addOption(opt("operator", "Its first operator account (index or address; a local one accepts at once)"))
    .addOption({
      name: "capabilities",
      description: "Capabilities, comma-separated (DISPENSE,TRADE,…)",
      defaultValue: "",
    })
    .addOption({ name: "days", description: "Licence validity in days", defaultValue: "365" })
    .addOption(opt("prefix", "GS1 company prefix of a Manufacturer (6-12 digits)"))
    .addOption(opt("profileHash", "Hash of the off-chain public profile (bytes32; zero if omitted)"))
    .addOption(opt("from", "The registrar account (index or address; default 1)"))
    .setAction(lazy(org, "register"))
    .build(),
  task(["medchain", "org", "accept"], "Accept an offer to operate for an organisation (signed by the operator)")
    .addOption(opt("id", "Organisation id"))
    .addOption(opt("from", "The offered account (index or address)"))
    .setAction(lazy(org, "accept"))
    .build(),
  task(["medchain", "org", "show"], "Show an organisation")
    .addOption(opt("id", "Organisation id"))
    .setAction(lazy(org, "show"))
    .build(),

  emptyTask(["medchain", "patient"], "Patients (IdentityRegistry)").build(),
  task(["medchain", "patient", "register"], "Register a patient, attested and relayed by a registrar (local use)")
    .addOption(opt("controller", "The patient's controller account (index or address)"))
    .addOption(opt("id", "Patient id (random if omitted)"))
    .addOption(opt("commitment", "Uniqueness commitment (bytes32; random if omitted)"))
    .addOption(opt("from", "The registrar account (index or address; default 1)"))
    .addOption(opt("relayer", "The account that submits it (index or address; default the registrar)"))
    .setAction(lazy(patient, "register"))
    .build(),

  emptyTask(["medchain", "consent"], "Patient consent (ConsentManager)").build(),
  task(["medchain", "consent", "grant"], "Grant an organisation access to a patient's data")
    .addOption(opt("patient", "Patient id"))
    .addOption(opt("org", "Organisation id"))
    .addOption(opt("categories", CATEGORIES))
    .addOption(opt("purposes", PURPOSES))
    .addOption({ name: "actions", description: "READ and/or WRITE, comma-separated", defaultValue: "READ" })
    .addOption({ name: "days", description: "Validity in days", defaultValue: "90" })
    .addOption(opt("from", FROM_PATIENT))
    .setAction(lazy(consent, "grant"))
    .build(),
  task(["medchain", "consent", "revoke"], "Revoke an organisation's grant")
    .addOption(opt("patient", "Patient id"))
    .addOption(opt("org", "Organisation id"))
    .addOption(opt("from", FROM_PATIENT))
    .setAction(lazy(consent, "revoke"))
    .build(),
  task(["medchain", "consent", "check"], "Whether an organisation may access a patient's data now (hasAccess)")
    .addOption(opt("patient", "Patient id"))
    .addOption(opt("org", "Organisation id"))
    .addOption(opt("categories", CATEGORIES))
    .addOption(opt("purposes", PURPOSES))
    .addOption({ name: "action", description: "READ or WRITE", defaultValue: "READ" })
    .setAction(lazy(consent, "check"))
    .build(),

  emptyTask(["medchain", "lot"], "Drug lots (SupplyChain)").build(),
  task(["medchain", "lot", "commission"], "Commission a serialised lot and write its serial-proof store")
    .addOption(opt("gtin", "GTIN (8, 12, 13 or 14 digits) under the manufacturer's company prefix"))
    .addOption(opt("lot", "Lot number"))
    .addOption(opt("expiry", "Expiry date YYYY-MM-DD"))
    .addOption(opt("serialsFile", "Serials: one per line, or a JSON array"))
    .addOption(opt("store", "Serial-proof store JSON to create or extend"))
    .addOption(opt("from", "A manufacturer operator account (index or address)"))
    .addFlag({ name: "release", description: "Also record a passing quality check (releases the lot)" })
    .addOption(opt("epcisHash", "Hash of the EPCIS commissioning event (zero if omitted)"))
    .addOption(opt("certificateHash", "Hash of the quality certificate, with --release (zero if omitted)"))
    .setAction(lazy(supply, "commission"))
    .build(),
  task(["medchain", "lot", "timeline"], "A lot's history from the chain's events")
    .addOption(opt("gtin", "GTIN"))
    .addOption(opt("lot", "Lot number"))
    .setAction(lazy(timeline, "lotTimeline"))
    .build(),

  emptyTask(["medchain", "unit"], "Serialised units (SupplyChain)").build(),
  task(["medchain", "unit", "timeline"], "A unit's history from the chain's events")
    .addOption(opt("gtin", "GTIN"))
    .addOption(opt("lot", "Lot number"))
    .addOption(opt("serial", "Serial number"))
    .setAction(lazy(timeline, "unitTimeline"))
    .build(),

  emptyTask(["medchain", "pack"], "Packs (SupplyChain)").build(),
  task(["medchain", "pack", "verify"], "Verify a pack from its GS1 string (exit 2 if not authentic and saleable)")
    .addOption(opt("gs1", 'GS1 element string, e.g. "(01)…(17)…(10)…(21)…"'))
    .addOption(opt("store", "Serial-proof store JSON"))
    .setAction(lazy(supply, "verify"))
    .build(),

  emptyTask(["medchain", "record"], "Medical record anchors (RecordRegistry)").build(),
  task(["medchain", "record", "verify"], "Verify a record's content hash against its anchor (exit 2 if not)")
    .addOption(opt("record", "Record id (bytes32)"))
    .addOption(opt("hash", "keccak256 of the fetched ciphertext (bytes32)"))
    .setAction(lazy(record, "verify"))
    .build(),

  emptyTask(["medchain", "trial"], "Clinical trials (TrialRegistry)").build(),
  task(["medchain", "trial", "verify"], "Verify a trial data point against a committed batch (exit 2 if not Included)")
    .addOption(opt("trial", "Trial id (bytes32)"))
    .addOption(opt("batch", "Batch index (from 0)"))
    .addOption(
      opt(
        "row",
        'Data-point JSON: { "participantId", "protocolVersion", "values": { row fields }, "salt", "proof": [bytes32…] }',
      ),
    )
    .addOption(opt("proof", "Proof JSON (an array of bytes32), when the --row file carries none"))
    .setAction(lazy(trial, "verify"))
    .build(),
  task(["medchain", "trial", "show"], "A trial's state and timeline from the chain's events")
    .addOption(opt("trial", "Trial id (bytes32)"))
    .setAction(lazy(trial, "show"))
    .build(),

  emptyTask(["medchain", "claim"], "Insurance claims (ClaimEscrow)").build(),
  task(["medchain", "claim", "show"], "A claim's state, explanation of benefits and history")
    .addOption(opt("claim", "Claim id (bytes32)"))
    .setAction(lazy(claim, "show"))
    .build(),
];
