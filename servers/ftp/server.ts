// The playground's FTP server (lessons 11-12): ftp-srv, with a playground's rules around it.
//
//   anonymous / any e-mail address   read-only, sees <dataDir>/ftp/pub as "/"
//   me / secret                      read-write, sees <dataDir>/ftp/home/me as "/"
//
// FTP (RFC 959) uses two kinds of TCP connection. The CONTROL connection (port 2121 here)
// carries commands and numbered replies, one line each. Every file and every directory
// listing travels on a separate DATA connection, opened per transfer:
//   - passive (PASV, EPSV — RFC 2428): the server listens on a fresh port (30000-30100
//     here) and the client connects to it;
//   - active (PORT, EPRT): the client listens and the server connects back to it.
//
// What this file adds to ftp-srv, and why:
//   - Control lines are cut at CRLF by us, across TCP chunks: ftp-srv treats every chunk
//     as whole lines, so a command that arrives in two pieces would become two garbage
//     commands. Overlong lines are refused instead of buffered forever.
//   - Active mode connects back only to the client's own address. Otherwise a client could
//     make the server connect anywhere ("FTP bounce", CVE-2020-15152). ftp-srv checks
//     that; its 'ip' helper is replaced by servers/ftp/ip-shim (see package.json).
//   - Anonymous users cannot change anything, and nobody leaves their root folder
//     (sandbox-fs.ts). No reply shows a path on the server's disk.
//   - ftp-srv's own log (bunyan JSON) is silenced; `trace` shows the control connection as
//     C:/S: lines instead, with real users' passwords masked.
//   - ftp-srv calls process.exit() on Ctrl-C; we take those handlers off, so the
//     playground decides how to shut down.

import { once, type EventEmitter } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { networkInterfaces } from "node:os";
import { isIPv4, isIPv6, type AddressInfo, type Server, type Socket } from "node:net";
import { FtpSrv, type FtpConnection } from "ftp-srv";
import { Transcript } from "../transcript.ts";
import { FtpReplyError, SandboxFileSystem } from "./sandbox-fs.ts";
import { DEFAULT_BIG_FILE_BYTES, seedPublicFiles } from "./seed.ts";

export interface FtpAccount {
  user: string;
  password: string;
}

export const DEFAULT_FTP_ACCOUNTS: FtpAccount[] = [{ user: "me", password: "secret" }];

export interface FtpOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2121; 0 = any free port. */
  port?: number;
  /** Anonymous root: <dataDir>/ftp/pub (read-only); user homes: <dataDir>/ftp/home/<user>. */
  dataDir: string;
  /** Ports for passive data connections. Default 30000-30100, or any free port when `port` is 0. */
  passivePorts?: { min: number; max: number };
  accounts?: FtpAccount[];
  /** Largest upload accepted, in bytes. Default 200 MiB. */
  maxUploadBytes?: number;
  /** Size of pub/large/big-file.bin, written at the first start. Default 40 MiB. */
  bigFileBytes?: number;
  /** Write the sample files into <dataDir>/ftp/pub if it does not exist yet. Default true. */
  seed?: boolean;
  /** Receives every control-connection line as "ftp#N C: …" / "ftp#N S: …". */
  trace?: (line: string) => void;
}

export interface FtpServerHandle {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The user names that mean "anonymous FTP" (RFC 1635). */
const ANONYMOUS_USERS = new Set(["anonymous", "ftp"]);
/** Commands that change files: an anonymous user gets 550 before ftp-srv sees them. */
const WRITE_COMMANDS = new Set(["STOR", "STOU", "APPE", "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO", "SITE"]);
/** Commands that prepare a data connection (RFC 959 §4.1.2, RFC 2428). */
const DATA_SETUP_COMMANDS = new Set(["PASV", "EPSV", "PORT", "EPRT"]);
/** Longest control line accepted. Paths can be long, but not this long. */
const MAX_LINE_BYTES = 8192;
/** A control connection idle this long is closed (421), so forgotten clients do not pile up. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

// ftp-srv logs with bunyan; this logger answers every call and says nothing.
const quietLog = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child() {
    return quietLog;
  },
};

/** The parts of ftp-srv's connection object we use that its type definitions leave out. */
interface ControlConnection {
  commandSocket: Socket;
  commands: { handle(line: string): Promise<unknown>; parse(line: string): { directive: string; arg: string | null } };
  authenticated?: boolean;
  username?: string;
  fs?: unknown;
  connector?: { end(): void; dataServer?: Server | null };
  reply(options: number | string | { useEmptyMessage?: boolean }, ...letters: unknown[]): Promise<unknown>;
}

export async function startFtpServer(options: FtpOptions): Promise<FtpServerHandle> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 2121;
  const accounts = options.accounts ?? DEFAULT_FTP_ACCOUNTS;
  const maxUploadBytes = options.maxUploadBytes ?? 200 * 1024 * 1024;
  const passivePorts = options.passivePorts ?? (port === 0 ? { min: 0, max: 0 } : { min: 30000, max: 30100 });
  const pubDir = join(options.dataDir, "ftp", "pub");
  const homeDir = (user: string) => join(options.dataDir, "ftp", "home", user);

