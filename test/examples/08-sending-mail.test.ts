// Lesson 08's examples as a learner runs them, against a mail system of its own (free ports, fresh
// data dir): what they print, and what arrives in friend@example.org's Maildir (parsed by mailparser).
// Then the seeds' Python (MIMEMultipart, starttls with a context, SMTP_SSL, a 535) against the same.
import { copyFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { simpleParser, type AddressObject } from "mailparser";
import { hasPython, runExample, runProgram } from "../kit/processes.ts";
import { mailPlayground, waitForMessage, type MailPlayground } from "../lessons/06-how-email-works/mail-playground.ts";

const env = (mail: MailPlayground) => ({
  SMTP_PORT: String(mail.ports.submission),
  SMTPS_PORT: String(mail.ports.smtps),
  DATA_DIR: mail.dataDir,
});
const first = (field: AddressObject | AddressObject[] | undefined) => (Array.isArray(field) ? field[0] : field)?.value[0];

test("mail-plain prints RFC 2047 headers, and the names and subject arrive decoded", async () => {
  const mail = await mailPlayground();
  const { code, stdout, stderr } = await runExample("examples/mail-plain.ts", { env: env(mail), timeoutMs: 20_000 });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("From: =?UTF-8?Q?Python=E7=88=B1=E5=A5=BD=E8=80=85?= <me@example.com>\n");
  expect(stdout).toContain("To: =?UTF-8?B?566h55CG5ZGY?= <friend@example.org>\n");
  expect(stdout).toContain("Subject: =?UTF-8?B?5p2l6IeqU01UUOeahOmXruWAmeKApuKApg==?=\n");
  expect(stdout).toMatch(/\nSent through 127\.0\.0\.1:\d+: 250 /);
  const messageId = /^Message-ID: (<[^>]+>)$/m.exec(stdout)![1]!;
  const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes(messageId));
  const parsed = await simpleParser(raw);
  expect(first(parsed.from)).toEqual({ name: "Python爱好者", address: "me@example.com" });
  expect(first(parsed.to)).toEqual({ name: "管理员", address: "friend@example.org" });
  expect(parsed.subject).toBe("来自SMTP的问候……");
  expect(parsed.text?.trim()).toBe("hello, send by Node.js...");
});

test("mail-rich prints the MIME tree; the attachment and the inline logo arrive byte for byte", async () => {
  const mail = await mailPlayground();
  const { code, stdout, stderr } = await runExample("examples/mail-rich.ts", { env: env(mail), timeoutMs: 20_000 });
  expect(code, stderr).toBe(0);
  for (const part of ["multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png; name=playground.png", "text/csv; name=scores.csv"]) {
    expect(stdout).toContain(`Content-Type: ${part}`);
  }
  expect(stdout).toContain("Content-ID: <logo@example.com>");
  expect(stdout).toContain("Content-Disposition: attachment; filename=scores.csv");
  const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes("Subject: Hello, with pictures and a file"));
  const parsed = await simpleParser(raw, { keepCidLinks: true });
  const samples = new URL("../../servers/mail/samples/", import.meta.url);
  const csv = parsed.attachments.find((part) => part.filename === "scores.csv")!;
  const logo = parsed.attachments.find((part) => part.cid === "logo@example.com")!;
  expect(csv.content.equals(await readFile(new URL("scores.csv", samples)))).toBe(true);
  expect(logo.content.equals(await readFile(new URL("playground.png", samples)))).toBe(true);
  expect(parsed.html).toContain('src="cid:logo@example.com"');
  expect(parsed.text?.trim()).toBe("Hello! See the picture and the scores (scores.csv).");
});

test("mail-tls: without the CA file 'self-signed certificate'; with it, STARTTLS and implicit TLS both send", async () => {
  const mail = await mailPlayground();
  const { code, stdout, stderr } = await runExample("examples/mail-tls.ts", { env: env(mail), timeoutMs: 30_000 });
  expect(code, stderr).toBe(0);
  const lines = stdout.trimEnd().split("\n");
  expect(lines).toHaveLength(3);
  expect(lines[0]).toBe(`STARTTLS on ${mail.ports.submission}, without the CA file: FAILED — self-signed certificate`);
  expect(lines[1]).toMatch(new RegExp(`^STARTTLS on ${mail.ports.submission}, trusting .*cert\\.pem: sent — 250 `));
  expect(lines[2]).toMatch(new RegExp(`^implicit TLS on ${mail.ports.smtps}, trusting .*cert\\.pem: sent — 250 `));
});

