// SMTP conformance details that real clients and RFC checkers notice (issue 17), each said over a
// raw socket so the exact bytes are the test: parameters the server does not offer (555), the
// headers a submission server adds (Message-ID, Date), the address literal in Received:, and the
// AUTH PLAIN authorization identity.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { hasPython, runProgram } from "../kit/processes.ts";
import { RawSmtp, expectCode, findMessages, startTestMail, testMessage } from "./mail-kit.ts";

let mail: Awaited<ReturnType<typeof startTestMail>>;
beforeAll(async () => {
  mail = await startTestMail({ seed: false });
});
afterAll(async () => {
  await mail?.stop();
});

/** The EHLO keywords ("SIZE", "8BITMIME" …) of a 250 reply, without the greeting line. */
function extensions(ehlo: string): string[] {
  return ehlo.trim().split("\r\n").slice(1).map((line) => line.slice(4).split(" ")[0]!.toUpperCase());
}

/** MAIL, RCPT, DATA and the message on an open (logged-in, for submission) connection; the final reply. */
async function send(client: RawSmtp, from: string, to: string, message: string): Promise<string> {
  await expectCode(client.command(`MAIL FROM:<${from}>`), 250);
  await expectCode(client.command(`RCPT TO:<${to}>`), 250);
  await expectCode(client.command("DATA"), 354);
  return client.command(`${message}.`);
}

/** The value of every header called `name` in the header section of a stored message. */
function headerValues(stored: string, name: string): string[] {
  const head = stored.split(/\r?\n\r?\n/)[0]!;
  return head.split(/\r?\n/).filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((line) => line.slice(name.length + 1).trim());
}

describe("MAIL FROM / RCPT TO parameters (RFC 5321 §4.1.1.11: 555 for what is not offered)", () => {
  test("submission: unknown and not-offered parameters get 555 5.5.4, offered ones work, SIZE over the limit 552", async () => {
    const client = await RawSmtp.connect(mail.ports.submission);
    await expectCode(client.reply(), 220);
    const offered = extensions(await expectCode(client.command("EHLO test.client"), 250));
    expect(offered).toEqual(expect.arrayContaining(["SIZE", "8BITMIME", "SMTPUTF8", "AUTH"]));
    expect(offered).not.toContain("DSN"); // so RET=, ENVID=, NOTIFY=, ORCPT= are not ours to take
    await expectCode(client.command(`AUTH PLAIN ${Buffer.from("\0me@example.com\0secret").toString("base64")}`), 235);

    expect(await client.command("MAIL FROM:<me@example.com> FOO=BAR")).toMatch(/^555 5\.5\.4 .*FOO/);
    expect(await client.command("MAIL FROM:<me@example.com> RET=HDRS")).toMatch(/^555 5\.5\.4 .*RET/);
    expect(await client.command("MAIL FROM:<me@example.com> ENVID=abc")).toMatch(/^555 5\.5\.4 /);
    expect(await client.command("MAIL FROM:<me@example.com> SIZE=100 XYZZY")).toMatch(/^555 5\.5\.4 .*XYZZY/);
    // SIZE (RFC 1870 §6): a declared size over the limit is refused at MAIL already.
    expect(await client.command("MAIL FROM:<me@example.com> SIZE=99999999999")).toMatch(/^552 /);
    // None of the refusals started a transaction: this MAIL is not "nested" (503).
    await expectCode(client.command("MAIL FROM:<me@example.com> SIZE=300 BODY=8BITMIME SMTPUTF8 AUTH=<>"), 250);
    expect(await client.command("RCPT TO:<me@example.com> NOTIFY=NEVER")).toMatch(/^555 5\.5\.4 .*NOTIFY/);
    expect(await client.command("RCPT TO:<me@example.com> FOO")).toMatch(/^555 5\.5\.4 .*FOO/);
    await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
    await expectCode(client.command("DATA"), 354);
    const marker = `params-${Date.now()}`;
    await expectCode(client.command(`${testMessage(marker, "me@example.com", "me@example.com")}.`), 250);
    client.close();
    expect(await findMessages(mail.mailRoot, "me@example.com", marker)).toHaveLength(1);
  });

  test("MX: AUTH= is not offered there (no AUTH in EHLO), so it is 555 too; SIZE= and BODY= work", async () => {
    const client = await RawSmtp.connect(mail.ports.mx);
    await expectCode(client.reply(), 220);
    expect(extensions(await expectCode(client.command("EHLO stranger.test"), 250))).not.toContain("AUTH");
    expect(await client.command("MAIL FROM:<stranger@elsewhere.test> AUTH=<>")).toMatch(/^555 5\.5\.4 .*AUTH/);
    expect(await client.command("MAIL FROM:<stranger@elsewhere.test> FOO=BAR")).toMatch(/^555 5\.5\.4 /);
    await expectCode(client.command("MAIL FROM:<stranger@elsewhere.test> SIZE=10 BODY=7BIT"), 250);
    await expectCode(client.command("RCPT TO:<friend@example.org>"), 250);
    client.close();
  });
});

