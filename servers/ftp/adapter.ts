// ftp-srv, adapted: the one place where the playground reaches into ftp-srv (4.6).
//
// ftp-srv gives us the FTP command set: login, CWD/PWD, MKD, DELE, RNFR/RNTO, SIZE, MDTM, TYPE,
// REST, FEAT, PORT/EPRT, QUIT … Where it gets something wrong for a server open to a class of
// strangers, this file corrects it. Each correction, and why:
//
//  1. Control lines (RFC 959 §4.1: a command ends with Telnet end-of-line, CRLF). ftp-srv takes
//     every TCP chunk as whole lines, so a command that arrives in two pieces becomes two garbage
//     commands. We cut the byte stream at CRLF ourselves and hand ftp-srv one command at a time.
//     A line longer than 8 KB gets "500 Line too long", whether or not its end has arrived.
//  2. Connection caps. ftp-srv accepts every connection. We cap control connections per client
//     address and in total; one over a cap gets "421" (RFC 959 §4.2: "Service not available,
//     closing control connection") and is closed, so one machine cannot take every seat.
//  3. Passive data connections (PASV, RFC 959 §4.1.2; EPSV, RFC 2428 §3). ftp-srv's passive
//     connector closes itself from a late 'close' event of its listener and then replaces the
//     connector that the NEXT PASV made: the client gets "451 No connector setup" right after a
//     227, and that listener stays open until the server stops — repeated, the passive range runs
//     out. It also tries only 5 ports and then answers "400" (not an FTP reply). Ours
//     (PassiveDataConnection): a session holds at most one listener; it closes when its data
//     connection arrives, when the transfer ends, when the session ends, or when unused for a few
//     seconds; the whole range is searched for a free port, and none free is "425". The 227
//     reply names the address the client reached us on. (Plain TCP only: no FTPS data channel.)
//  4. Transfers: RETR, STOR, APPE, STOU, LIST and NLST (RFC 959 §4.1.3) are handled here. ftp-srv
//     answers their failures with Node's own words and a fixed code ("551 write EPIPE",
//     "551 ENOENT: no such file or directory, open '/home/…/race.bin'", a missing file as 551).
//     Ours answer with RFC 959 §4.2's codes — 425 no data connection, 426 transfer aborted,
//     450/550 no such file, 451 local error, 552/553/554 refused upload — naming only the path the
//     client asked for. Uploads are atomic (sandbox-fs.ts writes a temporary file and renames it
//     into place before the 226); an upload whose control connection has gone, or whose data
//     connection was reset (even where the system reports that as an ordinary end), is discarded.
//  5. Replies. An empty folder's listing is no bytes at all (ftp-srv would send one empty line,
//     which clients read as a file named ""). Where active mode fails ftp-srv puts Node's error
//     code ("EADDRINUSE") where the 3-digit code belongs: 425 is meant.
//  6. RFC 959 §4.1.1: USER may be sent again to start a new login; ftp-srv would refuse it.
//  7. ftp-srv does not check PORT/EPRT arguments; some malformed ones (a port above 65535) make
//     it send a reply without a code. They get 501 here. (Active mode connects back only to the
//     client's own address — no "FTP bounce", CVE-2020-15152 — through servers/ftp/ip-shim.)
//  8. Anonymous users get 550 for every command that changes files, before ftp-srv sees it.
//  9. ftp-srv logs bunyan JSON: silenced; `trace` shows the control connection as C:/S: lines
//     instead, real users' passwords masked. ftp-srv calls process.exit() on Ctrl-C: those
//     handlers are taken off, so the playground decides how to shut down. Its `timeout` option
//     also starts a timer it never clears each time a client leaves (keeping the process alive
//     after close()), so the idle timeout is set on each control socket instead.

import { createRequire } from "node:module";
import { finished, pipeline } from "node:stream/promises";
import { createServer, type AddressInfo, isIPv4, isIPv6, type Server, type Socket } from "node:net";
import { FtpSrv, type FtpConnection } from "ftp-srv";
import { Transcript } from "../transcript.ts";
import { FtpReplyError, SandboxFileSystem } from "./sandbox-fs.ts";

