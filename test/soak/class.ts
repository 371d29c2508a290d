// A teacher's afternoon, compressed (issue 13). One playground (`npm start` as a child process,
// soak-kit.ts) and a class of scripted students, each doing what the lessons make them do:
//
//   02  GET /hello.txt and /big.txt by hand, and pages of the lesson site the teacher projects
//   07  SMTP by hand on a raw socket: EHLO, AUTH PLAIN, MAIL, RCPT, DATA with dot-stuffing
//   08  nodemailer: text + HTML + attachment, over STARTTLS, SMTPS, or straight to the MX
//   09  POP3 by hand: STAT, LIST, RETR, DELE, QUIT
//   10  the round trip: send to yourself, fetch it back over POP3
//   --  IMAP with imapflow: LOGIN (some after STARTTLS), SELECT, FETCH, STORE a flag, IDLE a moment
//   11  FTP by hand: login (some anonymous), PWD, PASV + LIST, RETR, STOR
//   12  basic-ftp: the newest release checked against SHA256SUMS.txt, uploads and downloads
//   13  NNTP by hand: LIST ACTIVE, GROUP, ARTICLE, POST, reading one's own post back
//
// The class runs lesson by lesson (everyone arrives at once; some students stay a lesson behind),
// then the exercise hour, where everyone works on any lesson. Twice the teacher says "now send
// your mail" and every student sends at the same moment. Each student is its own loopback address
// (127.0.0.11, .12, …) where its client can choose one, as 30 laptops would be.
//
// What must hold, and is measured:
//   no stall       every operation (a command and its answer, or one library call such as
//                  nodemailer's sendMail) is answered within OP_TIMEOUT_MS; the slowest per protocol is reported
//   no leak        every heapEveryMs each of the playground's threads collects its garbage and says
//                  what its code still references (its heap used) and how much of its V8 heap is in
//                  memory; what RSS holds beyond the heaps (code, Buffers, malloc's arenas) is RSS minus those.
//                  Once the exercise hour runs, the lines fitted to each heap used and to that rest may
//                  rise only a little (a leak climbs with the work done); RSS stays under a ceiling.
//                  Open files (/proc/<pid>/fd) and FTP passive listeners come back down when the class leaves
//   nothing lost   every mail acknowledged with 250 is in each recipient's mailbox exactly once
//                  (taken out by POP3 during the class, or found over POP3/IMAP at the end), every upload
//                  that got 226 is there with its bytes, every article that got 240 can be read
// Every choice a student makes comes from one seed (SEED=…); only the timing differs between runs.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import * as ftp from "basic-ftp";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { bigText, HELLO_TEXT } from "../../servers/http-demo.ts";
import { sampleFiles } from "../../servers/ftp/seed.ts";
import type { ThreadMemory } from "../../servers/memory-probe.ts";
import {
  dataConnection,
  expectCode,
  filesUnder,
  ftpLogin,
  ftpRetrieve,
  ftpStore,
  PROTOCOLS,
  seededRandom,
  sleep,
  Talk,
  timedSession,
  wholeText,
  withTimeout,
  type Playground,
  type Protocol,
  type Random,
} from "./soak-kit.ts";

/** An operation not answered within this long is a stall (far above any normal answer). */
export const OP_TIMEOUT_MS = 20_000;

export interface ClassPlan {
  students: number;
  minutes: number;
  /** How often the playground's RSS, open files and passive listeners are read. */
  roundMs: number;
  /** How often each thread's memory after a full GC is read (each read stops each thread for a collection, ~10-50 ms). */
  heapEveryMs: number;
  /** Test hook: make the playground leak (keep every activity message), to see the check catch it. */
  leak?: boolean;
  /** A student's pause between two tries, before the student's own pace (0.6–1.5×). */
  thinkMs: [number, number];
  seed: number;
}

// ----- the students -----

interface Student {
  id: string; // s01 … s30
  /** The loopback address this student's laptop has (127.0.0.11 …). */
  from: string;
  /** Logs in to submission, POP3 and IMAP with this address; mail reaches it locally. */
  com: string;
  /** Mail to it travels: submission relays it to the MX. */
  org: string;
  password: string;
  random: Random;
  /** 1: a straggler, one lesson behind the teacher. */
  lag: number;
  /** Multiplies the think time: quick and slow students. */
  pace: number;
  sent: number;
}

function enrol(plan: ClassPlan): Student[] {
  return Array.from({ length: plan.students }, (_, i) => {
    const id = `s${String(i + 1).padStart(2, "0")}`;
    const random = seededRandom(plan.seed * 1_000 + i);
    return { id, from: `127.0.0.${11 + i}`, com: `${id}@example.com`, org: `${id}@example.org`, password: `pw-${id}`, random, lag: random.next() < 0.2 ? 1 : 0, pace: 0.6 + random.next() * 0.9, sent: 0 };
  });
}

/** The data dir's config.json for the class: two mailboxes per student (as the README's teacher example), plus the demo accounts. */
export function classConfig(plan: ClassPlan): object {
  const accounts = enrol(plan).flatMap((s) => [s.com, s.org].map((address) => ({ address, password: s.password })));
  return { mailAccounts: [{ address: "me@example.com", password: "secret" }, { address: "friend@example.org", password: "secret" }, ...accounts] };
}

// ----- what was acknowledged, and what was found -----

type Counts = Map<string, Map<string, number>>;
const add = (counts: Counts, box: string, token: string, n = 1) => {
  const inBox = counts.get(box) ?? new Map<string, number>();
  inBox.set(token, (inBox.get(token) ?? 0) + n);
  counts.set(box, inBox);
};

class Ledger {
  /** Mailbox → token → copies the server acknowledged with 250. */
  readonly mail: Counts = new Map();
  /** Mailbox → token → copies a POP3 session took out (RETR, DELE, and a +OK to QUIT). */
  readonly takenOut: Counts = new Map();
  /** Messages acknowledged (one per 250, whatever the number of recipients). */
  messages = 0;
  /** File name in me's FTP home → SHA-256 of the last content acknowledged with 226. */
  readonly uploads = new Map<string, string>();
  uploadsAcknowledged = 0;
  /** Message-ID → token of every article acknowledged with 240. */
  readonly posts = new Map<string, string>();
  /** POSTs answered "441 … too many posts …; try again in N s" (then tried again after N s). */
  postsToldToWait = 0;
  roundTrips: number[] = [];

