// Wrong answer: LineSplitter checks maxLineBytes only on a line still waiting for its \n
// Checks maxLineBytes only on the unfinished line it keeps between pushes.
// A too-long line that arrives complete in one chunk slips through unchecked.
export * from "../../../lessons/04-framing/solution.ts";
import type { LineSplitterOptions } from "../../../lessons/04-framing/solution.ts";

export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private readonly maxLineBytes: number;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  push(chunk: Buffer): string[] {
    const bytes = Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let newline = bytes.indexOf(10); newline !== -1; newline = bytes.indexOf(10, start)) {
      const end = newline > start && bytes[newline - 1] === 13 ? newline - 1 : newline;
      lines.push(bytes.toString("utf8", start, end));
      start = newline + 1;
    }
    this.pending = bytes.subarray(start);
    if (this.pending.length > this.maxLineBytes) throw new Error("line too long");
    return lines;
  }

  rest(): Buffer {
    return this.pending;
  }
}