describe("headers the submission server adds (RFC 6409 §8)", () => {
  test("submission: a message without Message-ID and Date gets both; one that has them keeps them unchanged", async () => {
    const client = await RawSmtp.connect(mail.ports.submission);
    await client.login();
    const bare = `bare-${Date.now()}`;
    await expectCode(send(client, "me@example.com", "me@example.com", `From: <me@example.com>\r\nTo: <me@example.com>\r\nSubject: ${bare}\r\n\r\nNo id, no date.\r\n`), 250);
    const [stored] = await findMessages(mail.mailRoot, "me@example.com", bare);
    expect(headerValues(stored!, "Message-ID")).toEqual([expect.stringMatching(/^<[\w.-]+@smtp\.example\.com>$/)]);
    const [date] = headerValues(stored!, "Date");
    expect(date).toMatch(/^\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/);
    expect(Math.abs(Date.parse(date!) - Date.now())).toBeLessThan(60_000);
    expect(stored).toContain("\n\nNo id, no date.\n"); // the body is untouched

    const dressed = `dressed-${Date.now()}`;
    const message = `From: <me@example.com>\r\nTo: <me@example.com>\r\nSubject: ${dressed}\r\nmessage-id: <${dressed}@test>\r\nDATE: Mon, 15 Jan 2024 12:00:00 +0000\r\n\r\nHi.\r\n`;
    await expectCode(send(client, "me@example.com", "me@example.com", message), 250);
    const [kept] = await findMessages(mail.mailRoot, "me@example.com", dressed);
    expect(headerValues(kept!, "Message-ID")).toEqual([`<${dressed}@test>`]);
    expect(headerValues(kept!, "Date")).toEqual(["Mon, 15 Jan 2024 12:00:00 +0000"]);
    client.close();
  });

  test("relayed: the Message-ID added at submission travels on; the MX itself adds none", async () => {
    const client = await RawSmtp.connect(mail.ports.submission);
    await client.login();
    const relayed = `relayed-${Date.now()}`;
    await expectCode(send(client, "me@example.com", "friend@example.org", `Subject: ${relayed}\r\n\r\nHi.\r\n`), 250);
    client.close();
    const [arrived] = await findMessages(mail.mailRoot, "friend@example.org", relayed);
    expect(headerValues(arrived!, "Message-ID")).toEqual([expect.stringMatching(/@smtp\.example\.com>$/)]);
    expect(headerValues(arrived!, "Date")).toHaveLength(1);

    const mx = await RawSmtp.connect(mail.ports.mx);
    await expectCode(mx.reply(), 220);
    await expectCode(mx.command("EHLO stranger.test"), 250);
    const direct = `direct-${Date.now()}`;
    await expectCode(send(mx, "stranger@elsewhere.test", "friend@example.org", `Subject: ${direct}\r\n\r\nHi.\r\n`), 250);
    mx.close();
    const [stored] = await findMessages(mail.mailRoot, "friend@example.org", direct);
    expect(headerValues(stored!, "Message-ID")).toEqual([]);
    expect(headerValues(stored!, "Date")).toEqual([]);
  });
});

