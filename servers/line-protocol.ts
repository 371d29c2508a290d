// The line protocol shared by SMTP, POP3 and NNTP (and our reference clients), in one
// small piece — the way Go's net/textproto serves all three.
//
// These protocols speak in lines ending in CRLF ("\r\n"):
//   C: STAT\r\n
//   S: +OK 2 320\r\n
// and send long things (a mail message, a list) as a "dot-stuffed" multi-line block:
// the lines, then a line holding a single "." to say "that was the last line".
//   S: Subject: hi\r\n
//   S: \r\n
//   S: ..a body line that really starts with one dot\r\n
//   S: .\r\n
// Because "." alone means "end", every line of the content that starts with "." is
// sent with one more "." in front ("byte-stuffing", RFC 1939 §3, RFC 5321 §4.5.2),
// and the receiver removes it again.
//
// TCP delivers bytes, not lines: one 'data' event may hold half a line, or ten lines,
// or end between the "\r" and the "\n". So everything here keeps a little state
// between chunks, and the tests split every input at every position.
//
// Decisions:
// - A line ends at "\n"; a "\r" right before it is removed too. The RFCs say CRLF,
//   but beginners' clients often send a bare "\n" (and so does `nc` without -C);
//   accepting both is what Go's textproto and most servers do. We always SEND CRLF.
// - A line longer than the limit is never buffered whole: its bytes are thrown away
//   up to its "\n", and then readLine() throws a LineTooLongError, so the caller can
//   answer "-ERR line too long" and carry on with the next line.
// - One reader for both directions: a client reads a server's block after RETR with
//   readDotBlock(), and a server reads a client's POST with the same method (with limits).
// - Sending is DotStuffer: the content in pieces of any size, stuffed on the way out.

import type { Readable, Writable } from "node:stream";

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/** Thrown by readLine() for a line over the limit (the line has been skipped). */
export class LineTooLongError extends Error {
  readonly code = "LINE_TOO_LONG";
  constructor(readonly limit: number) {
    super(`line too long (the limit is ${limit} octets, including CRLF)`);
  }
}

/** Thrown by readDotBlock() for a block over its size limit (the block has been read to its end and dropped). */
export class BlockTooBigError extends Error {
  readonly code = "BLOCK_TOO_BIG";
  constructor(readonly limit: number) {
    super(`multi-line block too big (the limit is ${limit} octets)`);
  }
}

/** Thrown by readDotBlock() when the connection closes before the block's "." line. */
export class UnfinishedBlockError extends Error {
  readonly code = "UNFINISHED_BLOCK";
  constructor() {
    super('the connection closed in the middle of a multi-line block (no final "." line)');
  }
}

export interface LineReaderOptions {
  /**
   * Longest accepted line in octets, counting its line ending. Servers pass their protocol's
   * limit (RFC 2449 §4: 255 for POP3 commands). The default, 1 MiB, suits clients reading mail:
   * RFC 5322 allows 1000 octets per line, but real messages sometimes have much longer ones.
   */
  maxLineLength?: number;
}

/** More unread bytes than this and the socket is paused until some are read (or a reader needs more). */
const HIGH_WATER = 64 * 1024;

/**
 * Reads from a socket one `await readLine()` at a time — or, for IMAP's literals, one
 * `await readBytes(n)`: the same connection carries lines AND counted runs of raw bytes, so
 * the bytes are kept as they came and only cut into lines when a line is asked for.
 * Bytes that arrive before they are asked for wait here (a client may send several commands
 * at once: "pipelining"); past 64 KB the socket is paused, so a client that floods us fills
 * its own send buffer, not our memory.
 */
export class LineReader {
  readonly maxLineLength: number;
  // The bytes received and not yet handed out are store[start, end). New bytes are copied in
  // after `end`; a full store is replaced by one twice the size, so a long line arriving in
  // tiny pieces costs linear time, not a re-join of everything so far at every piece. Bytes
  // before `start` are never written again: the lines handed out are views of them.
  private store: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  private scanned = 0; // how much of the unread bytes is known to hold no "\n"
  private skippingLongLine = false; // dropping a too-long line's bytes up to its "\n"
  private ended = false;
  private failure: Error | null = null;
  private wakeUp: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onEnd = () => this.finish(null);
  private readonly onError = (err: Error) => this.finish(err);

  constructor(private readonly input: Readable, options: LineReaderOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 1024 * 1024;
    input.on("data", this.onData);
    input.on("end", this.onEnd);
    input.on("close", this.onEnd);
    input.on("error", this.onError);
  }

  /** The next line without its line ending, as UTF-8 text; null when the peer has closed. */
  async readLine(maxLineLength = this.maxLineLength): Promise<string | null> {
    const line = await this.readLineBytes(maxLineLength);
    return line === null ? null : line.toString("utf8");
  }

