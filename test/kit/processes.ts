// Runs examples as real processes, the way a learner runs them (`npx tsx examples/x.ts`).
// Servers are started with PORT=0 and report the port the system picked in their
// "Listening on HOST:PORT" line, so tests never fight over fixed ports. A server started
// inside a test is stopped when that test ends, passed or failed.

import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// `node --import tsx file.ts` runs the same code as `npx tsx file.ts`, in one process
// instead of two: faster to start, and signals (Ctrl-C) reach the program directly.
const NODE_WITH_TSX = [process.execPath, "--import", "tsx"] as const;

export interface RunningExample {
  port: number;
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Ctrl-C: sends SIGINT and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts an example server and waits for its "Listening on HOST:PORT" line. */
export async function startExample(file: string, env: Record<string, string> = {}, timeoutMs = 10_000): Promise<RunningExample> {
  const child = spawn(NODE_WITH_TSX[0], [...NODE_WITH_TSX.slice(1), file], { cwd: ROOT, env: { ...process.env, HOST: "127.0.0.1", PORT: "0", ...env } });
  onTestFinished(async () => {
    await stopProcess(child);
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not print "Listening on" within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const look = () => {
      const match = /Listening on \S+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", look);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (code ${code}) before listening:\n${output}`));
    });
  });
  return {
    port,
    process: child,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

/** Ctrl-C (SIGINT) to a process we started, resolving with its exit code; fine to call twice. */
async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  return code as number | null;
}

/** Runs a program to the end with `stdin` as its input; resolves with what it printed. */
export async function runProgram(
  command: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  // A program that exits without reading its input closes the pipe: that EPIPE is not an error.
  child.stdin.on("error", () => {});
  child.stdin.end(options.stdin ?? "");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 10_000);
  const [code] = await once(child, "exit");
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}

/** Runs an example client: `runExample("examples/tcp-echo-client.ts", { stdin: "hi\n", env: { PORT } })`. */
export function runExample(
  file: string,
  options: { args?: string[]; stdin?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
) {
  return runProgram(NODE_WITH_TSX[0], [...NODE_WITH_TSX.slice(1), file, ...(options.args ?? [])], { ...options, env: { HOST: "127.0.0.1", ...options.env } });
}

/** python3 for the "the seeds' Python code works against our servers" tests, if installed. */
/** True when `command --version` runs: tests of real clients (curl, swaks, …) skip, with a message, where one is missing. */
export function hasCommand(command: string): Promise<boolean> {
  return runProgram(command, ["--version"]).then((r) => r.code === 0, () => false);
}

export const hasPython = await hasCommand("python3");

/**
 * Starts a Python server (`python3 -u -c code`, written like the seeds) and waits until it
 * prints the line matched by `ready`, whose first group is the port. Its output is read to
 * the end: closing the pipe early would make Python's next print() fail with BrokenPipeError.
 * It is stopped when the test that started it ends.
 */
export async function startPython(
  code: string,
  ready: RegExp = /Listening on \S+:(\d+)\n/,
): Promise<{ port: number; output(): string; stop(): Promise<unknown> }> {
  const child = spawn("python3", ["-u", "-c", code], { cwd: ROOT });
  const stop = () => stopProcess(child);
  onTestFinished(async () => {
    await stop();
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  while (!ready.test(output)) {
    if (child.exitCode !== null) throw new Error(`the Python server exited before it was ready:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port: Number(ready.exec(output)![1]), output: () => output, stop };
}
