// npx tsx test/bench/pop3.ts            — 10,000- and 1,000-message mailboxes (2 KB each)
// npx tsx test/bench/pop3.ts --quick    — 2,000 and 200
// npx tsx test/bench/pop3.ts --tiny     — 100 and 10: only checks that everything runs (the smoke test)
//
// Measures the hand-written POP3 server (servers/mail/pop3.ts):
// - opening a mailbox: the PASS round trip (the server lists the Maildir and locks it), the first
//   time and warm (a mailbox opened before), STAT, LIST;
// - memory: the server's heap (after a full GC) with one session logged in to the big mailbox
//   and to the small one — the difference must be the index only (about 100-200 bytes per
//   message), never the messages: they are streamed from disk, one at a time;
//   and the memory of one idle logged-in session;
// - RETR throughput over the whole big mailbox, one command at a time (what poplib does) and
//   pipelined (RFC 2449 PIPELINING: many commands in flight), in messages/s and MB/s;
//   every response is counted and checked (octets announced = octets received after unstuffing).
//
// - what the console costs: RETR of the whole big mailbox, one at a time, on the playground as
//   npm start runs it (test/bench/playground-server.ts: supervisor, mail on a worker thread) without
//   the console, with it recording every session, with the console's page open too (its list
//   live: event-stream.ts PAGE_QUERY), and with a reader of every line (/console/api/events)
//   — rounds taken in turn, compared by the server's CPU time (all threads) and msg/s;
// - the same on Debian's Dovecot (dovecot-pop3d, run with a private config by dovecot.ts) over a
//   copy of the big Maildir, as the reference column — when it is installed.
//
// The server runs in its own process (test/bench/pop3-server.ts); this process is the client.
// Loopback numbers on a shared machine are noisy: read them as orders of magnitude.

import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { deliver } from "../../servers/mail/maildir.ts";
import { dovecotMissing, dovecotVersion, startDovecot, type Dovecot } from "./dovecot.ts";
import { BenchClient } from "./line-client.ts";
import { serverProcess } from "./probed-server.ts";
import { openEventStream, PAGE_QUERY } from "./event-stream.ts";
import { startPlaygroundProcess, type PlaygroundProcess } from "./playground-process.ts";
import { printTable } from "./table.ts";

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
});
const size = options.tiny ? "tiny" : options.quick ? "quick" : "full";
const { big, small, idleSessions, consoleRounds } = {
  full: { big: 10_000, small: 1_000, idleSessions: 100, consoleRounds: 7 },
  quick: { big: 2_000, small: 200, idleSessions: 50, consoleRounds: 3 },
  tiny: { big: 100, small: 10, idleSessions: 5, consoleRounds: 1 },
}[size];

const BIG = "big@example.com";
const SMALL = "small@example.com";
const IDLE = Array.from({ length: idleSessions }, (_, i) => `idle${i}@example.com`);

/** A 2 KB message; every fifth body line starts with "." so the stuffing is exercised too. */
function message(n: number): Buffer {
  let text = `From: friend@example.org\nTo: ${BIG}\nSubject: bench message ${n}\nMessage-ID: <${n}@bench>\n\n`;
  for (let line = 0; text.length < 2048 - 80; line++) text += `${line % 5 === 0 ? "." : ""}line ${line} of message ${n}: ${"x".repeat(48)}\n`;
  return Buffer.from(text);
}

/** POP3: USER and PASS (every bench account's password is "secret"). */
async function login(client: BenchClient, address: string): Promise<void> {
  await client.command(`USER ${address}`, "+OK");
  await client.command("PASS secret", "+OK");
}

/** A multi-line block's size after unstuffing (CRLF included), without copying it. */
async function blockOctets(client: BenchClient): Promise<number> {
  const content = await client.stuffedBlock();
  let stuffed = content[0] === 0x2e ? 1 : 0;
  for (let at = content.indexOf("\r\n."); at !== -1; at = content.indexOf("\r\n.", at + 3)) stuffed++;
  return content.length - stuffed;
}

/** The time of PASS → +OK: the server checks the password, locks and lists (or indexes) the maildrop. */
async function timedPass(port: number, address: string): Promise<number> {
  const client = await BenchClient.connect(port);
  await client.command(`USER ${address}`, "+OK");
  const start = performance.now();
  await client.command("PASS secret", "+OK");
  const ms = performance.now() - start;
  await client.quit("+OK");
  return ms;
}

