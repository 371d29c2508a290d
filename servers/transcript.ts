// A transcript is the conversation on the wire, written the way RFCs write it:
//
//   C: GET / HTTP/1.1\r\n
//   S: HTTP/1.1 200 OK\r\n
//
// "C:" is what the client sent, "S:" what the server sent. Line endings are made
// visible (\r\n), because half of all protocol bugs are a missing \r.
// TCP is a byte stream, so we collect bytes per side and cut them into lines at
// "\n" ourselves; a line without "\n" is shown as soon as the other side speaks.
// The checker prints transcripts when an exercise fails; servers print them live
// with `npm start -- --trace`.
//
// A body — the lines of a message: an SMTP DATA from the 354 to its ".", a POP3 RETR, an NNTP
// article — is data, not commands, and a server that knows where one begins hands its bytes to
// body() instead of data(). Its lines are never shown to the mask (a mail may well hold a line
// "AUTH PLAIN …": it is text, not a login), and a live reporter may take them as the bytes they
// are (onBody): one string for a whole chunk of lines instead of one cut, escaped line each,
// cut into lines only when someone asks to see them (rawLineEnd(), showRawLine()).

import { isUtf8 } from "node:buffer";

export type Side = "C" | "S";

export interface TranscriptOptions {
  /** Lines longer than this are cut (the rest is counted, not shown). */
  maxLineLength?: number;
  /** After this many lines in a row from one side, the rest is only counted. */
  maxLinesInARow?: number;
  /** Rewrites a line before it is stored, e.g. to hide a password. */
  mask?: (line: string, side: Side) => string;
  /**
   * Called with every finished line, e.g. to print it live. `info.fold` is "inside" for a line
   * past maxLinesInARow that `keepFolded` lets through (not in `lines`, not for a terminal: the
   * console shows it when its fold is opened), "summary" for the "… N more lines" line.
   */
  onLine?: (line: string, info: LineInfo) => void;
  /** Of the lines past maxLinesInARow, hand this many per run to onLine as fold "inside" (default 0). */
  keepFolded?: number;
  /** Keep every line in `lines` for toString() (default true); a live reporter that only hands
   *  lines on says false, so a long session does not hold all of its lines twice. */
  keepLines?: boolean;
  /**
   * With keepLines false: takes the lines of a body (see body()) as they were on the wire, instead
   * of one onLine call each. `raw` is whole lines, one character per byte (latin1), each with its
   * "\n"; `lines` how many; the first `plain` of them are shown as they come, the rest are inside a
   * fold (onLine's "inside"). Lines past the fold's keepFolded are only counted, as always, and the
   * fold's summary still comes through onLine. Cut `raw` into lines with rawLineEnd() and
   * showRawLine(): they show each line exactly as onLine would have (but never masked) — with
   * the default maxLineLength, which is what every SessionReporter's transcript uses.
   */
  onBody?: (side: Side, raw: string, lines: number, plain: number) => void;
  /**
   * Only count the lines (`counted`), and make none: no text, no mask, no onLine. The same lines
   * are counted as would be made (with onLine, and `keepFolded` lines inside each fold): a mask or
   * a cut changes a line's text, never how many there are. (The console's store counts so the
   * lines of a session it keeps as its bytes: console/sessions.ts.)
   */
  countOnly?: boolean;
}

/** How long a shown line may be before it is cut (TranscriptOptions.maxLineLength's default). */
export const DEFAULT_MAX_LINE_LENGTH = 200;

/**
 * A body's line longer than this (in bytes) is cut here and sent as a line, not as raw bytes:
 * nobody shall copy a 1 MB line across a thread to show 200 characters of it. SMTP's limit
 * (RFC 5321 §4.5.3.1.6: 1,000 octets with the CRLF), so a mail's lines all go raw.
 */
const MAX_RAW_LINE = 1_000;

export interface LineInfo {
  side: Side;
  /** The bytes on the wire this line stands for (a summary: all the hidden lines' bytes). */
  bytes: number;
  fold?: "inside" | "summary";
  /** The line without its "C: " / "S: " in front. */
  text: string;
}

