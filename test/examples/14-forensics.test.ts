// Lesson 14's examples as a learner runs them, on the shipped inbox.mbox; and the lesson's
// Python (mailbox + email), whose mbox reader splits differently — the README explains why.
import { expect, test } from "vitest";
import { hasPython, runExample, runProgram } from "../kit/processes.ts";

test("forensics-split lists the 22 messages of inbox.mbox, subjects decoded", async () => {
  const { code, stdout, stderr } = await runExample("examples/forensics-split.ts", { timeoutMs: 20_000 });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toMatch(/^lessons\/14-spam-forensics\/inbox\.mbox: 22 messages\n/);
  expect(stdout).toMatch(/^ {2}1 {2}alice\.chen@example\.net +\[playground-dev\] Re: length prefixes vs\. delimiters$/m);
  expect(stdout).toMatch(/^ {2}7 {2}dana\.hill@example\.org +Greetings from the lighthouse$/m);
  expect(stdout).toMatch(/^ {2}8 {2}wang\.fang@example\.org +周末一起吃饭吗？$/m);
  expect(stdout).toMatch(/^ 22 {2}it-support@helpdesk-portal\.test +Password expires today – keep your password$/m);
  expect(stdout.trim().split("\n").length).toBe(2 + 22);
});

test("forensics-split names a missing file and the fix", async () => {
  const { code, stderr } = await runExample("examples/forensics-split.ts", { args: ["/nonexistent.mbox"] });
  expect(code).toBe(1);
  expect(stderr).toContain("Cannot read /nonexistent.mbox — give the path of an mbox file");
});

test("forensics-report judges every message: 12 of 22 suspicious, with the findings behind each verdict", async () => {
  const { code, stdout, stderr } = await runExample("examples/forensics-report.ts", { timeoutMs: 20_000 });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toMatch(/\n22 messages, 12 suspicious\n$/);
  expect(stdout).toMatch(/^#1 ok \(score 1\) {2}alice\.chen@example\.net/m);
  expect(stdout).toContain("    domains: From example.net, Return-Path example.org, path example.net → example.org\n");
  expect(stdout).toMatch(/^#16 SUSPICIOUS \(score 8\) {2}security@bank\.example/m);
});

test("forensics-report 17 shows one message: the 32-bit integer link is 192.0.2.15", async () => {
  const { code, stdout } = await runExample("examples/forensics-report.ts", { args: ["17"], timeoutMs: 20_000 });
  expect(code).toBe(0);
  expect(stdout).toMatch(/^#17 SUSPICIOUS/);
  expect(stdout).toContain("    link: http://3221225999/webmail/upgrade/?u=me@example.com\n");
  expect(stdout).toContain('→ integer-ip 192.0.2.15\n');
  expect(stdout).toContain('+3 a link hides the address 192.0.2.15 as "3221225999"');
  expect(stdout).not.toContain("#16");
});

test("forensics-report with a message number that does not exist says which ones do", async () => {
  const { code, stderr } = await runExample("examples/forensics-report.ts", { args: ["99"] });
  expect(code).toBe(1);
  expect(stderr).toContain("There is no message 99 — lessons/14-spam-forensics/inbox.mbox has messages 1 to 22");
});

test.skipIf(!hasPython)("Python's mailbox.mbox (mboxo) splits at the unescaped 'From here on' line: 23 messages", async () => {
  const { code, stdout, stderr } = await runProgram("python3", ["lessons/14-spam-forensics/inspect_mbox.py"]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toMatch(/^lessons\/14-spam-forensics\/inbox\.mbox 23 messages\n/);
  expect(stdout).toMatch(/^ 8 \n {5}mailer=None {2}Message-ID ok=False {2}From=None {2}Return-Path=None$/m);
  expect(stdout).toContain("link integer-ip 192.0.2.15  shown 'Click here to upgrade your mailbox now'");
  expect(stdout).toMatch(/^ 9 周末一起吃饭吗？$/m);
});
