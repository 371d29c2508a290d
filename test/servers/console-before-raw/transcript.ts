// The console's code before a body's lines crossed raw (commit c9286e3, servers/transcript.ts), kept
// verbatim but for its imports: console-raw-replay.test.ts replays recorded sessions through it and
// through today's code and compares what the API shows. Not used by the playground.

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
}

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
  private pending: Buffer[] = [];
  private pendingSide: Side | null = null;
  private lastSide: Side | null = null;
  private linesInARow = 0;
  private hiddenLines = 0;
  private hiddenBytes = 0;
  /** The last line only counted (deep in a fold) of this run, for the mask (see endRun). */
  private lastHidden: Buffer | null = null;
  private readonly maxLineLength: number;
  private readonly maxLinesInARow: number;

  constructor(private readonly options: TranscriptOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 200;
    this.maxLinesInARow = options.maxLinesInARow ?? 40;
  }

  /** Bytes one side wrote to a TCP stream. */
  data(side: Side, chunk: Buffer): void {
    if (this.pendingSide !== side) this.flush(true);
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
      } else {
        text ??= printableText(chunk);
        this.push(side, text === null ? escapeLine(chunk, start, end) : plainLine(text, start, end), end - start);
      }
      start = end;
    }
    if (hidden !== -1) this.lastHidden = Buffer.from(chunk.subarray(hidden, start));
    // Copied: the caller may reuse its buffer for the next chunk (FTP's RETR does).
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
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
      this.lastHidden = Buffer.concat(this.pending);
      this.pending = [];
    } else {
      const line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
      this.pending = [];
      this.push(this.pendingSide, escapeBytes(line), line.length);
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

  private push(side: Side, text: string, bytes = 0, suffix = ""): void {
    if (side !== this.lastSide) this.endRun();
    this.lastSide = side;
    if (this.linesInARow >= this.maxLinesInARow) {
      this.hiddenLines++;
      this.hiddenBytes += bytes;
      if (this.hiddenLines <= (this.options.keepFolded ?? 0) && this.options.onLine) {
        const shown = this.shown(side, text, suffix);
        this.options.onLine(`${side}: ${shown}`, { side, bytes, fold: "inside", text: shown });
      }
      return;
    }
    this.linesInARow++;
    const shown = this.shown(side, text, suffix);
    this.emit(`${side}: ${shown}`, { side, bytes, text: shown });
  }

  /** The line as shown, without its "C: " (masked, cut). */
  private shown(side: Side, text: string, suffix: string): string {
    // Mask before cutting, so a cut can never leave half a password visible.
    const masked = this.options.mask ? this.options.mask(text, side) : text;
    const cut = masked.length > this.maxLineLength
      ? `${masked.slice(0, this.maxLineLength)}… (+${masked.length - this.maxLineLength} more characters)`
      : masked;
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
    if (this.hiddenLines > 0 && this.lastSide) {
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


