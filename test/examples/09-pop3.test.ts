// Lesson 09's examples as a learner runs them, against a fresh playground mail system with its
// sample mail: the raw POP3 conversation, reading a message with mailparser and saving its
// attachments (also hostile file names), the seed's Python (poplib + email) and curl.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import MailComposer from "nodemailer/lib/mail-composer";
import { hasPython, runExample, runProgram, hasCommand } from "../kit/processes.ts";
import { deliverViaSubmission, startPlayground, storedMessages, type Playground } from "../lessons/09-receiving-mail/playground.ts";
import { safeFileName, saveAttachment } from "../../examples/pop3-save-attachment.ts";

const cleanups: (() => unknown)[] = [];
let playground: Playground;
let folder: string; // where the examples save attachments: never the repository

beforeAll(async () => {
  playground = await startPlayground({ defer: (cleanup) => cleanups.push(cleanup) }, true);
  folder = mkdtempSync(join(tmpdir(), "pop3-examples-"));
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  rmSync(folder, { recursive: true, force: true });
});

const SAMPLES = new URL("../../servers/mail/samples/", import.meta.url);
const env = () => ({ POP3_PORT: String(playground.system.ports.pop3) });

test("pop3-by-hand prints the conversation, masks the password, and RETR's size matches LIST", async () => {
  const { code, stdout, stderr } = await runExample("examples/pop3-by-hand.ts", { env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^S: \+OK .*\\r\\n$/m); // the greeting, CRLF made visible
  for (const line of ["C: USER friend@example.org\\r\\n", "C: PASS ******\\r\\n", "C: STAT\\r\\n", "C: LIST\\r\\n", "C: UIDL\\r\\n", "C: RETR 1\\r\\n", "C: QUIT\\r\\n"]) {
    expect(stdout).toContain(line);
  }
  expect(stdout, "the password never appears").not.toContain("secret");
  const [, size, listed] = /Message 1 is (\d+) bytes \(LIST said (\d+)\)/.exec(stdout) ?? [];
  expect(size, stdout).toBeDefined();
  expect(size).toBe(listed);
  expect(storedMessages(playground, "friend@example.org").length, "nothing was deleted").toBe(5);
});

test("pop3-by-hand shows the byte-stuffing on the wire for the sample with dot lines", async () => {
  const { code, stdout } = await runExample("examples/pop3-by-hand.ts", { args: ["5"], env: env() });
  expect(code).toBe(0);
  expect(stdout).toContain("S: ..profile and .bashrc are hidden files\\r\\n"); // one dot added by the server
  expect(stdout).toContain("S: ..\\r\\n"); // a line that is only "."
  expect(stdout).toMatch(/S: \.\\r\\n\nC: QUIT/); // the real end of the message
});

test("pop3-by-hand asked for a message the mailbox does not have says so, without sending RETR", async () => {
  const { code, stdout, stderr } = await runExample("examples/pop3-by-hand.ts", { args: ["9"], env: env() });
  expect(code).toBe(1);
  expect(stderr).toContain("There is no message 9: the mailbox holds 5 (numbers 1 to 5).");
  expect(stdout).not.toContain("C: RETR");
  expect(stdout).toContain("C: QUIT\\r\\n");
});

test("pop3-by-hand with a wrong password stops with the server's -ERR", async () => {
  const { code, stderr } = await runExample("examples/pop3-by-hand.ts", { env: { ...env(), POP3_PASSWORD: "wrong" } });
  expect(code).toBe(1);
  expect(stderr).toMatch(/The server said no: -ERR/);
});

test("pop3-read-mail prints the structure and text, and saves the attachments byte for byte", async () => {
  const saveTo = join(folder, "sample3");
  const { code, stdout, stderr } = await runExample("examples/pop3-read-mail.ts", { args: ["3", saveTo], env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("Subject: Scores and the playground logo (attachments)");
  expect(stdout).toMatch(/Structure:\n {2}multipart\/mixed\n {4}multipart\/alternative\n {6}text\/plain\n {6}multipart\/related\n {8}text\/html\n {8}image\/png {2}logo\.png\n {4}text\/csv {2}scores\.csv\n {4}image\/png {2}playground\.png\n/);
  expect(stdout).toContain("Attached: this week's scores");
  expect(readdirSync(saveTo).sort()).toEqual(["logo.png", "playground.png", "scores.csv"]);
  expect(readFileSync(join(saveTo, "scores.csv")).equals(readFileSync(new URL("scores.csv", SAMPLES)))).toBe(true);
  expect(readFileSync(join(saveTo, "playground.png")).equals(readFileSync(new URL("playground.png", SAMPLES)))).toBe(true);

  // Again into the same folder: nothing is overwritten, the copies get new names.
  const again = await runExample("examples/pop3-read-mail.ts", { args: ["3", saveTo], env: env() });
  expect(again.code).toBe(0);
  expect(readdirSync(saveTo).sort()).toEqual(["logo-2.png", "logo.png", "playground-2.png", "playground.png", "scores-2.csv", "scores.csv"]);
});

test("pop3-read-mail decodes RFC 2047 headers and shows them as they travelled", async () => {
  const { code, stdout } = await runExample("examples/pop3-read-mail.ts", { args: ["4", join(folder, "sample4")], env: env() });
  expect(code).toBe(0);
  expect(stdout).toContain("Subject: 来自SMTP的问候……");
  expect(stdout).toMatch(/\(on the wire: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\)/);
  expect(stdout).toContain("From:    \"管理员\" <admin@example.com>");
  expect(stdout).toContain("你好，这是一封用 SMTP 发送的邮件。");
});

test("pop3-read-mail saves attachments with hostile names inside its folder only", async () => {
  const raw = await new MailComposer({
    from: "mallory@example.net",
    to: "me@example.com",
    subject: "hostile file names",
    text: "see attachments",
    attachments: [
      { filename: "../../escaped.txt", content: "climbed out" },
      { filename: "/tmp/absolute.txt", content: "absolute" },
      { filename: "CON", content: "a device name on Windows" },
      { filename: ".bashrc", content: "a hidden start-up file" },
    ],
  })
    .compile()
    .build();
  // To me@example.com (delivered by the submission server's own mailbox store): the other tests read friend's mailbox.
  await deliverViaSubmission(playground, "me@example.com", raw);
  const saveTo = join(folder, "hostile", "inbox");
  const { code, stdout, stderr } = await runExample("examples/pop3-read-mail.ts", { args: ["", saveTo], env: { ...env(), POP3_USER: "me@example.com" } });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("Subject: hostile file names");
  expect(readdirSync(saveTo).sort()).toEqual(["absolute.txt", "bashrc", "escaped.txt", expect.stringMatching(/^message\d+-attachment3\.bin$/)]);
  expect(readdirSync(join(folder, "hostile")), "nothing was written next to the folder").toEqual(["inbox"]);
  expect(existsSync("/tmp/absolute.txt") && readFileSync("/tmp/absolute.txt", "utf8") === "absolute").toBe(false);
});

test("safeFileName keeps the last path part, a whitelist of characters, and no reserved or hidden names", () => {
  const fallback = "attachment-1.bin";
  expect(safeFileName("../../.bashrc", fallback)).toBe("bashrc");
  expect(safeFileName("C:\\Windows\\win.ini", fallback)).toBe("win.ini");
  expect(safeFileName("/etc/passwd", fallback)).toBe("passwd");
  expect(safeFileName("report\r\n.pdf", fallback)).toBe("report__.pdf");
  expect(safeFileName("a\u202Efdp.exe", fallback)).toBe("a_fdp.exe"); // no right-to-left override
  expect(safeFileName("报告.pdf", fallback)).toBe("报告.pdf");
  for (const name of ["", undefined, "..", "...", "CON", "nul.txt", "com1.tar.gz", "___"]) expect(safeFileName(name, fallback)).toBe(fallback);
});

test("saveAttachment never overwrites a file, not even through a planted name", async () => {
  const dir = mkdtempSync(join(folder, "save-"));
  writeFileSync(join(dir, "notes.txt"), "mine");
  const path = await saveAttachment(dir, "../notes.txt", "x.bin", Buffer.from("theirs"));
  expect(path).toBe(join(dir, "notes-2.txt"));
  expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
});

test.skipIf(!hasPython)("the seed's Python (poplib + email.parser + print_info) reads the newest message", async () => {
  const { code, stdout, stderr } = await runProgram("python3", ["lessons/09-receiving-mail/fetch_mail.py", String(playground.system.ports.pop3)]);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^\+OK /);
  expect(stdout).toMatch(/^Messages: \d+\. Size: \d+$/m);
  expect(stdout).toContain("*cmd* 'RETR");
  expect(stdout).toMatch(/^Subject: /m);
});

test.skipIf(!hasPython)("fetch_mail.py reads message n when given one: sample 3's MIME tree", async () => {
  const { code, stdout, stderr } = await runProgram("python3", ["lessons/09-receiving-mail/fetch_mail.py", String(playground.system.ports.pop3), "3"]);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("*cmd* 'RETR 3'");
  expect(stdout).toContain("Subject: Scores and the playground logo (attachments)");
  expect(stdout).toMatch(/^part 0$/m);
});

const hasCurl = await hasCommand("curl");

test.skipIf(!hasCurl)("curl lists the mailbox and retrieves a message, dot-unstuffed", async () => {
  const url = `pop3://127.0.0.1:${playground.system.ports.pop3}/`;
  const list = await runProgram("curl", ["-s", url, "-u", "friend@example.org:secret"]);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toMatch(/^1 \d+\r\n2 \d+\r\n/);
  const retr = await runProgram("curl", ["-s", `${url}5`, "-u", "friend@example.org:secret"]);
  expect(retr.code).toBe(0);
  expect(retr.stdout).toContain("\r\n.profile and .bashrc are hidden files\r\n.\r\n..two dots\r\n");
  const wrong = await runProgram("curl", ["-s", `${url}1`, "-u", "friend@example.org:wrong"]);
  expect(wrong.code, "curl's exit code 67: login denied").toBe(67);
});
