// Real POP3 clients against the playground's POP3 server: the seeds' Python poplib code
// (plain, POP3_SSL, STLS), curl (which logs in with APOP because the greeting has a
// timestamp) and fetchmail. Each is skipped with a message when it is not installed.

import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { hasPython, runProgram, hasCommand } from "../kit/processes.ts";
import { ME, PASSWORD, startTestPop3 } from "./pop3-kit.ts";

const hasCurl = await hasCommand("curl");
const hasFetchmail = ["/usr/bin/fetchmail", "/usr/local/bin/fetchmail"].some((path) => existsSync(path));

const crlfSize = (message: string | Buffer) => {
  const text = Buffer.from(message).toString("latin1");
  return Buffer.byteLength(text.replace(/\r?\n/g, "\r\n"), "latin1");
};

// A message like the ones the seeds send: an RFC 2047 encoded display name and subject,
// a text part with lines starting with ".", and a binary attachment.
const ATTACHMENT = randomBytes(3000);
const MESSAGE = [
  "From: =?utf-8?b?5byg5LiJ?= <friend@example.org>",
  "To: me@example.com",
  "Subject: =?utf-8?b?5p2l6IeqU01UUOeahOmXruWAmQ==?=",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="XYZ"',
  "",
  "--XYZ",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: 8bit",
  "",
  "Hello, world!",
  ".a line starting with a dot",
  ".",
  "--XYZ",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="data.bin"',
  "",
  ...ATTACHMENT.toString("base64").match(/.{1,76}/g)!,
  "--XYZ--",
  "",
].join("\n");

// The seeds' code (liaoxuefeng "POP3收取邮件"), unchanged apart from host, port, credentials
// and printing what it found as JSON for the test to check.
const SEED_CODE = String.raw`
import poplib, sys, json, hashlib
from email.parser import Parser
from email.header import decode_header
from email.utils import parseaddr

email, password, pop3_server, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def decode_str(s):
    value, charset = decode_header(s)[0]
    if charset:
        value = value.decode(charset)
    return value

server = poplib.POP3(pop3_server, port)
server.set_debuglevel(1)
welcome = server.getwelcome().decode('utf-8')
server.user(email)
server.pass_(password)
stat = server.stat()
resp, mails, octets = server.list()
index = len(mails)
resp, lines, octets = server.retr(index)
msg_content = b'\r\n'.join(lines).decode('utf-8')
msg = Parser().parsestr(msg_content)
parts = msg.get_payload()
text = parts[0].get_payload(decode=True).decode('utf-8')
attachment = parts[1].get_payload(decode=True)
server.dele(index)
server.quit()
print(json.dumps({
    "welcome": welcome, "stat": stat, "list": [m.decode() for m in mails], "retr_octets": octets,
    "from": parseaddr(msg.get('From'))[1], "from_name": decode_str(parseaddr(msg.get('From'))[0]),
    "subject": decode_str(msg.get('Subject')), "text": text,
    "attachment_name": parts[1].get_filename(), "attachment_sha256": hashlib.sha256(attachment).hexdigest(),
}))
`;

