// startMailSystem as npm start and every mail lesson uses it: seven listeners, a certificate, a
// seeded Maildir store — and the Maildir delivery rules both sides of the mail system rely on.

import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import { mkdtemp, readFile, readdir, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { simpleParser } from "mailparser";
import { startMailSystem } from "../../servers/mail/index.ts";
import { deliver, maildirPath, toMaildirLines } from "../../servers/mail/maildir.ts";
import { TEST_CERTIFICATE_DIR, ensureCertificate } from "../../servers/tls.ts";
import { ROOT, runProgram } from "../kit/processes.ts";
import { ANY_PORTS, maildirFiles, startTestMail } from "./mail-kit.ts";

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mail-system-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Reads the first line a server sends (its greeting), over TLS when `ca` is given. */
async function greeting(port: number, ca?: string): Promise<string> {
  const socket = ca ? tls.connect({ port, host: "127.0.0.1", ca }) : net.connect(port, "127.0.0.1");
  socket.setEncoding("utf8");
  let text = "";
  while (!text.includes("\n")) {
    const [chunk] = await once(socket, "data");
    text += chunk;
  }
  socket.destroy();
  return text;
}

test("seven listeners on free ports: submission, MX, SMTPS (TLS), POP3, POP3S (TLS), IMAP, IMAPS (TLS), all answering", async () => {
  const mail = await startTestMail();
  onTestFinished(() => mail.stop());
  const ports = Object.values(mail.ports);
  expect(new Set(ports).size).toBe(7);
  for (const port of ports) expect(port).toBeGreaterThan(0);
  const ca = await readFile(mail.caFile, "utf8");
  expect(await greeting(mail.ports.submission)).toMatch(/^220 smtp\.example\.com ESMTP/);
  expect(await greeting(mail.ports.mx)).toMatch(/^220 mx\.example\.org ESMTP/);
  expect(await greeting(mail.ports.smtps, ca)).toMatch(/^220 smtp\.example\.com ESMTP/);
  expect(await greeting(mail.ports.pop3)).toMatch(/^\+OK/);
  expect(await greeting(mail.ports.pop3s, ca)).toMatch(/^\+OK/);
  expect(await greeting(mail.ports.imap)).toMatch(/^\* OK /);
  expect(await greeting(mail.ports.imaps, ca)).toMatch(/^\* OK /);
});

test("a fresh data dir is seeded with sample mail; a restart never re-seeds or undoes deletions", async () => {
  const dataDir = await tempDir();
  const first = await startMailSystem({ dataDir, ports: ANY_PORTS });
  await first.close();
  const mailRoot = join(dataDir, "mail");
  const friend = await maildirFiles(mailRoot, "friend@example.org");
  const me = await maildirFiles(mailRoot, "me@example.com");
  expect(friend.length).toBeGreaterThanOrEqual(4);
  expect(me.length).toBeGreaterThanOrEqual(2);

  // The samples cover what the POP3 lesson needs: plain, HTML, attachments, non-ASCII headers, dots.
  const parsed = await Promise.all(friend.map(async (name) => simpleParser(await readFile(join(mailRoot, "friend@example.org/new", name)))));
  expect(parsed.some((m) => m.html && m.text)).toBe(true);
  const withFiles = parsed.find((m) => m.attachments.some((a) => a.filename === "scores.csv"))!;
  const csv = await readFile(new URL("../../servers/mail/samples/scores.csv", import.meta.url));
  expect(withFiles.attachments.find((a) => a.filename === "scores.csv")!.content.equals(csv)).toBe(true);
  expect(withFiles.attachments.some((a) => a.cid === "playground-logo" && a.contentType === "image/png")).toBe(true);
  const chinese = parsed.find((m) => m.subject === "来自SMTP的问候……")!;
  expect(chinese.from?.value[0].name).toBe("管理员");
  const raw = await Promise.all(friend.map((name) => readFile(join(mailRoot, "friend@example.org/new", name), "utf8")));
  expect(raw.some((text) => text.includes("\n.\n") && text.includes("\n..two dots\n"))).toBe(true);
  expect(raw.every((text) => !text.includes("\r"))).toBe(true); // Maildir files use LF

  await unlink(join(mailRoot, "friend@example.org/new", friend[0]));
  const second = await startMailSystem({ dataDir, ports: ANY_PORTS });
  await second.close();
  expect(await maildirFiles(mailRoot, "friend@example.org")).toEqual(friend.slice(1));
});

test("seed: false starts with empty (but existing) mailboxes for every account", async () => {
  const dataDir = await tempDir();
  const mail = await startMailSystem({ dataDir, ports: ANY_PORTS, seed: false, accounts: [{ address: "teacher@example.com", password: "x" }] });
  await mail.close();
  for (const folder of ["new", "cur", "tmp"] as const) expect(await maildirFiles(join(dataDir, "mail"), "teacher@example.com", folder)).toEqual([]);
});

test("a busy port rejects with the original EADDRINUSE error and .port, and closes what already started", async () => {
  const blocker = net.createServer().listen(0, "127.0.0.1");
  await once(blocker, "listening");
  onTestFinished(() => void blocker.close());
  const busy = (blocker.address() as net.AddressInfo).port;
  const dataDir = await tempDir();
  const error = await startMailSystem({ dataDir, ports: { ...ANY_PORTS, pop3: busy } }).catch((err: unknown) => err);
  expect(error).toMatchObject({ code: "EADDRINUSE", port: busy });
  // The SMTP listeners that started before POP3 were closed again: a second system starts fine.
  const again = await startMailSystem({ dataDir, ports: ANY_PORTS });
  await again.close();
});

describe("the certificate", () => {
  test("created once per data dir, for localhost / 127.0.0.1 / ::1, also when several start at once", async () => {
    const dataDir = await tempDir();
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureCertificate(dataDir)));
    for (const files of all) expect(files).toEqual(all[0]);
    expect(all[0].caFile).toBe(join(dataDir, "tls", "cert.pem"));
    expect((await readdir(dataDir)).sort()).toEqual(["tls"]); // no temporary folders left
    const cert = new (await import("node:crypto")).X509Certificate(all[0].cert);
    expect(cert.subjectAltName).toMatch(/DNS:localhost/);
    expect(cert.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);
    expect(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(all[0].key))).toBe(true);
    expect(new Date(cert.validTo).getTime() - Date.now()).toBeGreaterThan(5 * 365 * 24 * 3600 * 1000);
    const again = await ensureCertificate(dataDir);
    expect(again).toEqual(all[0]);
  });

  test("without the openssl command: the committed TEST certificate, with a warning saying so", async () => {
    const dataDir = await tempDir();
    const script = join(dataDir, "make-cert.mts");
    await writeFile(script, `import { ensureCertificate } from ${JSON.stringify(join(ROOT, "servers/tls.ts"))};\nawait ensureCertificate(${JSON.stringify(dataDir)});\n`);
    // An empty PATH: spawning "openssl" fails like on a machine without it.
    const { code, stderr } = await runProgram(process.execPath, ["--import", "tsx", script], { env: { PATH: "" }, timeoutMs: 20_000 });
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/TEST certificate .* its private key is public/);
    const testCert = await readFile(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-cert.pem"), "utf8");
    expect(await readFile(join(dataDir, "tls", "cert.pem"), "utf8")).toBe(testCert);
  });
});

