// Wrong answer: lets the playground's LineReader do the dot-unstuffing
// Borrows the playground's own LineReader (servers/line-protocol.ts), whose
// readDotBlock() does the line splitting and the dot-unstuffing. It works — and the lesson's
// point, reading a multi-line answer yourself, is skipped. The checker reads the imports.
import net from "node:net";
import { once } from "node:events";
import { LineReader } from "../../../servers/line-protocol.ts";
import type { ListEntry, MailboxStat } from "../../../lessons/09-receiving-mail/solution.ts";

export class Pop3Client {
  greeting = "";
  private constructor(
    private readonly socket: net.Socket,
    private readonly reader: LineReader,
  ) {}

  static async connect(host: string, port: number): Promise<Pop3Client> {
    const socket = net.connect(port, host);
    await once(socket, "connect");
    const client = new Pop3Client(socket, new LineReader(socket));
    client.greeting = await client.status("greeting");
    return client;
  }

  async login(user: string, password: string): Promise<void> {
    await this.command(`USER ${user}`);
    await this.command(`PASS ${password}`);
  }

  async stat(): Promise<MailboxStat> {
    const [, count, size] = (await this.command("STAT")).split(" ");
    return { count: Number(count), size: Number(size) };
  }

  async list(): Promise<ListEntry[]> {
    await this.command("LIST");
    const lines = (await this.reader.readDotBlock()).toString().split("\r\n").filter(Boolean);
    return lines.map((line) => ({ number: Number(line.split(" ")[0]), size: Number(line.split(" ")[1]) }));
  }

  async retr(number: number): Promise<Buffer> {
    await this.command(`RETR ${number}`);
    return this.reader.readDotBlock();
  }

  async dele(number: number): Promise<void> {
    await this.command(`DELE ${number}`);
  }

  async quit(): Promise<void> {
    await this.command("QUIT");
    this.socket.end();
  }

  private async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.status(line.split(" ")[0]!);
  }

  private async status(name: string): Promise<string> {
    const line = (await this.reader.readLine()) ?? "-ERR connection closed";
    if (line.startsWith("-ERR")) throw new Error(`POP3 ${name} failed: ${line}`);
    return line;
  }
}
