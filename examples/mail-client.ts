// A small terminal mail client: Core Python's myMail grown up (17-24, 17-25, 17-26). Choose IMAP
// or POP3, list the subjects (paged), read a message, save its attachments safely, write one with
// an attachment, reply in the thread, move it to a folder or to Trash, mark it read or unread, and
// wait for new mail that the server pushes (IMAP IDLE). Its parts that decide whether it is right
// are lesson 16's exercise; this file reads commands and puts those parts together. It imports the
// reference solution: once your exercise passes, change the import below to
// "../lessons/16-mail-client/exercise.ts" and it is your client.
//
//   npm start                                              (first, in another terminal)
//   npx tsx examples/mail-client.ts list                    the newest 10 subjects (IMAP)
//   npx tsx examples/mail-client.ts --pop3 list             the same over POP3
//   npx tsx examples/mail-client.ts read 2                  message 2, decoded; marks it read (IMAP)
//   npx tsx examples/mail-client.ts                         one session, commands from the keyboard: help
// HOST (127.0.0.1), IMAP_PORT (1143), POP3_PORT (1110), SMTP_PORT (2525), MAIL_USER (me@example.com),
// MAIL_PASSWORD (secret), CA_FILE (.playground/tls/cert.pem: the certificate STARTTLS must trust).

import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { randomUUID } from "node:crypto";
import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import { ImapMailbox, openMailbox, replyTo, type Address, type Mailbox, type SmtpOptions } from "../lessons/16-mail-client/solution.ts";
import { saveAttachment } from "./pop3-save-attachment.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const USER = process.env.MAIL_USER ?? "me@example.com";
const PASSWORD = process.env.MAIL_PASSWORD ?? "secret";
const CA_FILE = process.env.CA_FILE ?? ".playground/tls/cert.pem";
const PAGE_SIZE = 10;

const HELP = `commands (ids are the numbers list shows):
  list [before]                  subjects, newest first, ${PAGE_SIZE} a page; "more: list 5" shows the next
  read <id>                      the text and the attachments (IMAP: marks it read)
  save <id> [folder]             its attachments, under safe names (default attachments/)
  send <to> <subject> <text> [file]   write a message, with a file attached
  reply <id> <text>              answer it, in its thread, quoted
  delete <id>                    IMAP: into Trash; POP3: deleted when the session ends
  move <id> <folder>             IMAP only: into another folder (folders lists them)
  seen <id> | unseen <id>        IMAP only: mark read or unread
  folders                        IMAP only: the folders
  watch [seconds]                IMAP only: wait for new mail, pushed by the server (IDLE)
  help, quit`;

// ---------------------------------------------------------------------------------------
// Starting: which protocol, and the certificate to trust.

const args = process.argv.slice(2);
const protocol = args[0] === "--pop3" ? "pop3" : "imap";
if (args[0] === "--pop3" || args[0] === "--imap") args.shift();
const port = Number(protocol === "imap" ? (process.env.IMAP_PORT ?? 1143) : (process.env.POP3_PORT ?? 1110));

let ca: string;
try {
  ca = readFileSync(CA_FILE, "utf8");
} catch (err) {
  fail(`reading the certificate to trust (${CA_FILE}; set CA_FILE to the path npm start printed)`, err);
}
const smtp: SmtpOptions = { host: HOST, port: Number(process.env.SMTP_PORT ?? 2525), user: USER, password: PASSWORD, ca };

let mailbox: Mailbox;
try {
  mailbox = await openMailbox({ protocol, host: HOST, port, user: USER, password: PASSWORD, ca });
} catch (err) {
  fail(`${protocol.toUpperCase()} ${HOST}:${port}: logging in as ${USER}`, err);
}

