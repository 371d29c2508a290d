// The session layer the hand-written line-protocol servers sit on (POP3, NNTP, IMAP): the
// part of a server that is not the protocol. Like Python's socketserver, the choices first:
//
// - One event loop, many clients. Each connection gets a session object running an async
//   command loop ("await the next line, answer it, repeat"). No thread or process per client:
//   a waiting session is a few objects (~2 KB), where Dovecot spends a process (~5 MB).
// - Commands are read and answered one at a time, in order. A client may send ten commands
//   at once (pipelining); they wait, unread, in the LineReader (line-protocol.ts).
// - The same connection may carry counted raw bytes between lines (IMAP's literals, "{11}"
//   at the end of a line): readBytes(n) reads exactly those.
// - What every one of these protocols needs is here, once: a line length limit, STARTTLS
//   (RFC 2595 for POP3, RFC 4642 for NNTP, RFC 3501 §6.2.1 for IMAP) that throws away what
//   was pipelined in plaintext, an idle timeout, failed logins that get slower and then
//   disconnect, a transcript with passwords masked (reported to the console and --trace through
//   session-report.ts), connection caps, listen/close.
//
// A protocol subclasses LineSession and overrides the hooks below ("Override"/"May be
// overridden"), then starts listening with serve(). Its own file keeps only what is that
// protocol's: the state diagram, the command table, one handler per command.
//
//   class Pop3Session extends LineSession {
//     protected greeting() { return "+OK ready"; }
//     protected handleLine(line: string) { … look up the command, run its handler … }
//     protected lineTooLongReply() { return "-ERR line too long"; }
//     protected idleReply(seconds: number) { return `-ERR idle for ${seconds} seconds`; }
//   }
//   await serve({ host, port, tooManyConnections: "-ERR [SYS/TEMP] too many connections",
//                 startSession: (socket) => new Pop3Session(socket, settings) });
//
// Output: reply() sends one line; sendLines()/sendBlock() a dot-stuffed multi-line block;
// write() raw bytes (an IMAP literal). All wait for a slow reader (backpressure) where it
// matters. push() is for lines that come from OUTSIDE the command loop (IMAP's untagged
// "* 5 EXISTS" during IDLE, because another session delivered): it never lands inside a
// response that is being streamed, but right after it.

import { createHash, timingSafeEqual } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { checkedLine, DotBlockEnd, DotStuffer, LineReader, LineTooLongError } from "./line-protocol.ts";
import { drained, listen, type Listening } from "./sockets.ts";
import { ConnectionLimits } from "./connection-limits.ts";
import type { Activity, SessionEnd, StoredItem } from "./activity.ts";
import { endOfError, reportsTo, reportTime, SessionReporter } from "./session-report.ts";
import type { Side } from "./transcript.ts";

export interface SessionSettings {
  /** The protocol's name in the console: "pop3", "pop3s", "imap", "imaps", "nntp" (default: traceAs without " #"). */
  protocol?: string;
  /** Trace lines start with this and the session's number: "pop3 #" → "pop3 #12 C: STAT\r\n". */
  traceAs: string;
  /** Live C:/S: lines (npm start -- --trace); none when absent. */
  trace?: (line: string) => void;
  /** Where sessions are reported (the console); see servers/session-report.ts. */
  activity?: Activity;
  /** Rewrites a transcript line before it is shown: hide passwords (masks.ts). */
  mask?: (line: string, side: Side) => string;
  /** Longest command line in octets, CRLF included (RFC 2449 §4: 255 for POP3; RFC 3977 §3.1: 512). */
  maxLineLength: number;
  /** A client silent this long gets idleReply() and is disconnected. */
  idleTimeoutMs: number;
  /** For STARTTLS; null when the server has no certificate. */
  secureContext: tls.SecureContext | null;
  /** Passwords only over TLS (beyond loopback): plainLoginAllowed() is false until STARTTLS. */
  requireTlsForLogin: boolean;
  /** The n-th failed login of a connection waits n × this before its answer (0: at once). */
  failedLoginDelayMs: number;
  /** After this many failed logins the connection is closed. */
  maxFailedLogins: number;
}

let sessionCount = 0;