describe.skipIf(!hasPython)("POP3 with Python's poplib (the seeds' code)", () => {
  test("user/pass_/stat/list/retr/dele/quit: exact sizes, decoded headers, exact attachment bytes", async () => {
    const server = await startTestPop3();
    await server.deliver("Subject: first\n\nfirst message\n");
    await server.deliver(MESSAGE);
    const result = await runProgram("python3", ["-c", SEED_CODE, ME, PASSWORD, "127.0.0.1", String(server.port)], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(0);
    const found = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    const sizes = [crlfSize("Subject: first\n\nfirst message\n"), crlfSize(MESSAGE)];
    expect(found.welcome).toMatch(/^\+OK Socket Playground POP3 server ready <.+@.+>$/);
    expect(found.stat).toEqual([2, sizes[0] + sizes[1]]);
    expect(found.list).toEqual([`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
    expect(found.retr_octets).toBe(sizes[1]); // poplib counts what it received, unstuffed
    expect(found.from).toBe("friend@example.org");
    expect(found.from_name).toBe("张三");
    expect(found.subject).toBe("来自SMTP的问候");
    expect(found.text).toBe("Hello, world!\r\n.a line starting with a dot\r\n."); // the last CRLF belongs to the boundary
    expect(found.attachment_name).toBe("data.bin");
    expect(found.attachment_sha256).toBe(createHash("sha256").update(ATTACHMENT).digest("hex"));
    // server.dele(2) + quit(): the message is gone, the other one stays.
    const left = [...(await readdir(join(server.mailRoot, ME, "new"))), ...(await readdir(join(server.mailRoot, ME, "cur")))];
    expect(left).toHaveLength(1);
    expect(result.stdout).toMatch(/\*cmd\* 'RETR 2'/); // set_debuglevel(1) shows the conversation
  });

  test("POP3_SSL (implicit TLS) and stls() with the playground's CA file", async () => {
    const plain = await startTestPop3();
    const secure = await startTestPop3({ implicitTls: true });
    await plain.deliver("Subject: via STLS\n\nhello\n");
    await secure.deliver("Subject: via POP3S\n\nhello\n");
    const code = String.raw`
import poplib, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[1])
s = poplib.POP3_SSL('127.0.0.1', int(sys.argv[2]), context=context)
s.user('me@example.com'); s.pass_('secret')
print(b'\n'.join(s.retr(1)[1]).decode().splitlines()[0]); s.quit()
s = poplib.POP3('127.0.0.1', int(sys.argv[4]))
print(s.stls(context=ssl.create_default_context(cafile=sys.argv[3])).decode())
s.user('me@example.com'); s.pass_('secret')
print(b'\n'.join(s.retr(1)[1]).decode().splitlines()[0]); s.quit()
try:
    poplib.POP3_SSL('127.0.0.1', int(sys.argv[2]), context=ssl.create_default_context())  # without our CA file
except ssl.SSLCertVerificationError as e:
    print('refused:', e.verify_message)
`;
    const result = await runProgram("python3", ["-c", code, secure.caFile, String(secure.port), plain.caFile, String(plain.port)], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split("\n")).toEqual(["Subject: via POP3S", "+OK begin TLS negotiation", "Subject: via STLS", "refused: self-signed certificate"]);
  });
});

describe.skipIf(!hasCurl)("POP3 with curl", () => {
  test("pop3:// lists and retrieves (curl uses APOP, since the greeting has a timestamp)", async () => {
    const server = await startTestPop3();
    await server.deliver("Subject: one\n\n.dotted\nline\n");
    await server.deliver("Subject: two\n\nsecond\n");
    const url = `pop3://127.0.0.1:${server.port}/`;
    const list = await runProgram("curl", ["-sS", "-u", `${ME}:${PASSWORD}`, url]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe(`1 ${crlfSize("Subject: one\n\n.dotted\nline\n")}\r\n2 ${crlfSize("Subject: two\n\nsecond\n")}\r\n`);
    const retrieve = await runProgram("curl", ["-sS", "-u", `${ME}:${PASSWORD}`, url + "1"]);
    expect(retrieve.stdout).toBe("Subject: one\r\n\r\n.dotted\r\nline\r\n");
    expect(server.trace.join("\n")).toMatch(/C: APOP me@example.com \*\*\*\*/);
    const wrong = await runProgram("curl", ["-sS", "-u", `${ME}:wrong`, url]);
    expect(wrong.code).not.toBe(0);
  });

  test("STLS (--ssl-reqd) and pop3s:// with --cacert", async () => {
    const plain = await startTestPop3();
    const secure = await startTestPop3({ implicitTls: true });
    await plain.deliver("Subject: stls\n\nx\n");
    await secure.deliver("Subject: pop3s\n\nx\n");
    const viaStls = await runProgram("curl", ["-sS", "--ssl-reqd", "--cacert", plain.caFile, "-u", `${ME}:${PASSWORD}`, `pop3://localhost:${plain.port}/1`]);
    expect(viaStls.stdout, viaStls.stderr).toBe("Subject: stls\r\n\r\nx\r\n");
    const viaPop3s = await runProgram("curl", ["-sS", "--cacert", secure.caFile, "-u", `${ME}:${PASSWORD}`, `pop3s://localhost:${secure.port}/1`]);
    expect(viaPop3s.stdout, viaPop3s.stderr).toBe("Subject: pop3s\r\n\r\nx\r\n");
  });
});

describe.skipIf(!hasFetchmail)("POP3 with fetchmail", () => {
  test("fetches over STLS (verifying the CA file), hands each message to the MDA, deletes it", async () => {
    const server = await startTestPop3();
    await server.deliver("Subject: for fetchmail\n\n.dotted line\nbody\n");
    const home = await mkdtemp(join(tmpdir(), "fetchmail-"));
    try {
      const rc = join(home, "fetchmailrc");
      await writeFile(
        rc,
        [
          "set no syslog",
          `poll 127.0.0.1 service ${server.port} protocol POP3 timeout 20`,
          `  user "${ME}" password "${PASSWORD}"`,
          `  sslcertck sslcertfile "${server.caFile}" sslcommonname localhost`,
          `  mda "/bin/sh -c 'cat > ${home}/delivered.eml'"`,
        ].join("\n") + "\n",
      );
      await chmod(rc, 0o600); // fetchmail refuses an rc file others can read (it holds a password)
      const result = await runProgram("fetchmail", ["-f", rc, "-v", "--nodetach"], { env: { HOME: home, FETCHMAILHOME: home }, timeoutMs: 25_000 });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout + result.stderr).toMatch(/POP3> STLS/);
      const delivered = await readFile(join(home, "delivered.eml"), "utf8");
      expect(delivered).toMatch(/Subject: for fetchmail\n\n\.dotted line\nbody\n$/);
      expect(await readdir(join(server.mailRoot, ME, "cur"))).toEqual([]);
      expect(await readdir(join(server.mailRoot, ME, "new"))).toEqual([]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

test.runIf(!hasPython || !hasCurl || !hasFetchmail)("(some real clients are missing: their tests were skipped)", () => {
  console.warn(`skipped: ${[!hasPython && "python3", !hasCurl && "curl", !hasFetchmail && "fetchmail"].filter(Boolean).join(", ")} not installed`);
});
