// npx tsx test/bench/ftp.ts            — RETR and STOR (plain, and with ALLO first) of a 100 MB file, 300 clients logged in at once, 3 rounds
// npx tsx test/bench/ftp.ts --quick    — 32 MB, 1 round
// npx tsx test/bench/ftp.ts --tiny     — 1 MB and 20 logins: only checks that everything runs (ftp-smoke.test.ts)
// npx tsx test/bench/ftp.ts --rounds 5 — more (or fewer) rounds
// npx tsx test/bench/ftp.ts --node-flags=--trace-gc — V8/Node flags for both Node servers (space-separated)
//
// The playground FTP server (servers/ftp/server.ts, i.e. ftp-srv with our sandbox) side by
// side with a reference FTP server, pyftpdlib, in one run — if Debian's python3-pyftpdlib
// is installed (it is for /usr/bin/python3; its column is left out with a note if not).
// pyftpdlib's own published numbers on its hardware: 1.65 GB/s RETR, 0.59 GB/s STOR,
// 0.19 s for 300 concurrent logins.
//
// How it is fair:
// - Each server is its own process with its log going to a file; the client (ftp-client.ts,
//   raw sockets, identical for both) runs here. Both serve the same file from a local disk.
// - Passive mode with EPSV, binary type, user me/secret on both.
// - A short warm-up per server, then rounds that alternate which server goes first; the
//   table shows the median (± half the range with several rounds), and the ratio is the
//   median of per-round ratios. Loopback numbers on a shared machine are noisy.
// - pyftpdlib runs as shipped (`python3 -m pyftpdlib`), which logs every login and transfer
//   at INFO level; the playground server runs without --trace, and with the V8 heap room that
//   npm start gives its FTP thread (--initial-old-space-size=64, servers/supervisor.ts).
// - Below the table: each server's CPU time (utime + stime from /proc/<pid>/stat) per transfer,
//   the steadier figure on a shared machine (wall-clock rates swing with the other processes).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { FTP_INITIAL_OLD_SPACE_MB } from "../../servers/defaults.ts";
import { BenchFtp, concurrentLogins } from "./ftp-client.ts";
import { printTable } from "./table.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PYTHON = "/usr/bin/python3";
const MB = 1_000_000;

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" }, "node-flags": { type: "string" } },
});
const nodeFlags = (options["node-flags"] ?? "").split(" ").filter((flag) => flag !== "");
const size = options.tiny ? "tiny" : options.quick ? "quick" : "full";
const settings = {
  full: { rounds: 3, fileBytes: 100 * MB, logins: 300, giveUpAfterMs: 300_000 },
  quick: { rounds: 1, fileBytes: 32 * MB, logins: 300, giveUpAfterMs: 120_000 },
  tiny: { rounds: 1, fileBytes: 1 * MB, logins: 20, giveUpAfterMs: 25_000 },
}[size];
const rounds = options.rounds === undefined ? settings.rounds : Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error(`--rounds must be a whole number from 1 to 20, not "${options.rounds}"`);
  process.exit(2);
}

const workDir = mkdtempSync(join(tmpdir(), "socket-playground-ftp-bench-"));
const children = new Set<ChildProcess>();

interface Server {
  name: string;
  port: number;
  /** Its process, for its CPU time. */
  pid: number;
  /** The folder that user "me" sees as "/". */
  root: string;
}

