// The benches' client for line protocols (POP3, NNTP): reply lines and ".\r\n"-terminated
// blocks found straight in the socket's bytes — as little client work as possible, so the
// bench measures the server.

import { once } from "node:events";
import net from "node:net";

export class BenchClient {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: () => void; check: () => boolean } | null = null;

  constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      if (this.waiting?.check()) {
        const { resolve } = this.waiting;
        this.waiting = null;
        resolve();
      }
    });
  }

  /** Connects and reads the greeting. */
  static async connect(port: number): Promise<BenchClient> {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    await once(socket, "connect");
    const client = new BenchClient(socket);
    await client.line();
    return client;
  }

  private until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => (this.waiting = { resolve, check }));
  }

  /** One reply line (without CRLF). */
  async line(): Promise<string> {
    let end = -1;
    await this.until(() => (end = this.buffer.indexOf("\r\n")) !== -1);
    const line = this.buffer.subarray(0, end).toString();
    this.buffer = this.buffer.subarray(end + 2);
    return line;
  }

  /** Sends a command; a reply that does not start with `expected` stops the bench. */
  async command(text: string, expected: string): Promise<string> {
    this.socket.write(text + "\r\n");
    const reply = await this.line();
    if (!reply.startsWith(expected)) throw new Error(`${text.split(" ")[0]}: ${reply}`);
    return reply;
  }

  /** A block up to ".\r\n", as it came (still dot-stuffed), CRLF line endings, without the final ".". */
  async stuffedBlock(): Promise<Buffer> {
    let end = -1;
    // The terminator is "\r\n.\r\n" (or ".\r\n" right at the start, for an empty block).
    await this.until(() => (end = this.buffer.subarray(0, 3).toString() === ".\r\n" ? 0 : this.buffer.indexOf("\r\n.\r\n")) !== -1);
    const content = end === 0 ? Buffer.alloc(0) : this.buffer.subarray(0, end + 2);
    this.buffer = this.buffer.subarray(end === 0 ? 3 : end + 5);
    return content;
  }

  /** QUIT, then wait until the server has closed the connection (its session is over). */
  async quit(expected: string): Promise<void> {
    const closed = once(this.socket, "close");
    await this.command("QUIT", expected);
    await closed;
  }
}
