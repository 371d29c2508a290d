// Test helper for lesson 03: a client that reads the server's answers line by line.

import net from "node:net";
import { once } from "node:events";

/** How long to wait for the server, and what its silence means, in the learner's terms. */
export interface Deadline {
  seconds: number;
  missing: string;
}

export class LineClient {
  private lines: string[] = []; // whole lines received, each with its "\r\n"
  private unfinished = "";
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  private constructor(readonly socket: net.Socket, readonly name: string) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.unfinished += text;
      let newline: number;
      while ((newline = this.unfinished.indexOf("\n")) !== -1) {
        this.lines.push(this.unfinished.slice(0, newline + 1));
        this.unfinished = this.unfinished.slice(newline + 1);
      }
      this.notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", (err) => {
      this.failure = err;
      this.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.notify();
    });
  }

  static async connect(port: number, name = "client"): Promise<LineClient> {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    await once(socket, "connect");
    return new LineClient(socket, name);
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /**
   * The next whole line the server sent, "\r\n" included; throws if the connection ends first,
   * or, with `deadline`, if no line came within `deadline.seconds` (the error says what is `missing`).
   */
  async nextLine(deadline?: Deadline): Promise<string> {
    return deadline ? this.within(deadline, this.waitForLine()) : this.waitForLine();
  }

  private async waitForLine(): Promise<string> {
    while (this.lines.length === 0) {
      if (this.failure) throw new Error(`${this.name}: the connection failed (${this.failure.message}) while waiting for a line`);
      if (this.ended) {
        const rest = this.unfinished ? ` (it sent ${JSON.stringify(this.unfinished)} without "\\n" first)` : "";
        throw new Error(`${this.name}: the server closed the connection while the client waited for a line${rest}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.lines.shift()!;
  }

  /** Reads until the server ends the connection; returns every line it sent until then. */
  async untilEnd(deadline?: Deadline): Promise<string[]> {
    return deadline ? this.within(deadline, this.waitForEnd()) : this.waitForEnd();
  }

  private async waitForEnd(): Promise<string[]> {
    while (!this.ended) {
      if (this.failure) throw new Error(`${this.name}: the connection failed (${this.failure.message}) before the server ended it`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw new Error(`${this.name}: the connection failed (${this.failure.message}) before the server ended it`);
    const lines = this.lines.splice(0);
    if (this.unfinished) lines.push(this.unfinished);
    return lines;
  }

  close(): void {
    this.socket.destroy();
  }

  /** A clear message instead of the checker's plain "timed out" when the server stays silent. */
  private async within<T>({ seconds, missing }: Deadline, waiting: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const got = [...this.lines, this.unfinished].join("");
        const sofar = got ? ` (what arrived meanwhile: ${JSON.stringify(got)})` : "";
        reject(new Error(`${this.name}: nothing more for ${seconds} s — ${missing}${sofar}`));
      }, seconds * 1000);
    });
    waiting.catch(() => {});
    try {
      return await Promise.race([waiting, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