/** Bytes to send, and whether they are (part of) a message's lines: a body for the transcript (LineSession.writeParts). */
export interface WritePart {
  bytes: Buffer;
  body: boolean;
}

export abstract class LineSession {
  /** The connection: a net.Socket, or a tls.TLSSocket once TLS runs (implicit TLS or STARTTLS). */
  socket: net.Socket;
  /** True once the connection is encrypted. */
  secure: boolean;
  /** Set by close(): no more commands are read. */
  closing = false;
  readonly id = ++sessionCount;
  private reader: LineReader;
  private failedLogins = 0;
  private streaming = 0; // > 0 while a multi-part response is being written
  private pushed: string[] = []; // push()ed lines waiting for that response to end
  /** Set while the client sends a body (NNTP's article after 340): where it ends, for the transcript. */
  private clientBody: DotBlockEnd | null = null;
  /** Reports this session (the console, --trace); null when nobody watches. */
  protected readonly report: SessionReporter | null;
  private endedBy: SessionEnd | null = null;

  constructor(
    socket: net.Socket,
    readonly settings: SessionSettings,
  ) {
    this.socket = socket;
    this.secure = socket instanceof tls.TLSSocket;
    this.reader = new LineReader(socket, { maxLineLength: settings.maxLineLength });
    const activity = reportsOf(settings);
    this.report = activity
      ? new SessionReporter(activity, {
          protocol: settings.protocol ?? settings.traceAs.replace(/\s*#$/, ""),
          port: socket.localPort ?? 0,
          client: `${socket.remoteAddress}:${socket.remotePort}`,
          tls: this.secure,
          label: `${settings.traceAs}${this.id}`,
          mask: settings.mask,
        })
      : null;
    this.watch(socket);
  }

  // -------------------------------------------------------------------------------------
  // The hooks.

  /** Override: the first line the server sends ("+OK POP3 ready", "200 news ready", "* OK"). */
  protected abstract greeting(): string;

  /** Override: answer one command line (without its CRLF). The next line is read only after it. */
  protected abstract handleLine(line: string): Promise<void> | void;

  /** Override: the answer to a line over settings.maxLineLength (the line has been skipped). */
  protected abstract lineTooLongReply(): string;

  /** Override: the last words to a client that was silent for settings.idleTimeoutMs. */
  protected abstract idleReply(seconds: number): string;

  /** May be overridden: after STARTTLS, forget what was said in plaintext (a half-done login …). */
  protected tlsStarted(): void {}

  /** May be overridden: the session is over, however it ended (a QUIT, a reset, a timeout): release locks. */
  protected ended(): void {}

  // -------------------------------------------------------------------------------------
  // The command loop.

  /** Greets, then reads and answers lines one by one until close() or the connection ends. */
  async run(): Promise<void> {
    try {
      this.report?.note("C", `connected from ${this.socket.remoteAddress}:${this.socket.remotePort}`);
      this.reply(this.greeting());
      while (!this.closing) {
        let line: string | null;
        try {
          line = await this.readLine();
        } catch (err) {
          if (!(err instanceof LineTooLongError)) throw err;
          this.reply(this.lineTooLongReply());
          continue;
        }
        if (line === null) break; // the client closed or vanished
        await this.handleLine(line);
      }
    } catch (err) {
      // A reset, a failed TLS handshake, a write to a vanished client: the session just ends.
      this.endedBy ??= endOfError(err);
      this.report?.note("S", `session error: ${(err as Error).message}`);
    } finally {
      this.ended();
      this.socket.destroySoon();
      this.report?.note("S", "session ended");
      // Nobody called close(): the client closed its side (TCP FIN) without saying QUIT.
      this.report?.closed(this.endedBy ?? "FIN");
    }
  }

  // -------------------------------------------------------------------------------------
  // Reading. Inside a handler, for what follows the command line.

  /** The next line as UTF-8 text; null when the client has closed. LineTooLongError past the limit. */
  readLine(maxLineLength = this.settings.maxLineLength): Promise<string | null> {
    return this.reader.readLine(maxLineLength);
  }

  /** Exactly `count` raw bytes (an IMAP literal after "{count}" and, if synchronizing, "+ go ahead"); null if the client closed first. */
  readBytes(count: number): Promise<Buffer | null> {
    return this.reader.readBytes(count);
  }

  /**
   * A dot-stuffed block the client sends (NNTP's POST), unstuffed, read to its "." line even
   * when it is refused (BlockTooBigError, LineTooLongError); UnfinishedBlockError if the client left.
   */
  readDotBlock(limits: { maxBytes: number; maxLineLength: number }): Promise<Buffer> {
    return this.reader.readDotBlock(limits);
  }

  // -------------------------------------------------------------------------------------
  // Writing.

  /** One line; CRLF is added. A line with CR or LF inside is refused (no reply injection). */
  reply(line: string): void {
    if (this.socket.destroyed) return;
    const text = checkedLine(line);
    this.clientBody = null; // the server speaks only once a client's body has ended (or never will)
    this.report?.data("S", Buffer.from(text));
    this.socket.write(text);
  }

  /**
   * A line from outside the command loop (IMAP's "* 5 EXISTS" while the client IDLEs): sent at
   * once, unless a response is being streamed right now — then just after it, never inside it.
   */
  push(line: string): void {
    if (this.streaming > 0) this.pushed.push(line);
    else this.reply(line);
  }

  /**
   * Bytes as they are (an IMAP literal, a response built by hand); waits while the client's buffer
   * is full. `body`: they are (part of) a message's lines, data for the transcript (not masked,
   * and sent to the console as raw text: SessionReporter.body).
   */
  async write(data: Buffer | string, body = false): Promise<void> {
    return this.writeParts([{ bytes: typeof data === "string" ? Buffer.from(data) : data, body }]);
  }

  /**
   * write() of several parts in one write on the wire (one system call), each reported as what
   * it is: an IMAP FETCH response's words, and the messages' text in its literals (`body`).
   */
  async writeParts(parts: WritePart[]): Promise<void> {
    if (this.socket.destroyed) throw new Error("the client went away during the transfer");
    this.clientBody = null;
    for (const { bytes, body } of parts) {
      if (body) this.report?.body("S", bytes);
      else this.report?.data("S", bytes);
    }
    const bytes = parts.length === 1 ? parts[0]!.bytes : Buffer.concat(parts.map((part) => part.bytes));
    if (!this.socket.write(bytes)) await drained(this.socket);
  }

  /**
   * Runs `work` (several writes that make one response: a FETCH of 500 messages) as one piece:
   * lines push()ed meanwhile wait until it is done.
   */
  async uninterrupted<T>(work: () => Promise<T>): Promise<T> {
    this.streaming++;
    try {
      return await work();
    } finally {
      if (--this.streaming === 0) for (const line of this.pushed.splice(0)) this.reply(line);
    }
  }

  /** A status line and a multi-line block of short lines (LIST, OVER, CAPA …), dot-stuffed. */
  sendLines(status: string, lines: string[]): Promise<void> {
    // A line holding a line break of its own goes through the DotStuffer like any content, so
    // that nothing in it can pass for the final "." line.
    if (lines.some((line) => line.includes("\n") || line.includes("\r"))) {
      return this.sendBlock(status, Buffer.from(lines.map((line) => line + "\n").join("")));
    }
    // The usual case, built as text: each line with its CRLF, a "." in front where it starts with one.
    const text = lines.map((line) => (line.startsWith(".") ? "." + line : line) + "\r\n").join("");
    return this.uninterrupted(() => this.write(checkedLine(status) + text + ".\r\n"));
  }

  /**
   * A status line, then `content` (LF or CRLF lines: a message, an article) as a dot-stuffed
   * block ending in ".\r\n". Small blocks go out in one write (one TCP segment); big ones 64 KB
   * at a time, waiting whenever the client reads more slowly than we send, instead of piling it
   * up in memory. For the transcript the block, its "." included, is a body (see write()).
   */
  sendBlock(status: string, content: Buffer): Promise<void> {
    return this.uninterrupted(async () => {
      const stuffer = new DotStuffer();
      if (content.length <= PIECE) {
        // One write on the wire; two parts for the transcript: the status line is a reply, the rest a body.
        const block = Buffer.concat([stuffer.encode(content), stuffer.end()]);
        return this.writeParts([{ bytes: Buffer.from(checkedLine(status)), body: false }, { bytes: block, body: true }]);
      }
      this.reply(status);
      for (let at = 0; at < content.length; at += PIECE) await this.write(stuffer.encode(content.subarray(at, at + PIECE)), true);
      await this.write(stuffer.end(), true);
    });
  }

  // -------------------------------------------------------------------------------------
  // Logging in.

  /** The client has logged in as `account` (the console shows it, and its owner may watch). */
  loggedIn(account: string): void {
    this.report?.changed({ account });
  }

  /** Something this session made (an article posted): the console shows it. */
  stored(item: Omit<StoredItem, "sessionId" | "at">): void {
    reportsOf(this.settings)?.stored({ ...item, sessionId: this.report?.id, at: reportTime() });
  }

  /** Passwords may be sent: on loopback, or once the connection is encrypted. */
  plainLoginAllowed(): boolean {
    return this.secure || !this.settings.requireTlsForLogin;
  }

  /**
   * A wrong name or password. Each failure waits longer before it is answered (n × the delay),
   * so guessing passwords is slow; after settings.maxFailedLogins the connection is closed
   * with `lastReply` instead of `reply`.
   */
  async loginFailed(reply: string, lastReply: string): Promise<void> {
    this.failedLogins++;
    if (this.settings.failedLoginDelayMs > 0) await sleep(this.failedLogins * this.settings.failedLoginDelayMs);
    if (this.failedLogins >= this.settings.maxFailedLogins) {
      this.reply(lastReply);
      return this.close("refused");
    }
    this.reply(reply);
  }

  /**
   * STARTTLS: sends `goAhead` ("+OK begin TLS", "382 continue"), then the TLS handshake runs on
   * this same TCP connection. Anything the client sent after the command in plaintext (already
   * in our buffer) is thrown away: an attacker in the middle could have added it, and it must
   * not count as "encrypted" (CVE-2011-0411, "STARTTLS command injection"). Then tlsStarted().
   */
  startTls(goAhead: string): void {
    if (!this.settings.secureContext) throw new Error("startTls() needs settings.secureContext");
    this.reader.detach();
    this.unwatch(this.socket);
    this.reply(goAhead);
    this.report?.note("S", "TLS handshake");
    this.report?.changed({ tls: true });
    const secureSocket = new tls.TLSSocket(this.socket, { isServer: true, secureContext: this.settings.secureContext });
    secureSocket.on("error", () => {}); // a failed handshake ends the session through the reader
    this.socket = secureSocket;
    this.secure = true;
    this.reader = new LineReader(secureSocket, { maxLineLength: this.settings.maxLineLength });
    this.watch(secureSocket);
    this.tlsStarted();
  }

  /** Ends the session: no more lines are read; the connection closes after the last reply. */
  close(how: SessionEnd = "QUIT"): void {
    this.endedBy ??= how;
    this.closing = true;
    this.reader.detach(); // wakes the command loop, which ends the session
    this.socket.end();
  }

  // -------------------------------------------------------------------------------------
  // The idle timer and the transcript of what the client sends.

  /**
   * The client's next bytes are a body, up to its "." line (NNTP's article after "340 send it"):
   * data for the transcript, not commands. Call it right after the reply that asks for the body.
   * It ends at the "." line, or when the server next speaks (which it does only after the body).
   * Bytes the client sent before that reply (it should not) were shown as lines already.
   */
  protected clientBodyFollows(): void {
    if (this.report) this.clientBody = new DotBlockEnd();
  }

  private readonly onClientData = (chunk: Buffer) => {
    if (this.report) this.clientBody = this.report.clientData(chunk, this.clientBody);
  };
  private readonly onIdle = () => {
    if (this.closing) return this.socket.destroy(); // already said goodbye and still there
    this.reply(this.idleReply(Math.round(this.settings.idleTimeoutMs / 1000)));
    this.close("timeout");
  };

  private watch(socket: net.Socket): void {
    socket.setTimeout(this.settings.idleTimeoutMs);
    socket.on("timeout", this.onIdle);
    if (this.report) socket.on("data", this.onClientData);
  }

  private unwatch(socket: net.Socket): void {
    socket.setTimeout(0);
    socket.off("timeout", this.onIdle);
    socket.off("data", this.onClientData);
  }
}

const PIECE = 64 * 1024;

// One reporting target per server (its settings object): the console's activity, and a --trace printer.
const reportTargets = new WeakMap<SessionSettings, Activity | undefined>();
function reportsOf(settings: SessionSettings): Activity | undefined {
  if (!reportTargets.has(settings)) reportTargets.set(settings, reportsTo(settings.activity, settings.trace));
  return reportTargets.get(settings);
}

// ---------------------------------------------------------------------------------------
// Secrets.

/** Compares secrets in constant time, so the time taken does not leak how much matched. */
export function sameSecret(given: string, expected: string): boolean {
  const hash = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(hash(given), hash(expected)) && expected !== "";
}

// The transcript masks (maskSecrets and each protocol's) live in masks.ts: the supervisor uses
// them too, when it cuts a worker's sessions into lines (session-report.ts: RawCut).

// ---------------------------------------------------------------------------------------
// Listening.

export interface ServeOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** TLS from the first byte (POP3S on 995, IMAPS on 993); otherwise plaintext (STARTTLS may follow). */
  implicitTls?: tls.SecureContext;
  /** Concurrent connections from one client address (default 200). */
  maxConnectionsPerAddress?: number;
  /** Concurrent connections in total (default 1000). */
  maxConnections?: number;
  /** The line a connection over a cap gets before it is closed ("-ERR [SYS/TEMP] too many connections"). */
  tooManyConnections: string;
  /** Names the server in trace lines: "pop3s TLS handshake failed: …". */
  label: string;
  /** Where refusals and failed implicit-TLS handshakes are reported (npm start -- --trace). */
  trace?: (line: string) => void;
  /** A new session for a connection that got in; serve() runs it. */
  startSession: (socket: net.Socket) => LineSession;
}

