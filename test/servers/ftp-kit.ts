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
  });
  return { port: server.port, dataDir, pub: join(dataDir, "ftp", "pub"), home: join(dataDir, "ftp", "home", "me"), trace };
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

  private constructor(readonly socket: net.Socket) {
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

  static async connect(port: number): Promise<{ ftp: RawFtp; greeting: Reply }> {
    const socket = net.connect(port, "127.0.0.1");
    await once(socket, "connect");
    const ftp = new RawFtp(socket);
    onTestFinished(() => {
      socket.destroy();
    });
    return { ftp, greeting: await ftp.reply() };
  }

  static async login(port: number, user = "anonymous", password = "learner@example.com"): Promise<RawFtp> {
    const { ftp } = await RawFtp.connect(port);
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
    const data = net.connect(p1 * 256 + p2, `${h1}.${h2}.${h3}.${h4}`);
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
