// The console's memory of sessions, in the supervisor (the main thread): every server's reports
// (servers/activity.ts) arrive here and are kept, newest first, for the page and the JSON API.
//
// Bounded, so that an afternoon of a class never grows memory without limit: a ring of the last
// `maxSessions` sessions (older ones are forgotten whole), and at most `maxLineBytes` of C:/S:
// text (or of raw bytes, below) for all of them together (past it, the oldest sessions lose their
// lines first and keep their summary). One session alone may hold a quarter of that; past it its
// lines are counted.
// Listeners (the page's live streams, api.ts) hear every change as it happens.
//
// Lines are kept as they arrive: in blocks (a LineBlock, servers/activity.ts — the lines of one
// session at one moment, their texts joined into one string). A busy SMTP server reports tens of
// thousands of lines a second and nobody reads nearly all of them, so the store does not make an
// object per line: a session's lines are a list of blocks, with a running count and size. They
// become one object each (a KeptLine) only when someone asks for the session (get, linesContain).
// A body (a mail's DATA, a RETR: sessionBody) is kept as the raw text it came as, a BodyBlock,
// and only then cut into lines (servers/transcript.ts's showRawLine: the same lines the
// transcript would have made).
//
// A worker's line sessions (SMTP, POP3, IMAP, NNTP) come as their raw bytes (Activity.sessionRaw:
// activity-bridge.ts) and are kept so — a RawLog, the bytes as they came — until someone asks to
// see their lines: then they are cut (session-report.ts's RawCut: the transcript and the mask
// their reporter would have used) for that answer only (get, linesContain). A busy class makes
// tens of thousands of lines a second, and nobody reads most of them: cutting them all as they
// came, and keeping a string for each, cost the supervisor's thread more than all of its other
// work (SMTP, 2026-12-04). Their lines are still counted as they come (a count-only transcript:
// lineCounter), so a session's summary says how many it had and how many were not kept. The
// bytes count against the limits as what they cost, the bytes themselves (lines cut cost about
// three times as much); past its share a session keeps its first bytes, and so its first lines,
// as any. A session whose lines someone watches live (subscribe(…, id), or every session's) is
// cut from then on as its bytes come, its bytes so far first — if the store still has them all:
// a mask must see every line before the one it hides. Every other session is cut only when
// asked, and a question cuts only it.
//
// FTP transfers under way are kept too, with their last progress report: every running one (a
// few at most — the FTP server's connection caps bound them), and the last `maxFinishedTransfers`
// that ended, marked done, aborted or failed.

import type { Activity, BodyBlock, LineBlock, RawKind, SessionEnd, SessionLine, SessionOpened, StoredItem, TransferProgress } from "../activity.ts";
import { maskFor } from "../masks.ts";
import { feedRaw, lineBlocks, lineCounter, RawCut } from "../session-report.ts";
import { cutRawLines, DEFAULT_MAX_LINE_LENGTH, rawLineEnd, showRawLine, shownLength, type Transcript } from "../transcript.ts";

export interface StoreLimits {
  /** Sessions kept (default 2,000). */
  maxSessions?: number;
  /** Bytes of line text kept, all sessions together (default 4 MB). */
  maxLineBytes?: number;
  /** Stored items (mail delivered, articles, files) kept (default 500). */
  maxStored?: number;
  /** Transfers that have ended, still shown (default 20). */
  maxFinishedTransfers?: number;
}

/** One line as the console keeps it: SessionLine without the session's id, with its number in the session (1, 2, …). */
export type KeptLine = Omit<SessionLine, "id"> & { n: number };

/** A session as the API shows it in a list. */
export interface SessionSummary extends Omit<SessionOpened, "label"> {
  account?: string;
  ended?: string;
  how?: SessionEnd;
  bytesIn: number;
  bytesOut: number;
  /** Lines the session had; `lines` may hold fewer (the limits above). */
  lineCount: number;
  /** Lines no longer (or never) kept because of the limits. */
  linesDropped: number;
  /**
   * Every session that caused part of this one, first = relatedTo: a relay connection to the MX
   * carries the messages of several submission sessions, one after another.
   */
  causes?: string[];
  /** The sessions this one caused: the MX sessions its messages were relayed through, its FTP data connections. */
  effects?: string[];
}

/** Lines kept of one block as it came, in a row: the first is line `n` of its session. */
export interface KeptBlock {
  /** Lines, or a body's lines still as raw text. */
  block: LineBlock | BodyBlock;
  n: number;
}