describe("Received: names the client by its address literal (RFC 5321 §4.4, §4.1.3)", () => {
  test("IPv4: from <EHLO name> ([127.0.0.1])", async () => {
    const client = await RawSmtp.connect(mail.ports.mx);
    await expectCode(client.reply(), 220);
    await expectCode(client.command("EHLO stranger.test"), 250);
    const marker = `literal-${Date.now()}`;
    await expectCode(send(client, "stranger@elsewhere.test", "friend@example.org", testMessage(marker, "stranger@elsewhere.test")), 250);
    client.close();
    const [stored] = await findMessages(mail.mailRoot, "friend@example.org", marker);
    expect(stored).toMatch(/\nReceived: from stranger\.test \(\[127\.0\.0\.1\]\)\n\tby mx\.example\.org /);
  });

  test("IPv6: from <EHLO name> ([IPv6:::1])", async () => {
    const six = await startTestMail({ host: "::1", seed: false });
    try {
      const client = await RawSmtp.connect(six.ports.mx, undefined, "::1");
      await expectCode(client.reply(), 220);
      await expectCode(client.command("EHLO stranger.test"), 250);
      const marker = `literal6-${Date.now()}`;
      await expectCode(send(client, "stranger@elsewhere.test", "friend@example.org", testMessage(marker, "stranger@elsewhere.test")), 250);
      client.close();
      const [stored] = await findMessages(six.mailRoot, "friend@example.org", marker);
      expect(stored).toMatch(/\nReceived: from stranger\.test \(\[IPv6:::1\]\)\n\tby mx\.example\.org /);
    } finally {
      await six.stop();
    }
  });
});

describe("AUTH PLAIN's authorization identity (RFC 4616 §2)", () => {
  const plain = (authzid: string, login = "me@example.com", password = "secret") =>
    `AUTH PLAIN ${Buffer.from(`${authzid}\0${login}\0${password}`).toString("base64")}`;

  async function authPlain(line: string): Promise<string> {
    const client = await RawSmtp.connect(mail.ports.submission);
    await expectCode(client.reply(), 220);
    await expectCode(client.command("EHLO test.client"), 250);
    const reply = await client.command(line);
    client.close();
    return reply;
  }

  test("empty, or the login itself (any case): 235", async () => {
    expect(await authPlain(plain(""))).toMatch(/^235 /);
    expect(await authPlain(plain("me@example.com"))).toMatch(/^235 /);
    expect(await authPlain(plain("Me@Example.COM"))).toMatch(/^235 /);
  });

  test("somebody else (another account or none): 535 5.7.8, even with the right password", async () => {
    expect(await authPlain(plain("friend@example.org"))).toMatch(/^535 5\.7\.8 /);
    expect(await authPlain(plain("boss@example.com"))).toMatch(/^535 5\.7\.8 /);
  });
});

describe.skipIf(!hasPython)("Python smtplib: the normal path still works, the refusals arrive as smtplib's exceptions", () => {
  test("STARTTLS + login, SMTPUTF8 and BODY=8BITMIME accepted (no Message-ID/Date sent: added); RET=HDRS 555; authzid of another 535", async () => {
    const marker = `smtplib-${Date.now()}`;
    const code = `
import os, smtplib, ssl
from email.message import EmailMessage
msg = EmailMessage()
msg['From'], msg['To'], msg['Subject'] = 'me@example.com', 'friend@example.org', os.environ['MARKER']
msg.set_content('Grüße from smtplib')
with smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])) as s:
    s.starttls(context=ssl.create_default_context(cafile=os.environ['CA_FILE']))
    s.login('me@example.com', 'secret')
    print('refused:', s.send_message(msg, mail_options=['SMTPUTF8', 'BODY=8BITMIME']))
    try:
        s.send_message(msg, mail_options=['RET=HDRS'])
    except smtplib.SMTPSenderRefused as e:
        print('RET=HDRS:', e.smtp_code)
with smtplib.SMTP('127.0.0.1', int(os.environ['SMTP_PORT'])) as s:
    s.ehlo()
    try:
        s.auth('PLAIN', lambda challenge=None: 'friend@example.org\\0me@example.com\\0secret', initial_response_ok=True)
    except smtplib.SMTPAuthenticationError as e:
        print('authzid:', e.smtp_code)
`;
    const result = await runProgram("python3", ["-c", code], {
      env: { SMTP_PORT: String(mail.ports.submission), CA_FILE: mail.caFile, MARKER: marker },
      timeoutMs: 20_000,
    });
    expect(result.stdout + result.stderr).toBe("refused: {}\nRET=HDRS: 555\nauthzid: 535\n");
    const [arrived] = await findMessages(mail.mailRoot, "friend@example.org", marker);
    expect(arrived).toMatch(/\nReceived: from \S+ \(\[127\.0\.0\.1\]\)\n\tby smtp\.example\.com \(Socket Playground\) with ESMTPSA /);
    expect(headerValues(arrived!, "Message-ID")).toEqual([expect.stringMatching(/@smtp\.example\.com>$/)]);
    expect(headerValues(arrived!, "Date")).toHaveLength(1);
  });
});
