/** `medchain record verify`: whether a fetched record's ciphertext is the one anchored (RecordRegistry.verify). */
import { command, fail, nameOf, openMedChain, parseBytes32, printFields } from "./lib.ts";

/** `IRecordRegistry.RecordStatus`. */
const RecordStatus = { None: 0, Live: 1, Superseded: 2, Retracted: 3 } as const;

interface VerifyArgs {
  record?: string;
  hash?: string;
}

/** Exit code 0 when the hash matches, 2 when it does not (1 is bad input). */
export const verify = command(async (args: VerifyArgs, hre) => {
  const recordId = parseBytes32(args.record, "--record");
  const contentHash = parseBytes32(args.hash, "--hash");
  const { records } = await openMedChain(hre);
  const [matches, status] = await records.verify(recordId, contentHash);
  if (status === 0n) fail(`unknown record ${recordId}`);
  const record = await records.getRecord(recordId);
  printFields(`Record ${recordId}: content ${matches ? "MATCHES" : "DOES NOT MATCH"} the anchor`, [
    ["status", `${nameOf(RecordStatus, status)}${status === 1n ? "" : " (not the live version)"}`],
    ["version", record.version],
    ["anchored hash", record.contentHash],
    ["given hash", contentHash],
    ["custodian", record.custodianOrg === 0n ? "the patient" : `org ${record.custodianOrg}`],
  ]);
  if (!matches) process.exitCode = 2;
});