/** A kept block that is a body, still raw. */
export function isBody(block: LineBlock | BodyBlock): block is BodyBlock {
  return "raw" in block;
}

/**
 * A block's bytes on the wire, [from the client, from the server], as a session still open counts
 * them: a fold's lines by its summary, which stands for all of them (those kept inside it, and the
 * rest); so a body counts its plain lines only (one character per byte).
 */
export function bytesOnTheWire(block: LineBlock | BodyBlock): [number, number] {
  const count: [number, number] = [0, 0];
  if (isBody(block)) {
    let end = 0;
    for (let i = 0; i < block.plain; i++) end = rawLineEnd(block.raw, end);
    count[block.side === "C" ? 0 : 1] = end;
    return count;
  }
  for (let i = 0; i < block.bytes.length; i++) if (block.folds[i] !== "i") count[block.sides[i] === "C" ? 0 : 1] += block.bytes[i]!;
  return count;
}

interface Kept extends SessionSummary {
  /** The lines kept, oldest first, as the blocks they came in. */
  blocks: KeptBlock[];
  /** A session kept as its raw bytes (see the top of this file); `lineCount` counts its lines as they come. */
  raw?: {
    /** Its bytes; null once given up for room (makeRoom): its lines are then only counted, as dropped. */
    log: RawLog | null;
    /** The log holds the session's first bytes only (its share was full): the lines of the rest are counted, as dropped. */
    full: boolean;
    /** Counts its lines as they come (session-report.ts: lineCounter). */
    counter: Transcript;
  };
  /** A session whose raw bytes are cut as they come (someone watches its lines): they go into `blocks`. */
  cutting?: BlockCut;
  /** How many lines `blocks` holds, and about what they cost in memory (lineSize). */
  linesKept: number;
  lineBytes: number;
  /** Its causes belong to different accounts (a relay connection shared by two users): only the teacher sees it. */
  sharedByAccounts?: boolean;
}

/** Links kept per session each way (a day-long FTP session has thousands of data connections). */
const MAX_LINKS = 100;

export type StoreEvent =
  | { type: "session-opened" | "session-changed" | "session-closed"; session: SessionSummary }
  /** Lines reported (kept or not), as they came: line i of the block is line n + i of the session. */
  | { type: "lines"; id: string; lines: KeptBlock }
  /**
   * Bytes of sessions kept raw, not cut into lines as they came (nobody watches them), since the
   * last such event (at most one a turn of the event loop): id → [from the client, from the server].
   */
  | { type: "bytes"; counts: Map<string, [number, number]> }
  | { type: "stored"; item: StoredItem }
  | { type: "transfer"; transfer: TransferProgress };

export class SessionStore implements Activity {
  readonly maxSessions: number;
  readonly maxLineBytes: number;
  private readonly maxStored: number;
  // A Map remembers insertion order: the first entry is the oldest session.
  private readonly sessions = new Map<string, Kept>();
  // The sessions that hold lines, oldest first: where makeRoom() takes lines from.
  private readonly holdingLines = new Map<string, Kept>();
  private readonly storedItems: StoredItem[] = [];
  private readonly maxFinishedTransfers: number;
  // By data session id; a Map remembers insertion order: the first is the oldest.
  private readonly runningTransfers = new Map<string, TransferProgress>();
  private readonly finishedTransfers = new Map<string, TransferProgress>();
  private lineBytes = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  /** Listeners that want every session's lines live, and those that want one session's: id → how many. */
  private everyLine = 0;
  private readonly watched = new Map<string, number>();
  /** Lines being cut again from bytes already reported (startCutting): no events for them. */
  private replaying = false;
  /** Bytes of sessions kept raw since the last "bytes" event (emitted once a turn, while anyone listens). */
  private bytesCounted = new Map<string, [number, number]>();

  constructor(limits: StoreLimits = {}) {
    this.maxSessions = limits.maxSessions ?? 2_000;
    this.maxLineBytes = limits.maxLineBytes ?? 4 * 1024 * 1024;
    this.maxStored = limits.maxStored ?? 500;
    this.maxFinishedTransfers = limits.maxFinishedTransfers ?? 20;
  }

  // ----- what the servers report (the Activity interface) -----

  sessionOpened(opened: SessionOpened): void {
    const { label: _label, ...fields } = opened;
    const kept: Kept = { ...fields, bytesIn: 0, bytesOut: 0, lineCount: 0, linesDropped: 0, blocks: [], linesKept: 0, lineBytes: 0 };
    this.sessions.set(opened.id, kept);
    while (this.sessions.size > this.maxSessions) this.forget(this.sessions.keys().next().value!);
    this.emit({ type: "session-opened", session: summary(kept) });
    if (opened.relatedTo !== undefined) this.link(kept, opened.relatedTo);
  }

