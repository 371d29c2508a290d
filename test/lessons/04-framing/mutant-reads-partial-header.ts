// Wrong answer: FrameDecoder reads the length before all 4 header bytes are there
// A "header, then payload" state machine that reads the header as soon as
// ANY byte is there, assembling the big-endian length by hand. When the header is cut
// between chunks the missing bytes are undefined, `undefined << 8` is 0, and a wrong
// length is read from half a header — after that every frame is garbage.
export * from "../../../lessons/04-framing/solution.ts";
import type { FrameDecoderOptions } from "../../../lessons/04-framing/solution.ts";

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private length: number | null = null; // the length of the frame being received, once its header is read
  private readonly maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  }

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.length === null) {
        if (this.pending.length === 0) break; // should wait for 4 bytes, not 1
        const b = this.pending;
        this.length = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
        if (this.length > this.maxFrameBytes) throw new Error("frame too large");
        this.pending = this.pending.subarray(4);
      }
      if (this.pending.length < this.length) break;
      frames.push(this.pending.subarray(0, this.length));
      this.pending = this.pending.subarray(this.length);
      this.length = null;
    }
    return frames;
  }

  rest(): Buffer {
    return this.pending;
  }
}