const require = createRequire(import.meta.url);
/** ftp-srv's `ls -l` style line for one file: the format of its LIST replies, kept. */
const listLine = require("ftp-srv/src/helpers/file-stat") as (stats: unknown, format: string) => string;
/** "Are these the same host?" — the ip-shim that ftp-srv itself uses. */
const sameHost = (require("ip") as { isEqual(a: string, b: string): boolean }).isEqual;

export interface AdapterSettings {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Ports for passive data connections; min 0 = any free port (tests). */
  passivePorts: { min: number; max: number };
  /** Told to clients in 227 when the address they reached us on is not IPv4. */
  passiveAddress: string;
  /** A passive listener that no transfer has used for this long is closed. */
  passiveIdleMs: number;
  /** Control connections open at once, from everyone / from one client address. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** User names whose "password" is only an e-mail address (not masked in the trace). */
  anonymousUsers: Set<string>;
  /** Checks a login and gives the session its file system; throws an FtpReplyError (530) if refused. */
  login(connection: FtpConnection, username: string, password: string): SandboxFileSystem;
  trace?: (line: string) => void;
}

export interface AdaptedFtpServer {
  port: number;
  close(): Promise<void>;
}

/** Longest control line accepted. Paths can be long, but not this long. */
export const MAX_LINE_BYTES = 8192;
/** A control connection idle this long is closed (421), so forgotten clients do not pile up. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
/** How long a transfer command waits for the client to open the data connection (then 425). */
const DATA_CONNECTION_WAIT_MS = 5000;
/** How long after an upload's last byte its control connection must still be open for it to count. */
const UPLOAD_SETTLE_MS = 30;
/** Commands that change files: an anonymous user gets 550 before ftp-srv sees them. */
const WRITE_COMMANDS = new Set(["STOR", "STOU", "APPE", "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO", "SITE"]);
/** Commands that prepare a data connection (RFC 959 §4.1.2, RFC 2428): each replaces the one before. */
const DATA_SETUP_COMMANDS = new Set(["PASV", "EPSV", "PORT", "EPRT"]);

/** The parts of ftp-srv's connection object we use that its type definitions leave out. */
interface ControlConnection {
  commandSocket: Socket;
  commands: { handle(line: string): Promise<unknown>; parse(line: string): { directive: string; arg: string | null } };
  authenticated?: boolean;
  username?: string;
  fs?: unknown;
  restByteCount: number | undefined;
  connector: DataConnection;
  reply(options: number | string | { useEmptyMessage?: boolean }, ...letters: unknown[]): Promise<unknown>;
}

/** What ftp-srv's handlers (and ours) ask of a data connection: its "connector". */
interface DataConnection {
  waitForConnection(): Promise<Socket>;
  end(): void;
}

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

export async function startAdaptedFtpSrv(settings: AdapterSettings): Promise<AdaptedFtpServer> {
  const { host, port } = settings;
  const signalsBefore = signalListeners();
  const ftp = new FtpSrv({
    url: `ftp://${host.includes(":") ? `[${host}]` : host}:${port}`,
    // Without pasv_url ftp-srv answers PASV with 502; ours (below) does not use it.
    pasv_url: settings.passiveAddress,
    anonymous: false, // anonymous users are logged in by settings.login, with a password (RFC 1635)
    log: quietLog,
  });
  // ftp-srv has just added SIGINT/SIGTERM/SIGQUIT handlers that call process.exit(): remove them.
  for (const [signal, before] of signalsBefore) {
    for (const listener of process.listeners(signal)) if (!before.includes(listener)) process.off(signal, listener);
  }

  ftp.on("login", ({ connection, username, password }, resolve, reject) => {
    try {
      resolve({ fs: settings.login(connection, username, password) });
    } catch (err) {
      reject(err as Error);
    }
  });

  const passivePorts = new PassivePorts(host, settings.passivePorts);
  const seats = new Seats(settings.maxConnections, settings.maxConnectionsPerAddress);
  let connectionNumber = 0;
  // ftp-srv's 'connect' event (missing from its types) comes before the 220 greeting is sent.
  (ftp as unknown as NodeJS.EventEmitter).on("connect", ({ connection }: { connection: FtpConnection }) => {
    const control = connection as unknown as ControlConnection;
    const number = ++connectionNumber;
    const refusal = seats.take(control.commandSocket);
    if (refusal) return refuse(control, `421 ${refusal}`, (line) => settings.trace?.(`ftp#${number} ${line}`));
    // ftp-srv closes a control connection whose socket times out (its 'timeout' listener).
    control.commandSocket.setTimeout(IDLE_TIMEOUT_MS);
    readControlLines(control, number, settings, passivePorts);
  });

  try {
    await ftp.listen();
  } catch (err) {
    await ftp.close().catch(() => {});
    throw Object.assign(err as Error, { port });
  }
  const actualPort = (ftp as unknown as { server: Server }).server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port: actualPort.port,
    close: () => (closing ??= Promise.resolve(ftp.close()).then(() => {})),
  };
}

