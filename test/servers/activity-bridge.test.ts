// The activity bridge (servers/activity-bridge.ts): what a server on a worker thread reports
// reaches the console's Activity on the supervisor's thread — every method, through a real
// MessagePort (so every argument is structured-cloned, as between threads); batched, in order,
// without waiting long, and nothing lost when the worker stops.

import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { expect, test } from "vitest";
import type { Activity, SessionLine } from "../../servers/activity.ts";
import { activityMessenger, newRing, reportActivity, RingReader, unpack, type ActivityMessage } from "../../servers/activity-bridge.ts";
import { startPlayground } from "../../servers/supervisor.ts";
import { hasPython, runProgram } from "../kit/processes.ts";

/** A real Activity that writes down every call it gets. */
function recordingActivity(calls: [string, unknown][]): Activity {
  return {
    sessionOpened: (session) => calls.push(["sessionOpened", session]),
    sessionLine: (line) => calls.push(["sessionLine", line]),
    sessionChanged: (change) => calls.push(["sessionChanged", change]),
    sessionClosed: (closed) => calls.push(["sessionClosed", closed]),
    stored: (item) => calls.push(["stored", item]),
    transfer: (progress) => calls.push(["transfer", progress]),
  };
}

/** Hands every call arriving on `port` to `activity`; resolves once `count` calls (each line counted) have arrived, with the number of messages they came in. */
function receive(port: MessagePort, activity: Activity, count: number): Promise<number> {
  return new Promise((done) => {
    let calls = 0;
    let messages = 0;
    port.on("message", (message: ActivityMessage) => {
      messages++;
      for (const call of unpack(message)) {
        expect(reportActivity(activity, call)).toBeUndefined();
        calls += "lines" in call ? call.lines.bytes.length : 1;
      }
      if (calls >= count) done(messages);
    });
  });
}

test("every Activity method crosses a MessagePort and calls the same method, with the same data, on the other side", async () => {
  const { port1, port2 } = new MessageChannel();
  const calls: [string, unknown][] = [];
  const console_ = recordingActivity(calls);
  const arrived = receive(port2, console_, 6);
  const { activity: worker } = activityMessenger((message) => port1.postMessage(message));
  const at = new Date().toISOString();
  const opened = { id: "nntp-1119-x-1", protocol: "nntp", port: 1119, client: "127.0.0.1:50000", tls: false, started: at };
  const line = { id: opened.id, side: "C" as const, text: "GROUP playground.test\\r\\n", bytes: 23, at };
  const change = { id: opened.id, account: "me", tls: true };
  const closed = { id: opened.id, how: "QUIT" as const, bytesIn: 40, bytesOut: 900, ended: at };
  const item = { kind: "article-posted" as const, sessionId: opened.id, owner: "playground.test", ref: "<a@b>", bytes: 300, at };
  worker.sessionOpened(opened);
  worker.sessionLine(line);
  worker.sessionChanged(change);
  worker.sessionClosed(closed);
  worker.stored(item);
  const progress = { id: "ftp-data-1", sessionId: "ftp-2121-x-2", account: "me", command: "RETR" as const, direction: "download" as const, path: "/big.bin", bytes: 1_048_576, total: 4_194_304, bytesPerSecond: 500_000, started: at, at, elapsedMs: 2000, state: "running" as const };
  worker.transfer(progress);
  expect(await arrived).toBe(1); // one message for all six
  port1.close();
  expect(calls).toEqual([
    ["sessionOpened", opened],
    ["sessionLine", line],
    ["sessionChanged", change],
    ["sessionClosed", closed],
    ["stored", item],
    ["transfer", progress],
  ]);
});

test("the messenger is not mistaken for a promise, and a watcher's error is returned, not thrown", async () => {
  const sent: ActivityMessage[] = [];
  const { activity: worker } = activityMessenger((message) => sent.push(message));
  expect(await Promise.resolve(worker)).toBe(worker); // `then` is undefined: awaiting it gives it back
  expect(sent).toEqual([]);

  const calls: [string, unknown][] = [];
  let failures = 0;
  const broken = { ...recordingActivity(calls), sessionLine: (line: SessionLine) => { if (failures++ === 0) throw new Error("console bug"); calls.push(["sessionLine", line]); } };
  expect(reportActivity(broken, { method: "stored", args: [] })).toBeUndefined();
  expect(reportActivity(broken, { method: "noSuchMethod", args: [] })).toBeUndefined();
  // The first line of a block fails: the error comes back, and the block's other line still arrives.
  const at = new Date().toISOString();
  expect(reportActivity(broken, { method: "sessionLine", lines: { id: "s", at, sides: "CS", texts: "one\ntwo", bytes: [5, 5], folds: "--" } })?.message).toBe("console bug");
  expect(calls.map(([method, line]) => [method, (line as SessionLine | undefined)?.text])).toEqual([["stored", undefined], ["sessionLine", "two"]]);
});

