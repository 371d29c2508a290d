// Wrong answer: returns RETR's lines joined with \n (poplib-style lines, not the message's bytes)
// Keeps each line without its "\r\n" (as Python's poplib does) and joins
// them with "\n". The text looks right in a terminal, but the bytes are not the message:
// RETR's size no longer matches LIST's, and CRLF-sensitive content (signatures, base64
// line lengths, attachments in text form) changes.
import net from "node:net";

export interface MailboxStat {
  count: number; // messages in the maildrop (not counting those marked deleted)
  size: number; // their total size in octets
}

export interface ListEntry {
  number: number; // the message number: 1, 2, 3 … for this session only
  size: number; // its size in octets, exactly what RETR will send
}

export class Pop3Client {
  private received = Buffer.alloc(0); // bytes that arrived but are not read yet
  private wake: (() => void) | null = null; // resolves the reader waiting for more bytes
  private closedBecause: string | null = null; // set once the connection is gone

  private constructor(
    private readonly socket: net.Socket,
    private readonly where: string,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wakeUp();
    });
    socket.on("end", () => this.gone("the server closed the connection"));
    socket.on("error", (err) => this.gone(`connection error: ${err.message}`));
    socket.on("close", () => this.gone("the connection closed"));
  }

  /** The server's greeting, e.g. "+OK POP3 server ready". */
  greeting = "";

  /** Connects and reads the greeting (RFC 1939 §4: the server speaks first). */
  static async connect(host: string, port: number): Promise<Pop3Client> {
    const socket = net.connect(port, host);
    const client = new Pop3Client(socket, `${host}:${port}`);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", (err) =>
        reject(new Error(`cannot connect to the POP3 server at ${host}:${port}: ${err.message} — is npm start running?`)),
      );
    });
    client.greeting = (await client.readStatus("greeting")).toString("latin1").trim();
    return client;
  }

  /** USER then PASS (RFC 1939 §7). A wrong password is a -ERR: we reject with its text. */
  async login(user: string, password: string): Promise<void> {
    await this.command(`USER ${user}`, "USER");
    await this.command(`PASS ${password}`, "PASS"); // "PASS": the error must never show the password
  }

  /** STAT (§5): "+OK 2 320" — count and total size. */
  async stat(): Promise<MailboxStat> {
    const reply = await this.command("STAT", "STAT");
    const [, count, size] = reply.split(" ");
    return { count: Number(count), size: Number(size) };
  }

  /** LIST (§5): a multi-line answer, one "number size" line per message. */
  async list(): Promise<ListEntry[]> {
    await this.command("LIST", "LIST");
    const body = (await this.readMultiLine()).toString("latin1");
    return body
      .split("\r\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [number, size] = line.split(" ");
        return { number: Number(number), size: Number(size) };
      });
  }

  /** RETR (§5): the whole message, exact bytes, CRLF line endings, dot-unstuffed. */
  async retr(number: number): Promise<Buffer> {
    await this.command(`RETR ${number}`, "RETR");
    return this.readMultiLine();
  }

  /** DELE (§5): only MARKS the message; the server deletes it when we QUIT. */
  async dele(number: number): Promise<void> {
    await this.command(`DELE ${number}`, "DELE");
  }

  /** QUIT (§6): the server enters the UPDATE state, deletes what we marked, and closes. */
  async quit(): Promise<void> {
    await this.command("QUIT", "QUIT");
    this.socket.end();
  }

  /** Sends one command line and reads its status line; -ERR becomes an Error. */
  private async command(line: string, name: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return (await this.readStatus(name)).toString("latin1").trim();
  }

  /** Reads a status line: "+OK …" or "-ERR …" (RFC 1939 §3). */
  private async readStatus(name: string): Promise<Buffer> {
    const line = await this.readLine();
    const text = line.toString("latin1").trim();
    if (text.startsWith("-ERR")) throw new Error(`POP3 ${name} failed: the server said ${text}`);
    if (!text.startsWith("+OK")) throw new Error(`POP3 ${name}: not a POP3 reply: ${JSON.stringify(text)}`);
    return line;
  }

  /**
   * Reads a multi-line answer (RFC 1939 §3): lines until one that is exactly ".\r\n".
   * A line of the message that starts with "." was sent with one more "." in front
   * ("byte-stuffed"), so that it can never look like the end: remove that first ".".
   */
  private async readMultiLine(): Promise<Buffer> {
    const lines: Buffer[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line.equals(END_OF_BLOCK)) return Buffer.from(lines.map((l) => l.toString("latin1") + "\n").join(""), "latin1");
      const text = line[0] === DOT ? line.subarray(1) : line;
      lines.push(text.subarray(0, text.length - 2)); // without "\r\n"
    }
  }

  /**
   * The next line, with its "\r\n", as bytes. TCP delivers any number of bytes per
   * 'data' event: a line may come in many pieces, or many lines in one piece.
   */
  private async readLine(): Promise<Buffer> {
    for (;;) {
      const newline = this.received.indexOf("\n");
      if (newline !== -1) {
        const line = this.received.subarray(0, newline + 1);
        this.received = this.received.subarray(newline + 1);
        return line;
      }
      if (this.closedBecause) throw new Error(`POP3 server ${this.where}: ${this.closedBecause} in the middle of an answer`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private gone(reason: string): void {
    this.closedBecause ??= reason;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

const DOT = 0x2e; // "."
const END_OF_BLOCK = Buffer.from(".\r\n");
