// Wrong answer: LineSplitter forgets the unfinished line between pushes
// Returns the lines in each chunk but throws away the unfinished line at
// its end, as if every chunk started at the beginning of a line. One write per line and
// a friendly network hide it; "hel" + "lo\n" comes out as "lo".
export * from "../../../lessons/04-framing/solution.ts";
import type { LineSplitterOptions } from "../../../lessons/04-framing/solution.ts";

export class LineSplitter {
  private last: Buffer = Buffer.alloc(0);
  private readonly maxLineBytes: number;

  constructor(options: LineSplitterOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      if (newline - start > this.maxLineBytes) throw new Error("line too long");
      const end = newline > start && chunk[newline - 1] === 13 ? newline - 1 : newline;
      lines.push(chunk.toString("utf8", start, end));
      start = newline + 1;
    }
    if (chunk.length - start > this.maxLineBytes) throw new Error("line too long");
    this.last = chunk.subarray(start); // remembered for rest(), but never joined to the next chunk
    return lines;
  }

  rest(): Buffer {
    return this.last;
  }
}
