// A recording relay in front of the playground's IMAP server, for the checks of lesson 15:
//
//   the learner's client ──▶ ImapWire (records and judges) ──▶ the check's network ──▶ IMAP server
//
// It reads both directions as IMAP (lines, and literals {n} counted in bytes), so it can hold
// the client to the conversation whatever the server tolerates:
//   - the server speaks first: no command before the greeting (RFC 3501 §7.1.1);
//   - every command line ends in \r\n (§2.2);
//   - after a line that ends in {n} (a synchronizing literal) the client sends nothing until
//     the server's "+" (§7.5);
//   - after LOGOUT, the client reads the tagged OK before it closes (§6.1.3).
// It can also make the real server speak out of turn: before the "+" of the first APPEND it
// runs `beforeContinuation` (which delivers new mail), sends a NOOP of its own to the server,
// passes the server's untagged answers ("* 4 EXISTS") on to the client and swallows the NOOP's
// tagged OK — so the client meets real untagged data before its continuation, as RFC 3501
// §7 allows at any time.
// The relay's plumbing (listening, wire lines, a broken rule's message, step()) is the kit's,
// shared with lessons 07 and 09: test/kit/wire-relay.ts.

import net from "node:net";
import { escapeBytes } from "../../../servers/transcript.ts";
import { listenRelay, RelaySession, WireMistake, WireRelay } from "../../kit/wire-relay.ts";

export interface ImapWireOptions {
  /** Runs before the relay lets the server answer the first APPEND's {n} (see the top of this file). */
  beforeContinuation?: () => Promise<void>;
  /** Cuts the connection this many bytes into the answer to the first command that matches `during`, like a dropped Wi-Fi. */
  cut?: { during: RegExp; afterBytes: number; done: () => void };
}

/** Reads one direction of an IMAP stream: whole lines, and the literals their {n} announce. */
class StreamReader {
  private buffer = Buffer.alloc(0);
  private literal = 0; // bytes of a literal still to come

  constructor(private readonly onLine: (raw: Buffer, line: string) => void) {}

  push(chunk: Buffer, literalAllowed: () => boolean, onLiteralBytes: (count: number) => void): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.literal > 0) {
        if (this.buffer.length === 0) return;
        if (!literalAllowed()) return onLiteralBytes(-1);
        const take = Math.min(this.literal, this.buffer.length);
        this.buffer = this.buffer.subarray(take);
        this.literal -= take;
        onLiteralBytes(take);
        continue;
      }
      const end = this.buffer.indexOf("\n");
      if (end === -1) return;
      const raw = this.buffer.subarray(0, end + 1);
      this.buffer = this.buffer.subarray(end + 1);
      const line = raw.toString("utf8").replace(/\r?\n$/, "");
      this.onLine(raw, line);
      const announced = /\{(\d+)\+?\}$/.exec(line);
      if (announced) this.literal = Number(announced[1]);
    }
  }
}

const NEWS_BEFORE_CONTINUATION_MS = 300;

class Session extends RelaySession {
  private greeted = false;
  private awaitingContinuation = false; // the client announced a synchronizing literal
  private logoutTag: string | null = null;
  private logoutAnswered = false;
  private injected = false;
  private holding: Buffer[] | null = null; // client bytes held while the relay's NOOP runs
  private swallowTag: string | null = null;
  private swallowBuffer = Buffer.alloc(0);
  private readonly fromClient: StreamReader;
  private readonly fromServer: StreamReader;

  constructor(
    client: net.Socket,
    upstream: net.Socket,
    mistake: (err: WireMistake) => void,
    private readonly options: ImapWireOptions,
  ) {
    super(client, upstream, mistake, "the relay");
    this.fromClient = new StreamReader((raw, line) => this.judge(() => this.clientLine(raw, line)));
    this.fromServer = new StreamReader((raw, line) => this.serverLine(raw, line));
    client.on("data", (chunk: Buffer) => this.judge(() => this.clientData(chunk)));
    upstream.on("data", (chunk: Buffer) => this.serverData(chunk));
    upstream.on("end", () => client.end());
    upstream.on("error", () => client.destroy());
    this.whenClientGone(() => {
      if (this.logoutTag && !this.logoutAnswered) {
        this.judge(() => {
          throw this.broken("your client closed the connection before the server's tagged OK to LOGOUT: read the answer to every command to its tagged line (RFC 3501 §6.1.3)");
        });
      }
    });
  }

  // ---- the client's side ----

  private clientData(chunk: Buffer): void {
    this.fromClient.push(
      chunk,
      () => !this.awaitingContinuation,
      (count) => {
        if (count === -1) {
          throw this.broken(
            "your client sent the literal's bytes before the server's \"+\": after a line ending in {n}, wait for the continuation request (\"+ …\") — the server may still say NO, or send untagged lines first (RFC 3501 §7.5)",
          );
        }
        this.show("C", Buffer.from(`[${count} bytes of literal]`));
      },
    );
    // While the relay's own NOOP runs (see hold()), the client's bytes wait.
    if (this.holding) this.holding.push(chunk);
    else this.upstream.write(chunk);
  }