  /** One line: kept as a block of one (a server in this thread, a test). */
  sessionLine({ id, side, text, bytes, at, fold }: SessionLine): void {
    this.sessionLines({ id, at, sides: side, texts: text, bytes: [bytes], folds: fold === "inside" ? "i" : fold === "summary" ? "s" : "-" });
  }

  /**
   * Lines in a row of one session (servers/activity-bridge.ts brings them so from a worker). The
   * block itself is kept: it was made for the store alone. This runs for every few lines of
   * every session, so nothing here costs an object per line.
   */
  sessionLines(block: LineBlock): void {
    const kept = this.sessions.get(block.id);
    if (!kept) return;
    const count = block.sides.length;
    const first = kept.lineCount + 1;
    kept.lineCount += count;
    this.countBytes(kept, block);
    // What the lines cost: lineSize() each, the texts' lengths summed (the joining "\n"s are not text).
    const size = (block.texts.length - (count - 1)) * 2 + count * LINE_OVERHEAD;
    if (kept.lineBytes + size <= this.maxLineBytes / 4) this.keep(kept, { block, n: first }, count, size);
    else this.keepWhatFits(kept, block, first);
    this.makeRoom(kept);
    // No page open: no event made.
    if (this.listeners.size > 0 && !this.replaying) this.emit({ type: "lines", id: block.id, lines: { block, n: first } });
  }

  /**
   * A body's lines as raw text (servers/activity.ts, BodyBlock): kept as they are, cut into lines
   * only when the API asks. What they cost is reckoned as if they had come cut (lineSize of each
   * shown text; shownLength() reckons the texts without making them: exact for printable ASCII).
   */
  sessionBody(id: string, at: string, side: "C" | "S", raw: string, lines: number, plain: number): void {
    const kept = this.sessions.get(id);
    if (!kept) return;
    const body: BodyBlock = { id, at, side, raw, lines, plain };
    const first = kept.lineCount + 1;
    kept.lineCount += lines;
    this.countBytes(kept, body);
    const size = shownLength(raw) * 2 + lines * LINE_OVERHEAD;
    if (kept.lineBytes + size <= this.maxLineBytes / 4) this.keep(kept, { block: body, n: first }, lines, size);
    else this.keepBodyWhatFits(kept, body, first);
    this.makeRoom(kept);
    if (this.listeners.size > 0 && !this.replaying) this.emit({ type: "lines", id, lines: { block: body, n: first } });
  }

  /**
   * A worker's session's raw bytes (activity-bridge.ts hands them on uncut, read where they lie in
   * its ring: copied here if kept). Kept as they are and their lines counted; cut into lines at
   * once only if someone watches this session's lines (startCutting).
   */
  sessionRaw(id: string, at: string, kind: RawKind, side: "C" | "S", bytes: Buffer): void {
    const kept = this.sessions.get(id);
    if (!kept || kept.ended !== undefined) return;
    if (!kept.raw && !kept.cutting) {
      if (!maskFor(kept.protocol)) throw new Error(`raw bytes of a ${kept.protocol} session, which has no mask to cut them with: ${id}`);
      kept.raw = { log: new RawLog(), full: false, counter: lineCounter() };
      if (this.wantsLines(id)) this.startCutting(kept);
    }
    if (kept.cutting) {
      kept.cutting.cut.raw(at, kind, side, bytes);
      kept.cutting.blocks.end();
      return;
    }
    const raw = kept.raw!;
    if (kind !== "note") {
      if (side === "C") kept.bytesIn += bytes.length;
      else kept.bytesOut += bytes.length;
      if (this.listeners.size > 0) this.countForListeners(id, side, bytes.length);
    }
    // Past its share the log keeps what it has: the session's first bytes. (Decided before the
    // count, which counts the lines these bytes end as kept or not.)
    if (raw.log && !raw.full && kept.lineBytes + RawLog.cost(bytes.length) > this.maxLineBytes / 4) raw.full = true;
    const before = raw.counter.counted;
    feedRaw(raw.counter, kind, side, bytes);
    this.countLines(kept, raw.counter.counted - before);
    if (!raw.log || raw.full) return; // only counted
    raw.log.add(RAW_CODES[kind] + (side === "S" ? 1 : 0), at, bytes);
    this.reckonRaw(kept, raw.log);
    this.makeRoom(kept);
  }