test("thousands of calls from several sessions arrive complete and in the order they were made, in a few batches", async () => {
  const { port1, port2 } = new MessageChannel();
  const calls: [string, unknown][] = [];
  const arrived = receive(port2, recordingActivity(calls), 2_503);
  const { activity: worker } = activityMessenger((message) => port1.postMessage(message));
  const made: [string, unknown][] = [];
  const at = new Date().toISOString();
  const later = new Date(Date.now() + 1).toISOString();
  const opened = (id: string) => ({ id, protocol: "smtp", port: 2525, client: "127.0.0.1:1", tls: false, started: at });
  for (const id of ["a", "b"]) {
    worker.sessionOpened(opened(id));
    made.push(["sessionOpened", opened(id)]);
  }
  for (let n = 0; n < 2_500; n++) {
    // Two sessions taking turns, a time that changes, folds, a masked line: every field that a block packs.
    const line: SessionLine = { id: n % 7 < 4 ? "a" : "b", side: n % 3 ? "C" : "S", text: `line ${n}: ${"é".repeat(n % 5)}\\r\\n`, bytes: 10 + n, at: n < 1_200 ? at : later };
    if (n % 11 === 0) line.fold = "inside";
    if (n % 13 === 0) line.fold = "summary";
    worker.sessionLine(line);
    made.push(["sessionLine", line]);
  }
  const closed = { id: "a", how: "QUIT" as const, bytesIn: 1, bytesOut: 2, ended: later };
  worker.sessionClosed(closed);
  made.push(["sessionClosed", closed]);
  const messages = await arrived; // no flush(): the batches leave by themselves
  port1.close();
  expect(calls).toEqual(made);
  expect(messages).toBeGreaterThanOrEqual(3); // at most 1,000 calls a message
  expect(messages).toBeLessThan(10);
});

test("a body counts as one call and by its size: many small ones share a batch, big ones leave in batches of about 256 KB", async () => {
  const sent: ActivityMessage[] = [];
  const { activity: worker, flush } = activityMessenger((message) => sent.push(message));
  const at = new Date().toISOString();
  // 300 small bodies of 40 lines each (240 KB): as lines they were 12,000 calls (12 batches), as bodies one batch.
  const small = "line of a message\r\n".repeat(40);
  for (let n = 0; n < 300; n++) worker.sessionBody!("pop3-1", at, "S", small, 40, 12);
  expect(sent).toHaveLength(0); // still waiting for more
  flush();
  expect(sent).toHaveLength(1);
  // A 10 MB DATA in 64 KB chunks does not wait for the timer, nor pile up: one batch per 4 chunks.
  const chunk = "x".repeat(64 * 1024 - 2) + "\r\n";
  for (let n = 0; n < 160; n++) worker.sessionBody!("smtp-1", at, "C", chunk, 1, 0);
  expect(sent).toHaveLength(1 + 40);
  const bodies = sent.flatMap((message) => unpack(message)).filter((call) => call.method === "sessionBody");
  expect(bodies).toHaveLength(300 + 160);
  expect(bodies.at(-1)).toEqual({ method: "sessionBody", args: ["smtp-1", at, "C", chunk, 1, 0] });
});

