// Lesson 04 — reference solution. Same exports as exercise.ts.
//
// TCP delivers a stream of bytes: one write() can arrive as many 'data' events, and
// many write()s as one. Framing is how the receiver finds the messages again.

const LF = 0x0a; // "\n"
const CR = 0x0d; // "\r"

export interface LineSplitterOptions {
  /** The most bytes a line may have before its "\n" (a "\r" counts). Default 64 KiB. */
  maxLineBytes?: number;
}

/** Line framing: every message ends with "\n" (or "\r\n", as internet protocols write it). */
export class LineSplitter {
  // The bytes after the last "\n" seen so far: the start of a line still arriving.
  // We keep BYTES, not text: a UTF-8 character may be cut between two chunks.
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxLineBytes: number;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  /** Takes the next chunk of the stream; returns the lines it finished, in order. */
  push(chunk: Buffer): string[] {
    const bytes = Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let newline = bytes.indexOf(LF); newline !== -1; newline = bytes.indexOf(LF, start)) {
      this.checkLength(newline - start);
      // "\r\n" ends a line too: drop the "\r" that came just before the "\n".
      const end = newline > start && bytes[newline - 1] === CR ? newline - 1 : newline;
      // Only now, with the whole line, do we decode: all of its characters are here.
      lines.push(bytes.toString("utf8", start, end));
      start = newline + 1;
    }
    // A client that never sends "\n" must not make us buffer forever.
    this.checkLength(bytes.length - start);
    this.pending = bytes.subarray(start);
    return lines;
  }

  /** The bytes after the last "\n": at the end of the stream, a last line without "\n". */
  rest(): Buffer {
    return this.pending;
  }

  private checkLength(length: number): void {
    if (length > this.maxLineBytes) {
      throw new Error(`line too long: more than ${this.maxLineBytes} bytes without a "\\n"`);
    }
  }
}

/** A length-prefixed frame: 4 bytes of length (unsigned, big-endian), then the payload. */
export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length > 0xffffffff) throw new RangeError(`a frame holds at most 4 GiB, not ${payload.length} bytes`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length); // "network byte order" is big-endian, like Python's struct.pack("!I", n)
  return Buffer.concat([header, payload]);
}

export interface FrameDecoderOptions {
  /** The largest payload accepted. Default 1 MiB. */
  maxFrameBytes?: number;
}

/** Finds the frames that encodeFrame() made in a stream of chunks. */
export class FrameDecoder {
  // Everything received that is not yet part of a returned frame.
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  }

  /** Takes the next chunk of the stream; returns every frame it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    // A loop, not an if: one chunk may hold several frames (and the start of the next).
    while (this.pending.length >= 4) {
      // The header itself may be cut: we only read it once all 4 bytes are here.
      const length = this.pending.readUInt32BE(0);
      // Check before waiting for the payload: a hostile peer could announce 4 GiB.
      if (length > this.maxFrameBytes) {
        throw new Error(`frame too large: ${length} bytes announced, at most ${this.maxFrameBytes} allowed`);
      }
      if (this.pending.length < 4 + length) break; // the payload is still arriving
      frames.push(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return frames;
  }

  /** The bytes of an unfinished frame: not empty at the end of the stream means it was cut off. */
  rest(): Buffer {
    return this.pending;
  }
}
