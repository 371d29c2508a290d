// A recording relay in front of the playground's POP3 server, for the checks of lessons 09 and 10:
//
//   the learner's client ──▶ Pop3Wire (records and judges) ──▶ the check's network ──▶ POP3 server
//
// It sees every byte the client sends and knows when each answer had reached the client, so it
// can hold the client to the conversation (RFC 1939, RFC 2449) whatever the server tolerates:
//   - the server speaks first: no command before the greeting (§4);
//   - one command, then its whole answer — the status line and, for LIST, RETR, UIDL, TOP and
//     CAPA, the block up to "." — then the next; several at once only after CAPA listed
//     PIPELINING (RFC 2449 §6.6);
//   - command lines end in \r\n (§3);
//   - after QUIT, the +OK is read before the client closes (§6: that +OK says the deletions worked).
// It can also cut the connection in the middle of an answer, the way a dropped Wi-Fi does.
// The relay's plumbing (listening, wire lines, a broken rule's message, step()) is the kit's,
// shared with lessons 07 and 15: test/kit/wire-relay.ts.

import net from "node:net";
import { listenRelay, RelaySession, WireMistake, WireRelay } from "../../kit/wire-relay.ts";

/** One POP3 conversation as the relay saw it. */
export interface Pop3Session {
  /** The client's command lines without \r\n, the password masked ("USER a@b", "PASS ******", "RETR 1"). */
  commands: string[];
  /** Did the +OK to QUIT reach the client? */
  quitAnswered: boolean;
  closed: boolean;
}

type State = "greeting" | "command" | "status" | "block" | "closed";

/** Commands whose +OK is followed by a block of lines up to "." (RFC 1939 §5, RFC 2449 §5). */
function hasBlock(command: string): boolean {
  const [verb, argument] = command.toUpperCase().split(" ");
  if (verb === "RETR" || verb === "TOP" || verb === "CAPA") return true;
  return (verb === "LIST" || verb === "UIDL") && argument === undefined;
}

class Session extends RelaySession implements Pop3Session {
  commands: string[] = [];
  quitAnswered = false;
  private state: State = "greeting";
  private waitingFor: string[] = []; // commands sent whose answer has not reached the client yet
  private pipelining = false; // CAPA said PIPELINING
  private fromClient = Buffer.alloc(0);
  private fromServer = Buffer.alloc(0);
  private capaLines: string[] = [];
  private answerBytes = 0; // bytes of the answer to the command to cut during, so far
  private wasCut = false;

  constructor(
    client: net.Socket,
    upstream: net.Socket,
    mistake: (err: WireMistake) => void,
    private readonly cut?: { during: string; afterBytes: number; done: () => void },
    private readonly hold?: LoginHold,
  ) {
    super(client, upstream, mistake);
    let forwarding = Promise.resolve();
    client.on("data", (chunk: Buffer) => {
      // In order, chunk after chunk; a held login waits for `hold.before()` (see Pop3WireOptions).
      forwarding = forwarding.then(async () => {
        if (this.hold && /^PASS /im.test(chunk.toString("latin1"))) {
          client.pause();
          await this.hold.before().catch(() => {});
          client.resume();
        }
        upstream.write(chunk);
      });
      this.judge(() => this.clientSent(chunk));
    });
    upstream.on("data", (chunk: Buffer) => this.serverSent(chunk));
    upstream.on("end", () => client.end());
    upstream.on("error", () => client.destroy());
    this.whenClientGone(() => {
      if (this.waitingFor.at(-1)?.toUpperCase() === "QUIT") {
        this.judge(() => {
          throw this.broken("your client closed the connection before the server's +OK to QUIT: wait for that +OK — it says the messages marked with DELE are deleted (RFC 1939 §6)");
        });
      }
    });
  }

  // ---- what the client sent ----

  private clientSent(chunk: Buffer): void {
    this.fromClient = Buffer.concat([this.fromClient, chunk]);
    for (let end = this.fromClient.indexOf("\n"); end !== -1; end = this.fromClient.indexOf("\n")) {
      const raw = this.fromClient.subarray(0, end + 1);
      this.fromClient = this.fromClient.subarray(end + 1);
      const line = raw.toString("latin1").replace(/\r?\n$/, "");
      const shown = /^PASS /i.test(line) ? "PASS ******" : line;
      const number = this.show("C", Buffer.from(`${shown}${raw.subarray(-2).equals(CRLF) ? "\r\n" : "\n"}`, "latin1"));
      if (!raw.subarray(-2).equals(CRLF)) {
        throw this.broken(`your client ended the command "${shown}" with \\n alone: POP3 command lines end in \\r\\n (RFC 1939 §3)`, number);
      }
      if (this.state === "greeting") {
        throw this.broken(`your client sent "${shown}" before the server's greeting had arrived: the server speaks first (RFC 1939 §4) — read the "+OK …" greeting, then send USER`, number);
      }
      if (this.waitingFor.length > 0 && !this.pipelining) {
        throw this.broken(`your client sent "${shown}" before the whole answer to "${this.waitingFor[0]}" had arrived: read each answer to its end (the status line, and for LIST/RETR the lines up to ".") before the next command — a client may send several at once only after CAPA listed PIPELINING (RFC 2449 §6.6)`, number);
      }
      this.commands.push(shown);
      this.waitingFor.push(shown);
      if (this.state === "command") this.state = "status";
    }
  }