  mailAcknowledged(token: string, recipients: string[]): void {
    this.messages++;
    for (const address of recipients) add(this.mail, address.toLowerCase(), token);
  }
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const tokenOf = (message: string) => /^X-Class-Token: (\S+)/im.exec(message)?.[1];

// ----- the classroom: ports, timing of every operation, problems -----

interface Sample {
  minute: number;
  lesson: string;
  rssMb: number;
  openFiles: number;
  passiveListeners: number;
  operations: number;
  /** The machine's 1-minute load average (2 cores: above 2, everyone waits for the CPU). */
  load: number;
}

/** The playground's threads (servers/supervisor.ts): HTTP and the console on the main one, then one per group. */
export const THREADS = ["main", "mail", "ftp", "news"] as const;
export type Thread = (typeof THREADS)[number];

interface HeapSample {
  minute: number;
  threads: Partial<Record<Thread, ThreadMemory>>;
  /** The process's RSS read right after. */
  rssMb: number;
}

/** RSS beyond the V8 heaps' pages in memory: code, Buffers and other memory outside the heaps, malloc's free pages. */
const outsideHeaps = (sample: HeapSample) => sample.rssMb - Object.values(sample.threads).reduce((sum, memory) => sum + memory.heapPhysicalMb, 0);

class Classroom {
  readonly times = new Map<Protocol, { ms: number; what: string }[]>(PROTOCOLS.map((p) => [p, []]));
  readonly problems: string[] = [];
  readonly ledger = new Ledger();
  readonly started = performance.now();
  sitePages: string[] = [];
  readonly students: Student[];
  over = false;

  constructor(
    readonly playground: Playground,
    readonly plan: ClassPlan,
    readonly ca: string,
  ) {
    this.students = enrol(plan);
  }

  get ports() {
    return this.playground.ports;
  }

  /** One operation, timed; not answered within OP_TIMEOUT_MS, it is a stall (an error). */
  async op<T>(protocol: Protocol, what: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await withTimeout(run(), OP_TIMEOUT_MS, `${protocol} ${what}`);
    } finally {
      this.times.get(protocol)!.push({ ms: performance.now() - started, what });
    }
  }

  problem(text: string): void {
    this.problems.push(`${((performance.now() - this.started) / 60_000).toFixed(2)} min: ${text}`);
  }

  token(s: Student): string {
    return `c${this.plan.seed}-${s.id}-${++s.sent}`;
  }

  /** Other students' addresses to write to (the MX takes example.org only). */
  peers(s: Student, count: number, domain?: "com" | "org"): string[] {
    const others = this.students.filter((other) => other.id !== s.id);
    const chosen = new Set<string>();
    while (chosen.size < count) {
      const peer = s.random.pick(others);
      chosen.add((domain ?? (s.random.next() < 0.5 ? "com" : "org")) === "com" ? peer.com : peer.org);
    }
    return [...chosen];
  }
}

// ----- HTTP (lesson 02, and the site on the projector) -----

/** GET by hand, as lesson 02 writes it: Connection: close, read until the server closes. */
async function getByHand(room: Classroom, s: Student, path: "/hello.txt" | "/big.txt"): Promise<void> {
  const talk = await room.op("http", "connect", () => Talk.open(room.ports.http, OP_TIMEOUT_MS, s.from));
  try {
    talk.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    await room.op("http", `GET ${path} by hand`, async () => {
      if (!(await talk.closeWait(OP_TIMEOUT_MS))) throw new Error("the server never closed");
    });
    const text = talk.all;
    const head = text.slice(0, text.indexOf("\r\n\r\n"));
    const body = text.slice(head.length + 4);
    if (!head.startsWith("HTTP/1.1 200 ")) throw new Error(`GET ${path}: ${head.split("\r\n")[0]}`);
    if (body !== (path === "/hello.txt" ? HELLO_TEXT : bigText())) throw new Error(`GET ${path}: the body differs (${body.length} bytes)`);
  } finally {
    talk.close();
  }
}

/** A browser-like GET (node:http): status, body, and whether the body is as long as promised. */
function httpGet(port: number, path: string, localAddress?: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, localAddress, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const body = Buffer.concat(chunks);
        const promised = response.headers["content-length"];
        if (promised !== undefined && Number(promised) !== body.length) reject(new Error(`GET ${path}: ${body.length} of ${promised} bytes`));
        else resolve({ status: response.statusCode ?? 0, type: String(response.headers["content-type"] ?? ""), body });
      });
    });
    request.on("error", reject);
  });
}

