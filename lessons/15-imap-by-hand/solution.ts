// Lesson 15 — reference solution. Same exports as exercise.ts.
// An IMAP client (RFC 3501) written by hand over a plain TCP socket, one method per
// command, like Python's imaplib: no mail library.
//
// What makes it different from lesson 09's POP3 client:
//   - every command carries a tag ("A1"), and only the line with that tag ends its answer;
//   - before it, the server may send any number of untagged lines ("* 3 EXISTS"), also about
//     things nobody asked for;
//   - a response line that ends in {n} is followed by exactly n BYTES of data (a literal),
//     then the rest of the line;
//   - a command with a literal of its own waits for the server's "+" before sending it.

import net from "node:net";

/** A tagged NO or BAD (or a BYE): the command failed, and the server said why. */
export class ImapError extends Error {
  constructor(
    message: string,
    /** "NO", "BAD" or "BYE". */
    readonly status: string,
    /** The server's whole line, e.g. "A1 NO [AUTHENTICATIONFAILED] wrong address or password". */
    readonly response: string,
  ) {
    super(message);
    this.name = "ImapError";
  }
}

export interface Mailbox {
  name: string;
  /** How many messages the folder holds ("* 5 EXISTS"). */
  exists: number;
  /** The UIDs' generation: while it stays the same, a UID means the same message. */
  uidValidity: number;
  /** The UID the next message will get. */
  uidNext: number;
  /** The flags the folder knows ("* FLAGS (\Seen …)"). */
  flags: string[];
}

/**
 * One response from the server: its text and its literals. In `text`, each literal is left
 * as its "{n}" announcement, so nothing inside a message can be mistaken for protocol.
 *   "* 1 FETCH (UID 7 BODY[] {549}" + 549 bytes + ")"  →  text "* 1 FETCH (UID 7 BODY[] {549})", literals [549 bytes]
 */
interface Response {
  tag: string; // "*" (untagged), "+" (continuation) or a command's tag
  text: string;
  literals: Buffer[];
}

export class ImapClient {
  /** The server's greeting, e.g. "* OK [CAPABILITY …] IMAP4rev1 server ready". */
  greeting = "";
  /** Messages in the selected folder, kept up to date by every "* n EXISTS" and "* n EXPUNGE". */
  exists = 0;

