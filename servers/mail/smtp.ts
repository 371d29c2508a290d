// The playground's SMTP servers (RFC 5321), built on smtp-server: it speaks the protocol — the
// command table, EHLO extensions, AUTH, STARTTLS, dot-unstuffing of DATA — and calls our
// handlers at each step of a mail transaction:
//
//   onAuth     AUTH PLAIN / AUTH LOGIN (RFC 4954): check the user name and password (and PLAIN's
//              authorization identity, RFC 4616 §2)
//   onRcptTo   RCPT TO (RFC 5321 §4.1.1.3): do we take mail for this address?
//   onData     DATA (RFC 5321 §4.1.1.4): the message itself; store it or pass it on
//
// One function starts any of the three SMTP listeners; `role` decides what it is:
//
//   "submission"  example.com's server for its own users (port 2525, and 4650 with implicit TLS).
//                 Log in first; mail to example.com is stored here, mail to example.org is relayed
//                 to that domain's MX — the hop that adds a second Received: header. A message
//                 without Message-ID: or Date: gets them here (RFC 6409 §8).
//   "mx"          example.org's "mail exchanger" (port 2526): takes mail for example.org from
//                 anyone, without login, like every MX on the internet — and nothing else, so it
//                 is never an open relay. It adds Received: (and Return-Path: when it stores the
//                 message) and changes nothing else.

import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import nodemailer, { type Transporter } from "nodemailer";
import { keepCloseListeners } from "./smtp-server-quirks.ts"; // repairs to smtp-server, each explained there
import { ConnectionLimits, type ConnectionCaps } from "../connection-limits.ts";
import type { Activity, SessionEnd } from "../activity.ts";
import { endOfError, reportsTo, reportTime, SessionReporter } from "../session-report.ts";
import { DotBlockEnd } from "../line-protocol.ts";
import { smtpMask } from "../masks.ts";
import { domainOf, findAccount, type MailAccount } from "./accounts.ts";
import { deliver } from "./maildir.ts";
import { basename } from "node:path";
import { isLoopback } from "../loopback.ts";

export interface SmtpOptions {
  role: "submission" | "mx";
  host: string;
  /** 0 = any free port. */
  port: number;
  /** SMTPS: TLS from the first byte (RFC 8314), instead of STARTTLS on request. */
  implicitTls?: boolean;
  tls: { key: string; cert: string };
  /** The name in the greeting and in Received: headers, e.g. "smtp.example.com". */
  serverName: string;
  /** The domain whose mailboxes this server stores, e.g. "example.com". */
  localDomain: string;
  mailRoot: string;
  accounts: MailAccount[];
  /** Largest message accepted, in bytes (advertised as EHLO SIZE and enforced). */
  maxMessageBytes: number;
  /**
   * The playground's "DNS": where the MX of another domain listens. A submission server relays
   * mail for these domains there; any other domain is refused (the playground is offline).
   */
  mxRoutes?: Record<string, { host: string; port: number; serverName: string }>;
  /** The certificate to trust when relaying with STARTTLS (PEM). */
  relayCa?: string;
  /** How long the relay keeps an idle connection to the MX before it says QUIT (default 10 s). */
  relayIdleMs?: number;
  /** Refuse AUTH until STARTTLS (default: yes, unless the server listens on loopback only). */
  requireTlsForAuth?: boolean;
  /** Flush each message to disk before answering 250 (default true; see maildir.ts). */
  fsync?: boolean;
  /** Live C:/S: lines (npm start -- --trace), prefixed with the listener and session number. */
  trace?: (line: string) => void;
  /** Where sessions and delivered mail are reported (the console, servers/activity.ts). */
  activity?: Activity;
  /** The n-th failed AUTH of a connection is answered after n × this many ms (default 1000). */
  failedLoginDelayMs?: number;
  /** Connections at once, per client address and in total (default SMTP_CONNECTION_CAPS). */
  connectionCaps?: Partial<ConnectionCaps>;
  /** Bytes of messages this server may hold in memory at once, all connections together (default 256 MB). */
  maxBytesInMemory?: number;
}