export class Transcript {
  readonly lines: string[] = [];
  /** With countOnly: how many lines so far (each onLine would have had). */
  counted = 0;
  private pending: Buffer[] = [];
  private pendingSide: Side | null = null;
  private lastSide: Side | null = null;
  private linesInARow = 0;
  private hiddenLines = 0;
  private hiddenBytes = 0;
  /** The last line only counted (deep in a fold) of this run, for the mask (see endRun). */
  private lastHidden: Buffer | null = null;
  /** The bytes being handled are a body's (body()): not for the mask. */
  private inBody = false;
  /** The unfinished line in `pending` began in a body. */
  private pendingInBody = false;
  /** The last bytes of this side were a body's: data after them (IMAP's ")" and tagged OK after a FETCH literal) starts a run of its own. */
  private afterBody = false;
  private readonly maxLineLength: number;
  private readonly maxLinesInARow: number;
  private readonly countOnly: boolean;

  constructor(private readonly options: TranscriptOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.maxLinesInARow = options.maxLinesInARow ?? 40;
    this.countOnly = options.countOnly ?? false;
  }

  /** Bytes one side wrote to a TCP stream. */
  data(side: Side, chunk: Buffer): void {
    // The other side speaks, or a body has ended: the run so far ends (and its fold, if any,
    // says how many lines it hid), so that what follows a long body shows, not hidden inside it.
    if (this.pendingSide !== side || (this.afterBody && !this.inBody)) this.flush(true);
    this.afterBody = this.inBody;
    this.pendingSide = side;
    let start = 0;
    let hidden = -1; // where the last line only counted starts
    // The chunk as text, made the first time one of its lines is shown: one copy and one test
    // for all of its lines (a DATA body comes as a few chunks of dozens of lines each), or
    // null when it holds a byte that needs escaping, or is too large to copy for the few lines
    // shown of it (then each line is escaped on its own).
    let text: string | null | undefined;
    for (let end = chunk.indexOf(10) + 1; end !== 0; end = chunk.indexOf(10, start) + 1) {
      if (this.pending.length > 0) {
        // The line began in an earlier chunk.
        this.pending.push(chunk.subarray(start, end));
        this.flush(false);
      } else if (this.deepInAFold()) {
        this.hiddenLines++;
        this.hiddenBytes += end - start;
        hidden = start;
      } else if (this.countOnly) {
        this.push(side, "", end - start, "", this.inBody);
      } else {
        text ??= printableText(chunk);
        this.push(side, text === null ? escapeLine(chunk, start, end) : plainLine(text, start, end), end - start, "", this.inBody);
      }
      start = end;
    }
    // (A body's last line is data: the mask has nothing to learn from it.)
    if (hidden !== -1) this.lastHidden = this.inBody || this.countOnly ? null : Buffer.from(chunk.subarray(hidden, start));
    // Copied: the caller may reuse its buffer for the next chunk (FTP's RETR does).
    if (start < chunk.length) this.keepUnfinished(chunk.subarray(start));
  }

  /**
   * Bytes of a body one side sent: lines that are data (a mail, an article), not commands. The
   * same lines as data() makes, but the mask never sees them; and with onBody (and keepLines
   * false) they are handed on as raw text, a chunk's whole lines at a time, not cut here.
   */
  body(side: Side, chunk: Buffer): void {
    this.inBody = true;
    try {
      if (this.countOnly) this.countBody(side, chunk);
      else if (this.options.onBody && this.options.keepLines === false) this.rawBody(side, chunk, this.options.onBody);
      else this.data(side, chunk);
    } finally {
      this.inBody = false;
    }
  }

  /** body() with onBody: the chunk's whole lines as raw text, its unfinished last line kept for the next chunk. */
  private rawBody(side: Side, chunk: Buffer, onBody: NonNullable<TranscriptOptions["onBody"]>): void {
    this.bodyChunk(side, chunk, (start, last) => this.rawLines(side, chunk, start, last, onBody));
  }

  /** body() with countOnly: the same way through the chunk, its whole lines counted at once (countLines), not one by one. */
  private countBody(side: Side, chunk: Buffer): void {
    this.bodyChunk(side, chunk, (start, last) => {
      let lines = 0;
      for (let i = start; i < last; i++) if (chunk[i] === 10) lines++;
      this.countLines(side, lines);
    });
  }

  /**
   * A body's chunk taken whole lines at a time: a line begun in an earlier chunk finished first,
   * then `wholeLines(start, last)` for chunk[start, last), the whole lines after it, then the
   * unfinished last line kept for the next chunk.
   */
  private bodyChunk(side: Side, chunk: Buffer, wholeLines: (start: number, last: number) => void): void {
    if (this.pendingSide !== side) this.flush(true);
    this.afterBody = true;
    this.pendingSide = side;
    let start = 0;
    if (this.pending.length > 0) {
      // A line begun in an earlier chunk (a big body's chunks end mid-line): finished and cut
      // here, like any line, since its pieces are in two buffers.
      const end = chunk.indexOf(10) + 1;
      if (end === 0) return this.keepUnfinished(chunk);
      this.pending.push(chunk.subarray(0, end));
      this.flush(false);
      start = end;
    }
    const last = chunk.lastIndexOf(10) + 1; // just past the last whole line
    if (last > start) wholeLines(start, last);
    if (Math.max(last, start) < chunk.length) this.keepUnfinished(chunk.subarray(Math.max(last, start)));
  }

