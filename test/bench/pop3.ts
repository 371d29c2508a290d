// npx tsx test/bench/pop3.ts            — 10,000- and 1,000-message mailboxes (2 KB each)
// npx tsx test/bench/pop3.ts --quick    — 2,000 and 200
// npx tsx test/bench/pop3.ts --tiny     — 100 and 10: only checks that everything runs (the smoke test)
//
// Measures the hand-written POP3 server (servers/mail/pop3.ts):
// - opening a mailbox: the PASS round trip (the server lists the Maildir and locks it), STAT, LIST;
// - memory: the server's heap (after a full GC) with one session logged in to the big mailbox
//   and to the small one — the difference must be the index only (about 100-200 bytes per
//   message), never the messages: they are streamed from disk, one at a time;
//   and the memory of one idle logged-in session;
// - RETR throughput over the whole big mailbox, one command at a time (what poplib does) and
//   pipelined (RFC 2449 PIPELINING: many commands in flight), in messages/s and MB/s;
//   every response is counted and checked (octets announced = octets received after unstuffing).
//
// The server runs in its own process (test/bench/pop3-server.ts); this process is the client.
// Loopback numbers on a shared machine are noisy: read them as orders of magnitude.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { deliver } from "../../servers/mail/maildir.ts";
import { BenchClient } from "./line-client.ts";
import { serverProcess } from "./probed-server.ts";
import { printTable } from "./table.ts";

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
});
const size = options.tiny ? "tiny" : options.quick ? "quick" : "full";
const { big, small, idleSessions } = {
  full: { big: 10_000, small: 1_000, idleSessions: 100 },
  quick: { big: 2_000, small: 200, idleSessions: 50 },
  tiny: { big: 100, small: 10, idleSessions: 5 },
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

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "pop3-bench-"));
  const mailRoot = join(dataDir, "mail");
  const server = serverProcess(new URL("./pop3-server.ts", import.meta.url), [dataDir, [BIG, SMALL, ...IDLE].join(",")]);
  const memory = server.memory;
  try {
    console.log(`Filling two Maildirs: ${big.toLocaleString("en")} and ${small.toLocaleString("en")} messages of 2 KB …`);
    let setup = performance.now();
    for (let n = 1; n <= big; n++) await deliver(mailRoot, BIG, message(n), { fsync: false });
    for (let n = 1; n <= small; n++) await deliver(mailRoot, SMALL, message(n), { fsync: false });
    setup = performance.now() - setup;
    const port = Number(/:(\d+)$/.exec(await server.nextLine())![1]);

    const rows: [string, string, string][] = [];
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
    const idleRow: [string, string, string] = [`heap per idle logged-in session (${IDLE.length} open) (KB)`, "", (perSession / 1024).toFixed(1)];

    const baseline = await memory();
    // Opening each mailbox: PASS (list + lock), STAT, LIST; then the heap with that one session open.
    const opened: Record<string, { pass: number; stat: number; list: number; heap: number }> = {};
    for (const [address, count] of [[SMALL, small], [BIG, big]] as const) {
      const client = await BenchClient.connect(port);
      await client.command(`USER ${address}`, "+OK");
      let start = performance.now();
      await client.command("PASS secret", "+OK");
      const pass = performance.now() - start;
      start = performance.now();
      const stat = await client.command("STAT", "+OK");
      const statMs = performance.now() - start;
      if (stat.split(" ")[1] !== String(count)) throw new Error(`STAT says ${stat}, expected ${count} messages`);
      start = performance.now();
      await client.command("LIST", "+OK");
      await client.stuffedBlock();
      const list = performance.now() - start;
      const heap = (await memory()).heapUsed - baseline.heapUsed;
      opened[address] = { pass, stat: statMs, list, heap };
      await client.quit("+OK");
    }
    const ms = (value: number) => value.toFixed(1);
    const kb = (bytes: number) => (bytes / 1024).toFixed(0);
    const label = (count: number) => `${count.toLocaleString("en")} messages`;
    rows.push(["open the mailbox: PASS → +OK (ms)", ms(opened[SMALL].pass), ms(opened[BIG].pass)]);
    rows.push(["STAT (ms)", ms(opened[SMALL].stat), ms(opened[BIG].stat)]);
    rows.push(["LIST, all messages (ms)", ms(opened[SMALL].list), ms(opened[BIG].list)]);
    rows.push(["server heap with this one session open (KB)", kb(opened[SMALL].heap), kb(opened[BIG].heap)]);
    const perMessage = (opened[BIG].heap - opened[SMALL].heap) / (big - small);
    rows.push(["  … per message of the index (bytes)", "", perMessage.toFixed(0)]);

    // RETR throughput over the big mailbox: one at a time, then pipelined.
    const retrieval = async (pipelined: boolean) => {
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
        if (status !== `+OK ${octets} octets`) throw new Error(`RETR ${n}: "${status}" but ${octets} octets received`);
        bytes += octets;
      }
      const seconds = (performance.now() - start) / 1000;
      const peak = (await memory()).maxRss;
      await client.quit("+OK");
      return { perSecond: big / seconds, mbPerSecond: bytes / 1e6 / seconds, peak };
    };
    const first = await retrieval(false); // also moves every message from new/ to cur/
    const oneAtATime = await retrieval(false);
    const pipelined = await retrieval(true);
    const rate = (r: { perSecond: number; mbPerSecond: number }) => `${r.perSecond.toFixed(0)} msg/s, ${r.mbPerSecond.toFixed(1)} MB/s`;
    rows.push([`RETR all, one at a time, first time (new/ → cur/ renames)`, "", rate(first)]);
    rows.push([`RETR all, one at a time`, "", rate(oneAtATime)]);
    rows.push([`RETR all, pipelined (64 in flight)`, "", rate(pipelined)]);

    rows.push(idleRow);
    rows.push(["server peak RSS during the whole bench (MB)", "", (Math.max(first.peak, pipelined.peak) / 1e6).toFixed(0)]);

    console.log(`(filling took ${(setup / 1000).toFixed(1)} s; server in its own process, client here, loopback)\n`);
    const header: [string, string, string] = ["measurement", label(small), label(big)];
    printTable(header, rows);
    const verdict = perMessage < 1024
      ? `memory grows with the mailbox only by its index (~${perMessage.toFixed(0)} bytes per message), not by its ${(big * 2).toLocaleString("en")} KB of mail`
      : `the index costs ${perMessage.toFixed(0)} bytes per message — more than expected: are messages being held in memory?`;
    console.log(`\nVerdict: ${verdict}.`);
  } finally {
    server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
