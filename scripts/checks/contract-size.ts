/** Contract-size check: every deployable contract's runtime code is under EIP-170's 24,576 bytes. */
import { finish, projectArtifacts } from "./lib.ts";

const LIMIT = 24_576;

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = projectArtifacts()
    .map((a) => ({ contract: a.contractName, bytes: (a.deployedBytecode.length - 2) / 2 }))
    .filter((r) => r.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
  console.table(rows.map((r) => ({ ...r, "% of limit": ((100 * r.bytes) / LIMIT).toFixed(1) })));
  const over = rows.filter((r) => r.bytes > LIMIT).map((r) => `${r.contract}: ${r.bytes} bytes > ${LIMIT}`);
  finish("contract size", over, `${rows.length} deployable contracts under ${LIMIT} bytes`);
}
