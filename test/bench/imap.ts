// npx tsx test/bench/imap.ts            — a 10,000-message INBOX (2 KB each), 50 idle sessions
// npx tsx test/bench/imap.ts --quick    — 2,000 messages, 20 idle sessions
// npx tsx test/bench/imap.ts --tiny     — 100 and 5: only checks that everything runs (the smoke test)
//
// Measures the hand-written IMAP server (servers/mail/imap.ts), side by side with Debian's
// Dovecot (dovecot-imapd, run with a private config by dovecot.ts) over a copy of the same
// Maildir, when it is installed:
// - LOGIN + SELECT INBOX the first time (both servers index the folder: UIDs, sizes);
// - FETCH 1:* of the headers (with UID, FLAGS, RFC822.SIZE) and of the full bodies (BODY.PEEK[]),
//   one command each, in messages/s and MB/s; every literal is counted, and the bytes of the
//   bodies must add up to the RFC822.SIZEs the server announced;
// - SEARCH over the whole folder on a header (SUBJECT) and on the body text (BODY), in ms, each
//   checked to find exactly the one message it names (no index on either side: both read);
// - memory per idle session with INBOX selected (our server: its heap after a full GC;
//   Dovecot: the proportional set size, PSS, of the processes it adds: one per session);
// - IDLE wake-up: a session idles in INBOX, a message arrives, and we time until "* n EXISTS";
//   once written straight into the Maildir (both servers), once by SMTP submission to the
//   playground (from the final "." of DATA, so it includes SMTP's own delivery).
//
// The servers run in their own processes (test/bench/imap-server.ts, Dovecot); this process is
// the client. Loopback numbers on a shared machine are noisy: read them as orders of magnitude.

import { once } from "node:events";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { deliver } from "../../servers/mail/maildir.ts";
import { dovecotMissing, dovecotVersion, startDovecot, type Dovecot } from "./dovecot.ts";
import { serverProcess } from "./probed-server.ts";
import { printTable } from "./table.ts";

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
});
const size = options.tiny ? "tiny" : options.quick ? "quick" : "full";
const { count, idleSessions, wakeUps } = {
  full: { count: 10_000, idleSessions: 50, wakeUps: 5 },
  quick: { count: 2_000, idleSessions: 20, wakeUps: 5 },
  tiny: { count: 100, idleSessions: 5, wakeUps: 2 },
}[size];

const BIG = "big@example.com";

/** A 2 KB message with a subject and a body line that name it, so SEARCH can find exactly one. */
function message(n: number): Buffer {
  let text = `From: friend@example.org\nTo: ${BIG}\nSubject: bench message ${n}\nMessage-ID: <${n}@bench>\nDate: Tue, 01 Dec 2026 10:00:00 +0000\n\n`;
  for (let line = 0; text.length < 2048 - 80; line++) text += `line ${line} of message ${n}: ${"x".repeat(48)}\n`;
  return Buffer.from(text);
}

/** What one tagged command brought back: the untagged lines (literals left out), literal count and bytes. */
interface Answer {
  lines: string[];
  literals: number;
  literalBytes: number;
}

/** A bare IMAP client: responses found straight in the socket's bytes, literals skipped by their {size}. */
class ImapBenchClient {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: () => void; check: () => boolean } | null = null;
  private nextTag = 1;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      if (this.waiting?.check()) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve();
      }
    });
  }

  /** Connects, reads the greeting, logs in (every bench account's password is "secret"). */
  static async login(port: number, address = BIG): Promise<ImapBenchClient> {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await once(socket, "connect");
    const client = new ImapBenchClient(socket);
    await client.line();
    await client.command(`LOGIN ${address} secret`);
    return client;
  }

  private until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = { resolve, check }));
  }

  /** One line (without CRLF). */
  async line(): Promise<string> {
    let end = -1;
    await this.until(() => (end = this.buffer.indexOf("\r\n")) !== -1);
    const line = this.buffer.subarray(0, end).toString("latin1");
    this.buffer = this.buffer.subarray(end + 2);
    return line;
  }

  /** Skips `size` bytes (a literal's content). */
  async skip(size: number): Promise<void> {
    await this.until(() => this.buffer.length >= size);
    this.buffer = this.buffer.subarray(size);
  }

  /** Sends "A<n> text" and reads up to the tagged answer, which must be OK. */
  async command(text: string): Promise<Answer> {
    const tag = `A${this.nextTag++}`;
    this.socket.write(`${tag} ${text}\r\n`);
    const answer: Answer = { lines: [], literals: 0, literalBytes: 0 };
    let response = "";
    for (;;) {
      const line = await this.line();
      const literal = /\{(\d+)\}$/.exec(line);
      if (literal) {
        // "... BODY[] {2048}": the literal's bytes come next, then the rest of the response.
        const size = Number(literal[1]);
        await this.skip(size);
        answer.literals++;
        answer.literalBytes += size;
        response += line;
        continue;
      }
      response += line;
      if (response.startsWith(`${tag} `)) {
        if (!response.startsWith(`${tag} OK`)) throw new Error(`${text.slice(0, 40)}: ${response}`);
        return answer;
      }
      answer.lines.push(response);
      response = "";
    }
  }

  async logout(): Promise<void> {
    const closed = once(this.socket, "close");
    await this.command("LOGOUT");
    await closed;
  }
}