/** Per listener: one client address may hold 200 connections at once, everybody together 1,000 (as POP3 and NNTP). */
export const SMTP_CONNECTION_CAPS: ConnectionCaps = { perAddress: 200, total: 1000 };

export interface SmtpServer {
  port: number;
  close(): Promise<void>;
}


export async function startSmtpServer(options: SmtpOptions): Promise<SmtpServer> {
  const submission = options.role === "submission";
  const requireTlsForAuth = options.requireTlsForAuth ?? !isLoopback(options.host);
  const relay = submission ? new Relay(options) : null;
  const reports = reportsTo(options.activity, options.trace);
  const protocol = options.implicitTls ? "smtps" : submission ? "smtp" : "mx";
  const failedLogins = new Map<string, number>(); // session id → failed AUTH attempts
  const limits = new ConnectionLimits({ ...SMTP_CONNECTION_CAPS, ...options.connectionCaps });
  const memory = { limit: options.maxBytesInMemory ?? 256 * 1024 * 1024, held: 0 };

  const smtp = new SMTPServer({
    name: options.serverName,
    banner: submission
      ? `Socket Playground: mail submission for ${options.localDomain}, log in first`
      : `Socket Playground: MX for ${options.localDomain}`,
    key: options.tls.key,
    cert: options.tls.cert,
    // With implicit TLS our own tls.Server (below) has already done the handshake.
    secure: options.implicitTls ?? false,
    secured: options.implicitTls ?? false,
    size: options.maxMessageBytes,
    // RFC 6409 §4.3: a submission server wants to know who is sending. An MX takes mail from anyone.
    authOptional: !submission,
    authMethods: ["PLAIN", "LOGIN"],
    authRequiredMessage: "5.7.0 Authentication required: log in first (AUTH PLAIN or AUTH LOGIN)",
    disabledCommands: submission ? [] : ["AUTH"],
    // RFC 4954 §4: a password in clear text is readable by everyone on the path. On loopback there
    // is no path, so the playground allows it there (the seeds' Python code logs in without TLS).
    allowInsecureAuth: !requireTlsForAuth,
    disableReverseLookup: true, // offline: no DNS
    maxClients: limits.caps.total, // counted by `limits` below first, with a clearer 421
    closeTimeout: 2_000,
    logger: false,
    onConnect: (session, callback) => {
      // RFC 4954 §4 + RFC 3207: on a network, offer AUTH only inside TLS (Postfix calls this
      // "smtpd_tls_auth_only"). A client that never sees AUTH never sends its password in clear.
      if (submission && requireTlsForAuth && !session.secure) session.disabledCommands = ["AUTH"];
      callback();
    },
    onSecure: (socket, session, callback) => {
      session.disabledCommands = undefined; // back to the server's list: AUTH is offered now
      recorders.get(connectionKey(socket))?.encrypted(socket as tls.TLSSocket);
      callback();
    },
    onAuth: (auth, session, callback) => {
      const [error, response] = checkLogin(options, auth, session);
      if (!error) {
        recorders.get(sessionKey(session))?.report.changed({ account: response!.user as string });
        return callback(null, response);
      }
      // Each failed login of a connection waits longer (1 s, 2 s, 3 s …) before its 535, so
      // guessing passwords is slow; smtp-server hangs up after 10 failed commands anyway.
      const failures = (failedLogins.get(session.id) ?? 0) + 1;
      failedLogins.set(session.id, failures);
      setTimeout(() => callback(error), failures * (options.failedLoginDelayMs ?? 1000));
    },
    onClose: (session) => failedLogins.delete(session.id),
    onMailFrom: (_address, session, callback) => callback(checkSender(options, session, requireTlsForAuth)),
    onRcptTo: (address, session, callback) => callback(checkRecipient(options, address, session)),
    onData: (stream, session, callback) => {
      receiveMessage(stream, memory).then(async (received) => {
        if (received === "too big") tooBig(options.maxMessageBytes);
        if (received === "no room") noRoom();
        // An MX does not know who sent a message; for a message our own relay is passing on, the
        // queue id in its Received: line names the submission session it came from (see Relay).
        // Asked per message: one pooled relay connection carries the messages of many sessions.
        const cause = submission ? undefined : relayedFrom(received);
        if (cause) recorders.get(sessionKey(session))?.report.changed({ relatedTo: cause });
        try {
          return await route(options, relay, session, received, recorders.get(sessionKey(session))?.report);
        } finally {
          memory.held -= received.length; // delivered (or refused): the bytes are let go
        }
      }).then((reply) => callback(null, reply), (err: Error) => callback(err));
    },
  });
  smtp.on("error", () => {}); // errors of single connections; the server carries on

  // We accept the connections ourselves and hand each socket to smtp-server: this way we see the
  // bytes for the transcript (smtp-server only reports parsed commands) and, for SMTPS, do the
  // TLS handshake with Node's own tls.Server.
  const recorders = new Map<string, SessionRecorder>();
  const sockets = new Set<net.Socket>();
  let sessions = 0;
  let port = options.port;
  let stopping = false;
  const accept = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {}); // a client that resets the connection is not the server's problem
    // RFC 5321 §3.8: a server that cannot take the client now greets it with 421 and closes.
    const refused = limits.admit(socket);
    if (refused) return void socket.end(`421 4.7.0 ${options.serverName} ${refused}\r\n`);
    if (reports) {
      const report: SessionReporter = new SessionReporter(reports, {
        protocol,
        port,
        client: `${socket.remoteAddress}:${socket.remotePort}`,
        tls: options.implicitTls ?? false,
        label: `[${protocol} ${port} #${++sessions}]`,
        mask: smtpMask(),
      });
      const recorder: SessionRecorder = new SessionRecorder(report, () => stopping);
      const key = connectionKey(socket);
      recorders.set(key, recorder);
      socket.once("close", () => recorders.delete(key));
      recorder.attach(socket);
    }
    keepCloseListeners(socket); // STARTTLS would remove them (quirk 3): the count must hear the close
    // A fixed number of parts listen for this connection's close — ours above, smtp-server's, and
    // Node's TLS layer once more at STARTTLS — one more than Node's default of 10 before it warns
    // of a leak. They do not grow with use (a leak would), so the limit is raised, not the warning hidden.
    socket.setMaxListeners(20);
    smtp.connect(socket);
  };
  const listener = options.implicitTls
    ? tls.createServer({ key: options.tls.key, cert: options.tls.cert, handshakeTimeout: 10_000 }, accept)
    : net.createServer(accept);
  listener.on("tlsClientError", () => {}); // a failed handshake only closes that connection

  try {
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject); // e.g. EADDRINUSE: another program has the port
      listener.listen(options.port, options.host, resolve);
    });
  } catch (err) {
    (err as Error & { port?: number }).port = options.port;
    await relay?.close();
    throw err;
  }
  port = (listener.address() as net.AddressInfo).port;
  // Once listening, an error (say, out of file descriptors while accepting) only costs that
  // one connection: the server stays up.
  listener.on("error", (err) => options.trace?.(`[smtp ${port}] accept failed: ${err.message}`));

  return {
    port,
    async close() {
      const closed = once(listener, "close");
      stopping = true;
      listener.close(); // no new connections
      smtp.close(); // from now on every command is answered "421 Server shutting down"
      // RFC 5321 §3.8: a server that must go away says 421 and closes; the client retries later.
      for (const connection of smtp.connections) {
        connection.send(421, "Server shutting down");
        connection.close();
      }
      // Whoever does not close its side within a second (or is still in a TLS handshake) is cut off.
      const cutOff = setTimeout(() => sockets.forEach((socket) => socket.destroy()), 1_000);
      await closed;
      clearTimeout(cutOff);
      await relay?.close();
    },
  };
}