  /**
   * Lines a session kept raw has had (its counter counted them): kept (in the bytes kept, so a
   * cut of them makes them), or, once its bytes are given up or no more are kept, dropped.
   */
  private countLines(kept: Kept, lines: number): void {
    kept.lineCount += lines;
    if (kept.raw?.log && !kept.raw.full) kept.linesKept += lines;
    else kept.linesDropped += lines;
  }

  /** What a session's raw bytes cost (RawLog.cost), counted against the limits. */
  private reckonRaw(kept: Kept, log: RawLog): void {
    this.lineBytes += log.size - kept.lineBytes;
    kept.lineBytes = log.size;
    if (log.size > 0) this.holdingLines.set(kept.id, kept);
  }

  /** Bytes for the next "bytes" event (one a turn, however many pieces: a busy server sends thousands a second). */
  private countForListeners(id: string, side: "C" | "S", bytes: number): void {
    if (this.bytesCounted.size === 0) {
      setImmediate(() => {
        const counts = this.bytesCounted;
        this.bytesCounted = new Map();
        if (this.listeners.size > 0) this.emit({ type: "bytes", counts });
      });
    }
    const count = this.bytesCounted.get(id);
    if (count) count[side === "C" ? 0 : 1] += bytes;
    else this.bytesCounted.set(id, side === "C" ? [bytes, 0] : [0, bytes]);
  }

  /** Does a listener want this session's lines live? (subscribe) */
  private wantsLines(id: string): boolean {
    return this.everyLine > 0 || this.watched.has(id);
  }

  /**
   * From now on a session kept raw is cut into lines as its bytes come, into `blocks` like any
   * session's (and streamed); its bytes so far first, counted again as cut (no events for those:
   * whoever watches asked for its lines so far, or will). A session whose bytes were given up for
   * room, or that keeps only its first bytes (past its share), cannot be: its lines stay counted
   * only (cutting its next bytes alone could show a secret that its mask, not having seen the
   * bytes before them, would not know to hide).
   */
  private startCutting(kept: Kept): void {
    const raw = kept.raw;
    if (kept.cutting || kept.ended !== undefined || (raw && (!raw.log || raw.full))) return;
    const cutting = cutInBlocks(kept, (block) => this.sessionLines(block), (body) => this.sessionBody(body.id, body.at, body.side, body.raw, body.lines, body.plain));
    const log = raw?.log;
    this.dropLines(kept);
    kept.raw = undefined;
    Object.assign(kept, { lineCount: 0, linesKept: 0, linesDropped: 0, bytesIn: 0, bytesOut: 0 });
    kept.cutting = cutting;
    this.replaying = true;
    try {
      log?.replay(cutting.cut);
      cutting.blocks.end();
    } finally {
      this.replaying = false;
    }
  }

  sessionChanged({ id, account, tls, relatedTo }: { id: string; account?: string; tls?: boolean; relatedTo?: string }): void {
    const kept = this.sessions.get(id);
    if (!kept) return;
    if (account !== undefined) {
      // The mask of a session cut later must hear of the login where it happened (IMAP's: after it, nothing is a secret).
      kept.cutting?.cut.loggedIn();
      if (kept.raw && !kept.raw.full) kept.raw.log?.add(LOGGED_IN, "", undefined);
      kept.account = account;
    }
    if (tls !== undefined) kept.tls = tls;
    if (relatedTo !== undefined) this.link(kept, relatedTo);
    this.emit({ type: "session-changed", session: summary(kept) });
  }

  sessionClosed({ id, how, bytesIn, bytesOut, ended }: { id: string; how: SessionEnd; bytesIn: number; bytesOut: number; ended: string }): void {
    const kept = this.sessions.get(id);
    if (!kept) return;
    // The last unfinished line, and the summary of a fold still open: cut, or counted.
    if (kept.cutting) {
      kept.cutting.cut.end();
      kept.cutting.blocks.end();
      kept.cutting = undefined;
    }
    if (kept.raw) {
      const before = kept.raw.counter.counted;
      kept.raw.counter.toString(); // counts the last unfinished line, and the summary of a fold still open
      this.countLines(kept, kept.raw.counter.counted - before);
    }
    Object.assign(kept, { how, bytesIn, bytesOut, ended });
    this.emit({ type: "session-closed", session: summary(kept) });
    // A data connection gone with its transfer not reported as ended (its server stopped): failed.
    // (If its last report is only late, it comes and says how it really ended.)
    const running = this.runningTransfers.get(id);
    if (running) this.transfer({ ...running, state: "failed", at: ended, elapsedMs: Date.parse(ended) - Date.parse(running.started) });
  }

