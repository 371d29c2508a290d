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

import { Readable, Transform, type TransformCallback, type Writable } from "node:stream";
import { buffer } from "node:stream/consumers";

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

export interface LineReaderOptions {
  /**
   * Longest accepted line in octets, counting its line ending. Servers pass their protocol's
   * limit (RFC 2449 §4: 255 for POP3 commands). The default, 1 MiB, suits clients reading mail:
   * RFC 5322 allows 1000 octets per line, but real messages sometimes have much longer ones.
   */
  maxLineLength?: number;
}

/**
 * Reads CRLF-terminated lines from a socket, one `await readLine()` at a time.
 * Lines that arrive before they are asked for wait in a short queue (a client may send
 * several commands at once: "pipelining"); when the queue is long the socket is paused,
 * so a client that floods us fills its own send buffer, not our memory.
 */
export class LineReader {
  readonly maxLineLength: number;
  // The start of a line whose "\n" has not arrived: the first partialLength bytes of `partial`,
  // a buffer that doubles when it is full. (Joining the old bytes and each new piece into a new
  // buffer copied everything so far at every piece: a 64 KB line sent one byte per TCP segment
  // cost 2 GB of copying, a second of CPU. Doubling copies each byte about twice.)
  private partial: Buffer = Buffer.alloc(0);
  private partialLength = 0;
  private skippingLongLine = false;
  private readonly queue: (Buffer | LineTooLongError)[] = [];
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
  async readLine(): Promise<string | null> {
    const line = await this.readLineBytes();
    return line === null ? null : line.toString("utf8");
  }

  /** The next line as raw bytes (without its line ending); null when the peer has closed. */
  async readLineBytes(): Promise<Buffer | null> {
    while (this.queue.length === 0) {
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
    }
    const line = this.queue.shift()!;
    if (this.queue.length < 16 && this.input.isPaused()) this.input.resume();
    if (line instanceof LineTooLongError) throw line;
    return line;
  }

  /**
   * Reads a dot-stuffed multi-line block up to its "." line and returns the content
   * with the stuffing removed and CRLF line endings (what a client does after RETR).
   */
  async readDotBlock(): Promise<Buffer> {
    const lines: Buffer[] = [];
    for (;;) {
      const line = await this.readLineBytes();
      if (line === null) throw new Error("the connection closed in the middle of a multi-line block (no final \".\" line)");
      if (line.length === 1 && line[0] === DOT) return Buffer.concat(lines);
      lines.push(line[0] === DOT ? line.subarray(1) : line, CRLF);
    }
  }

  /**
   * Reads a dot-stuffed block that a CLIENT sends (NNTP's POST; SMTP's DATA is the same idea),
   * stuffing removed, CRLF line endings. Unlike readDotBlock it never stops in the middle: a
   * block bigger than `maxBytes`, or with a line longer than maxLineLength, is still read to its
   * "." line (and thrown away), so that the next line is the client's next command again.
   * null: the peer closed the connection before the "." line.
   */
  async receiveDotBlock(maxBytes: number): Promise<{ content: Buffer } | { refused: "too big" | "line too long" } | null> {
    const lines: Buffer[] = [];
    let size = 0;
    let refused: "too big" | "line too long" | null = null;
    for (;;) {
      let line: Buffer | null;
      try {
        line = await this.readLineBytes();
      } catch (err) {
        if (!(err instanceof LineTooLongError)) throw err;
        refused ??= "line too long";
        continue;
      }
      if (line === null) return null;
      if (line.length === 1 && line[0] === DOT) break;
      if (line[0] === DOT) line = line.subarray(1);
      size += line.length + CRLF.length;
      if (size > maxBytes) refused ??= "too big";
      if (refused === null) lines.push(line, CRLF);
    }
    return refused === null ? { content: Buffer.concat(lines) } : { refused };
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
    this.queue.length = 0;
    this.dropPartial();
    this.finish(null);
  }

  /** Bytes received so far that are not yet part of a complete line. */
  get pendingBytes(): number {
    return this.partialLength;
  }

