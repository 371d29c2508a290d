// One fault never stops the other servers (issue 13): npm start's supervisor (servers/supervisor.ts)
// runs mail, FTP and news each on its own event loop. Here one loop is made to hang on purpose
// (the supervisor's test hook; no network client can reach it): every server outside it must
// still answer at once, and the watchdog must replace the hung one on the same port, data intact.

import net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import type { Activity } from "../../servers/activity.ts";
import { DEFAULT_FTP_ACCOUNTS } from "../../servers/ftp/server.ts";
import { HELLO_TEXT } from "../../servers/http-demo.ts";
import { DEFAULT_MAIL_ACCOUNTS } from "../../servers/mail/accounts.ts";
import { DEFAULT_NEWS_ACCOUNTS } from "../../servers/news/index.ts";
import { startPlayground, type Playground, type PlaygroundOptions } from "../../servers/supervisor.ts";
import { expectCode, RawSmtp, testMessage } from "./mail-kit.ts";
import { expectOk, RawClient } from "./pop3-kit.ts";

const ANY_FREE_PORTS = { http: 0, smtp: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0, ftp: 0, nntp: 0 };
// A shorter watchdog, so a test waits 3 s for a restart instead of 5 s.
const WATCHDOG = { pingEveryMs: 200, stuckAfterMs: 3_000 };
/**
 * What "answers at once" means here: a greeting on loopback takes a few ms; 100 ms is margin. On a
 * busy machine any one answer can be late, so a server gets three tries (see atOnce); a hung loop
 * answers none of them.
 */
const AT_ONCE_MS = 100;
// smtp-server holds every greeting back 100 ms on purpose: a client that talks before it is a
// spam bot ("early talker"). SMTP's bound is that plus the same margin.
const SMTP_AT_ONCE_MS = 100 + AT_ONCE_MS;

async function startTestPlayground(options: Partial<PlaygroundOptions> = {}): Promise<Playground & { log: string[] }> {
  const dataDir = await mkdtemp(join(tmpdir(), "playground-isolation-"));
  const log: string[] = [];
  const playground = await startPlayground({
    host: "127.0.0.1",
    dataDir,
    ports: ANY_FREE_PORTS,
    mailAccounts: DEFAULT_MAIL_ACCOUNTS,
    ftpAccounts: DEFAULT_FTP_ACCOUNTS,
    newsAccounts: DEFAULT_NEWS_ACCOUNTS,
    watchdog: WATCHDOG,
    log: (line) => log.push(line),
    ...options,
  });
  onTestFinished(async () => {
    await playground.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  return Object.assign(playground, { log });
}

/** The server's first line on `port`, or a failure if it takes longer than `withinMs`. */
async function greeting(port: number, withinMs: number): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  socket.setEncoding("latin1");
  let received = "";
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no greeting on port ${port} within ${withinMs} ms`)), withinMs);
      socket.on("data", (chunk: string) => {
        received += chunk;
        if (received.includes("\r\n")) {
          clearTimeout(timer);
          resolve(received.split("\r\n")[0]!);
        }
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } finally {
    socket.destroy();
  }
}

/** The first answer of up to three tries of `probe`, each allowed `withinMs`. */
async function atOnce(probe: (port: number, withinMs: number) => Promise<string>, port: number, withinMs = AT_ONCE_MS): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await probe(port, withinMs);
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function httpAnswer(port: number, withinMs: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/hello.txt`, { signal: AbortSignal.timeout(withinMs) });
  return response.text();
}