  /** Bytes so far, for a session still open (its close brings the exact totals). */
  private countBytes(kept: Kept, block: LineBlock | BodyBlock): void {
    const [fromClient, fromServer] = bytesOnTheWire(block);
    kept.bytesIn += fromClient;
    kept.bytesOut += fromServer;
  }

  stored(item: StoredItem): void {
    this.storedItems.push(item);
    if (this.storedItems.length > this.maxStored) this.storedItems.shift();
    this.emit({ type: "stored", item });
  }

  transfer(progress: TransferProgress): void {
    if (progress.state === "running") {
      if (this.finishedTransfers.has(progress.id)) return; // a report that overtook nothing: it has ended
      this.runningTransfers.set(progress.id, progress);
    } else {
      this.runningTransfers.delete(progress.id);
      this.finishedTransfers.delete(progress.id); // the newest place: a late last report replaces a guess
      this.finishedTransfers.set(progress.id, progress);
      while (this.finishedTransfers.size > this.maxFinishedTransfers) this.finishedTransfers.delete(this.finishedTransfers.keys().next().value!);
    }
    this.emit({ type: "transfer", transfer: progress });
  }

  // ----- what the API asks -----

  /** The transfers under way, then those that ended; newest first in each. */
  transfers(): TransferProgress[] {
    return [...[...this.runningTransfers.values()].reverse(), ...[...this.finishedTransfers.values()].reverse()];
  }

  /** Newest first. */
  list(): SessionSummary[] {
    return [...this.sessions.values()].reverse().map(summary);
  }

  get(id: string): (SessionSummary & { lines: KeptLine[] }) | undefined {
    const kept = this.sessions.get(id);
    return kept && { ...summary(kept), lines: this.blocksOf(kept).flatMap(keptLines) };
  }

  /** A session's lines kept, as blocks: a session kept raw cut now, for this answer only. */
  private blocksOf(kept: Kept): KeptBlock[] {
    const log = kept.raw?.log;
    if (!log) return kept.blocks;
    const cut: KeptBlock[] = [];
    let n = 1;
    const keep = (block: LineBlock | BodyBlock, lines: number) => {
      cut.push({ block, n });
      n += lines;
    };
    const { cut: session, blocks } = cutInBlocks(kept, (block) => keep(block, block.sides.length), (body) => keep(body, body.lines));
    log.replay(session);
    // A session over: its last unfinished line, its last fold's summary (unless those came in bytes not kept).
    if (kept.ended !== undefined && !kept.raw!.full) session.end();
    blocks.end();
    return cut;
  }

  /** Has any kept line of this session this (lower-case) text in it? (The API's q= filter.) */
  linesContain(id: string, text: string): boolean {
    // A line never holds "\n", so only a text without one can be in a line — and then it is in
    // one line of a block exactly when it is in the block's joined texts.
    if (text.includes("\n")) return false;
    const kept = this.sessions.get(id);
    return kept ? this.blocksOf(kept).some(({ block }) => (isBody(block) ? cutBody(block) : block).texts.toLowerCase().includes(text)) : false;
  }

  /**
   * Whose a session is: its login, or that of the session it belongs to (an FTP data connection,
   * a relay hop); nobody's (the teacher's only) when it carried the mail of several accounts.
   */
  ownerOf(id: string | undefined): string | undefined {
    for (let hops = 0, kept = id ? this.sessions.get(id) : undefined; kept && hops < 4; hops++) {
      if (kept.account !== undefined) return kept.account;
      if (kept.sharedByAccounts) return undefined;
      kept = kept.relatedTo ? this.sessions.get(kept.relatedTo) : undefined;
    }
    return undefined;
  }

  /** Newest first. */
  storedList(): StoredItem[] {
    return [...this.storedItems].reverse();
  }

  /** How many sessions are kept as their raw bytes now (cut only when asked), for tests. */
  keptRaw(): number {
    let count = 0;
    for (const kept of this.sessions.values()) if (kept.raw?.log) count++;
    return count;
  }

  /** Size of what is kept now, for tests and the API. */
  usage(): { sessions: number; lineBytes: number } {
    return { sessions: this.sessions.size, lineBytes: this.lineBytes };
  }

