// The playground's POP3 server, written by hand so you can read it next to its RFCs:
//   RFC 1939  Post Office Protocol, Version 3 (the commands, the three states)
//   RFC 2449  POP3 Extension Mechanism (CAPA, response codes like [IN-USE], 255-octet lines)
//   RFC 2595  Using TLS with IMAP, POP3 and ACAP (the STLS command)
//   RFC 3206  The SYS and AUTH POP Response Codes
//
// A POP3 session walks through three states (RFC 1939 §3):
//
//   AUTHORIZATION ──USER+PASS or APOP──▶ TRANSACTION ──QUIT──▶ UPDATE ──▶ connection closed
//      (who are you?)                    (STAT LIST RETR DELE …)  (deleted messages are removed)
//
// Only a QUIT in TRANSACTION state reaches UPDATE. A connection that drops, times out or is
// killed never does, so DELE only marks a message and nothing is lost until QUIT.
//
// Messages come from the user's Maildir (maildrop.ts). RETR sends the file through the
// DotStuffer (line-protocol.ts): LF → CRLF, "." at a line start → "..", then ".\r\n" —
// one message at a time, never the whole mailbox in memory; a message under 64 KB in one
// read and one write, a bigger one streamed 64 KB at a time.
//
// Users log in with their FULL address (USER me@example.com), like at most real providers:
// the playground hosts two domains, so "me" alone would be ambiguous.
//
// This file is POP3's own: the command table, one handler per command, the session's state.
// Reading lines (255 octets at most), STLS, the idle timer, slower failed logins, connection
// caps and the --trace transcript are the session layer's (servers/session.ts), shared with
// the news server.

import { createHash, randomBytes } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import net from "node:net";
import { hostname } from "node:os";
import tls from "node:tls";
import { DotStuffer } from "../line-protocol.ts";
import { isLoopback } from "../loopback.ts";
import type { Activity } from "../activity.ts";
import { POP3_MASK } from "../masks.ts";
import { LineSession, sameSecret, serve, type SessionSettings } from "../session.ts";
import type { Listening } from "../sockets.ts";
import { findAccount, type MailAccount } from "./accounts.ts";
import { Maildrop, lockMaildrop, type MaildropMessage } from "./maildrop.ts";

export interface Pop3Options {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** POP3S (like port 995): TLS from the first byte. Otherwise plain text, with STLS offered. */
  implicitTls?: boolean;
  /** For STLS and implicit TLS. */
  tls: { key: string; cert: string };
  /** <dataDir>/mail: one Maildir per address. */
  mailRoot: string;
  accounts: MailAccount[];
  /** Live C:/S: lines (npm start -- --trace). */
  trace?: (line: string) => void;
  /** Where sessions are reported (the console, servers/activity.ts). */
  activity?: Activity;
  /** RFC 1939 §3: an idle client is logged out; "at least 10 minutes" (the default). */
  idleTimeoutMs?: number;
  /** The n-th failed login of a connection waits n × this before its -ERR (default 1000). */
  failedLoginDelayMs?: number;
  /** After this many failed logins the connection is closed (default 3). */
  maxFailedLogins?: number;
  /** Refuse USER/PASS before STLS (default: only when listening on a non-loopback address). */
  requireTlsForLogin?: boolean;
  /** Concurrent connections from one client address (default 200); more get -ERR [SYS/TEMP]. */
  maxConnectionsPerAddress?: number;
  /** Concurrent connections in total (default 1000). */
  maxConnections?: number;
}

type State = "AUTHORIZATION" | "TRANSACTION" | "UPDATE";

/** A message with its number in this session (1, 2, 3 …). */
interface NumberedMessage {
  number: number;
  message: MaildropMessage;
}

/** RFC 2449 §4: a command line is at most 255 octets, CRLF included. */
const MAX_COMMAND_LINE = 255;
const TEN_MINUTES = 10 * 60 * 1000;
/** Messages under this size are read and sent in one piece; bigger ones are streamed 64 KB at a time. */
const SMALL_MESSAGE = 64 * 1024;