// ----- 2. connection caps -----

/** Counts open control connections, in total and per client address. */
class Seats {
  private open = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly total: number,
    private readonly fromOneAddress: number,
  ) {}

  /** Takes a seat for this connection until it closes; or says why not. */
  take(socket: Socket): string | null {
    const address = (socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const fromThere = this.perAddress.get(address) ?? 0;
    if (this.open >= this.total) return `Too many connections (the limit is ${this.total}): try again later`;
    if (fromThere >= this.fromOneAddress) {
      return `Too many connections from your address (the limit is ${this.fromOneAddress}): close one and try again`;
    }
    this.open++;
    this.perAddress.set(address, fromThere + 1);
    socket.once("close", () => {
      this.open--;
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.perAddress.set(address, left);
      else this.perAddress.delete(address);
    });
    return null;
  }
}

/** RFC 959 §4.2: 421 instead of the 220 greeting, then the server closes its side. */
function refuse(connection: ControlConnection, reply: string, trace: (line: string) => void): void {
  const socket = connection.commandSocket;
  connection.reply = () => Promise.resolve(); // no 220, no reply to anything the client sends
  socket.removeAllListeners("data");
  socket.on("data", () => {}); // read and drop: closing with unread input would reset the 421 away
  socket.setTimeout(10_000, () => socket.destroy());
  socket.end(`${reply}\r\n`);
  trace(`C: [connected from ${socket.remoteAddress}:${socket.remotePort}]`);
  trace(`S: ${reply}\\r\\n`);
}

// ----- 1. the control connection -----

/**
 * Takes over reading the control connection from ftp-srv: cuts the byte stream into lines
 * at CRLF (RFC 959 §4.1: "Telnet end-of-line"), however TCP splits it, and hands the commands
 * on one at a time. Also feeds the transcript for `trace`.
 */
function readControlLines(connection: ControlConnection, number: number, settings: AdapterSettings, ports: PassivePorts): void {
  const socket = connection.commandSocket;
  let lastUser = "";
  const transcript = settings.trace
    ? new Transcript({
        onLine: (line) => settings.trace!(`ftp#${number} ${line}`),
        // Mask the password of real accounts; an anonymous "password" is just an e-mail address.
        mask: (line, side) => (side === "C" && /^PASS /i.test(line) && !settings.anonymousUsers.has(lastUser) ? "PASS ********\\r\\n" : line),
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

  // 5: an empty listing is no bytes; a Node error code in place of a reply code means 425.
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
      const bytes = pending.subarray(0, end);
      pending = pending.subarray(end + 1);
      if (discarding) discarding = false;
      else if (bytes.length > MAX_LINE_BYTES) lines.push(null); // a whole line arrived at once, but too long
      else {
        const line = bytes.toString("utf8").replace(/\r$/, "");
        if (line.trim() !== "") lines.push(line);
      }
    }
    if (pending.length > MAX_LINE_BYTES) {
      // The start of a line too long to wait for: refuse it now, skip the rest when it comes.
      pending = Buffer.alloc(0);
      if (!discarding) lines.push(null);
      discarding = true;
    }
    for (const line of lines) {
      const user = /^USER\s+(.*)$/i.exec(line ?? "");
      if (user) lastUser = user[1].trim().toLowerCase();
    }
    transcript?.data("C", chunk);
    // One command at a time, in order. Handlers answer their own errors; what can still fail
    // here is a reply to a client that has gone, which needs no answer.
    for (const line of lines) queue = queue.then(() => handleCommand(connection, line, settings, ports)).catch(() => {});
  });
}

