// Wrong answer: LineSplitter decodes each chunk to text on its own (breaks 张三 cut between chunks)
// Turns every chunk into text as soon as it arrives and keeps a string.
// Fine for ASCII, but a chunk that ends in the middle of 张 (e5 bc | a0) decodes to
// "\uFFFD" garbage: the bytes of one character were cut by the network.
export * from "../../../lessons/04-framing/solution.ts";
import type { LineSplitterOptions } from "../../../lessons/04-framing/solution.ts";

export class LineSplitter {
  private pending = "";
  private readonly maxLineBytes: number;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  push(chunk: Buffer): string[] {
    const parts = (this.pending + chunk.toString("utf8")).split("\n");
    this.pending = parts.pop()!;
    for (const part of [...parts, this.pending]) {
      if (Buffer.byteLength(part) > this.maxLineBytes) throw new Error("line too long");
    }
    return parts.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  }

  rest(): Buffer {
    return Buffer.from(this.pending, "utf8");
  }
}