/** PASS on a mailbox the server has opened before (its listing or index is warm): the median of 5. */
async function warmPass(port: number, address: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await timedPass(port, address));
  return times.sort((a, b) => a - b)[2];
}

/** STAT and LIST of a whole mailbox, in ms; checks the message count. */
async function statAndList(port: number, address: string, count: number): Promise<{ stat: number; list: number; client: BenchClient }> {
  const client = await BenchClient.connect(port);
  await login(client, address);
  let start = performance.now();
  const stat = await client.command("STAT", "+OK");
  const statMs = performance.now() - start;
  if (stat.split(" ")[1] !== String(count)) throw new Error(`STAT says ${stat}, expected ${count} messages`);
  start = performance.now();
  await client.command("LIST", "+OK");
  await client.stuffedBlock();
  return { stat: statMs, list: performance.now() - start, client };
}

interface Rate {
  perSecond: number;
  mbPerSecond: number;
}

/** RETR of every message of the big mailbox, one command at a time or 64 in flight. */
async function retrieval(port: number, pipelined: boolean): Promise<Rate> {
  const client = await BenchClient.connect(port);
  await login(client, BIG);
  const start = performance.now();
  let bytes = 0;
  const window = pipelined ? 64 : 1;
  let sent = 0;
  for (let n = 1; n <= big; n++) {
    while (sent < Math.min(big, n - 1 + window)) client.socket.write(`RETR ${++sent}\r\n`);
    const status = await client.line();
    const octets = await blockOctets(client);
    // Dovecot says "+OK 2068 octets" too (RFC 1939 leaves the text free; both give the size).
    if (!status.startsWith(`+OK ${octets} octets`)) throw new Error(`RETR ${n}: "${status}" but ${octets} octets received`);
    bytes += octets;
  }
  const seconds = (performance.now() - start) / 1000;
  await client.quit("+OK");
  return { perSecond: big / seconds, mbPerSecond: bytes / 1e6 / seconds };
}

/**
 * What the console costs: four playgrounds as npm start runs them, each over its own copy of the
 * big Maildir — without the console, recording, recording with the page open, recording with a
 * reader of every line — RETR of every message one at a time, round by round in turn (the order
 * turned each round). Returns the table's rows.
 */