// ---------------------------------------------------------------------------------------
// The commands: each a few lines on top of the Mailbox interface (or imapflow, for IMAP's extras).

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  async help() {
    console.log(HELP);
  },

  // #region list
  async list([before]) {
    const page = await mailbox.listSubjects({ size: PAGE_SIZE, before: before === undefined ? undefined : id(before) });
    if (page.messages.length === 0) return console.log("(no messages)");
    for (const m of page.messages) {
      const unread = m.seen === false ? "N" : " "; // POP3 cannot tell (seen: null)
      console.log(`${unread} ${String(m.id).padStart(4)}  ${when(m.date)}  ${fit(who(m.from), 34)}  ${m.subject}`);
    }
    if (page.next !== null) console.log(`more: list ${page.next}`);
  },
  // #endregion list

  async read([which]) {
    const message = await mailbox.readMessage(id(which));
    console.log(`From:    ${who(message.from)}`);
    console.log(`To:      ${message.to.map(who).join(", ")}`);
    console.log(`Date:    ${when(message.date)}`);
    console.log(`Subject: ${message.subject}\n`);
    console.log(message.text.trimEnd());
    if (message.attachments.length > 0) {
      console.log(`\nAttachments (save ${message.id} keeps them):`);
      for (const a of message.attachments) console.log(`  ${JSON.stringify(a.filename ?? "(no name)")} ${a.contentType}, ${a.size} bytes`);
    }
    // Reading with BODY.PEEK[] changed nothing: marking it read is a separate STORE.
    if (mailbox instanceof ImapMailbox) await mailbox.client.messageFlagsAdd(String(message.id), ["\\Seen"], { uid: true });
  },

  // #region save
  async save([which, folder = "attachments"]) {
    const message = await mailbox.readMessage(id(which));
    if (message.attachments.length === 0) return console.log("(no attachments)");
    await mkdir(folder, { recursive: true });
    for (const [i, a] of message.attachments.entries()) {
      // Lesson 09's rules: the sender chose that name — basename, a whitelist, never overwrite.
      const path = await saveAttachment(folder, a.filename, `message${message.id}-attachment${i + 1}.bin`, a.content);
      console.log(`  ${JSON.stringify(a.filename ?? "(no name)")} → ${path}`);
    }
  },
  // #endregion save

  // #region send
  async send([to, subject, text, file]) {
    if (!to || subject === undefined || text === undefined) throw new Error('usage: send <to> <subject> <text> [file], e.g. send friend@example.org "Scores" "Attached." scores.csv');
    const attachments = file ? [{ filename: basename(file), content: readFileSync(file) }] : [];
    const messageId = `<${randomUUID()}@${USER.split("@")[1]}>`;
    // Build the bytes once: the same message goes to the submission server and into Sent.
    const raw = await new MailComposer({ from: USER, to, subject, text: `${text}\n`, messageId, attachments }).compile().build();
    const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, requireTLS: true, auth: { user: USER, pass: PASSWORD }, tls: { ca, servername: "localhost" } });
    try {
      const info = await transport.sendMail({ envelope: { from: USER, to: [to] }, raw });
      console.log(`sent ${messageId} to ${to}: ${info.response}`);
    } finally {
      transport.close();
    }
    // The submission server keeps no copy for you; an IMAP client files one in Sent (APPEND).
    if (mailbox instanceof ImapMailbox) {
      await mailbox.client.append("Sent", raw, ["\\Seen"]);
      console.log("a copy is in Sent");
    }
  },
  // #endregion send

  async reply([which, text]) {
    if (text === undefined) throw new Error('usage: reply <id> <text>, e.g. reply 2 "See you then!"');
    const sent = await replyTo(mailbox, id(which), text, smtp);
    console.log(`sent ${sent.messageId} to ${sent.to}`);
    console.log(`  Subject:     ${sent.subject}`);
    console.log(`  In-Reply-To: ${sent.inReplyTo}`);
    console.log(`  References:  ${sent.references.join(" ")}`);
  },

  async delete([which]) {
    await mailbox.moveToTrash(id(which));
    console.log(mailbox.protocol === "imap" ? `message ${which} is in Trash` : `message ${which} is marked (DELE); it goes when this session ends (QUIT)`);
  },

  async move([which, folder]) {
    if (!folder) throw new Error("usage: move <id> <folder> (folders lists them)");
    const moved = await imap().messageMove(String(id(which)), folder, { uid: true }); // MOVE, or COPY + delete
    if (!moved) throw new Error(`the server refused to move ${which} to ${folder} (is there such a folder?)`);
    console.log(`message ${which} is in ${folder}`);
  },

  async seen([which]) {
    await imap().messageFlagsAdd(String(id(which)), ["\\Seen"], { uid: true }); // UID STORE n +FLAGS (\Seen)
    console.log(`message ${which} is marked read`);
  },

  async unseen([which]) {
    await imap().messageFlagsRemove(String(id(which)), ["\\Seen"], { uid: true }); // UID STORE n -FLAGS (\Seen)
    console.log(`message ${which} is marked unread`);
  },

  async folders() {
    for (const folder of await imap().list()) console.log(`  ${folder.path}${folder.specialUse ? `  (${folder.specialUse})` : ""}`);
  },

  // #region watch
  /** IDLE (RFC 2177): the server tells us "* 5 EXISTS" the moment mail arrives — no polling. */
  async watch([seconds = "60"]) {
    const client = imap();
    const arrived = new Promise<number>((resolve) => {
      const onExists = (update: { count: number; prevCount: number }) => {
        if (update.count > update.prevCount) {
          client.off("exists", onExists);
          resolve(update.count);
        }
      };
      client.on("exists", onExists);
    });
    const idling = client.idle(); // IDLE; ends when we send the next command
    console.log(`waiting for new mail (IDLE), up to ${seconds} s …`);
    const count = await Promise.race([arrived, new Promise<null>((resolve) => setTimeout(resolve, Number(seconds) * 1000, null))]);
    if (count === null) {
      await client.noop(); // ends the IDLE
      await idling;
      return console.log("no new mail");
    }
    // The server said how many there are now; the newest is the last one (a sequence number).
    const newest = await client.fetchOne(String(count), { uid: true, envelope: true });
    await idling;
    const from = newest && newest.envelope?.from?.[0];
    console.log(`new mail: ${newest && newest.uid}  ${from ? who({ name: from.name ?? "", address: from.address ?? "" }) : "?"}  ${newest && newest.envelope?.subject}`);
  },
  // #endregion watch
};