// --- AUTH -----------------------------------------------------------------------------------

/** RFC 4954 §4: 235 on success, 535 "authentication credentials invalid" on failure. */
function checkLogin(
  options: SmtpOptions,
  auth: SMTPServerAuthentication,
  _session: SMTPServerSession,
): [Error | null | undefined, SMTPServerAuthenticationResponse?] {
  const account = findAccount(options.accounts, auth.username ?? "");
  if (!account || account.password !== auth.password || domainOf(account.address) !== options.localDomain) {
    // One answer for "no such user" and "wrong password": telling them apart helps attackers guess.
    return [replyError(535, "5.7.8", `Authentication failed: wrong user name or password (this server has accounts @${options.localDomain})`)];
  }
  // RFC 4616 §2: AUTH PLAIN carries "authzid NUL login NUL password". The authzid asks to act as
  // somebody else (an admin sending as a user); the server must check that the login may do so.
  // Here nobody may act for anybody: only an empty authzid or the login's own address passes.
  const authzid = auth.authzid ?? "";
  if (authzid !== "" && findAccount(options.accounts, authzid) !== account) {
    return [replyError(535, "5.7.8", `Authentication failed: ${account.address} may not act as ${authzid.slice(0, 100)} (leave the authorization identity empty)`)];
  }
  return [null, { user: account.address }];
}

