// A server under test in its own process, asked for its memory now and then: the bench's
// client and the server each get a core, and the server's memory is its own
// (test/bench/pop3.ts and nntp.ts). Both sides:
// - the bench: serverProcess(script, args) starts it and reads what it prints, line by line;
// - the server script: answerMemoryProbes() answers each "memory" line on stdin with one JSON
//   line — the heap after a full garbage collection (node --expose-gc) and the peak RSS.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface MemoryProbe {
  heapUsed: number;
  rss: number;
  maxRss: number;
  /** false without --expose-gc: the heap then includes garbage. */
  gc: boolean;
}

export function serverProcess(script: URL, args: string[]) {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(script), ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the server process ${fileURLToPath(script)} exited`);
    return value as string;
  };
  return {
    nextLine,
    memory: async (): Promise<MemoryProbe> => {
      child.stdin!.write("memory\n");
      return JSON.parse(await nextLine());
    },
    stop: () => child.kill(),
  };
}

export async function answerMemoryProbes(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== "memory") continue;
    gc?.();
    gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    const probe: MemoryProbe = { heapUsed, rss, maxRss: process.resourceUsage().maxRSS * 1024, gc: Boolean(gc) };
    console.log(JSON.stringify(probe));
  }
}
