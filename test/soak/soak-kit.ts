// The attack suite's tools (issue 13): start `npm start` as a real process on a private data dir
// and free ports, talk to its servers over raw sockets, attack them, kill it with SIGKILL, and
// read its memory from /proc. `npm run soak` (test/soak/soak.test.ts) runs them big; the kit's
// self-check runs them small (test/servers/soak-short.test.ts). Every random choice comes from
// one seeded generator (SEED=…), so a failing run can be repeated exactly.

import net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ThreadMemory } from "../../servers/memory-probe.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

// ----- seeded randomness -----

/** mulberry32: a tiny, well-known 32-bit PRNG; the same seed gives the same attacks. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
export type Random = ReturnType<typeof seededRandom>;

export const SEED = Number(process.env.SEED ?? 13);

// ----- the playground as a process -----

export interface Ports {
  http: number;
  smtp: number;
  mx: number;
  smtps: number;
  pop3: number;
  imap: number;
  ftp: number;
  nntp: number;
}

const ANY_FREE_PORTS = ["http", "smtp", "mx", "smtps", "pop3", "pop3s", "imap", "imaps", "ftp", "nntp"].flatMap((name) => [`--${name}-port`, "0"]);

/** A range of `size` consecutive ports on 127.0.0.1 that nothing listens on now (for FTP's passive mode). */
export async function freePortRange(size: number, random: Random): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const low = 40_000 + random.int(20_000 - size);
    let free = true;
    for (let port = low; port < low + size && free; port++) {
      const probe = net.createServer();
      free = await new Promise<boolean>((resolve) => {
        probe.once("error", () => resolve(false));
        probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
      });
    }
    if (free) return [low, low + size - 1];
  }
  throw new Error(`no ${size} free consecutive ports found`);
}

export class Playground {
  private output = "";
  private asked = 0;
  readonly ports: Ports;
  private constructor(readonly child: ChildProcess, readonly dataDir: string, readonly passive: [number, number], banner: string) {
    this.output = banner;
    child.stdout!.on("data", (chunk) => (this.output += chunk));
    child.stderr!.on("data", (chunk) => (this.output += chunk));
    const port = (scheme: string, nth = 0) => Number([...banner.matchAll(new RegExp(`${scheme}://127\\.0\\.0\\.1:(\\d+)`, "g"))][nth]?.[1]);
    this.ports = { http: port("http"), smtp: port("smtp"), mx: port("smtp", 1), smtps: port("smtps"), pop3: port("pop3"), imap: port("imap"), ftp: port("ftp"), nntp: port("nntp") };
  }