// --- MAIL FROM ------------------------------------------------------------------------------

/** RFC 6409 §4.3: a submission server takes mail only from its logged-in users. */
function checkSender(options: SmtpOptions, session: SMTPServerSession, requireTlsForAuth: boolean): Error | undefined {
  if (options.role !== "submission" || session.user) return undefined;
  const how = requireTlsForAuth && !session.secure ? "send STARTTLS, then log in" : "log in first (AUTH PLAIN or AUTH LOGIN)";
  return replyError(530, "5.7.0", `Authentication required: ${how}`);
}

// --- RCPT TO --------------------------------------------------------------------------------

/** RFC 5321 §4.1.1.3: decide per recipient. The answer is final for that address. */
function checkRecipient(options: SmtpOptions, address: SMTPServerAddress, session: SMTPServerSession): Error | undefined {
  if (options.role === "submission" && !session.user) return replyError(530, "5.7.0", "Authentication required");
  const recipient = address.address.toLowerCase();
  const domain = domainOf(recipient);
  if (domain === options.localDomain) {
    // Our own domain: the mailbox must exist (RFC 5321 §3.6.2: 550 for "no such user").
    if (!findAccount(options.accounts, recipient)) return replyError(550, "5.1.1", `<${recipient}>: unknown mailbox, no such user at ${domain}`);
    return undefined;
  }
  // Any other domain means relaying. Only our own logged-in users may do that, and only where
  // the playground has a route; an MX relays for no one — a server that does is an "open relay",
  // the spammers' favourite, and every blocklist bans it within hours.
  if (options.role === "mx" || !session.user) {
    return replyError(554, "5.7.1", `Relay access denied: this server takes mail for @${options.localDomain} only`);
  }
  const route = options.mxRoutes?.[domain];
  if (!route) {
    return replyError(550, "5.1.2", `Cannot deliver to ${domain}: the playground is offline and knows only ${[options.localDomain, ...Object.keys(options.mxRoutes ?? {})].join(" and ")}`);
  }
  // The playground knows every account, so it can refuse an unknown remote mailbox now, instead of
  // accepting the message and bouncing it later (Postfix's "recipient address verification").
  if (!findAccount(options.accounts, recipient)) return replyError(550, "5.1.1", `<${recipient}>: unknown mailbox, no such user at ${domain}`);
  return undefined;
}