  /** `lines` whole lines of one side, counted as push() counts each: shown while the run is short, then inside its fold, then only counted. */
  private countLines(side: Side, lines: number): void {
    if (side !== this.lastSide) this.endRun();
    this.lastSide = side;
    const shown = Math.min(lines, this.maxLinesInARow - this.linesInARow);
    this.linesInARow += shown;
    const inside = Math.max(0, Math.min(lines - shown, (this.options.keepFolded ?? 0) - this.hiddenLines));
    this.hiddenLines += lines - shown;
    this.counted += shown + inside;
  }

  /**
   * Whole lines of a body, chunk[start, last): counted as push() counts them (shown plain while
   * the run is short, then inside the fold, then only counted), handed on as raw text.
   */
  private rawLines(side: Side, chunk: Buffer, start: number, last: number, onBody: NonNullable<TranscriptOptions["onBody"]>): void {
    if (side !== this.lastSide) this.endRun();
    this.lastSide = side;
    if (this.deepInAFold()) return this.countHidden(chunk, start, last);
    const keepFolded = this.options.keepFolded ?? 0;
    // One copy of the lines as text (one character per byte): what crosses to the console.
    const text = chunk.toString("latin1", start, last);
    let from = 0; // where the lines not handed on yet begin in text
    let lines = 0; // how many there are
    let plain = 0; // how many of those are shown plain
    let at = 0;
    while (at < text.length && !(this.linesInARow >= this.maxLinesInARow && this.hiddenLines >= keepFolded)) {
      const end = text.indexOf("\n", at) + 1;
      if (end - at > MAX_RAW_LINE) {
        // Too long to send whole: the lines before it go on, it is cut here (push counts it).
        if (lines > 0) onBody(side, text.slice(from, at), lines, plain);
        this.push(side, escapeLine(chunk, start + at, start + end), end - at, "", true);
        from = end;
        lines = plain = 0;
      } else if (this.linesInARow < this.maxLinesInARow) {
        this.linesInARow++;
        lines++;
        plain++;
      } else {
        this.hiddenLines++;
        this.hiddenBytes += end - at;
        lines++;
      }
      at = end;
    }
    if (lines > 0) onBody(side, from === 0 && at === text.length ? text : text.slice(from, at), lines, plain);
    if (at < text.length) this.countHidden(chunk, start + at, last);
  }

  /** Whole lines deep in a fold, chunk[start, last): only counted (the summary says how many, and their bytes). */
  private countHidden(chunk: Buffer, start: number, last: number): void {
    this.hiddenBytes += last - start;
    for (let end = chunk.indexOf(10, start) + 1; end !== 0 && end <= last; end = chunk.indexOf(10, end) + 1) this.hiddenLines++;
    this.lastHidden = null; // a body's: nothing for the mask
  }

  /** The start of a line whose "\n" has not come yet: copied (the caller may reuse its buffer: FTP's RETR does). */
  private keepUnfinished(piece: Buffer): void {
    if (this.pending.length === 0) this.pendingInBody = this.inBody;
    this.pending.push(Buffer.from(piece));
  }

  /** One whole UDP datagram; `fate` tells what the network did with it. */
  datagram(side: Side, datagram: Buffer, fate = ""): void {
    this.flush(true);
    this.push(side, escapeBytes(datagram), datagram.length, fate ? `   (${fate})` : "");
  }

  /** Something that is not bytes: a close, a reset, a timeout. */
  note(side: Side, text: string): void {
    this.flush(true);
    this.push(side, `[${text}]`);
  }

  toString(): string {
    this.flush(true);
    return this.lines.join("\n");
  }

  private flush(endOfTurn: boolean): void {
    if (this.pendingSide === null || this.pending.length === 0) {
      if (endOfTurn) this.endRun();
      return;
    }
    if (this.deepInAFold()) {
      this.hiddenLines++;
      for (const piece of this.pending) this.hiddenBytes += piece.length;
      this.lastHidden = this.pendingInBody || this.countOnly ? null : Buffer.concat(this.pending);
      this.pending = [];
    } else {
      const line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [];
      this.push(this.pendingSide, this.countOnly ? "" : escapeBytes(line), line.length, "", this.pendingInBody);
    }
    if (endOfTurn) this.endRun();
  }

