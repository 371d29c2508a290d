// A raw client for the line protocols (POP3, NNTP, …) that shows a test exactly what the
// server sent: send a line, read a line, read a dot-stuffed block, switch to TLS in place.
// test/servers/pop3-kit.ts and nntp-kit.ts add each protocol's own steps on top.

import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";
import { onTestFinished } from "vitest";
import { LineReader } from "../../servers/line-protocol.ts";

/** Long enough for any reply a test provokes (a 200 KB line must come back as an error, not be cut). */
const MAX_LINE = 4 * 1024 * 1024;

export class RawLineClient {
  /** Every chunk received, in order (for tests that look at the raw bytes). */
  readonly received: Buffer[] = [];
  protected reader: LineReader;

  constructor(public socket: net.Socket) {
    this.reader = new LineReader(socket, { maxLineLength: MAX_LINE });
    socket.on("data", (chunk: Buffer) => this.received.push(chunk));
    socket.on("error", () => {});
  }

  /**
   * A connected socket to 127.0.0.1:port (TLS from the first byte with `ca`), closed when the
   * test ends. `from`: another loopback address to connect from (127.0.0.2 …), so that one test
   * can be several client addresses.
   */
  static async socketTo(port: number, ca?: string, from?: string): Promise<net.Socket> {
    const where = { host: "127.0.0.1", port, localAddress: from };
    const socket = ca ? tls.connect({ ...where, ca, servername: "localhost" }) : net.connect(where);
    await once(socket, ca ? "secureConnect" : "connect");
    onTestFinished(() => void socket.destroy());
    return socket;
  }

  send(text: string): void {
    this.socket.write(text + "\r\n");
  }

  async line(): Promise<string> {
    const line = await this.reader.readLine();
    if (line === null) throw new Error("the server closed the connection");
    return line;
  }

  async command(text: string): Promise<string> {
    this.send(text);
    return this.line();
  }

  /** The dot-stuffed block after a status line, unstuffed, as bytes (CRLF line endings). */
  async blockBytes(): Promise<Buffer> {
    return this.reader.readDotBlock();
  }

  /** Resolves with null once the server has closed the connection (unread lines come first). */
  async nextOrClose(): Promise<string | null> {
    return this.reader.readLine().catch(() => null);
  }

  /** STLS / STARTTLS: replaces the socket with a TLS socket over the same TCP connection. */
  async startTls(ca: string): Promise<void> {
    this.reader.detach();
    const secure = tls.connect({ socket: this.socket, ca, servername: "localhost" });
    await once(secure, "secureConnect");
    secure.on("error", () => {});
    this.socket = secure;
    this.reader = new LineReader(secure, { maxLineLength: MAX_LINE });
  }
}

/**
 * Connects (with `connect`) until the server greets with `greeting`, and returns that client.
 * A connection refused for being over a cap ("too many connections") still counts until the
 * server has seen it close, which can take a moment after the client saw it: so it is retried.
 */
export async function admitted<T extends RawLineClient>(connect: () => Promise<T>, greeting: RegExp): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await connect();
    const line = await client.line();
    if (greeting.test(line)) return client;
    client.socket.destroy();
    if (!line.includes("too many connections") || attempt === 50) throw new Error(`not greeted: ${line}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