interface Rate {
  perSecond: number;
  mbPerSecond: number;
}

/** FETCH 1:* of `items`: one command, every message's literal counted. */
async function fetchAll(client: ImapBenchClient, items: string): Promise<Rate & { answer: Answer }> {
  const start = performance.now();
  const answer = await client.command(`FETCH 1:* ${items}`);
  const seconds = (performance.now() - start) / 1000;
  if (answer.literals !== count) throw new Error(`FETCH 1:* ${items}: ${answer.literals} literals, expected ${count}`);
  return { perSecond: count / seconds, mbPerSecond: answer.literalBytes / 1e6 / seconds, answer };
}

/** The median time of 3 runs of a SEARCH that must find exactly message `expected`. */
async function timedSearch(client: ImapBenchClient, criteria: string, expected: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const { lines } = await client.command(`SEARCH ${criteria}`);
    times.push(performance.now() - start);
    if (!lines.includes(`* SEARCH ${expected}`)) throw new Error(`SEARCH ${criteria}: ${lines.join(" | ")}, expected ${expected}`);
  }
  return times.sort((a, b) => a - b)[1];
}

interface Measured {
  select: number;
  headers: Rate;
  bodies: Rate;
  searchSubject: number;
  searchBody: number;
}

/** LOGIN + SELECT, FETCH headers and bodies, SEARCH, on one server. */
async function measure(port: number): Promise<Measured> {
  const start = performance.now();
  const client = await ImapBenchClient.login(port);
  const selected = await client.command("SELECT INBOX");
  const select = performance.now() - start;
  if (!selected.lines.includes(`* ${count} EXISTS`)) throw new Error(`SELECT INBOX: no "* ${count} EXISTS"`);
  const headers = await fetchAll(client, "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])");
  let announced = 0;
  for (const line of headers.answer.lines) announced += Number(/RFC822\.SIZE (\d+)/.exec(line)?.[1] ?? NaN);
  const bodies = await fetchAll(client, "(BODY.PEEK[])");
  if (bodies.answer.literalBytes !== announced) throw new Error(`BODY[] brought ${bodies.answer.literalBytes} bytes, RFC822.SIZE said ${announced}`);
  const middle = Math.ceil(count / 2);
  const searchSubject = await timedSearch(client, `SUBJECT "bench message ${middle}"`, middle);
  const searchBody = await timedSearch(client, `BODY "of message ${middle}:"`, middle);
  await client.logout();
  return { select, headers, bodies, searchSubject, searchBody };
}

/** Opens `n` sessions with INBOX selected and leaves them idle; `close()` logs them out. */
async function idleSelected(port: number, n: number) {
  const clients = await Promise.all(Array.from({ length: n }, async () => {
    const client = await ImapBenchClient.login(port);
    await client.command("SELECT INBOX");
    return client;
  }));
  return { close: () => Promise.all(clients.map((client) => client.logout())) };
}

/** The proportional set size (KB → bytes) of every process below `pid` (Dovecot's sessions). */
async function pssOfChildren(pid: number): Promise<number> {
  const parents = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (stat) parents.set(Number(entry), ppid);
  }
  const below = (child: number): boolean => {
    for (let at = parents.get(child); at !== undefined && at > 1; at = parents.get(at)) if (at === pid) return true;
    return false;
  };
  let total = 0;
  for (const child of parents.keys()) {
    if (!below(child)) continue;
    const rollup = await readFile(`/proc/${child}/smaps_rollup`, "utf8").catch(() => "");
    total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  }
  return total;
}