test("raw bytes cross in shared memory, round and round the ring; when the other side has not read yet, as text: all of them, in order", async () => {
  const ring = newRing(1024);
  const reader = new RingReader(ring);
  const sent: ActivityMessage[] = [];
  const { activity: worker, flush } = activityMessenger((message) => sent.push(structuredClone(message)), ring);
  const at = new Date().toISOString();
  const chunks = Array.from({ length: 60 }, (_, n) => Buffer.from(`${n}:`.padEnd(40 + ((n * 37) % 200), String.fromCharCode(97 + (n % 26))) + "\r\n"));
  const got: { kind: string; text: string }[] = [];
  const handle = (message: ActivityMessage) => {
    for (const call of unpack(message, reader)) {
      if (call.method !== "sessionRaw" || !("args" in call)) continue;
      const [, , kind, , bytes] = call.args as [string, string, string, string, Buffer];
      got.push({ kind, text: bytes.toString("latin1") });
    }
    reader.release();
  };
  // Taken as they come: each batch is read before the next (the ring is small, so a quarter of it sends one).
  for (const [n, chunk] of chunks.entries()) {
    worker.sessionRaw!("s", at, n % 2 ? "body" : "data", "C", chunk);
    chunk.fill(0); // the caller may reuse its buffer at once: the bytes were copied
    for (const message of sent.splice(0)) handle(message);
  }
  flush();
  for (const message of sent.splice(0)) handle(message);
  const expected = chunks.map((_, n) => ({ kind: n % 2 ? "body" : "data", text: `${n}:`.padEnd(40 + ((n * 37) % 200), String.fromCharCode(97 + (n % 26))) + "\r\n" }));
  expect(got).toEqual(expected);
  // Nobody reads: the ring fills, and the rest go as text in the message — none lost.
  got.length = 0;
  for (const [n] of chunks.entries()) worker.sessionRaw!("s", at, n % 2 ? "body" : "data", "C", Buffer.from(expected[n]!.text, "latin1"));
  flush();
  const packed = sent.flatMap((message) => message.calls);
  expect(packed.filter((value) => value === "raw").length).toBeGreaterThan(0);
  expect(packed.filter((value) => value === "rawtext").length).toBeGreaterThan(0);
  for (const message of sent.splice(0)) handle(message);
  expect(got).toEqual(expected);
});

test("a single line leaves by itself, within a second", async () => {
  const { port1, port2 } = new MessageChannel();
  const calls: [string, unknown][] = [];
  const arrived = receive(port2, recordingActivity(calls), 1);
  const { activity: worker } = activityMessenger((message) => port1.postMessage(message));
  worker.sessionLine({ id: "a", side: "C", text: "NOOP\\r\\n", bytes: 6, at: new Date().toISOString() });
  const deadline = new Promise((_, fail) => setTimeout(() => fail(new Error("the line did not arrive within 1 s")), 1_000).unref());
  await Promise.race([arrived, deadline]);
  port1.close();
  expect(calls).toHaveLength(1);
});

test("when the playground stops, the last reports of its mail worker still reach the console: lines and the session's end", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "activity-bridge-"));
  const calls: [string, unknown][] = [];
  const playground = await startPlayground({
    host: "127.0.0.1",
    dataDir,
    ports: { http: 0, smtp: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0, ftp: 0, nntp: 0 },
    mailAccounts: [{ address: "me@example.com", password: "secret" }],
    ftpAccounts: [],
    newsAccounts: [],
    activity: recordingActivity(calls),
    log: () => {},
  });
  try {
    // A POP3 client that has said its last command, still connected when the playground stops.
    const client = net.connect(playground.ports.pop3, "127.0.0.1");
    client.on("error", () => {});
    let heard = "";
    client.on("data", (chunk) => (heard += chunk));
    await once(client, "connect");
    client.write("CAPA\r\n");
    while (!heard.includes("\r\n.\r\n")) await new Promise((resolve) => setTimeout(resolve, 10));
    client.write("NOOP\r\n"); // its reply is made while the worker stops: reported at the very end
    await playground.close();
  } catch (error) {
    await playground.close();
    throw error;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const mine = calls.filter(([, report]) => (report as { id: string }).id.startsWith("pop3-"));
  const texts = mine.filter(([method]) => method === "sessionLine").map(([, line]) => (line as SessionLine).text);
  expect(texts).toContain("CAPA\\r\\n");
  expect(texts).toContain("NOOP\\r\\n");
  expect(mine.at(-1)?.[0]).toBe("sessionClosed");
});

// Real clients — Python's smtplib, poplib, imaplib and ftplib, each logging in with its password —
// against the playground's worker threads. What crossed each thread is looked at (testHooks.leak):
// the mail servers' sessions went as raw bytes, cut and masked on the supervisor's thread; the FTP
// server's as lines, cut where it runs. What the console got is the same either way: lines, every
// password masked, and no secret anywhere in what it was given.
const LOGINS = String.raw`
import os, smtplib, poplib, imaplib, ftplib
s = smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]))
s.login("me@example.com", "secret")
s.sendmail("me@example.com", ["me@example.com"], b"Subject: hello\r\n\r\nfirst line\r\n" + b"line\r\n" * 30)
s.quit()
p = poplib.POP3("127.0.0.1", int(os.environ["POP3_PORT"]))
p.user("me@example.com"); p.pass_("secret")
p.retr(len(p.list()[1]))  # the newest: the mail above
p.quit()
m = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP_PORT"]))
m.login("me@example.com", "secret")
m.select("INBOX")
m.logout()
f = ftplib.FTP()
f.connect("127.0.0.1", int(os.environ["FTP_PORT"]))
f.login("me", "secret")
f.pwd()
f.quit()
`;

