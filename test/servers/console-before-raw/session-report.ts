// The console's code before a body's lines crossed raw (commit c9286e3, servers/session-report.ts), kept
// verbatim but for its imports: console-raw-replay.test.ts replays recorded sessions through it and
// through today's code and compares what the API shows. Not used by the playground.

// How a server reports one session (a TCP connection, an HTTP request) to whoever watches:
// the console, and `npm start -- --trace`. There is one path for both:
//
//   server ──bytes──▶ SessionReporter ──Transcript (cut into C:/S: lines, secrets masked,
//                                        long runs folded)──▶ Activity ──▶ console store
//                                                                      └─▶ printTrace → terminal
//
// The reporter counts the bytes each way, cuts them into lines with servers/transcript.ts (the
// one masking code; the server passes its mask) and says how the session ended. A server makes
// one reporter per connection, and none at all when nobody watches (reportsTo() → undefined).

import type { Activity, SessionChange, SessionEnd, SessionLine } from "../../../servers/activity.ts";
import { Transcript, type Side } from "./transcript.ts";

// Unique ids across restarts and across servers: protocol, port, this start, a counter.
const boot = Date.now().toString(36);
let sessionCount = 0;

/** A new session id: "smtp-2525-m1x2y3-17". */
export function newSessionId(protocol: string, port: number): string {
  return `${protocol}-${port}-${boot}-${++sessionCount}`;
}

export interface ReporterOptions {
  protocol: string;
  /** The server's own port. */
  port: number;
  /** The client's address:port. */
  client: string;
  tls: boolean;
  /** What --trace prints in front of each line ("pop3 #12"). */
  label: string;
  relatedTo?: string;
  /** Hides secrets (passwords, AUTH's base64) before a line leaves the server. */
  mask?: (line: string, side: Side) => string;
  /** After this many lines in a row from one side the rest is folded (default 12, as --trace always did). */
  maxLinesInARow?: number;
  /** Bytes of each side cut into lines; past them only counted (an FTP data connection: 64 KB of a 100 MB file). */
  transcribedBytes?: number;
}

/** How many lines inside one fold still reach the console (the rest is only counted). */
const KEPT_IN_A_FOLD = 200;

export class SessionReporter {
  readonly id: string;
  bytesIn = 0;
  bytesOut = 0;
  private readonly transcript: Transcript;
  private readonly transcribedBytes: number;
  private done = false;
  private at = now();

  constructor(
    private readonly activity: Activity,
    options: ReporterOptions,
  ) {
    this.id = newSessionId(options.protocol, options.port);
    this.transcribedBytes = options.transcribedBytes ?? Infinity;
    const { protocol, port, client, tls, label, relatedTo } = options;
    activity.sessionOpened({ id: this.id, protocol, port, client, tls, label, relatedTo, started: new Date().toISOString() });
    this.transcript = new Transcript({
      maxLinesInARow: options.maxLinesInARow ?? 12,
      keepFolded: KEPT_IN_A_FOLD,
      keepLines: false, // the console's store keeps what it can afford; this only hands lines on
      mask: options.mask,
      onLine: (_line, info) => {
        const report: SessionLine = { id: this.id, side: info.side, text: info.text, bytes: info.bytes, at: this.at };
        if (info.fold) report.fold = info.fold;
        this.activity.sessionLine(report);
      },
    });
  }

  /** Bytes one side sent ("C": the client, "S": the server). */
  data(side: Side, chunk: Buffer): void {
    if (this.done) return;
    this.at = now(); // one time for all the lines of a chunk (they arrived together)
    const before = side === "C" ? this.bytesIn : this.bytesOut;
    if (side === "C") this.bytesIn += chunk.length;
    else this.bytesOut += chunk.length;
    if (before >= this.transcribedBytes) return; // only counted
    this.transcript.data(side, before + chunk.length > this.transcribedBytes ? chunk.subarray(0, this.transcribedBytes - before) : chunk);
  }

  /** Something that is not bytes: "TLS handshake", "connection closed". */
  note(side: Side, text: string): void {
    this.at = now();
    if (!this.done) this.transcript.note(side, text);
  }

  /** Logged in, TLS started, or the session it belongs to found out. */
  changed(change: Omit<SessionChange, "id">): void {
    if (!this.done) this.activity.sessionChanged({ id: this.id, ...change });
  }

  /** The session is over; later calls do nothing. */
  closed(how: SessionEnd): void {
    if (this.done) return;
    for (const [side, bytes] of [["C", this.bytesIn], ["S", this.bytesOut]] as const) {
      if (bytes > this.transcribedBytes) this.transcript.note(side, `${bytes - this.transcribedBytes} more bytes, not cut into lines`);
    }
    this.transcript.toString(); // the last unfinished line, and the summary of a fold still open
    this.done = true;
    this.activity.sessionClosed({ id: this.id, how, bytesIn: this.bytesIn, bytesOut: this.bytesOut, ended: new Date().toISOString() });
  }
}

// The time of a line, as an ISO string: made once per millisecond, however many lines arrive in it.
let lastMs = 0;
let lastIso = "";
function now(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** How a connection that ended with an error ended, in the console's words. */
export function endOfError(err: unknown): SessionEnd {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ECONNRESET" || code === "EPIPE") return "reset";
  if (code === "ETIMEDOUT") return "timeout";
  return "error";
}

/**
 * Who hears a server's sessions: the console's `activity`, and a `trace` printer for --trace;
 * undefined when neither is there (then the server makes no reporters at all).
 */
export function reportsTo(activity: Activity | undefined, trace: ((line: string) => void) | undefined): Activity | undefined {
  if (!trace) return activity;
  const printer = printTrace(trace);
  return activity ? fanOut(activity, printer) : printer;
}

/** --trace as a consumer of the reports: "pop3 #12 C: STAT\r\n", folded lines left out. */
export function printTrace(print: (line: string) => void): Activity {
  const labels = new Map<string, string>();
  return {
    sessionOpened: (session) => void labels.set(session.id, session.label ?? session.id),
    sessionLine: (line) => {
      if (line.fold !== "inside") print(`${labels.get(line.id) ?? line.id} ${line.side}: ${line.text}`);
    },
    sessionChanged: () => {},
    sessionClosed: (closed) => void labels.delete(closed.id),
    stored: () => {},
    transfer: () => {}, // the control connection's 150 and 226 say it
  };
}

/** Every report to each of `activities`. */
export function fanOut(...activities: Activity[]): Activity {
  return {
    sessionOpened: (session) => activities.forEach((activity) => activity.sessionOpened(session)),
    sessionLine: (line) => activities.forEach((activity) => activity.sessionLine(line)),
    sessionChanged: (change) => activities.forEach((activity) => activity.sessionChanged(change)),
    sessionClosed: (closed) => activities.forEach((activity) => activity.sessionClosed(closed)),
    stored: (item) => activities.forEach((activity) => activity.stored(item)),
    transfer: (progress) => activities.forEach((activity) => activity.transfer(progress)),
  };
}
