// ftp-srv, adapted: the one place where the playground reaches into ftp-srv (4.6).
//
// ftp-srv gives us the rest of the FTP command set: login, CWD/PWD, MKD, DELE, RNFR/RNTO, MDTM,
// REST, PORT/EPRT, QUIT … Where it gets something wrong for a server open to a class of
// strangers, this file corrects it. Each correction, and why:
//
//  1. Control lines (RFC 959 §4.1: a command ends with Telnet end-of-line, CRLF). ftp-srv takes
//     every TCP chunk as whole lines, so a command that arrives in two pieces becomes two garbage
//     commands. We cut the byte stream at CRLF ourselves and hand ftp-srv one command at a time.
//     A line longer than 8 KB gets "500 Line too long", whether or not its end has arrived.
//     Telnet commands (RFC 854) are taken out: tnftp's Ctrl-C sends "IAC IP IAC DM ABOR", which
//     ftp-srv answered "502 Command not allowed: ���ABOR" (ControlLineReader).
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
//     reply names the address the client reached us on. After PROT P the data connection is TLS (15).
//  4. Transfers: RETR, STOR, APPE, STOU, LIST and NLST (RFC 959 §4.1.3) are handled here. ftp-srv
//     answers their failures with Node's own words and a fixed code ("551 write EPIPE",
//     "551 ENOENT: no such file or directory, open '/home/…/race.bin'", a missing file as 551).
//     Ours answer with RFC 959 §4.2's codes — 425 no data connection, 426 transfer aborted,
//     450/550 no such file, 451 local error, 552/553/554 refused upload — naming only the path the
//     client asked for. Uploads are atomic (sandbox-fs.ts writes a temporary file and renames it
//     into place before the 226); an upload whose control connection has gone, or whose data
//     connection was reset (even where the system reports that as an ordinary end), is discarded;
//     to tell, each STOR waits 8 ms after the data connection ends before its 226 (UPLOAD_SETTLE_MS),
//     longer while threads wait for a core (40 ms more for each per core, at most 500 ms),
//     except an upload of exactly the size its client announced with ALLO (RFC 959 §4.1.3), which
//     is whole. ftp-srv answered ALLO "202" and forgot the number.
//     The bytes move without ftp-srv and without Node's file streams: RETR reads the file in 1 MiB
//     pieces into two buffers used in turn (sendFile) — a read stream allocates a new 1 MiB buffer
//     per read, and collecting them cost more than the copying; STOR's upload stream writes the
//     pieces collected during one disk write in the next (sandbox-fs.ts). RETR is as fast as the
//     minimal Node server of the FTP bench (test/bench/ftp.ts); STOR is slower by the wait before its 226
//     (its GC cost is gone: the FTP thread gets room for its old generation, supervisor.ts).
//  5. Replies. An empty folder's listing is no bytes at all (ftp-srv would send one empty line,
//     which clients read as a file named ""). Where active mode fails ftp-srv puts Node's error
//     code ("EADDRINUSE") where the 3-digit code belongs: 425 is meant.
//  6. RFC 959 §4.1.1: USER may be sent again to start a new login; ftp-srv would refuse it.
//  7. ftp-srv does not check PORT/EPRT arguments; some malformed ones (a port above 65535) make
//     it send a reply without a code. They get 501 here. (Active mode connects back only to the
//     client's own address — no "FTP bounce", CVE-2020-15152 — through servers/ftp/ip-shim.)
//  8. Anonymous users get 550 for every command that changes files, before ftp-srv sees it.
//  9. ftp-srv logs bunyan JSON: silenced; `trace` shows the control connection as C:/S: lines
//     instead, real users' passwords masked; `activity` (the console) gets the same lines, and
//     each data connection as a session of its own, linked to its control connection, and each
//     RETR/STOR/APPE/STOU's progress while it runs (watchTransfer: a timer reads the data
//     connection's byte counters at most 4 times a second). ftp-srv calls process.exit() on Ctrl-C: those
//     handlers are taken off, so the playground decides how to shut down. Its `timeout` option
//     also starts a timer it never clears each time a client leaves (keeping the process alive
//     after close()), so the idle timeout is set on each control socket instead.
// 10. ABOR and STAT during a transfer (RFC 959 §4.1.3). ftp-srv runs commands strictly one after
//     another, so ABOR was answered only once RETR had sent the whole file. Here, while a
//     transfer runs, ABOR stops it at once (the transfer answers 426, then ABOR 226) and STAT
//     answers 213 with the bytes moved so far; QUIT waits for the transfer's reply (§4.1.1).
// 11. FEAT (RFC 2389 §3.2) lists what works: REST STREAM is there (RFC 3659 §5.5: MUST, or tnftp
//     refuses `reget`), and AUTH TLS, PBSZ, PROT only when FTPS is on. FEAT and OPTS UTF8 ON work
//     before login (RFC 2389 §4; lftp sends OPTS before USER, and ftp-srv answered 530).
//     ALLO (RFC 959 §4.1.3) answers 200 and keeps the size it names for the next upload: that
//     upload is whole at that size (4), and the console shows its progress against it.
// 12. SITE answers 502. ftp-srv ran any command named after SITE with its own handler, past ours
//     (SITE STOR, SITE DELE), and SITE CHMOD answered 500.
//     STOU (RFC 959 §4.1.3) works without a name (ftp-srv: 550) and its 150 names the file it
//     makes, "150 FILE: name" (RFC 1123 §4.1.2.9); a taken name gets .1, .2, … added. The name
//     is taken at once by creating the file with O_EXCL, so two STOUs at the same moment cannot
//     both choose it (ftp-srv checked, then wrote: both got the same name, one upload was lost);
//     it is an empty file until the upload replaces it, and goes again if the upload fails.
// 13. TYPE (RFC 959 §3.1.1, §4.1.2): TYPE A converts line ends — LF to CRLF on the way out,
//     CRLF to LF on the way in (ftp-srv accepted A and changed nothing); "A N" and "L 8" are
//     accepted (ftp-srv: 501, though §5.1 makes "TYPE A N" the minimum); E, A T, A C are 504.
//     SIZE (RFC 3659 §4) counts the bytes as sent in the current TYPE: in TYPE A with a byte more
//     for each LF that goes out as CRLF — up to 64 MiB, above which it is 550 (§4.2) rather than
//     a read of the whole file; ftp-srv gave the size on disk in every TYPE, and for folders.
// 14. EPSV ALL (RFC 2428 §4): from then on PASV, PORT and EPRT are refused (503); ftp-srv took
//     "EPSV ALL" for an EPSV and kept accepting PORT and PASV.
// 15. FTPS (RFC 4217), with the playground certificate. ftp-srv's FEAT offered AUTH TLS, PBSZ and
//     PROT, which answered 502 without a certificate; its AUTH TLS swapped the socket under its own
//     reader (ours, and the trace, would have gone on reading ciphertext), and its passive data
//     connections never used TLS. Here AUTH TLS answers 234 and wraps the control connection at
//     once — anything the client sent in the clear after AUTH TLS is dropped, not run inside TLS
//     (the STARTTLS injection of CVE-2011-0411); PBSZ 0 and PROT P make each passive data
//     connection TLS, ended with close_notify (ftplib waits for it); PORT/EPRT under PROT P are
//     534. Off loopback, USER for a real account before AUTH TLS is 530 (as mail and news ask
//     for TLS there); anonymous needs none.
//
// Where to look: every command line goes through readControlLines (ABOR, STAT, AUTH TLS act at
// once there, even during a transfer), then handleCommand (the checks above), then one of
// OUR_HANDLERS or ftp-srv's own handler. A transfer (RETR, STOR, APPE, STOU, LIST, NLST) runs in
// withDataConnection: ABOR makes it answer 426, then ABOR answers 226 (10).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, loadavg } from "node:os";
import { Transform } from "node:stream";
import { createSecureContext, TLSSocket, type SecureContext } from "node:tls";
import { finished, pipeline } from "node:stream/promises";
import type { FileHandle } from "node:fs/promises";
import { createServer, type AddressInfo, isIPv4, isIPv6, type Server, type Socket } from "node:net";
import { FtpSrv, type FtpConnection } from "ftp-srv";
import type { Activity, SessionEnd, TransferProgress } from "../activity.ts";
import { endOfError, reportsTo, SessionReporter } from "../session-report.ts";
import { ConnectionLimits, type Refusal } from "../connection-limits.ts";
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
  /** The certificate for FTPS (AUTH TLS, PROT P); without it FTP is plain text only. */
  tls?: { key: string; cert: string };
  /** Refuse USER for real accounts until AUTH TLS (off loopback passwords must not cross the network in the clear). */
  requireTlsForLogin: boolean;
  trace?: (line: string) => void;
  /** Where control and data connections and stored files are reported (the console, servers/activity.ts). */
  activity?: Activity;
}

