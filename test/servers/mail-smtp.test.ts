// The SMTP side of the playground mail system, with the clients learners use: the seeds' Python
// smtplib code, nodemailer, curl and swaks — and the refusals real servers give.

import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import nodemailer from "nodemailer";
import { simpleParser } from "mailparser";
import { hasPython, runProgram, hasCommand } from "../kit/processes.ts";
import { startSmtpServer } from "../../servers/mail/smtp.ts";
import { SessionStore } from "../../servers/console/sessions.ts";
import { DEFAULT_MAIL_ACCOUNTS } from "../../servers/mail/accounts.ts";
import { RawSmtp, expectCode, findMessages, maildirFiles, startTestMail, testMessage } from "./mail-kit.ts";

let mail: Awaited<ReturnType<typeof startTestMail>>;
beforeAll(async () => {
  mail = await startTestMail();
});
afterAll(async () => {
  await mail?.stop();
});

const hasSwaks = await hasCommand("swaks");
const hasCurl = await hasCommand("curl");

/** Runs Python code with the ports and CA file in the environment; resolves with its output. */
async function python(code: string) {
  const result = await runProgram("python3", ["-c", code], {
    env: {
      SMTP_PORT: String(mail.ports.submission),
      SMTPS_PORT: String(mail.ports.smtps),
      MX_PORT: String(mail.ports.mx),
      CA_FILE: mail.caFile,
    },
    timeoutMs: 20_000,
  });
  return { ...result, output: result.stdout + result.stderr };
}

// The seeds' message-building code (liaoxuefeng), unchanged apart from host, port and account.
const PYTHON_PROLOGUE = `
import os, smtplib, ssl
from email import encoders
from email.header import Header
from email.mime.text import MIMEText
from email.mime.multipart import MIMEMultipart
from email.mime.base import MIMEBase
from email.utils import parseaddr, formataddr

def _format_addr(s):
    name, addr = parseaddr(s)
    return formataddr((Header(name, 'utf-8').encode(), addr))

from_addr = 'me@example.com'
password = 'secret'
to_addr = 'friend@example.org'
smtp_server = '127.0.0.1'
`;