interface Server {
  options: Pop3Options;
  /** What the session layer needs: limits, TLS, the trace, the failed-login policy. */
  session: SessionSettings;
}

// ---------------------------------------------------------------------------------------
// The command table: command word → the states it is allowed in, and its handler.

interface Command {
  states: State[];
  handler: (session: Pop3Session, argument: string) => Promise<void> | void;
}

const COMMANDS: Record<string, Command> = {
  CAPA: { states: ["AUTHORIZATION", "TRANSACTION"], handler: handleCapa },
  STLS: { states: ["AUTHORIZATION"], handler: handleStls },
  USER: { states: ["AUTHORIZATION"], handler: handleUser },
  PASS: { states: ["AUTHORIZATION"], handler: handlePass },
  APOP: { states: ["AUTHORIZATION"], handler: handleApop },
  STAT: { states: ["TRANSACTION"], handler: handleStat },
  LIST: { states: ["TRANSACTION"], handler: handleList },
  UIDL: { states: ["TRANSACTION"], handler: handleUidl },
  RETR: { states: ["TRANSACTION"], handler: handleRetr },
  TOP: { states: ["TRANSACTION"], handler: handleTop },
  DELE: { states: ["TRANSACTION"], handler: handleDele },
  RSET: { states: ["TRANSACTION"], handler: handleRset },
  NOOP: { states: ["TRANSACTION"], handler: handleNoop },
  QUIT: { states: ["AUTHORIZATION", "TRANSACTION"], handler: handleQuit },
};

// RFC 2449 §5: CAPA lists what this server can do, one capability per line. PIPELINING
// (RFC 2449 §6.6) is true because commands are read and answered strictly one after another.
function handleCapa(session: Pop3Session): Promise<void> {
  const capabilities = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
  if (session.plainLoginAllowed()) capabilities.push("USER");
  // RFC 2595 §4: STLS only before login, and only while the connection is not yet encrypted.
  if (session.state === "AUTHORIZATION" && !session.secure) capabilities.push("STLS");
  capabilities.push("IMPLEMENTATION Socket-Playground-POP3");
  return session.sendLines("+OK capability list follows", capabilities);
}

// RFC 2595 §4: STLS switches this same connection to TLS, then AUTHORIZATION starts over.
function handleStls(session: Pop3Session): void {
  if (session.secure) return session.reply("-ERR this connection is already using TLS");
  session.startTls("+OK begin TLS negotiation");
}

// RFC 1939 §7: USER names the maildrop; the password follows in PASS.
function handleUser(session: Pop3Session, name: string): void {
  if (!session.plainLoginAllowed()) return session.reply("-ERR [AUTH] plain-text login needs TLS here: send STLS first (or use POP3S)");
  if (!name) return session.reply("-ERR USER needs your address, e.g. USER me@example.com");
  if (!name.includes("@")) return session.reply("-ERR [AUTH] log in with your full address, e.g. USER me@example.com");
  session.userName = name;
  // The same answer whether or not the user exists: a stranger learns nothing from USER.
  session.reply("+OK now send your password with PASS");
}

/**
 * A wrong name or password: the session layer answers slower each time (1 s, 2 s, 3 s … by
 * default), so guessing passwords is slow; after a few the connection is closed.
 * RFC 3206 §4: [AUTH] says "the credentials were wrong", not "try again later".
 */
const WRONG_LOGIN = ["-ERR [AUTH] wrong address or password", "-ERR [AUTH] too many failed logins, closing the connection"] as const;

// RFC 1939 §7: PASS completes USER. Its one argument may contain spaces.
async function handlePass(session: Pop3Session, password: string): Promise<void> {
  if (session.userName === null) return session.reply("-ERR send USER with your address first");
  const account = session.findAccount(session.userName);
  session.userName = null;
  if (!account || !sameSecret(password, account.password)) return session.loginFailed(...WRONG_LOGIN);
  await session.openMaildrop(account);
}