  /**
   * The next line as raw bytes (without its line ending); null when the peer has closed.
   * A line over `maxLineLength` octets (CRLF included) is skipped, never buffered whole,
   * and reported with a LineTooLongError in its place; the next call reads the next line.
   */
  async readLineBytes(maxLineLength = this.maxLineLength): Promise<Buffer | null> {
    for (;;) {
      const lf = this.unread.indexOf(LF, this.scanned);
      if (lf !== -1) {
        const tooLong = this.skippingLongLine || lf + 1 > maxLineLength;
        let line = this.take(lf + 1).subarray(0, lf);
        this.skippingLongLine = false;
        if (tooLong) throw new LineTooLongError(maxLineLength);
        if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        return line;
      }
      this.scanned = this.unread.length;
      this.dropLongLine(maxLineLength);
      if (this.failure) throw this.failure;
      if (this.ended) return null; // a last line without "\n" is not a line: the peer closed mid-line
      await this.more(); // a waiting readLine() sees every chunk as it comes, and drops a long line at once
    }
  }

  /**
   * Exactly `count` raw bytes, whatever they hold (IMAP's literal: a line ending in "{11}"
   * is followed by 11 bytes that may contain CRLF, and then the rest of the command line).
   * null when the peer closes before all of them came.
   */
  async readBytes(count: number): Promise<Buffer | null> {
    const pieces: Buffer[] = [];
    let missing = count;
    for (;;) {
      const piece = this.take(Math.min(missing, this.unread.length));
      if (piece.length > 0) pieces.push(piece);
      missing -= piece.length;
      if (missing === 0) return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await this.more();
    }
  }

  /**
   * Reads a dot-stuffed multi-line block up to its "." line and returns the content with the
   * stuffing removed and CRLF line endings: what a client reads after RETR or ARTICLE, and
   * what a server reads after NNTP's POST (SMTP's DATA is the same idea).
   * It never stops in the middle: a block bigger than `maxBytes`, or with a line longer than
   * `maxLineLength`, is still read to its "." line (and thrown away), so that the next line
   * is the peer's next command or reply again — then BlockTooBigError or LineTooLongError.
   * UnfinishedBlockError: the peer closed the connection before the "." line.
   */
  async readDotBlock(limits: { maxBytes?: number; maxLineLength?: number } = {}): Promise<Buffer> {
    const maxBytes = limits.maxBytes ?? Infinity;
    const lines: Buffer[] = [];
    let size = 0;
    let refused: Error | null = null;
    for (;;) {
      let line: Buffer | null;
      try {
        line = await this.readLineBytes(limits.maxLineLength);
      } catch (err) {
        if (!(err instanceof LineTooLongError)) throw err;
        refused ??= err;
        continue;
      }
      if (line === null) throw new UnfinishedBlockError();
      if (line.length === 1 && line[0] === DOT) break;
      if (line[0] === DOT) line = line.subarray(1); // the stuffing
      size += line.length + CRLF.length;
      if (size > maxBytes) refused ??= new BlockTooBigError(maxBytes);
      if (refused === null) lines.push(line, CRLF);
    }
    if (refused) throw refused;
    return Buffer.concat(lines);
  }

  /**
   * Stops reading from the socket and throws away everything received but not yet read.
   * STARTTLS/STLS needs this: bytes that arrived in plaintext after the STLS command
   * must never be treated as if they came through the encrypted channel (CVE-2011-0411
   * and friends: "STARTTLS command injection").
   */
  detach(): void {
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.off("close", this.onEnd);
    this.input.off("error", this.onError);
    this.clear();
    this.finish(null);
  }

  /** Bytes received so far and not yet read. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  private get unread(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  private clear(): void {
    this.store = EMPTY; // an idle session keeps no buffer
    this.start = this.end = this.scanned = 0;
  }

  /** Hands out the first `length` unread bytes; resumes a paused socket once there is room. */
  private take(length: number): Buffer {
    const taken = this.store.subarray(this.start, this.start + length);
    this.start += length;
    this.scanned = Math.max(0, this.scanned - length);
    if (this.start === this.end) this.clear();
    this.resumeIfRoom();
    return taken;
  }

  private resumeIfRoom(): void {
    if (this.pendingBytes < HIGH_WATER && this.input.isPaused() && !this.ended) this.input.resume();
  }

  /** The start of a line, no "\n" yet, and already over the limit: stop keeping it, skip to its "\n". */
  private dropLongLine(maxLineLength: number): void {
    if (this.skippingLongLine || this.pendingBytes >= maxLineLength) {
      this.clear();
      this.skippingLongLine = true;
      this.resumeIfRoom();
    }
  }