/** One command line: our rules and handlers first, then ftp-srv's handler for the command. */
async function handleCommand(connection: ControlConnection, line: string | null, settings: AdapterSettings, ports: PassivePorts): Promise<unknown> {
  if (line === null) return connection.reply(500, `Line too long (the limit is ${MAX_LINE_BYTES} bytes): ignored`);
  const { directive, arg } = connection.commands.parse(line);
  // 7: active-mode addresses are checked before ftp-srv sees them.
  if (directive === "PORT" && !isPortArgument(arg ?? "")) return connection.reply(501, "Syntax error: PORT h1,h2,h3,h4,p1,p2");
  if (directive === "EPRT" && !isEprtArgument(arg ?? "")) return connection.reply(501, "Syntax error: EPRT |1|address|port| or |2|address|port|");
  // 6: a new USER starts a new login.
  if (directive === "USER" && !connection.authenticated) connection.username = undefined;
  // A new PASV/EPSV/PORT/EPRT replaces the data connection prepared before: one per session.
  if (DATA_SETUP_COMMANDS.has(directive)) connection.connector.end();
  // 8: anonymous is read-only.
  if (WRITE_COMMANDS.has(directive) && connection.fs instanceof SandboxFileSystem && connection.fs.readOnly) {
    return connection.reply(550, "Permission denied: anonymous access is read-only (log in with an account to upload)");
  }
  const ours = OUR_HANDLERS[directive];
  if (!ours) return connection.commands.handle(line);
  if (!connection.authenticated) return connection.reply(530, `Command requires authentication: ${directive}`);
  // Whatever goes wrong, the client gets a reply (RFC 959 §4.2: 451, local error) and no Node text.
  return ours({ connection, arg, directive, settings, ports }).catch((err: unknown) =>
    err instanceof FtpReplyError ? connection.reply(err.code, err.message) : connection.reply(451, "Requested action aborted: local error in processing"),
  );
}

interface Command {
  connection: ControlConnection;
  directive: string;
  arg: string | null;
  settings: AdapterSettings;
  ports: PassivePorts;
}

/** The commands this file answers itself (3 and 4 above), in RFC 959 §4.1 order. */
const OUR_HANDLERS: Record<string, (command: Command) => Promise<unknown>> = {
  PASV: (command) => passive(command, "PASV"),
  EPSV: (command) => passive(command, "EPSV"),
  RETR: retrieve,
  STOR: (command) => store(command, { append: false }),
  STOU: storeUnique,
  APPE: (command) => store(command, { append: true }),
  LIST: (command) => list(command, { namesOnly: false }),
  NLST: (command) => list(command, { namesOnly: true }),
};

// ----- 3. passive data connections -----

/** RFC 959 §4.1.2 PASV ("227 … (h1,h2,h3,h4,p1,p2)") and RFC 2428 §3 EPSV ("229 … (|||port|)"). */
async function passive({ connection, settings, ports }: Command, directive: "PASV" | "EPSV"): Promise<unknown> {
  const listener = await ports.listen();
  if (!listener) return connection.reply(425, "No data port free (too many transfers at once): try again in a few seconds");
  if (connection.commandSocket.destroyed) return listener.close(); // the client left while we looked for a port
  connection.connector = new PassiveDataConnection(connection, listener, settings.passiveIdleMs);
  const { port } = listener.address() as AddressInfo;
  if (directive === "EPSV") return connection.reply(229, `EPSV OK (|||${port}|)`);
  // The address the client reached us on is one it can reach the data port on, too.
  const local = (connection.commandSocket.localAddress ?? "").replace(/^::ffff:/, "");
  const address = isIPv4(local) ? local : settings.passiveAddress;
  return connection.reply(227, `PASV OK (${address.replace(/\./g, ",")},${port >> 8},${port & 255})`);
}

/** Listens on a free port of the passive range, trying each port once. */
class PassivePorts {
  private next: number;

  constructor(
    private readonly host: string,
    private readonly range: { min: number; max: number },
  ) {
    this.next = range.min;
  }

  /** A listener on a free port; null when every port of the range is taken. */
  async listen(): Promise<Server | null> {
    const { min, max } = this.range;
    if (min === 0) return listenOn(0, this.host);
    for (let tried = 0; tried <= max - min; tried++) {
      const port = this.next;
      this.next = port >= max ? min : port + 1; // round robin: a port just closed is reused last
      const listener = await listenOn(port, this.host).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "EADDRINUSE" || err.code === "EACCES") return null;
        throw err;
      });
      if (listener) return listener;
    }
    return null;
  }
}

