// The FTP bench's client: raw sockets, a few lines per command, the same for every server
// measured. No FTP library: a library's own speed (or its politeness, like a NOOP before
// each transfer) would be measured along with the server's.

import net from "node:net";
import { once } from "node:events";

export class BenchFtp {
  private buffer = "";
  private wake: (() => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly control: net.Socket) {
    control.setEncoding("latin1");
    control.on("data", (text: string) => {
      this.buffer += text;
      this.wake?.();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.wake?.();
    };
    control.on("error", fail);
    control.on("close", () => fail(new Error("the server closed the control connection")));
  }

  static async connect(port: number): Promise<BenchFtp> {
    const control = net.connect(port, "127.0.0.1");
    const ftp = new BenchFtp(control);
    await ftp.expect(null, 220);
    return ftp;
  }

  static async login(port: number, user: string, password: string): Promise<BenchFtp> {
    const ftp = await BenchFtp.connect(port);
    await ftp.expect(`USER ${user}`, 331);
    await ftp.expect(`PASS ${password}`, 230);
    await ftp.expect("TYPE I", 200);
    return ftp;
  }

  /**
   * Sends `line` (unless null) and waits for a reply with this code; returns its text. A
   * one-digit code accepts a whole class: 1 = "1xx", e.g. 150 or 125 before a transfer.
   */
  async expect(line: string | null, code: number): Promise<string> {
    if (line !== null) this.control.write(`${line}\r\n`);
    const reply = await this.reply();
    if (!reply.startsWith(String(code))) throw new Error(`${line ?? "greeting"}: expected ${code}, got ${reply.trim()}`);
    return reply;
  }

  /** One reply, single- or multi-line (RFC 959 §4.2). */
  private async reply(): Promise<string> {
    for (;;) {
      const match = /^(\d{3})(?: [^\n]*|-[\s\S]*?\n\1 [^\n]*)\n/.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match[0].length);
        return match[0];
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** EPSV (RFC 2428) and a data connection to the port it names. */
  private async dataConnection(): Promise<net.Socket> {
    const reply = await this.expect("EPSV", 229);
    const port = Number(/\(\|\|\|(\d+)\|\)/.exec(reply)![1]);
    const data = net.connect(port, "127.0.0.1");
    await once(data, "connect");
    return data;
  }

  /** RETR: downloads `path`, counting (not keeping) the bytes. Resolves with the count. */
  async retr(path: string): Promise<number> {
    const data = await this.dataConnection();
    let bytes = 0;
    data.on("data", (chunk: Buffer) => (bytes += chunk.length));
    const done = once(data, "close");
    await this.expect(`RETR ${path}`, 1);
    await done;
    await this.expect(null, 226);
    return bytes;
  }

  /**
   * STOR: uploads `totalBytes` of `block` repeated, honouring backpressure. With `allo`, the size
   * is announced first (RFC 959 §4.1.3 ALLO; any 2xx reply will do: "202 not needed" too).
   */
  async stor(path: string, totalBytes: number, block: Buffer, { allo = false } = {}): Promise<void> {
    if (allo) await this.expect(`ALLO ${totalBytes}`, 2);
    const data = await this.dataConnection();
    await this.expect(`STOR ${path}`, 1);
    for (let sent = 0; sent < totalBytes; sent += block.length) {
      const piece = sent + block.length <= totalBytes ? block : block.subarray(0, totalBytes - sent);
      if (!data.write(piece)) await once(data, "drain");
    }
    data.end();
    await this.expect(null, 226);
  }

  async quit(): Promise<void> {
    await this.expect("QUIT", 221).catch(() => {});
    this.control.destroy();
  }
}

/**
 * `count` clients log in and stay logged in until all of them are: resolves when the last
 * one is in (then they all QUIT, untimed). They connect in waves of `wave`: a server's
 * listen backlog holds only so many connections that are not yet accepted (pyftpdlib's
 * holds 100), and a connection dropped from a full backlog waits seconds for TCP to retry
 * — that would measure the backlog, not the server.
 */
export async function concurrentLogins(port: number, count: number, user: string, password: string, wave = 50): Promise<number> {
  const start = performance.now();
  const sessions: BenchFtp[] = [];
  for (let first = 0; first < count; first += wave) {
    const size = Math.min(wave, count - first);
    const logins = Array.from({ length: size }, async () => {
      const ftp = await BenchFtp.connect(port);
      sessions.push(ftp);
      await ftp.expect(`USER ${user}`, 331);
      await ftp.expect(`PASS ${password}`, 230);
    });
    await Promise.all(logins);
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(sessions.map((ftp) => ftp.quit()));
  return seconds;
}
