// npm run bench                 — the full bench (5 rounds, about half a minute)
// npm run bench -- --quick      — smaller sizes, 1 round
// npm run bench -- --tiny       — a few KB each: only checks that everything runs (the smoke test uses it)
// npm run bench -- --rounds 9   — more (or fewer) rounds; combines with --quick / --tiny
//
// Measures, side by side, examples/tcp-echo-server.ts against the smallest possible Node
// echo (test/bench/minimal-tcp-echo.ts, socket.pipe(socket)), and examples/udp-echo-server.ts
// against test/bench/minimal-udp-echo.ts, then prints one table and a verdict.
//
// How it is fair:
// - Every server is a separate process started the way a learner starts it (PORT=0);
//   its log goes to a file (see server-process.ts), never to us.
// - The load generator (load.ts) runs here, in the bench process. During a measurement
//   exactly two processes are busy: this one and the server under test. On a 2-core
//   machine each gets a core; a generator in a third process or a worker thread would
//   only add a process competing for those two cores.
// - Each scenario gets a short warm-up per server (so the JIT has compiled the hot
//   paths), then `rounds` rounds; a round measures both servers back to back,
//   alternating which one goes first.
// - The table shows the median and ± half the range (max − min) of the rounds. The
//   ratio is the median of the per-round ratios: if something else on the machine
//   slows down one round, it slows down both servers in that round, and the ratio of
//   that round stays fair. Loopback numbers on a shared machine are noisy: another
//   busy program easily moves a result by ±20%. Read the ratios, not the absolutes.

import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { tcpEchoLoad, udpEchoLoad, type TcpLoad, type UdpLoad } from "./load.ts";
import { killAllServersNow, startServer, stopAllServers, type ServerSpec } from "./server-process.ts";
import { printTable } from "./table.ts";

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
});

const KiB = 1024;
const MiB = 1024 * KiB;
const size = options.tiny ? "tiny" : options.quick ? "quick" : "full";
const settings = {
  full: { rounds: 5, tcpBytes: 128 * MiB, udpSeconds: 1, warmUp: true, giveUpAfterMs: 180_000 },
  quick: { rounds: 1, tcpBytes: 32 * MiB, udpSeconds: 0.5, warmUp: true, giveUpAfterMs: 60_000 },
  tiny: { rounds: 1, tcpBytes: 256 * KiB, udpSeconds: 0.1, warmUp: false, giveUpAfterMs: 20_000 },
}[size];
const rounds = options.rounds === undefined ? settings.rounds : Number(options.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error(`--rounds must be a whole number from 1 to 20, not "${options.rounds}"`);
  process.exit(2);
}

const tcpLoad = (connections: number): TcpLoad => ({
  connections,
  totalBytes: settings.tcpBytes,
  writeSize: 64 * KiB,
  timeoutMs: 20_000,
});
const udpLoad: UdpLoad = { datagramSize: 512, inFlight: 32, seconds: settings.udpSeconds, lostAfterMs: 200 };

/** One measurement of one server: a number (bigger is better) and, for UDP, the loss. */
interface Sample {
  value: number;
  sent?: number;
  lost?: number;
}

// The servers, each started once as its own process and reused by every round.
const servers = {
  "tcp-example": { file: "examples/tcp-echo-server.ts" },
  "tcp-minimal": { file: "test/bench/minimal-tcp-echo.ts" },
  "udp-example": { file: "examples/udp-echo-server.ts" },
  // The same example with its per-datagram log line dropped: the diagnostic row.
  "udp-example-unlogged": { file: "examples/udp-echo-server.ts", preload: "test/bench/drop-log-lines.ts" },
  "udp-minimal": { file: "test/bench/minimal-udp-echo.ts" },
} satisfies Record<string, ServerSpec>;
type ServerName = keyof typeof servers;

interface Scenario {
  name: string;
  unit: string;
  example: ServerName;
  reference: ServerName;
  /** Explains a difference instead of judging the example: left out of the verdict. */
  diagnostic?: boolean;
  measure(port: number, warmUp: boolean): Promise<Sample>;
}

const tcpScenario = (connections: number): Scenario => ({
  name: `TCP, ${connections} connection${connections === 1 ? "" : "s"}`,
  unit: "MB/s",
  example: "tcp-example",
  reference: "tcp-minimal",
  async measure(port, warmUp) {
    const load = tcpLoad(connections);
    if (warmUp) load.totalBytes = Math.ceil(load.totalBytes / 4);
    return { value: await tcpEchoLoad(port, load) };
  },
});

const udpScenario = (name: string, example: ServerName, diagnostic = false): Scenario => ({
  name,
  unit: "datagrams/s",
  example,
  reference: "udp-minimal",
  diagnostic,
  async measure(port, warmUp) {
    const result = await udpEchoLoad(port, { ...udpLoad, seconds: warmUp ? udpLoad.seconds / 4 : udpLoad.seconds });
    return { value: result.datagramsPerSecond, sent: result.sent, lost: result.lost };
  },
});

const scenarios: Scenario[] = [
  tcpScenario(1),
  tcpScenario(50),
  udpScenario(`UDP, ${udpLoad.datagramSize}-byte datagrams`, "udp-example"),
  udpScenario("UDP, same, example's log line dropped *", "udp-example-unlogged", true),
];