  private clientLine(raw: Buffer, line: string): void {
    const crlf = raw.length >= 2 && raw[raw.length - 2] === 0x0d;
    const shown = /^\S+ LOGIN /i.test(line) ? `${line.split(" ").slice(0, 3).join(" ")} ******` : line;
    const number = this.show("C", Buffer.from(`${shown}${crlf ? "\r\n" : "\n"}`));
    if (!crlf) throw this.broken(`your client ended the line "${shown}" with \\n alone: IMAP lines end in \\r\\n (RFC 3501 §2.2)`, number);
    if (!this.greeted) throw this.broken(`your client sent "${shown}" before the server's greeting had arrived: the server speaks first ("* OK …", RFC 3501 §7.1.1)`, number);
    if (/^\S+ LOGOUT$/i.test(line)) this.logoutTag = line.split(" ")[0]!;
    if (this.options.cut && this.cutting === null && this.options.cut.during.test(line)) this.cutting = 0;
    if (/\{\d+\}$/.test(line)) {
      this.awaitingContinuation = true;
      if (/^\S+ APPEND /i.test(line) && this.options.beforeContinuation && !this.injected) this.hold();
    }
  }

  /** The first APPEND's {n}: deliver mail, ask the server for news with our own NOOP, then go on. */
  private hold(): void {
    this.injected = true;
    this.holding = []; // the APPEND line itself waits too: no "+" before the news
    void (async () => {
      await this.options.beforeContinuation!().catch(() => {});
      this.swallowTag = "RELAY1";
      this.upstream.write("RELAY1 NOOP\r\n");
    })();
  }

  private release(): void {
    const held = this.holding ?? [];
    this.holding = null;
    this.upstream.write(Buffer.concat(held));
  }

  // ---- the server's side ----

  private serverData(chunk: Buffer): void {
    if (this.swallowTag) {
      // Our NOOP's answer: pass its untagged lines on, keep its tagged line for ourselves.
      this.swallowBuffer = Buffer.concat([this.swallowBuffer, chunk]);
      for (let end = this.swallowBuffer.indexOf("\n"); end !== -1; end = this.swallowBuffer.indexOf("\n")) {
        const raw = this.swallowBuffer.subarray(0, end + 1);
        this.swallowBuffer = this.swallowBuffer.subarray(end + 1);
        if (raw.toString("latin1").startsWith(`${this.swallowTag} `)) {
          this.show("S", Buffer.from(`[the relay's own NOOP was answered: ${escapeBytes(raw)}]`));
          this.swallowTag = null;
          const rest = this.swallowBuffer;
          this.swallowBuffer = Buffer.alloc(0);
          if (rest.length > 0) this.serverData(rest);
          // A pause between the news and the "+", so that a client that takes the first line
          // after its {n} for the "+" sends its literal too early — every time, not by chance.
          setTimeout(() => this.release(), NEWS_BEFORE_CONTINUATION_MS);
          return;
        }
        this.forward(raw);
      }
      return;
    }
    this.forward(chunk);
  }

  private cutting: number | null = null; // bytes of the answer to cut during, so far

  private forward(chunk: Buffer): void {
    const cut = this.options.cut;
    if (cut && this.cutting !== null && this.cutting !== -1) {
      const room = cut.afterBytes - this.cutting;
      if (room <= chunk.length) {
        this.cutting = -1; // once
        this.show("S", Buffer.from(`[the connection is cut here, ${cut.afterBytes} bytes into the answer]`));
        this.client.write(chunk.subarray(0, Math.max(0, room)), () => this.destroy());
        this.upstream.destroy();
        cut.done();
        return;
      }
      this.cutting += chunk.length;
    }
    this.client.write(chunk);
    this.fromServer.push(
      chunk,
      () => true,
      (count) => this.show("S", Buffer.from(`[${count} bytes of literal]`)),
    );
  }

  private serverLine(raw: Buffer, line: string): void {
    if (this.wire.length < 400) this.show("S", raw);
    if (!this.greeted) {
      this.greeted = true;
      return;
    }
    if (line.startsWith("+")) this.awaitingContinuation = false;
    const tag = line.split(" ")[0];
    if (tag && tag === this.logoutTag) this.logoutAnswered = true;
    if (tag && tag !== "*" && tag !== "+") this.awaitingContinuation = false; // a NO instead of "+"
  }

  get sawLogout(): boolean {
    return this.logoutTag !== null;
  }

  get logoutWasAnswered(): boolean {
    return this.logoutAnswered;
  }
}

export class ImapWire extends WireRelay<Session> {
  private constructor(server: net.Server) {
    super(server, (server.address() as net.AddressInfo).port);
  }

  /** Starts the relay on 127.0.0.1 (a free port), in front of the IMAP server at 127.0.0.1:`targetPort`. */
  static async start(targetPort: number, options: ImapWireOptions = {}): Promise<ImapWire> {
    let wire: ImapWire | undefined;
    const server = await listenRelay(targetPort, "127.0.0.1", (client, upstream) => {
      wire!.all.push(new Session(client, upstream, (err) => wire!.mistake(err), options));
    });
    wire = new ImapWire(server);
    return wire;
  }

  /** Call right after logout() resolved: LOGOUT was sent, and its tagged OK had reached the client. */
  async expectLogoutAnswered(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 100)); // a close just after logout() resolved
    if (this.failed) throw this.failed;
    const session = this.all.at(-1);
    if (!session) throw new WireMistake("your client never connected");
    if (!session.sawLogout) throw new WireMistake(`logout() resolved, but your client never sent LOGOUT${session.excerpt(session.wire.length)}`);
    if (!session.logoutWasAnswered) {
      throw new WireMistake(`logout() resolved before the server's tagged OK to LOGOUT had arrived${session.excerpt(session.wire.length)}`);
    }
  }
}