describe("Maildir delivery", () => {
  test("tmp → new, the name follows the contract, S= is the file size and W= the size with CRLF", async () => {
    const mailRoot = await tempDir();
    const message = Buffer.from("Subject: sizes\r\n\r\nline one\r\nline two\r\n");
    const path = await deliver(mailRoot, "Me@Example.com", message);
    expect(path.startsWith(join(mailRoot, "me@example.com", "new"))).toBe(true);
    const name = path.slice(path.lastIndexOf("/") + 1);
    const match = /^(\d+)\.M(\d+)P(\d+)Q(\d+)\.([^/:,]+),S=(\d+),W=(\d+)$/.exec(name);
    expect(match, name).not.toBeNull();
    expect(Number(match![3])).toBe(process.pid);
    expect(Math.abs(Number(match![1]) - Date.now() / 1000)).toBeLessThan(60);
    const stored = await readFile(path);
    expect(stored.toString()).toBe("Subject: sizes\n\nline one\nline two\n");
    expect(Number(match![6])).toBe((await stat(path)).size);
    expect(Number(match![7])).toBe(message.length); // what POP3 RETR will send (before dot-stuffing)
    expect(await maildirFiles(mailRoot, "me@example.com", "tmp")).toEqual([]);
  });

  test("names are unique even for many deliveries in the same microsecond", async () => {
    const mailRoot = await tempDir();
    const paths = await Promise.all(Array.from({ length: 200 }, (_, i) => deliver(mailRoot, "me@example.com", Buffer.from(`Subject: ${i}\n\nx\n`), { fsync: false })));
    expect(new Set(paths).size).toBe(200);
    expect(await maildirFiles(mailRoot, "me@example.com")).toHaveLength(200);
  });

  test("line endings: CRLF and LF in, LF out; a missing final line ending is added; W= counts CRLF", () => {
    const cases: [string, string][] = [
      ["a\r\nb\r\n", "a\nb\n"],
      ["a\nb\n", "a\nb\n"],
      ["a\r\nb", "a\nb\n"],
      ["a\r\r\nb\r\n", "a\nb\n"], // never leaves a CRLF in the file
      ["", ""],
    ];
    for (const [input, output] of cases) expect(toMaildirLines(Buffer.from(input)).toString()).toBe(output);
    // Bytes that are not UTF-8 (8BITMIME) pass through untouched.
    expect(toMaildirLines(Buffer.from([0xff, 0xfe, 13, 10])).equals(Buffer.from([0xff, 0xfe, 10]))).toBe(true);
  });

  test("an address can never pick a folder outside the mail root", () => {
    for (const bad of ["../x@example.com", "a/b@example.com", "..@example.com", "x@../..", "noatsign", "a\\b@example.com"]) {
      expect(() => maildirPath("/mail", bad), bad).toThrow(/cannot be a mailbox name/);
    }
  });
});