  // ---- what the server sent ----

  private serverSent(chunk: Buffer): void {
    // The cut: `afterBytes` into the answer to the first command that starts with `cut.during`.
    if (this.cut && !this.wasCut && this.waitingFor[0]?.toUpperCase().startsWith(this.cut.during)) {
      const room = this.cut.afterBytes - this.answerBytes;
      if (room <= chunk.length) {
        this.wasCut = true;
        this.client.write(chunk.subarray(0, Math.max(0, room)), () => this.destroy());
        this.show("S", Buffer.from(`[the connection is cut here, ${this.cut.afterBytes} bytes into the answer to ${this.waitingFor[0]}]`));
        this.upstream.destroy();
        this.cut.done();
        return;
      }
      this.answerBytes += chunk.length;
    }
    this.client.write(chunk);
    this.judge(() => this.serverBytes(chunk));
  }

  private serverBytes(chunk: Buffer): void {
    this.fromServer = Buffer.concat([this.fromServer, chunk]);
    for (let end = this.fromServer.indexOf("\n"); end !== -1; end = this.fromServer.indexOf("\n")) {
      const raw = this.fromServer.subarray(0, end + 1);
      this.fromServer = this.fromServer.subarray(end + 1);
      this.serverLine(raw);
    }
  }

  private serverLine(raw: Buffer): void {
    const line = raw.toString("latin1").replace(/\r?\n$/, "");
    if (this.state !== "block" || this.wire.length < 200) this.show("S", raw);
    if (this.state === "greeting") {
      this.state = "command";
      return;
    }
    if (this.state === "status") {
      const command = this.waitingFor[0] ?? "";
      if (line.startsWith("+OK") && hasBlock(command)) {
        this.state = "block";
        this.capaLines = [];
        return;
      }
      if (line.startsWith("+OK") && command.toUpperCase() === "QUIT") this.quitAnswered = true;
      if (command.toUpperCase().startsWith("PASS")) this.hold?.after();
      this.answered();
      return;
    }
    if (this.state === "block") {
      if (line !== ".") {
        this.capaLines.push(line);
        return;
      }
      if (this.waitingFor[0]?.toUpperCase() === "CAPA") this.pipelining = this.capaLines.some((l) => /^PIPELINING\b/i.test(l));
      this.answered();
    }
  }

  /** The answer to the oldest command sent is complete. */
  private answered(): void {
    this.waitingFor.shift();
    this.state = this.waitingFor.length > 0 ? "status" : "command";
  }
}

const CRLF = Buffer.from("\r\n");

/** Holds the first session's PASS until `before()` is done; `after()` runs once PASS is answered. */
export interface LoginHold {
  before(): Promise<void>;
  after(): void;
}

export interface Pop3WireOptions {
  /** Cut every connection this many bytes into the block that answers a command starting with `during` ("RETR"). */
  cut?: { during: string; afterBytes: number };
  /**
   * The first session's login waits for `before()`, and `after()` runs when the server has
   * answered its PASS — the moment the server takes the maildrop's snapshot (RFC 1939 §8's
   * "exclusive-access lock"): what changes after it shows only in the next session.
   */
  holdFirstLogin?: LoginHold;
}

export class Pop3Wire extends WireRelay<Session> {
  /** Resolves once a connection was cut (see Pop3WireOptions.cut). */
  readonly wasCut: Promise<void>;
  private markCut = () => {};

  private constructor(server: net.Server) {
    super(server, (server.address() as net.AddressInfo).port);
    this.wasCut = new Promise((resolve) => (this.markCut = resolve));
  }

  /** Starts the relay on 127.0.0.1 (a free port), in front of the POP3 server at 127.0.0.1:`targetPort`. */
  static async start(targetPort: number, options: Pop3WireOptions = {}): Promise<Pop3Wire> {
    let wire: Pop3Wire | undefined;
    const server = await listenRelay(targetPort, "127.0.0.1", (client, upstream) => {
      const cut = options.cut ? { ...options.cut, done: () => wire!.markCut() } : undefined;
      const hold = wire!.all.length === 0 ? options.holdFirstLogin : undefined;
      wire!.all.push(new Session(client, upstream, (err) => wire!.mistake(err), cut, hold));
    });
    wire = new Pop3Wire(server);
    return wire;
  }

  get sessions(): readonly Pop3Session[] {
    return this.all;
  }

  /** Call right after quit() resolved: QUIT was sent, and its +OK had reached the client by then. */
  async expectQuitAnswered(): Promise<void> {
    const session = this.all.at(-1);
    if (!session) throw new WireMistake("your client never connected");
    const answeredInTime = session.quitAnswered;
    if (!answeredInTime) {
      // A QUIT written just before quit() resolved may still be on its way: give it a moment.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([session.ended, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
    }
    if (this.failed) throw this.failed;
    if (!session.commands.some((command) => command.toUpperCase() === "QUIT")) {
      throw new WireMistake(`quit() resolved, but your client never sent QUIT: without QUIT the server deletes nothing (RFC 1939 §6)${session.excerpt(session.wire.length)}`);
    }
    if (!answeredInTime) {
      throw new WireMistake(`quit() resolved before the server's +OK to QUIT had arrived: wait for it — that +OK says the deletions were done${session.excerpt(session.wire.length)}`);
    }
  }
}