  /** `node --import tsx servers/playground.ts` (what `npm start` runs, in one process: its pid is the server's). */
  static async start(dataDir: string, passive: [number, number], timeoutMs = 90_000): Promise<Playground> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "servers/playground.ts", "--data-dir", dataDir, ...ANY_FREE_PORTS, "--ftp-passive-ports", `${passive[0]}-${passive[1]}`],
      // The fourth: an IPC channel, for the playground's test hooks (memory(), leak() below).
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe", "ipc"] },
    );
    let banner = "";
    const collect = (chunk: Buffer) => (banner += chunk);
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const deadline = Date.now() + timeoutMs;
    while (!/CA file\): .+\n/.test(banner)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the playground exited at start:\n${banner}`);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`the playground printed no banner within ${timeoutMs} ms:\n${banner}`);
      }
      await sleep(50);
    }
    child.stdout!.off("data", collect);
    child.stderr!.off("data", collect);
    return new Playground(child, dataDir, passive, banner);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return this.output;
  }

  /** Resident memory of the playground process in MB (VmRSS of /proc/<pid>/status). */
  rssMb(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
  }

  /** How many files the playground holds open (/proc/<pid>/fd: sockets, Maildir files, FTP uploads, …; its worker threads' too). */
  openFiles(): number {
    return readdirSync(`/proc/${this.child.pid}/fd`).length;
  }

  /**
   * The playground's own TCP sockets: its rows of /proc/net/tcp(6) whose inode is one of its open
   * files (/proc/<pid>/fd → socket:[inode]). `state` is the kernel's: "0A" LISTEN, "01" ESTABLISHED.
   */
  tcpSockets(): { state: string; localPort: number; remotePort: number }[] {
    const own = new Set<string>();
    for (const fd of readdirSync(`/proc/${this.child.pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${this.child.pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) own.add(inode);
      } catch {
        // closed between the listing and the read
      }
    }
    const sockets: { state: string; localPort: number; remotePort: number }[] = [];
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      if (!existsSync(table)) continue;
      for (const row of readFileSync(table, "utf8").split("\n").slice(1)) {
        const fields = row.trim().split(/\s+/);
        if (fields.length < 10 || !own.has(fields[9]!)) continue;
        const port = (address: string) => parseInt(address.split(":")[1]!, 16);
        sockets.push({ state: fields[3]!, localPort: port(fields[1]!), remotePort: port(fields[2]!) });
      }
    }
    return sockets;
  }

  /**
   * The playground's listening sockets on the passive range. Other processes' port-0 listeners can
   * land in that range too (it lies among the ephemeral ports), so only its own sockets count.
   */
  passiveListeners(): number {
    return this.tcpSockets().filter(({ state, localPort }) => state === "0A" && localPort >= this.passive[0] && localPort <= this.passive[1]).length;
  }

  /**
   * Each thread's memory after a full garbage collection on each (servers/memory-probe.ts):
   * "main" (HTTP, console), "mail", "ftp", "news". What its code still references, where RSS also
   * counts garbage not collected yet and malloc's free pages.
   */
  memory(timeoutMs = 15_000): Promise<Partial<Record<"main" | "mail" | "ftp" | "news", ThreadMemory>>> {
    const id = ++this.asked;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off("message", answer);
        reject(new Error(`the playground did not report its memory within ${timeoutMs} ms`));
      }, timeoutMs);
      const answer = (message: { type?: string; id?: number; threads?: Partial<Record<"main" | "mail" | "ftp" | "news", ThreadMemory>> }) => {
        if (message.type !== "memory" || message.id !== id) return;
        clearTimeout(timer);
        this.child.off("message", answer);
        resolve(message.threads!);
      };
      this.child.on("message", answer);
      this.child.send({ type: "memory", id });
    });
  }

  /** A leak on purpose, to show a check catches one: every thread keeps every activity message from now on. */
  leak(): void {
    this.child.send({ type: "leak" });
  }

  /** SIGKILL: no clean-up, no flush — what a power cut or the OOM killer does. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }

  /** Ctrl-C, as a learner stops it. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, "exit");
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Samples the playground's RSS every `everyMs` until stopped; keeps the peak. */
export function rssSampler(playground: () => Playground, everyMs = 250) {
  let peak = 0;
  let samples = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, playground().rssMb());
      samples++;
    } catch {
      // between a kill -9 and the restart there is no process to read
    }
  }, everyMs);
  return {
    get peakMb() {
      return peak;
    },
    get samples() {
      return samples;
    },
    stop: () => clearInterval(timer),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ----- a raw conversation -----

/**
 * One TCP connection read as text (latin1: every byte is one character, nothing is lost).
 * `expect(pattern)` waits until the unread part holds the pattern and consumes up to its end.
 */
export class Talk {
  private text = "";
  private cursor = 0;
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.text += chunk;
      this.wake?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on("error", () => {});
  }

  /** `from`: another loopback source address (127.0.0.2, …), to look like another client. */
  static async open(port: number, timeoutMs = 10_000, from?: string): Promise<Talk> {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
    socket.on("error", () => {});
    await withTimeout(once(socket, "connect"), timeoutMs, `connect to port ${port}`);
    return new Talk(socket);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Everything received so far. */
  get all(): string {
    return this.text;
  }

  send(line: string): void {
    this.socket.write(line + "\r\n");
  }

  async expect(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.cursor);
      const match = pattern.exec(rest);
      if (match) {
        this.cursor += match.index + match[0].length;
        return match;
      }
      const left = deadline - Date.now();
      if (this.ended || left <= 0) {
        throw new Error(`${this.ended ? "connection closed" : `no answer within ${timeoutMs} ms`} waiting for ${pattern}; got ${JSON.stringify(rest.slice(-300))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next reply with a three-digit code (SMTP, FTP, NNTP: the last line of a multi-line one). */
  async reply(timeoutMs?: number): Promise<{ code: number; line: string }> {
    const match = await this.expect(/^(\d{3}) [^\r\n]*\r\n/m, timeoutMs);
    return { code: Number(match[1]), line: match[0].trimEnd() };
  }

  /** Waits for the server to close (or the timeout). */
  async closeWait(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) await sleep(20);
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens a talk, runs `steps`, closes it whatever happens. */
export async function conversation<T>(port: number, steps: (talk: Talk) => Promise<T>): Promise<T> {
  const talk = await Talk.open(port);
  try {
    return await steps(talk);
  } finally {
    talk.close();
  }
}

export async function expectCode(talk: Talk, code: number, timeoutMs?: number): Promise<string> {
  const reply = await talk.reply(timeoutMs);
  if (reply.code !== code) throw new Error(`expected ${code}, got ${JSON.stringify(reply.line)}`);
  return reply.line;
}

/** PASV's "227 … (h1,h2,h3,h4,p1,p2)" → the data port. */
export function passivePort(line: string): number {
  const [, p1, p2] = /\(\d+,\d+,\d+,\d+,(\d+),(\d+)\)/.exec(line)!;
  return Number(p1) * 256 + Number(p2);
}

/**
 * The data connection for a "227 Entering Passive Mode" reply, from the control connection's own
 * address: the server accepts a data connection only from the host of its control connection.
 */
export function dataConnection(talk: Talk, reply227: string): net.Socket {
  return net.connect({ port: passivePort(reply227), host: "127.0.0.1", localAddress: talk.socket.localAddress });
}

async function readAll(socket: net.Socket, timeoutMs = 15_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  await withTimeout(once(socket, "close"), timeoutMs, "data connection");
  return Buffer.concat(chunks);
}

// ----- legitimate sessions: each resolves when a normal client got every answer -----

export type Protocol = "http" | "smtp" | "pop3" | "imap" | "ftp" | "nntp";
export const PROTOCOLS: Protocol[] = ["http", "smtp", "pop3", "imap", "ftp", "nntp"];

export const legitimate: Record<Protocol, (ports: Ports) => Promise<void>> = {
  http: (ports) =>
    conversation(ports.http, async (talk) => {
      talk.socket.write("GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      await talk.expect(/^HTTP\/1\.1 200 /);
    }),
  smtp: (ports) =>
    conversation(ports.mx, async (talk) => {
      await expectCode(talk, 220);
      for (const [line, code] of [["EHLO soak.test", 250], ["MAIL FROM:<soak@soak.test>", 250], ["RCPT TO:<friend@example.org>", 250], ["DATA", 354]] as const) {
        talk.send(line);
        await expectCode(talk, code);
      }
      talk.send("Subject: a legitimate message\r\n\r\nhello\r\n.");
      await expectCode(talk, 250);
      talk.send("QUIT");
      await expectCode(talk, 221);
    }),
  pop3: (ports) =>
    conversation(ports.pop3, async (talk) => {
      await talk.expect(/^\+OK[^\r\n]*\r\n/);
      for (const line of ["USER me@example.com", "PASS secret", "STAT", "QUIT"]) {
        talk.send(line);
        await talk.expect(/^\+OK[^\r\n]*\r\n/m);
      }
    }),
  imap: (ports) =>
    conversation(ports.imap, async (talk) => {
      await talk.expect(/^\* OK [^\r\n]*\r\n/);
      for (const [tag, command] of [["a", "LOGIN me@example.com secret"], ["b", "SELECT INBOX"], ["c", "LOGOUT"]]) {
        talk.send(`${tag} ${command}`);
        await talk.expect(new RegExp(`^${tag} OK [^\r\n]*\r\n`, "m"));
      }
    }),
  ftp: (ports) =>
    conversation(ports.ftp, async (talk) => {
      await expectCode(talk, 220);
      talk.send("USER anonymous");
      await expectCode(talk, 331);
      talk.send("PASS soak@soak.test");
      await expectCode(talk, 230);
      talk.send("PASV");
      const data = dataConnection(talk, await expectCode(talk, 227));
      data.on("error", () => {});
      const listing = readAll(data);
      talk.send("LIST"); // anonymous FTP's root is the pub folder
      await expectCode(talk, 150);
      if (!(await listing).toString().includes("README.txt")) throw new Error("LIST lacks README.txt");
      await expectCode(talk, 226);
      talk.send("QUIT");
      await expectCode(talk, 221);
    }),
  nntp: (ports) =>
    conversation(ports.nntp, async (talk) => {
      await expectCode(talk, 200);
      talk.send("GROUP comp.lang.python");
      await expectCode(talk, 211);
      talk.send("QUIT");
      await expectCode(talk, 205);
    }),
};

/** Runs a legitimate session and returns how long it took (ms). */
export async function timedSession(protocol: Protocol, ports: Ports, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  await withTimeout(legitimate[protocol](ports), timeoutMs, `legitimate ${protocol} session`);
  return performance.now() - started;
}

// ----- pieces of the attacks -----

/** Logs in to FTP (anonymous or me/secret) and returns the talk, ready for commands. */
export async function ftpLogin(ports: Ports, user = "anonymous", password = "soak@soak.test", from?: string): Promise<Talk> {
  const talk = await Talk.open(ports.ftp, 10_000, from);
  await expectCode(talk, 220);
  talk.send(`USER ${user}`);
  await expectCode(talk, 331);
  talk.send(`PASS ${password}`);
  await expectCode(talk, 230);
  return talk;
}

/** STOR `name` with `content` on a logged-in talk; resolves with the final reply's code. */
export async function ftpStore(talk: Talk, name: string, content: Buffer): Promise<number> {
  talk.send("TYPE I");
  await expectCode(talk, 200);
  talk.send("PASV");
  const data = dataConnection(talk, await expectCode(talk, 227));
  data.on("error", () => {});
  await once(data, "connect");
  talk.send(`STOR ${name}`);
  await expectCode(talk, 150);
  data.end(content);
  return (await talk.reply(30_000)).code;
}

/** RETR `name`: the bytes, or null with the error line. */
export async function ftpRetrieve(talk: Talk, name: string): Promise<{ bytes: Buffer | null; line: string }> {
  talk.send("TYPE I");
  await expectCode(talk, 200);
  talk.send("PASV");
  const data = dataConnection(talk, await expectCode(talk, 227));
  data.on("error", () => {});
  const bytes = readAll(data).catch(() => Buffer.alloc(0));
  talk.send(`RETR ${name}`);
  const first = await talk.reply();
  if (first.code !== 150 && first.code !== 125) {
    data.destroy();
    return { bytes: null, line: first.line };
  }
  const end = await talk.reply(30_000);
  return { bytes: end.code === 226 ? await bytes : null, line: end.line };
}

/** Text that shows at a glance whether it is whole: numbered lines, then an end marker. */
export function wholeText(token: string, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${token} line ${i} of a message that must arrive whole`;
    lines.push(line);
    size += line.length + 2;
  }
  lines.push(`END-OF-${token}`);
  return lines.join("\r\n");
}

/** SMTP (MX) delivery of one message carrying `token`; resolves once it got its 250 after the dot. */
export async function deliver(ports: Ports, token: string, bytes: number): Promise<void> {
  await conversation(ports.mx, async (talk) => {
    await expectCode(talk, 220);
    for (const [line, code] of [["EHLO soak.test", 250], ["MAIL FROM:<soak@soak.test>", 250], ["RCPT TO:<friend@example.org>", 250], ["DATA", 354]] as const) {
      talk.send(line);
      await expectCode(talk, code);
    }
    talk.send(`Subject: soak ${token}\r\nX-Soak-Token: ${token}\r\n\r\n${wholeText(token, bytes)}\r\n.`);
    await expectCode(talk, 250, 30_000);
  });
}

/** NNTP POST of one article with Message-ID <token@soak.test>; resolves on its 240. */
export async function post(ports: Ports, token: string, bytes: number, extraHeaders = "", from?: string): Promise<void> {
  const talk = await Talk.open(ports.nntp, 10_000, from);
  try {
    await expectCode(talk, 200);
    talk.send("POST");
    await expectCode(talk, 340);
    talk.send(
      `From: soak@soak.test\r\nNewsgroups: playground.test\r\nSubject: soak ${token}\r\nMessage-ID: <${token}@soak.test>\r\n${extraHeaders}\r\n${wholeText(token, bytes)}\r\n.`,
    );
    await expectCode(talk, 240, 30_000);
  } finally {
    talk.close();
  }
}

/** Files under `dir` (recursively), as paths relative to it. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}

// ----- the mutation fuzzer -----

/** A legitimate session per protocol, as the client's lines: the fuzzer's starting points. */
export const RECORDED_SESSIONS: Record<Protocol, string[]> = {
  http: ["GET /hello.txt HTTP/1.1", "Host: localhost", "User-Agent: soak", "", "POST /echo HTTP/1.1", "Host: localhost", "Content-Length: 5", "Content-Type: text/plain", "", "hello", "HEAD / HTTP/1.1", "Host: localhost", "Connection: close", "", ""],
  smtp: ["EHLO soak.test", "MAIL FROM:<soak@soak.test> SIZE=120", "RCPT TO:<friend@example.org>", "DATA", "Subject: fuzz", "From: <soak@soak.test>", "", "a body line", "..a stuffed line", ".", "RSET", "NOOP", "VRFY friend", "HELP", "QUIT"],
  pop3: ["CAPA", "USER me@example.com", "PASS secret", "STAT", "LIST", "UIDL", "LIST 1", "TOP 1 0", "RETR 1", "NOOP", "RSET", "QUIT"],
  imap: ["a1 CAPABILITY", "a2 LOGIN me@example.com secret", "a3 LIST \"\" *", "a4 SELECT INBOX", "a5 FETCH 1:* (FLAGS UID RFC822.SIZE)", "a6 UID FETCH 1 BODY.PEEK[HEADER]", "a7 SEARCH ALL", "a8 STATUS INBOX (MESSAGES UNSEEN)", "a9 NOOP", "a10 CLOSE", "a11 LOGOUT"],
  ftp: ["USER anonymous", "PASS soak@soak.test", "SYST", "FEAT", "PWD", "CWD docs", "TYPE I", "SIZE README.txt", "MDTM README.txt", "CWD ..", "LIST", "PASV", "EPSV", "STAT", "NOOP", "QUIT"],
  nntp: ["CAPABILITIES", "MODE READER", "LIST ACTIVE comp.*", "LIST NEWSGROUPS *", "GROUP comp.lang.python", "LISTGROUP", "HEAD", "ARTICLE", "NEXT", "LAST", "OVER 1-20", "HDR Subject 1-5", "NEWNEWS comp.* 20260101 000000", "DATE", "QUIT"],
};

const MUTATIONS = ["flip", "truncate", "duplicate", "huge", "endings", "drop", "insert", "swap"] as const;

/** One hostile input: a recorded session with one to three seeded mutations. */
export function mutate(lines: string[], random: Random): { bytes: Buffer; how: string[] } {
  let session = [...lines];
  const how: string[] = [];
  let bytes: Buffer | null = null;
  const rounds = 1 + random.int(3);
  for (let round = 0; round < rounds; round++) {
    const kind = random.pick(MUTATIONS);
    how.push(kind);
    const at = random.int(session.length);
    switch (kind) {
      case "duplicate": {
        const times = 1 + random.int(random.next() < 0.2 ? 200 : 5);
        session.splice(at, 0, ...Array<string>(times).fill(session[at]!));
        break;
      }
      case "huge":
        session[at] = `${session[at]!.split(" ")[0]} ${"A".repeat(1_000 + random.int(random.next() < 0.3 ? 300_000 : 10_000))}`;
        break;
      case "drop":
        session.splice(at, 1);
        break;
      case "swap": {
        const other = random.int(session.length);
        [session[at], session[other]] = [session[other]!, session[at]!];
        break;
      }
      default:
        break; // the byte-level mutations act on the joined bytes below
    }
  }
  let text = session.join("\r\n") + "\r\n";
  for (const kind of how) {
    if (kind === "endings") {
      const ending = random.pick(["\n", "\r", "\r\r\n", "\n\r", "\r\n\r\n"]);
      text = text.replace(/\r\n/g, () => (random.next() < 0.5 ? ending : "\r\n"));
    }
  }
  bytes = Buffer.from(text, "latin1");
  for (const kind of how) {
    if (kind === "flip" && bytes.length > 0) {
      for (let i = 1 + random.int(8); i > 0; i--) bytes[random.int(bytes.length)] ^= 1 << random.int(8);
    } else if (kind === "truncate") {
      bytes = bytes.subarray(0, random.int(bytes.length + 1));
    } else if (kind === "insert") {
      const noise = Buffer.from(Array.from({ length: 1 + random.int(64) }, () => random.pick([0, 0xff, 0x0d, 0x0a, 0x2e, random.int(256)])));
      const at = random.int(bytes.length + 1);
      bytes = Buffer.concat([bytes.subarray(0, at), noise, bytes.subarray(at)]);
    }
  }
  return { bytes, how };
}

/**
 * Sends one hostile input on a fresh connection — all in one write (pipelined) or in seeded
 * pieces — then waits until the server has been quiet for a moment, closed, or `maxMs` passed,
 * and leaves with a FIN or a reset. Only whether the server lived matters here.
 */
export async function sendHostile(port: number, bytes: Buffer, random: Random, maxMs = 1_500): Promise<void> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {});
  try {
    await withTimeout(once(socket, "connect"), 10_000, "connect");
  } catch {
    socket.destroy();
    throw new Error(`port ${port} refused a connection`);
  }
  let lastData = performance.now();
  let closed = false;
  socket.on("data", () => (lastData = performance.now()));
  socket.on("close", () => (closed = true));
  if (random.next() < 0.5) socket.write(bytes);
  else {
    for (let at = 0; at < bytes.length && !closed; ) {
      const piece = 1 + random.int(random.next() < 0.3 ? 16 : 4096);
      socket.write(bytes.subarray(at, at + piece));
      at += piece;
      if (random.next() < 0.1) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const started = performance.now();
  while (!closed && performance.now() - started < maxMs && performance.now() - lastData < 150) await sleep(25);
  const leave = random.int(3);
  if (leave === 0) socket.resetAndDestroy();
  else if (leave === 1) socket.end();
  socket.destroy();
}

export interface FuzzResult {
  protocol: Protocol;
  inputs: number;
  batches: number;
  failedChecks: string[];
}

/**
 * `inputs` mutated sessions of `protocol`, `parallel` at a time, in batches of `batch`; after each
 * batch the playground must still be running and answer a legitimate session of that protocol.
 */
export async function fuzz(playground: Playground, protocol: Protocol, inputs: number, random: Random, batch = 250, parallel = 16): Promise<FuzzResult> {
  const port = protocol === "smtp" ? playground.ports.mx : playground.ports[protocol];
  const result: FuzzResult = { protocol, inputs: 0, batches: 0, failedChecks: [] };
  while (result.inputs < inputs) {
    const size = Math.min(batch, inputs - result.inputs);
    const queue = Array.from({ length: size }, () => mutate(RECORDED_SESSIONS[protocol], random).bytes);
    const seeds = queue.map(() => random.int(2 ** 31));
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < queue.length) {
          const i = next++;
          await sendHostile(port, queue[i]!, seededRandom(seeds[i]!)).catch(() => {});
        }
      }),
    );
    result.inputs += size;
    result.batches++;
    if (!playground.alive) {
      result.failedChecks.push(`batch ${result.batches}: the playground exited:\n${playground.log().slice(-2000)}`);
      return result;
    }
    await timedSession(protocol, playground.ports).catch((error: Error) => result.failedChecks.push(`batch ${result.batches}: ${error.message}`));
  }
  return result;
}