/** The pages a visitor of "/" can reach (links and the assets pages load), at most `limit`. */
async function crawl(port: number, limit = 60): Promise<string[]> {
  const found = new Set<string>(["/"]);
  const queue = ["/"];
  const pages: string[] = [];
  while (queue.length > 0 && pages.length < limit) {
    const path = queue.shift()!;
    const { status, type, body } = await httpGet(port, path).catch(() => ({ status: 0, type: "", body: Buffer.alloc(0) }));
    if (status !== 200) continue;
    pages.push(path);
    if (!type.startsWith("text/html")) continue;
    for (const [, link] of body.toString().matchAll(/(?:href|src)="([^"#?]+)/g)) {
      if (/^[a-z]+:/i.test(link!)) continue; // another site, mailto:, data:
      const target = new URL(link!, `http://playground${path}`).pathname;
      if (!found.has(target)) {
        found.add(target);
        queue.push(target);
      }
    }
  }
  return pages;
}

async function viewSitePage(room: Classroom, random: Random, from?: string): Promise<void> {
  const page = random.pick(room.sitePages);
  const { status } = await room.op("http", "GET a site page", () => httpGet(room.ports.http, page, from));
  if (status !== 200) throw new Error(`GET ${page}: ${status}`);
}

async function lesson02(room: Classroom, s: Student): Promise<void> {
  await getByHand(room, s, s.random.next() < 0.6 ? "/hello.txt" : "/big.txt");
  await viewSitePage(room, s.random, s.from);
}

// ----- SMTP (lessons 07 and 08) -----

function letter(s: Student, token: string, to: string[], lesson: string): string {
  return [
    `From: <${s.com}>`,
    `To: ${to.map((address) => `<${address}>`).join(", ")}`,
    `Subject: lesson ${lesson} from ${s.id} (${token})`,
    `X-Class-Token: ${token}`,
    "",
    `Hello from ${s.id}.`,
    `.${token} starts with a dot: sent as "..", read back as "."`,
    "bye",
    "",
  ].join("\r\n");
}

/** Lesson 07: SMTP on a raw socket, AUTH PLAIN (loopback: no TLS needed), dot-stuffing. */
async function lesson07(room: Classroom, s: Student): Promise<void> {
  const to = room.peers(s, 1 + s.random.int(2));
  const token = room.token(s);
  const talk = await room.op("smtp", "connect", () => Talk.open(room.ports.smtp, OP_TIMEOUT_MS, s.from));
  const step = (line: string, code: number, what = line.split(" ")[0]!) =>
    room.op("smtp", what, async () => {
      talk.send(line);
      await expectCode(talk, code, OP_TIMEOUT_MS);
    });
  try {
    await room.op("smtp", "greeting", () => expectCode(talk, 220, OP_TIMEOUT_MS));
    await step(`EHLO ${s.id}.class.test`, 250, "EHLO");
    await step(`AUTH PLAIN ${Buffer.from(`\0${s.com}\0${s.password}`).toString("base64")}`, 235, "AUTH PLAIN");
    await step(`MAIL FROM:<${s.com}>`, 250, "MAIL");
    for (const address of to) await step(`RCPT TO:<${address}>`, 250, "RCPT");
    await step("DATA", 354);
    // RFC 5321 §4.5.2: a line that starts with "." gets another "." in front.
    await step(letter(s, token, to, "07").replace(/^\./gm, "..") + ".", 250, "end of DATA");
    room.ledger.mailAcknowledged(token, to);
    await step("QUIT", 221);
  } finally {
    talk.close();
  }
}

type Route = "starttls" | "smtps" | "mx";

/** Lesson 08: one message with nodemailer (a fresh connection each time, as a script run). */
async function sendWithNodemailer(room: Classroom, s: Student, route: Route, to: string[], lesson: string): Promise<string> {
  const token = room.token(s);
  const transport =
    route === "mx"
      ? nodemailer.createTransport({ host: "127.0.0.1", port: room.ports.mx, secure: false, ignoreTLS: true, localAddress: s.from })
      : nodemailer.createTransport({
          host: "127.0.0.1",
          port: route === "smtps" ? room.ports.smtps : room.ports.smtp,
          secure: route === "smtps", // TLS from the first byte, or plain text and then STARTTLS
          requireTLS: route === "starttls",
          tls: { ca: room.ca },
          auth: { user: s.com, pass: s.password },
          localAddress: s.from,
        });
  try {
    const info = await room.op("smtp", `nodemailer sendMail (${route})`, () =>
      transport.sendMail({
        from: { name: `学生 ${s.id}`, address: s.com },
        to,
        subject: `lesson ${lesson} from ${s.id} (${token})`,
        text: `Hello from ${s.id}.\n.${token} starts with a dot\n`,
        html: `<p>Hello from <b>${s.id}</b>.</p>`,
        attachments: [{ filename: "notes.txt", content: wholeText(token, 500 + s.random.int(8_000)) }],
        headers: { "X-Class-Token": token },
      }),
    );
    if (!info.response.startsWith("250")) throw new Error(`sendMail: ${info.response}`);
    room.ledger.mailAcknowledged(token, info.accepted.map(String));
    if (info.rejected.length > 0) room.problem(`${s.id}: ${info.rejected.length} recipients refused (${info.response})`);
    return token;
  } finally {
    transport.close();
  }
}

function pickRoute(s: Student): Route {
  const roll = s.random.next();
  return roll < 0.45 ? "starttls" : roll < 0.75 ? "smtps" : "mx";
}

async function lesson08(room: Classroom, s: Student): Promise<void> {
  const route = pickRoute(s);
  await sendWithNodemailer(room, s, route, room.peers(s, 1 + s.random.int(3), route === "mx" ? "org" : undefined), "08");
}

/** The teacher: "now send your mail" — everyone at the same moment. */
async function burst(room: Classroom, students: Student[]): Promise<void> {
  await Promise.all(
    students.map((s) => {
      const route = pickRoute(s);
      return sendWithNodemailer(room, s, route, room.peers(s, 1, route === "mx" ? "org" : undefined), "burst").catch((error: Error) => room.problem(`${s.id} in the burst: ${error.message}`));
    }),
  );
}

// ----- POP3 (lessons 09 and 10) -----

/** A multi-line block up to its "." line (RFC 1939 §3, RFC 3977 §3.1.1), dot-unstuffed. */
const BLOCK = /^((?:[\s\S]*?\r\n)??)\.\r\n/;
async function block(talk: Talk): Promise<string> {
  return (await talk.expect(BLOCK, OP_TIMEOUT_MS))[1]!.replace(/^\.\./gm, ".");
}

class Pop3 {
  private constructor(
    private readonly room: Classroom,
    private readonly talk: Talk,
  ) {}

  static async login(room: Classroom, mailbox: string, password: string, from?: string): Promise<Pop3> {
    const talk = await room.op("pop3", "connect", () => Talk.open(room.ports.pop3, OP_TIMEOUT_MS, from));
    const pop = new Pop3(room, talk);
    try {
      await room.op("pop3", "greeting", () => pop.status());
      await pop.command(`USER ${mailbox}`);
      await pop.command(`PASS ${password}`);
      return pop;
    } catch (error) {
      talk.close();
      throw error;
    }
  }

  private async status(): Promise<string> {
    const [, sign, rest] = await this.talk.expect(/^([+-])(?:OK|ERR)([^\r\n]*)\r\n/, OP_TIMEOUT_MS);
    if (sign === "-") throw new Error(`-ERR${rest}`);
    return rest!.trim();
  }

  command(line: string): Promise<string> {
    return this.room.op("pop3", line.split(" ")[0]!, async () => {
      this.talk.send(line);
      return this.status();
    });
  }

  /** RETR, TOP, LIST, UIDL: the status line, then the block. */
  multiline(line: string): Promise<string> {
    return this.room.op("pop3", line.split(" ")[0]!, async () => {
      this.talk.send(line);
      await this.status();
      return block(this.talk);
    });
  }

  close(): void {
    this.talk.close();
  }
}

/** A message read back must be whole: its token, and the line that started with a dot unstuffed. */
function checkMessage(message: string, where: string): string {
  const token = tokenOf(message);
  if (!token) throw new Error(`${where}: a message without X-Class-Token`);
  if (!message.includes(`\r\n.${token} starts with a dot`) && !message.includes("Content-Type: multipart")) throw new Error(`${where}: ${token} lost its dot line`);
  return token;
}

/** Lesson 09: read the mailbox, delete most of what was read, QUIT (only then is DELE done, RFC 1939 §6). */
async function lesson09(room: Classroom, s: Student): Promise<void> {
  const mailbox = s.random.next() < 0.7 ? s.org : s.com;
  const pop = await Pop3.login(room, mailbox, s.password, s.from);
  try {
    const count = Number((await pop.command("STAT")).split(" ")[0]);
    await pop.multiline("LIST");
    const deleted: string[] = [];
    for (let n = 1; n <= Math.min(count, 8); n++) {
      const token = checkMessage(await pop.multiline(`RETR ${n}`), `${mailbox} RETR ${n}`);
      if (s.random.next() < 0.8) {
        await pop.command(`DELE ${n}`);
        deleted.push(token);
      }
    }
    await pop.command("QUIT");
    for (const token of deleted) add(room.ledger.takenOut, mailbox, token);
  } finally {
    pop.close();
  }
}

/** Lesson 10: send to yourself over submission (relayed to the MX), fetch it back over POP3. */
async function lesson10(room: Classroom, s: Student): Promise<void> {
  const sent = performance.now();
  const token = await sendWithNodemailer(room, s, "starttls", [s.org], "10");
  for (;;) {
    const pop = await Pop3.login(room, s.org, s.password, s.from);
    try {
      const count = Number((await pop.command("STAT")).split(" ")[0]);
      for (let n = count; n >= Math.max(1, count - 9); n--) {
        if (tokenOf(await pop.multiline(`TOP ${n} 0`)) !== token) continue;
        checkMessage(await pop.multiline(`RETR ${n}`), `${s.org} RETR ${n}`);
        await pop.command(`DELE ${n}`);
        await pop.command("QUIT");
        add(room.ledger.takenOut, s.org, token);
        room.ledger.roundTrips.push(performance.now() - sent);
        return;
      }
      await pop.command("QUIT");
    } finally {
      pop.close();
    }
    // The submission server relays before it answers 250, so the message should be there at once.
    if (performance.now() - sent > 10_000) throw new Error(`round trip: ${token} got its 250 but is not in ${s.org} after 10 s`);
    await sleep(300);
  }
}

// ----- IMAP -----

async function imapLesson(room: Classroom, s: Student): Promise<void> {
  const mailbox = s.random.next() < 0.5 ? s.org : s.com;
  const client = new ImapFlow({
    host: "127.0.0.1",
    port: room.ports.imap,
    secure: false,
    doSTARTTLS: s.random.next() < 0.5, // half of the class upgrades first (the certificate names localhost)
    tls: { ca: room.ca, servername: "localhost" },
    auth: { user: mailbox, pass: s.password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on("error", () => {}); // a failure shows as the rejected operation below
  try {
    await room.op("imap", "connect + LOGIN", () => client.connect());
    const box = await room.op("imap", "SELECT INBOX", () => client.mailboxOpen("INBOX"));
    if (box.exists > 0) {
      const messages = await room.op("imap", "FETCH envelopes", async () => {
        const list: { uid: number }[] = [];
        for await (const message of client.fetch(`${Math.max(1, box.exists - 19)}:*`, { envelope: true, flags: true, uid: true })) list.push({ uid: message.uid });
        return list;
      });
      const uid = String(s.random.pick(messages).uid);
      const flag = s.random.pick(["\\Flagged", "\\Seen", "$Important"]);
      await room.op("imap", "STORE +FLAGS", () => client.messageFlagsAdd(uid, [flag], { uid: true }));
      const again = await room.op("imap", "FETCH FLAGS", () => client.fetchOne(uid, { flags: true }, { uid: true }));
      if (!again || !again.flags?.has(flag)) throw new Error(`${mailbox}: UID ${uid} lacks ${flag} after STORE`);
    }
    // IDLE a moment, as a mail client waiting for news; the next command ends it (DONE).
    const idling = client.idle();
    await sleep(300 + s.random.int(1_200));
    await room.op("imap", "DONE + NOOP", () => client.noop());
    await idling;
    await room.op("imap", "LOGOUT", () => client.logout());
  } finally {
    client.close();
  }
}

// ----- FTP (lessons 11 and 12) -----

const PUBLIC_FILES = sampleFiles();

/** Lesson 11: FTP on raw sockets, the data connection opened by hand after PASV. */
async function lesson11(room: Classroom, s: Student): Promise<void> {
  const anonymous = s.random.next() < 0.6;
  const talk = await room.op("ftp", "connect + USER/PASS", () => ftpLogin(room.ports, anonymous ? "anonymous" : "me", anonymous ? `${s.id}@class.test` : "secret", s.from));
  try {
    await room.op("ftp", "PWD", async () => {
      talk.send("PWD");
      await expectCode(talk, 257, OP_TIMEOUT_MS);
    });
    const listing = await room.op("ftp", "PASV + LIST", async () => {
      talk.send("PASV");
      const data = dataConnection(talk, await expectCode(talk, 227, OP_TIMEOUT_MS));
      data.on("error", () => {});
      const chunks: Buffer[] = [];
      data.on("data", (chunk: Buffer) => chunks.push(chunk));
      const closed = new Promise((resolve) => data.on("close", resolve));
      talk.send("LIST");
      await expectCode(talk, 150, OP_TIMEOUT_MS);
      await expectCode(talk, 226, OP_TIMEOUT_MS);
      await closed;
      return Buffer.concat(chunks).toString();
    });
    if (anonymous) {
      if (!listing.includes("README.txt")) throw new Error("anonymous LIST lacks README.txt");
      const [path, content] = s.random.pick(PUBLIC_FILES);
      const { bytes, line } = await room.op("ftp", "PASV + RETR", () => ftpRetrieve(talk, path));
      if (!bytes || !bytes.equals(content)) throw new Error(`RETR ${path}: ${bytes ? `${bytes.length} bytes, not the ${content.length} of the file` : line}`);
    } else {
      const name = `class-${s.id}-raw-${s.random.int(3)}.txt`;
      const content = Buffer.from(wholeText(room.token(s), 1_000 + s.random.int(40_000)));
      const code = await room.op("ftp", "PASV + STOR", () => ftpStore(talk, name, content));
      if (code !== 226) throw new Error(`STOR ${name}: ${code}`);
      room.ledger.uploads.set(name, sha256(content));
      room.ledger.uploadsAcknowledged++;
      const { bytes, line } = await room.op("ftp", "PASV + RETR", () => ftpRetrieve(talk, name));
      if (!bytes || !bytes.equals(content)) throw new Error(`RETR ${name} after its 226: ${bytes ? `${bytes.length} of ${content.length} bytes` : line}`);
    }
    await room.op("ftp", "QUIT", async () => {
      talk.send("QUIT");
      await expectCode(talk, 221, OP_TIMEOUT_MS);
    });
  } finally {
    talk.close();
  }
}

async function download(client: ftp.Client, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await client.downloadTo(sink, path);
  return Buffer.concat(chunks);
}

/**
 * Lesson 12: basic-ftp. It cannot choose its source address, so these clients all come from
 * 127.0.0.1 (as a class behind one NAT address would): 30 at once stay under FTP's 32 per address.
 */
async function lesson12(room: Classroom, s: Student): Promise<void> {
  const client = new ftp.Client(OP_TIMEOUT_MS);
  const anonymous = s.random.next() < 0.4;
  try {
    await room.op("ftp", "basic-ftp access", () => client.access({ host: "127.0.0.1", port: room.ports.ftp, user: anonymous ? "anonymous" : "me", password: anonymous ? `${s.id}@class.test` : "secret" }));
    await room.op("ftp", "basic-ftp list", () => client.list());
    if (anonymous) {
      // Exercise 17-1: the newest release (versions compared as numbers), checked against SHA256SUMS.txt.
      const releases = (await room.op("ftp", "basic-ftp list releases", () => client.list("releases"))).map((file) => file.name);
      const version = (name: string) => (/tool-([\d.]+)\.tar\.gz$/.exec(name)?.[1] ?? "0").split(".").map(Number);
      const newest = releases.filter((name) => name.endsWith(".tar.gz")).sort((a, b) => {
        const [x, y] = [version(a), version(b)];
        return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
      }).at(-1)!;
      const sums = (await room.op("ftp", "basic-ftp download", () => download(client, "releases/SHA256SUMS.txt"))).toString();
      const archive = await room.op("ftp", "basic-ftp download", () => download(client, `releases/${newest}`));
      if (!sums.includes(`${sha256(archive)}  ${newest}`)) throw new Error(`${newest}: its SHA-256 is not the one in SHA256SUMS.txt`);
    } else {
      const name = `class-${s.id}-${s.random.int(4)}.txt`;
      const content = Buffer.from(wholeText(room.token(s), 2_000 + s.random.int(120_000)));
      const reply = await room.op("ftp", "basic-ftp uploadFrom", () => client.uploadFrom(Readable.from([content]), name));
      if (reply.code !== 226) throw new Error(`upload ${name}: ${reply.code} ${reply.message}`);
      room.ledger.uploads.set(name, sha256(content));
      room.ledger.uploadsAcknowledged++;
      // Download one of this student's files back and compare it with what its last 226 promised.
      const mine = [...room.ledger.uploads.keys()].filter((file) => file.startsWith(`class-${s.id}-`));
      const back = s.random.pick(mine);
      const bytes = await room.op("ftp", "basic-ftp download", () => download(client, back));
      if (sha256(bytes) !== room.ledger.uploads.get(back)) throw new Error(`${back}: downloaded ${bytes.length} bytes that are not the last acknowledged upload`);
    }
  } finally {
    client.close();
  }
}

// ----- NNTP (lesson 13) -----

async function lesson13(room: Classroom, s: Student): Promise<void> {
  const talk = await room.op("nntp", "connect", () => Talk.open(room.ports.nntp, OP_TIMEOUT_MS, s.from));
  const command = (line: string, codes: number[], multiline = false) =>
    room.op("nntp", line.split(" ")[0]!, async () => {
      talk.send(line);
      const reply = await talk.reply(OP_TIMEOUT_MS);
      if (!codes.includes(reply.code)) throw new Error(`${line}: ${reply.line}`);
      return { reply, text: multiline && reply.code < 300 ? await block(talk) : "" };
    });
  try {
    await room.op("nntp", "greeting", () => expectCode(talk, 200, OP_TIMEOUT_MS));
    await command("LIST ACTIVE", [215], true);
    const group = s.random.pick(["comp.lang.python", "comp.protocols.tcp-ip", "cn.comp.lang.python", "playground.test"]);
    const { reply } = await command(`GROUP ${group}`, [211]);
    const [, , first, last] = reply.line.split(" ").map(Number); // 211 count first last group
    if (last! >= first!) await command(`ARTICLE ${first! + s.random.int(last! - first! + 1)}`, [220, 423], true); // 423: gone (expired or cancelled)
    if (s.random.next() < 0.6) {
      const token = room.token(s);
      const id = `<${token}@class.test>`;
      const article = [`From: ${s.id} <${s.com}>`, "Newsgroups: playground.test", `Subject: lesson 13 from ${s.id}`, `Message-ID: ${id}`, "", `Hello from ${s.id}.`, `.${token} starts with a dot`, ""].join("\r\n");
      for (let attempt = 1; ; attempt++) {
        await command("POST", [340]);
        const answer = await room.op("nntp", "POST article", async () => {
          talk.send(article.replace(/^\./gm, "..") + ".");
          return (await talk.reply(OP_TIMEOUT_MS)).line;
        });
        if (answer.startsWith("240")) break;
        // The posting limit (30 a minute per address, README "Reliability"): a student whose
        // loop posts faster — these students think 0.5-3 s, a real one longer — is told to wait,
        // and does, once. Any other answer, or the limit again after the wait, is a problem.
        const wait = /^441 .*too many posts.*try again in (\d+) s/.exec(answer);
        if (!wait || attempt > 1) throw new Error(`POST article: expected 240, got ${JSON.stringify(answer)}`);
        room.ledger.postsToldToWait++;
        await sleep(Number(wait[1]) * 1_000 + 200);
      }
      room.ledger.posts.set(id, token);
    }
    const mine = [...room.ledger.posts].filter(([, token]) => token.startsWith(`c${room.plan.seed}-${s.id}-`));
    if (mine.length > 0) {
      const [id, token] = s.random.pick(mine);
      const { text } = await command(`ARTICLE ${id}`, [220], true);
      if (!text.includes(`\r\n.${token} starts with a dot`)) throw new Error(`ARTICLE ${id}: not the article that got its 240`);
    }
    await command("QUIT", [205]);
  } finally {
    talk.close();
  }
}

// ----- the lesson plan -----

interface Lesson {
  name: string;
  /** Percent of the class. */
  share: number;
  run: (room: Classroom, s: Student) => Promise<void>;
}

const TAUGHT: Lesson[] = [
  { name: "02 HTTP by hand", share: 6, run: lesson02 },
  { name: "07 SMTP by hand", share: 5, run: lesson07 },
  { name: "08 nodemailer", share: 5, run: lesson08 },
  { name: "09 POP3", share: 5, run: lesson09 },
  { name: "10 round trip", share: 5, run: lesson10 },
  { name: "IMAP", share: 5, run: imapLesson },
  { name: "11 FTP by hand", share: 5, run: lesson11 },
  { name: "12 basic-ftp", share: 6, run: lesson12 },
  { name: "13 news", share: 6, run: lesson13 },
];
const EXERCISES: Lesson = { name: "exercises (any lesson)", share: 52, run: (room, s) => s.random.pick(TAUGHT).run(room, s) };
const PLAN = [...TAUGHT, EXERCISES];

/** Where the teacher is at `minute`: the lesson's index in PLAN. */
function lessonAt(plan: ClassPlan, minute: number): number {
  let end = 0;
  for (let i = 0; i < PLAN.length; i++) {
    end += (PLAN[i]!.share / 100) * plan.minutes;
    if (minute < end) return i;
  }
  return PLAN.length - 1;
}

function minuteWhen(plan: ClassPlan, lessonIndex: number, fraction = 0): number {
  const before = PLAN.slice(0, lessonIndex).reduce((sum, lesson) => sum + lesson.share, 0);
  return ((before + fraction * PLAN[lessonIndex]!.share) / 100) * plan.minutes;
}

async function attend(room: Classroom, s: Student): Promise<number> {
  let tries = 0;
  while (!room.over) {
    const minute = (performance.now() - room.started) / 60_000;
    const teacher = lessonAt(room.plan, minute);
    // A straggler is still on the lesson before (in the exercise hour everyone is free anyway).
    const lesson = PLAN[teacher === PLAN.length - 1 ? teacher : Math.max(0, teacher - s.lag)]!;
    try {
      await lesson.run(room, s);
    } catch (error) {
      room.problem(`${s.id} in ${lesson.name}: ${(error as Error).message}`);
    }
    tries++;
    const [low, high] = room.plan.thinkMs;
    await sleep((low + s.random.next() * (high - low)) * s.pace);
  }
  return tries;
}

/** The teacher's browser on the projector: a page of the site every few seconds. */
async function project(room: Classroom): Promise<void> {
  const random = seededRandom(room.plan.seed);
  while (!room.over) {
    await viewSitePage(room, random).catch((error: Error) => room.problem(`the projector: ${error.message}`));
    await sleep(3_000);
  }
}

// ----- at the end: was anything lost? -----

interface Inventory {
  lost: string[];
  duplicated: string[];
  unacknowledged: string[];
  mailboxesChecked: number;
  copiesFoundAtEnd: number;
  uploadsChecked: number;
  postsRead: number;
}

async function takeInventory(room: Classroom): Promise<Inventory> {
  const found: Counts = new Map();
  for (const [box, tokens] of room.ledger.takenOut) for (const [token, n] of tokens) add(found, box, token, n);
  const result: Inventory = { lost: [], duplicated: [], unacknowledged: [], mailboxesChecked: 0, copiesFoundAtEnd: 0, uploadsChecked: 0, postsRead: 0 };

  // example.com mailboxes over POP3 (TOP n 0: the header only), example.org over IMAP.
  for (const s of room.students) {
    const pop = await Pop3.login(room, s.com, s.password);
    try {
      const count = Number((await pop.command("STAT")).split(" ")[0]);
      for (let n = 1; n <= count; n++) {
        const token = tokenOf(await pop.multiline(`TOP ${n} 0`));
        if (token) add(found, s.com, token);
        result.copiesFoundAtEnd++;
      }
      await pop.command("QUIT");
    } finally {
      pop.close();
    }
    const client = new ImapFlow({ host: "127.0.0.1", port: room.ports.imap, secure: false, doSTARTTLS: false, auth: { user: s.org, pass: s.password }, logger: false, disableAutoIdle: true });
    client.on("error", () => {});
    try {
      await room.op("imap", "connect + LOGIN", () => client.connect());
      const box = await room.op("imap", "SELECT INBOX", () => client.mailboxOpen("INBOX"));
      if (box.exists > 0) {
        await room.op("imap", "FETCH headers", async () => {
          for await (const message of client.fetch("1:*", { headers: ["x-class-token"] })) {
            const token = tokenOf(message.headers?.toString() ?? "");
            if (token) add(found, s.org, token);
            result.copiesFoundAtEnd++;
          }
        });
      }
      await room.op("imap", "LOGOUT", () => client.logout());
    } finally {
      client.close();
    }
    result.mailboxesChecked += 2;
  }
  for (const [box, tokens] of room.ledger.mail) {
    for (const [token, expected] of tokens) {
      const n = found.get(box)?.get(token) ?? 0;
      if (n < expected) result.lost.push(`${token} → ${box}`);
      if (n > expected) result.duplicated.push(`${token} → ${box} (${n} copies)`);
    }
  }
  for (const [box, tokens] of found) for (const token of tokens.keys()) if (!room.ledger.mail.get(box)?.has(token)) result.unacknowledged.push(`${token} → ${box}`);

  // Every upload that got its 226, with the bytes of the last one.
  const client = new ftp.Client(OP_TIMEOUT_MS);
  try {
    await room.op("ftp", "basic-ftp access", () => client.access({ host: "127.0.0.1", port: room.ports.ftp, user: "me", password: "secret" }));
    for (const [name, hash] of room.ledger.uploads) {
      const bytes = await room.op("ftp", "basic-ftp download", () => download(client, name)).catch(() => Buffer.alloc(0));
      if (sha256(bytes) !== hash) result.lost.push(`upload ${name} (${bytes.length} bytes, not the acknowledged content)`);
      result.uploadsChecked++;
    }
  } finally {
    client.close();
  }
  const parts = filesUnder(join(room.playground.dataDir, "ftp")).filter((path) => path.includes(".ftp-upload-"));
  for (const part of parts) result.lost.push(`a partial upload is left on the disk: ${part}`);

  // Every article that got its 240, read back by its Message-ID.
  const talk = await Talk.open(room.ports.nntp, OP_TIMEOUT_MS);
  try {
    await expectCode(talk, 200, OP_TIMEOUT_MS);
    for (const [id, token] of room.ledger.posts) {
      const text = await room.op("nntp", "ARTICLE", async () => {
        talk.send(`ARTICLE ${id}`);
        const reply = await talk.reply(OP_TIMEOUT_MS);
        return reply.code === 220 ? await block(talk) : "";
      });
      if (!text.includes(`\r\n.${token} starts with a dot`)) result.lost.push(`article ${id}`);
      else result.postsRead++;
    }
  } finally {
    talk.close();
  }
  return result;
}

// ----- the whole afternoon -----

export interface Figures {
  protocol: Protocol;
  operations: number;
  p50: number;
  p99: number;
  max: number;
  slowest: string;
}

export interface ClassReport {
  plan: ClassPlan;
  durationMin: number;
  tries: number;
  sitePages: number;
  figures: Figures[];
  problems: string[];
  samples: Sample[];
  /** Least-squares slope of RSS in the exercise hour (after every lesson was taught once), MB a minute. */
  rssSlopeMbPerMin: number;
  /** Each thread's memory after a full GC, every heapEveryMs; the last one after the class had left. */
  heapSamples: HeapSample[];
  /**
   * Per thread, MB: its heap used after a full GC and its heap's size, at the exercise hour's first
   * read and after the class; and how far the line fitted to the heap used in the exercise hour rose.
   */
  heaps: Record<Thread, { used: number; usedAfter: number; usedRise: number; size: number; sizeAfter: number }>;
  /** RSS beyond the V8 heaps (outsideHeaps()), the same way. */
  outside: { atExercises: number; after: number; rise: number };
  /** How long the exercise hour was, minutes (the slope times this: how far the fitted line rose). */
  exerciseMinutes: number;
  rss: { start: number; peak: number; end: number };
  /** `relay`: of `end`, the sockets of the relay's pool to the MX (both ends). */
  openFiles: { start: number; peak: number; end: number; relay: number };
  passiveListeners: { peak: number; end: number };
  mail: { messages: number; copies: number; takenOutByPop3: number; roundTripMaxMs: number };
  uploads: { acknowledged: number; files: number };
  posts: number;
  /** POSTs the rate limit told to wait (each posted after the wait). */
  postsToldToWait: number;
  inventory: Inventory;
  /** The machine's load average during the class (max of the rounds), and the students' process's worst event-loop delay (ms). */
  load: { max: number; clientLagMaxMs: number };
  /** A fresh legitimate session per protocol after the class, ms. */
  afterwards: Partial<Record<Protocol | "submission", number>>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

function slope(points: [number, number][]): number {
  if (points.length < 2) return 0;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0) / sxx;
}

export async function runClass(playground: Playground, plan: ClassPlan): Promise<ClassReport> {
  const ca = readFileSync(/CA file\): (.+)\n/.exec(playground.log())![1]!.trim(), "utf8");
  const room = new Classroom(playground, plan, ca);
  room.sitePages = await crawl(playground.ports.http);
  const samples: Sample[] = [];
  const sample = () => {
    const minute = (performance.now() - room.started) / 60_000;
    try {
      samples.push({
        minute,
        lesson: PLAN[lessonAt(plan, minute)]!.name,
        rssMb: playground.rssMb(),
        openFiles: playground.openFiles(),
        passiveListeners: playground.passiveListeners(),
        operations: [...room.times.values()].reduce((sum, list) => sum + list.length, 0),
        load: loadavg()[0]!,
      });
    } catch {
      room.problem("the playground is gone (no /proc entry)");
    }
  };
  sample();
  const start = samples[0]!;
  const sampler = setInterval(sample, plan.roundMs);
  // Each thread's memory after a full GC: one read at a time (a read that waits for a busy thread
  // is not overtaken by the next).
  const heapSamples: HeapSample[] = [];
  const readHeaps = async () => {
    try {
      const threads = await playground.memory();
      heapSamples.push({ minute: (performance.now() - room.started) / 60_000, threads, rssMb: playground.rssMb() });
    } catch (error) {
      room.problem(`the memory probe: ${(error as Error).message}`);
    }
  };
  if (plan.leak) playground.leak();
  const heapReader = (async () => {
    while (!room.over) {
      await readHeaps();
      await sleep(plan.heapEveryMs);
    }
  })();
  // The students' own process can be starved too: its event-loop delay is part of every time measured.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const ends = setTimeout(() => (room.over = true), plan.minutes * 60_000);

  // Everyone arrives at once; the teacher says "now send your mail" at the end of lesson 08 and
  // halfway through the exercises.
  const bursts = [minuteWhen(plan, 2, 0.9), minuteWhen(plan, PLAN.length - 1, 0.5)].map(async (minute) => {
    await sleep(minute * 60_000);
    if (!room.over) await burst(room, room.students);
  });
  const tries = await Promise.all([...room.students.map((s) => attend(room, s)), project(room).then(() => 0)]);
  await Promise.all(bursts);
  await heapReader;
  clearTimeout(ends);
  clearInterval(sampler);
  lag.disable();
  const durationMin = (performance.now() - room.started) / 60_000;
  if (!playground.alive) room.problem(`the playground exited:\n${playground.log().slice(-2_000)}`);

  // The class has left: passive listeners close when their transfer ends (or 10 s after an unused
  // PASV), and the open files should come back to about where they were before the class — but
  // for the submission servers' relay: each keeps a pool of up to 10 idle connections to the MX
  // (both ends are sockets of the playground) until the MX times them out.
  const settle = performance.now();
  const relayPool = () => playground.tcpSockets().filter((s) => s.state === "01" && (s.localPort === playground.ports.mx || s.remotePort === playground.ports.mx)).length;
  while (performance.now() - settle < 25_000 && (playground.passiveListeners() > 0 || playground.openFiles() - relayPool() > start.openFiles + 5)) await sleep(250);
  const endFiles = playground.openFiles();
  const endRelay = relayPool();
  const endListeners = playground.passiveListeners();
  const endRss = playground.rssMb();
  await readHeaps(); // after the class: what is still held when nobody works

  const inventory = await takeInventory(room).catch((error: Error) => {
    room.problem(`the inventory failed: ${error.message}`);
    return { lost: ["(inventory incomplete)"], duplicated: [], unacknowledged: [], mailboxesChecked: 0, copiesFoundAtEnd: 0, uploadsChecked: 0, postsRead: 0 };
  });
  const afterwards: Partial<Record<Protocol | "submission", number>> = {};
  for (const protocol of PROTOCOLS) {
    afterwards[protocol] = await timedSession(protocol, playground.ports).catch((error: Error) => {
      room.problem(`a fresh ${protocol} session after the class: ${error.message}`);
      return -1;
    });
  }
  // timedSession's SMTP is the MX; the submission server gets its own: connect, STARTTLS, AUTH, QUIT.
  const verifyStarted = performance.now();
  const me = room.students[0]!;
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: playground.ports.smtp, requireTLS: true, tls: { ca }, auth: { user: me.com, pass: me.password } });
  afterwards.submission = await withTimeout(transport.verify(), OP_TIMEOUT_MS, "submission").then(
    () => performance.now() - verifyStarted,
    (error: Error) => {
      room.problem(`a fresh submission session (STARTTLS, AUTH) after the class: ${error.message}`);
      return -1;
    },
  );
  transport.close();

  const exercisesFrom = minuteWhen(plan, PLAN.length - 1);
  const steady = samples.filter((s) => s.minute >= exercisesFrom).map((s): [number, number] => [s.minute, s.rssMb]);
  // The heap reads of the exercise hour (the last read, after the class, aside), and how far a
  // line fitted to some figure of them rises from the first to the last.
  const steadyHeaps = heapSamples.slice(0, -1).filter((s) => s.minute >= exercisesFrom && THREADS.every((thread) => s.threads[thread]));
  const rise = (figure: (s: HeapSample) => number) => (steadyHeaps.length < 2 ? NaN : slope(steadyHeaps.map((s) => [s.minute, figure(s)])) * (steadyHeaps.at(-1)!.minute - steadyHeaps[0]!.minute));
  const [first, after] = [steadyHeaps[0], heapSamples.at(-1)];
  const heaps = Object.fromEntries(
    THREADS.map((thread) => [
      thread,
      {
        used: first?.threads[thread]?.heapUsedMb ?? NaN,
        usedAfter: after?.threads[thread]?.heapUsedMb ?? NaN,
        usedRise: rise((s) => s.threads[thread]!.heapUsedMb),
        size: first?.threads[thread]?.heapTotalMb ?? NaN,
        sizeAfter: after?.threads[thread]?.heapTotalMb ?? NaN,
      },
    ]),
  ) as ClassReport["heaps"];
  const outside = { atExercises: first ? outsideHeaps(first) : NaN, after: after ? outsideHeaps(after) : NaN, rise: rise(outsideHeaps) };
  const takenOut = [...room.ledger.takenOut.values()].reduce((sum, tokens) => sum + [...tokens.values()].reduce((a, b) => a + b, 0), 0);
  return {
    plan,
    durationMin,
    tries: tries.reduce((a, b) => a + b, 0),
    sitePages: room.sitePages.length,
    figures: PROTOCOLS.map((protocol) => {
      const list = room.times.get(protocol)!;
      const sorted = list.map((t) => t.ms).sort((a, b) => a - b);
      const worst = list.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, what: "" });
      return { protocol, operations: list.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: worst.ms, slowest: worst.what };
    }),
    problems: room.problems,
    samples,
    rssSlopeMbPerMin: slope(steady),
    heapSamples,
    heaps,
    outside,
    exerciseMinutes: durationMin - exercisesFrom,
    rss: { start: start.rssMb, peak: Math.max(...samples.map((s) => s.rssMb)), end: endRss },
    openFiles: { start: start.openFiles, peak: Math.max(...samples.map((s) => s.openFiles)), end: endFiles, relay: endRelay },
    passiveListeners: { peak: Math.max(...samples.map((s) => s.passiveListeners)), end: endListeners },
    mail: {
      messages: room.ledger.messages,
      copies: [...room.ledger.mail.values()].reduce((sum, tokens) => sum + [...tokens.values()].reduce((a, b) => a + b, 0), 0),
      takenOutByPop3: takenOut,
      roundTripMaxMs: Math.max(0, ...room.ledger.roundTrips),
    },
    uploads: { acknowledged: room.ledger.uploadsAcknowledged, files: room.ledger.uploads.size },
    posts: room.ledger.posts.size,
    postsToldToWait: room.ledger.postsToldToWait,
    inventory,
    load: { max: Math.max(...samples.map((s) => s.load)), clientLagMaxMs: lag.max / 1e6 },
    afterwards,
  };
}

