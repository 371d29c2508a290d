// Lesson 16's example as a learner runs it: examples/mail-client.ts against a real playground mail
// system (ports 0), over IMAP and POP3 — list, read, save, send with an attachment, reply, move,
// delete, flags, and a new-mail notice pushed by IDLE. What it prints is checked against what
// the servers really hold (Maildir files, a raw IMAP session).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, onTestFinished, test } from "vitest";
import { hasPython, ROOT, runExample, runProgram } from "../kit/processes.ts";
import { RawImap } from "../servers/imap-kit.ts";
import { startTestMail } from "../servers/mail-kit.ts";

type Mail = Awaited<ReturnType<typeof startTestMail>>;
let mail: Mail;
let work: string; // a folder for files to attach and attachments saved

beforeAll(async () => {
  mail = await startTestMail({ fsync: false }); // with the sample mail: me@example.com has 2 messages, friend@example.org 5
  work = mkdtempSync(join(tmpdir(), "mail-client-"));
});
afterAll(async () => {
  await mail.stop();
  rmSync(work, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => ({
  IMAP_PORT: String(mail.ports.imap),
  POP3_PORT: String(mail.ports.pop3),
  SMTP_PORT: String(mail.ports.submission),
  CA_FILE: mail.caFile,
  ...extra,
});

const client = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
  runExample("examples/mail-client.ts", { args, stdin: options.stdin, env: env(options.env), timeoutMs: 20_000 });

/** A raw IMAP session on an account's INBOX, independent of imapflow. */
async function raw(user = "me@example.com"): Promise<RawImap> {
  const session = await RawImap.login(mail.ports.imap, user);
  await session.run("SELECT INBOX");
  return session;
}

test("list over IMAP and over POP3: the same subjects, newest first, RFC 2047 decoded; IMAP marks the unread", async () => {
  const imap = await client(["list"], { env: { MAIL_USER: "friend@example.org" } });
  expect(imap.code, imap.stderr).toBe(0);
  const lines = imap.stdout.trimEnd().split("\n");
  expect(lines).toHaveLength(5);
  expect(lines[0]).toMatch(/^N {4}5 {2}2024-01-15 12:00 {2}Me <me@example\.com> +Lines that start with a dot$/);
  expect(lines[1]).toMatch(/^N {4}4 .*管理员 <admin@example\.com> +来自SMTP的问候……$/); // decoded from =?UTF-8?B?…?=
  const pop3 = await client(["--pop3", "list"], { env: { MAIL_USER: "friend@example.org" } });
  expect(pop3.code, pop3.stderr).toBe(0);
  // POP3 has no flags: no N; otherwise the same lines (message numbers happen to equal the UIDs here)
  expect(pop3.stdout.trimEnd().split("\n")).toEqual(lines.map((line) => ` ${line.slice(1)}`));
});

test("read: the plain text (not the HTML), the attachments listed; save: safe names, never overwriting", async () => {
  const read = await client(["read", "2"], { env: { MAIL_USER: "friend@example.org" } });
  expect(read.code, read.stderr).toBe(0);
  expect(read.stdout).toContain("Subject: An HTML message (with a plain-text alternative)");
  expect(read.stdout).toContain("Your mail reader chose the plain text.");
  expect(read.stdout).not.toContain("<p>");
  const session = await raw("friend@example.org");
  expect((await session.run("FETCH 2 FLAGS")).join(" "), "read marks the message \\Seen").toContain("\\Seen");

  const folder = join(work, "saved");
  const first = await client(["save", "3", folder], { env: { MAIL_USER: "friend@example.org" } });
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain(`"scores.csv" → ${join(folder, "scores.csv")}`);
  expect(readFileSync(join(folder, "scores.csv"))).toEqual(readFileSync(join(ROOT, "servers/mail/samples/scores.csv")));
  const again = await client(["save", "3", folder], { env: { MAIL_USER: "friend@example.org" } });
  expect(again.stdout).toContain(`"scores.csv" → ${join(folder, "scores-2.csv")}`);
});

test("send with an attachment (a copy in Sent), reply in the thread, seen/unseen, move, delete to Trash — one stdin session", async () => {
  const file = join(work, "notes.txt");
  writeFileSync(file, "bring the map\n");
  const session = [
    `send me@example.com "Plans (Pläne)" "See the notes." ${file}`,
    "list",
    "reply 3 \"Sounds good.\"",
    "unseen 2",
    "move 2 Junk",
    "delete 1",
    "list",
    "read nine",
    "quit",
  ].join("\n");
  const run = await client([], { stdin: `${session}\n` });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/sent <[^>]+@example\.com> to me@example\.com: 250 /);
  expect(run.stdout).toContain("a copy is in Sent");
  expect(run.stdout).toMatch(/^N {4}3 .*me@example\.com +Plans \(Pläne\)$/m);
  expect(run.stdout).toMatch(/ {2}Subject: {5}Re: Plans \(Pläne\)/);
  const original = /sent (<[^>]+>) to me@example\.com: 250/.exec(run.stdout)![1]!;
  expect(run.stdout).toContain(`  In-Reply-To: ${original}`);
  expect(run.stdout).toContain("message 2 is in Junk");
  expect(run.stdout).toContain("message 1 is in Trash");
  expect(run.stderr).toContain('read: "nine" is not a message id');

  const imap = await raw();
  const subjectsOf = async (folder: string) => {
    await imap.run(`EXAMINE ${folder}`);
    return (await imap.run("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")).filter((line) => line.startsWith("Subject:")).sort();
  };
  expect(await subjectsOf("INBOX")).toEqual(["Subject: =?UTF-8?Q?Plans_=28Pl=C3=A4ne=29?=", "Subject: =?UTF-8?Q?Re=3A_Plans_=28Pl=C3=A4ne=29?="]);
  expect(await subjectsOf("Junk")).toEqual(["Subject: Re: Lunch?"]);
  expect(await subjectsOf("Trash")).toEqual(["Subject: Welcome to example.com"]);
  expect(await subjectsOf("Sent")).toEqual(["Subject: =?UTF-8?Q?Plans_=28Pl=C3=A4ne=29?="]);
  await imap.run("EXAMINE Junk");
  expect((await imap.run("FETCH 1 FLAGS")).join(" "), "unseen 2 took \\Seen away (it moved with its flags)").not.toContain("\\Seen");
  await imap.run("EXAMINE INBOX");
  const attachment = (await imap.run("FETCH 1 BODY.PEEK[]")).join("\n");
  expect(attachment).toContain('filename=notes.txt');
  expect(attachment).toContain(Buffer.from("bring the map\n").toString("base64"));
});

test("POP3: delete marks with DELE, and the message goes when the session QUITs", async () => {
  const before = await client(["--pop3", "list"], { env: { MAIL_USER: "friend@example.org" } });
  const count = before.stdout.trim().split("\n").length;
  const run = await client(["--pop3"], { stdin: "delete 1\nlist\nquit\n", env: { MAIL_USER: "friend@example.org" } });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain("message 1 is marked (DELE); it goes when this session ends (QUIT)");
  expect(run.stdout).not.toMatch(/^ {4}1 /m);
  const after = await client(["--pop3", "list"], { env: { MAIL_USER: "friend@example.org" } });
  expect(after.stdout.trim().split("\n")).toHaveLength(count - 1);
  expect(after.stdout).not.toContain("Welcome to example.org");
  const folders = await client(["--pop3", "folders"], { env: { MAIL_USER: "friend@example.org" } });
  expect(folders.code).toBe(1);
  expect(folders.stderr).toContain("POP3 has no folders and no flags: that needs IMAP");
});

test("watch: a new-mail notice pushed by the server (IDLE), no polling", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "examples/mail-client.ts", "watch", "15"], { cwd: ROOT, env: { ...process.env, HOST: "127.0.0.1", ...env() } });
  onTestFinished(() => void child.kill());
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  for (let waited = 0; !output.includes("waiting for new mail (IDLE)") || !mail.trace.some((line) => line.includes("+ idling")); waited += 50) {
    if (waited > 10_000) throw new Error(`the client never started IDLE:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const send = await client(["send", "me@example.com", "Are you there?", "ping"]);
  expect(send.code, send.stderr).toBe(0);
  expect(await exited, output).toBe(0);
  expect(output).toMatch(/^new mail: \d+ {2}me@example\.com {2}Are you there\?$/m);
  expect(mail.trace.some((line) => /C: \S+ IDLE/.test(line))).toBe(true);
}, 30_000);

test("nothing listening: the error names the protocol and the port, and says to start the playground", async () => {
  const run = await client(["list"], { env: { IMAP_PORT: "1" } });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^IMAP 127\.0\.0\.1:1: logging in as me@example\.com failed: .*ECONNREFUSED.* is the playground running\? Start it with: npm start/m);
});

test.skipIf(!hasPython)("mail_client.py (imaplib + poplib): the same subjects both ways; IMAP's ids are UIDs, POP3's are numbers 1 … n", async () => {
  // A message in me@example.com's INBOX goes to Trash first: UIDs keep a gap where it was, POP3's numbers do not.
  const seeded = await client([], { stdin: 'send me@example.com \"Plain subject\" \"x\"\nsend me@example.com "Grüße" "y"\ndelete 2\nquit\n' });
  expect(seeded.code, seeded.stderr).toBe(0);
  const run = (protocol: string, port: number) => runProgram("python3", ["lessons/16-mail-client/mail_client.py", protocol, String(port)], { timeoutMs: 20_000 });
  const imap = await run("imap", mail.ports.imap);
  const pop3 = await run("pop3", mail.ports.pop3);
  expect(imap.code, imap.stderr).toBe(0);
  expect(pop3.code, pop3.stderr).toBe(0);
  const ids = (out: string) => out.trimEnd().split("\n").map((line) => Number(line.slice(0, 4)));
  const rest = (out: string) => out.trimEnd().split("\n").map((line) => line.slice(4));
  expect(rest(pop3.stdout), "the same senders and subjects, decoded").toEqual(rest(imap.stdout));
  expect(imap.stdout).toMatch(/ {2}Grüße$/m);
  expect(ids(pop3.stdout)).toEqual([...Array(ids(pop3.stdout).length).keys()].map((i) => ids(pop3.stdout).length - i));
  expect(ids(imap.stdout), "UIDs: the gap left by the message moved to Trash").not.toEqual(ids(pop3.stdout));
});
