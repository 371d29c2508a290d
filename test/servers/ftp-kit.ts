// Shared by the FTP server tests: start the playground FTP server in a fresh temporary
// data dir, and a tiny raw FTP client (a control socket you type commands into, like
// lesson 11) for the tests that need to send exactly the bytes they want.

import net from "node:net";
import { once } from "node:events";
import { mkdtempSync, readdirSync, realpathSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished } from "vitest";
import { startFtpServer, type FtpOptions } from "../../servers/ftp/server.ts";

export interface TestFtp {
  port: number;
  dataDir: string;
  pub: string;
  home: string;
  /** Every control-connection line so far ("ftp#N C: …", "ftp#N S: …"). */
  trace: string[];
}

/**
 * The FTP server on port 0 in a new temporary data dir; closed when the test ends. When it
 * closes, every reply it ever sent is checked for the data dir's path: no reply may show
 * where the server keeps its files.
 */
export async function startTestFtp(options: Partial<FtpOptions> = {}): Promise<TestFtp> {
  const dataDir = realpathSync(mkdtempSync(join(tmpdir(), "ftp-test-")));
  const trace: string[] = [];
  const server = await startFtpServer({ port: 0, dataDir, bigFileBytes: 300_000, trace: (line) => trace.push(line), ...options });
  onTestFinished(async () => {
    await server.close();
    const replies = trace.filter((line) => / S: /.test(line));
    for (const reply of replies) expect(reply, "a reply shows a server path").not.toContain(dataDir);
    for (const reply of replies) expect(reply, "a reply shows a server path").not.toMatch(/ftp-test-|\/ftp\/(pub|home)/);
    for (const reply of replies) expect(reply, "a reply shows a Node error code").not.toMatch(NODE_ERROR_CODE);
    for (const reply of replies) {
      const code = /^ftp#\d+ S: (\d{3})[ -]/.exec(reply)?.[1];
      if (code) expect(FTP_REPLY_CODES, `not an FTP reply code: ${reply}`).toContain(Number(code));
    }
  });
  return { port: server.port, dataDir, pub: join(dataDir, "ftp", "pub"), home: join(dataDir, "ftp", "home", "me"), trace };
}

/** Node's error codes, which are not for clients' eyes ("551 write EPIPE"). */
const NODE_ERROR_CODE = /\b(E[A-Z]*(NOENT|PIPE|RESET|ACCES|ISDIR|NOTDIR|EXIST|NOSPC|ADDRINUSE|TIMEDOUT|PERM))\b|ERR_[A-Z_]+/;

/** The reply codes of RFC 959 §4.2 (and RFC 2428's 229/522, RFC 3659's 554 for a bad REST, RFC 2228/4217's 234/534/536). */
const FTP_REPLY_CODES = [
  110, 120, 125, 150, 200, 202, 211, 212, 213, 214, 215, 220, 221, 225, 226, 227, 229, 230, 234, 250, 257, 331, 332, 350, 421, 425, 426, 450,
  451, 452, 500, 501, 502, 503, 504, 522, 530, 532, 534, 536, 550, 551, 552, 553, 554,
];

/** `size` consecutive ports that were free a moment ago (not a fixed range: tests never take fixed ports). */
export async function freePortRange(size: number): Promise<{ min: number; max: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const min = 20000 + Math.floor(Math.random() * (32000 - 20000 - size));
    const range = { min, max: min + size - 1 };
    if ((await openListeners(range)) === 0) return range;
  }
  throw new Error(`no ${size} free ports in a row found`);
}

/** How many ports of the range something listens on (on 127.0.0.1): the FTP server's open data ports. */
export async function openListeners({ min, max }: { min: number; max: number }): Promise<number> {
  let open = 0;
  for (let port = min; port <= max; port++) {
    const probe = net.createServer();
    const taken = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(true));
      probe.listen(port, "127.0.0.1", () => resolve(false));
    });
    if (taken) open++;
    else await new Promise((resolve) => probe.close(resolve));
  }
  return open;
}

/** Waits until `check()` is true (re-checked every 50 ms), or fails after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface Reply {
  code: number;
  /** The whole reply, all lines, without the final CRLF. */
  text: string;
}

/** A raw control connection: send a line, read the (possibly multi-line) reply. */
export class RawFtp {
  private buffer = "";
  private waiting: (() => void) | null = null;
  closed = false;

  private constructor(
    readonly socket: net.Socket,
    /** The local address this client connects from (its data connections too). */
    readonly localAddress?: string,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.buffer += text;
      this.waiting?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
    socket.on("error", () => {});
  }

  static async connect(port: number, localAddress?: string): Promise<{ ftp: RawFtp; greeting: Reply }> {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress });
    await once(socket, "connect");
    const ftp = new RawFtp(socket, localAddress);
    onTestFinished(() => {
      socket.destroy();
    });
    return { ftp, greeting: await ftp.reply() };
  }

  static async login(port: number, user = "anonymous", password = "learner@example.com", localAddress?: string): Promise<RawFtp> {
    const { ftp } = await RawFtp.connect(port, localAddress);
    await ftp.expect(`USER ${user}`, 331);
    await ftp.expect(`PASS ${password}`, 230);
    return ftp;
  }

  /** Reads one reply: "123 text" or "123-first … 123 last" (RFC 959 §4.2). */
  async reply(timeoutMs = 10_000): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /^(\d{3})(?: [^\n]*|-[\s\S]*?\n\1 [^\n]*)\r?\n/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        return { code: Number(match[1]), text: match[0].replace(/\r?\n$/, "") };
      }
      if (this.closed) throw new Error(`the server closed the connection; unread: ${JSON.stringify(this.buffer)}`);
      if (Date.now() > deadline) throw new Error(`no reply within ${timeoutMs} ms; unread: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = null;
    }
  }

  async command(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Sends a command and checks the reply code; returns the reply. */
  async expect(line: string, code: number): Promise<Reply> {
    const reply = await this.command(line);
    expect(reply.code, `${line} → ${reply.text}`).toBe(code);
    return reply;
  }

  /** PASV, then connects to the data port the 227 reply names. */
  async passive(): Promise<net.Socket> {
    const reply = await this.expect("PASV", 227);
    const [h1, h2, h3, h4, p1, p2] = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.text)!.slice(1).map(Number);
    const data = net.connect({ port: p1 * 256 + p2, host: `${h1}.${h2}.${h3}.${h4}`, localAddress: this.localAddress });
    data.on("error", () => {});
    await once(data, "connect");
    onTestFinished(() => {
      data.destroy();
    });
    return data;
  }

  /** RETR over a passive data connection: the file's bytes. */
  async retr(path: string): Promise<Buffer> {
    const data = await this.passive();
    const chunks: Buffer[] = [];
    data.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = once(data, "close");
    await this.expect(`RETR ${path}`, 150);
    await ended;
    expect((await this.reply()).code).toBe(226);
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    if (!this.closed) this.socket.end("QUIT\r\n");
    if (!this.closed) await once(this.socket, "close");
  }
}

/** Every file and folder under `dir` with its size and modification time: to show nothing changed. */
export function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const walk = (path: string, name: string) => {
    const stats = statSync(path);
    entries.push(`${name} ${stats.isDirectory() ? "dir" : stats.size} ${stats.mtimeMs}`);
    if (stats.isDirectory()) for (const child of readdirSync(path).sort()) walk(join(path, child), `${name}/${child}`);
  };
  walk(dir, "");
  return entries;
}