function listenOn(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // pauseOnConnect: nothing is read from the data connection before its transfer starts.
    // allowHalfOpen: the client's end of an upload does not end our side (see notReset).
    const listener = createServer({ pauseOnConnect: true, allowHalfOpen: true });
    listener.once("error", reject);
    listener.listen(port, host, () => {
      listener.off("error", reject);
      listener.on("error", () => {});
      resolve(listener);
    });
  });
}

/**
 * One passive data connection: a listener for exactly one TCP connection from the client, in
 * ftp-srv's "connector" shape. It ends (listener closed, socket destroyed) when the transfer that
 * used it is over, when the session ends, or when no transfer claimed it within `idleMs`.
 */
class PassiveDataConnection implements DataConnection {
  readonly type = "passive";
  socket: Socket | null = null;
  private listener: Server | null;
  private waiting: { resolve(socket: Socket): void; reject(err: Error): void } | null = null;
  private ended = false;
  private readonly idleTimer: NodeJS.Timeout;

  constructor(
    private readonly connection: ControlConnection,
    listener: Server,
    idleMs: number,
  ) {
    this.listener = listener;
    listener.on("connection", (socket: Socket) => this.accept(socket));
    this.idleTimer = setTimeout(() => this.end(), idleMs).unref();
  }

  private accept(socket: Socket): void {
    socket.on("error", () => {}); // the transfer using it reports what went wrong
    // Only the client itself may connect, and only once (someone else's connection: "port stealing").
    if (this.socket || !sameHost(this.connection.commandSocket.remoteAddress ?? "", socket.remoteAddress ?? "")) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.closeListener(); // its one connection has come: the port is free for the next PASV
    this.waiting?.resolve(socket);
  }

  /** A transfer command claims the data connection; it has DATA_CONNECTION_WAIT_MS to arrive. */
  waitForConnection(): Promise<Socket> {
    clearTimeout(this.idleTimer);
    if (this.socket) return Promise.resolve(this.socket);
    if (this.ended) return Promise.reject(new FtpReplyError("No data connection: send PASV or EPSV first", 425));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.waiting?.reject(new FtpReplyError("No connection established", 425)), DATA_CONNECTION_WAIT_MS);
      this.waiting = {
        resolve: (socket) => (clearTimeout(timer), (this.waiting = null), resolve(socket)),
        reject: (err) => (clearTimeout(timer), (this.waiting = null), reject(err)),
      };
    });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.closeListener();
    this.socket?.destroy();
    this.waiting?.reject(new FtpReplyError("Data connection closed", 425));
    // Only ever replaces itself: a late call never touches the connection a newer PASV made.
    if (this.connection.connector === this) this.connection.connector = NO_DATA_CONNECTION;
  }

  private closeListener(): void {
    this.listener?.close();
    this.listener = null;
  }
}

/** The session's data connection when none is prepared (ftp-srv's connector shape). */
const NO_DATA_CONNECTION: DataConnection = {
  waitForConnection: () => Promise.reject(new FtpReplyError("No data connection: send PASV or EPSV first", 425)),
  end() {},
};

// ----- 4. transfers -----

/**
 * Runs one transfer command: waits for the data connection, runs `transfer`, answers its failure
 * with an RFC 959 §4.2 code, and always ends the data connection.
 */
async function withDataConnection(connection: ControlConnection, transfer: (socket: Socket) => Promise<void>): Promise<unknown> {
  const connector = connection.connector;
  try {
    const socket = await connector.waitForConnection().catch((err: Error) => {
      if (err instanceof FtpReplyError) throw err;
      // ftp-srv's active-mode connector: its timeout, or "No connector setup".
      throw new FtpReplyError(err.name === "TimeoutError" ? "No connection established" : "No data connection: send PASV or EPSV first", 425);
    });
    await transfer(socket);
  } catch (err) {
    // Our own errors carry their code and a client-side message; any other is the data connection failing.
    if (err instanceof FtpReplyError) return connection.reply(err.code, err.message);
    return connection.reply(426, "Connection closed; transfer aborted");
  } finally {
    connector.end();
  }
}

