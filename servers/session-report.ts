// How a server reports one session (a TCP connection, an HTTP request) to whoever watches:
// the console, and `npm start -- --trace`. There is one path for both:
//
//   server ──bytes──▶ SessionReporter ──Transcript (cut into C:/S: lines, secrets masked,
//                                        long runs folded)──▶ Activity ──▶ console store
//                                                                      └─▶ printTrace → terminal
//
// The reporter counts the bytes each way, cuts them into lines with servers/transcript.ts (the
// server passes its mask, from masks.ts) and says how the session ended. A server makes one
// reporter per connection, and none at all when nobody watches (reportsTo() → undefined).
//
// A server on a worker thread, watched by the console alone, does not cut its lines itself: its
// Activity (the messenger to the supervisor) takes raw bytes (Activity.sessionRaw), and the
// reporter hands them on uncut. The console's store keeps them so, and cuts them with the same
// Transcript and the same mask when someone asks to see them (RawCut, below), so the console
// shows the same lines, and the worker — the thread that serves the class — only copies bytes.

import type { Activity, LineBlock, RawKind, SessionChange, SessionEnd, SessionLine } from "./activity.ts";
import type { DotBlockEnd } from "./line-protocol.ts";
import { maskFor, type Mask, type SessionMask } from "./masks.ts";
import { cutRawLines, Transcript, type Side } from "./transcript.ts";

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
  /** Hides secrets (passwords, AUTH's base64) where the lines are cut: masks.ts (the same mask maskFor() makes for the supervisor). */
  mask?: Mask;
  /** After this many lines in a row from one side the rest is folded (default 12, as --trace always did; a session with its own is cut where it runs). */
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
  /** Cuts the bytes into lines here; null when they go on raw (`raw`). */
  private readonly transcript: Transcript | null;
  /** Takes the bytes uncut (a worker's messenger: the supervisor cuts them), or null. */
  private readonly raw: Required<Pick<Activity, "sessionRaw">> | null;
  private readonly transcribedBytes: number;
  private done = false;
  private at = reportTime();

  constructor(
    private readonly activity: Activity,
    options: ReporterOptions,
  ) {
    this.id = newSessionId(options.protocol, options.port);
    this.transcribedBytes = options.transcribedBytes ?? Infinity;
    const { protocol, port, client, tls, label, relatedTo } = options;
    activity.sessionOpened({ id: this.id, protocol, port, client, tls, label, relatedTo, started: new Date().toISOString() });
    // Raw when the Activity takes it and whoever cuts them later knows how: this protocol's mask
    // (masks.ts) and the default fold. (FTP's sessions, with their own fold and their data
    // connections cut only in part, are cut here.)
    const raw = activity.sessionRaw && options.maxLinesInARow === undefined && options.transcribedBytes === undefined && maskFor(protocol);
    this.raw = raw ? (activity as Required<Pick<Activity, "sessionRaw">>) : null;
    this.transcript = raw ? null : sessionTranscript(activity, this.id, () => this.at, options.mask, options.maxLinesInARow);
  }

  /** Bytes one side sent ("C": the client, "S": the server). */
  data(side: Side, chunk: Buffer): void {
    const shown = this.count(side, chunk);
    if (!shown) return;
    if (this.raw) this.raw.sessionRaw(this.id, this.at, "data", side, shown);
    else this.transcript!.data(side, shown);
  }

  /**
   * Bytes of a body one side sent (an SMTP DATA from the 354 to its ".", a POP3 RETR, an NNTP
   * article): data, not commands. Shown like data()'s, but never masked, and sent to the console
   * as raw text (Activity.sessionBody) instead of one line at a time.
   */
  body(side: Side, chunk: Buffer): void {
    const shown = this.count(side, chunk);
    if (!shown) return;
    if (this.raw) this.raw.sessionRaw(this.id, this.at, "body", side, shown);
    else this.transcript!.body(side, shown);
  }

  /**
   * What a client sent while a body may be under way (an SMTP DATA, an NNTP POST): the body's
   * bytes up to its "." line as body(), anything after it in the same chunk (a pipelined next
   * command) as data(). Returns the body if it goes on, null once it has ended (or if there was none).
   */
  clientData(chunk: Buffer, body: DotBlockEnd | null): DotBlockEnd | null {
    if (!body) {
      this.data("C", chunk);
      return null;
    }
    const end = body.feed(chunk);
    if (end === -1) {
      this.body("C", chunk);
      return body;
    }
    this.body("C", chunk.subarray(0, end));
    if (end < chunk.length) this.data("C", chunk.subarray(end));
    return null;
  }

  /** Counts a chunk's bytes; returns the part still to be transcribed (none past transcribedBytes, or once done). */
  private count(side: Side, chunk: Buffer): Buffer | null {
    if (this.done) return null;
    this.at = reportTime(); // one time for all the lines of a chunk (they arrived together)
    const before = side === "C" ? this.bytesIn : this.bytesOut;
    if (side === "C") this.bytesIn += chunk.length;
    else this.bytesOut += chunk.length;
    if (before >= this.transcribedBytes) return null; // only counted
    return before + chunk.length > this.transcribedBytes ? chunk.subarray(0, this.transcribedBytes - before) : chunk;
  }

  /** Something that is not bytes: "TLS handshake", "connection closed". */
  note(side: Side, text: string): void {
    this.at = reportTime();
    if (this.done) return;
    if (this.raw) this.raw.sessionRaw(this.id, this.at, "note", side, Buffer.from(text));
    else this.transcript!.note(side, text);
  }

  /** Logged in, TLS started, or the session it belongs to found out. */
  changed(change: Omit<SessionChange, "id">): void {
    if (!this.done) this.activity.sessionChanged({ id: this.id, ...change });
  }

  /** The session is over; later calls do nothing. */
  closed(how: SessionEnd): void {
    if (this.done) return;
    for (const [side, bytes] of [["C", this.bytesIn], ["S", this.bytesOut]] as const) {
      if (bytes > this.transcribedBytes) this.transcript?.note(side, `${bytes - this.transcribedBytes} more bytes, not cut into lines`);
    }
    // The last unfinished line, and the summary of a fold still open (raw: the cutter does this when it hears the close).
    this.transcript?.toString();
    this.done = true;
    this.activity.sessionClosed({ id: this.id, how, bytesIn: this.bytesIn, bytesOut: this.bytesOut, ended: new Date().toISOString() });
  }
}

