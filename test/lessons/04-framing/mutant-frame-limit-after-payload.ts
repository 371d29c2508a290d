// Wrong answer: FrameDecoder checks maxFrameBytes only once the whole payload is there
// Checks the size only once the whole frame has arrived. A hostile peer
// announces 4 GiB and trickles bytes in: the decoder buffers them all before it objects.
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
    const frames: Buffer[] = [];
    while (this.pending.length >= 4) {
      const length = this.pending.readUInt32BE(0);
      if (this.pending.length < 4 + length) break;
      if (length > this.maxFrameBytes) throw new Error("frame too large");
      frames.push(this.pending.subarray(4, 4 + length));
      this.pending = this.pending.subarray(4 + length);
    }
    return frames;
  }

  rest(): Buffer {
    return this.pending;
  }
}