  for (const { user } of accounts) {
    if (!/^[A-Za-z0-9._-]+$/.test(user) || user.startsWith(".") || ANONYMOUS_USERS.has(user.toLowerCase())) {
      throw new Error(`FTP account "${user}": a user name is letters, digits, "._-" (not "anonymous" or "ftp")`);
    }
  }
  if (options.seed ?? true) await seedPublicFiles(pubDir, options.bigFileBytes ?? DEFAULT_BIG_FILE_BYTES);
  await mkdir(pubDir, { recursive: true });
  for (const { user } of accounts) await mkdir(homeDir(user), { recursive: true });

  const signalsBefore = signalListeners();
  const ftp = new FtpSrv({
    url: `ftp://${host.includes(":") ? `[${host}]` : host}:${port}`,
    // Without pasv_url ftp-srv answers PASV with 502. The address in a 227 reply must be one
    // the client can reach us on (clients on this machine are answered with 127.0.0.1).
    pasv_url: passiveAddress(host),
    pasv_min: passivePorts.min,
    pasv_max: passivePorts.max,
    anonymous: false, // we log anonymous users in ourselves, with a password, as RFC 1635 describes
    log: quietLog,
    // No `timeout` here: ftp-srv also uses it for a timer it starts, and never clears, each
    // time a client leaves — which would keep the process alive that long after close().
    // The idle timeout is set on each control socket below instead.
  });
  // ftp-srv has just added SIGINT/SIGTERM/SIGQUIT handlers that call process.exit(): remove them.
  for (const [signal, before] of signalsBefore) {
    for (const listener of process.listeners(signal)) if (!before.includes(listener)) process.off(signal, listener);
  }
  if (passivePorts.min === 0) {
    // Port 0 = let the system pick a free port for each passive data connection (tests).
    (ftp as unknown as { getNextPasvPort: () => Promise<number> }).getNextPasvPort = () => Promise.resolve(0);
  }

  // Logging in (RFC 959 §4.1.1 USER/PASS, RFC 1635 for anonymous).
  ftp.on("login", ({ connection, username, password }, resolve, reject) => {
    if (ANONYMOUS_USERS.has(username.toLowerCase())) {
      // Anonymous FTP: by custom the password is your e-mail address; anything is accepted.
      resolve({ fs: new SandboxFileSystem(connection, { root: pubDir, readOnly: true, maxUploadBytes: 0 }) });
      return;
    }
    const account = accounts.find((a) => a.user === username && a.password === password);
    if (!account) return reject(new FtpReplyError("Login incorrect: wrong user name or password", 530));
    resolve({ fs: new SandboxFileSystem(connection, { root: homeDir(account.user), readOnly: false, maxUploadBytes }) });
  });

  let connectionNumber = 0;
  // ftp-srv's 'connect' event (missing from its types) comes before the 220 greeting is sent.
  (ftp as EventEmitter).on("connect", ({ connection }: { connection: FtpConnection }) => {
    // ftp-srv closes a control connection whose socket times out (its 'timeout' listener).
    (connection as unknown as ControlConnection).commandSocket.setTimeout(IDLE_TIMEOUT_MS);
    readControlLines(connection as unknown as ControlConnection, ++connectionNumber, options.trace);
  });

  try {
    await ftp.listen();
  } catch (err) {
    await ftp.close().catch(() => {});
    throw Object.assign(err as Error, { port });
  }
  const actualPort = ((ftp as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  let closing: Promise<void> | undefined;
  return {
    port: actualPort,
    url: `ftp://${host.includes(":") ? `[${host}]` : host}:${actualPort}`,
    close: () => (closing ??= Promise.resolve(ftp.close()).then(() => {})),
  };
}

/**
 * Takes over reading the control connection from ftp-srv: cuts the byte stream into lines
 * at CRLF (RFC 959 §4.1: "Telnet end-of-line"), however TCP splits it, and hands ftp-srv
 * one command at a time. Also feeds the transcript for `trace`.
 */
function readControlLines(connection: ControlConnection, number: number, trace: FtpOptions["trace"]): void {
  const socket = connection.commandSocket;
  let lastUser = "";
  const transcript = trace
    ? new Transcript({
        onLine: (line) => trace(`ftp#${number} ${line}`),
        // Mask the password of real accounts; an anonymous "password" is just an e-mail address.
        mask: (line, side) => (side === "C" && /^PASS /i.test(line) && !ANONYMOUS_USERS.has(lastUser) ? "PASS ********\\r\\n" : line),
      })
    : undefined;

  if (transcript) {
    transcript.note("C", `connected from ${socket.remoteAddress}:${socket.remotePort}`);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
      transcript.data("S", Buffer.from(chunk));
      return write(chunk, ...rest);
    }) as Socket["write"];
    socket.once("close", () => transcript.note("C", "connection closed"));
  }