/** A control connection's report, for its login, its data connections and the files it stores. */
interface ControlReport {
  report: SessionReporter;
  /** The console alone: data connections are not in --trace (it shows the control connection). */
  activity?: Activity;
  number: number;
}
const controlReports = new WeakMap<ControlConnection, ControlReport>();

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
/**
 * How long after an upload's last byte its control connection must still be open for it to
 * count (4). A client killed mid-upload (kill -9) has its data connection closed first and its
 * control connection a moment later: the kernel closes a dead process's sockets one after the
 * other, like close(), so its data connection ends with FIN, not RST — the very end a complete
 * upload has (an RST comes only if received bytes were left unread, and the client had none) —
 * and a client that is alive sends nothing more until our 226. Only that moment tells them apart:
 * 0.02-3.4 ms on loopback on a quiet 2-core machine (test/bench/ftp-killed-client.ts), but the
 * dying process can lose its core between the two closes, for as long as the scheduler gives
 * the other threads that want one: at load 10, up to 40 ms. So the wait grows with the threads
 * waiting for a core (waitingPerCore): a fixed 30 ms kept 3 of 150 killed uploads at load 11-14.
 * Every STOR waits before its 226 — the price of never taking a dead client's upload — except
 * one that brings exactly the size its client announced (ALLO).
 */
const UPLOAD_SETTLE_MS = 8;
/** Added to the wait for each thread that waits for a core, per core (a scheduler slice or more each). */
const UPLOAD_SETTLE_PER_WAITING_MS = 40;
/** The longest wait, however busy the machine. */
const UPLOAD_SETTLE_MAX_MS = 500;

/**
 * Threads waiting for a core right now, per core: Linux's /proc/loadavg holds "runnable/total"
 * threads as its 4th field ("0.41 0.52 0.60 3/412 8812"), this thread among the runnable. Where
 * there is no /proc, the load average of the last minute stands in.
 */
function waitingPerCore(): number {
  const cores = availableParallelism();
  let runnable = Number.NaN;
  try {
    runnable = Number(readFileSync("/proc/loadavg", "latin1").split(" ")[3]?.split("/")[0]) - 1;
  } catch {
    // not Linux
  }
  if (!Number.isFinite(runnable)) runnable = loadavg()[0];
  return Math.max(0, runnable - cores) / cores;
}

/**
 * Waits UPLOAD_SETTLE_MS, longer on a busy machine (waitingPerCore, looked at again after each
 * wait), and then until the event loop has read what the system already holds: Node runs due
 * timers before it polls the sockets, so a loop that was busy for longer than the wait would
 * look at the control connection before reading the FIN that has been waiting for it all along
 * (the kill -9 test failed so on a CI run); setImmediate runs after the next poll. A timer that
 * fired late means a loaded machine too: then wait another while. At most four rounds.
 */
async function settleAfterEnd(): Promise<void> {
  const ended = performance.now();
  let due = UPLOAD_SETTLE_MS;
  for (let round = 0; round < 4; round++) {
    const planned = Math.max(0, due - (performance.now() - ended));
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, planned));
    await new Promise((resolve) => setImmediate(resolve));
    const late = performance.now() - started > 2 * Math.max(planned, UPLOAD_SETTLE_MS);
    const busy = Math.min(UPLOAD_SETTLE_MAX_MS, UPLOAD_SETTLE_MS + UPLOAD_SETTLE_PER_WAITING_MS * waitingPerCore());
    const waited = performance.now() - ended;
    if (!late && waited >= busy) return;
    due = Math.max(busy, late ? waited + UPLOAD_SETTLE_MS : 0);
  }
}
/** Commands that change files: an anonymous user gets 550 before ftp-srv sees them. */
const WRITE_COMMANDS = new Set(["STOR", "STOU", "APPE", "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO"]);
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
  /** How ftp-srv encodes its replies; OPTS UTF8 ON/OFF sets it. */
  encoding: "utf8" | "ascii";
  /** TYPE (RFC 959 §3.1.1): "ascii" converts line ends (13). */
  transferType: "ascii" | "binary";
  /** Ours: the transfer under way, if any, for ABOR and STAT (10). */
  transfer?: ActiveTransfer;
  /** Ours: the size ALLO announced (RFC 959 §4.1.3), for the next STOR, STOU or APPE only (4, 11). */
  allocatedBytes?: number;
  /** Ours: after EPSV ALL only EPSV may set up a data connection (RFC 2428 §4). */
  epsvAll?: boolean;
  /** Ours: PBSZ has been sent (RFC 4217 §8: it comes before PROT). */
  protectionBufferSet?: boolean;
  /** Ours: after PROT P, data connections are TLS too, with this context (15). */
  dataTls?: SecureContext;
}