async function consoleCost(dataDir: string): Promise<string[][]> {
  const modes = [
    { name: "no console", mode: "none" as const, page: undefined },
    { name: "the console recording", mode: "console" as const, page: undefined },
    { name: "the console recording and streaming to a page", mode: "console" as const, page: PAGE_QUERY },
    { name: "the console recording and streaming every line", mode: "console" as const, page: "" },
  ];
  const playgrounds: PlaygroundProcess[] = [];
  const pages: Awaited<ReturnType<typeof openEventStream>>[] = [];
  try {
    for (const [i, { mode, page }] of modes.entries()) {
      const own = join(dataDir, `playground-${i}`);
      await cp(join(dataDir, "mail", BIG), join(own, "mail", BIG), { recursive: true });
      const playground = await startPlaygroundProcess(own, [BIG], mode);
      playgrounds.push(playground);
      if (page !== undefined) pages.push(await openEventStream(playground.ports.http, page));
      await retrieval(playground.ports.pop3, false); // warm-up, not counted (it also moves new/ → cur/)
    }
    const rates = modes.map(() => [] as number[]);
    const cpus = modes.map(() => [] as number[]);
    for (let round = 1; round <= consoleRounds; round++) {
      for (let k = 0; k < modes.length; k++) {
        const i = (k + round - 1) % modes.length;
        const before = playgrounds[i]!.cpu();
        const { perSecond } = await retrieval(playgrounds[i]!.ports.pop3, false);
        const cpu = playgrounds[i]!.cpu() - before;
        rates[i]!.push(perSecond);
        cpus[i]!.push(cpu);
        console.error(`  RETR, ${modes[i]!.name}, round ${round}/${consoleRounds}: ${perSecond.toFixed(0)} msg/s, server CPU ${cpu.toFixed(0)} ms`);
      }
    }
    if (pages.some((page) => page.bytes() === 0)) throw new Error("the console page got no events");
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const percent = (ratio: number) => `${ratio >= 1 ? "+" : "−"}${Math.abs((ratio - 1) * 100).toFixed(0)}%`;
    return modes.map(({ name }, i) => [
      `RETR all, one at a time, as npm start runs it: ${name}`,
      `${median(rates[i]!).toFixed(0)} msg/s`,
      `${((median(cpus[i]!) / big) * 1000).toFixed(0)} ms`,
      i === 0 ? "" : `msg/s ${percent(median(rates[i]!.map((rate, round) => rate / rates[0]![round]!)))}, CPU ${percent(median(cpus[i]!.map((cpu, round) => cpu / cpus[0]![round]!)))}`,
    ]);
  } finally {
    for (const page of pages) page.close();
    await Promise.all(playgrounds.map((playground) => playground.stop()));
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "pop3-bench-"));
  const mailRoot = join(dataDir, "mail");
  const server = serverProcess(new URL("./pop3-server.ts", import.meta.url), [dataDir, [BIG, SMALL, ...IDLE].join(",")]);
  const memory = server.memory;
  let dovecot: Dovecot | null = null;
  try {
    console.log(`Filling two Maildirs: ${big.toLocaleString("en")} and ${small.toLocaleString("en")} messages of 2 KB …`);
    let setup = performance.now();
    for (let n = 1; n <= big; n++) await deliver(mailRoot, BIG, message(n), { fsync: false });
    for (let n = 1; n <= small; n++) await deliver(mailRoot, SMALL, message(n), { fsync: false });
    // Dovecot gets a copy of the big Maildir (it writes its index files into it): the same files, the same names.
    const missing = dovecotMissing("pop3");
    if (missing) console.log(`(${missing}: no reference column)`);
    else {
      const dovecotRoot = join(dataDir, "dovecot-mail");
      await cp(join(mailRoot, BIG), join(dovecotRoot, BIG), { recursive: true });
      dovecot = await startDovecot({ protocol: "pop3", workDir: join(dataDir, "dovecot"), mailRoot: dovecotRoot, accounts: [{ address: BIG, password: "secret" }] });
    }
    setup = performance.now() - setup;
    const port = Number(/:(\d+)$/.exec(await server.nextLine())![1]);

    // Idle logged-in sessions, each on its own (empty) maildrop (measured first, on a fresh heap).
    const before = await memory();
    if (!before.gc) console.warn("(no --expose-gc: heap numbers include garbage)");
    const idle = await Promise.all(IDLE.map(async (address) => {
      const client = await BenchClient.connect(port);
      await login(client, address);
      return client;
    }));
    const perSession = ((await memory()).heapUsed - before.heapUsed) / IDLE.length;
    await Promise.all(idle.map((client) => client.quit("+OK")));

    // Opening each mailbox: the first PASS (list + lock; Dovecot builds its index), then warm ones,
    // STAT and LIST; and our server's heap with that one session open.
    const baseline = await memory();
    const opened: Record<string, { first: number; warm: number; stat: number; list: number; heap: number }> = {};
    for (const [address, count] of [[SMALL, small], [BIG, big]] as const) {
      const first = await timedPass(port, address);
      const warm = await warmPass(port, address);
      const { stat, list, client } = await statAndList(port, address, count);
      const heap = (await memory()).heapUsed - baseline.heapUsed;
      await client.quit("+OK");
      opened[address] = { first, warm, stat, list, heap };
    }
    const reference = dovecot && {
      first: await timedPass(dovecot.port, BIG),
      warm: await warmPass(dovecot.port, BIG),
      ...(await (async () => {
        const { stat, list, client } = await statAndList(dovecot.port, BIG, big);
        await client.quit("+OK");
        return { stat, list };
      })()),
    };

    // RETR throughput over the big mailbox: one at a time (the first pass also moves every
    // message from new/ to cur/), then pipelined; each pass on Dovecot right after ours, so
    // that both see the same weather on a shared machine.
    const passes = [["first", false], ["again", false], ["pipelined", true]] as const;
    const ours: Partial<Record<(typeof passes)[number][0], Rate>> = {};
    const theirs: Partial<Record<(typeof passes)[number][0], Rate>> = {};
    for (const [pass, pipelined] of passes) {
      ours[pass] = await retrieval(port, pipelined);
      if (dovecot) theirs[pass] = await retrieval(dovecot.port, pipelined);
    }
    const peak = (await memory()).maxRss;
    const consoleRows = await consoleCost(dataDir);

    const ms = (value: number) => value.toFixed(1);
    const kb = (bytes: number) => (bytes / 1024).toFixed(0);
    const label = (count: number) => `${count.toLocaleString("en")} messages`;
    const rate = (r: Rate | undefined) => (r ? `${r.perSecond.toFixed(0)} msg/s, ${r.mbPerSecond.toFixed(1)} MB/s` : "");
    const timeRatio = (mine: number, dovecots: number | undefined) => (dovecots === undefined ? "" : `${(mine / dovecots).toFixed(2)}× the time`);
    const rateRatio = (mine: number, dovecots: number | undefined) => (dovecots === undefined ? "" : `${(mine / dovecots).toFixed(2)}× the rate`);
    const rows: string[][] = [
      ["PASS → +OK, first login (ms)", ms(opened[SMALL].first), ms(opened[BIG].first), reference ? ms(reference.first) : "", timeRatio(opened[BIG].first, reference?.first)],
      ["PASS → +OK, warm: median of 5 logins (ms)", ms(opened[SMALL].warm), ms(opened[BIG].warm), reference ? ms(reference.warm) : "", timeRatio(opened[BIG].warm, reference?.warm)],
      ["STAT (ms)", ms(opened[SMALL].stat), ms(opened[BIG].stat), reference ? ms(reference.stat) : "", ""],
      ["LIST, all messages (ms)", ms(opened[SMALL].list), ms(opened[BIG].list), reference ? ms(reference.list) : "", timeRatio(opened[BIG].list, reference?.list)],
      ["server heap with this one session open (KB)", kb(opened[SMALL].heap), kb(opened[BIG].heap), "", ""],
    ];
    const perMessage = (opened[BIG].heap - opened[SMALL].heap) / (big - small);
    rows.push(["  … per message of the index (bytes)", "", perMessage.toFixed(0), "", ""]);
    rows.push([`RETR all, one at a time, first time (new/ → cur/ renames)`, "", rate(ours.first), rate(theirs.first), rateRatio(ours.first!.perSecond, theirs.first?.perSecond)]);
    rows.push([`RETR all, one at a time`, "", rate(ours.again), rate(theirs.again), rateRatio(ours.again!.perSecond, theirs.again?.perSecond)]);
    rows.push([`RETR all, pipelined (64 in flight)`, "", rate(ours.pipelined), rate(theirs.pipelined), rateRatio(ours.pipelined!.perSecond, theirs.pipelined?.perSecond)]);
    rows.push([`heap per idle logged-in session (${IDLE.length} open) (KB)`, "", (perSession / 1024).toFixed(1), "", ""]);
    rows.push(["server peak RSS during the whole bench (MB)", "", (peak / 1e6).toFixed(0), "", ""]);

    console.log(`(filling took ${(setup / 1000).toFixed(1)} s; servers in their own processes, client here, loopback)\n`);
    printTable(["measurement", label(small), label(big), `${dovecotVersion()}, ${label(big)}`, "playground vs Dovecot"], rows);
    console.log(`\nWhat the console costs (${consoleRounds} round${consoleRounds === 1 ? "" : "s"} taken in turn; fsync off; server CPU is every thread of its process):\n`);
    printTable([`measurement, ${label(big)}`, "RETR (median round)", "server CPU per 1,000 messages", "vs no console (median of paired rounds)"], consoleRows);
    const verdict = perMessage < 1024
      ? `memory grows with the mailbox only by its index (~${perMessage.toFixed(0)} bytes per message), not by its ${(big * 2).toLocaleString("en")} KB of mail`
      : `the index costs ${perMessage.toFixed(0)} bytes per message — more than expected: are messages being held in memory?`;
    console.log(`\nVerdict: ${verdict}.`);
  } finally {
    server.stop();
    await dovecot?.stop();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 }); // a Dovecot child may still be closing its state files
  }
}

await main();