/**
 * The transcript that cuts one session's bytes into the lines `activity` hears, each line at the
 * time `at()` says: a SessionReporter's, and a RawCut's for a worker's raw bytes. Lines in a row
 * past `maxLinesInARow` (default 12) are folded.
 */
export function sessionTranscript(activity: Pick<Activity, "sessionLine" | "sessionBody">, id: string, at: () => string, mask?: Mask, maxLinesInARow = 12): Transcript {
  return new Transcript({
    maxLinesInARow,
    keepFolded: KEPT_IN_A_FOLD,
    keepLines: false, // the console's store keeps what it can afford; this only hands lines on
    mask,
    onLine: (_line, info) => {
      const report: SessionLine = { id, side: info.side, text: info.text, bytes: info.bytes, at: at() };
      if (info.fold) report.fold = info.fold;
      activity.sessionLine(report);
    },
    // A body's lines go on as raw text to whoever can take them so (the console); for others
    // (--trace alone) the transcript cuts them one by one, as any line.
    onBody: activity.sessionBody ? (side, raw, lines, plain) => activity.sessionBody!(id, at(), side, raw, lines, plain) : undefined,
  });
}

/**
 * Counts the lines sessionTranscript() would make, without making them (Transcript's countOnly:
 * `counted`; feed it with feedRaw). The console's store counts so the lines of a session it keeps
 * as raw bytes (console/sessions.ts).
 */
export function lineCounter(maxLinesInARow = 12): Transcript {
  return new Transcript({ maxLinesInARow, keepFolded: KEPT_IN_A_FOLD, keepLines: false, countOnly: true });
}

/** Bytes as Activity.sessionRaw brings them, into a transcript (which copies what it keeps: they may be read where they lie). */
export function feedRaw(transcript: Transcript, kind: RawKind, side: Side, bytes: Buffer): void {
  if (kind === "note") transcript.note(side, bytes.toString());
  else if (kind === "body") transcript.body(side, bytes);
  else transcript.data(side, bytes);
}

/**
 * One session's raw bytes (Activity.sessionRaw) cut into lines and masked, exactly as its
 * SessionReporter in the worker would have cut them: the same transcript (sessionTranscript) and
 * the mask masks.ts makes for its protocol — which learns of the login from loggedIn(). Its lines
 * and bodies go to `to`, each at the time of the bytes that ended it. Made by whoever cuts a
 * worker's raw bytes: activity-bridge.ts (cutOnArrival), the console's store (console/sessions.ts).
 */
export class RawCut {
  private at: string;
  private readonly transcript: Transcript;
  private readonly told?: () => void;

  /** A cut for a session of `protocol`; undefined if its bytes are never raw (maskFor knows no mask for it: FTP, HTTP). */
  static of(protocol: string, id: string, started: string, to: Pick<Activity, "sessionLine" | "sessionBody">): RawCut | undefined {
    const mask = maskFor(protocol)?.();
    return mask && new RawCut(id, started, to, mask);
  }