// RFC 1939 §7: APOP name digest — digest = MD5(greeting timestamp + password), in hex.
// The password itself never crosses the network (but MD5 of a weak password is easy to guess
// from a recording: today TLS + PASS is the better choice).
async function handleApop(session: Pop3Session, argument: string): Promise<void> {
  const [name, digest, extra] = argument.split(" ");
  if (!name || !digest || extra !== undefined) return session.reply("-ERR usage: APOP <address> <md5-digest>");
  const account = session.findAccount(name);
  const expected = account ? createHash("md5").update(session.timestamp + account.password).digest("hex") : "";
  if (!account || !sameSecret(digest.toLowerCase(), expected)) return session.loginFailed(...WRONG_LOGIN);
  await session.openMaildrop(account);
}

// RFC 1939 §5: STAT → "+OK count octets", not counting messages marked as deleted.
function handleStat(session: Pop3Session): void {
  const live = session.liveMessages();
  session.reply(`+OK ${live.length} ${sumOctets(live)}`);
}

// RFC 1939 §5: LIST [n] → the size of one message, or "n octets" for each message.
async function handleList(session: Pop3Session, argument: string): Promise<void> {
  if (argument) {
    const found = session.findMessage(argument);
    if (found) session.reply(`+OK ${found.number} ${found.message.octets}`);
    return;
  }
  const live = session.liveMessages();
  await session.sendLines(
    `+OK ${live.length} messages (${sumOctets(live)} octets)`,
    live.map(({ number, message }) => `${number} ${message.octets}`),
  );
}

// RFC 1939 §7: UIDL [n] → a unique id per message that stays the same across sessions.
async function handleUidl(session: Pop3Session, argument: string): Promise<void> {
  if (argument) {
    const found = session.findMessage(argument);
    if (found) session.reply(`+OK ${found.number} ${found.message.unique}`);
    return;
  }
  const live = session.liveMessages();
  await session.sendLines("+OK unique-id listing follows", live.map(({ number, message }) => `${number} ${message.unique}`));
}

// RFC 1939 §5: RETR n → the whole message as a multi-line response.
async function handleRetr(session: Pop3Session, argument: string): Promise<void> {
  const found = session.findMessage(argument);
  if (!found) return;
  const sent = await session.sendMessage(found, `+OK ${found.message.octets} octets`);
  // Maildir: a message the user has retrieved is no longer new (new/ → cur/, flag S).
  if (sent) await session.maildrop!.markSeen(found.message).catch(() => {});
}

// RFC 1939 §7: TOP n lines → the headers, the blank line, and the first `lines` body lines.
async function handleTop(session: Pop3Session, argument: string): Promise<void> {
  const [number, lines, extra] = argument.split(" ");
  if (!lines || !/^\d+$/.test(lines) || extra !== undefined) return session.reply("-ERR usage: TOP <message number> <number of body lines>");
  const found = session.findMessage(number);
  if (found) await session.sendMessage(found, "+OK top of message follows", Number(lines));
}

// RFC 1939 §5: DELE only MARKS the message; it is removed in the UPDATE state, after QUIT.
function handleDele(session: Pop3Session, argument: string): void {
  const found = session.findMessage(argument);
  if (!found) return;
  session.deleted.add(found.number);
  session.reply(`+OK message ${found.number} deleted`);
}

// RFC 1939 §5: RSET unmarks every message marked as deleted in this session.
function handleRset(session: Pop3Session): void {
  session.deleted.clear();
  const live = session.liveMessages();
  session.reply(`+OK maildrop has ${live.length} messages (${sumOctets(live)} octets)`);
}

// RFC 1939 §5: NOOP does nothing but answer (and keeps the idle timer from firing).
function handleNoop(session: Pop3Session): void {
  session.reply("+OK");
}

