// Lesson 07's example as a learner runs it (AUTH PLAIN, AUTH LOGIN, a wrong password), against a
// mail system of its own; and the seed's smtplib code with set_debuglevel(1) against the same.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { hasPython, runExample, runProgram } from "../kit/processes.ts";
import { mailPlayground, waitForMessage } from "../lessons/06-how-email-works/mail-playground.ts";

const run = async (args: string[], env: Record<string, string> = {}) => {
  const mail = await mailPlayground();
  return { mail, ...(await runExample("examples/smtp-by-hand.ts", { args, env: { SMTP_PORT: String(mail.ports.submission), ...env }, timeoutMs: 20_000 })) };
};

test("smtp-by-hand prints the whole conversation, and the dot-stuffed line arrives as a single dot", async () => {
  const { mail, code, stdout } = await run([]);
  expect(code).toBe(0);
  const lines = stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^S: 220 smtp\.example\.com /);
  expect(lines).toContain("C: EHLO localhost\\r\\n");
  expect(lines).toContain("S: 250-AUTH PLAIN LOGIN\\r\\n");
  expect(lines).toContain(`C: AUTH PLAIN ${Buffer.from("\0me@example.com\0secret").toString("base64")}\\r\\n`);
  expect(lines).toContain("S: 235 Authentication successful\\r\\n");
  expect(lines).toContain("C: ..\\r\\n");
  expect(lines.slice(-2)).toEqual(["C: QUIT\\r\\n", "S: 221 Bye\\r\\n"]);
  const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes("Subject: SMTP by hand"));
  expect(raw.toString()).toMatch(/\nHello! This message was typed by hand\.\n\.\nThe line above is a single dot/);
});

test("smtp-by-hand login uses AUTH LOGIN: two 334 prompts in base64", async () => {
  const { code, stdout } = await run(["login"]);
  expect(code).toBe(0);
  expect(stdout).toContain(
    ["C: AUTH LOGIN\\r\\n", "S: 334 VXNlcm5hbWU6\\r\\n", "C: bWVAZXhhbXBsZS5jb20=\\r\\n", "S: 334 UGFzc3dvcmQ6\\r\\n", "C: c2VjcmV0\\r\\n", "S: 235 "].join("\n"),
  );
});

test("smtp-by-hand with a wrong password stops at the 535 and says what it expected", async () => {
  const { code, stdout, stderr } = await run([], { SMTP_PASSWORD: "wrong" });
  expect(code).toBe(1);
  expect(stdout).toMatch(/^S: 535 /m);
  expect(stderr).toMatch(/^\nExpected 235, got: 535 /);
});

test("smtp-by-hand without a server says how to start one", async () => {
  const { code, stderr } = await runExample("examples/smtp-by-hand.ts", { env: { SMTP_PORT: "1" } });
  expect(code).toBe(1);
  expect(stderr).toContain("is the playground running? Start it with: npm start");
});

test.skipIf(!hasPython)("the seed's smtplib code (set_debuglevel(1)) sends through the playground unchanged but for host, port, account", async () => {
  const mail = await mailPlayground();
  const script = join(mail.dataDir, "send_plain.py");
  writeFileSync(
    script,
    `from email.header import Header
from email.mime.text import MIMEText
from email.utils import parseaddr, formataddr
import smtplib

def _format_addr(s):
    name, addr = parseaddr(s)
    return formataddr((Header(name, 'utf-8').encode(), addr))

from_addr = 'me@example.com'
password = 'secret'
to_addr = 'friend@example.org'
smtp_server = '127.0.0.1'

msg = MIMEText('hello, send by Python...', 'plain', 'utf-8')
msg['From'] = _format_addr('Python爱好者 <%s>' % from_addr)
msg['To'] = _format_addr('管理员 <%s>' % to_addr)
msg['Subject'] = Header('来自SMTP的问候……', 'utf-8').encode()

server = smtplib.SMTP(smtp_server, ${mail.ports.submission})
server.set_debuglevel(1)
server.login(from_addr, password)
server.sendmail(from_addr, [to_addr], msg.as_string())
server.quit()
`,
  );
  const { code, stderr } = await runProgram("python3", [script]);
  expect(code, stderr).toBe(0);
  expect(stderr).toContain("reply: b'250-AUTH PLAIN LOGIN\\r\\n'");
  expect(stderr).toContain("send: 'AUTH PLAIN AG1lQGV4YW1wbGUuY29tAHNlY3JldA==\\r\\n'");
  expect(stderr).toContain("Subject: =?utf-8?b?5p2l6IeqU01UUOeahOmXruWAmeKApuKApg==?=");
  expect(stderr).toMatch(/reply: b'250 Ok: queued as \w+\\r\\n'/);
  expect(stderr).toContain("reply: b'221 Bye\\r\\n'");
});