test.skipIf(!hasPython)("a worker's SMTP, POP3 and IMAP sessions cross uncut and are cut and masked on arrival; FTP's are cut where they run", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "activity-bridge-"));
  const calls: [string, unknown][] = [];
  const logged: string[] = [];
  const playground = await startPlayground({
    host: "127.0.0.1",
    dataDir,
    ports: { http: 0, smtp: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0, ftp: 0, nntp: 0 },
    mailAccounts: [{ address: "me@example.com", password: "secret" }],
    ftpAccounts: [{ user: "me", password: "secret" }],
    newsAccounts: [],
    activity: recordingActivity(calls),
    log: (line) => logged.push(line),
  });
  const crossed = playground.testHooks.leak();
  try {
    await new Promise((resolve) => setTimeout(resolve, 100)); // the workers hear "leak" before the clients come
    const { ports } = playground;
    const env = { SMTP_PORT: String(ports.smtp), POP3_PORT: String(ports.pop3), IMAP_PORT: String(ports.imap), FTP_PORT: String(ports.ftp) };
    const result = await runProgram("python3", ["-c", LOGINS], { env, timeoutMs: 30_000 });
    expect(result.stderr).toBe("");
  } finally {
    await playground.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  // What crossed: per protocol, whether its sessions' bytes came raw or as lines.
  const how = new Map<string, Set<string>>();
  for (const message of crossed) {
    if (message.type !== "activity") continue;
    for (const call of unpack(message)) {
      const id = "lines" in call ? call.lines.id : (call.args[0] as string);
      if (call.method !== "sessionRaw" && call.method !== "sessionLine") continue;
      const protocol = id.split("-")[0]!;
      if (!how.has(protocol)) how.set(protocol, new Set());
      how.get(protocol)!.add(call.method);
    }
  }
  expect(Object.fromEntries([...how].map(([protocol, methods]) => [protocol, [...methods].sort()]))).toEqual({
    smtp: ["sessionRaw"],
    pop3: ["sessionRaw"],
    imap: ["sessionRaw"],
    ftp: ["sessionLine"],
  });
  // What the console got: lines, masked.
  const lines = calls.filter(([method]) => method === "sessionLine").map(([, line]) => line as SessionLine);
  const texts = (protocol: string) => lines.filter((line) => line.id.startsWith(`${protocol}-`)).map((line) => `${line.side}: ${line.text}`);
  expect(texts("smtp")).toContain("C: AUTH PLAIN ******** (masked)\\r\\n");
  expect(texts("smtp")).toContain("C: first line\\r\\n"); // the mail's body, cut on arrival
  expect(texts("pop3")).toContain("C: PASS ****\\r\\n");
  expect(texts("pop3")).toContain("S: Subject: hello\\r\\n"); // the RETR's body: the mail sent above
  expect(texts("imap").some((text) => /^C: \S+ LOGIN \*\*\*\*\\r\\n$/.test(text))).toBe(true);
  expect(texts("imap").some((text) => /^C: \S+ SELECT INBOX\\r\\n$/.test(text))).toBe(true); // after the login: shown
  expect(texts("ftp")).toContain("C: PASS ********\\r\\n"); // FTP's own mask (ftp/adapter.ts)
  const given = JSON.stringify(calls);
  expect(given).not.toContain("secret");
  expect(given).not.toContain(Buffer.from("\0me@example.com\0secret").toString("base64"));
  // Every session ended, as the worker saw it: SMTP's and POP3's with a QUIT.
  const ends = calls.filter(([method]) => method === "sessionClosed").map(([, closed]) => closed as { id: string; how: string });
  expect(ends.filter((end) => /^(smtp|pop3)-/.test(end.id)).map((end) => end.how)).toEqual(["QUIT", "QUIT"]);
  expect(logged.filter((line) => line.includes("console failed"))).toEqual([]);
});