// RFC 1939 §4 (QUIT before login) and §6 (QUIT after login: the UPDATE state).
async function handleQuit(session: Pop3Session): Promise<void> {
  if (session.state === "AUTHORIZATION") {
    session.reply("+OK Socket Playground POP3 server signing off");
    return session.close();
  }
  session.state = "UPDATE";
  const maildrop = session.maildrop!;
  const doomed = maildrop.messages.filter((_, index) => session.deleted.has(index + 1));
  const failures = await maildrop.remove(doomed);
  session.releaseLock();
  if (failures > 0) session.reply(`-ERR [SYS/TEMP] ${failures} deleted messages could not be removed`);
  else session.reply(`+OK signing off (${maildrop.messages.length - doomed.length} messages left)`);
  session.close();
}

// ---------------------------------------------------------------------------------------
// The session: one per connection, holding the state the handlers above read and change.
// Reading lines, STLS, the idle timer, slow failed logins and the transcript are the
// session layer's (servers/session.ts); what is here is POP3's own.

class Pop3Session extends LineSession {
  state: State = "AUTHORIZATION";
  /** RFC 1939 §7: the <…@…> in the greeting, which APOP digests together with the password. */
  readonly timestamp = `<${process.pid}.${randomBytes(6).toString("hex")}@${HOST_NAME}>`;
  /** The address given by USER, waiting for PASS. */
  userName: string | null = null;
  maildrop: Maildrop | null = null;
  /** Message numbers marked by DELE, removed at QUIT. */
  readonly deleted = new Set<number>();
  private unlock: (() => void) | null = null;
  /** RETR's read-ahead: the next message, read while this one is sent (see readNext). */
  private readAhead: { message: MaildropMessage; content: Promise<Buffer | null> } | null = null;

  constructor(
    socket: net.Socket,
    private readonly server: Server,
  ) {
    super(socket, server.session);
  }

  protected greeting(): string {
    return `+OK Socket Playground POP3 server ready ${this.timestamp}`;
  }

  protected lineTooLongReply(): string {
    return `-ERR line too long: POP3 command lines are at most ${MAX_COMMAND_LINE} octets (RFC 2449 §4)`;
  }

  // RFC 1939 §3: an inactivity autologout timer; the session does NOT enter UPDATE.
  protected idleReply(seconds: number): string {
    return `-ERR autologout: idle for ${seconds} seconds, closing the connection`;
  }

  // RFC 2595 §4: after STLS the session starts over, as if just connected.
  protected override tlsStarted(): void {
    this.userName = null;
  }

  // A client that closed or vanished never reaches UPDATE (RFC 1939 §6): DELE marks are
  // forgotten, and the next session may lock the maildrop.
  protected override ended(): void {
    this.releaseLock();
  }

  protected async handleLine(line: string): Promise<void> {
    // RFC 1939 §3: a keyword (case-insensitive), then arguments separated by spaces.
    const space = line.indexOf(" ");
    const word = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const argument = space === -1 ? "" : line.slice(space + 1).trim();
    const command = Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
    if (!command) return this.reply(`-ERR unknown command "${printable(word)}": send CAPA to see what this server understands`);
    if (!command.states.includes(this.state)) {
      return this.reply(this.state === "AUTHORIZATION" ? `-ERR ${word} needs a login first (USER and PASS)` : `-ERR ${word} is only allowed before login`);
    }
    await command.handler(this, argument);
  }

  /**
   * RETR and TOP: the status line, the message dot-stuffed, ".\r\n". Nearly every message is
   * small: read in one piece (readSmall) and sent in ONE write — status, message and final "."
   * in one TCP segment instead of three. A big one is streamed (streamMessage).
   * Returns false if the message file vanished before we could start.
   */
  async sendMessage({ number, message }: NumberedMessage, status: string, bodyLines?: number): Promise<boolean> {
    let content: Buffer | null;
    try {
      const readAhead = this.readAhead?.message === message ? this.readAhead.content : null;
      this.readAhead = null;
      content = await (readAhead ?? this.maildrop!.readSmall(message, SMALL_MESSAGE)).catch(async (err) => {
        // Renamed meanwhile by the IMAP server (its flags changed)? Then read it under its new name.
        if (await this.maildrop!.locate(message)) return this.maildrop!.readSmall(message, SMALL_MESSAGE);
        throw err;
      });
    } catch {
      this.reply(`-ERR [SYS/TEMP] message ${number} was removed by another program`);
      return false;
    }
    if (content === null) return this.streamMessage({ number, message }, status, bodyLines);
    if (bodyLines === undefined) this.readNext(number);
    await this.sendBlock(status, bodyLines === undefined ? content : new TopCutter(bodyLines).cut(content));
    return true;
  }