/** A transfer command under way, as ABOR and STAT see it. */
interface ActiveTransfer {
  /** The command, as "RETR /big.bin". */
  description: string;
  /** Bytes moved on the data connection so far. */
  bytes(): number;
  /** Stops it: its command answers 426. */
  abort(): void;
  /** Set by watchTransfer when the console watches it: the last report, with how it ended. */
  reportEnd?(state: "done" | "aborted" | "failed"): void;
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
      controlReports.get(connection as unknown as ControlConnection)?.report.changed({ account: username });
    } catch (err) {
      reject(err as Error);
    }
  });

  const passivePorts = new PassivePorts(host, settings.passivePorts);
  const reports = reportsTo(settings.activity, settings.trace);
  const controlConnections = new ConnectionLimits({ perAddress: settings.maxConnectionsPerAddress, total: settings.maxConnections });
  let connectionNumber = 0;
  // ftp-srv's 'connect' event (missing from its types) comes before the 220 greeting is sent.
  (ftp as unknown as NodeJS.EventEmitter).on("connect", ({ connection }: { connection: FtpConnection }) => {
    const control = connection as unknown as ControlConnection;
    const number = ++connectionNumber;
    const refusal = controlConnections.take(control.commandSocket);
    const report = reports && newControlReport(reports, control.commandSocket, number, settings);
    if (refusal) return refuse(control, `421 ${refusalText(refusal)}`, report?.report);
    // ftp-srv closes a control connection whose socket times out (its 'timeout' listener).
    control.commandSocket.setTimeout(IDLE_TIMEOUT_MS);
    if (report) controlReports.set(control, report);
    readControlLines(control, settings, passivePorts, report?.report);
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

/** Says, in FTP's words, why a control connection over a cap is refused (connection-limits.ts counts). */
function refusalText(refusal: Refusal): string {
  return refusal.cap === "total"
    ? `Too many connections (the limit is ${refusal.limit}): try again later`
    : `Too many connections from your address (the limit is ${refusal.limit}): close one and try again`;
}

/** RFC 959 §4.2: 421 instead of the 220 greeting, then the server closes its side. */
function refuse(connection: ControlConnection, reply: string, report: SessionReporter | undefined): void {
  const socket = connection.commandSocket;
  connection.reply = () => Promise.resolve(); // no 220, no reply to anything the client sends
  socket.removeAllListeners("data");
  socket.on("data", () => {}); // read and drop: closing with unread input would reset the 421 away
  socket.setTimeout(10_000, () => socket.destroy());
  socket.end(`${reply}\r\n`);
  report?.note("C", `connected from ${socket.remoteAddress}:${socket.remotePort}`);
  report?.data("S", Buffer.from(`${reply}\r\n`));
  report?.closed("refused");
}

/** The report of one control connection ("ftp#N" in --trace). */
function newControlReport(reports: Activity, socket: Socket, number: number, settings: AdapterSettings): ControlReport {
  let lastUser = "";
  const report = new SessionReporter(reports, {
    protocol: "ftp",
    port: socket.localPort ?? 0,
    client: `${socket.remoteAddress}:${socket.remotePort}`,
    tls: false,
    label: `ftp#${number}`,
    maxLinesInARow: 40, // as --trace always showed FTP: a whole FEAT or HELP reply
    // Mask the password of real accounts; an anonymous "password" is just an e-mail address.
    mask: (line, side) => {
      if (side !== "C") return line;
      const user = /^USER\s+(.*?)(\\r)?(\\n)?$/i.exec(line);
      if (user) lastUser = user[1].trim().toLowerCase();
      return /^PASS /i.test(line) && !settings.anonymousUsers.has(lastUser) ? "PASS ********\\r\\n" : line;
    },
  });
  return { report, activity: settings.activity, number };
}

// ----- 1. the control connection -----

/**
 * Takes over reading the control connection from ftp-srv: cuts the byte stream into lines
 * at CRLF (RFC 959 §4.1: "Telnet end-of-line"), however TCP splits it, and hands the commands
 * on one at a time. Also feeds the transcript for `trace`.
 */
function readControlLines(connection: ControlConnection, settings: AdapterSettings, ports: PassivePorts, report: SessionReporter | undefined): void {
  const socket = connection.commandSocket;
  let how: SessionEnd | null = null; // how the session ended, for the console
  // Replies go out at once. With Nagle's algorithm on, the 226 that follows a 150 waited for the
  // client to acknowledge the 150 — and a client that has nothing to send delays that ACK by
  // ~40 ms: every small RETR, LIST or NLST took 46 ms instead of 0.5 ms (pyftpdlib's figure).
  socket.setNoDelay(true);

  // The report sees what the server writes, in the clear (after AUTH TLS: before encryption).
  const traceWrites = (target: Socket) => {
    if (!report) return;
    const write = target.write.bind(target) as (...args: unknown[]) => boolean;
    target.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
      report.data("S", Buffer.from(chunk));
      return write(chunk, ...rest);
    }) as Socket["write"];
  };
  if (report) {
    report.note("C", `connected from ${socket.remoteAddress}:${socket.remotePort}`);
    traceWrites(socket);
    socket.on("timeout", () => (how ??= "timeout"));
    socket.on("error", (err) => (how ??= endOfError(err)));
    socket.once("close", () => {
      report.note("C", "connection closed");
      report.closed(how ?? "FIN");
    });
  }

  // 5: an empty listing is no bytes; a Node error code in place of a reply code means 425.
  const reply = connection.reply.bind(connection);
  connection.reply = (options, ...letters) => {
    if (typeof options === "object" && options.useEmptyMessage) return Promise.resolve();
    return reply(typeof options === "string" ? 425 : options, ...letters);
  };

  socket.removeAllListeners("data"); // ftp-srv's own reader
  let reader = new ControlLineReader();
  let queue: Promise<unknown> = Promise.resolve();
  let upgrading = false; // AUTH TLS seen: nothing more is read in the clear

  const onData = (chunk: Buffer) => {
    if (upgrading) return;
    const lines = reader.push(chunk); // null: an overlong line, to be refused
    if (lines.some((line) => /^QUIT\b/i.test(line ?? ""))) how ??= "QUIT";
    report?.data("C", chunk);
    for (const line of lines) {
      const { directive, arg } = line === null ? { directive: "", arg: null } : connection.commands.parse(line);
      const transfer = connection.transfer;
      // 10: while a transfer runs, ABOR stops it and STAT reports on it at once (RFC 959 §4.1.3).
      if (transfer && directive === "ABOR") {
        transfer.abort(); // the transfer command answers 426 …
        queue = queue.then(() => connection.reply(226, "ABOR: transfer aborted, data connection closed")).catch(() => {});
      } else if (transfer && directive === "STAT") {
        void connection.reply(213, `Status: ${transfer.description}, ${transfer.bytes()} bytes so far`);
      } else if (directive === "AUTH" && settings.tls && /^TLS(-C)?$/i.test(arg ?? "") && !isSecure(connection)) {
        // 15: whatever else came in the clear after AUTH TLS is dropped, not run inside the TLS
        // session (the STARTTLS command injection of CVE-2011-0411).
        upgrading = true;
        queue = queue.then(() => startTls(secureContextOf(settings))).catch(() => {});
        break;
      } else {
        // One command at a time, in order (QUIT too: RFC 959 §4.1.1 lets a transfer finish and
        // answer first). Handlers answer their own errors; what can still fail here is a reply
        // to a client that has gone, which needs no answer.
        queue = queue.then(() => handleCommand(connection, line, settings, ports)).catch(() => {});
      }
    }
  };
  socket.on("data", onData);

  /** RFC 4217 §4: 234, then the TLS handshake on the same connection; the session starts afresh. */
  const startTls = (secureContext: SecureContext) => {
    const plain = connection.commandSocket;
    plain.write("234 AUTH TLS OK: start the TLS handshake\r\n");
    // Wrapped at once, in this same turn of the event loop: the client's first TLS bytes are
    // never read as a command.
    const secure = new TLSSocket(plain, { isServer: true, secureContext });
    secure.on("error", () => secure.destroy()); // a failed handshake: the connection ends
    // The idle timeout moves to the TLS socket: the plain one sees no traffic of its own any more.
    plain.setTimeout(0);
    secure.setTimeout(IDLE_TIMEOUT_MS, () => ((how ??= "timeout"), secure.destroy()));
    traceWrites(secure);
    report?.changed({ tls: true });
    connection.commandSocket = secure; // ftp-srv's replies now go out encrypted
    reader = new ControlLineReader();
    secure.on("data", onData);
    upgrading = false;
  };
}

