// `npm start` as a learner runs it: a real process, real ports, Ctrl-C.
import net from "node:net";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../kit/processes.ts";
import { HELLO_TEXT } from "../../servers/http-demo.ts";

function startPlayground(...args: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), "playground-"));
  const child = spawn(process.execPath, ["--import", "tsx", "servers/playground.ts", "--data-dir", dataDir, ...args], { cwd: ROOT });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

/** Waits for the playground's table and returns the HTTP demo's port. */
async function httpPort(playground: ReturnType<typeof startPlayground>, host = "127.0.0.1"): Promise<string> {
  const url = new RegExp(`http://${host.replaceAll(".", "\\.")}:(\\d+)/`);
  while (!url.test(playground.output())) {
    if (playground.child.exitCode !== null) throw new Error(playground.output());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return url.exec(playground.output())![1]!;
}

test("npm start serves the HTTP demo, prints where, and stops cleanly on Ctrl-C", async () => {
  const playground = startPlayground("--http-port", "0");
  const port = await httpPort(playground);
  expect(playground.output()).toContain("HTTP demo server (lesson 02)");
  expect(playground.output()).toContain("data dir:");

  const response = await fetch(`http://127.0.0.1:${port}/hello.txt`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe(HELLO_TEXT);

  playground.child.kill("SIGINT");
  const [code] = await once(playground.child, "exit");
  expect(code).toBe(0);
  expect(playground.output()).toContain("Stopping the playground");
});

test("a port in use gives advice, not a stack trace", async () => {
  const blocker = net.createServer().listen(0, "127.0.0.1");
  await once(blocker, "listening");
  const busyPort = (blocker.address() as net.AddressInfo).port;
  try {
    const playground = startPlayground("--http-port", String(busyPort));
    const [code] = await once(playground.child, "exit");
    expect(code).toBe(1);
    expect(playground.output()).toContain(`port ${busyPort} is in use — is another playground running?`);
    expect(playground.output()).toContain("--http-port");
    expect(playground.output()).not.toMatch(/\n\s+at /); // no stack trace
  } finally {
    blocker.close();
  }
});

test("a bad port number is refused with a clear message", async () => {
  const playground = startPlayground("--http-port", "99999");
  const [code] = await once(playground.child, "exit");
  expect(code).toBe(1);
  expect(playground.output()).toContain("--http-port 99999 is not a port number");
});

test("--host picks the address; another loopback address needs no warning", async () => {
  const playground = startPlayground("--http-port", "0", "--host", "127.0.0.2");
  const port = await httpPort(playground, "127.0.0.2");
  expect((await fetch(`http://127.0.0.2:${port}/hello.txt`)).status).toBe(200);
  expect(playground.output()).not.toContain("WARNING");
  playground.child.kill("SIGINT");
  await once(playground.child, "exit");
});
