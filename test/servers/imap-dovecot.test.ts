// Our IMAP server next to Dovecot, the IMAP server most Linux mail systems run: the same command
// script against two copies of the same Maildir, and the meaningful parts of the answers must
// be the same (untagged data, the tagged OK/NO/BAD — not the human text after it).
// Dovecot runs as `/usr/lib/dovecot/imap` in PREAUTH mode on stdin/stdout (no daemon, no port).
// Skipped with a message where Dovecot is not installed (Debian: apt-get install dovecot-imapd).

import { existsSync } from "node:fs";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { chown, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { LineReader } from "../../servers/line-protocol.ts";
import { deliver } from "../../servers/mail/maildir.ts";
import { ME, RawImap, startTestImap } from "./imap-kit.ts";

const DOVECOT_IMAP = "/usr/lib/dovecot/imap";
const hasDovecot = existsSync(DOVECOT_IMAP);

const MESSAGES = [
  "From: Alice <alice@example.org>\nTo: me@example.com\nSubject: plain\nDate: Mon, 30 Nov 2026 09:00:00 +0000\nMessage-ID: <p@example.org>\n\nJust text.\n.a line with a dot\n",
  [
    "From: =?utf-8?b?5byg5LiJ?= <friend@example.org>",
    "To: me@example.com, Team: a@example.net, b@example.net;",
    "Cc: \"Last, First\" <lf@example.net>",
    "Subject: =?utf-8?q?caf=C3=A9?= news",
    "Date: Tue, 01 Dec 2026 23:30:00 -0500",
    "Message-ID: <nested@example.org>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="outer"',
    "",
    "preamble",
    "--outer",
    'Content-Type: multipart/alternative; boundary="inner"',
    "",
    "--inner",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Caf=C3=A9 au lait",
    "--inner",
    "Content-Type: text/html; charset=utf-8",
    "",
    "<p>Café</p>",
    "--inner--",
    "--outer",
    "Content-Type: application/octet-stream",
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="data.bin"',
    "",
    "AAECAw==",
    "--outer",
    "Content-Type: message/rfc822",
    "",
    "Subject: forwarded",
    "From: bob@example.com",
    'Content-Type: multipart/mixed; boundary="fwd"',
    "",
    "--fwd",
    "Content-Type: text/plain",
    "",
    "inside the forward",
    "--fwd--",
    "--outer--",
    "",
  ].join("\n"),
  "From: carol@example.net\nTo: me@example.com\nSubject: =?utf-8?b?5L2g5aW9?=\nDate: Wed, 02 Dec 2026 08:00:00 +0800\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n5L2g5aW977yM5LiW55WM\n",
];

// One command per FETCH item: servers may order the items of one response differently.
const SCRIPT = [
  "SELECT INBOX",
  "FETCH 1:* (RFC822.SIZE)",
  "FETCH 1:* (BODYSTRUCTURE)",
  "FETCH 1:* (BODY)",
  "FETCH 1:* (ENVELOPE)",
  "FETCH 1:* (BODY.PEEK[HEADER])",
  "FETCH 1:* (BODY.PEEK[TEXT])",
  "FETCH 1:* (BODY.PEEK[1])",
  "FETCH 2 (BODY.PEEK[1.1])",
  "FETCH 2 (BODY.PEEK[1.2])",
  "FETCH 2 (BODY.PEEK[2.MIME])",
  "FETCH 2 (BODY.PEEK[3])",
  "FETCH 2 (BODY.PEEK[3.HEADER])",
  "FETCH 2 (BODY.PEEK[3.1])",
  "FETCH 2 (BODY.PEEK[3.TEXT])",
  "FETCH 1:* (BODY.PEEK[HEADER.FIELDS (Subject From)])",
  "FETCH 1:* (BODY.PEEK[HEADER.FIELDS.NOT (Subject From Date)])",
  "FETCH 1:* (BODY.PEEK[]<10.20>)",
  "FETCH 1:* (FLAGS)",
  "SEARCH ALL",
  `SEARCH CHARSET UTF-8 SUBJECT {${Buffer.byteLength("café")}+}\r\ncafé`,
  `SEARCH CHARSET UTF-8 FROM {${Buffer.byteLength("张三")}+}\r\n张三`,
  `SEARCH CHARSET UTF-8 BODY {${Buffer.byteLength("世界")}+}\r\n世界`,
  "SEARCH TEXT forwarded",
  "SEARCH OR SUBJECT plain LARGER 1000",
  "SEARCH NOT SUBJECT plain",
  "SEARCH SENTON 1-Dec-2026",
  "SEARCH SENTBEFORE 1-Dec-2026",
  "SEARCH HEADER Message-ID nested",
  "SEARCH 2:*",
  "SEARCH UID 1,3",
  "STORE 1 +FLAGS (\\Flagged $Work)",
  "FETCH 1 (FLAGS)",
  "SEARCH FLAGGED",
  "SEARCH KEYWORD $Work",
  "STORE 3 +FLAGS.SILENT (\\Deleted)",
  "SEARCH DELETED",
  "EXPUNGE",
  "SEARCH ALL",
  "FETCH 1:* (UID)",
  "UID FETCH 2 (RFC822.SIZE)",
  "UID SEARCH ALL",
  "FETCH 0 (FLAGS)",
  "BOGUS",
  // Folders: CREATE, COPY, APPEND, STATUS, MOVE, EXAMINE, DELETE.
  "CREATE Work",
  "CREATE Work",
  "COPY 1:2 Work",
  "STATUS Work (MESSAGES UIDNEXT UNSEEN RECENT)",
  "APPEND Work (\\Seen) {20+}\r\nSubject: hi\r\n\r\nyo\r\n",
  "STATUS Work (MESSAGES UIDNEXT UNSEEN)",
  "COPY 1 Nowhere",
  "UID MOVE 2 Work",
  "FETCH 1:* (UID FLAGS)",
  "EXAMINE Work",
  "FETCH 1:* (UID FLAGS RFC822.SIZE)",
  // (STORE and EXPUNGE after EXAMINE: Dovecot says OK and changes nothing, we say NO [READ-ONLY].)
  "SEARCH ALL",
  "SELECT Work",
  "STORE 1 +FLAGS (\\Deleted)",
  "EXPUNGE",
  "SEARCH SEEN",
  "UID SEARCH UNSEEN",
  "FETCH 3 (BODY[])",
  "FETCH 3 (FLAGS)",
  "CLOSE",
  "FETCH 1 (FLAGS)",
  "DELETE Work",
  "SELECT Work",
];

/** One answer (untagged lines, literals included, then the tagged line), reduced to what counts. */
function meaningful(answer: string): string {
  const lines = answer.split("\r\n");
  const status = /^\S+ (OK|NO|BAD)\b/.exec(lines.at(-1)!)?.[1] ?? lines.at(-1)!;
  // Not compared: the human text, and Dovecot's extras our server does not offer.
  const kept = lines
    .slice(0, -1)
    .filter((l) => !/^\* OK \[(HIGHESTMODSEQ|URLMECH|CLOSED)/.test(l))
    .map((l) => (l.startsWith("* OK [") ? l.slice(0, l.indexOf("]") + 1) : l).replace(/\[UIDVALIDITY \d+\]/, "[UIDVALIDITY n]").replace(/\[COPYUID \d+/, "[COPYUID n"));
  return [...kept, status].join("\n");
}

/**
 * Starts Dovecot's imap on this Maildir and returns a function that sends one command and
 * resolves with everything up to its tagged answer. One command at a time: given a pipelined
 * script, Dovecot answers several FETCHes at once (RFC 3501 §5.5 allows it), which would mix
 * the answers up. The connection is two FIFOs through `cat`: on sockets (what Node's pipes
 * are) Dovecot's imap refuses to run, since that is how inetd would start it.
 */
async function startDovecot(home: string): Promise<{ run(line: string): Promise<string>; stop(): Promise<void> }> {
  const root = process.getuid?.() === 0;
  const config = [
    "protocols = imap",
    "ssl = no",
    "log_path = /dev/stderr",
    "mail_location = maildir:~/Maildir",
    `base_dir = ${join(home, "run")}`,
    `state_dir = ${join(home, "state")}`,
    // Dovecot never reads mail as root: as root, let it switch to "nobody".
    ...(root ? ["mail_uid = nobody", "mail_gid = nogroup"] : [`mail_uid = ${process.getuid!()}`, `mail_gid = ${process.getgid!()}`, "first_valid_uid = 1", "first_valid_gid = 0"]),
  ].join("\n");
  await writeFile(join(home, "dovecot.conf"), config + "\n");
  if (root) await chownTree(home, 65534, 65534);
  const [input, output] = [join(home, "to-dovecot"), join(home, "from-dovecot")];
  execFileSync("mkfifo", [input, output]);
  const child = spawn("sh", ["-c", `cat "$2" | "$0" -c "$1" | cat > "$3"`, DOVECOT_IMAP, join(home, "dovecot.conf"), input, output], { env: { USER: "me", HOME: home, PATH: process.env.PATH ?? "" } });
  let errors = "";
  child.stderr.on("data", (chunk) => (errors += chunk));
  const writer = createWriteStream(input);
  const reader = new LineReader(createReadStream(output), { maxLineLength: 1024 * 1024 });
  const until = async (tag: string) => {
    const lines: string[] = [];
    for (;;) {
      const line = await reader.readLine();
      if (line === null) throw new Error(`dovecot stopped:\n${lines.join("\n")}\n${errors}`);
      lines.push(line);
      if (line.startsWith(tag) || (tag === "*" && line.startsWith("* PREAUTH"))) return lines.join("\r\n");
    }
  };
  await until("*");
  return {
    run: (line) => {
      writer.write(line + "\r\n");
      return until(line.split(" ")[0] + " ");
    },
    stop: async () => {
      writer.end();
      await once(child, "exit");
    },
  };
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory()) await chownTree(join(path, entry.name), uid, gid);
    else await chown(join(path, entry.name), uid, gid);
  }
}

test.skipIf(!hasDovecot)("the same command script gets the same answers from our server and from Dovecot, over copies of one Maildir", async () => {
  const server = await startTestImap();
  for (const message of MESSAGES) await deliver(server.mailRoot, ME, Buffer.from(message), { fsync: false });
  const home = await mkdtemp(join(tmpdir(), "imap-dovecot-"));
  onTestFinished(() => rm(home, { recursive: true, force: true }));
  await mkdir(join(home, "Maildir"));
  for (const dir of ["new", "cur", "tmp"]) await cp(join(server.mailRoot, ME, dir), join(home, "Maildir", dir), { recursive: true });

  const dovecot = await startDovecot(home);
  const client = await RawImap.login(server.port);
  const theirs = new Map<string, string>();
  const mine = new Map<string, string>();
  for (const [index, command] of SCRIPT.entries()) {
    const tag = `T${index + 1}`;
    theirs.set(tag, meaningful(await dovecot.run(`${tag} ${command}`)));
    client.send(`${tag} ${command}`);
    mine.set(tag, meaningful((await client.until(tag)).join("\r\n")));
  }
  await dovecot.stop();
  const differences = SCRIPT.map((command, index) => ({ command, ours: mine.get(`T${index + 1}`), dovecot: theirs.get(`T${index + 1}`) })).filter(
    ({ ours, dovecot }) => ours !== dovecot,
  );
  expect(differences).toEqual([]);
}, 60_000);

test.runIf(!hasDovecot)("(Dovecot is missing: the comparison was skipped)", () => {
  console.warn(`skipped: ${DOVECOT_IMAP} not installed (Debian: apt-get install dovecot-imapd)`);
});
