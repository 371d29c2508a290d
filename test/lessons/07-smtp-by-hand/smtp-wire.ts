// A recording relay in front of the playground's SMTP server, for the checks of lesson 07:
//
//   the learner's client ──▶ SmtpWire (records and judges) ──▶ the check's network ──▶ SMTP server
//
// The server is tolerant: it takes a message sent before its 354, lines ending in a bare \n, a
// client that hangs up without QUIT. What a tolerant server ended up storing cannot tell those
// clients from a correct one — the bytes on the wire and their order can. The relay sees every
// byte the client sent and knows when each reply had reached the client, so it can say
// "your client sent the message before the server's 354" the moment that happens.
//
// The rules it holds the client to (RFC 5321 and the exercise's own words):
//   - the server speaks first: nothing before the 220 greeting (§3.1);
//   - EHLO, not HELO: only EHLO's reply lists the extensions, AUTH among them (§4.1.1.1);
//   - one command, then its whole reply, then the next ("read the whole reply before you send
//     the next command"); the message only after DATA's 354 (§4.1.1.4);
//   - every line ends in \r\n, the message's lines too (§2.3.8);
//   - after a 4xx or 5xx reply, no further command but QUIT (the exercise: reject with the reply);
//   - QUIT after the message, and its 221 read before the client closes (§4.1.1.10);
//   - the connection is closed when sendMail is done, also when it failed.
// The relay's plumbing (listening, wire lines, a broken rule's message) is the kit's, shared with
// lessons 09 and 15: test/kit/wire-relay.ts.

import net from "node:net";
import { escapeBytes } from "../../../servers/transcript.ts";
import { isNotStarted } from "../../kit/checker.ts";
import { listenRelay, RelaySession, WireMistake, WireRelay } from "../../kit/wire-relay.ts";

/** How long a connection may stay open after sendMail settled, and a message may pause. */
const GRACE_MS = 2000;

/** One SMTP conversation as the relay saw it. */
export interface SmtpSession {
  /** The client's command lines, without their \r\n ("EHLO localhost", "RCPT TO:<a@b>", …). */
  commands: string[];
  /** The bytes of each message, as sent between the 354 and the final ".\r\n" line. */
  messages: Buffer[];
  /** The last line of every reply that reached the client ("220 …", "250 Accepted", …). */
  replies: string[];
  closed: boolean;
}

type State =
  | "greeting" // waiting for the server's 220
  | "command" // the client's turn
  | "reply" // waiting for the reply to a command
  | "message" // after 354: the client sends the message
  | "message reply" // waiting for the reply to the message
  | "closed";

class Session extends RelaySession implements SmtpSession {
  commands: string[] = [];
  messages: Buffer[] = [];
  replies: string[] = [];
  private state: State = "greeting";
  private lastCommand = ""; // its first word: "EHLO", "DATA", "QUIT"…
  private fromClient = Buffer.alloc(0); // bytes not judged yet
  private fromServer = Buffer.alloc(0);
  private message = Buffer.alloc(0); // after 354: the message so far
  private messageAccepted = false;
  private pauseTimer: NodeJS.Timeout | undefined;
  private serverClosedFirst = false;
  private clientGone = false;