// --- DATA -----------------------------------------------------------------------------------

/**
 * Collects the message (smtp-server has already removed the dot-stuffing and the final "."). SIZE
 * in EHLO is only a promise (RFC 1870); the limit holds because we stop keeping bytes past it.
 * The messages of all connections together may hold `memory.limit` bytes: 1,000 clients each
 * sending 10 MB would otherwise take 10 GB. Past it, the rest of the message is read but not
 * kept. The bytes count in `memory.held` until the caller has delivered the message.
 */
async function receiveMessage(stream: SMTPServerDataStream, memory: { limit: number; held: number }): Promise<Buffer | "too big" | "no room"> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let noRoom = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (stream.sizeExceeded || noRoom) continue;
    if (memory.held + chunk.length > memory.limit) noRoom = true;
    else {
      chunks.push(chunk);
      kept += chunk.length;
      memory.held += chunk.length;
    }
  }
  if (stream.sizeExceeded || noRoom) {
    memory.held -= kept;
    return stream.sizeExceeded ? "too big" : "no room";
  }
  return Buffer.concat(chunks);
}

function noRoom(): never {
  // RFC 5321 §4.2.2: 452 = insufficient system storage, for now; the client keeps the message and retries.
  throw replyError(452, "4.3.1", "Too much mail arriving at once: nothing was stored, try again in a moment");
}

function tooBig(limit: number): never {
  // RFC 1870 §6: 552 when the message exceeds the fixed maximum size. Nothing is stored.
  throw replyError(552, "5.3.4", `Message exceeds fixed maximum message size of ${limit} bytes; nothing was stored`);
}

/**
 * The whole message has arrived: stamp it, relay what goes elsewhere, store what stays here.
 * Only then do we answer 250 — after that reply the sender forgets the message (RFC 5321 §6.1).
 */
async function route(options: SmtpOptions, relay: Relay | null, session: SMTPServerSession, message: Buffer, report?: SessionReporter): Promise<string> {
  const id = randomBytes(5).toString("hex").toUpperCase();
  // RCPT TO the same address twice still means one copy (RFC 5321 §3.3 leaves it to us; users expect one).
  const recipients = [...new Set(session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()))];
  const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
  // RFC 6409 §8: a submission server may complete what the client left out; an MX passes it on as is.
  const completed = options.role === "submission" ? completeHeaders(options, id, message) : message;
  const stamped = Buffer.concat([Buffer.from(receivedHeader(options, session, id, recipients)), completed]);

  // Relay first: if the next hop refuses, the client hears it and nothing was stored here twice.
  const remote = recipients.filter((address) => domainOf(address) !== options.localDomain);
  if (remote.length > 0) {
    if (!relay) throw replyError(554, "5.7.1", "Relay access denied");
    await relay.send(sender, remote, stamped, id, report?.id);
  }
  // RFC 5321 §4.4: the server that delivers into the mailbox adds Return-Path, the envelope sender.
  const local = recipients.filter((address) => domainOf(address) === options.localDomain);
  const delivered = Buffer.concat([Buffer.from(`Return-Path: <${sender}>\r\n`), stamped]);
  for (const address of local) {
    const file = await deliver(options.mailRoot, address, delivered, { fsync: options.fsync });
    options.activity?.stored({ kind: "mail-delivered", sessionId: report?.id, owner: address, ref: basename(file), bytes: delivered.length, at: reportTime() });
  }
  return `Ok: queued as ${id}`;
}

/**
 * RFC 5321 §4.4: every server a message passes through adds a Received: line on top, its "passport
 * stamp" — read from the bottom up, they tell the path the message took. Folded over several lines
 * like Postfix does (a line starting with white space continues the header, RFC 5322 §2.2.3).
 * "with" is the protocol (RFC 3848): ESMTP, plus S for TLS, plus A for an authenticated sender.
 */