/** The report as the lines `npm run soak` prints (and the README's figures come from). */
export function summary(report: ClassReport): string {
  const r = report;
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  return [
    `class (SEED=${r.plan.seed}): ${r.plan.students} students, ${r.durationMin.toFixed(1)} min, ${r.tries} exercise runs, ${r.samples.length} rounds of ${r.plan.roundMs / 1000} s, ${r.sitePages} site pages`,
    ...r.figures.map((f) => `  ${f.protocol.padEnd(5)} ${String(f.operations).padStart(6)} operations  p50 ${ms(f.p50)}  p99 ${ms(f.p99)}  max ${ms(f.max)} (${f.slowest})`),
    `  mail: ${r.mail.messages} messages acknowledged (${r.mail.copies} copies), ${r.mail.takenOutByPop3} taken out by POP3 during the class, ${r.inventory.copiesFoundAtEnd} found at the end in ${r.inventory.mailboxesChecked} mailboxes; slowest round trip ${ms(r.mail.roundTripMaxMs)}`,
    `  uploads: ${r.uploads.acknowledged} acknowledged (${r.uploads.files} files, some overwritten), ${r.inventory.uploadsChecked} files checked; posts: ${r.posts} acknowledged (${r.postsToldToWait} after the rate limit's "try again in N s"), ${r.inventory.postsRead} read back`,
    `  lost ${r.inventory.lost.length}, duplicated ${r.inventory.duplicated.length}, arrived unacknowledged ${r.inventory.unacknowledged.length}`,
    `  RSS ${r.rss.start.toFixed(0)} MB at start, peak ${r.rss.peak.toFixed(0)}, end ${r.rss.end.toFixed(0)}; in the exercise hour (${r.exerciseMinutes.toFixed(1)} min) a fitted slope of ${r.rssSlopeMbPerMin.toFixed(2)} MB/min (${(r.rssSlopeMbPerMin * r.exerciseMinutes).toFixed(1)} MB in all)`,
    `  heap used after a full GC, from the exercise hour's start to after the class (fitted rise in the exercise hour), and the heap's size: ${THREADS.map((t) => `${t} ${r.heaps[t].used.toFixed(1)} → ${r.heaps[t].usedAfter.toFixed(1)} MB (${r.heaps[t].usedRise.toFixed(2)}), size ${r.heaps[t].size.toFixed(0)} → ${r.heaps[t].sizeAfter.toFixed(0)}`).join("; ")}${r.plan.leak ? " — LEAK INJECTED" : ""}`,
    `  RSS beyond the heaps: ${r.outside.atExercises.toFixed(0)} → ${r.outside.after.toFixed(0)} MB (fitted rise ${r.outside.rise.toFixed(1)}); ${r.heapSamples.length} heap reads, every ${r.plan.heapEveryMs / 1000} s`,
    `  open files ${r.openFiles.start} at start, peak ${r.openFiles.peak}, ${r.openFiles.end} after the class (${r.openFiles.relay} of them the relay's idle pool to the MX); passive listeners peak ${r.passiveListeners.peak}, ${r.passiveListeners.end} after`,
    `  machine: load average up to ${r.load.max.toFixed(1)} (2 cores); the students' process was late by up to ${r.load.clientLagMaxMs.toFixed(0)} ms`,
    `  a fresh session afterwards: ${Object.entries(r.afterwards).map(([p, t]) => `${p} ${ms(t!)}`).join(", ")}`,
    `  problems: ${r.problems.length}${r.problems.length ? "\n    " + r.problems.slice(0, 30).join("\n    ") : ""}`,
  ].join("\n");
}