// ---------------------------------------------------------------------------------------
// The session.

// #region loop
// One command from the command line, or one a line from stdin: the same session for all of
// them (for POP3 that matters: the numbers hold, and DELE takes effect at the end).
if (args.length > 0) {
  const ok = await run(args);
  await mailbox.close();
  process.exit(ok ? 0 : 1);
}
const prompt = () => process.stdout.isTTY && process.stdout.write(`${protocol}> `);
console.log(`${USER}'s INBOX over ${protocol.toUpperCase()} (${HOST}:${port}). Type help for the commands.`);
prompt();
for await (const line of createInterface({ input: process.stdin })) {
  const words = splitWords(line);
  if (words[0] === "quit") break;
  if (words.length > 0) await run(words);
  prompt();
}
await mailbox.close();
// #endregion loop

/** Runs one command; prints what went wrong (and returns false) instead of stopping the session. */
async function run([command, ...rest]: string[]): Promise<boolean> {
  try {
    const handler = Object.hasOwn(COMMANDS, command!) ? COMMANDS[command!] : undefined;
    if (!handler) throw new Error(`unknown command ${command}\n${HELP}`);
    await handler(rest);
    return true;
  } catch (err) {
    console.error(`${command}: ${(err as Error).message}`);
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Small helpers.

function imap() {
  if (!(mailbox instanceof ImapMailbox)) throw new Error("POP3 has no folders and no flags: that needs IMAP (start without --pop3)");
  return mailbox.client;
}

function id(text: string | undefined): number {
  const number = Number(text);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${JSON.stringify(text ?? "")} is not a message id: use a number list shows`);
  return number;
}

function who({ name, address }: Address): string {
  return name ? `${name} <${address}>` : address;
}

/** "2024-01-15 13:00", in UTC so that everyone's output looks the same. */
function when(date: Date | null): string {
  return date ? date.toISOString().slice(0, 16).replace("T", " ") : "(no date)".padEnd(16);
}

function fit(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

/** `send a@b "two words" file` → ["send", "a@b", "two words", "file"]. */
function splitWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

function fail(step: string, err: unknown): never {
  const message = (err as Error).message ?? String(err);
  const advice = /ECONNREFUSED/.test(message) || (err as NodeJS.ErrnoException).code === "ECONNREFUSED" ? " — is the playground running? Start it with: npm start" : "";
  console.error(`${step} failed: ${message}${advice}`);
  process.exit(1);
}