/** RFC 959 §4.1.3 RETR: the file's bytes on the data connection (from the REST offset on). */
async function retrieve({ connection, arg }: Command): Promise<unknown> {
  const start = connection.restByteCount;
  connection.restByteCount = 0;
  return withDataConnection(connection, async (socket) => {
    const { stream, clientPath } = await sandbox(connection).read(arg ?? "", { start });
    let readFailed = false;
    stream.once("error", () => (readFailed = true));
    await connection.reply(150);
    await pipeline(stream, socket).catch((err: unknown) => {
      // 451: our side failed; otherwise the client's side of the data connection went (426).
      throw readFailed ? new FtpReplyError(`${clientPath}: could not read the file; transfer aborted`, 451) : err;
    });
    await connection.reply(226, clientPath);
  });
}

/** RFC 959 §4.1.3 STOR (and APPE): the data connection's bytes become the file, all or nothing. */
async function store({ connection, arg }: Command, { append, name }: { append: boolean; name?: string }): Promise<unknown> {
  const start = connection.restByteCount;
  connection.restByteCount = 0;
  const control = connection.commandSocket;
  return withDataConnection(connection, async (dataSocket) => {
    const { stream, clientPath } = await sandbox(connection).write(name ?? arg ?? "", {
      append,
      start,
      // A client that is gone cannot have meant the upload to be complete (it never reads the
      // 226): a client killed mid-upload closes its data connection, which looks like the end of
      // the file, and its control connection a moment later. So wait that moment, then look.
      keep: async () => {
        await new Promise((resolve) => setTimeout(resolve, UPLOAD_SETTLE_MS));
        return !control.destroyed && !control.readableEnded && (await notReset(dataSocket));
      },
    });
    await connection.reply(150);
    await pipeline(dataSocket, stream); // sandbox-fs renames the file into place before this resolves
    await connection.reply(226, clientPath);
  });
}

/**
 * Did the data connection end with FIN (the end of the file) or with RST (an abort)? Linux reports
 * a RST that arrives while data is still waiting to be read as an ordinary end of stream. The
 * difference shows when writing: nothing (zero bytes) can be written to a half-closed connection,
 * but writing to a reset one fails. (Needs `allowHalfOpen`, so that Node has not ended our side.)
 */
function notReset(dataSocket: Socket): Promise<boolean> {
  if (!dataSocket.writable) return Promise.resolve(true); // an active-mode socket: no way to tell
  return new Promise((resolve) => dataSocket.write(Buffer.alloc(0), (err) => resolve(!err)));
}

/** RFC 959 §4.1.3 STOU: STOR under a name the server makes up (when the one asked for is taken). */
async function storeUnique(command: Command): Promise<unknown> {
  const fs = sandbox(command.connection);
  const taken = await fs.get(command.arg ?? ".").then(() => true, () => false);
  return store(command, { append: false, name: taken ? fs.getUniqueName() : (command.arg ?? "") });
}

/** RFC 959 §4.1.3 LIST ("ls -l" lines) and NLST (names only) of a folder, or of one file. */
async function list({ connection, arg }: Command, { namesOnly }: { namesOnly: boolean }): Promise<unknown> {
  return withDataConnection(connection, async (socket) => {
    const fs = sandbox(connection);
    const path = arg ?? ".";
    const files = await fs.get(path).then((stats) => (stats.isDirectory() ? fs.list(path) : [stats]), fileUnavailable);
    await connection.reply(150);
    const text = files.map((file) => `${namesOnly ? file.name : listLine(file, "ls")}\r\n`).join("");
    socket.end(text); // an empty folder: no bytes at all
    await finished(socket, { readable: false }); // all sent (the client may keep its side open)
    await connection.reply(226);
  });
}

/** RFC 959 §5.4 lists 450, not 550, for LIST/NLST of something that is not there. */
function fileUnavailable(err: unknown): never {
  if (err instanceof FtpReplyError && err.code === 550) throw new FtpReplyError(err.message, 450);
  throw err;
}

function sandbox(connection: ControlConnection): SandboxFileSystem {
  if (!(connection.fs instanceof SandboxFileSystem)) throw new FtpReplyError("Not logged in", 530);
  return connection.fs;
}

// ----- 7. argument checks -----

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

function signalListeners(): [NodeJS.Signals, Function[]][] {
  return (["SIGINT", "SIGTERM", "SIGQUIT"] as const).map((signal) => [signal, process.listeners(signal)]);
}