/** The server's TLS context, made once from its certificate. */
const secureContexts = new WeakMap<AdapterSettings, SecureContext>();
function secureContextOf(settings: AdapterSettings): SecureContext {
  if (!secureContexts.has(settings)) secureContexts.set(settings, createSecureContext(settings.tls));
  return secureContexts.get(settings)!;
}

/** Has AUTH TLS protected this control connection? */
function isSecure(connection: ControlConnection): boolean {
  return connection.commandSocket instanceof TLSSocket;
}

/** Telnet bytes (RFC 854) a client may send on the control connection (RFC 959 §4.1). */
const IAC = 0xff; // "interpret as command": the next byte is a Telnet command
const TELNET_IP = 0xf4; // "interrupt process"
const TELNET_DM = 0xf2; // "data mark": where a Synch ends
const TELNET_OPTION_VERBS = [0xfb, 0xfc, 0xfd, 0xfe]; // WILL, WONT, DO, DONT: one option byte follows

/**
 * Cuts the control connection's bytes into command lines at CRLF ("Telnet end-of-line"), however
 * TCP splits them, and takes the Telnet commands (RFC 854) out: IAC IAC is one 0xFF byte; IAC IP
 * ("interrupt process"), which clients send before an ABOR (RFC 959 §4.1.3), and the other IAC
 * commands are dropped. Clients also send a "Synch": a DM ("data mark") byte as TCP urgent data,
 * which the system keeps out of the stream, so what arrives differs:
 *   tnftp:  IAC IP, then DM (the IAC before it went urgent)  → the DM right after IP is dropped
 *   lftp:   IAC IP IAC (the DM went urgent)                   → IAC before a plain byte: the byte is kept
 *   Python: "ABOR\r" (ftplib sends ABOR CRLF urgent: its LF is the byte that goes) → a CR ends a line too
 * A line longer than MAX_LINE_BYTES comes out as null, once, and the rest of it is skipped.
 */
export class ControlLineReader {
  private line: number[] = [];
  private telnet: "data" | "command" | "option" | "interrupted" = "data";
  private discarding = false; // inside an overlong line, skipping to its end

  push(chunk: Buffer): (string | null)[] {
    const lines: (string | null)[] = [];
    for (const byte of chunk) {
      const state = this.telnet;
      this.telnet = "data";
      if (state === "option") continue; // the option a WILL/WONT/DO/DONT names: dropped with it
      if (state === "interrupted" && byte === TELNET_DM) continue; // tnftp's Synch after IAC IP
      if (state === "command") {
        if (byte === IAC) this.add(IAC, lines); // IAC IAC: a data byte 0xFF
        else if (byte < 0xf0) this.add(byte, lines); // not a Telnet command: keep the byte
        else if (byte === TELNET_IP) this.telnet = "interrupted";
        else if (TELNET_OPTION_VERBS.includes(byte)) this.telnet = "option";
        continue; // DM, NOP, …: dropped
      }
      if (byte === IAC) this.telnet = "command";
      else if (byte === 0x0d || byte === 0x0a) this.endLine(lines); // the LF of a CRLF ends an empty line: skipped
      else this.add(byte, lines);
    }
    return lines;
  }

  private add(byte: number, lines: (string | null)[]): void {
    if (this.discarding) return;
    if (this.line.length >= MAX_LINE_BYTES) {
      lines.push(null); // too long to wait for its end: refused now, the rest skipped
      this.line = [];
      this.discarding = true;
      return;
    }
    this.line.push(byte);
  }

  private endLine(lines: (string | null)[]): void {
    const text = Buffer.from(this.line).toString("utf8");
    if (!this.discarding && text.trim() !== "") lines.push(text);
    this.line = [];
    this.discarding = false;
  }
}