function receivedHeader(options: SmtpOptions, session: SMTPServerSession, id: string, recipients: string[]): string {
  // The client names itself in EHLO; never trust it with anything but harmless characters.
  const helo = String(session.hostNameAppearsAs || "unknown").replace(/[^\w.\-:[\]]/g, "").slice(0, 64) || "unknown";
  const forClause = recipients.length === 1 ? `\r\n\tfor <${recipients[0]}>` : "";
  return (
    `Received: from ${helo} (${addressLiteral(session.remoteAddress)})\r\n` +
    `\tby ${options.serverName} (Socket Playground) with ${session.transmissionType || "ESMTP"} id ${id}` +
    `${forClause}; ${rfc5322Date(new Date())}\r\n`
  );
}

/**
 * RFC 5321 §4.1.3: an address in place of a domain name is written in brackets, "[127.0.0.1]",
 * and an IPv6 one is tagged, "[IPv6:::1]" — the form §4.4 asks for in Received: ("TCP-info").
 */
function addressLiteral(address: string): string {
  const plain = address.replace(/%.*$/, ""); // a zone index ("fe80::1%eth0") means nothing to other hosts
  return net.isIPv6(plain) ? `[IPv6:${plain}]` : `[${plain}]`;
}

/**
 * RFC 6409 §8.3 and §8.1: every message should have a Message-ID: and a Date: (RFC 5322 §3.6),
 * and a submission server adds them when the client did not. A message that has them keeps
 * them, byte for byte. The new headers go on top of the client's, under our Received:.
 */
function completeHeaders(options: SmtpOptions, id: string, message: Buffer): Buffer {
  // The header section ends at the first empty line (RFC 5322 §2.1); a message may have none.
  const text = message.toString("latin1");
  const end = /^\r?\n/.test(text) ? 0 : text.search(/\r?\n\r?\n/);
  const header = end === -1 ? text : text.slice(0, end + 1);
  // A header is a line that starts with its name: "Message-ID:", "message-id :" (any case, §1.2.2).
  const lines = header.split(/\r?\n/);
  const has = (name: string) =>
    lines.some((line) => line.slice(0, name.length).toLowerCase() === name.toLowerCase() && /^[ \t]*:/.test(line.slice(name.length)));
  let added = "";
  if (!has("Message-ID")) added += `Message-ID: <${Date.now().toString(36)}.${id}@${options.serverName}>\r\n`;
  if (!has("Date")) added += `Date: ${rfc5322Date(new Date())}\r\n`;
  return added === "" ? message : Buffer.concat([Buffer.from(added), message]);
}

/** "Mon, 15 Jan 2024 12:00:00 +0000" (RFC 5322 §3.3). */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

/**
 * An error smtp-server turns into the reply `<code> <enhanced code> <text>`. The enhanced status
 * code (RFC 3463) says what went wrong in a form programs can act on: 5.1.1 = no such mailbox,
 * 5.7.1 = not allowed, 5.3.4 = too big, 4.4.1 = next hop unreachable.
 */
function replyError(code: number, enhanced: string, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(`${enhanced} ${text}`), { responseCode: code });
}

// --- Relaying to another domain's MX ---------------------------------------------------------

/**
 * The submission server is itself an SMTP client towards the next hop: here nodemailer's SMTP
 * transport, one pooled connection set per destination. It says EHLO with our server name, uses
 * STARTTLS when the MX offers it (verifying the MX's certificate against the playground CA) and
 * hands over the message unchanged, with the envelope we were given.
 */
class Relay {
  private readonly transports = new Map<string, Transporter>();

  constructor(private readonly options: SmtpOptions) {}

