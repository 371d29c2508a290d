// Wrong answer: encodeFrame and FrameDecoder agree on a little-endian length
// Writes and reads the length little-endian (the byte order of the CPU
// in your laptop). Its own frames round-trip, but no other program can read them:
// on the wire, numbers are big-endian ("network byte order", Python's "!" in struct).
export * from "../../../lessons/04-framing/solution.ts";
import type { FrameDecoderOptions } from "../../../lessons/04-framing/solution.ts";

export function encodeFrame(payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(payload.length);
  return Buffer.concat([header, payload]);
}

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  }

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32LE(0);
      if (length > this.maxFrameBytes) throw new Error("frame too large");
      if (this.pending.length < 4 + length) break;
      frames.push(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return frames;
  }

  rest(): Buffer {
    return this.pending;
  }
}
