// mutt (Debian's mail client) against the playground's mail system, TLS verified against the
// playground's CA file (ssl_ca_certificates_file; mutt checks the certificate's name, 127.0.0.1).
// Sending needs no terminal: `mutt -s … < body` is mutt's batch mode; it submits by SMTP and
// appends its copy to Sent by IMAP APPEND. Reading does need one (mutt is a full-screen program),
// so it runs under `script -qc`, which gives it a pseudo-terminal, and keys come from `push`.
// What mutt did is checked where it cannot lie: the Maildir on disk and the server's trace.
// Skipped with a message where mutt or script is missing.

import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { runProgram } from "../kit/processes.ts";
import { RawSmtp, expectCode, startTestMail } from "./mail-kit.ts";
import { ME, PASSWORD } from "./imap-kit.ts";

const hasMutt = await runProgram("mutt", ["-v"]).then((r) => r.code === 0, () => false);
const hasScript = await runProgram("script", ["--version"]).then((r) => r.code === 0, () => false);

async function submit(port: number, subject: string, body: string): Promise<void> {
  const smtp = await RawSmtp.connect(port);
  await smtp.login();
  await expectCode(smtp.command("MAIL FROM:<friend@example.org>"), 250);
  await expectCode(smtp.command(`RCPT TO:<${ME}>`), 250);
  await expectCode(smtp.command("DATA"), 354);
  await expectCode(smtp.command(`From: <friend@example.org>\r\nTo: <${ME}>\r\nSubject: ${subject}\r\n\r\n${body}\r\n.`), 250);
  smtp.close();
}

/** Every message file in one Maildir folder ("" = INBOX) with its Maildir info (":2,FS"). */
async function folderFiles(mailRoot: string, folder: string): Promise<{ name: string; text: string }[]> {
  const files: { name: string; text: string }[] = [];
  for (const sub of ["new", "cur"]) {
    const dir = join(mailRoot, ME, folder, sub);
    for (const name of await readdir(dir)) files.push({ name, text: await readFile(join(dir, name), "utf8") });
  }
  return files;
}

test.skipIf(!hasMutt || !hasScript)("mutt: sends (SMTP + APPEND to Sent) in batch mode, then under script(1) searches, reads, flags, moves to Trash, expunges over IMAPS", async () => {
  const mail = await startTestMail({ seed: false, fsync: false });
  onTestFinished(() => mail.stop());
  const home = await mkdtemp(join(tmpdir(), "mutt-home-"));
  onTestFinished(() => rm(home, { recursive: true, force: true }));
  await submit(mail.ports.submission, "first", "an ordinary message");
  await submit(mail.ports.submission, "second", "the one with findme in it");

  const muttrc = join(home, "muttrc");
  const piped = join(home, "piped.eml");
  await writeFile(
    muttrc,
    [
      `set imap_user="${ME}"`,
      `set imap_pass="${PASSWORD}"`,
      `set ssl_ca_certificates_file="${mail.caFile}"`,
      "set ssl_force_tls=yes ssl_starttls=yes",
      `set folder="imaps://127.0.0.1:${mail.ports.imaps}/"`,
      'set spoolfile="+INBOX" record="+Sent" copy=yes',
      `set smtp_url="smtp://${ME.replace("@", "%40")}@127.0.0.1:${mail.ports.submission}/" smtp_pass="${PASSWORD}"`,
      `set from="${ME}" use_from=yes`,
      'set header_cache="" message_cachedir="" certificate_file="/dev/null"',
      "set confirmappend=no confirmcreate=no delete=yes move=no quit=yes resolve=no wait_key=no mark_old=no",
      "set pipe_decode=no",
      "",
    ].join("\n"),
  );
  const env = { HOME: home, TERM: "vt100", MUTT: "", EMAIL: ME };

  // Batch mode: stdin is not a terminal, so mutt sends at once, no screen.
  const sent = await runProgram("mutt", ["-n", "-F", muttrc, "-s", "sent by mutt", ME], { stdin: "hello from mutt\n", env, timeoutMs: 30_000 });
  expect(sent.code, sent.stderr + sent.stdout).toBe(0);
  expect((await folderFiles(mail.mailRoot, ".Sent")).map((file) => file.text)).toEqual([expect.stringContaining("Subject: sent by mutt")]);

  // Full screen under script(1): limit by a server-side body search (mutt's =b pattern is IMAP SEARCH BODY),
  // pipe that message to a file, flag it, show all, save the first to Trash, sync (EXPUNGE), quit.
  const keys = [
    "<change-folder>?<exit>", // the folder browser (LIST "" "%"), left again
    "<limit>=b findme<enter>",
    `<pipe-message>cat > ${piped}<enter>`,
    "<flag-message>",
    "<limit>~A<enter>",
    "<first-entry><save-message><kill-line>=Trash<enter>",
    "<sync-mailbox>",
    "<quit>",
  ].join("");
  const command = `mutt -n -F ${muttrc} -f +INBOX -e 'push "${keys}"'`;
  const run = await runProgram("script", ["-qec", command, "/dev/null"], { env, timeoutMs: 60_000 });
  expect(run.code, run.stdout.slice(-2000)).toBe(0);

  const trace = mail.trace.join("\n");
  const imapCommands = (session: string) => [...trace.matchAll(new RegExp(`^imaps ${session} C: \\S+ ((?:UID )?[A-Z]+)`, "gm"))].map((m) => m[1]);
  // #1 was the batch send: its copy to Sent went by APPEND (and the APPENDUID came back).
  expect(imapCommands("#1")).toContain("APPEND");
  expect(trace).toMatch(/^imaps #1 S: \S+ OK \[APPENDUID \d+ 1\]/m);
  expect(trace).toMatch(/^\[smtp \d+ #3\] C: MAIL FROM:<me@example.com>/m); // mutt sent by SMTP itself (smtp_url, AUTH PLAIN via GSASL)
  // #2 was the full-screen session, in this order:
  expect(imapCommands("#2")).toEqual(["AUTHENTICATE", "CAPABILITY", "ENABLE", "LIST", "SELECT", "FETCH", "LIST", "UID SEARCH", "UID FETCH", "STATUS", "UID COPY", "UID STORE", "UID STORE", "EXPUNGE", "CLOSE", "LOGOUT"]);
  expect(trace).toMatch(/^imaps #2 C: \S+ UID SEARCH BODY "findme"/m); // =b went to the server …
  expect(trace).toMatch(/^imaps #2 S: \* SEARCH 2\\r\\n/m); // … which found message 2
  expect(await readFile(piped, "utf8")).toMatch(/^Return-Path: <friend@example.org>\nReceived: [\s\S]*Subject: second\n\nthe one with findme in it\n$/);
  const inbox = await folderFiles(mail.mailRoot, "");
  const subjects = (files: { text: string }[]) => files.map((file) => /^Subject: (.*)$/m.exec(file.text)?.[1]).sort();
  expect(subjects(inbox)).toEqual(["second", "sent by mutt"]); // "first" left INBOX, the sent copy arrived by SMTP
  expect(inbox.find((file) => file.text.includes("findme"))!.name).toMatch(/:2,[A-Z]*F/); // \Flagged on disk
  expect(subjects(await folderFiles(mail.mailRoot, ".Trash"))).toEqual(["first"]);
}, 120_000);

test.runIf(!hasMutt || !hasScript)("(mutt or script is missing: the mutt test was skipped)", () => {
  console.warn(`skipped: ${[!hasMutt && "mutt", !hasScript && "script (util-linux)"].filter(Boolean).join(", ")} not installed`);
});