  /**
   * `queueId` is the id our Received: line gave the message, `cause` the console's id of the
   * submission session it came from: while the message travels, `relaying` links the two, so
   * the MX's session can name its cause (the console shows the hop linked to the session).
   */
  async send(sender: string, recipients: string[], message: Buffer, queueId: string, cause?: string): Promise<void> {
    if (cause) relaying.set(queueId, cause);
    try {
      await this.sendByDomain(sender, recipients, message);
    } finally {
      relaying.delete(queueId);
    }
  }

  private async sendByDomain(sender: string, recipients: string[], message: Buffer): Promise<void> {
    const byDomain = new Map<string, string[]>();
    for (const address of recipients) byDomain.set(domainOf(address), [...(byDomain.get(domainOf(address)) ?? []), address]);
    for (const [domain, to] of byDomain) {
      const route = this.options.mxRoutes?.[domain];
      if (!route) throw replyError(550, "5.1.2", `No route to ${domain}`);
      try {
        await this.transport(domain, route).sendMail({ envelope: { from: sender, to }, raw: message });
      } catch (err) {
        const { responseCode, response, message: text } = err as { responseCode?: number; response?: string; message: string };
        // The MX said no for good (5xx): that is final, tell our client so. Anything else — MX
        // down, timeout, 4xx — is temporary: 451 makes the client keep the message and retry.
        if (responseCode && responseCode >= 500) throw replyError(550, "5.0.0", `${route.serverName} refused the message: ${response ?? text}`);
        throw replyError(451, "4.4.1", `Could not pass the message on to ${route.serverName} (${text.split("\n")[0]}); try again later`);
      }
    }
  }

  private transport(domain: string, route: { host: string; port: number }): Transporter {
    let transport = this.transports.get(domain);
    if (!transport) {
      transport = nodemailer.createTransport({
        host: route.host,
        port: route.port,
        secure: false, // plain SMTP to port 2526; upgraded with STARTTLS when offered
        name: this.options.serverName,
        // A pool of open connections, reused for message after message: no new TCP and TLS
        // handshake per message (nodemailer's default would reconnect after 100 messages). So one
        // connection carries the messages of many submission sessions, one after another.
        pool: true,
        maxConnections: 10,
        maxMessages: Infinity,
        // An idle connection says QUIT after 10 s (RFC 5321 §4.1.1.10), as a polite client does,
        // instead of waiting for the MX to give up on it with "421 Timeout" a minute later (the
        // console would show every relay hop as ended by a timeout).
        idleTimeout: this.options.relayIdleMs ?? 10_000,
        tls: this.options.relayCa ? { ca: [this.options.relayCa], servername: "localhost" } : undefined,
        logger: false,
      });
      this.transports.set(domain, transport);
    }
    return transport;
  }

  async close(): Promise<void> {
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
  }
}

// --- Transcripts ---------------------------------------------------------------------------

/** A key for one TCP connection that the plain socket and its TLS socket share. */
function connectionKey(socket: net.Socket): string {
  return `${plainAddress(socket.remoteAddress ?? "")}|${socket.remotePort}`;
}

/** The same key, from smtp-server's session (which writes "::ffff:127.0.0.1" as "127.0.0.1"). */
function sessionKey(session: SMTPServerSession): string {
  return `${plainAddress(session.remoteAddress)}|${session.remotePort}`;
}

function plainAddress(address: string): string {
  return address.replace(/^::ffff:/, "");
}

/**
 * The messages the relay is passing on right now: the queue id in the Received: line the
 * submission server wrote → the console's id of the submission session that sent the message.
 * (Both servers run on the same thread, the mail system's: this map is shared.) It is looked up
 * per message, not per connection: the relay's pooled connection to the MX, opened for one
 * session's message, carries the next ones of every other session too.
 */
const relaying = new Map<string, string>();

/**
 * The submission session a message arriving at the MX came from, if our relay is passing it on.
 * The way a postmaster follows one message through the logs of two servers: the top Received:
 * line is the previous hop's, and its "id" is that hop's queue id (see receivedHeader).
 */