  private appendPartial(bytes: Buffer): void {
    if (this.partialLength + bytes.length > this.partial.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.partial.length, this.partialLength + bytes.length, 256));
      this.partial.copy(grown, 0, 0, this.partialLength);
      this.partial = grown;
    }
    bytes.copy(this.partial, this.partialLength);
    this.partialLength += bytes.length;
  }

  private dropPartial(): void {
    this.partial = Buffer.alloc(0);
    this.partialLength = 0;
  }

  private receive(chunk: Buffer): void {
    let start = 0;
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, start)) {
      if (this.skippingLongLine) {
        // The end of a too-long line: report it now, in order with the other lines.
        this.skippingLongLine = false;
        this.queue.push(new LineTooLongError(this.maxLineLength));
      } else if (this.partialLength + (lf + 1 - start) > this.maxLineLength) {
        this.dropPartial();
        this.queue.push(new LineTooLongError(this.maxLineLength));
      } else {
        let line = Buffer.concat([this.partial.subarray(0, this.partialLength), chunk.subarray(start, lf)]);
        this.dropPartial();
        if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        this.queue.push(line);
      }
      start = lf + 1;
    }
    if (start < chunk.length && !this.skippingLongLine) {
      this.appendPartial(chunk.subarray(start));
      // No "\n" yet and already over the limit: stop collecting, skip to the next "\n".
      if (this.partialLength >= this.maxLineLength) {
        this.dropPartial();
        this.skippingLongLine = true;
      }
    }
    if (this.queue.length >= 64) this.input.pause();
    this.notify();
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

const CRLF = Buffer.from("\r\n");

/**
 * Writes one reply line, adding the CRLF. Refuses text that contains a line break: a
 * user name echoed into a reply must never be able to add a reply line of its own.
 */
export function writeLine(output: Writable, line: string): boolean {
  if (/[\r\n]/.test(line)) throw new Error(`a reply line must not contain CR or LF: ${JSON.stringify(line)}`);
  return output.write(line + "\r\n");
}

/**
 * Turns message content into a dot-stuffed multi-line block, one chunk at a time:
 *   - LF or CRLF line endings in, CRLF out (Maildir files use LF; the wire uses CRLF);
 *   - every line that starts with "." gets one more "." in front;
 *   - end() gives a CRLF if the content did not end with one, then ".\r\n".
 * It remembers, between chunks, whether the next byte starts a line and whether the
 * last byte was "\r", so a chunk boundary anywhere changes nothing.
 * (DotEncoder below is the same as a Transform stream, for piping.)
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

/** DotStuffer as a Transform stream: content in, a dot-stuffed block (with its ".\r\n") out. */
export class DotEncoder extends Transform {
  private readonly stuffer = new DotStuffer();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    done(null, this.stuffer.encode(chunk));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.stuffer.end());
  }
}

const DOT_BUFFER = Buffer.from(".");
const LF_BUFFER = Buffer.from("\n");
const TERMINATOR = Buffer.from(".\r\n");

/**
 * The receiving side, as a stream: bytes of a dot-stuffed block in, content out (line
 * endings kept as they came, one leading "." removed from stuffed lines). It ends at
 * the "." line; bytes that came after it (the next reply) are kept in `rest`.
 */
export class DotDecoder extends Transform {
  /** Bytes received after the terminating ".\r\n" line: they belong to whatever comes next. */
  rest: Buffer = Buffer.alloc(0);
  private state: "lineStart" | "dot" | "dotCR" | "inLine" | "done" = "lineStart";

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.state === "done") {
      this.rest = Buffer.concat([this.rest, chunk]);
      return done();
    }
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let n = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      switch (this.state) {
        case "lineStart":
          if (byte === DOT) this.state = "dot"; // stuffing or the end: the next byte decides
          else {
            out[n++] = byte;
            this.state = byte === LF ? "lineStart" : "inLine";
          }
          break;
        case "dot":
          if (byte === CR) this.state = "dotCR";
          else if (byte === LF) this.state = "done"; // ".\n": lenient end
          else {
            out[n++] = byte; // the first "." was stuffing: dropped
            this.state = "inLine";
          }
          break;
        case "dotCR":
          if (byte === LF) this.state = "done"; // ".\r\n": the end
          else {
            out[n++] = CR; // "." + "\r" + something: a stuffed line that held a bare "\r"
            out[n++] = byte;
            this.state = byte === LF ? "lineStart" : "inLine";
          }
          break;
        case "inLine":
          out[n++] = byte;
          if (byte === LF) this.state = "lineStart";
          break;
      }
      if (this.state === "done") {
        this.rest = chunk.subarray(i + 1);
        this.push(out.subarray(0, n));
        this.push(null);
        return done();
      }
    }
    done(null, out.subarray(0, n));
  }

  override _flush(done: TransformCallback): void {
    if (this.state !== "done") return done(new Error('the multi-line block ended without its final "." line'));
    done();
  }
}

/** Dot-stuffs a whole block held in memory (small things: tests, short lists). */
export async function encodeDotBlock(content: Buffer | string): Promise<Buffer> {
  return buffer(Readable.from([Buffer.from(content)]).pipe(new DotEncoder()));
}

/** Removes the dot-stuffing from a whole block held in memory, up to its "." line. */
export async function decodeDotBlock(block: Buffer | string): Promise<Buffer> {
  return buffer(Readable.from([Buffer.from(block)]).pipe(new DotDecoder()));
}