  constructor(client: net.Socket, upstream: net.Socket, mistake: (err: WireMistake) => void) {
    super(client, upstream, mistake);
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      this.judge(() => this.clientSent(chunk));
    });
    upstream.on("data", (chunk: Buffer) => {
      client.write(chunk); // first to the client: from now on it may answer
      this.judge(() => this.serverSent(chunk));
    });
    upstream.on("end", () => {
      if (!this.clientGone) this.serverClosedFirst = true;
      client.end();
    });
    upstream.on("error", () => client.destroy());
    this.whenClientGone(() => {
      this.clientGone = true;
      clearTimeout(this.pauseTimer);
      if (!this.serverClosedFirst) this.judge(() => this.clientClosed());
    });
    client.on("close", () => (this.state = "closed"));
  }

  override destroy(): void {
    clearTimeout(this.pauseTimer);
    super.destroy();
  }

  // ---- what the client sent ----

  private clientSent(chunk: Buffer): void {
    this.fromClient = Buffer.concat([this.fromClient, chunk]);
    while (this.fromClient.length > 0) {
      if (this.state === "message") {
        this.messageBytes();
        continue;
      }
      const end = this.fromClient.indexOf("\n");
      if (end === -1) return; // the rest of the line comes in a later chunk
      const line = this.fromClient.subarray(0, end + 1);
      this.fromClient = this.fromClient.subarray(end + 1);
      this.clientLine(line);
    }
  }

  private clientLine(raw: Buffer): void {
    const number = this.show("C", raw);
    const line = raw.toString("utf8").replace(/\r?\n$/, "");
    if (!raw.subarray(-2).equals(CRLF)) {
      throw this.broken(`your client ended the line "${line}" with \\n alone: SMTP lines end in \\r\\n (RFC 5321 §2.3.8)`, number);
    }
    if (this.state === "greeting") {
      throw this.broken(`your client sent "${line}" before the server's 220 greeting had arrived: the server speaks first — read its greeting, then send EHLO`, number);
    }
    if (this.state === "reply" && this.lastCommand === "DATA") {
      throw this.broken(`your client sent the message before the server's 354: after DATA, wait for "354 …", then send the message`, number);
    }
    if (this.state === "message reply" && !/^[a-z]{4}( |$)/i.test(line)) {
      throw this.broken(`your client sent "${line}" after the line "." that ended its message: was that line "." part of the message? Lines of the message that start with "." need one more "." in front (dot-stuffing, RFC 5321 §4.5.2)`, number);
    }
    if (this.state === "reply" || this.state === "message reply") {
      const waitingFor = this.state === "message reply" ? "the message" : `"${this.commands.at(-1)}"`;
      throw this.broken(`your client sent "${line}" before the server had answered ${waitingFor}: read the whole reply before you send the next command`, number);
    }
    const failed = this.replies.at(-1);
    if (failed && /^[45]/.test(failed) && !/^(QUIT|RSET)\b/i.test(line)) {
      throw this.broken(`your client went on with "${line}" after the server had answered "${failed}": when a reply has the wrong code, sendMail must stop there and reject with an Error that shows the reply`, number);
    }
    if (/^HELO\b/i.test(line)) {
      throw this.broken("your client greeted with HELO: the exercise asks for EHLO — HELO's one-line reply lists no extensions, so a client cannot know that AUTH is offered", number);
    }
    this.commands.push(line);
    this.lastCommand = line.split(" ")[0]!.toUpperCase();
    this.state = "reply";
  }

  /** After 354 everything is the message, up to the line "." (RFC 5321 §4.1.1.4). */
  private messageBytes(): void {
    this.message = Buffer.concat([this.message, this.fromClient]);
    this.fromClient = Buffer.alloc(0);
    // It ends at "\r\n.\r\n" — or at ".\r\n" right after the 354 (an empty message).
    const end = this.message.subarray(0, 3).equals(DOT_LINE) ? -2 : this.message.indexOf("\r\n.\r\n");
    const message = end === -1 ? this.message : this.message.subarray(0, end + 2); // with its last \r\n
    this.checkLineEndings(message);
    clearTimeout(this.pauseTimer);
    if (end === -1) {
      this.pauseTimer = setTimeout(() => this.judge(() => this.messagePaused()), GRACE_MS);
      return;
    }
    this.fromClient = this.message.subarray(end + 5); // the client's next command, if it sent one already
    for (const line of splitLines(message)) this.show("C", line);
    this.show("C", DOT_LINE);
    this.messages.push(message);
    this.message = Buffer.alloc(0);
    this.state = "message reply";
  }

  private checkLineEndings(message: Buffer): void {
    let lineNumber = 1;
    for (let i = 0; i < message.length; i++) {
      if (message[i] === LF) {
        if (message[i - 1] !== CR) {
          throw this.broken(`line ${lineNumber} of the message your client sent ended in \\n without \\r: every line of the message must end in \\r\\n on the wire (RFC 5321 §2.3.8), whatever the message's lines ended in${messageExcerpt(message, lineNumber)}`);
        }
        lineNumber++;
      } else if (message[i] === CR && i + 1 < message.length && message[i + 1] !== LF) {
        throw this.broken(`line ${lineNumber} of the message your client sent has a \\r that is not followed by \\n (\\r\\r\\n: a line that already ended in \\r\\n got one more \\r)${messageExcerpt(message, lineNumber)}`);
      }
    }
  }

  /** The client stopped in the middle of the message: the server still waits for the line ".". */
  private messagePaused(): void {
    // A busy machine may hold bytes that arrived already: let them be read before judging.
    setImmediate(() =>
      this.judge(() => {
        if (this.state !== "message" || this.clientGone || this.fromClient.length > 0) return;
        const last = splitLines(this.message).at(-1)?.toString("utf8") ?? "";
        const hint = last.length > 3 && last.endsWith(".\r\n")
          ? ` Its last line was ${JSON.stringify(last)}: the "." went onto the message's last line, which had no \\r\\n of its own — end the message with \\r\\n, then send ".\\r\\n".`
          : "";
        throw this.broken(`your client sent a message but never the line "." that ends it, so the server is still waiting for the rest (nothing came for ${GRACE_MS / 1000} s).${hint}`);
      }),
    );
  }

  private clientClosed(): void {
    const quitSent = this.commands.some((command) => /^QUIT$/i.test(command));
    if (this.state === "reply" && this.lastCommand === "QUIT") {
      throw this.broken("your client closed the connection before the server's 221 reply to QUIT: read the reply, then close");
    }
    if (this.messageAccepted && !quitSent) {
      throw this.broken('your client hung up without QUIT after its message was accepted: end the conversation with "QUIT", read the 221, then close (RFC 5321 §4.1.1.10)');
    }
  }

  // ---- what the server sent ----

  private serverSent(chunk: Buffer): void {
    this.fromServer = Buffer.concat([this.fromServer, chunk]);
    for (let end = this.fromServer.indexOf("\n"); end !== -1; end = this.fromServer.indexOf("\n")) {
      const raw = this.fromServer.subarray(0, end + 1);
      this.fromServer = this.fromServer.subarray(end + 1);
      this.show("S", raw);
      const line = raw.toString("utf8").replace(/\r?\n$/, "");
      if (/^\d{3}-/.test(line)) continue; // more lines of this reply follow (§4.2.1)
      this.replyEnded(line);
    }
  }

  private replyEnded(line: string): void {
    if (this.state === "message reply" && line.startsWith("250")) this.messageAccepted = true;
    this.replies.push(line);
    if (this.state === "reply" && this.lastCommand === "DATA" && line.startsWith("354")) this.state = "message";
    else if (this.state !== "closed") this.state = "command";
  }
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from("\r\n");
const DOT_LINE = Buffer.from(".\r\n");