function relayedFrom(message: Buffer): string | undefined {
  if (relaying.size === 0) return undefined; // nothing in flight: a client talking to the MX directly
  const top = message.subarray(0, 1024).toString("latin1");
  // One header, with its folded lines (they start with white space, RFC 5322 §2.2.3).
  const received = /^Received:.*(?:\r?\n[ \t].*)*/i.exec(top)?.[0];
  const queueId = received && / id ([0-9A-F]{10})\b/.exec(received)?.[1];
  return queueId ? relaying.get(queueId) : undefined;
}

/**
 * Records one session through a SessionReporter (servers/session-report.ts). It listens to the
 * socket's 'data' (client bytes) and wraps its write() (server bytes). After STARTTLS the bytes on
 * the TCP socket are encrypted, so the recorder moves to the TLS socket, which carries the same
 * conversation decrypted. It also works out how the session ended.
 */
class SessionRecorder {
  /** Set while the client sends a message (after the server's 354): where it ends. */
  private body: DotBlockEnd | null = null;
  private readonly attached = new WeakSet<net.Socket>();
  private how: SessionEnd | null = null;

  constructor(
    readonly report: SessionReporter,
    private readonly stopping: () => boolean,
  ) {}

  attach(socket: net.Socket): void {
    if (this.attached.has(socket)) return;
    this.attached.add(socket);
    let active = true;
    socket.on("data", (chunk: Buffer) => active && this.clientData(chunk));
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (active && (typeof chunk === "string" || Buffer.isBuffer(chunk))) {
        const bytes = Buffer.from(chunk as string);
        this.report.data("S", bytes);
        // smtp-server says 221 only to a QUIT (RFC 5321 §4.1.1.10): that is how this session ends.
        if (bytes[0] === 0x32 && bytes[1] === 0x32 && bytes[2] === 0x31) this.how ??= "QUIT";
        // RFC 5321 §4.1.1.4: after "354" the client sends the message, up to a line holding a
        // single "."; the server says nothing until then (any reply ends the body for us).
        this.body = endsWith354(bytes) ? new DotBlockEnd() : null;
        // "220 Ready to start TLS": from the next byte on, this socket carries TLS records.
        if (typeof chunk === "string" && chunk.startsWith("220 Ready to start TLS")) active = false;
      }
      return write(chunk, ...rest);
    }) as typeof socket.write;
    // smtp-server answers a silent client "421 Timeout" and closes (its socketTimeout).
    socket.on("timeout", () => (this.how ??= "timeout"));
    socket.on("error", (err) => (this.how ??= endOfError(err)));
    socket.on("end", () => (this.how ??= "FIN"));
    socket.once("close", () => {
      if (!active) return;
      this.report.note("S", "connection closed");
      this.report.closed(this.how ?? (this.stopping() ? "server stopped" : "FIN"));
    });
  }

  /**
   * Bytes from the client: commands, or the message after a 354 — a body for the transcript
   * (data, never masked, sent to the console raw) up to its "." line; what follows it in the
   * same chunk (a pipelined next MAIL FROM) is commands again.
   */
  private clientData(chunk: Buffer): void {
    this.body = this.report.clientData(chunk, this.body);
  }

  encrypted(socket: tls.TLSSocket): void {
    this.report.note("C", `TLS handshake done (${socket.getProtocol()}): the bytes below are encrypted on the wire`);
    this.report.changed({ tls: true });
    this.attach(socket);
  }
}

/** Is the last reply line in `bytes` a "354" (go ahead, send the message)? */
function endsWith354(bytes: Buffer): boolean {
  const lastLine = bytes.lastIndexOf(10, bytes.length - 2) + 1; // the last line's start (its "\n" excluded)
  return bytes.length - lastLine >= 4 && bytes[lastLine] === 0x33 && bytes[lastLine + 1] === 0x35 && bytes[lastLine + 2] === 0x34 && bytes[lastLine + 3] !== 0x2d; // "354", not "354-"
}