// Ctrl-C (or `kill`): stop the servers before leaving. A second Ctrl-C is not needed —
// everything below ends by itself.
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the servers`);
    stopAllServers().finally(() => process.exit(130));
  });
}
process.once("exit", killAllServersNow);
// Every step has its own time limit; this one bounds the whole run (say, on a machine far
// slower than expected), so nothing ever outlives the bench.
setTimeout(() => {
  console.error(`Bench gave up after ${settings.giveUpAfterMs / 1000} s`);
  stopAllServers().finally(() => process.exit(1));
}, settings.giveUpAfterMs).unref();

async function main() {
  console.log(
    `Socket Playground bench (${size}, ${rounds} round${rounds === 1 ? "" : "s"}) — Node ${process.version}, ` +
      `${cpus().length} CPUs, loopback. TCP: ${settings.tcpBytes / MiB} MiB per run in 64 KiB writes ` +
      `(1 MB = 10^6 bytes); UDP: ${udpLoad.datagramSize}-byte datagrams, ${udpLoad.inFlight} in flight, ` +
      `${udpLoad.seconds} s per run.`,
  );
  // The bench cannot tell other busy programs to stop; it can at least say they are there.
  const [busy] = loadavg();
  if (busy > 0.5) console.log(`Note: the machine was already busy (load average ${busy.toFixed(2)}); expect noisy numbers.`);
  const names = Object.keys(servers) as ServerName[];
  const ports = await Promise.all(names.map((name) => startServer(name, servers[name])));
  const portOf = new Map(names.map((name, i) => [name, ports[i]]));

  // With fewer than 3 rounds there is no telling a real difference from noise.
  const judged = size !== "tiny" && rounds >= 3;
  const rows: string[][] = [];
  const slower: string[] = [];
  for (const scenario of scenarios) {
    const samples = { example: [] as Sample[], reference: [] as Sample[] };
    const run = async (which: "example" | "reference", warmUp: boolean) => {
      const sample = await scenario.measure(portOf.get(scenario[which])!, warmUp);
      if (!warmUp) samples[which].push(sample);
    };
    if (settings.warmUp) {
      await run("example", true);
      await run("reference", true);
    }
    for (let round = 1; round <= rounds; round++) {
      // Odd rounds measure the example first, even rounds the reference first.
      const order = round % 2 === 1 ? (["example", "reference"] as const) : (["reference", "example"] as const);
      for (const which of order) await run(which, false);
      const latest = (which: "example" | "reference") => samples[which].at(-1)!.value;
      console.error(
        `  ${scenario.name}, round ${round}/${rounds}: example ${formatNumber(latest("example"))}, ` +
          `reference ${formatNumber(latest("reference"))} ${scenario.unit}`,
      );
    }

    const example = summarize(samples.example.map((sample) => sample.value), samples.example);
    const reference = summarize(samples.reference.map((sample) => sample.value), samples.reference);
    const ratio = summarize(samples.example.map((sample, i) => sample.value / samples.reference[i].value));
    // "Within noise": the ratio is no further below 1 than its own ± across the rounds,
    // and never stricter than 5% (a single round has no spread to go by).
    const keepsUp = ratio.median >= 1 - Math.max(0.05, ratio.spread);
    if (!keepsUp && !scenario.diagnostic) slower.push(`${scenario.name} (${ratio.median.toFixed(2)}×)`);
    const verdict = !keepsUp ? "slower" : ratio.median >= 1 ? "as fast or faster" : "within noise";
    rows.push([
      scenario.name,
      formatCell(example, scenario.unit),
      formatCell(reference, scenario.unit),
      `${ratio.median.toFixed(2)}×${formatSpread(ratio)}${judged ? ` (${verdict})` : ""}`,
    ]);
  }

  console.log();
  printTable(["scenario", "example", "minimal reference", "ratio"], rows);
  console.log(
    "* diagnostic, not judged: examples/udp-echo-server.ts with its console.log line per datagram dropped\n" +
      "  (test/bench/drop-log-lines.ts) — the difference to the row above is what that log line costs.",
  );
  console.log();
  console.log(
    !judged
      ? "Verdict: none — too few rounds or too little data to tell a difference from noise; run `npm run bench`."
      : slower.length === 0
      ? `Verdict: the echo examples keep up with the minimal references (within noise or faster) in every scenario.`
      : `Verdict: the echo examples are slower than the minimal references beyond noise in: ${slower.join(", ")}.`,
  );
}

interface Summary {
  median: number;
  /** Half the range (max − min), relative to the median: the "±" in the table. */
  spread: number;
  lossPercent?: number;
}

/** Median and spread of `unsorted`, plus the UDP loss of `samples` if they have one. */
function summarize(unsorted: number[], samples: Sample[] = []): Summary {
  const values = [...unsorted].sort((a, b) => a - b);
  const middle = Math.floor(values.length / 2);
  const median = values.length % 2 === 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
  const spread = median > 0 ? (values.at(-1)! - values[0]) / 2 / median : 0;
  const sent = samples.reduce((total, sample) => total + (sample.sent ?? 0), 0);
  const lost = samples.reduce((total, sample) => total + (sample.lost ?? 0), 0);
  return { median, spread, lossPercent: samples[0]?.sent === undefined ? undefined : (100 * lost) / Math.max(sent, 1) };
}

function formatNumber(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function formatSpread(summary: Summary): string {
  return rounds > 1 ? ` ±${(summary.spread * 100).toFixed(0)}%` : "";
}

function formatCell(summary: Summary, unit: string): string {
  const loss = summary.lossPercent === undefined ? "" : `, ${summary.lossPercent.toFixed(2)}% lost`;
  return `${formatNumber(summary.median)} ${unit}${formatSpread(summary)}${loss}`;
}

try {
  await main();
} catch (error) {
  if (!interrupted) console.error(`Bench failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await stopAllServers();
}