/** Lines `lineNumber - 2` to `lineNumber` of a message, numbered, for a message. */
function messageExcerpt(message: Buffer, lineNumber: number): string {
  const from = Math.max(1, lineNumber - 2);
  const shown = splitLines(message)
    .slice(from - 1, lineNumber)
    .map((line, i) => `  ${String(from + i).padStart(3)} C: ${escapeBytes(line)}`);
  return `\nThe message as your client sent it (lines ${from}–${lineNumber}):\n${shown.join("\n")}`;
}

/** Splits bytes after every \n (a last line without \n is kept too). */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i + 1));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

export class SmtpWire extends WireRelay<Session> {
  private constructor(
    server: net.Server,
    readonly host: string,
  ) {
    super(server, (server.address() as net.AddressInfo).port);
  }

  /** Starts the relay on `host` (a free port), in front of the SMTP server at 127.0.0.1:`targetPort`. */
  static async start(targetPort: number, host = "127.0.0.1"): Promise<SmtpWire> {
    let wire: SmtpWire | undefined;
    const server = await listenRelay(targetPort, host, (client, upstream) => {
      wire!.all.push(new Session(client, upstream, (err) => wire!.mistake(err)));
    });
    wire = new SmtpWire(server, host);
    return wire;
  }

  /** The conversations so far, one per connection. */
  get sessions(): readonly SmtpSession[] {
    return this.all;
  }

  /** Can this machine listen on `host`? (127.0.0.2 works on Linux, not on every system.) */
  static async canListenOn(host: string): Promise<boolean> {
    const probe = net.createServer();
    return new Promise((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen(0, host, () => probe.close(() => resolve(true)));
    });
  }

  /** sendMail must resolve: its value, unless the client broke a rule of the conversation. */
  async expectSuccess<T>(sending: Promise<T>): Promise<T> {
    const outcome = await this.settle(sending);
    if ("error" in outcome) throw outcome.error;
    if (this.all.length !== 1) {
      throw new WireMistake(`sendMail opened ${this.all.length} connections: one conversation on one connection sends the message`);
    }
    const [session] = this.all;
    if (!session!.commands.some((command) => /^QUIT$/i.test(command))) {
      throw new WireMistake(`sendMail resolved without sending QUIT: end the conversation with "QUIT" and read its 221${session!.excerpt(session!.wire.length)}`);
    }
    return outcome.value;
  }

  /** sendMail must reject: its error, unless the client broke a rule of the conversation. */
  async expectFailure(sending: Promise<unknown>, what: string): Promise<Error> {
    const outcome = await this.settle(sending);
    if (!("error" in outcome)) throw new Error(`${what} should have been rejected, but it resolved`);
    if (!(outcome.error instanceof Error)) throw new Error(`${what} should reject with an Error, not ${String(outcome.error)}`);
    return outcome.error;
  }

  /**
   * Waits for sendMail, failing at the first broken rule; then gives its connections
   * GRACE_MS to close: a client must not leave a connection open, whether it succeeded or not.
   */
  private async settle<T>(sending: Promise<T>): Promise<{ value: T } | { error: unknown }> {
    const broken = new Promise<never>((_, reject) => {
      if (this.failed) reject(this.failed);
      this.onMistake = reject;
    });
    broken.catch(() => {});
    sending.catch(() => {}); // if a mistake wins the race, the client's own failure comes later
    let outcome: { value: T } | { error: unknown };
    try {
      outcome = { value: await Promise.race([sending, broken]) };
    } catch (err) {
      if (err instanceof WireMistake || isNotStarted(err)) throw err;
      outcome = { error: err };
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<"open">((resolve) => (timer = setTimeout(() => resolve("open"), GRACE_MS)));
    const allEnded = Promise.all(this.all.map((session) => session.ended)).then(() => "ended" as const);
    const after = await Promise.race([allEnded, grace, broken]).finally(() => clearTimeout(timer));
    if (after === "open") {
      const open = this.all.find((session) => !session.closed)!;
      const how = "error" in outcome
        ? `sendMail failed (${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}) but left its connection open: close the socket when it fails too (a finally block)`
        : "sendMail resolved but left its connection open: close the socket when the conversation is over";
      throw new WireMistake(`${how} — the connection was still open ${GRACE_MS / 1000} s later${open.excerpt(open.wire.length)}`);
    }
    return outcome;
  }
}
