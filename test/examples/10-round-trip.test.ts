// Lesson 10's example as a learner runs it (send with SMTP, fetch with POP3, compare), and the
// seed's myMail.py (Core Python ch. 17) against a fresh playground mail system.
import { afterAll, beforeAll, expect, test } from "vitest";
import { hasPython, runExample, runProgram } from "../kit/processes.ts";
import { startPlayground, type Playground } from "../lessons/09-receiving-mail/playground.ts";

const cleanups: (() => unknown)[] = [];
let playground: Playground;

beforeAll(async () => {
  playground = await startPlayground({ defer: (cleanup) => cleanups.push(cleanup) }, true);
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const env = () => ({
  SMTP_PORT: String(playground.system.ports.submission),
  POP3_PORT: String(playground.system.ports.pop3),
  CA_FILE: playground.system.caFile,
});

test("round-trip: me@example.com → friend@example.org arrives unchanged, with 2 Received: headers", async () => {
  const { code, stdout, stderr } = await runExample("examples/round-trip.ts", { env: env(), timeoutMs: 20_000 });
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^1\. SMTP .* to friend@example\.org$/m);
  expect(stdout).toMatch(/the server said: 250 /);
  expect(stdout).toMatch(/found: message \d+, \d+ bytes/);
  expect(stdout).toContain("body: the same");
  expect(stdout).toContain("headers we sent: all arrived unchanged");
  expect(stdout).toMatch(/^ {5}Return-Path: <me@example\.com>$/m);
  expect(stdout).toMatch(/^ {5}Received: from smtp\.example\.com .* by mx\.example\.org /m);
  expect(stdout).toMatch(/^ {5}Received: from .* by smtp\.example\.com /m);
  expect(stdout).toContain("2 Received: headers: 2 servers handled the message");
});

test("round-trip to yourself: delivered locally, 1 Received: header", async () => {
  const { code, stdout, stderr } = await runExample("examples/round-trip.ts", { args: ["me@example.com"], env: env(), timeoutMs: 20_000 });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("body: the same");
  expect(stdout).toContain("1 Received: header: 1 server handled the message");
});

test("round-trip names the failing step: nothing listening on the SMTP port", async () => {
  const { code, stderr } = await runExample("examples/round-trip.ts", { env: { ...env(), SMTP_PORT: "1" }, timeoutMs: 20_000 });
  expect(code).toBe(1);
  expect(stderr).toMatch(/1\. SMTP failed: .*ECONNREFUSED.* is the playground running\?/);
});

test.skipIf(!hasPython)("the seed's myMail.py (smtplib + poplib) completes its round trip", async () => {
  const { code, stdout, stderr } = await runProgram(
    "python3",
    ["lessons/10-round-trip/my_mail.py", String(playground.system.ports.submission), String(playground.system.ports.pop3)],
    { timeoutMs: 20_000 },
  );
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("body received: [b'xxx', b'yyy', b'zzz']");
  expect(stdout).toContain("round trip OK");
  expect(stdout).toMatch(/^ {4}Received: from /m);
});