  /**
   * Clients fetch messages in order (poplib's retr(1), retr(2) …, fetchmail, Thunderbird): while
   * message n goes out, message n + 1 is already being read, so the next RETR need not wait for
   * the disk. One message at most (under 64 KB), dropped as soon as another one is asked for.
   */
  private readNext(number: number): void {
    const next = this.maildrop!.messages[number]; // message number + 1
    if (!next || this.deleted.has(number + 1)) return;
    const content = this.maildrop!.readSmall(next, SMALL_MESSAGE);
    content.catch(() => {}); // a failure counts only if that message is asked for
    this.readAhead = { message: next, content };
  }

  /**
   * A big message: the file read 64 KB at a time, each piece dot-stuffed and written — with
   * backpressure: when the socket's buffer is full, wait until the client has read some,
   * instead of piling the message up in memory.
   */
  private async streamMessage({ number, message }: NumberedMessage, status: string, bodyLines?: number): Promise<boolean> {
    let file: FileHandle;
    try {
      // Renamed meanwhile by the IMAP server (its flags changed)? Then look for its new name.
      file = await open(this.maildrop!.pathOf(message)).catch(async (err) => {
        if (await this.maildrop!.locate(message)) return open(this.maildrop!.pathOf(message));
        throw err;
      });
    } catch {
      this.reply(`-ERR [SYS/TEMP] message ${number} was removed by another program`);
      return false;
    }
    try {
      this.reply(status);
      const stuffer = new DotStuffer();
      const top = bodyLines === undefined ? null : new TopCutter(bodyLines);
      for (;;) {
        const { bytesRead, buffer } = await file.read({ buffer: Buffer.allocUnsafe(SMALL_MESSAGE) });
        if (bytesRead === 0) break;
        const piece = top ? top.cut(buffer.subarray(0, bytesRead)) : buffer.subarray(0, bytesRead);
        await this.write(stuffer.encode(piece), true); // a body, for the transcript
        if (top?.done) break;
      }
      await this.write(stuffer.end(), true);
    } finally {
      await file.close();
    }
    return true;
  }

  /** Message `argument` if it exists and is not deleted; otherwise answers -ERR and returns null. */
  findMessage(argument: string): NumberedMessage | null {
    const messages = this.maildrop!.messages;
    if (!argument) return this.refuse("-ERR which message? give its number, e.g. RETR 1");
    if (!/^\d+$/.test(argument)) return this.refuse(`-ERR "${printable(argument)}" is not a message number`);
    const number = Number(argument);
    if (number < 1 || number > messages.length) {
      return this.refuse(`-ERR no such message, only ${messages.length} messages in maildrop`);
    }
    if (this.deleted.has(number)) return this.refuse(`-ERR message ${number} already deleted`);
    return { number, message: messages[number - 1] };
  }

  private refuse(line: string): null {
    this.reply(line);
    return null;
  }

  /** RFC 1939 §5: messages marked as deleted are left out of STAT, LIST and UIDL. */
  /** Message numbers never change during a session; deleted messages leave gaps. */
  liveMessages(): NumberedMessage[] {
    const live: NumberedMessage[] = [];
    this.maildrop!.messages.forEach((message, index) => {
      if (!this.deleted.has(index + 1)) live.push({ number: index + 1, message });
    });
    return live;
  }

  findAccount(address: string): MailAccount | undefined {
    return findAccount(this.server.options.accounts, address);
  }