  private received = Buffer.alloc(0); // bytes that arrived but are not read yet
  private wake: (() => void) | null = null; // resolves the reader waiting for more bytes
  private closedBecause: string | null = null; // set once the connection is gone
  private lastTag = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wakeUp();
    });
    socket.on("end", () => this.gone("the server closed the connection"));
    socket.on("error", (err) => this.gone(`connection error: ${err.message}`));
    socket.on("close", () => this.gone("the connection closed"));
  }

  /** Connects and reads the greeting (RFC 3501 §7.1.1: the server speaks first, untagged). */
  static async connect(host: string, port: number): Promise<ImapClient> {
    const socket = net.connect(port, host);
    const client = new ImapClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", (err) =>
        reject(new Error(`cannot connect to the IMAP server at ${host}:${port}: ${err.message} — is npm start running?`)),
      );
    });
    const greeting = await client.readResponse();
    client.greeting = greeting.text;
    if (!/^\* (OK|PREAUTH)\b/i.test(greeting.text)) {
      socket.destroy();
      throw new ImapError(`IMAP greeting: the server said ${greeting.text}`, greeting.text.split(" ")[1] ?? "", greeting.text);
    }
    return client;
  }

  /** LOGIN user password (§6.2.3), both as quoted strings (or literals, if they must be). */
  async login(user: string, password: string): Promise<void> {
    await this.command("LOGIN", ["LOGIN ", astring(user), " ", astring(password)]);
  }

  /** SELECT (§6.3.1): opens a folder; the untagged answers say what is in it. */
  async select(name: string): Promise<Mailbox> {
    const mailbox: Mailbox = { name, exists: 0, uidValidity: 0, uidNext: 0, flags: [] };
    for (const { text } of await this.command("SELECT", ["SELECT ", astring(name)])) {
      const exists = /^\* (\d+) EXISTS/i.exec(text);
      if (exists) mailbox.exists = Number(exists[1]);
      const code = /^\* OK \[(UIDVALIDITY|UIDNEXT) (\d+)\]/i.exec(text);
      if (code?.[1]!.toUpperCase() === "UIDVALIDITY") mailbox.uidValidity = Number(code[2]);
      if (code?.[1]!.toUpperCase() === "UIDNEXT") mailbox.uidNext = Number(code[2]);
      const flags = /^\* FLAGS \(([^)]*)\)/i.exec(text);
      if (flags) mailbox.flags = flags[1]!.split(" ").filter(Boolean);
    }
    return mailbox;
  }

  /** UID SEARCH criteria (§6.4.4, §6.4.8): the UIDs — not sequence numbers — of the matches. */
  async uidSearch(criteria: string): Promise<number[]> {
    const uids: number[] = [];
    for (const { text } of await this.command("UID SEARCH", [`UID SEARCH ${criteria}`])) {
      const found = /^\* SEARCH\b(.*)$/i.exec(text);
      if (found) uids.push(...found[1]!.split(" ").filter(Boolean).map(Number));
    }
    return uids;
  }

  /** UID FETCH uids (BODY.PEEK[HEADER.FIELDS (…)]): each message's header lines, exact bytes, by UID. */
  async fetchHeaders(uids: number[], fields: string[]): Promise<Map<number, Buffer>> {
    if (uids.length === 0) return new Map(); // an empty set is not valid IMAP
    return this.fetch(uids, `BODY.PEEK[HEADER.FIELDS (${fields.join(" ")})]`);
  }

  /** UID FETCH uid (BODY.PEEK[]): the whole message, exact bytes. PEEK: it stays unseen. */
  async fetchBody(uid: number): Promise<Buffer> {
    const body = (await this.fetch([uid], "BODY.PEEK[]")).get(uid);
    if (!body) throw new Error(`IMAP UID FETCH: there is no message with UID ${uid} in this folder`);
    return body;
  }

  /** UID STORE uids +FLAGS/-FLAGS/FLAGS (…) (§6.4.6): each message's flags afterwards, by UID. */
  async store(uids: number[], change: "+FLAGS" | "-FLAGS" | "FLAGS", flags: string[]): Promise<Map<number, string[]>> {
    const after = new Map<number, string[]>();
    if (uids.length === 0) return after;
    for (const response of await this.command("UID STORE", [`UID STORE ${uids.join(",")} ${change} (${flags.join(" ")})`])) {
      const fetched = fetchData(response);
      if (fetched?.uid !== undefined && fetched.flags) after.set(fetched.uid, fetched.flags);
    }
    return after;
  }

  /** EXPUNGE (§6.4.3): removes the \Deleted messages; the sequence numbers the server reported. */
  async expunge(): Promise<number[]> {
    const expunged: number[] = [];
    for (const { text } of await this.command("EXPUNGE", ["EXPUNGE"])) {
      const gone = /^\* (\d+) EXPUNGE/i.exec(text);
      if (gone) expunged.push(Number(gone[1]));
    }
    return expunged;
  }

  /** APPEND folder (flags) {n} (§6.3.11): stores a message; its new UID if the server says it. */
  async append(folder: string, message: Buffer | string, flags: string[] = []): Promise<number | undefined> {
    const bytes = Buffer.from(message); // {n} counts bytes: "你好" is 6 of them, not 2
    const flagList = flags.length > 0 ? ` (${flags.join(" ")})` : "";
    const responses = await this.command("APPEND", ["APPEND ", astring(folder), `${flagList} `, bytes]);
    const appendUid = /\[APPENDUID \d+ (\d+)\]/i.exec(responses.at(-1)!.text); // RFC 4315
    return appendUid ? Number(appendUid[1]) : undefined;
  }

  /** NOOP (§6.1.2): does nothing — and gives the server a chance to tell news ("* 6 EXISTS"). */
  async noop(): Promise<void> {
    await this.command("NOOP", ["NOOP"]);
  }

  /** LOGOUT (§6.1.3): the server says BYE, then OK, then closes. */
  async logout(): Promise<void> {
    await this.command("LOGOUT", ["LOGOUT"]);
    this.socket.end();
  }

  // ---- commands and their answers --------------------------------------------------------

  /** UID FETCH with one body item: the item's literal for each message, by UID. */
  private async fetch(uids: number[], item: string): Promise<Map<number, Buffer>> {
    const bodies = new Map<number, Buffer>();
    for (const response of await this.command("UID FETCH", [`UID FETCH ${uids.join(",")} (${item})`])) {
      const fetched = fetchData(response);
      // The UID item, not the sequence number in front of FETCH: after an EXPUNGE they differ.
      if (fetched?.uid !== undefined && fetched.body) bodies.set(fetched.uid, fetched.body);
    }
    return bodies;
  }

  /**
   * Sends one command — its pieces are text, and Buffers to send as literals — and reads
   * until the line with its tag. Returns every response it read, the tagged one last.
   * "NO" and "BAD" (§7.1) become an ImapError carrying the server's line.
   */
  private async command(name: string, pieces: (string | Buffer)[]): Promise<Response[]> {
    const tag = `A${++this.lastTag}`;
    const responses: Response[] = [];
    let line = `${tag} `;
    for (const piece of pieces) {
      if (typeof piece === "string") {
        line += piece;
        continue;
      }
      // A literal (§4.3): announce its size in bytes, wait for "+" (§7.5), then send it.
      this.socket.write(`${line}{${piece.length}}\r\n`);
      for (;;) {
        const response = await this.readResponse();
        if (response.tag === "+") break;
        responses.push(response);
        if (response.tag === tag) this.failed(name, response); // a NO instead of "+": always throws
        this.untagged(response); // "* 3 EXISTS" may come first: the server speaks at any time
      }
      this.socket.write(piece);
      line = "";
    }
    this.socket.write(`${line}\r\n`);
    for (;;) {
      const response = await this.readResponse();
      responses.push(response);
      if (response.tag === tag) {
        if (!/^\S+ OK\b/i.test(response.text)) this.failed(name, response);
        return responses;
      }
      this.untagged(response);
    }
  }

  private failed(name: string, response: Response): never {
    const status = response.text.split(" ")[1]?.toUpperCase() ?? "";
    throw new ImapError(`IMAP ${name} failed: the server said ${response.text}`, status, response.text);
  }

  /** News the server tells whenever it likes (§7.3.1, §7.4.1): keep `exists` true. */
  private untagged(response: Response): void {
    const counted = /^\* (\d+) (EXISTS|EXPUNGE)\b/i.exec(response.text);
    if (counted?.[2]!.toUpperCase() === "EXISTS") this.exists = Number(counted[1]);
    if (counted?.[2]!.toUpperCase() === "EXPUNGE") this.exists -= 1;
  }

  /**
   * Reads one whole response (§2.2.2): a line, and while it ends in "{n}", n bytes of literal
   * and the line that continues after them.
   */
  private async readResponse(): Promise<Response> {
    let text = "";
    const literals: Buffer[] = [];
    for (;;) {
      const line = (await this.readLine()).toString("utf8");
      text += line;
      const literal = /\{(\d+)\}$/.exec(line);
      if (!literal) break;
      literals.push(await this.readBytes(Number(literal[1])));
    }
    const tag = text.slice(0, text.indexOf(" ") === -1 ? text.length : text.indexOf(" "));
    return { tag, text, literals };
  }

  /** The next line, without its "\r\n", as bytes. */
  private async readLine(): Promise<Buffer> {
    for (;;) {
      const newline = this.received.indexOf("\r\n");
      if (newline !== -1) {
        const line = this.received.subarray(0, newline);
        this.received = this.received.subarray(newline + 2);
        return line;
      }
      await this.moreBytes();
    }
  }

  /** Exactly `count` bytes: a literal may arrive in any number of pieces. */
  private async readBytes(count: number): Promise<Buffer> {
    while (this.received.length < count) await this.moreBytes();
    const bytes = this.received.subarray(0, count);
    this.received = this.received.subarray(count);
    return bytes;
  }

  private async moreBytes(): Promise<void> {
    if (this.closedBecause) throw new Error(`IMAP: ${this.closedBecause} in the middle of an answer`);
    await new Promise<void>((resolve) => (this.wake = resolve));
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

/**
 * The parts of a "* n FETCH (…)" response a client needs: the UID, the flags, the literal.
 * Only the text is searched — never the literal, where a message could say "UID 1" itself.
 */
function fetchData(response: Response): { uid?: number; flags?: string[]; body?: Buffer } | null {
  if (!/^\* \d+ FETCH \(/i.test(response.text)) return null;
  const uid = /[( ]UID (\d+)/i.exec(response.text);
  const flags = /[( ]FLAGS \(([^)]*)\)/i.exec(response.text);
  return {
    uid: uid ? Number(uid[1]) : undefined,
    flags: flags ? flags[1]!.split(" ").filter(Boolean) : undefined,
    body: response.literals[0],
  };
}

/**
 * A string as IMAP wants it (§4.3, §9 astring): in double quotes with \ and " escaped — or,
 * when it has bytes a quoted string may not hold (CR, LF, anything beyond 7-bit ASCII), as a
 * literal: the Buffer, which command() sends as {n} + "+" + the bytes.
 */
function astring(value: string): string | Buffer {
  if (/[^\x01-\x09\x0b\x0c\x0e-\x7f]/.test(value)) return Buffer.from(value, "utf8");
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}