describe.skipIf(!hasPython)("Python smtplib (the seeds' code)", () => {
  test("plain login + sendmail, relayed to example.org with decoded non-ASCII headers", async () => {
    const marker = `py-plain-${Date.now()}`;
    const { code, output } = await python(`${PYTHON_PROLOGUE}
msg = MIMEText('hello, send by Python...', 'plain', 'utf-8')
msg['From'] = _format_addr('Python爱好者 <%s>' % from_addr)
msg['To'] = _format_addr('管理员 <%s>' % to_addr)
msg['Subject'] = Header('来自SMTP的问候…… ${marker}', 'utf-8').encode()

server = smtplib.SMTP(smtp_server, int(os.environ['SMTP_PORT']))
server.set_debuglevel(1)
server.login(from_addr, password)
server.sendmail(from_addr, [to_addr], msg.as_string())
server.quit()
`);
    expect(code, output).toBe(0);
    expect(output).toMatch(/reply: b'235/);
    const stored = await messagesWithSubject("friend@example.org", marker);
    expect(stored).toHaveLength(1);
    const parsed = await simpleParser(stored[0]);
    expect(parsed.subject).toBe(`来自SMTP的问候…… ${marker}`);
    expect(parsed.from?.value[0]).toEqual({ name: "Python爱好者", address: "me@example.com" });
    expect(parsed.text?.trim()).toBe("hello, send by Python...");
  });

  test("STARTTLS with the playground CA, then an HTML message with an attachment", async () => {
    const marker = `py-tls-${Date.now()}`;
    const { code, output } = await python(`${PYTHON_PROLOGUE}
msg = MIMEMultipart()
msg['From'] = _format_addr('Python爱好者 <%s>' % from_addr)
msg['To'] = _format_addr('管理员 <%s>' % to_addr)
msg['Subject'] = Header('${marker}', 'utf-8').encode()
msg.attach(MIMEText('<html><body><h1>Hello</h1><p>send by <a href="http://www.python.org">Python</a>...</p></body></html>', 'html', 'utf-8'))
with open(${JSON.stringify(join(import.meta.dirname, "../../servers/mail/samples/playground.png"))}, 'rb') as f:
    mime = MIMEBase('image', 'png', filename='test.png')
    mime.add_header('Content-Disposition', 'attachment', filename='test.png')
    mime.add_header('Content-ID', '<0>')
    mime.add_header('X-Attachment-Id', '0')
    mime.set_payload(f.read())
    encoders.encode_base64(mime)
    msg.attach(mime)

server = smtplib.SMTP(smtp_server, int(os.environ['SMTP_PORT']))
server.set_debuglevel(1)
server.starttls(context=ssl.create_default_context(cafile=os.environ['CA_FILE']))
server.login(from_addr, password)
server.sendmail(from_addr, [to_addr], msg.as_string())
server.quit()
`);
    expect(code, output).toBe(0);
    const [stored] = await messagesWithSubject("friend@example.org", marker);
    // The submission hop was over TLS with AUTH: ESMTPSA (RFC 3848).
    expect(stored).toMatch(/by smtp\.example\.com \(Socket Playground\) with ESMTPSA/);
    const parsed = await simpleParser(stored);
    const png = await readFile(new URL("../../servers/mail/samples/playground.png", import.meta.url));
    expect(parsed.attachments.map((a) => a.filename)).toEqual(["test.png"]);
    expect(parsed.attachments[0].content.equals(png)).toBe(true);
  });

  test("SMTP_SSL on the SMTPS port (implicit TLS), delivered locally to example.com", async () => {
    const marker = `py-ssl-${Date.now()}`;
    const { code, output } = await python(`${PYTHON_PROLOGUE}
msg = MIMEText('over implicit TLS', 'plain', 'utf-8')
msg['Subject'] = '${marker}'
server = smtplib.SMTP_SSL(smtp_server, int(os.environ['SMTPS_PORT']), context=ssl.create_default_context(cafile=os.environ['CA_FILE']))
server.login(from_addr, password)
server.sendmail(from_addr, ['me@example.com'], msg.as_string())
server.quit()
`);
    expect(code, output).toBe(0);
    const [stored] = await messagesWithSubject("me@example.com", marker);
    expect(stored.startsWith("Return-Path: <me@example.com>\n")).toBe(true);
    expect(stored.match(/^Received: /gm)).toHaveLength(1); // same domain: one hop
  });

  test("a wrong password raises SMTPAuthenticationError with code 535", async () => {
    const { code, output } = await python(`${PYTHON_PROLOGUE}
server = smtplib.SMTP(smtp_server, int(os.environ['SMTP_PORT']))
try:
    server.login(from_addr, 'wrong password')
    print('logged in?!')
except smtplib.SMTPAuthenticationError as e:
    print('SMTPAuthenticationError', e.smtp_code)
server.quit()
`);
    expect(code, output).toBe(0);
    expect(output).toContain("SMTPAuthenticationError 535");
  });

  test("the CA file is needed: without it, certificate verification fails", async () => {
    const { output } = await python(`${PYTHON_PROLOGUE}
server = smtplib.SMTP(smtp_server, int(os.environ['SMTP_PORT']))
try:
    server.starttls(context=ssl.create_default_context())
except ssl.SSLCertVerificationError as e:
    print('verify failed:', e.verify_message)
`);
    expect(output).toMatch(/verify failed: self.signed certificate/);
  });
});

describe("nodemailer", () => {
  test("HTML + attachment + inline image from me@example.com reaches friend@example.org over two hops", async () => {
    const marker = `nm-${Date.now()}`;
    const csv = await readFile(new URL("../../servers/mail/samples/scores.csv", import.meta.url));
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: mail.ports.submission,
      secure: false,
      requireTLS: true,
      tls: { ca: [await readFile(mail.caFile)] },
      auth: { user: "me@example.com", pass: "secret" },
    });
    const info = await transport.sendMail({
      from: '"我" <me@example.com>',
      to: "friend@example.org",
      subject: marker,
      text: "plain version",
      html: '<p>html version <img src="cid:logo"></p>',
      attachments: [
        { filename: "scores.csv", content: csv },
        { filename: "logo.png", path: join(import.meta.dirname, "../../servers/mail/samples/playground.png"), cid: "logo" },
      ],
    });
    transport.close();
    expect(info.accepted).toEqual(["friend@example.org"]);

    const [stored] = await messagesWithSubject("friend@example.org", marker);
    // Two passport stamps, newest on top: the MX (2nd hop) above the submission server (1st hop).
    const received = [...stored.matchAll(/^Received: from (\S+) .*\n\tby (\S+) /gm)].map((m) => `${m[1]} -> ${m[2]}`);
    expect(received).toEqual(["smtp.example.com -> mx.example.org", "[127.0.0.1] -> smtp.example.com"]);
    expect(stored.indexOf("Return-Path: <me@example.com>")).toBe(0);
    const parsed = await simpleParser(stored);
    expect(parsed.text?.trim()).toBe("plain version");
    expect(parsed.attachments.find((a) => a.filename === "scores.csv")?.content.equals(csv)).toBe(true);
    expect(parsed.attachments.find((a) => a.cid === "logo")?.contentType).toBe("image/png");
  });

  test("a wrong password is EAUTH with responseCode 535", async () => {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: mail.ports.submission,
      auth: { user: "me@example.com", pass: "nope" },
      tls: { ca: [await readFile(mail.caFile)] },
    });
    await expect(transport.sendMail({ from: "me@example.com", to: "me@example.com", text: "x" })).rejects.toMatchObject({
      code: "EAUTH",
      responseCode: 535,
    });
    transport.close();
  });
});