  /**
   * Deep inside a long block (a 10 MB DATA body), past the lines a fold keeps: nobody will see the
   * next line of this side, so it is only counted, not copied or made printable.
   */
  private deepInAFold(): boolean {
    return this.pendingSide === this.lastSide && this.linesInARow >= this.maxLinesInARow && this.hiddenLines >= (this.options.keepFolded ?? 0);
  }

  /** `body`: the line is a body's (data, not for the mask). */
  private push(side: Side, text: string, bytes = 0, suffix = "", body = false): void {
    if (side !== this.lastSide) this.endRun();
    this.lastSide = side;
    if (this.countOnly) {
      // What follows, without making the line: one shown, one inside the fold, or one only counted.
      // (The hidden lines' bytes are not added up: no summary is made to say them.)
      if (this.linesInARow < this.maxLinesInARow) this.linesInARow++;
      else if (++this.hiddenLines > (this.options.keepFolded ?? 0)) return;
      this.counted++;
      return;
    }
    if (this.linesInARow >= this.maxLinesInARow) {
      this.hiddenLines++;
      this.hiddenBytes += bytes;
      if (this.hiddenLines <= (this.options.keepFolded ?? 0) && this.options.onLine) {
        const shown = this.shown(side, text, suffix, body);
        this.options.onLine(`${side}: ${shown}`, { side, bytes, fold: "inside", text: shown });
      }
      return;
    }
    this.linesInARow++;
    const shown = this.shown(side, text, suffix, body);
    this.emit(`${side}: ${shown}`, { side, bytes, text: shown });
  }

  /** The line as shown, without its "C: " (masked unless a body's, cut). */
  private shown(side: Side, text: string, suffix: string, body: boolean): string {
    // Mask before cutting, so a cut can never leave half a password visible.
    const masked = this.options.mask && !body ? this.options.mask(text, side) : text;
    const cut = cutLine(masked, this.maxLineLength);
    return suffix ? cut + suffix : cut;
  }

  private endRun(): void {
    // A mask may learn from the lines it sees (SMTP's: after a "334" challenge, the client's next
    // line is a secret). The lines deep in a fold never reach it, but the last line of a run is
    // the one such a mask must see — a client that pipelines 300 commands, the last "AUTH PLAIN",
    // gets 299 replies and then the 334 at the end of one long run — so it is shown to the mask
    // (and thrown away) before the other side speaks.
    if (this.lastHidden && this.lastSide) this.options.mask?.(escapeBytes(this.lastHidden), this.lastSide);
    this.lastHidden = null;
    if (this.hiddenLines > 0 && this.lastSide && this.countOnly) this.counted++;
    else if (this.hiddenLines > 0 && this.lastSide) {
      const text = `… ${this.hiddenLines} more lines (${this.hiddenBytes} bytes) not shown`;
      this.emit(`${this.lastSide}: ${text}`, { side: this.lastSide, bytes: this.hiddenBytes, fold: "summary", text });
    }
    this.linesInARow = 0;
    this.hiddenLines = 0;
    this.hiddenBytes = 0;
    this.lastSide = null;
  }

  private emit(line: string, info: LineInfo): void {
    if (this.options.keepLines !== false) this.lines.push(line);
    this.options.onLine?.(line, info);
  }
}

/** A shown line cut after `maxLineLength` characters, saying how many more there were. */
function cutLine(text: string, maxLineLength: number): string {
  return text.length > maxLineLength ? text.slice(0, maxLineLength) + cutMark(text.length - maxLineLength) : text;
}

/** What a cut line ends in, after its first characters. */
function cutMark(more: number): string {
  return `… (+${more} more characters)`;
}

/** In a body's raw text (onBody's `raw`), where the line that begins at `start` ends: just past its "\n" (or at the end). */
export function rawLineEnd(raw: string, start: number): number {
  const newline = raw.indexOf("\n", start);
  return newline === -1 ? raw.length : newline + 1;
}

/**
 * raw[start, end), one line of a body's raw text, as a transcript shows it: the same as
 * escapeBytes() of its bytes, cut after `maxLineLength` characters; never masked (a body's).
 */