  /**
   * `listener` hears every change from now on. `lines`: whose lines it wants live — every
   * session's (undefined), one session's id, or "none" — so that the sessions kept raw that it
   * wants are cut as their bytes come (startCutting); it hears the "lines" of the others too
   * (those cut anyway), and the "bytes" of those kept raw.
   */
  subscribe(listener: (event: StoreEvent) => void, lines?: string): () => void {
    this.listeners.add(listener);
    if (lines === undefined) {
      this.everyLine++;
      for (const kept of this.sessions.values()) if (kept.raw) this.startCutting(kept);
    } else if (lines !== "none") {
      this.watched.set(lines, (this.watched.get(lines) ?? 0) + 1);
      const kept = this.sessions.get(lines);
      if (kept?.raw) this.startCutting(kept);
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(listener);
      if (lines === undefined) this.everyLine--;
      else if (lines !== "none") {
        const left = this.watched.get(lines)! - 1;
        if (left > 0) this.watched.set(lines, left);
        else this.watched.delete(lines);
      }
    };
  }

  // ----- links between sessions -----

  /** `effect` was (partly) caused by session `causeId`: each side keeps the other's id once. */
  private link(effect: Kept, causeId: string): void {
    const causes = (effect.causes ??= []);
    if (causes.includes(causeId)) return; // the same session's next message over the same relay connection
    if (causes.length > 0 && this.ownerOf(causeId) !== this.ownerOf(effect.id)) effect.sharedByAccounts = true;
    effect.relatedTo ??= causeId;
    if (causes.length < MAX_LINKS) causes.push(causeId);
    const cause = this.sessions.get(causeId);
    if (!cause) return; // already forgotten (the ring above)
    const effects = (cause.effects ??= []);
    if (effects.length < MAX_LINKS && !effects.includes(effect.id)) effects.push(effect.id);
    this.emit({ type: "session-changed", session: summary(cause) });
  }

  // ----- keeping it bounded -----

  private keep(kept: Kept, lines: KeptBlock, count: number, size: number): void {
    kept.blocks.push(lines);
    kept.linesKept += count;
    kept.lineBytes += size;
    this.lineBytes += size;
    if (kept.blocks.length === 1) this.holdingLines.set(kept.id, kept);
  }

  /**
   * A block that would take the session past its share (a quarter of maxLineBytes): line by
   * line, each line that still fits is kept (a short one after a long one may), the others
   * only counted. The lines kept in a row become blocks of their own.
   */
  private keepWhatFits(kept: Kept, block: LineBlock, first: number): void {
    const limit = this.maxLineBytes / 4;
    const count = block.sides.length;
    if (kept.lineBytes + LINE_OVERHEAD > limit) {
      kept.linesDropped += count; // not even an empty line fits
      return;
    }
    // (No closure or object made here: past its share, a busy session comes here with every block.)
    let start = 0; // where line i's text begins in block.texts
    let from = -1; // the first of the lines kept in a row (-1: none yet)
    let textFrom = 0; // where its text begins
    let size = 0; // what those lines cost
    for (let i = 0; i < count; i++) {
      const newline = block.texts.indexOf("\n", start);
      const end = newline === -1 ? block.texts.length : newline;
      const lineBytes = lineSize(end - start);
      if (kept.lineBytes + size + lineBytes > limit) {
        if (from !== -1) this.keepPiece(kept, block, first, from, i, textFrom, start - 1, size);
        from = -1;
        size = 0;
        kept.linesDropped++;
      } else {
        if (from === -1) {
          from = i;
          textFrom = start;
        }
        size += lineBytes;
      }
      start = end + 1;
    }
    if (from !== -1) this.keepPiece(kept, block, first, from, count, textFrom, block.texts.length, size);
  }

  /** Lines from..to of `block` (their texts textFrom..textTo), kept as a block of their own. */
  private keepPiece(kept: Kept, block: LineBlock, first: number, from: number, to: number, textFrom: number, textTo: number, size: number): void {
    const piece: LineBlock = {
      id: block.id,
      at: block.at,
      sides: block.sides.slice(from, to),
      texts: block.texts.slice(textFrom, textTo),
      bytes: block.bytes.slice(from, to),
      folds: block.folds.slice(from, to),
    };
    this.keep(kept, { block: piece, n: first + from }, to - from, size);
  }