/** Waits (up to 20 s) until the supervisor has restarted something `count` times. */
async function restarts(playground: Playground, count: number) {
  const deadline = Date.now() + 20_000;
  while (playground.restarts.length < count) {
    if (Date.now() > deadline) throw new Error(`no restart within 20 s; restarts so far: ${JSON.stringify(playground.restarts)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return playground.restarts;
}

test("while the news server's loop hangs, HTTP, SMTP, POP3, IMAP and FTP answer at once; the watchdog restarts news on its port", async () => {
  const playground = await startTestPlayground();
  const { ports } = playground;
  expect(await greeting(ports.nntp, 5_000)).toMatch(/^200 /);
  // fetch() loads its HTTP client on first use, which alone can take 100 ms: do that before.
  expect(await httpAnswer(ports.http, 5_000)).toBe(HELLO_TEXT);

  playground.testHooks.stall("news", 60_000);
  // The hang is real: the kernel still accepts the connection, but no greeting comes.
  await expect(greeting(ports.nntp, 500)).rejects.toThrow(/no greeting/);

  expect(await atOnce(httpAnswer, ports.http)).toBe(HELLO_TEXT);
  expect(await atOnce(greeting, ports.smtp, SMTP_AT_ONCE_MS)).toMatch(/^220 smtp\.example\.com/);
  expect(await atOnce(greeting, ports.mx, SMTP_AT_ONCE_MS)).toMatch(/^220 mx\.example\.org/);
  expect(await atOnce(greeting, ports.pop3)).toMatch(/^\+OK/);
  expect(await atOnce(greeting, ports.imap)).toMatch(/^\* OK /);
  expect(await atOnce(greeting, ports.ftp)).toMatch(/^220/);
  expect(playground.restarts).toEqual([]); // all of that while news was still hung

  const [restart] = await restarts(playground, 1);
  expect(restart).toMatchObject({ group: "news", reason: "stuck", message: "the news server stopped answering for 3 s — restarted it" });
  expect(playground.log).toContain("playground: the news server stopped answering for 3 s — restarted it");
  // The same port as before (it was "any free port" at the first start), answering again.
  expect(await greeting(ports.nntp, 5_000)).toMatch(/^200 /);
}, 60_000);

test("while the mail servers' loop hangs, HTTP, FTP and NNTP answer at once; after the restart a mail sent before is still there", async () => {
  const playground = await startTestPlayground();
  const { ports } = playground;
  expect(await httpAnswer(ports.http, 5_000)).toBe(HELLO_TEXT); // fetch's first use, see above
  const marker = `isolation-${process.pid}-${Date.now()}`;
  const smtp = await RawSmtp.connect(ports.smtp);
  await smtp.login();
  await expectCode(smtp.command("MAIL FROM:<me@example.com>"), 250);
  await expectCode(smtp.command("RCPT TO:<me@example.com>"), 250);
  await expectCode(smtp.command("DATA"), 354);
  await expectCode(smtp.command(`${testMessage(marker, "me@example.com", "me@example.com")}\r\n.`), 250);
  smtp.close();

  playground.testHooks.stall("mail", 60_000);
  await expect(greeting(ports.pop3, 500)).rejects.toThrow(/no greeting/);
  expect(await atOnce(httpAnswer, ports.http)).toBe(HELLO_TEXT);
  expect(await atOnce(greeting, ports.ftp)).toMatch(/^220/);
  expect(await atOnce(greeting, ports.nntp)).toMatch(/^200 /);
  expect(playground.restarts).toEqual([]); // all of that while mail was still hung

  const [restart] = await restarts(playground, 1);
  expect(restart).toMatchObject({ group: "mail", reason: "stuck" });
  expect(playground.log).toContain("playground: the mail servers stopped answering for 3 s — restarted it");

  // Every mail listener is back on its port, and the Maildir kept the message.
  expect(await greeting(ports.mx, 5_000)).toMatch(/^220 mx\.example\.org/);
  expect(await greeting(ports.imap, 5_000)).toMatch(/^\* OK /);
  const pop3 = await RawClient.login(ports.pop3);
  const count = Number(/^\+OK (\d+)/.exec(expectOk(await pop3.command("STAT")))![1]);
  const messages: string[] = [];
  for (let number = 1; number <= count; number++) {
    expectOk(await pop3.command(`RETR ${number}`));
    messages.push(await pop3.block());
  }
  pop3.socket.destroy();
  expect(messages.filter((message) => message.includes(`Subject: ${marker}`))).toHaveLength(1);
}, 60_000);

test("a worker that crashes is restarted on the same port, the second time after a pause; trace lines from the new thread still arrive", async () => {
  const lines: string[] = [];
  const playground = await startTestPlayground({ trace: (line) => lines.push(line) });
  const port = playground.ports.ftp;
  expect(await greeting(port, 5_000)).toMatch(/^220/);

  playground.testHooks.crash("ftp");
  const [restart] = await restarts(playground, 1);
  expect(restart).toMatchObject({ group: "ftp", reason: "exited", message: "the FTP server stopped (exit code 70) — restarted it" });
  expect(playground.log).toContain("playground: the FTP server stopped (exit code 70) — restarted it");

  lines.length = 0;
  expect(await greeting(port, 5_000)).toMatch(/^220/);
  const deadline = Date.now() + 5_000;
  while (!lines.some((line) => /^ftp#\d+ S: 220/.test(line)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(lines.find((line) => /^ftp#\d+ S: 220/.test(line))).toBeDefined();

  // A second crash soon after the first is a crash loop in the making: it waits (1 s) first.
  const crashedAt = Date.now();
  playground.testHooks.crash("ftp");
  const [, again] = await restarts(playground, 2);
  expect(Date.parse(again!.at) - crashedAt).toBeGreaterThanOrEqual(1_000);
  expect(await greeting(port, 5_000)).toMatch(/^220/);
}, 60_000);

test("a busy port in a worker's group fails the start with its code and port, and nothing stays listening", async () => {
  const blocker = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => blocker.once("listening", resolve));
  const busy = (blocker.address() as net.AddressInfo).port;
  onTestFinished(() => void blocker.close());
  const dataDir = await mkdtemp(join(tmpdir(), "playground-isolation-"));
  onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
  // The HTTP port is fixed too (a free one, found first), so the test can see it is free again after.
  const probe = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => probe.once("listening", resolve));
  const httpPort = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));

  const start = startPlayground({
    host: "127.0.0.1",
    dataDir,
    ports: { ...ANY_FREE_PORTS, http: httpPort, nntp: busy },
    mailAccounts: DEFAULT_MAIL_ACCOUNTS,
    ftpAccounts: DEFAULT_FTP_ACCOUNTS,
    newsAccounts: DEFAULT_NEWS_ACCOUNTS,
  });
  await expect(start).rejects.toMatchObject({ code: "EADDRINUSE", port: busy });
  const again = net.createServer().listen(httpPort, "127.0.0.1");
  await new Promise((resolve, reject) => again.once("listening", resolve).once("error", reject));
  again.close();
}, 60_000);

/** Waits (up to 10 s) until the playground's output has a line matching `pattern`, and returns it. */
async function logged(playground: Playground & { log: string[] }, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = playground.log.find((line) => pattern.test(line));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no line like ${pattern} within 10 s; the output so far: ${JSON.stringify(playground.log)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Enough watchdog ticks (200 ms each) for a dead or silent thread to have been noticed. */
const SEVERAL_TICKS_MS = 1_000;

test("an exception nobody caught in the news servers' thread is logged; news serves on, and no group is restarted", async () => {
  const playground = await startTestPlayground();
  const { ports } = playground;
  expect(await greeting(ports.nntp, 5_000)).toMatch(/^200 /);
  expect(await httpAnswer(ports.http, 5_000)).toBe(HELLO_TEXT); // fetch's first use, see above

  playground.testHooks.throwUncaught("news");
  const line = await logged(playground, /internal error/);
  expect(line).toMatch(/^playground: internal error in the news servers, still running \(please report it\): Error: test hook: an exception nobody caught\n {4}at /);

  // The same thread serves on: its port answers, and a command gets its reply.
  expect(await atOnce(greeting, ports.nntp)).toMatch(/^200 /);
  expect(await atOnce(firstReplyTo("LIST ACTIVE"), ports.nntp)).toMatch(/^215 /);
  expect(await atOnce(httpAnswer, ports.http)).toBe(HELLO_TEXT);
  expect(await atOnce(greeting, ports.smtp, SMTP_AT_ONCE_MS)).toMatch(/^220 smtp\.example\.com/);
  expect(await atOnce(greeting, ports.pop3)).toMatch(/^\+OK/);
  expect(await atOnce(greeting, ports.ftp)).toMatch(/^220/);
  await new Promise((resolve) => setTimeout(resolve, SEVERAL_TICKS_MS));
  expect(playground.restarts).toEqual([]);
  expect(playground.log).toEqual([line]); // nothing else happened to any group
}, 60_000);

test("a promise nobody awaited that fails in the mail servers' thread is logged; every mail listener serves on, and no group is restarted", async () => {
  const playground = await startTestPlayground();
  const { ports } = playground;
  expect(await greeting(ports.pop3, 5_000)).toMatch(/^\+OK/);
  expect(await httpAnswer(ports.http, 5_000)).toBe(HELLO_TEXT); // fetch's first use, see above

  playground.testHooks.rejectUnhandled("mail");
  const line = await logged(playground, /internal error/);
  expect(line).toMatch(/^playground: internal error in the mail servers, still running \(please report it\): Error: test hook: a promise nobody awaited\n {4}at /);

  expect(await atOnce(greeting, ports.smtp, SMTP_AT_ONCE_MS)).toMatch(/^220 smtp\.example\.com/);
  expect(await atOnce(greeting, ports.mx, SMTP_AT_ONCE_MS)).toMatch(/^220 mx\.example\.org/);
  expect(await atOnce(greeting, ports.imap)).toMatch(/^\* OK /);
  const pop3 = await RawClient.login(ports.pop3); // a whole login, so the mail thread really works
  expectOk(await pop3.command("STAT"));
  pop3.socket.destroy();
  expect(await atOnce(httpAnswer, ports.http)).toBe(HELLO_TEXT);
  expect(await atOnce(greeting, ports.ftp)).toMatch(/^220/);
  expect(await atOnce(greeting, ports.nntp)).toMatch(/^200 /);
  await new Promise((resolve) => setTimeout(resolve, SEVERAL_TICKS_MS));
  expect(playground.restarts).toEqual([]);
  expect(playground.log).toEqual([line]);
}, 60_000);

test("a restart whose new thread never says ready is terminated after readyWithinMs and tried again, on the same port", async () => {
  // 5 s instead of 10 s, so the test waits less; the first start of every group must fit in it too.
  const playground = await startTestPlayground({ watchdog: { ...WATCHDOG, readyWithinMs: 5_000 } });
  const { ports } = playground;
  expect(await greeting(ports.ftp, 5_000)).toMatch(/^220/);
  expect(await httpAnswer(ports.http, 5_000)).toBe(HELLO_TEXT); // fetch's first use, see above

  // The next FTP thread starts its server on the same port, then never tells the supervisor.
  playground.testHooks.hangNextStart("ftp");
  playground.testHooks.crash("ftp");
  const hung = await logged(playground, /starting again failed/);
  expect(hung).toBe("playground: the FTP server stopped (exit code 70); starting again failed (the FTP server did not finish starting within 5 s — terminated it) — trying again in 1 s");
  expect(playground.restarts).toEqual([]); // not restarted yet

  // The hung thread's listener was closed with it: the next start gets the same port.
  const [restart] = await restarts(playground, 1);
  expect(restart).toMatchObject({ group: "ftp", reason: "exited", message: "the FTP server stopped (exit code 70) — restarted it" });
  expect(playground.log).toEqual([hung, "playground: the FTP server stopped (exit code 70) — restarted it"]);
  expect(await greeting(ports.ftp, 5_000)).toMatch(/^220/);
  expect(await atOnce(httpAnswer, ports.http)).toBe(HELLO_TEXT);
  expect(await atOnce(greeting, ports.pop3)).toMatch(/^\+OK/);
  expect(await atOnce(greeting, ports.nntp)).toMatch(/^200 /);
}, 60_000);

test("a thread that never closes after stop is terminated after stopWithinMs: close() resolves, says so, and the port is free", async () => {
  const playground = await startTestPlayground({ watchdog: { ...WATCHDOG, stopWithinMs: 1_000 } });
  const { ports } = playground;
  expect(await greeting(ports.nntp, 5_000)).toMatch(/^200 /);

  playground.testHooks.hangOnStop("news");
  await playground.close();
  expect(playground.log).toEqual(['playground: the news server did not close within 1 s of "stop" — terminated it']);
  const again = net.createServer().listen(ports.nntp, "127.0.0.1");
  await new Promise((resolve, reject) => again.once("listening", resolve).once("error", reject));
  again.close();
}, 60_000);

test("the memory hook collects every thread's garbage and reports its heap; with the leak hook on, the heaps grow with the sessions", async () => {
  // Someone watches (as the console does): the mail thread sends every session's report to this one.
  const activity: Activity = { sessionOpened() {}, sessionLine() {}, sessionChanged() {}, sessionClosed() {}, stored() {}, transfer() {} };
  const playground = await startTestPlayground({ activity });
  const sessions = async (count: number) => {
    // Plain sockets, closed at once (RawClient keeps each socket until the test ends, in this thread).
    for (let i = 0; i < count; i++) expect(await firstReplyTo("QUIT")(playground.ports.pop3, 5_000)).toMatch(/^\+OK/);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the last reports arrive (batched for 100 ms)
  };
  await sessions(50); // code loaded, caches warm
  const before = await playground.testHooks.memory();
  expect(Object.keys(before).sort()).toEqual(["ftp", "mail", "main", "news"]);
  for (const memory of Object.values(before)) expect(memory.heapUsedMb).toBeGreaterThan(1);
  await sessions(300);
  const after = await playground.testHooks.memory();
  playground.testHooks.leak();
  await sessions(300);
  const leaking = await playground.testHooks.memory();
  const grew = (from: typeof before, to: typeof before, thread: "main" | "mail") => to[thread]!.heapUsedMb - from[thread]!.heapUsedMb;
  // 300 sessions' reports kept (measured: 0.6 MB a thread) are far more than what 300 sessions
  // leave after a full collection (measured: 0.02-0.07 MB).
  for (const thread of ["main", "mail"] as const) expect(grew(after, leaking, thread)).toBeGreaterThan(Math.max(0.2, 4 * grew(before, after, thread)));
}, 60_000);

/** A probe for atOnce: the server's first reply to `command`, sent after its greeting. */
function firstReplyTo(command: string) {
  return async (port: number, withinMs: number): Promise<string> => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setEncoding("latin1");
    let received = "";
    try {
      return await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply to ${command} on port ${port} within ${withinMs} ms`)), withinMs);
        socket.on("data", (chunk: string) => {
          const greeted = received.includes("\r\n");
          received += chunk;
          if (!greeted && received.includes("\r\n")) socket.write(`${command}\r\n`);
          const lines = received.split("\r\n");
          if (lines.length > 2) {
            clearTimeout(timer);
            resolve(lines[1]!);
          }
        });
        socket.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    } finally {
      socket.destroy();
    }
  };
}
