// A real IMAP client against the playground's IMAP server: Python's imaplib (3.11), plain,
// IMAP4_SSL and starttls() with the playground's CA file. Skipped with a message without python3.
// imapflow, the npm client, has its own file: imap-imapflow.test.ts.

import { createHash, randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { PROFILES, startTcpProxy } from "../../servers/hostile-proxy.ts";
import { hasCommand, hasPython, runProgram } from "../kit/processes.ts";
import { ME, PASSWORD, startTestImap } from "./imap-kit.ts";

const hasCurl = await hasCommand("curl");
const ATTACHMENT = randomBytes(3000);
const MESSAGE = [
  "From: =?utf-8?b?5byg5LiJ?= <friend@example.org>",
  "To: me@example.com",
  "Subject: =?utf-8?b?5p2l6IeqU01UUOeahOmXruWAmQ==?=",
  "Date: Tue, 01 Dec 2026 10:00:00 +0000",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="XYZ"',
  "",
  "--XYZ",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("Hello, 世界!\n").toString("base64"),
  "--XYZ",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="data.bin"',
  "",
  ...ATTACHMENT.toString("base64").match(/.{1,76}/g)!,
  "--XYZ--",
  "",
].join("\n");
const crlf = (text: string) => Buffer.from(text.replace(/\n/g, "\r\n"));

// What a learner writes after Core Python 17-21: log in, look, search, read, flag, clean up.
const IMAPLIB_CODE = String.raw`
import imaplib, sys, json, hashlib, email, re
from email.header import decode_header

address, password, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def subject_of(raw):
    value, charset = decode_header(email.message_from_bytes(raw)['Subject'])[0]
    return value.decode(charset) if charset else value

M = imaplib.IMAP4("127.0.0.1", port)
M.debug = 4
out = {"capabilities": list(M.capabilities)}
out["login"] = M.login(address, password)[0]
typ, folders = M.list()
out["folders"] = [f.decode() for f in folders]
typ, data = M.select("INBOX")
out["exists"] = int(data[0])
out["all"] = M.search(None, "ALL")[1][0].decode()
out["unseen"] = M.search(None, "UNSEEN")[1][0].decode()
M.literal = "来自SMTP".encode()           # a search string as a literal, counted in bytes
out["by_subject"] = M.search("UTF-8", "SUBJECT")[1][0].decode()
out["by_body"] = M.uid("SEARCH", "BODY", "Hello")[1][0].decode()
typ, data = M.fetch("2", "(UID RFC822.SIZE BODY.PEEK[])")
out["size_line"] = data[0][0].decode()
raw = data[0][1]
out["body_bytes"] = len(raw)
out["flags_after_peek"] = M.fetch("2", "(FLAGS)")[1][0].decode()
msg = email.message_from_bytes(raw)
out["subject"] = subject_of(raw)
parts = msg.get_payload()
out["text"] = parts[0].get_payload(decode=True).decode("utf-8")
out["attachment_sha256"] = hashlib.sha256(parts[1].get_payload(decode=True)).hexdigest()
typ, data = M.fetch("2", "(BODY[HEADER.FIELDS (SUBJECT)])")
out["header_fields"] = data[0][1].decode()
out["flags_after_body"] = M.fetch("2", "(FLAGS)")[1][0].decode()
out["store"] = M.store("1", "+FLAGS", "(\\Deleted)")[1][0].decode()
out["expunge"] = [e.decode() for e in M.expunge()[1]]
typ, data = M.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(1764633600), b"Subject: sent by me\r\n\r\nhi\r\n")
out["append"] = data[0].decode()
out["copy"] = M.uid("COPY", re.search(r"UID (\d+)", out["size_line"]).group(1), "Trash")[0]
out["copyuid"] = M.response("COPYUID")[1][0].decode()    # imaplib keeps response codes
out["status"] = M.status("Trash", "(MESSAGES UNSEEN)")[1][0].decode()
out["close"] = M.close()[0]
out["logout"] = M.logout()[0]
print(json.dumps(out))
`;

describe.skipIf(!hasPython)("IMAP with Python's imaplib", () => {
  test("login, list, select, search (incl. a UTF-8 literal), fetch byte-exact, peek vs \\Seen, store, expunge, append, copy", async () => {
    const server = await startTestImap();
    await server.deliver("Subject: first\n\nfirst message\n");
    await server.deliver(MESSAGE);
    const result = await runProgram("python3", ["-c", IMAPLIB_CODE, ME, PASSWORD, String(server.port)], { timeoutMs: 20_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const found = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(found.capabilities).toEqual(expect.arrayContaining(["IMAP4REV1", "STARTTLS", "AUTH=PLAIN", "IDLE", "UIDPLUS", "MOVE", "LITERAL+"]));
    expect(found.login).toBe("OK");
    expect(found.folders).toEqual([
      '(\\HasNoChildren) "." INBOX',
      '(\\HasNoChildren \\Drafts) "." Drafts',
      '(\\HasNoChildren \\Junk) "." Junk',
      '(\\HasNoChildren \\Sent) "." Sent',
      '(\\HasNoChildren \\Trash) "." Trash',
    ]);
    expect(found.exists).toBe(2);
    expect(found.all).toBe("1 2");
    expect(found.unseen).toBe("1 2");
    expect(found.by_subject).toBe("2");
    expect(found.by_body).toBe("2");
    const size = crlf(MESSAGE).length;
    expect(found.size_line).toBe(`2 (UID 2 RFC822.SIZE ${size} BODY[] {${size}}`);
    expect(found.body_bytes).toBe(size); // RFC822.SIZE is exactly the bytes of BODY[]
    expect(found.flags_after_peek).toBe("2 (FLAGS (\\Recent))"); // BODY.PEEK does not set \Seen
    expect(found.subject).toBe("来自SMTP的问候");
    expect(found.text).toBe("Hello, 世界!\n");
    expect(found.attachment_sha256).toBe(createHash("sha256").update(ATTACHMENT).digest("hex"));
    expect(found.header_fields).toBe("Subject: =?utf-8?b?5p2l6IeqU01UUOeahOmXruWAmQ==?=\r\n\r\n");
    expect(found.flags_after_body).toMatch(/^2 \(FLAGS \((\\Seen \\Recent|\\Recent \\Seen)\)\)$/); // BODY[…] does
    expect(found.store).toBe("1 (FLAGS (\\Deleted \\Recent))");
    expect(found.expunge).toEqual(["1"]);
    expect(found.append).toMatch(/^\[APPENDUID \d+ 1\] APPEND completed$/);
    expect(found.copy).toBe("OK");
    expect(found.copyuid).toMatch(/^\d+ 2 1$/); // UIDPLUS: UID 2 became UID 1 in Trash
    expect(found.status).toBe("Trash (MESSAGES 1 UNSEEN 0)");
    expect(found.close).toBe("OK");
    expect(found.logout).toBe("BYE");
    // On disk: INBOX lost message 1, Sent and Trash hold one message each.
    const files = async (folder: string) => [...(await readdir(join(server.mailRoot, ME, folder, "new"))), ...(await readdir(join(server.mailRoot, ME, folder, "cur")))];
    expect(await files("")).toHaveLength(1);
    expect(await files(".Sent")).toHaveLength(1);
    expect(await files(".Trash")).toHaveLength(1);
    expect(server.trace.join("\n")).toMatch(/C: \S+ LOGIN \*\*\*\*/); // the password never shows in --trace
    expect(server.trace.join("\n")).not.toContain(PASSWORD + "\\r\\n");
  });

  test("IMAP4_SSL (implicit TLS) and starttls() with the playground's CA file; LOGINDISABLED until STARTTLS beyond loopback", async () => {
    const plain = await startTestImap({ requireTlsForLogin: true });
    const secure = await startTestImap({ implicitTls: true });
    await plain.deliver("Subject: via STARTTLS\n\nhello\n");
    await secure.deliver("Subject: via IMAPS\n\nhello\n");
    const code = String.raw`
import imaplib, ssl, sys
ca, plain_port, secure_port, address, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
context = ssl.create_default_context(cafile=ca)
context.check_hostname = False
M = imaplib.IMAP4("127.0.0.1", plain_port)
print("before", " ".join(M.capabilities))
try:
    M.login(address, password)
except imaplib.IMAP4.error as e:
    print("refused", e)
M.starttls(ssl_context=context)
print("after", " ".join(M.capabilities))
M.login(address, password)
M.select("INBOX", readonly=True)
print("starttls", M.fetch("1", "(BODY[HEADER.FIELDS (SUBJECT)])")[1][0][1].decode().strip())
M.logout()
S = imaplib.IMAP4_SSL("127.0.0.1", secure_port, ssl_context=context)
S.login(address, password)
S.select("INBOX")
print("imaps", S.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1].decode().strip())
S.logout()
`;
    const result = await runProgram("python3", ["-c", code, plain.caFile, String(plain.port), String(secure.port), ME, PASSWORD], { timeoutMs: 20_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^before .*\bSTARTTLS\b.*\bLOGINDISABLED\b/m);
    expect(result.stdout).toMatch(/^refused .*PRIVACYREQUIRED/m);
    expect(result.stdout).toMatch(/^after (?!.*STARTTLS)(?!.*LOGINDISABLED).*AUTH=PLAIN/m);
    expect(result.stdout).toContain("starttls Subject: via STARTTLS");
    expect(result.stdout).toContain("imaps Subject: via IMAPS");
  });
});

describe.skipIf(!hasPython)("IMAP through the hostile proxy", () => {
  test("imaplib through 1-byte pieces both ways: literals in (APPEND, SEARCH) and out (FETCH) arrive whole", async () => {
    const server = await startTestImap();
    await server.deliver(MESSAGE);
    const proxy = await startTcpProxy({ targetPort: server.port, seed: 14, faults: { ...PROFILES.hostile.tcp, maxPiece: 1, maxDelayMs: 0 } });
    const code = String.raw`
import imaplib, sys, hashlib, email, json
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login(sys.argv[2], sys.argv[3])
M.append("INBOX", None, None, "Subject: 一字节一字节\r\n\r\n慢慢来\r\n".encode())
M.select("INBOX")
M.literal = "一字节".encode()
found = M.search("UTF-8", "SUBJECT")[1][0].decode()
raw = M.fetch("1", "(BODY.PEEK[])")[1][0][1]
attachment = email.message_from_bytes(raw).get_payload()[1].get_payload(decode=True)
second = M.fetch("2", "(BODY[TEXT])")[1][0][1].decode()
M.logout()
print(json.dumps({"found": found, "sha": hashlib.sha256(attachment).hexdigest(), "size": len(raw), "second": second}))
`;
    const result = await runProgram("python3", ["-c", code, String(proxy.port), ME, PASSWORD], { timeoutMs: 60_000 });
    await proxy.close();
    expect(result.code, result.stderr).toBe(0);
    const found = JSON.parse(result.stdout.trim());
    expect(found.found).toBe("2");
    expect(found.size).toBe(crlf(MESSAGE).length);
    expect(found.sha).toBe(createHash("sha256").update(ATTACHMENT).digest("hex"));
    expect(found.second).toBe("慢慢来\r\n");
  }, 90_000);
});

describe.skipIf(!hasCurl)("IMAP with curl", () => {
  test("imaps:// lists folders, imap:// with --ssl-reqd (STARTTLS) searches and fetches one message by UID", async () => {
    const plain = await startTestImap();
    const secure = await startTestImap({ implicitTls: true });
    await plain.deliver("Subject: one\n\nfirst\n");
    await plain.deliver("Subject: two\n\nsecond\n");
    const curl = (...args: string[]) => runProgram("curl", ["-sS", "--cacert", plain.caFile, "-u", `${ME}:${PASSWORD}`, ...args], { timeoutMs: 20_000 });
    const list = await curl(`imaps://localhost:${secure.port}/`);
    expect(list.stdout, list.stderr).toContain('* LIST (\\HasNoChildren \\Sent) "." Sent');
    const search = await curl("--ssl-reqd", `imap://localhost:${plain.port}/INBOX`, "-X", "SEARCH SUBJECT two");
    expect(search.stdout, search.stderr).toBe("* SEARCH 2\r\n");
    const fetched = await curl("--ssl-reqd", `imap://localhost:${plain.port}/INBOX;UID=2`);
    expect(fetched.stdout, fetched.stderr).toBe("Subject: two\r\n\r\nsecond\r\n");
    expect(plain.trace.join("\n")).toMatch(/TLS handshake/);
  });
});

test.runIf(!hasPython || !hasCurl)("(some real clients are missing: their tests were skipped)", () => {
  console.warn(`skipped: ${[!hasPython && "python3", !hasCurl && "curl"].filter(Boolean).join(", ")} not installed`);
});