/** One command line: our rules and handlers first, then ftp-srv's handler for the command. */
async function handleCommand(connection: ControlConnection, line: string | null, settings: AdapterSettings, ports: PassivePorts): Promise<unknown> {
  if (line === null) return connection.reply(500, `Line too long (the limit is ${MAX_LINE_BYTES} bytes): ignored`);
  const { directive, arg } = connection.commands.parse(line);
  // 12: SITE's subcommands would run ftp-srv's handlers past ours (SITE STOR, SITE CHMOD → 500).
  if (directive === "SITE") return connection.reply(502, "SITE commands are not implemented by this server");
  // 14: RFC 2428 §4 — after EPSV ALL, every other way of setting up a data connection is refused.
  if (connection.epsvAll && ["PASV", "PORT", "EPRT", "LPSV", "LPRT"].includes(directive)) {
    return connection.reply(503, `${directive} refused after EPSV ALL: use EPSV`);
  }
  // 7: active-mode addresses are checked before ftp-srv sees them.
  if (directive === "PORT" && !isPortArgument(arg ?? "")) return connection.reply(501, "Syntax error: PORT h1,h2,h3,h4,p1,p2");
  if (directive === "EPRT" && !isEprtArgument(arg ?? "")) return connection.reply(501, "Syntax error: EPRT |1|address|port| or |2|address|port|");
  // 15: off loopback, a real account's password only travels inside TLS.
  if (directive === "USER" && settings.requireTlsForLogin && !isSecure(connection) && !settings.anonymousUsers.has((arg ?? "").toLowerCase())) {
    return connection.reply(530, "Log in over TLS: send AUTH TLS first (this server is not on loopback; anonymous needs no TLS)");
  }
  // 15: TLS data connections are passive only (ftp-srv's active connector would not follow PROT).
  if (connection.dataTls && (directive === "PORT" || directive === "EPRT")) {
    return connection.reply(534, "Active mode is not offered with PROT P: use PASV or EPSV");
  }
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
  if (!connection.authenticated && !BEFORE_LOGIN.has(directive)) return connection.reply(530, `Command requires authentication: ${directive}`);
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

/** The commands this file answers itself, in RFC 959 §4.1 order (then RFC 2389's FEAT). */
const OUR_HANDLERS: Record<string, (command: Command) => Promise<unknown>> = {
  PASV: (command) => passive(command, "PASV"),
  EPSV: (command) => passive(command, "EPSV"),
  TYPE: representationType,
  RETR: retrieve,
  STOR: (command) => store(command, { append: false }),
  STOU: (command) => store(command, { append: false, unique: true }),
  APPE: (command) => store(command, { append: true }),
  ALLO: allocate,
  ABOR: abort,
  LIST: (command) => list(command, { namesOnly: false }),
  NLST: (command) => list(command, { namesOnly: true }),
  SIZE: fileSize,
  FEAT: features,
  OPTS: optionsCommand,
  AUTH: authenticationMechanism,
  PBSZ: protectionBufferSize,
  PROT: dataChannelProtection,
};
/** Of those, the ones a client may send before logging in (lftp sends OPTS UTF8 ON before USER). */
const BEFORE_LOGIN = new Set(["FEAT", "OPTS", "AUTH", "PBSZ", "PROT"]);

// ----- 3. passive data connections -----

/** RFC 959 §4.1.2 PASV ("227 … (h1,h2,h3,h4,p1,p2)") and RFC 2428 §3 EPSV ("229 … (|||port|)"). */
async function passive({ connection, settings, ports, arg }: Command, directive: "PASV" | "EPSV"): Promise<unknown> {
  if (directive === "EPSV" && arg !== null) {
    // RFC 2428 §3: "EPSV ALL" (from now on only EPSV), or a network protocol: 1 IPv4, 2 IPv6.
    if (arg.toUpperCase() === "ALL") {
      connection.epsvAll = true;
      return connection.reply(200, "EPSV ALL: from now on only EPSV sets up data connections");
    }
    if (arg !== "1" && arg !== "2") return connection.reply(522, "Network protocol not supported, use (1,2)");
  }
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
    // PROT P: the data connection is TLS as well. The transfer may start writing at once (its
    // bytes wait for the handshake): Python's ftplib only shakes hands after the 150.
    const dataTls = this.connection.dataTls;
    const dataSocket = dataTls ? new TLSSocket(socket, { isServer: true, secureContext: dataTls }) : socket;
    if (dataTls) dataSocket.on("error", () => dataSocket.destroy());
    reportDataConnection(this.connection, dataSocket, dataTls !== undefined);
    this.socket = dataSocket;
    this.closeListener(); // its one connection has come: the port is free for the next PASV
    this.waiting?.resolve(dataSocket);
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

/**
 * A data connection is a session of its own in the console, linked to its control connection:
 * what the client sent (C:, an upload) and what the server sent (S:, a listing, a download),
 * the first lines of it shown and the rest folded, with its size.
 */
function reportDataConnection(connection: ControlConnection, socket: Socket, tls: boolean): void {
  const control = controlReports.get(connection);
  if (!control?.activity || dataSessionIds.has(socket)) return;
  const report = new SessionReporter(control.activity, {
    protocol: "ftp-data",
    port: socket.localPort ?? 0,
    client: `${socket.remoteAddress}:${socket.remotePort}`,
    tls,
    label: `ftp#${control.number} data`,
    relatedTo: control.report.id,
    // A file's first 64 KB are shown as lines; the rest (a 100 MB RETR) is only counted.
    transcribedBytes: 64 * 1024,
  });
  dataSessionIds.set(socket, report.id);
  let how: SessionEnd = "FIN";
  // What the client sends is seen as it enters the socket's buffer (push), not with a 'data'
  // listener: that would start the bytes flowing before the transfer reads them, and an
  // upload's first bytes would be lost.
  const push = socket.push.bind(socket);
  socket.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) report.data("C", chunk);
    return push(chunk, encoding);
  };
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
    report.data("S", typeof chunk === "string" ? Buffer.from(chunk) : chunk); // (not copied: the reporter copies what it keeps)
    return write(chunk, ...rest);
  }) as Socket["write"];
  // A listing goes out in one socket.end(text), which does not pass through write().
  const end = socket.end.bind(socket) as (...args: unknown[]) => Socket;
  socket.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk === "string" || Buffer.isBuffer(chunk)) report.data("S", Buffer.from(chunk));
    return end(chunk, ...rest);
  }) as Socket["end"];
  socket.on("error", (err) => (how = endOfError(err)));
  socket.once("close", () => report.closed(how));
}

/** Each reported data connection's session id (its transfer's progress is reported under it). */
const dataSessionIds = new WeakMap<Socket, string>();

/** The session's data connection when none is prepared (ftp-srv's connector shape). */
const NO_DATA_CONNECTION: DataConnection = {
  waitForConnection: () => Promise.reject(new FtpReplyError("No data connection: send PASV or EPSV first", 425)),
  end() {},
};

// ----- 4. transfers -----

/**
 * Runs one transfer command: waits for the data connection, runs `transfer`, answers its failure
 * with an RFC 959 §4.2 code, and always ends the data connection. While it runs, the session's
 * `transfer` lets ABOR stop it and STAT report on it (10).
 */
async function withDataConnection(connection: ControlConnection, description: string, transfer: (socket: Socket) => Promise<void>): Promise<unknown> {
  const connector = connection.connector;
  let dataSocket: Socket | null = null;
  let aborted = false;
  let ended: "done" | "failed" = "failed";
  connection.transfer = {
    description,
    bytes: () => (dataSocket ? dataSocket.bytesRead + dataSocket.bytesWritten : 0),
    abort: () => {
      aborted = true;
      connector.end(); // destroys the data connection: the transfer below fails and answers 426
    },
  };
  try {
    dataSocket = await connector.waitForConnection().catch((err: Error) => {
      if (err instanceof FtpReplyError) throw err;
      // ftp-srv's active-mode connector: its timeout, or "No connector setup".
      throw new FtpReplyError(err.name === "TimeoutError" ? "No connection established" : "No data connection: send PASV or EPSV first", 425);
    });
    // A passive connection was reported when it came; an active one (PORT, EPRT) is reported now.
    reportDataConnection(connection, dataSocket, dataSocket instanceof TLSSocket);
    await transfer(dataSocket);
    ended = "done";
  } catch (err) {
    // RFC 959 §4.1.3 ABOR: the aborted command answers 426, then ABOR itself 226.
    if (aborted) return connection.reply(426, `${description}: transfer aborted by ABOR`);
    // Our own errors carry their code and a client-side message; any other is the data connection failing.
    if (err instanceof FtpReplyError) return connection.reply(err.code, err.message);
    return connection.reply(426, "Connection closed; transfer aborted");
  } finally {
    connection.transfer?.reportEnd?.(aborted ? "aborted" : ended);
    connector.end();
    connection.transfer = undefined;
    connection.allocatedBytes = undefined; // ALLO is for the one transfer command after it
  }
}