/** The time from when `arrive()` says the message left (its resolved timestamp) until an idling session hears "* n EXISTS": the median of `wakeUps`. */
async function idleWakeUp(port: number, arrive: () => Promise<number>): Promise<number> {
  const client = await ImapBenchClient.login(port);
  const selected = await client.command("SELECT INBOX");
  let exists = Number(/^\* (\d+) EXISTS/m.exec(selected.lines.join("\n"))![1]);
  const times: number[] = [];
  for (let i = 0; i < wakeUps; i++) {
    client.socket.write("I IDLE\r\n");
    if (!(await client.line()).startsWith("+")) throw new Error("IDLE was refused");
    let heard = -1;
    const start = await arrive();
    while (heard !== exists + 1) heard = Number(/^\* (\d+) EXISTS$/.exec(await client.line())?.[1] ?? -1);
    times.push(performance.now() - start);
    exists = heard;
    client.socket.write("DONE\r\n");
    while (!(await client.line()).startsWith("I ")); // "* n RECENT" and the like, then "I OK"
  }
  await client.logout();
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

/** One message by SMTP submission (AUTH PLAIN on loopback); resolves when "." has been written, with that moment. */
async function submitBySmtp(port: number, text: Buffer): Promise<{ sent: number; done: Promise<void> }> {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  let buffer = "";
  let waiting: (() => void) | null = null;
  socket.on("data", (chunk) => {
    buffer += chunk.toString("latin1");
    waiting?.();
  });
  const reply = async (code: string) => {
    while (!/^\d{3} [^\n]*\r\n/m.test(buffer)) await new Promise<void>((resolve) => (waiting = resolve));
    const line = buffer;
    buffer = "";
    if (!line.split("\r\n").at(-2)!.startsWith(code)) throw new Error(`SMTP: expected ${code}, got ${line.trim()}`);
  };
  await reply("220");
  for (const [line, code] of [["EHLO bench", "250"], [`AUTH PLAIN ${Buffer.from(`\0${BIG}\0secret`).toString("base64")}`, "235"], ["MAIL FROM:<friend@example.org>", "250"], [`RCPT TO:<${BIG}>`, "250"], ["DATA", "354"]]) {
    socket.write(`${line}\r\n`);
    await reply(code);
  }
  socket.write(Buffer.concat([Buffer.from(text.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1"), Buffer.from(".\r\n")]));
  return { sent: performance.now(), done: reply("250").then(() => void socket.end()) };
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "imap-bench-"));
  const mailRoot = join(dataDir, "mail");
  let dovecot: Dovecot | null = null;
  console.log(`Filling a Maildir with ${count.toLocaleString("en")} messages of 2 KB …`);
  let setup = performance.now();
  for (let n = 1; n <= count; n++) await deliver(mailRoot, BIG, message(n), { fsync: false });
  const dovecotRoot = join(dataDir, "dovecot-mail");
  const missing = dovecotMissing("imap");
  if (missing) console.log(`(${missing}: no reference column)`);
  else {
    await cp(join(mailRoot, BIG), join(dovecotRoot, BIG), { recursive: true });
    dovecot = await startDovecot({ protocol: "imap", workDir: join(dataDir, "dovecot"), mailRoot: dovecotRoot, accounts: [{ address: BIG, password: "secret" }] });
  }
  setup = performance.now() - setup;
  const server = serverProcess(new URL("./imap-server.ts", import.meta.url), [dataDir, BIG]);
  try {
    const [, imapPort, submissionPort] = /:(\d+) submission (\d+)$/.exec(await server.nextLine())!.map(Number);

    // Each measurement on Dovecot right after ours, so both see the same weather.
    const ours = await measure(imapPort);
    const theirs = dovecot && (await measure(dovecot.port));

    // Idle sessions with the big INBOX selected: what each one adds to the server.
    const before = await server.memory();
    if (!before.gc) console.warn("(no --expose-gc: heap numbers include garbage)");
    let sessions = await idleSelected(imapPort, idleSessions);
    const perSession = ((await server.memory()).heapUsed - before.heapUsed) / idleSessions;
    await sessions.close();
    let dovecotPerSession: number | undefined;
    if (dovecot) {
      const pssBefore = await pssOfChildren(dovecot.pid);
      sessions = await idleSelected(dovecot.port, idleSessions);
      dovecotPerSession = ((await pssOfChildren(dovecot.pid)) - pssBefore) / idleSessions;
      await sessions.close();
    }

    // IDLE wake-up: straight into the Maildir (both), then by SMTP (ours).
    let next = count;
    const intoMaildir = (root: string) => async () => {
      const start = performance.now();
      await deliver(root, BIG, message(++next), { fsync: false });
      return start;
    };
    const wakeMaildir = await idleWakeUp(imapPort, intoMaildir(mailRoot));
    const dovecotWake = dovecot ? await idleWakeUp(dovecot.port, intoMaildir(dovecotRoot)) : undefined;
    const pendingSmtp: Promise<void>[] = [];
    const wakeSmtp = await idleWakeUp(imapPort, async () => {
      const { sent, done } = await submitBySmtp(submissionPort, message(++next));
      pendingSmtp.push(done);
      return sent;
    });
    await Promise.all(pendingSmtp);
    const peak = (await server.memory()).maxRss;

    const ms = (value: number | undefined) => (value === undefined ? "" : value.toFixed(1));
    const rate = (r: Rate | undefined) => (r ? `${r.perSecond.toFixed(0)} msg/s, ${r.mbPerSecond.toFixed(1)} MB/s` : "");
    const timeRatio = (mine: number, dovecots: number | undefined) => (dovecots === undefined ? "" : `${(mine / dovecots).toFixed(2)}× the time`);
    const rateRatio = (mine: Rate, dovecots: Rate | undefined) => (dovecots === undefined ? "" : `${(mine.perSecond / dovecots.perSecond).toFixed(2)}× the rate`);
    const kb = (bytes: number | undefined) => (bytes === undefined ? "" : (bytes / 1024).toFixed(1));
    const rows: string[][] = [
      ["LOGIN + SELECT INBOX, first time (ms)", ms(ours.select), ms(theirs?.select), timeRatio(ours.select, theirs?.select)],
      ["FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])", rate(ours.headers), rate(theirs?.headers), rateRatio(ours.headers, theirs?.headers)],
      ["FETCH 1:* (BODY.PEEK[])", rate(ours.bodies), rate(theirs?.bodies), rateRatio(ours.bodies, theirs?.bodies)],
      ["SEARCH SUBJECT, whole folder (ms, median of 3)", ms(ours.searchSubject), ms(theirs?.searchSubject), timeRatio(ours.searchSubject, theirs?.searchSubject)],
      ["SEARCH BODY, whole folder (ms, median of 3)", ms(ours.searchBody), ms(theirs?.searchBody), timeRatio(ours.searchBody, theirs?.searchBody)],
      [`memory per idle session, INBOX selected (${idleSessions} open) (KB)`, `${kb(perSession)} heap`, dovecotPerSession === undefined ? "" : `${kb(dovecotPerSession)} PSS`, ""],
      [`IDLE wake-up, message written into the Maildir (ms, median of ${wakeUps})`, ms(wakeMaildir), ms(dovecotWake), timeRatio(wakeMaildir, dovecotWake)],
      [`IDLE wake-up, SMTP "." → "* n EXISTS" (ms, median of ${wakeUps})`, ms(wakeSmtp), "", ""],
      ["server peak RSS during the whole bench (MB)", (peak / 1e6).toFixed(0), "", ""],
    ];
    const label = `${count.toLocaleString("en")} messages`;
    console.log(`(filling took ${(setup / 1000).toFixed(1)} s; servers in their own processes, client here, loopback)\n`);
    printTable(["measurement", `playground, ${label}`, dovecot ? `${dovecotVersion()}, ${label}` : "Dovecot (not installed)", "playground vs Dovecot"], rows);
    const slowest = theirs ? Math.min(ours.headers.perSecond / theirs.headers.perSecond, ours.bodies.perSecond / theirs.bodies.perSecond) : undefined;
    console.log(
      `\nVerdict: ${slowest === undefined ? "no Dovecot to compare with" : slowest >= 0.5 ? `FETCH at ${slowest.toFixed(2)}× Dovecot's rate or better (the aim: at least 0.5×)` : `FETCH at ${slowest.toFixed(2)}× Dovecot's rate: below the aim of 0.5×`}; ` +
        `IDLE hears a new message ${wakeMaildir.toFixed(0)} ms after it lands in the Maildir.`,
    );
  } finally {
    server.stop();
    await dovecot?.stop();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 }); // a Dovecot child may still be closing its state files
  }
}

await main();