test("mail-wrong-password recognises EAUTH / 535 and exits with 1", async () => {
  const mail = await mailPlayground();
  const { code, stderr } = await runExample("examples/mail-wrong-password.ts", { env: env(mail), timeoutMs: 20_000 });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^Login refused \(535\): check the user name and password\.\nThe server said: 535 /);
});

test.skipIf(!hasPython)("the seeds' MIMEMultipart + cid + starttls(context) + SMTP_SSL code sends through the playground", async () => {
  const mail = await mailPlayground();
  copyFileSync(new URL("../../servers/mail/samples/playground.png", import.meta.url), join(mail.dataDir, "test.png"));
  const script = join(mail.dataDir, "send_rich.py");
  writeFileSync(
    script,
    `import smtplib, ssl
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import parseaddr, formataddr

def _format_addr(s):
    name, addr = parseaddr(s)
    return formataddr((Header(name, 'utf-8').encode(), addr))

from_addr, password, to_addr = 'me@example.com', 'secret', 'friend@example.org'
smtp_server = '127.0.0.1'
cafile = ${JSON.stringify(mail.caFile)}

msg = MIMEMultipart('alternative')
msg['From'] = _format_addr('Python爱好者 <%s>' % from_addr)
msg['To'] = _format_addr('管理员 <%s>' % to_addr)
msg['Subject'] = Header('来自SMTP的问候……', 'utf-8').encode()
msg.attach(MIMEText('hello, send by Python...', 'plain', 'utf-8'))
related = MIMEMultipart('related')
related.attach(MIMEText('<html><body><h1>Hello</h1><p><img src="cid:0"></p></body></html>', 'html', 'utf-8'))
with open('test.png', 'rb') as f:
    mime = MIMEBase('image', 'png', filename='test.png')
    mime.add_header('Content-Disposition', 'attachment', filename='test.png')
    mime.add_header('Content-ID', '<0>')
    mime.add_header('X-Attachment-Id', '0')
    mime.set_payload(f.read())
    encoders.encode_base64(mime)
    related.attach(mime)
msg.attach(related)

server = smtplib.SMTP(smtp_server, ${mail.ports.submission})
server.starttls(context=ssl.create_default_context(cafile=cafile))
server.login(from_addr, password)
print(server.sendmail(from_addr, [to_addr], msg.as_string()))
server.quit()

server = smtplib.SMTP_SSL(smtp_server, ${mail.ports.smtps}, context=ssl.create_default_context(cafile=cafile))
server.login(from_addr, password)
print(server.sendmail(from_addr, [to_addr], msg.as_string()))
server.quit()

server = smtplib.SMTP(smtp_server, ${mail.ports.submission})
try:
    server.starttls(context=ssl.create_default_context())
except ssl.SSLCertVerificationError as e:
    print('refused:', e.verify_message)
server = smtplib.SMTP(smtp_server, ${mail.ports.submission})
try:
    server.login(from_addr, 'wrong')
except smtplib.SMTPAuthenticationError as e:
    print('login failed:', e.smtp_code)
`,
  );
  const { code, stdout, stderr } = await runProgram("python3", [script], { cwd: mail.dataDir, timeoutMs: 20_000 });
  expect(code, stderr).toBe(0);
  expect(stdout).toBe("{}\n{}\nrefused: self-signed certificate\nlogin failed: 535\n");
  const { raw } = await waitForMessage(mail, "friend@example.org", (text) => text.includes("X-Attachment-Id: 0"));
  const parsed = await simpleParser(raw, { keepCidLinks: true });
  expect(parsed.subject).toBe("来自SMTP的问候……");
  expect(first(parsed.from)?.name).toBe("Python爱好者");
  expect(parsed.attachments.find((part) => part.cid === "0")?.content.equals(await readFile(join(mail.dataDir, "test.png")))).toBe(true);
});