/** Starts a server process, its output going to a log file; resolves with the port it prints. */
async function startProcess(name: string, command: string, args: string[], portLine: RegExp): Promise<{ port: number; pid: number }> {
  const logFile = join(workDir, `${name}.log`);
  const log = openSync(logFile, "w");
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", log, log] });
  closeSync(log);
  children.add(child);
  child.once("exit", () => children.delete(child));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const output = readFileSync(logFile, "utf8");
    const match = portLine.exec(output);
    if (match) return { port: Number(match[1]), pid: child.pid! };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start:\n${output}`);
    await sleep(20);
  }
}

/** CPU time (user + system, all threads) a process has used so far, in ms (Linux: /proc/<pid>/stat). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); // after "pid (name) "
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime, in clock ticks of 1/100 s
}

async function stopProcesses(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGINT");
          setTimeout(() => child.kill("SIGKILL"), 2_000).unref();
        }),
    ),
  );
}

function hasPyftpdlib(): boolean {
  return spawnSync(PYTHON, ["-c", "import pyftpdlib"], { stdio: "ignore" }).status === 0;
}

interface Scenario {
  name: string;
  unit: string;
  /** true: bigger is better (MB/s); false: smaller is better (seconds). */
  biggerIsBetter: boolean;
  measure(server: Server, warmUp: boolean): Promise<number>;
}

const block = randomBytes(64 * 1024);

/** STOR of the bench's size (a warm-up: an eighth), checked on disk and removed after. */
function storScenario({ allo }: { allo: boolean }): Scenario {
  return {
    name: `STOR ${Math.round(settings.fileBytes / MB)} MB${allo ? ", ALLO first" : ""}`,
    unit: "MB/s",
    biggerIsBetter: true,
    async measure(server, warmUp) {
      const bytes = warmUp ? settings.fileBytes / 8 : settings.fileBytes;
      const ftp = await BenchFtp.login(server.port, "me", "secret");
      const start = performance.now();
      await ftp.stor("upload.bin", bytes, block, { allo });
      const seconds = (performance.now() - start) / 1000;
      await ftp.quit();
      const stored = statSync(join(server.root, "upload.bin")).size;
      if (stored !== bytes) throw new Error(`${server.name}: STOR stored ${stored} bytes, not ${bytes}`);
      rmSync(join(server.root, "upload.bin"));
      return bytes / MB / seconds;
    },
  };
}

const scenarios: Scenario[] = [
  {
    name: `RETR ${Math.round(settings.fileBytes / MB)} MB`,
    unit: "MB/s",
    biggerIsBetter: true,
    async measure(server, warmUp) {
      const ftp = await BenchFtp.login(server.port, "me", "secret");
      const start = performance.now();
      const bytes = await ftp.retr(warmUp ? "warm-up.bin" : "bench.bin");
      const seconds = (performance.now() - start) / 1000;
      await ftp.quit();
      const expected = warmUp ? settings.fileBytes / 8 : settings.fileBytes;
      if (bytes !== expected) throw new Error(`${server.name}: RETR delivered ${bytes} bytes, not ${expected}`);
      return bytes / MB / seconds;
    },
  },
  storScenario({ allo: false }),
  // The same upload with its size announced first (ALLO): the playground then needs no wait
  // before its 226 (UPLOAD_SETTLE_MS in servers/ftp/adapter.ts); the other two do not wait anyway.
  storScenario({ allo: true }),
  {
    name: `${settings.logins} clients logged in at once`,
    unit: "s",
    biggerIsBetter: false,
    async measure(server, warmUp) {
      return concurrentLogins(server.port, warmUp ? 10 : settings.logins, "me", "secret");
    },
  },
];

async function main(): Promise<void> {
  console.log(
    `Socket Playground FTP bench (${size}, ${rounds} round${rounds === 1 ? "" : "s"}) — Node ${process.version}, ` +
      `${cpus().length} CPUs, loopback, passive mode (EPSV), binary. 1 MB = 10^6 bytes.`,
  );
  const [busy] = loadavg();
  if (busy > 0.5) console.log(`Note: the machine was already busy (load average ${busy.toFixed(2)}); expect noisy numbers.`);

  // One file of random bytes, hard-linked into both servers' folders.
  const playgroundRoot = join(workDir, "playground", "ftp", "home", "me");
  const pyftpdlibRoot = join(workDir, "pyftpdlib");
  const nodeRoot = join(workDir, "node");
  for (const root of [playgroundRoot, pyftpdlibRoot, nodeRoot]) mkdirSync(root, { recursive: true });
  const file = join(workDir, "bench.bin");
  const fd = openSync(file, "w");
  for (let left = settings.fileBytes; left > 0; left -= MB) writeFileSync(fd, randomBytes(Math.min(MB, left)));
  closeSync(fd);
  writeFileSync(join(workDir, "warm-up.bin"), randomBytes(settings.fileBytes / 8));
  for (const root of [playgroundRoot, pyftpdlibRoot, nodeRoot]) {
    linkSync(file, join(root, "bench.bin"));
    linkSync(join(workDir, "warm-up.bin"), join(root, "warm-up.bin"));
  }

  const servers: Server[] = [];
  // The room for V8's old generation that npm start gives the FTP server's thread alone
  // (servers/supervisor.ts, "The FTP thread's heap"): here the FTP server is the whole process.
  const playground = await startProcess(
    "playground",
    process.execPath,
    [`--initial-old-space-size=${FTP_INITIAL_OLD_SPACE_MB}`, ...nodeFlags, "--import", "tsx", "test/bench/ftp-playground-server.ts", join(workDir, "playground")],
    /Listening on \S+:(\d+)/,
  );
  servers.push({ name: "playground (ftp-srv)", ...playground, root: playgroundRoot });
  // The second reference: what plain Node streams do on this machine (ftp-minimal-node-server.ts).
  const node = await startProcess("node", process.execPath, [...nodeFlags, "--import", "tsx", "test/bench/ftp-minimal-node-server.ts", nodeRoot], /Listening on \S+:(\d+)/);
  servers.push({ name: "minimal Node", ...node, root: nodeRoot });
  const withReference = hasPyftpdlib();
  if (withReference) {
    const pyftpdlib = await startProcess(
      "pyftpdlib",
      PYTHON,
      ["-m", "pyftpdlib", "-i", "127.0.0.1", "-p", "0", "-d", pyftpdlibRoot, "-u", "me", "-P", "secret", "-w"],
      /starting FTP server on \S+:(\d+)/,
    );
    servers.push({ name: "pyftpdlib", ...pyftpdlib, root: pyftpdlibRoot });
  }

  const rows: string[][] = [];
  const cpuNotes: string[] = [];
  for (const scenario of scenarios) {
    const samples = servers.map(() => [] as number[]);
    const cpu = servers.map(() => [] as number[]);
    for (const server of servers) await withinOneMinute(server, scenario, scenario.measure(server, true));
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? servers : [...servers].reverse();
      for (const server of order) {
        const before = cpuMs(server.pid);
        samples[servers.indexOf(server)].push(await withinOneMinute(server, scenario, scenario.measure(server, false)));
        cpu[servers.indexOf(server)].push(cpuMs(server.pid) - before);
      }
      console.error(`  ${scenario.name}, round ${round}/${rounds}: ` + servers.map((s, i) => `${s.name} ${format(samples[i].at(-1)!)} ${scenario.unit}`).join(", "));
    }
    const row = [scenario.name, ...samples.map((values) => `${format(median(values))} ${scenario.unit}${spread(values)}`)];
    // "How many times as fast as the reference", for each reference: for times, the inverse ratio.
    for (let reference = 1; reference < servers.length; reference++) {
      const ratios = samples[0].map((ours, i) => (scenario.biggerIsBetter ? ours / samples[reference][i] : samples[reference][i] / ours));
      row.push(`${median(ratios).toFixed(2)}×`);
    }
    rows.push(row);
    cpuNotes.push(`  ${scenario.name}: ` + servers.map((s, i) => `${s.name} ${Math.round(median(cpu[i]))} ms`).join(", "));
  }

  console.log();
  printTable(["scenario", ...servers.map((s) => s.name), ...servers.slice(1).map((s) => `playground ÷ ${s.name}`)], rows);
  if (!withReference) {
    console.log(`\nNote: pyftpdlib is not installed for ${PYTHON} (Debian: apt-get install python3-pyftpdlib), so there is no reference column.`);
  }
  console.log("\nFor logins smaller is better; the ratio column is always speed (above 1×: the playground is faster).");
  const flags = `the playground runs with --initial-old-space-size=${FTP_INITIAL_OLD_SPACE_MB} (as npm start's FTP thread)${nodeFlags.length > 0 ? `, both Node servers with ${nodeFlags.join(" ")}` : ""}`;
  console.log(`\nServer CPU time (user + system) per run, median; ${flags}:\n${cpuNotes.join("\n")}`);
}

/** A measurement that hangs fails the bench with a clear message instead of stalling it. */
async function withinOneMinute(server: Server, scenario: Scenario, measurement: Promise<number>): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${server.name}: "${scenario.name}" did not finish within 60 s`)), 60_000);
  });
  try {
    return await Promise.race([measurement, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function median(unsorted: number[]): number {
  const values = [...unsorted].sort((a, b) => a - b);
  const middle = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

function spread(values: number[]): string {
  if (values.length < 2) return "";
  return ` ±${(((Math.max(...values) - Math.min(...values)) / 2 / median(values)) * 100).toFixed(0)}%`;
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(value >= 10 ? 1 : 2);
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the servers`);
    void stopProcesses().finally(() => process.exit(130));
  });
}
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(workDir, { recursive: true, force: true });
});
setTimeout(() => {
  console.error(`FTP bench gave up after ${settings.giveUpAfterMs / 1000} s`);
  void stopProcesses().finally(() => process.exit(1));
}, settings.giveUpAfterMs).unref();

try {
  await main();
} catch (error) {
  if (!interrupted) console.error(`FTP bench failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await stopProcesses();
}