  /**
   * keepWhatFits() for a body that would take the session past its share — without cutting every
   * line of it: a session that RETRs 10,000 messages is past its share after a few hundred, and
   * then each message's lines would be cut only to be dropped. A line can only fit if even the
   * least its text can be does: a third of its bytes (UTF-8 makes up to 3 bytes one character),
   * or the cut length; only such a line is cut, to know exactly. The same lines are kept as if
   * the body had come cut into lines.
   */
  private keepBodyWhatFits(kept: Kept, body: BodyBlock, first: number): void {
    const limit = this.maxLineBytes / 4;
    if (kept.lineBytes + LINE_OVERHEAD > limit) {
      kept.linesDropped += body.lines; // not even an empty line fits
      return;
    }
    let texts: string[] = []; // the lines kept in a row, from line `from`
    let bytes: number[] = [];
    let from = 0;
    let size = 0; // what they cost
    for (let i = 0, start = 0; i < body.lines; i++) {
      const end = rawLineEnd(body.raw, start);
      const least = lineSize(Math.min(Math.ceil((end - start) / 3), DEFAULT_MAX_LINE_LENGTH));
      const text = kept.lineBytes + size + least > limit ? null : showRawLine(body.raw, start, end);
      if (text === null || kept.lineBytes + size + lineSize(text.length) > limit) {
        if (texts.length > 0) this.keepBodyPiece(kept, body, first + from, from, texts, bytes, size);
        texts = [];
        bytes = [];
        size = 0;
        kept.linesDropped++;
      } else {
        if (texts.length === 0) from = i;
        texts.push(text);
        bytes.push(end - start);
        size += lineSize(text.length);
      }
      start = end;
    }
    if (texts.length > 0) this.keepBodyPiece(kept, body, first + from, from, texts, bytes, size);
  }

  /** Lines of a body cut and kept in a row (the first is line `from` of the body, line `n` of its session). */
  private keepBodyPiece(kept: Kept, body: BodyBlock, n: number, from: number, texts: string[], bytes: number[], size: number): void {
    const to = from + texts.length;
    const folds = "-".repeat(Math.max(0, Math.min(to, body.plain) - from)) + "i".repeat(Math.max(0, to - Math.max(from, body.plain)));
    const block: LineBlock = { id: body.id, at: body.at, sides: body.side.repeat(texts.length), texts: texts.join("\n"), bytes, folds };
    this.keep(kept, { block, n }, texts.length, size);
  }

  /** Over the line budget: the oldest sessions give up their lines (not `current`, which is growing). */
  private makeRoom(current: Kept): void {
    if (this.lineBytes <= this.maxLineBytes) return;
    for (const kept of this.holdingLines.values()) {
      if (this.lineBytes <= this.maxLineBytes) return;
      if (kept === current) continue;
      this.dropLines(kept);
    }
  }

  /** A session's lines kept, or its raw bytes, given up (counted as dropped). */
  private dropLines(kept: Kept): void {
    this.lineBytes -= kept.lineBytes;
    kept.linesDropped += kept.linesKept;
    kept.blocks = [];
    kept.linesKept = 0;
    kept.lineBytes = 0;
    if (kept.raw) kept.raw.log = null;
    this.holdingLines.delete(kept.id);
  }

  private forget(id: string): void {
    const kept = this.sessions.get(id);
    if (!kept) return;
    this.lineBytes -= kept.lineBytes;
    this.sessions.delete(id);
    this.holdingLines.delete(id);
  }

  private emit(event: StoreEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure (a browser gone mid-write) is that listener's problem, never the server's.
      }
    }
  }
}

/** About what one kept line costs in memory: its text (2 bytes a character) and an object's worth. */
const LINE_OVERHEAD = 64;
function lineSize(textLength: number): number {
  return textLength * 2 + LINE_OVERHEAD;
}

function summary(kept: Kept): SessionSummary {
  const { blocks: _blocks, linesKept: _kept, lineBytes: _bytes, sharedByAccounts: _shared, raw: _raw, cutting: _cutting, ...fields } = kept;
  return fields;
}

/** Line i of a block, as the API shows it (numbered, without its session's id). */
export function keptLine({ block, n }: { block: LineBlock; n: number }, i: number, text: string): KeptLine {
  // The fields in the order the API has always sent them: side, text, bytes, at, fold, n.
  const line = { side: block.sides[i] as "C" | "S", text, bytes: block.bytes[i]!, at: block.at } as KeptLine;
  const fold = block.folds[i];
  if (fold !== "-") line.fold = fold === "i" ? "inside" : "summary";
  line.n = n + i;
  return line;
}

/** A kept block's lines, one object each: only when the API asks for a session. */
function keptLines({ block, n }: KeptBlock): KeptLine[] {
  const lines = isBody(block) ? cutBody(block) : block;
  return lines.texts.split("\n").map((text, i) => keptLine({ block: lines, n }, i, text));
}

