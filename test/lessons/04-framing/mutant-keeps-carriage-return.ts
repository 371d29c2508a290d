// Wrong answer: LineSplitter splits at "\n" but keeps the "\r" of "\r\n"
// Splits at "\n" and forgets that internet protocols end lines with "\r\n",
// so "hello\r\n" comes out as "hello\r" (and a command like "QUIT\r" matches nothing).
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
      if (newline - start > this.maxLineBytes) throw new Error("line too long");
      lines.push(bytes.toString("utf8", start, newline));
      start = newline + 1;
    }
    if (bytes.length - start > this.maxLineBytes) throw new Error("line too long");
    this.pending = bytes.subarray(start);
    return lines;
  }

  rest(): Buffer {
    return this.pending;
  }
}