/** At most this often a running transfer's progress is reported (to the console). */
const PROGRESS_EVERY_MS = 250;
/** A transfer that is stuck (its client stopped reading) is still reported this often: its clock runs, its rate falls to 0. */
const PROGRESS_STUCK_EVERY_MS = 1000;
/**
 * The rate is over this last stretch of the transfer: a download's bytes count in 1 MiB steps
 * (each piece once the system has all of it), too coarse for one 250 ms interval alone.
 */
const RATE_OVER_MS = 2000;

/**
 * Reports a transfer's progress to the console while it runs (TransferProgress, servers/activity.ts):
 * once at the start, then from a timer that reads the data connection's byte counters, then once
 * at the end (withDataConnection calls reportEnd). Nothing is counted per piece of the file, so a
 * 100 MB RETR costs the same few reports a second as a small one. Without a console: nothing.
 */
function watchTransfer(connection: ControlConnection, socket: Socket, what: { command: TransferProgress["command"]; path: string; total?: number }): void {
  const control = controlReports.get(connection);
  const id = dataSessionIds.get(socket);
  const activity = control?.activity;
  if (!control || !activity || !id || !connection.transfer) return;
  const { command, path, total } = what; // total: RETR's file size; an upload's size as ALLO announced it, if any
  const direction = command === "RETR" ? "download" : "upload";
  // A download's bytes count once the system has taken them (Node's own queue, up to 2 MiB
  // here, not yet); an upload's once they have been read from the system.
  const moved = direction === "download" ? () => Math.max(0, socket.bytesWritten - socket.writableLength) : () => socket.bytesRead;
  const startedMs = Date.now();
  const started = new Date(startedMs).toISOString();
  const send = (state: TransferProgress["state"], bytes: number, ms: number, bytesPerSecond: number) => {
    const progress: TransferProgress = { id, sessionId: control.report.id, account: connection.username ?? "", command, direction, path, bytes, bytesPerSecond, started, at: new Date(ms).toISOString(), elapsedMs: ms - startedMs, state };
    if (total !== undefined) progress.total = total;
    activity.transfer(progress);
  };
  const perSecond = (bytes: number, ms: number) => Math.round((bytes * 1000) / Math.max(1, ms));
  send("running", 0, startedMs, 0);
  const reported = [{ bytes: 0, ms: startedMs }]; // the reports of the last RATE_OVER_MS, oldest first
  const timer = setInterval(() => {
    const ms = Date.now();
    const bytes = moved();
    const last = reported[reported.length - 1];
    if (bytes === last.bytes && ms - last.ms < PROGRESS_STUCK_EVERY_MS) return;
    while (reported.length > 1 && ms - reported[1].ms >= RATE_OVER_MS) reported.shift();
    send("running", bytes, ms, perSecond(bytes - reported[0].bytes, ms - reported[0].ms));
    reported.push({ bytes, ms });
  }, PROGRESS_EVERY_MS);
  timer.unref(); // a transfer keeps the server alive, not its reports
  connection.transfer.reportEnd = (state) => {
    clearInterval(timer);
    const ms = Date.now();
    const bytes = moved();
    send(state, bytes, ms, perSecond(bytes, ms - startedMs)); // the average, over the whole transfer
  };
}

/** RFC 959 §4.1.3 ABOR with no transfer under way: the data connection (if any) is closed. */
async function abort({ connection }: Command): Promise<unknown> {
  connection.connector.end();
  return connection.reply(226, "No transfer in progress; data connection closed");
}

/** RFC 959 §4.1.3 RETR: the file's bytes on the data connection (from the REST offset on). */
async function retrieve({ connection, arg }: Command): Promise<unknown> {
  const start = connection.restByteCount ?? 0;
  connection.restByteCount = 0;
  return withDataConnection(connection, `RETR ${arg ?? ""}`, async (socket) => {
    const { file, clientPath, size } = await sandbox(connection).openForReading(arg ?? "");
    // In TYPE A the bytes sent differ from the size on disk (13): the total is then unknown.
    watchTransfer(connection, socket, { command: "RETR", path: clientPath, total: connection.transferType === "ascii" ? undefined : Math.max(0, size - start) });
    try {
      // The 150 goes out while the file's first piece is read; that piece follows it.
      const announced = connection.reply(150);
      await sendFile(file, start, socket, { ascii: connection.transferType === "ascii", clientPath, after: announced });
    } finally {
      await file.close().catch(() => {}); // even when the transfer never started
    }
    await connection.reply(226, clientPath);
  });
}

/** The size of each read from the file, and of each write to the data connection. */
const TRANSFER_CHUNK_BYTES = 1024 * 1024;

/**
 * RETR's data path: the file from `position` on, read in 1 MiB pieces into two buffers used in
 * turn — while one piece is being sent, the next is read. Each write is waited for before its
 * buffer is read into again, so nothing is allocated per piece (Node streams allocate a new
 * 1 MiB buffer for every read, and collecting that garbage cost more time than the copying).
 * TYPE A (13): each LF of the file not after a CR goes out as CRLF, the network's line end.
 * A failed read is 451 (our side); a failed write is the data connection failing (426).
 * Nothing is sent before `after` (the 150 reply) has gone out.
 */
async function sendFile(file: FileHandle, position: number, socket: Socket, options: { ascii: boolean; clientPath: string; after: Promise<unknown> }): Promise<void> {
  const { ascii, clientPath } = options;
  const buffers = [Buffer.allocUnsafe(TRANSFER_CHUNK_BYTES), Buffer.allocUnsafe(TRANSFER_CHUNK_BYTES)];
  let sending: Promise<unknown> = options.after; // the first piece waits for this (the 150 reply)
  sending.catch(() => {});
  let lastByte = 0; // TYPE A: the byte before this piece (a CR there means its LF is already a CRLF)
  for (let turn = 0; ; turn++) {
    const buffer = buffers[turn % 2]; // its last write was waited for one turn ago
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position).catch(() => {
      throw new FtpReplyError(`${clientPath}: could not read the file; transfer aborted`, 451);
    });
    await sending;
    if (bytesRead === 0) break;
    position += bytesRead;
    const piece = buffer.subarray(0, bytesRead);
    sending = send(socket, ascii ? toNetworkLines(piece, lastByte) : piece);
    sending.catch(() => {}); // a failure is seen at the next turn's await, not as an unhandled rejection
    lastByte = piece[bytesRead - 1];
  }
  socket.end();
  await finished(socket, { readable: false }); // all of it handed to the system (the client may keep its side open)
}