export function showRawLine(raw: string, start: number, end: number, maxLineLength = DEFAULT_MAX_LINE_LENGTH): string {
  const lf = end > start && raw.charCodeAt(end - 1) === 10;
  const crlf = lf && end - start >= 2 && raw.charCodeAt(end - 2) === 13;
  const content = raw.slice(start, crlf ? end - 2 : lf ? end - 1 : end);
  const shown = !NOT_PRINTABLE.test(content)
    ? content + (crlf ? "\\r\\n" : lf ? "\\n" : "")
    : escapeBytes(Buffer.from(raw.slice(start, end), "latin1")); // UTF-8 text, control bytes: the careful way
  return cutLine(shown, maxLineLength);
}

/**
 * The first `count` lines of a body's raw text, each as showRawLine() shows it, with its bytes;
 * `end`: where they end in raw (what is left are the lines after them).
 */
export function cutRawLines(raw: string, count: number): { texts: string[]; bytes: number[]; end: number } {
  const texts: string[] = [];
  const bytes: number[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = rawLineEnd(raw, start);
    texts.push(showRawLine(raw, start, end));
    bytes.push(end - start);
    start = end;
  }
  return { texts, bytes, end: start };
}

/**
 * About the length of all of raw's lines as showRawLine() shows them, added up — what the
 * console's store reckons they cost — without making them: each line's bytes with its line end
 * made visible ("\r\n" is 4 characters, "\n" 2), or the cut length. Exact for printable ASCII
 * (nearly every mail); a line with bytes that are escaped (a tab, UTF-8) is counted by its bytes.
 * (Testing every byte for that would cost about as much as the rest of the console's work on a mail.)
 */
export function shownLength(raw: string, maxLineLength = DEFAULT_MAX_LINE_LENGTH): number {
  let total = 0;
  for (let start = 0; start < raw.length; ) {
    const end = rawLineEnd(raw, start);
    const lf = raw.charCodeAt(end - 1) === 10;
    const crlf = lf && end - start >= 2 && raw.charCodeAt(end - 2) === 13;
    const shown = end - start + (crlf ? 2 : lf ? 1 : 0);
    total += shown > maxLineLength ? maxLineLength + cutMark(shown - maxLineLength).length : shown;
    start = end;
  }
  return total;
}

/** A byte that is not printable ASCII (the line end excluded). */
const NOT_PRINTABLE = /[^\x20-\x7e]/;

/** A byte that escapeBytes() would change in a line, but for the line's own "\r\n" or "\n" at its end. */
const NEEDS_ESCAPING = /[^\x20-\x7e\r\n]|\r(?!\n)/;

/** The chunk as latin1 text if each of its lines is printable ASCII and its line end, else null (also for a chunk over 64 KB). */
function printableText(chunk: Buffer): string | null {
  if (chunk.length > 64 * 1024) return null;
  const text = chunk.toString("latin1");
  return NEEDS_ESCAPING.test(text) ? null : text;
}

/** escapeLine() of a line of printableText()'s text (ending in "\n"): a piece of it, its line end made visible. */
function plainLine(text: string, start: number, end: number): string {
  const crlf = end - start >= 2 && text.charCodeAt(end - 2) === 13;
  return text.slice(start, crlf ? end - 2 : end - 1) + (crlf ? "\\r\\n" : "\\n");
}

/** escapeBytes(bytes.subarray(start, end)) for a line that ends in "\n", without making that subarray. */
function escapeLine(bytes: Buffer, start: number, end: number): string {
  const crlf = end - start >= 2 && bytes[end - 2] === 13;
  const plain = bytes.toString("latin1", start, crlf ? end - 2 : end - 1);
  if (!NOT_PRINTABLE.test(plain)) return plain + (crlf ? "\\r\\n" : "\\n");
  return escapeBytes(bytes.subarray(start, end));
}

/** Shows bytes as text, with \r \n \t and other non-printable bytes made visible. */
export function escapeBytes(bytes: Buffer): string {
  // The usual line is printable ASCII and its line end: only "\r\n" needs making visible.
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 10) end--;
  if (end > 0 && end < bytes.length && bytes[end - 1] === 13) end--;
  let plain = true;
  for (let i = 0; i < end && plain; i++) plain = bytes[i]! >= 0x20 && bytes[i]! <= 0x7e;
  if (plain) return bytes.toString("latin1", 0, end) + (bytes.length - end === 2 ? "\\r\\n" : bytes.length - end === 1 ? "\\n" : "");
  const utf8 = isUtf8(bytes);
  return bytes.toString(utf8 ? "utf8" : "latin1").replace(/[\x00-\x1f\x7f]|[\x80-\xff]/g, (ch) => {
    if (ch === "\r") return "\\r";
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch >= "\x80" && utf8) return ch; // real UTF-8 text, e.g. 你好
    return "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0");
  });
}