  private receive(chunk: Buffer): void {
    if (this.start === this.end) {
      this.store = chunk;
      this.start = 0;
      this.end = chunk.length;
    } else {
      if (this.end + chunk.length > this.store.length) {
        const bigger = Buffer.allocUnsafe(2 * (this.pendingBytes + chunk.length));
        this.store.copy(bigger, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
        this.store = bigger;
      }
      chunk.copy(this.store, this.end);
      this.end += chunk.length;
    }
    if (this.pendingBytes >= HIGH_WATER) this.input.pause();
    this.notify();
  }

  /** Waits for more bytes. A reader that needs them (a long line, a big literal) gets them even past the pause mark: its own limit bounds them. */
  private more(): Promise<void> {
    if (this.input.isPaused() && !this.ended) this.input.resume();
    return new Promise<void>((resolve) => (this.wakeUp = resolve));
  }

  private finish(err: Error | null): void {
    this.ended = true;
    if (err && !this.failure) this.failure = err;
    this.notify();
  }

  private notify(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = null;
    wakeUp?.();
  }
}

const EMPTY = Buffer.alloc(0);

const CRLF = Buffer.from("\r\n");

/**
 * Writes one reply line, adding the CRLF. Refuses text that contains a line break: a
 * user name echoed into a reply must never be able to add a reply line of its own.
 */
export function writeLine(output: Writable, line: string): boolean {
  return output.write(checkedLine(line));
}

/** `line` + CRLF, refusing a line that contains a line break itself (see writeLine). */
export function checkedLine(line: string): string {
  if (/[\r\n]/.test(line)) throw new Error(`a reply line must not contain CR or LF: ${JSON.stringify(line)}`);
  return line + "\r\n";
}

/**
 * Turns message content into a dot-stuffed multi-line block, one chunk at a time:
 *   - LF or CRLF line endings in, CRLF out (Maildir files use LF; the wire uses CRLF);
 *   - every line that starts with "." gets one more "." in front;
 *   - end() gives a CRLF if the content did not end with one, then ".\r\n".
 * It remembers, between chunks, whether the next byte starts a line and whether the
 * last byte was "\r", so a chunk boundary anywhere changes nothing.
 */
export class DotStuffer {
  private atLineStart = true;
  private lastByte = -1;

  /** The stuffed form of the next chunk of content (always a new buffer: `chunk` may be reused). */
  encode(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      if (this.atLineStart && chunk[start] === DOT) out.push(DOT_BUFFER); // the stuffing
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        out.push(chunk.subarray(start));
        this.atLineStart = false;
        break;
      }
      // The byte before this "\n" may have come in the previous chunk.
      const before = lf > 0 ? chunk[lf - 1] : this.lastByte;
      out.push(chunk.subarray(start, lf), before === CR ? LF_BUFFER : CRLF);
      this.atLineStart = true;
      start = lf + 1;
    }
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
    return Buffer.concat(out);
  }

  /** The end of the block: ".\r\n", after a CRLF if the content's last line had none. */
  end(): Buffer {
    return this.atLineStart ? TERMINATOR : Buffer.concat([CRLF, TERMINATOR]);
  }
}

const DOT_BUFFER = Buffer.from(".");
const LF_BUFFER = Buffer.from("\n");
const TERMINATOR = Buffer.from(".\r\n");

/**
 * Finds where a dot-stuffed block ends in a stream of bytes that is only watched, not read: the
 * transcript of a session, which sees the client's chunks as they arrive (an SMTP DATA body
 * after the 354, an NNTP article after the 340) and must know where the body stops and commands
 * start again ("\r\n.\r\nQUIT\r\n" may come in one chunk). The end is a line holding a single
 * "." — after "\r\n" or a bare "\n", like the LineReader above — and the body may be empty (its
 * first line the "."). It remembers, between chunks, how much of such a line it has seen.
 */
export class DotBlockEnd {
  /** 0: inside a line; 1: at the start of a line; 2: after a "." there; 3: after ".\r" there. */
  private state = 1;

  /** How many bytes of `chunk` belong to the block, its "." line included; -1: all of them, it goes on. */
  feed(chunk: Buffer): number {
    let at = 0;
    while (at < chunk.length) {
      const byte = chunk[at]!;
      if (this.state === 0) {
        // Only a line holding a single "." ends the block: look for such a line whole, not at
        // each byte, nor at each "\n." (a dot-stuffed line, "..", is content).
        const crlf = chunk.indexOf(LF_DOT_CRLF, at);
        const lf = chunk.indexOf(LF_DOT_LF, at);
        if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + LF_DOT_CRLF.length;
        if (lf !== -1) return lf + LF_DOT_LF.length;
        // Not in this chunk: how much of such a line its last bytes hold, for the next chunk.
        const last = chunk.length - 1;
        if (chunk[last] === LF) this.state = 1;
        else if (last - 1 >= at && chunk[last - 1] === LF && chunk[last] === DOT) this.state = 2;
        else if (last - 2 >= at && chunk[last - 2] === LF && chunk[last - 1] === DOT && chunk[last] === CR) this.state = 3;
        return -1;
      } else if (this.state === 1) {
        this.state = byte === DOT ? 2 : byte === LF ? 1 : 0;
        at++;
      } else if (byte === LF) {
        this.state = 1;
        return at + 1; // ".\n" or ".\r\n": the end
      } else {
        this.state = this.state === 2 && byte === CR ? 3 : 0;
        at++;
      }
    }
    return -1;
  }
}

const LF_DOT_CRLF = Buffer.from("\n.\r\n");
const LF_DOT_LF = Buffer.from("\n.\n");
