// `npm start` as a learner runs it: a real process, real ports, Ctrl-C.
import net from "node:net";
import tls from "node:tls";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { ROOT } from "../kit/processes.ts";
import { HELLO_TEXT } from "../../servers/http-demo.ts";

// Tests never take the fixed default ports: every server gets port 0 (any free port)
// unless a test passes its own flag (parseArgs keeps the last value of a repeated flag).
const ANY_FREE_PORTS = ["http", "smtp", "mx", "smtps", "pop3", "pop3s", "imap", "imaps", "ftp", "nntp"].flatMap((name) => [`--${name}-port`, "0"]);

function startPlayground(...args: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), "playground-"));
  return startPlaygroundIn(dataDir, ...args);
}

function startPlaygroundIn(dataDir: string, ...args: string[]) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "servers/playground.ts", "--data-dir", dataDir, ...ANY_FREE_PORTS, ...args],
    { cwd: ROOT },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return { child, output: () => output };
}

/**
 * Waits until the playground has printed its whole banner (the table, the accounts, the CA
 * file line — it arrives in several pipe chunks) and returns the HTTP demo's port.
 */
async function httpPort(playground: ReturnType<typeof startPlayground>, host = "127.0.0.1"): Promise<string> {
  const url = new RegExp(`http://${host.replaceAll(".", "\\.")}:(\\d+)/`);
  while (!url.test(playground.output()) || !/CA file\): .+\n/.test(playground.output())) {
    if (playground.child.exitCode !== null) throw new Error(playground.output());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return url.exec(playground.output())![1]!;
}

test("npm start serves the HTTP demo, prints where, and stops cleanly on Ctrl-C", async () => {
  const playground = startPlayground();
  const port = await httpPort(playground);
  expect(playground.output()).toContain("HTTP demo server (lesson 02) + lesson site");
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

test("a port in use by a server on a worker thread (news) gives the same advice", async () => {
  const blocker = net.createServer().listen(0, "127.0.0.1");
  await once(blocker, "listening");
  const busyPort = (blocker.address() as net.AddressInfo).port;
  try {
    const playground = startPlayground("--nntp-port", String(busyPort));
    const [code] = await once(playground.child, "exit");
    expect(code).toBe(1);
    expect(playground.output()).toContain(`port ${busyPort} is in use — is another playground running? Stop it, or use --nntp-port <other port>`);
    expect(playground.output()).not.toMatch(/\n\s+at /);
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
  const playground = startPlayground("--host", "127.0.0.2");
  const port = await httpPort(playground, "127.0.0.2");
  expect((await fetch(`http://127.0.0.2:${port}/hello.txt`)).status).toBe(200);
  expect(playground.output()).not.toContain("WARNING");
  playground.child.kill("SIGINT");
  await once(playground.child, "exit");
});

/** Connects to `port` (with TLS when `ca` is given) and returns the server's first line. */
async function greeting(port: number, ca?: string): Promise<string> {
  const socket = ca
    ? tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" })
    : net.connect(port, "127.0.0.1");
  let received = "";
  try {
    for await (const chunk of socket) {
      received += chunk;
      if (received.includes("\r\n")) break;
    }
  } finally {
    socket.destroy();
  }
  return received.split("\r\n")[0]!;
}

/** Greeting, STARTTLS, "382", then a TLS handshake that must trust the printed CA file (RFC 4642). */
async function newsStarttls(port: number, ca: string): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  try {
    let received = "";
    const until = async (ending: RegExp) => {
      while (!ending.test(received)) received += (await once(socket, "data"))[0];
    };
    await until(/^200 .*\r\n$/);
    socket.write("STARTTLS\r\n");
    await until(/\r\n382 .*\r\n$/);
    const secure = tls.connect({ socket, ca, servername: "localhost" });
    await once(secure, "secureConnect");
    secure.destroy();
    return "TLS with the playground's certificate";
  } finally {
    socket.destroy();
  }
}

test("npm start brings up every mail, FTP and news listener, prints the accounts and the CA file, and each greets", async () => {
  const playground = startPlayground();
  await httpPort(playground);
  const output = playground.output();
  const port = (scheme: string) => Number(new RegExp(`${scheme}://127\\.0\\.0\\.1:(\\d+)`).exec(output)?.[1]);
  expect(output).toContain("me@example.com / secret");
  expect(output).toContain("friend@example.org / secret");
  expect(output).toContain("anonymous / any e-mail address (read-only)");
  const caFile = /CA file\): (.+)$/m.exec(output)![1]!;
  const ca = readFileSync(caFile, "utf8");
  expect(ca).toContain("BEGIN CERTIFICATE");

  const [submission, mx] = [...output.matchAll(/smtp:\/\/127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
  expect(await greeting(submission!)).toMatch(/^220 /);
  expect(await greeting(mx!)).toMatch(/^220 /);
  expect(await greeting(port("smtps"), ca)).toMatch(/^220 /);
  expect(await greeting(port("pop3"))).toMatch(/^\+OK/);
  expect(await greeting(port("pop3s"), ca)).toMatch(/^\+OK/);
  expect(await greeting(port("imap"))).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 /);
  expect(await greeting(port("imaps"), ca)).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 /);
  expect(await greeting(port("ftp"))).toMatch(/^220/);
  expect(await greeting(port("nntp"))).toMatch(/^200 /); // RFC 3977 §5.1.1: 200 = posting allowed
  expect(await newsStarttls(port("nntp"), ca)).toBe("TLS with the playground's certificate");

  playground.child.kill("SIGINT");
  const [code] = await once(playground.child, "exit");
  expect(code).toBe(0);
}, 30_000);

test("accounts come from <data-dir>/config.json; a broken config.json is named, not a stack trace", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "playground-"));
  const accounts = { mailAccounts: [{ address: "teacher@example.com", password: "class" }], ftpAccounts: [{ user: "teacher", password: "class" }], newsAccounts: [{ user: "reader", password: "news" }] };
  writeFileSync(join(dataDir, "config.json"), JSON.stringify(accounts));
  const playground = startPlaygroundIn(dataDir);
  await httpPort(playground);
  expect(playground.output()).toContain("mail  teacher@example.com / class");
  expect(playground.output()).toContain("ftp   teacher / class");
  expect(playground.output()).toContain("news  reader / news");
  expect(playground.output()).not.toContain("me@example.com / secret");
  playground.child.kill("SIGINT");
  await once(playground.child, "exit");

  writeFileSync(join(dataDir, "config.json"), "{ ports: 2525 }");
  const broken = startPlaygroundIn(dataDir);
  const [code] = await once(broken.child, "exit");
  expect(code).toBe(1);
  expect(broken.output()).toContain("config.json is not valid JSON");
  expect(broken.output()).not.toMatch(/\n\s+at /);
}, 30_000);
