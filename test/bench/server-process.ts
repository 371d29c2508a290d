// Starts the servers under test as separate processes on PORT=0, like
// test/kit/processes.ts startExample does, with one difference: their output goes to
// a log file (a sink) instead of a pipe we read. examples/udp-echo-server.ts prints a
// line for every datagram; through a pipe, the bench process would have to read all
// of that back (and the server would stall whenever we fell behind). A file costs the
// server one write() per line — the same as a terminal would, only faster — and
// costs the bench nothing.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const logDirectory = mkdtempSync(join(tmpdir(), "socket-playground-bench-"));
const running = new Set<ChildProcess>();

export interface ServerSpec {
  /** The server's file, relative to the repo root. */
  file: string;
  /** A module to load first (node --import), relative to the repo root. */
  preload?: string;
}

/** Starts a server with PORT=0 and resolves with the port from its "Listening on HOST:PORT" line. */
export async function startServer(name: string, { file, preload }: ServerSpec, timeoutMs = 15_000): Promise<number> {
  const logFile = join(logDirectory, `${name}.log`);
  const log = openSync(logFile, "w");
  // `node --import tsx file` is what `npx tsx file` does, minus tsx's extra watcher
  // process in between, so stopping the server is one signal to one process.
  const imports = ["--import", "tsx", ...(preload ? ["--import", `./${preload}`] : [])];
  const child = spawn(process.execPath, [...imports, file], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0" },
    stdio: ["ignore", log, log],
  });
  closeSync(log); // the child has its own copy of the file descriptor
  running.add(child);
  child.once("exit", () => running.delete(child));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const output = readFileSync(logFile, "utf8");
    const match = /Listening on \S+:(\d+)/.exec(output);
    if (match) return Number(match[1]);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${file} exited (code ${child.exitCode}) before listening:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${file} did not print "Listening on" within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(20);
  }
}

/** Ctrl-C to every server still running (SIGKILL if one has not exited after 2 s), then removes the logs. */
export async function stopAllServers(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = once(child, "exit");
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
      await exited;
      clearTimeout(timer);
    }),
  );
  rmSync(logDirectory, { recursive: true, force: true });
}

/** Last resort for process.on("exit"), where nothing asynchronous runs any more. */
export function killAllServersNow(): void {
  for (const child of running) child.kill("SIGKILL");
  rmSync(logDirectory, { recursive: true, force: true });
}