  // Two repairs to ftp-srv's replies. An empty folder's listing is no bytes at all; ftp-srv
  // would send one empty line ("\r\n"), which clients read as a file named "". And where a
  // data connection fails, ftp-srv puts Node's error code ("EADDRINUSE") where the 3-digit
  // reply code belongs: 425 (RFC 959 §4.2, "Can't open data connection") is meant.
  const reply = connection.reply.bind(connection);
  connection.reply = (options, ...letters) => {
    if (typeof options === "object" && options.useEmptyMessage) return Promise.resolve();
    return reply(typeof options === "string" ? 425 : options, ...letters);
  };

  socket.removeAllListeners("data"); // ftp-srv's own reader
  let pending = Buffer.alloc(0);
  let discarding = false; // inside an overlong line, skipping to its end
  let queue: Promise<unknown> = Promise.resolve();

  socket.on("data", (chunk: Buffer) => {
    const lines: (string | null)[] = []; // null: an overlong line, to be refused
    pending = Buffer.concat([pending, chunk]);
    for (let end = pending.indexOf(10); end !== -1; end = pending.indexOf(10)) {
      const line = pending.subarray(0, end).toString("utf8").replace(/\r$/, "");
      pending = pending.subarray(end + 1);
      if (discarding) discarding = false;
      else if (line.trim() !== "") lines.push(line);
    }
    if (pending.length > MAX_LINE_BYTES) {
      pending = Buffer.alloc(0);
      if (!discarding) lines.push(null);
      discarding = true;
    }
    for (const line of lines) {
      const user = /^USER\s+(.*)$/i.exec(line ?? "");
      if (user) lastUser = user[1].trim().toLowerCase();
    }
    transcript?.data("C", chunk);
    // One command at a time, in order. ftp-srv's handlers answer their own errors; what can
    // still fail here is a reply to a client that has gone, which needs no answer.
    for (const line of lines) queue = queue.then(() => handleCommand(connection, line)).catch(() => {});
  });
}

/** One command line: our rules first, then ftp-srv's handler for the command. */
async function handleCommand(connection: ControlConnection, line: string | null): Promise<unknown> {
  if (line === null) return connection.reply(500, `Line too long (the limit is ${MAX_LINE_BYTES} bytes): ignored`);
  const { directive, arg } = connection.commands.parse(line);
  // ftp-srv does not check active-mode addresses; some malformed ones (a port above 65535)
  // make it send a reply without a reply code.
  if (directive === "PORT" && !isPortArgument(arg ?? "")) return connection.reply(501, "Syntax error: PORT h1,h2,h3,h4,p1,p2");
  if (directive === "EPRT" && !isEprtArgument(arg ?? "")) return connection.reply(501, "Syntax error: EPRT |1|address|port| or |2|address|port|");
  // RFC 959 §4.1.1: USER may be sent again to start a new login; ftp-srv would refuse it.
  if (directive === "USER" && !connection.authenticated) connection.username = undefined;
  // A new PASV/EPSV/PORT/EPRT replaces the data connection prepared before. ftp-srv would
  // leave an unused passive port listening for 30 s: a client repeating PASV could use up
  // the whole passive range.
  if (DATA_SETUP_COMMANDS.has(directive)) await endDataConnection(connection);
  if (WRITE_COMMANDS.has(directive) && connection.fs instanceof SandboxFileSystem && connection.fs.readOnly) {
    return connection.reply(550, "Permission denied: anonymous access is read-only (log in with an account to upload)");
  }
  return connection.commands.handle(line);
}

/** RFC 959 §4.1.2: PORT h1,h2,h3,h4,p1,p2 — the address as 4 bytes, then the port as 2 bytes. */
function isPortArgument(arg: string): boolean {
  const numbers = arg.split(",");
  return numbers.length === 6 && numbers.every((n) => /^\d{1,3}$/.test(n) && Number(n) <= 255);
}

/** RFC 2428 §2: EPRT |1|192.0.2.7|6000| (IPv4) or |2|2001:db8::7|6000| (IPv6). */
function isEprtArgument(arg: string): boolean {
  const [before, family, address, port, after] = arg.split("|");
  const addressOk = (family === "1" && isIPv4(address)) || (family === "2" && isIPv6(address));
  return before === "" && after === "" && arg.split("|").length === 5 && addressOk && /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** Closes the data connection (and passive listener) prepared before, waiting until its port is free. */
async function endDataConnection(connection: ControlConnection): Promise<void> {
  const listener = connection.connector?.dataServer;
  const closed = listener ? once(listener, "close", { signal: AbortSignal.timeout(1000) }).catch(() => {}) : undefined;
  connection.connector?.end();
  await closed;
}

/** The address a PASV reply (227) tells clients to connect to; it must be IPv4. */
function passiveAddress(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  if (host === "0.0.0.0" || host === "::") {
    // Listening everywhere (a classroom): tell other machines our first network address.
    const addresses = Object.values(networkInterfaces()).flat();
    return addresses.find((a) => a && a.family === "IPv4" && !a.internal)?.address ?? "127.0.0.1";
  }
  return host;
}

function signalListeners(): [NodeJS.Signals, Function[]][] {
  return (["SIGINT", "SIGTERM", "SIGQUIT"] as const).map((signal) => [signal, process.listeners(signal)]);
}