describe.skipIf(!hasCurl)("curl", () => {
  test("curl smtp:// --user --mail-from --mail-rcpt --upload-file", async () => {
    const marker = `curl-${Date.now()}`;
    const { code, stderr } = await runProgram("curl", [
      "--silent", "--show-error",
      `smtp://127.0.0.1:${mail.ports.submission}`,
      "--mail-from", "me@example.com",
      "--mail-rcpt", "friend@example.org",
      "--user", "me@example.com:secret",
      "--upload-file", "-",
    ], { stdin: testMessage(marker).replace(/\r\n/g, "\n") });
    expect(code, stderr).toBe(0);
    expect(await messagesWithSubject("friend@example.org", marker)).toHaveLength(1);
  });

  test("curl smtps:// with --cacert", async () => {
    const marker = `curls-${Date.now()}`;
    const { code, stderr } = await runProgram("curl", [
      "--silent", "--show-error",
      `smtps://127.0.0.1:${mail.ports.smtps}`,
      "--cacert", mail.caFile,
      "--mail-from", "me@example.com",
      "--mail-rcpt", "me@example.com",
      "--user", "me@example.com:secret",
      "--upload-file", "-",
    ], { stdin: testMessage(marker, "me@example.com", "me@example.com") });
    expect(code, stderr).toBe(0);
    expect(await messagesWithSubject("me@example.com", marker)).toHaveLength(1);
  });
});

describe.skipIf(!hasSwaks)("swaks", () => {
  test("swaks --auth LOGIN --tls", async () => {
    const marker = `swaks-${Date.now()}`;
    const { code, stdout, stderr } = await runProgram("swaks", [
      "--server", "127.0.0.1", "--port", String(mail.ports.submission),
      "--from", "me@example.com", "--to", "friend@example.org",
      "--auth", "LOGIN", "--auth-user", "me@example.com", "--auth-password", "secret",
      "--tls", "--tls-ca-path", mail.caFile, "--tls-verify",
      "--header", `Subject: ${marker}`,
    ], { timeoutMs: 20_000 });
    expect(code, stdout + stderr).toBe(0);
    expect(await messagesWithSubject("friend@example.org", marker)).toHaveLength(1);
  });

  test("swaks to the MX without login: accepted for example.org, refused for anywhere else", async () => {
    const ok = await runProgram("swaks", ["--server", "127.0.0.1", "--port", String(mail.ports.mx), "--from", "someone@elsewhere.test", "--to", "friend@example.org"]);
    expect(ok.code, ok.stdout).toBe(0);
    const relay = await runProgram("swaks", ["--server", "127.0.0.1", "--port", String(mail.ports.mx), "--from", "spammer@elsewhere.test", "--to", "victim@gmail.com"]);
    expect(relay.code).not.toBe(0);
    expect(relay.stdout).toMatch(/<\** 554 5\.7\.1 Relay access denied/);
  });
});

