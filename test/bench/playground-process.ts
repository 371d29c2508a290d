// The benches' side of test/bench/playground-server.ts: starts the playground as npm start runs
// it in a process of its own, reads back its ports, and tells the CPU time it has used so far.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { cpuMs } from "./cpu.ts";

export interface PlaygroundProcess {
  process: ChildProcess;
  ports: { smtp: number; pop3: number; http: number };
  /** Milliseconds of CPU the process (every thread) has used since it started. */
  cpu(): number;
  stop(): Promise<void>;
}

/**
 * `mode` "console": recording every session, as npm start does; "none": no activity at all.
 * Every account's password is "secret"; fsync is off (the benches measure the servers, not the disk).
 * BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node flags (the main thread's profile).
 */
export async function startPlaygroundProcess(dataDir: string, accounts: string[], mode: "console" | "none"): Promise<PlaygroundProcess> {
  const script = fileURLToPath(new URL("./playground-server.ts", import.meta.url));
  const flags = process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, "--import", "tsx", script, dataDir, accounts.join(","), mode, "off"], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error("the playground process exited before it listened");
  return {
    process: child,
    ports: JSON.parse(first.value as string),
    cpu: () => cpuMs(child.pid!),
    async stop() {
      const exited = once(child, "exit");
      child.stdin!.end(); // it closes the playground and exits
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
