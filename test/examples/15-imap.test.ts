// Lesson 15's examples as a learner runs them, against a fresh playground mail system with its
// sample mail: the raw IMAP conversation (reading, APPEND with its "+" and a literal in bytes,
// IDLE with new mail pushed while it waits), and Core Python's 17-21 with imaplib.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hasPython, ROOT, runExample, runProgram } from "../kit/processes.ts";
import { deliverViaMx, startPlayground, storedMessages, type Playground } from "../lessons/09-receiving-mail/playground.ts";

const cleanups: (() => unknown)[] = [];
let playground: Playground;

beforeAll(async () => {
  playground = await startPlayground({ defer: (cleanup) => cleanups.push(cleanup) }, true);
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const env = () => ({ IMAP_PORT: String(playground.system.ports.imap) });

test("imap-by-hand prints the conversation: tags, untagged answers, literals; the password masked", async () => {
  const { code, stdout, stderr } = await runExample("examples/imap-by-hand.ts", { env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^S: \* OK \[CAPABILITY .*\] .*\\r\\n$/m); // the untagged greeting
  expect(stdout).toContain('C: A1 LOGIN "friend@example.org" ******\\r\\n');
  expect(stdout, "the password never appears").not.toContain("secret");
  for (const line of ['C: A2 LIST "" "*"\\r\\n', "C: A3 SELECT INBOX\\r\\n", "S: * 5 EXISTS\\r\\n", 'S: * SEARCH 2 3 5\\r\\n', "C: A7 LOGOUT\\r\\n", "S: A7 OK LOGOUT completed\\r\\n"]) {
    expect(stdout).toContain(line);
  }
  expect(stdout).toMatch(/^S: \* OK \[UIDVALIDITY \d+\] UIDs valid\\r\\n$/m);
  expect(stdout).toContain("S: * OK [UIDNEXT 6] predicted next UID\\r\\n");
  expect(stdout).toMatch(/^S: \* 1 FETCH \(UID 1 FLAGS \(\\Recent\) RFC822.SIZE 549 BODY\[HEADER.FIELDS \(FROM SUBJECT\)\] \{78\}\\r\\n$/m);
  expect(stdout).toContain("S: * 1 FETCH (UID 1 BODY[] {549}\\r\\n");
  expect(stdout).toContain("INBOX holds 5 messages. The message with UID 1 is 549 bytes.");
});

test("imap-by-hand asked for a UID the folder does not have says so, without fetching it", async () => {
  const { code, stdout } = await runExample("examples/imap-by-hand.ts", { args: ["9"], env: env() });
  expect(code).toBe(0);
  expect(stdout).toContain("There is no message with UID 9: INBOX's UIDs are 1, 2, 3, 4, 5.");
  expect(stdout).not.toContain("BODY.PEEK[])");
});

test("imap-by-hand with a wrong password stops with the server's tagged NO", async () => {
  const { code, stderr } = await runExample("examples/imap-by-hand.ts", { env: { ...env(), IMAP_PASSWORD: "wrong" } });
  expect(code).toBe(1);
  expect(stderr).toMatch(/The server said no: A1 NO \[AUTHENTICATIONFAILED\]/);
});

test("imap-by-hand append: {n} in bytes, the server's '+', the literal, the draft read back", async () => {
  const { code, stdout, stderr } = await runExample("examples/imap-by-hand.ts", { args: ["append"], env: env() });
  expect(code, stderr).toBe(0);
  const announced = Number(/C: A2 APPEND Drafts \(\\Draft\) \{(\d+)\}\\r\\n/.exec(stdout)?.[1]);
  expect(stdout).toMatch(/C: A2 APPEND .*\{\d+\}\\r\\n\nS: \+ ready for the literal\\r\\n\nC: From: /);
  expect(stdout).toContain("C: Subject: 草稿：你好，IMAP\\r\\n");
  expect(announced, "{n} is the draft's size in bytes (UTF-8), more than its characters").toBe(216);
  expect(stdout).toMatch(/S: A2 OK \[APPENDUID \d+ 1\] APPEND completed/);
  expect(stdout).toContain("S: * 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {35}\\r\\n");
  expect(stdout).toContain("The draft is message 1 of Drafts, UID 1. Its header came as {35}: 35 bytes, 23 characters.");
  expect(storedMessages(playground, "friend@example.org").length, "INBOX is untouched").toBe(5);
});

test("imap-by-hand idle: the server tells new mail while the client waits, unasked", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/imap-by-hand.ts", "idle"], { cwd: ROOT, env: { ...process.env, HOST: "127.0.0.1", ...env(), IDLE_SECONDS: "20" } });
  let stdout = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  const exited = once(child, "exit");
  for (let waited = 0; !stdout.includes("S: + idling"); waited += 50) {
    if (waited > 10_000) throw new Error(`no "+ idling" within 10 s:\n${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await deliverViaMx(playground, "friend@example.org", "From: someone@example.net\r\nTo: friend@example.org\r\nSubject: pushed by IDLE\r\n\r\nhello\r\n");
  const [code] = await exited;
  expect(code, stdout).toBe(0);
  // In this order (a "* 1 RECENT" may come before or after DONE: the server's news and our DONE cross).
  const at = ["S: + idling", "S: * 6 EXISTS\\r\\n", "C: DONE\\r\\n", "S: A3 OK IDLE terminated"].map((line) => stdout.indexOf(line));
  expect(at.every((position, i) => position !== -1 && (i === 0 || position > at[i - 1]!)), stdout).toBe(true);
  expect(stdout).toContain("S: Subject: pushed by IDLE\\r\\n");
  expect(stdout).toContain("New mail: message 6, UID 6.");
}, 30_000);

test.skipIf(!hasPython)("17-21 with imaplib: the same session, subjects decoded", async () => {
  const { code, stdout, stderr } = await runProgram("python3", ["lessons/15-imap-by-hand/imap_client.py", String(playground.system.ports.imap), "1"]);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^\* OK \[CAPABILITY /);
  expect(stdout).toContain("Folders: INBOX, Drafts, Junk, Sent, Trash");
  expect(stdout).toMatch(/^INBOX holds \d+ messages, UIDVALIDITY \d+, UIDNEXT \d+$/m);
  expect(stdout).toMatch(/^UID SEARCH FROM "me@example.com": 2 3 5( \d+)*$/m);
  expect(stdout).toContain("  UID 4  管理员 <admin@example.com> — 来自SMTP的问候……");
  expect(stdout).toContain("The message with UID 1 is 549 bytes; its first line: Return-Path: <postmaster@example.org>");
});