describe("refusals (what real servers refuse)", () => {
  test("failed logins on one connection are answered ever more slowly (1 s, then 2 s); the right password still works", async () => {
    const client = await RawSmtp.connect(mail.ports.submission);
    await expectCode(client.reply(), 220);
    await expectCode(client.command("EHLO test"), 250);
    const wrong = `AUTH PLAIN ${Buffer.from("\0me@example.com\0guess").toString("base64")}`;
    for (const atLeastMs of [1000, 2000]) {
      const started = performance.now();
      await expectCode(client.command(wrong), 535);
      // a lower bound only: a busy machine may answer later, never sooner
      expect(performance.now() - started).toBeGreaterThanOrEqual(atLeastMs - 50);
    }
    await expectCode(client.command(`AUTH PLAIN ${Buffer.from("\0me@example.com\0secret").toString("base64")}`), 235);
    client.close();
  });

  test("submission: no MAIL FROM before login (530)", async () => {
    const client = await RawSmtp.connect(mail.ports.submission);
    await expectCode(client.reply(), 220);
    await expectCode(client.command("EHLO test"), 250);
    expect(await client.command("MAIL FROM:<me@example.com>")).toMatch(/^530 5\.7\.0 Authentication required/);
    client.close();
  });

  test("submission: unknown local mailbox (550), unknown remote mailbox (550), a domain the playground cannot reach (550)", async () => {
    const client = await RawSmtp.connect(mail.ports.submission);
    await client.login();
    await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
    expect(await client.command("RCPT TO:<nobody@example.com>")).toMatch(/^550 5\.1\.1 <nobody@example\.com>: unknown mailbox/);
    expect(await client.command("RCPT TO:<nobody@example.org>")).toMatch(/^550 5\.1\.1 .*unknown mailbox/);
    expect(await client.command("RCPT TO:<someone@gmail.com>")).toMatch(/^550 5\.1\.2 Cannot deliver to gmail\.com/);
    expect(await client.command("RCPT TO:<Friend@Example.ORG>")).toMatch(/^250/); // addresses are case-insensitive
    client.close();
  });

  test("MX: takes mail for its own users from anyone, refuses relaying (no open relay) and unknown users", async () => {
    const client = await RawSmtp.connect(mail.ports.mx);
    await expectCode(client.reply(), 220);
    const ehlo = await expectCode(client.command("EHLO stranger.test"), 250);
    expect(ehlo).not.toMatch(/AUTH/); // an MX has no users to log in
    await expectCode(client.command("MAIL FROM:<stranger@elsewhere.test>"), 250);
    expect(await client.command("RCPT TO:<someone@gmail.com>")).toMatch(/^554 5\.7\.1 Relay access denied/);
    expect(await client.command("RCPT TO:<me@example.com>")).toMatch(/^554 5\.7\.1 Relay access denied/);
    expect(await client.command("RCPT TO:<ghost@example.org>")).toMatch(/^550 5\.1\.1/);
    await expectCode(client.command("RCPT TO:<friend@example.org>"), 250);
    await expectCode(client.command("DATA"), 354);
    const marker = `mx-direct-${Date.now()}`;
    expect(await client.command(`${testMessage(marker, "stranger@elsewhere.test")}.`)).toMatch(/^250 /);
    const [stored] = await messagesWithSubject("friend@example.org", marker);
    expect(stored).toMatch(/^Return-Path: <stranger@elsewhere\.test>\nReceived: from stranger\.test \(\[127\.0\.0\.1\]\)\n\tby mx\.example\.org \(Socket Playground\) with ESMTP id [0-9A-F]+\n\tfor <friend@example\.org>; \w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d \+0000\n/);
    client.close();
  });

  test("over the size limit: 552 and nothing stored, even though the client ignored SIZE", async () => {
    const small = await startTestMail({ maxMessageBytes: 10_000, seed: false });
    try {
      const client = await RawSmtp.connect(small.ports.submission);
      await client.login();
      expect(await client.command("MAIL FROM:<me@example.com> SIZE=20000")).toMatch(/^552/); // declared too big
      await expectCode(client.command("MAIL FROM:<me@example.com>"), 250); // lies by omission
      await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
      await expectCode(client.command("DATA"), 354);
      const body = "x".repeat(70) + "\r\n";
      expect(await client.command(`${testMessage("too-big", "me@example.com", "me@example.com", body.repeat(300))}.`)).toMatch(
        /^552 5\.3\.4 .*exceeds fixed maximum message size/,
      );
      // The session goes on: a message within the limit is fine.
      await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
      await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
      await expectCode(client.command("DATA"), 354);
      await expectCode(client.command(`${testMessage("small-enough", "me@example.com", "me@example.com")}.`), 250);
      client.close();
      const names = await maildirFiles(small.mailRoot, "me@example.com");
      expect(names).toHaveLength(1);
      expect(await maildirFiles(small.mailRoot, "me@example.com", "tmp")).toEqual([]);
    } finally {
      await small.stop();
    }
  });

  test("requireTlsForAuth: no AUTH offered or accepted before STARTTLS (what a non-loopback server does)", async () => {
    const tlsFiles = { key: await readFile(join(mail.dataDir, "tls/key.pem"), "utf8"), cert: await readFile(mail.caFile, "utf8") };
    const server = await startSmtpServer({
      role: "submission", host: "127.0.0.1", port: 0, tls: tlsFiles, serverName: "smtp.example.com", localDomain: "example.com",
      mailRoot: mail.mailRoot, accounts: DEFAULT_MAIL_ACCOUNTS, maxMessageBytes: 1_000_000, requireTlsForAuth: true,
    });
    try {
      const client = await RawSmtp.connect(server.port);
      await expectCode(client.reply(), 220);
      const ehlo = await expectCode(client.command("EHLO test"), 250);
      expect(ehlo).toMatch(/STARTTLS/);
      expect(ehlo).not.toMatch(/AUTH/);
      expect(await client.command("MAIL FROM:<me@example.com>")).toMatch(/^530 5\.7\.0 Authentication required: send STARTTLS, then log in/);
      client.close();
      // After STARTTLS, logging in works (nodemailer with requireTLS does exactly that).
      const transport = nodemailer.createTransport({
        host: "127.0.0.1", port: server.port, requireTLS: true, tls: { ca: [tlsFiles.cert] },
        auth: { user: "me@example.com", pass: "secret" },
      });
      await transport.verify();
      transport.close();
    } finally {
      await server.close();
    }
  });

  test("the next hop is down: 451 (try again later), nothing stored", async () => {
    const tlsFiles = { key: await readFile(join(mail.dataDir, "tls/key.pem"), "utf8"), cert: await readFile(mail.caFile, "utf8") };
    const closedPort = await (async () => {
      const probe = await startSmtpServer({ role: "mx", host: "127.0.0.1", port: 0, tls: tlsFiles, serverName: "x", localDomain: "example.org", mailRoot: mail.mailRoot, accounts: [], maxMessageBytes: 1000 });
      await probe.close();
      return probe.port; // free again: nothing listens there now
    })();
    const server = await startSmtpServer({
      role: "submission", host: "127.0.0.1", port: 0, tls: tlsFiles, serverName: "smtp.example.com", localDomain: "example.com",
      mailRoot: mail.mailRoot, accounts: DEFAULT_MAIL_ACCOUNTS, maxMessageBytes: 1_000_000,
      mxRoutes: { "example.org": { host: "127.0.0.1", port: closedPort, serverName: "mx.example.org" } },
    });
    try {
      const before = await maildirFiles(mail.mailRoot, "friend@example.org");
      const client = await RawSmtp.connect(server.port);
      await client.login();
      await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
      await expectCode(client.command("RCPT TO:<friend@example.org>"), 250);
      await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
      await expectCode(client.command("DATA"), 354);
      expect(await client.command(`${testMessage("hop-down")}.`)).toMatch(/^451 4\.4\.1 Could not pass the message on to mx\.example\.org/);
      client.close();
      expect(await maildirFiles(mail.mailRoot, "friend@example.org")).toEqual(before);
      expect(await findMessages(mail.mailRoot, "me@example.com", "hop-down")).toEqual([]); // not half-delivered either
    } finally {
      await server.close();
    }
  });
});