  private constructor(id: string, started: string, to: Pick<Activity, "sessionLine" | "sessionBody">, mask: SessionMask) {
    this.at = started;
    this.told = mask.loggedIn;
    this.transcript = sessionTranscript(to, id, () => this.at, mask.mask);
  }

  /** Bytes as Activity.sessionRaw brings them (read where they lie: the transcript copies what it keeps). */
  raw(at: string, kind: RawKind, side: Side, bytes: Buffer): void {
    this.at = at;
    feedRaw(this.transcript, kind, side, bytes);
  }

  /** The session has logged in (sessionChanged with its account). */
  loggedIn(): void {
    this.told?.();
  }

  /** The session has closed: the last unfinished line, and the summary of a fold still open. */
  end(): void {
    this.transcript.toString();
  }
}

/**
 * Lines in a row of one session at one time, made into one LineBlock: line() adds one (a line of
 * another session, or of another time, ends the block before it), end() hands the block to
 * `done` — call it before anything else is reported, so that the order stays as it was. Its
 * texts are collected in an array and joined once, not added one by one to a string: `texts +=
 * "\n" + text` makes a rope (V8 keeps a "cons string" pointing at both halves) that postMessage
 * must walk and flatten into one string before it can copy it — fresh blocks posted cost about
 * twice as much as blocks that had been sent once, and so were already flat.
 */
export function lineBlocks(done: (block: LineBlock) => void): { line(line: SessionLine): void; end(): void } {
  let block: { id: string; at: string; sides: string; folds: string; texts: string[]; bytes: number[] } | undefined;
  const end = () => {
    if (!block) return;
    const { id, at, sides, folds, texts, bytes } = block;
    block = undefined;
    done({ id, at, sides, texts: texts.join("\n"), bytes, folds });
  };
  const line = (line: SessionLine) => {
    const fold = line.fold === "inside" ? "i" : line.fold === "summary" ? "s" : "-";
    if (block && block.id === line.id && block.at === line.at) {
      block.sides += line.side;
      block.folds += fold;
      block.texts.push(line.text);
      block.bytes.push(line.bytes);
    } else {
      end();
      block = { id: line.id, at: line.at, sides: line.side, folds: fold, texts: [line.text], bytes: [line.bytes] };
    }
  };
  return { line, end };
}

// The time of a line, as an ISO string ("2026-12-03T14:33:24.123Z"), made once per millisecond
// however many lines arrive in it. A busy server's reports each land in a millisecond of their
// own, and Date's toISOString() (the calendar worked out from the milliseconds) was then the
// largest single cost of recording a session: so the date and time up to the second is made
// once a second, and only the milliseconds are added to it.
let lastMs = 0;
let lastIso = "";
let lastSecond = -1;
let secondIso = ""; // "2026-12-03T14:33:24."
const MILLISECONDS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, "0")}Z`);
/** Now, as an ISO string: every report's time (a mail stored is reported with one too). */
export function reportTime(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      secondIso = new Date(second * 1000).toISOString().slice(0, 20);
    }
    lastIso = secondIso + MILLISECONDS[ms - second * 1000]!;
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

/**
 * A body's lines (Activity.sessionBody's arguments) cut into SessionLines, one object each, for an
 * Activity that takes only lines: exactly the lines the transcript would have reported one by one.
 */
export function bodyLines(id: string, at: string, side: "C" | "S", raw: string, lines: number, plain: number): SessionLine[] {
  const { texts, bytes } = cutRawLines(raw, lines);
  return texts.map((text, i) => {
    const line: SessionLine = { id, side, text, bytes: bytes[i]!, at };
    if (i >= plain) line.fold = "inside";
    return line;
  });
}

/** Every report to each of `activities`. */
export function fanOut(...activities: Activity[]): Activity {
  return {
    sessionOpened: (session) => activities.forEach((activity) => activity.sessionOpened(session)),
    sessionLine: (line) => activities.forEach((activity) => activity.sessionLine(line)),
    // A body as it is to those that take it so, cut into lines for the others (--trace).
    sessionBody: (...body) => {
      for (const activity of activities) {
        if (activity.sessionBody) activity.sessionBody(...body);
        else for (const line of bodyLines(...body)) activity.sessionLine(line);
      }
    },
    sessionChanged: (change) => activities.forEach((activity) => activity.sessionChanged(change)),
    sessionClosed: (closed) => activities.forEach((activity) => activity.sessionClosed(closed)),
    stored: (item) => activities.forEach((activity) => activity.stored(item)),
    transfer: (progress) => activities.forEach((activity) => activity.transfer(progress)),
  };
}