/** Writes `chunk` to the data connection; resolves once the system has all of it, fails if the connection does. */
function send(socket: Socket, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return reject(new Error("data connection closed"));
    const closed = () => reject(new Error("data connection closed"));
    socket.once("close", closed);
    socket.write(chunk, (err) => {
      socket.off("close", closed);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** RFC 959 §4.1.3 STOR (and APPE, STOU): the data connection's bytes become the file, all or nothing. */
async function store({ connection, arg }: Command, { append, unique }: { append: boolean; unique?: boolean }): Promise<unknown> {
  const start = connection.restByteCount;
  connection.restByteCount = 0;
  const announced = connection.allocatedBytes; // ALLO's size, for this upload only
  connection.allocatedBytes = undefined;
  const control = connection.commandSocket;
  return withDataConnection(connection, `${unique ? "STOU" : append ? "APPE" : "STOR"} ${arg ?? ""}`, async (dataSocket) => {
    const fs = sandbox(connection);
    const settled = new Promise<void>((resolve) => dataSocket.once("end", () => resolve(settleAfterEnd())));
    // 12: STOU takes its name at once, so that no other STOU can choose it too.
    const name = unique ? await fs.reserveUniqueName(arg) : (arg ?? "");
    try {
      const { stream, clientPath } = await fs.write(name, {
        append,
        start,
        // A client that is gone cannot have meant the upload to be complete (it never reads the
        // 226): a client killed mid-upload closes its data connection, which looks like the end
        // of the file, and its control connection a moment later. So wait that moment
        // (UPLOAD_SETTLE_MS), counted from the data connection's end (while the last bytes are
        // written and the file closed), then look: still there, and the data connection not reset?
        // Unless the client announced the size (ALLO) and exactly that many bytes came: then the
        // file is whole, whether or not its client stays to read the 226, and needs no wait.
        keep: async (bytes) => {
          if (bytes === announced) return notReset(dataSocket);
          await settled;
          return !control.destroyed && !control.readableEnded && (await notReset(dataSocket));
        },
      });
      watchTransfer(connection, dataSocket, { command: unique ? "STOU" : append ? "APPE" : "STOR", path: clientPath, total: announced });
      // RFC 1123 §4.1.2.9: STOU's 150 names the file it makes ("150 FILE: name").
      await connection.reply(150, unique ? `FILE: ${name}` : undefined);
      // TYPE A (13): the network's CRLF line ends are stored as LF.
      const steps = connection.transferType === "ascii" ? [dataSocket, fromNetworkLines(), stream] : [dataSocket, stream];
      await pipeline(steps); // sandbox-fs renames the file into place before this resolves
      if (dataSocket instanceof TLSSocket) await endTls(dataSocket);
      const reported = controlReports.get(connection);
      reported?.activity?.stored({ kind: "file-stored", sessionId: reported.report.id, owner: connection.username ?? "", ref: clientPath, bytes: dataSocket.bytesRead, at: new Date().toISOString() });
      await connection.reply(226, clientPath);
    } catch (err) {
      if (unique) await fs.releaseUniqueName(name).catch(() => {});
      throw err;
    }
  });
}

/**
 * RFC 959 §4.1.3 ALLO: the size of the file the next STOR (or STOU, APPE) sends, in bytes
 * ("ALLO 5000", or with a record size: "ALLO 5000 R 512", which is ignored). The disk needs no
 * reserving here, but the number says when an upload is complete: one that brings exactly that
 * many bytes gets its 226 without the wait for a vanished client (UPLOAD_SETTLE_MS). (lftp sends
 * ALLO when `ftp:use-allo` is on; PHP's ftp_alloc() sends it.)
 */
async function allocate({ connection, arg }: Command): Promise<unknown> {
  const [size, record, recordSize, ...rest] = (arg ?? "").split(" ");
  const isCount = (text: string | undefined) => text !== undefined && /^\d{1,15}$/.test(text);
  if (!isCount(size) || rest.length > 0 || (record !== undefined && (record !== "R" || !isCount(recordSize)))) {
    return connection.reply(501, "Syntax error: ALLO <bytes> [R <record size>]");
  }
  connection.allocatedBytes = Number(size);
  return connection.reply(200, `ALLO ${size}: an upload of exactly ${size} bytes is taken as complete`);
}

/**
 * PROT P: a TLS data connection ends with TLS's own close_notify, answered before the TCP close
 * (Python's ftplib waits for it after an upload, and fails without it).
 */
function endTls(dataSocket: TLSSocket): Promise<void> {
  return new Promise((resolve) => dataSocket.end(resolve));
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

/** RFC 959 §4.1.3 LIST ("ls -l" lines) and NLST (names only) of a folder, or of one file. */
async function list({ connection, arg, directive }: Command, { namesOnly }: { namesOnly: boolean }): Promise<unknown> {
  return withDataConnection(connection, `${directive} ${arg ?? ""}`, async (socket) => {
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

/**
 * RFC 3659 §4 SIZE: "the exact number of octets … that would be transmitted over the data
 * connection" in the current TYPE. In TYPE I that is the size on disk. In TYPE A each LF that
 * goes out as CRLF (13) adds a byte, so the file is read and counted — up to ASCII_SIZE_LIMIT;
 * above it the answer is 550 (§4.2: the size "is not available … in the current MODE and TYPE"),
 * as reading 100 MB to answer one SIZE would hold up the control connection. ftp-srv answered
 * with the size on disk in every TYPE, and for a folder too.
 */
async function fileSize({ connection, arg }: Command): Promise<unknown> {
  const fs = sandbox(connection);
  // Every failure is 550 here (§4.2), a reserved or unreachable name too.
  const stats = await fs.get(arg ?? "").catch((err: unknown) => {
    throw err instanceof FtpReplyError ? new FtpReplyError(err.message, 550) : err;
  });
  if (!stats.isFile()) throw new FtpReplyError(`${arg}: not a plain file`, 550);
  if (connection.transferType !== "ascii") return connection.reply(213, String(stats.size));
  if (stats.size > ASCII_SIZE_LIMIT) {
    throw new FtpReplyError(`${arg}: SIZE not available in ASCII mode for files over ${ASCII_SIZE_LIMIT / 1024 / 1024} MiB (TYPE I gives the size on disk)`, 550);
  }
  const { file } = await fs.openForReading(arg ?? "");
  let size = 0;
  let lastByte = 0;
  try {
    for await (const chunk of file.createReadStream({ highWaterMark: TRANSFER_CHUNK_BYTES, autoClose: false }) as AsyncIterable<Buffer>) {
      size += chunk.length + loneLineFeeds(chunk, lastByte);
      lastByte = chunk[chunk.length - 1];
    }
  } finally {
    await file.close();
  }
  return connection.reply(213, String(size));
}

/** Files up to this size get an exact SIZE in TYPE A (they are read to count their line ends). */
const ASCII_SIZE_LIMIT = 64 * 1024 * 1024;

// ----- 11. FEAT -----

/**
 * RFC 2389 §3.2: FEAT lists the extensions this server really has, and nothing else. ftp-srv's
 * list left out REST STREAM (RFC 3659 §5.5: a server that restarts transfers MUST list it) and
 * named AUTH TLS, PBSZ and PROT, which answered 502.
 */
async function features({ connection, settings }: Command): Promise<unknown> {
  const extensions = [...(settings.tls ? ["AUTH TLS", "PBSZ", "PROT"] : []), "EPSV", "MDTM", "REST STREAM", "SIZE", "UTF8"];
  return connection.reply(211, "Extensions supported", ...extensions.map((name) => ({ raw: true, message: ` ${name}` })), "End");
}

/**
 * RFC 2389 §4 OPTS, for the one option offered: UTF8 (RFC 2640 §3.3; FEAT lists it). Like FEAT it
 * works before login — lftp sends "OPTS UTF8 ON" before USER, and ftp-srv answered 530. Paths are
 * UTF-8 either way; OFF is accepted as ftp-srv did (its replies then go out as plain bytes).
 */
async function optionsCommand({ connection, arg }: Command): Promise<unknown> {
  const [option = "", setting = ""] = (arg ?? "").toUpperCase().trim().split(/\s+/);
  if (option !== "UTF8" && option !== "UTF-8") return connection.reply(501, `Unknown option ${option || "(none)"}: only UTF8 is offered`);
  if (setting !== "ON" && setting !== "OFF") return connection.reply(501, "OPTS UTF8 ON or OPTS UTF8 OFF");
  connection.encoding = setting === "ON" ? "utf8" : "ascii";
  return connection.reply(200, `UTF8 ${setting === "ON" ? "on" : "off"}`);
}

// ----- 13. TYPE -----

/**
 * RFC 959 §3.1.1 and §4.1.2: TYPE A (or A N, "non-print": plain text) converts line ends, TYPE I
 * and TYPE L 8 send the bytes as they are. ftp-srv refused "A N" and "L 8" with 501 (§5.1 makes
 * "TYPE A N" part of the minimum every server has) and did not convert anything in TYPE A.
 */
async function representationType({ connection, arg }: Command): Promise<unknown> {
  const type = (arg ?? "").toUpperCase().trim().replace(/\s+/g, " ");
  if (type === "A" || type === "A N") {
    connection.transferType = "ascii";
    return connection.reply(200, 'Switch to "ascii" transfer mode.'); // ftp-srv's words, which lesson 11 quotes
  }
  if (type === "I" || type === "L 8" || type === "L8") {
    connection.transferType = "binary";
    return connection.reply(200, 'Switch to "binary" transfer mode.');
  }
  // The forms RFC 959 defines that this server does not offer: 504, "not implemented for that parameter".
  if (/^(A [TC]|E( [NTC])?|L \d+)$/.test(type)) return connection.reply(504, `TYPE ${type} is not implemented: use A or I`);
  return connection.reply(501, "Syntax error: TYPE A, TYPE A N, TYPE I or TYPE L 8");
}

/** How many LFs in `chunk` have no CR before them (`lastByte`: the byte before the chunk): each becomes CRLF in TYPE A. */
function loneLineFeeds(chunk: Buffer, lastByte: number): number {
  let count = 0;
  for (let lf = chunk.indexOf(10); lf !== -1; lf = chunk.indexOf(10, lf + 1)) {
    if ((lf > 0 ? chunk[lf - 1] : lastByte) !== 13) count++;
  }
  return count;
}

const CR = Buffer.from("\r");
const CRLF = Buffer.from("\r\n");

/** TYPE A download: every LF not already after a CR becomes CRLF (`lastByte`: the byte before `chunk`). */
function toNetworkLines(chunk: Buffer, lastByte: number): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let lf = chunk.indexOf(10); lf !== -1; lf = chunk.indexOf(10, lf + 1)) {
    if ((lf > 0 ? chunk[lf - 1] : lastByte) === 13) continue;
    parts.push(chunk.subarray(from, lf), CR);
    from = lf;
  }
  parts.push(chunk.subarray(from));
  return Buffer.concat(parts);
}

/** TYPE A upload: each CRLF is stored as LF (a CR at a chunk's end waits to see what follows). */
function fromNetworkLines(): Transform {
  let heldCR = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let bytes = heldCR ? Buffer.concat([CR, chunk]) : chunk;
      heldCR = bytes.length > 0 && bytes[bytes.length - 1] === 13;
      if (heldCR) bytes = bytes.subarray(0, -1);
      const parts: Buffer[] = [];
      let from = 0;
      for (let crlf = bytes.indexOf(CRLF); crlf !== -1; crlf = bytes.indexOf(CRLF, crlf + 2)) {
        parts.push(bytes.subarray(from, crlf));
        from = crlf + 1; // keep the LF
      }
      parts.push(bytes.subarray(from));
      done(null, Buffer.concat(parts));
    },
    flush(done) {
      done(null, heldCR ? CR : undefined);
    },
  });
}

// ----- 15. FTPS: AUTH TLS, PBSZ, PROT (RFC 4217) -----

/** RFC 4217 §4 AUTH — AUTH TLS itself is taken in the control reader (startTls); what is left is refused. */
async function authenticationMechanism({ connection, settings }: Command): Promise<unknown> {
  if (!settings.tls) return connection.reply(502, "AUTH is not offered: this server has no certificate");
  if (isSecure(connection)) return connection.reply(503, "Already using TLS");
  return connection.reply(504, "Only AUTH TLS is offered");
}

/** RFC 4217 §8 PBSZ: TLS has no protection buffer, so the only size is 0. */
async function protectionBufferSize({ connection }: Command): Promise<unknown> {
  if (!isSecure(connection)) return connection.reply(503, "Send AUTH TLS first");
  connection.protectionBufferSet = true;
  return connection.reply(200, "PBSZ=0");
}

/** RFC 4217 §9 PROT: P, data connections in TLS too; C, in the clear. S and E do not exist for TLS. */
async function dataChannelProtection({ connection, arg, settings }: Command): Promise<unknown> {
  if (!isSecure(connection) || !connection.protectionBufferSet) return connection.reply(503, "Send AUTH TLS and PBSZ 0 first");
  const level = (arg ?? "").toUpperCase();
  if (level === "P") connection.dataTls = secureContextOf(settings);
  else if (level === "C") connection.dataTls = undefined;
  else if (level === "S" || level === "E") return connection.reply(536, `PROT ${level} is not supported with TLS: use P or C`);
  else return connection.reply(504, "PROT P or PROT C");
  return connection.reply(200, `PROT ${level}: data connections ${level === "P" ? "in TLS" : "in the clear"}`);
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