  /** After a good login: lock the maildrop (RFC 1939 §8, RFC 2449 §8 [IN-USE]) and list it. */
  async openMaildrop(account: MailAccount): Promise<void> {
    this.unlock = lockMaildrop(this.server.options.mailRoot, account.address);
    if (!this.unlock) return this.reply("-ERR [IN-USE] maildrop already locked");
    try {
      this.maildrop = await Maildrop.open(this.server.options.mailRoot, account.address);
      this.loggedIn(account.address);
    } catch (err) {
      this.releaseLock();
      return this.reply(`-ERR [SYS/TEMP] cannot open the maildrop: ${printable((err as Error).message)}`);
    }
    this.state = "TRANSACTION";
    const live = this.liveMessages();
    this.reply(`+OK ${account.address} has ${live.length} messages (${sumOctets(live)} octets)`);
  }

  releaseLock(): void {
    this.unlock?.();
    this.unlock = null;
  }
}

// ---------------------------------------------------------------------------------------
// Small pieces.

/**
 * TOP's cutter: passes the headers, the blank line after them, and `bodyLines` lines of the
 * body; then `done` is true. Works byte by byte, so chunk boundaries do not matter.
 */
class TopCutter {
  done = false;
  private inHeaders = true;
  private lineIsBlank = true;

  constructor(private bodyLinesLeft: number) {}

  /** The part of `chunk` to send. */
  cut(chunk: Buffer): Buffer {
    for (let i = 0; i < chunk.length && !this.done; i++) {
      const byte = chunk[i];
      if (this.inHeaders) {
        if (byte === 0x0a) {
          if (this.lineIsBlank) this.inHeaders = false; // the empty line that ends the headers
          this.lineIsBlank = true;
        } else if (byte !== 0x0d) this.lineIsBlank = false;
        if (!this.inHeaders && this.bodyLinesLeft === 0) this.done = true;
      } else if (byte === 0x0a && --this.bodyLinesLeft === 0) this.done = true;
      if (this.done) return chunk.subarray(0, i + 1);
    }
    return chunk;
  }
}

function sumOctets(messages: NumberedMessage[]): number {
  return messages.reduce((sum, { message }) => sum + message.octets, 0);
}

/** Echoing client input into a reply: printable ASCII only, and short. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 40 ? clean.slice(0, 40) + "…" : clean;
}

const HOST_NAME = hostname().replace(/[^A-Za-z0-9.-]/g, "") || "localhost";

// ---------------------------------------------------------------------------------------
// Starting the server.

/**
 * Starts a POP3 server (or POP3S with `implicitTls`). Resolves once it listens; a listen
 * error (e.g. EADDRINUSE) rejects with the original error, with `.port` set.
 */
export async function startPop3Server(options: Pop3Options): Promise<Listening> {
  const secureContext = tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert });
  const label = options.implicitTls ? "pop3s" : "pop3";
  const server: Server = {
    options,
    session: {
      protocol: label,
      traceAs: `${label} #`,
      trace: options.trace,
      activity: options.activity,
      mask: POP3_MASK,
      maxLineLength: MAX_COMMAND_LINE,
      idleTimeoutMs: options.idleTimeoutMs ?? TEN_MINUTES,
      secureContext,
      requireTlsForLogin: options.requireTlsForLogin ?? !isLoopback(options.host),
      failedLoginDelayMs: options.failedLoginDelayMs ?? 1000,
      maxFailedLogins: options.maxFailedLogins ?? 3,
    },
  };
  return serve({
    host: options.host,
    port: options.port,
    implicitTls: options.implicitTls ? secureContext : undefined,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    maxConnections: options.maxConnections,
    // RFC 3206 §4: SYS/TEMP — a problem on our side that should go away if you try again later.
    tooManyConnections: "-ERR [SYS/TEMP] too many connections, try again later",
    label,
    trace: options.trace,
    startSession: (socket) => new Pop3Session(socket, server),
  });
}