/** A body's raw text cut into lines, as a LineBlock: what the transcript would have sent one by one. */
export function cutBody({ id, at, side, raw, lines, plain }: BodyBlock): LineBlock {
  const { texts, bytes } = cutRawLines(raw, lines);
  return { id, at, sides: side.repeat(lines), texts: texts.join("\n"), bytes, folds: "-".repeat(plain) + "i".repeat(lines - plain) };
}

// ----- a session kept as its raw bytes -----

/** A session's RawCut and the blocks its lines are gathered in (end(): the block still open goes on). */
interface BlockCut {
  cut: RawCut;
  blocks: { end(): void };
}

/**
 * A RawCut of a session kept raw whose lines go on in blocks (the lines in a row of one piece of
 * its bytes) to `lines`, and each body as it is — after the lines before it — to `body`.
 */
function cutInBlocks(kept: Kept, lines: (block: LineBlock) => void, body: (body: BodyBlock) => void): BlockCut {
  const blocks = lineBlocks(lines);
  const sessionBody = (id: string, at: string, side: "C" | "S", raw: string, count: number, plain: number) => {
    blocks.end();
    body({ id, at, side, raw, lines: count, plain });
  };
  return { cut: RawCut.of(kept.protocol, kept.id, kept.started, { sessionLine: blocks.line, sessionBody })!, blocks };
}

/** How a RawLog writes what each piece was: a kind (+1 for the server's side), or the login. */
const RAW_CODES: Record<RawKind, number> = { data: 0, body: 2, note: 4 };
const RAW_KINDS: RawKind[] = ["data", "body", "note"];
const LOGGED_IN = 6;
/** A RawLog's memory: buffers of up to this size (a new one when a piece does not fit in what is left of the last). */
const SLAB_BYTES = 16 * 1024;

/**
 * One session's raw bytes (Activity.sessionRaw), in the order they came, each piece with what it
 * was, which side sent it and when; and where the session logged in (its mask must know). Made
 * for a store that keeps thousands of them: the bytes are copied into large buffers outside the
 * JavaScript heap, the rest is numbers in one array, so that keeping a piece makes no object
 * (the garbage collector then has almost nothing to look at, which was a third of the cost of
 * keeping lines as strings).
 */
class RawLog {
  /** Bytes of all the pieces. */
  bytes = 0;
  /** What it costs in memory, about: RawLog.cost() of each piece. */
  size = 0;

  /** What a piece of `length` bytes costs: its bytes, and its five numbers. */
  static cost(length: number): number {
    return length + 5 * 8;
  }
  private readonly slabs: Buffer[] = [];
  private used = 0; // bytes used of the last slab
  /** Five numbers a piece: its code (RAW_CODES, LOGGED_IN), slab, offset, length, and time (ms since 1970). */
  private readonly pieces: number[] = [];
  private lastAt = "";
  private lastMs = 0;

  add(code: number, at: string, bytes: Buffer | undefined): void {
    const length = bytes?.length ?? 0;
    let slab = this.slabs[this.slabs.length - 1];
    if (length > 0 && (!slab || this.used + length > slab.length)) {
      // Small at first (most sessions are a few hundred bytes), twice the last one's size up to SLAB_BYTES.
      slab = Buffer.allocUnsafeSlow(Math.max(length, Math.min(SLAB_BYTES, 2 * (slab?.length ?? 256))));
      this.slabs.push(slab);
      this.used = 0;
    }
    if (length > 0) slab!.set(bytes!, this.used);
    if (at !== this.lastAt && at !== "") {
      this.lastAt = at;
      this.lastMs = Date.parse(at);
    }
    this.pieces.push(code, this.slabs.length - 1, this.used, length, this.lastMs);
    this.used += length;
    this.bytes += length;
    this.size += RawLog.cost(length);
  }

  /** Hands every piece, in order, to `cut`, each at its time (an ISO string again, as it came). */
  replay(cut: RawCut): void {
    let ms = NaN;
    let at = "";
    for (let i = 0; i < this.pieces.length; i += 5) {
      const code = this.pieces[i]!;
      if (code === LOGGED_IN) {
        cut.loggedIn();
        continue;
      }
      if (this.pieces[i + 4] !== ms) {
        ms = this.pieces[i + 4]!;
        at = new Date(ms).toISOString();
      }
      const offset = this.pieces[i + 2]!;
      const bytes = this.slabs[this.pieces[i + 1]!]!.subarray(offset, offset + this.pieces[i + 3]!);
      cut.raw(at, RAW_KINDS[code >> 1]!, code & 1 ? "S" : "C", bytes);
    }
  }
}