test("trace: sessions are recorded with CRLF visible and AUTH secrets masked", async () => {
  const client = await RawSmtp.connect(mail.ports.submission);
  await client.login("me@example.com", "secret");
  await expectCode(client.command("AUTH LOGIN"), 503); // already logged in
  await expectCode(client.command("QUIT"), 221);
  const lines = mail.trace.join("\n");
  expect(lines).toMatch(/^\[smtp \d+ #\d+\] C: EHLO test\.client\\r\\n$/m);
  expect(lines).toMatch(/^\[smtp \d+ #\d+\] C: AUTH PLAIN \*\*\*\*\*\*\*\* \(masked\)\\r\\n$/m);
  expect(lines).not.toContain(Buffer.from("\0me@example.com\0secret").toString("base64"));
  expect(lines).not.toContain(Buffer.from("secret").toString("base64"));
});

/** Messages in `address`'s new/ whose decoded Subject contains `marker`. */
async function messagesWithSubject(address: string, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(join(mail.mailRoot, address, "new"))) {
    const text = await readFile(join(mail.mailRoot, address, "new", name), "utf8");
    const parsed = await simpleParser(text);
    if (parsed.subject?.includes(marker)) found.push(text);
  }
  return found;
}

test("the relay's idle connection to the MX says QUIT itself (relayIdleMs), not waits for the MX's 421 Timeout", async () => {
  const quick = await startTestMail({ relayIdleMs: 300 });
  try {
    const client = await RawSmtp.connect(quick.ports.submission);
    await client.login("me@example.com", "secret");
    await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
    await expectCode(client.command("RCPT TO:<friend@example.org>"), 250);
    await expectCode(client.command("DATA"), 354);
    await expectCode(client.command(`${testMessage("idle-hop")}.`), 250);
    await expectCode(client.command("QUIT"), 221);
    // The MX's side of the hop, in the trace: the relay's QUIT, then the MX's 221.
    const mxQuit = () => quick.trace.some((line) => /^\[mx \d+ #\d+\] C: QUIT\\r\\n$/.test(line));
    for (let waited = 0; !mxQuit() && waited < 3_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(quick.trace.filter((line) => line.startsWith("[mx ")).join("\n")).toMatch(/C: QUIT\\r\\n\n\[mx \d+ #\d+\] S: 221 /);
    expect(quick.trace.join("\n")).not.toMatch(/421 .*Timeout/i);
  } finally {
    await quick.stop();
  }
});

test("STARTTLS with the console recording: no 'MaxListenersExceededWarning' on the playground's output", async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => void warnings.push(`${warning.name}: ${warning.message}`);
  process.on("warning", onWarning);
  const recorded = await startTestMail({ activity: new SessionStore() });
  try {
    const { code, stderr } = await runProgram("python3", ["-c", `import smtplib, ssl
s = smtplib.SMTP('127.0.0.1', ${recorded.ports.submission})
s.starttls(context=ssl.create_default_context(cafile=${JSON.stringify(recorded.caFile)}))
s.login('me@example.com', 'secret')
s.sendmail('me@example.com', ['friend@example.org'], 'Subject: tls\\r\\n\\r\\nhi\\r\\n')
s.quit()`], { timeoutMs: 20_000 });
    expect(code, stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100)); // warnings are emitted on the next tick
    expect(warnings.filter((text) => text.startsWith("MaxListenersExceededWarning"))).toEqual([]);
  } finally {
    process.off("warning", onWarning);
    await recorded.stop();
  }
});