/**
 * Listens on host:port and runs a session per connection. Resolves once it listens; a listen
 * error (EADDRINUSE …) rejects with the original error, its `.port` set (sockets.ts).
 * Each connection is counted from the moment TCP accepts it (a client that never finishes
 * its TLS handshake counts too), so one address cannot take every socket the process has.
 */
export function serve(options: ServeOptions): Promise<Listening> {
  const limits = new ConnectionLimits({ perAddress: options.maxConnectionsPerAddress ?? 200, total: options.maxConnections ?? 1000 });

  const listener = net.createServer((socket) => {
    // Errors (a reset, a client that vanished) end the session through its LineReader;
    // this listener only keeps an 'error' without other listeners from crashing the process.
    socket.on("error", () => {});
    // Replies are small and each one is awaited by the client: send them at once instead of
    // letting Nagle's algorithm hold a small write back until the previous one is ACKed.
    socket.setNoDelay(true);
    const address = socket.remoteAddress ?? "";
    const overCap = limits.take(socket) !== null;

    const start = (connection: net.Socket) => {
      if (!overCap) return void options.startSession(connection).run();
      // A clear refusal in the protocol's words (RFC 3206 §4 [SYS/TEMP], RFC 3977 400), then close.
      connection.end(options.tooManyConnections + "\r\n");
      options.trace?.(`${options.label} refused ${address}: ${options.tooManyConnections}`);
    };
    if (!options.implicitTls) return start(socket);
    // Implicit TLS: the session starts once the handshake is done ('secure').
    const secureSocket = new tls.TLSSocket(socket, { isServer: true, secureContext: options.implicitTls });
    let handshakeDone = false;
    secureSocket.on("error", (err: Error) => {
      // A client that fails the handshake (it does not trust our certificate …) is its problem;
      // later errors end the session through its LineReader.
      if (!handshakeDone) options.trace?.(`${options.label} TLS handshake failed: ${err.message}`);
      socket.destroy();
    });
    secureSocket.once("secure", () => {
      handshakeDone = true;
      start(secureSocket);
    });
  });
  return listen(listener, options.port, options.host);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
