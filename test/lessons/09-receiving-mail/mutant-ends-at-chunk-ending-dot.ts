// Wrong answer: ends RETR at a chunk that ends with '.\r\n' instead of at a line that is exactly '.'
// Collects RETR's answer chunk by chunk and stops as soon as a chunk ENDS
// with ".\r\n". On a quiet network the server's ".\r\n" comes at the end of its last
// chunk, so this seems to work. But TCP may cut anywhere: a chunk that happens to end right
// after a sentence's "dot.\r\n" ends the message early, and a final ".\r\n" that arrives as
// "." and "\r\n" in two chunks is never seen at all — the client waits forever.
import net from "node:net";
import type { ListEntry, MailboxStat } from "../../../lessons/09-receiving-mail/solution.ts";

export class Pop3Client {
  greeting = "";
  private chunks: Buffer[] = [];
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.wake?.();
    });
    socket.on("error", () => this.wake?.());
  }

  static async connect(host: string, port: number): Promise<Pop3Client> {
    const socket = net.connect(port, host);
    const client = new Pop3Client(socket);
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    client.greeting = (await client.readReply(false)).trim();
    return client;
  }

  async login(user: string, password: string): Promise<void> {
    await this.command(`USER ${user}`, false);
    await this.command(`PASS ${password}`, false);
  }

  async stat(): Promise<MailboxStat> {
    const [, count, size] = (await this.command("STAT", false)).trim().split(" ");
    return { count: Number(count), size: Number(size) };
  }

  async list(): Promise<ListEntry[]> {
    const lines = (await this.command("LIST", true)).split("\r\n").slice(1, -2);
    return lines.map((line) => {
      const [number, size] = line.split(" ");
      return { number: Number(number), size: Number(size) };
    });
  }

  async retr(number: number): Promise<Buffer> {
    const reply = Buffer.from(await this.command(`RETR ${number}`, true), "latin1");
    const body = reply.subarray(reply.indexOf("\r\n") + 2, reply.length - 3); // after "+OK …", before ".\r\n"
    const lines = body.toString("latin1").split("\r\n");
    return Buffer.from(lines.map((line) => (line.startsWith(".") ? line.slice(1) : line)).join("\r\n"), "latin1");
  }

  async dele(number: number): Promise<void> {
    await this.command(`DELE ${number}`, false);
  }

  async quit(): Promise<void> {
    await this.command("QUIT", false);
    this.socket.end();
  }

  private async command(line: string, multiLine: boolean): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.readReply(multiLine);
  }

  /** Waits for chunks until the reply looks complete; -ERR rejects. */
  private async readReply(multiLine: boolean): Promise<string> {
    for (;;) {
      const text = Buffer.concat(this.chunks).toString("latin1");
      const last = this.chunks[this.chunks.length - 1]?.toString("latin1") ?? "";
      if (text.startsWith("-ERR") && text.endsWith("\r\n")) {
        this.chunks = [];
        throw new Error(`POP3 ${line0(text)}`);
      }
      const complete = multiLine ? last.endsWith(".\r\n") : text.endsWith("\r\n");
      if (complete) {
        this.chunks = [];
        return text;
      }
      if (this.socket.destroyed) throw new Error("the connection closed");
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

function line0(text: string): string {
  return text.slice(0, text.indexOf("\r\n"));
}
