// Wrong answer: FrameDecoder returns at most one frame per push
// `if` where a `while` belongs. One chunk can carry several frames; this
// returns the first and leaves the others waiting until more data happens to arrive.
export * from "../../../lessons/04-framing/solution.ts";
import type { FrameDecoderOptions } from "../../../lessons/04-framing/solution.ts";

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  }

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.pending.length < 4) return [];
    const length = this.pending.readUInt32BE(0);
    if (length > this.maxFrameBytes) throw new Error("frame too large");
    if (this.pending.length < 4 + length) return [];
    const payload = this.pending.subarray(4, 4 + length);
    this.pending = this.pending.subarray(4 + length);
    return [payload];
  }

  rest(): Buffer {
    return this.pending;
  }
}
