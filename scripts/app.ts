/**
 * `npm run app`: the reference dApp on a local chain. Starts a `hardhat node` (port 8545, or a free
 * port when 8545 is taken), seeds it with scripts/app-seed.ts (the system deployed by Ignition and the
 * demo data, written to app/public/demo.json), and serves app/ with Vite's dev server. Ctrl-C stops
 * every child (each in its own process group) and removes the seed's Ignition deployment folder.
 *
 *   npm run app                 # PORT=… and NODE_PORT=… choose the ports
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const VITE_CLI = path.join(ROOT, "node_modules", "vite", "bin", "vite.js");
const DEPLOYMENT_DIR = path.join(ROOT, "ignition", "deployments", "medchain-app");
const NODE_LOG = path.join(tmpdir(), "medchain-app-node.log");

const children: ChildProcess[] = [];
let stopping = false;

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `preferred` when free, else the first free port after it. */
async function portFrom(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) if (await isFree(port)) return port;
  throw new Error(`no free port in ${preferred}-${preferred + 99}`);
}

/**
 * Starts a child in its own process group, so stopping it stops what it started too. A server child
 * (`oneShot` false) that exits on its own stops everything.
 */
function start(args: string[], env: NodeJS.ProcessEnv, output: "inherit" | number, oneShot = false): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", output, output],
    detached: true,
  });
  children.push(child);
  child.on("exit", (code, signal) => {
    if (!stopping && !oneShot) {
      console.error(
        `\n${path.basename(args[0])} ${args[1]} stopped (${signal ?? `exit code ${code}`}): stopping everything`,
      );
      void stopAll(1);
    }
  });
  return child;
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
          child.once("exit", () => resolve());
          const kill = (signal: NodeJS.Signals) => {
            try {
              process.kill(-child.pid!, signal);
            } catch {
              child.kill(signal);
            }
          };
          kill("SIGTERM");
          setTimeout(() => kill("SIGKILL"), 5_000).unref();
        }),
    ),
  );
  rmSync(DEPLOYMENT_DIR, { recursive: true, force: true });
  const deployments = path.dirname(DEPLOYMENT_DIR);
  if (existsSync(deployments) && readdirSync(deployments).length === 0) rmdirSync(deployments);
  process.exit(exitCode);
}

async function waitForNode(url: string, node: ChildProcess): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 60_000; ) {
    if (node.exitCode !== null) throw new Error(`hardhat node exited with code ${node.exitCode} (log: ${NODE_LOG})`);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`hardhat node did not answer on ${url} within 60 s (log: ${NODE_LOG})`);
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  const nodePort = await portFrom(Number(process.env.NODE_PORT ?? 8545));
  const webPort = await portFrom(Number(process.env.PORT ?? 5173));
  const rpcUrl = `http://127.0.0.1:${nodePort}`;

  console.log(`Starting a Hardhat node on ${rpcUrl} (its log: ${NODE_LOG})`);
  const node = start([HARDHAT_CLI, "node", "--port", String(nodePort)], {}, openSync(NODE_LOG, "w"));
  await waitForNode(rpcUrl, node);

  console.log("Deploying MedChain and the demo data (scripts/app-seed.ts)…");
  const seed = start(
    [HARDHAT_CLI, "run", "--network", "localhost", "scripts/app-seed.ts"],
    { MEDCHAIN_RPC_URL: rpcUrl },
    "inherit",
    true,
  );
  const seeded = await new Promise<number | null>((resolve) => seed.once("exit", resolve));
  if (seeded !== 0) throw new Error(`the seed failed (exit code ${seeded})`);

  start(
    [VITE_CLI, "app", "--host", "127.0.0.1", "--port", String(webPort), "--strictPort", "--clearScreen", "false"],
    {},
    "inherit",
  );
  console.log(`\nMedChain reference dApp: http://127.0.0.1:${webPort}/  (chain: ${rpcUrl}; Ctrl-C stops both)\n`);
} catch (error) {
  console.error(`npm run app: ${(error as Error).message}`);
  await stopAll(1);
}
