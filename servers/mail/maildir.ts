// The mail store: one Maildir per mailbox, the format qmail invented and Dovecot, Postfix, mutt
// and most mail tools read (https://cr.yp.to/proto/maildir.html).
//
//   <mailRoot>/me@example.com/tmp/   a message being written — readers never look here
//   <mailRoot>/me@example.com/new/   delivered, not yet seen by a mail client
//   <mailRoot>/me@example.com/cur/   seen (the POP3 server moves a message here on RETR)
//
// One file per message, so delivering never rewrites anything that is already stored. Delivery
// is the "write to tmp, then rename into new" dance: a rename is atomic, so a reader (the POP3
// server, mutt) sees either the whole message or nothing — even if the power fails mid-write.
//
// File names follow Dovecot: `<unique>,S=<bytes on disk>,W=<bytes with CRLF line endings>`.
// The file uses LF line endings like every Maildir; on the wire (SMTP, POP3) lines end in CRLF,
// so W= is the size a POP3 client will be told (LIST, STAT) without reading the file.

import { mkdir, open, readdir, rename, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { sampleMessages } from "./samples.ts";

export interface DeliverOptions {
  /**
   * Flush the message to the disk before it counts as delivered (default true). A real MTA must:
   * after "250 OK" the sender forgets the message, so it must survive a power cut. It costs a
   * disk round trip per message — see test/bench/smtp.ts for what that means in numbers.
   */
  fsync?: boolean;
}

/** The folder of one mailbox. Refuses addresses that could walk out of the mail root. */
export function maildirPath(mailRoot: string, address: string): string {
  const name = address.toLowerCase();
  // The address becomes a folder name: never let "../" or a slash in an address pick the folder.
  if (!/^[^/\\\0]+@[^/\\\0@]+$/.test(name) || name.startsWith(".") || name.includes("..")) {
    throw new Error(`"${address}" cannot be a mailbox name`);
  }
  return join(mailRoot, name);
}

/** Creates the mailbox's tmp/, new/ and cur/ folders (nothing happens if they exist). */
export async function ensureMaildir(mailRoot: string, address: string): Promise<string> {
  const dir = maildirPath(mailRoot, address);
  for (const sub of ["tmp", "new", "cur"]) await mkdir(join(dir, sub), { recursive: true });
  return dir;
}

// Mailboxes this process has already created: every later delivery saves three mkdir calls.
const knownMaildirs = new Set<string>();

/**
 * Stores one message in the mailbox of `address` and returns the path of its file in new/.
 * `message` may use CRLF (as received over SMTP) or LF line endings.
 */
export async function deliver(mailRoot: string, address: string, message: Buffer, options: DeliverOptions = {}): Promise<string> {
  const dir = maildirPath(mailRoot, address);
  if (!knownMaildirs.has(dir)) {
    await ensureMaildir(mailRoot, address);
    knownMaildirs.add(dir);
  }
  return storeMessage(dir, message, options).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
    await ensureMaildir(mailRoot, address); // someone removed the mailbox since: make it again
    return storeMessage(dir, message, options);
  });
}

export interface StoreOptions extends DeliverOptions {
  /** Maildir info flags ("S", "FS" …): the message goes to cur/NAME:2,FLAGS instead of new/. */
  flags?: string;
  /** The file's modification time, which IMAP reports as the message's INTERNALDATE. */
  receivedAt?: Date;
}

/**
 * Writes one message into the Maildir folder `dir` (tmp/ → new/, or cur/ with flags) and
 * returns the path of its file. IMAP's APPEND uses this for any folder; deliver() for INBOX.
 */
export async function storeMessage(dir: string, message: Buffer, options: StoreOptions = {}): Promise<string> {
  const content = toMaildirLines(message);
  const lineCount = countLines(content);
  const name = `${uniqueName()},S=${content.length},W=${content.length + lineCount}`;
  const temporary = join(dir, "tmp", name);
  const final = options.flags === undefined ? join(dir, "new", name) : join(dir, "cur", `${name}:2,${options.flags}`);

  // "wx": fail rather than overwrite if the name somehow exists already.
  const file = await open(temporary, "wx");
  try {
    await file.writeFile(content);
    if (options.fsync ?? true) await file.sync();
    await file.close();
    if (options.receivedAt) await utimes(temporary, options.receivedAt, options.receivedAt);
    await rename(temporary, final);
  } catch (err) {
    await file.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    throw err;
  }
  return final;
}

/**
 * CRLF → LF, the Maildir convention. Every CR right before an LF goes (a bare CR is not allowed in
 * mail anyway, RFC 5322 §2.3), so every LF in the file stands for exactly one CRLF on the wire and
 * W= is simply S= plus the number of lines. A last line without a line ending gets one: on the
 * wire every line of a message ends in CRLF (the end-of-data "." comes on its own line).
 */
export function toMaildirLines(message: Buffer): Buffer {
  const pieces: Buffer[] = [];
  let start = 0;
  for (let lf = message.indexOf(10); lf !== -1; lf = message.indexOf(10, start)) {
    let end = lf;
    while (end > start && message[end - 1] === 13) end--;
    pieces.push(message.subarray(start, end), LF);
    start = lf + 1;
  }
  let rest = message.subarray(start);
  while (rest.length > 0 && rest[rest.length - 1] === 13) rest = rest.subarray(0, -1);
  if (rest.length > 0) pieces.push(rest, LF);
  return Buffer.concat(pieces);
}
const LF = Buffer.from("\n");

/** The number of line breaks (LFs): W= is S= plus this; IMAP's BODYSTRUCTURE counts lines so too. */
export function countLines(content: Buffer): number {
  let lines = 0;
  for (let at = content.indexOf(10); at !== -1; at = content.indexOf(10, at + 1)) lines++;
  return lines;
}

// The unique part of a Maildir file name: time, process and a counter, then the host name, so
// two programs (or two machines sharing the folder) can never pick the same name.
let deliveries = 0;
/** This machine's name as it appears in Maildir file names ("/", ":" and "," escaped). */
export const HOST = hostname().replace(/\//g, "\\057").replace(/:/g, "\\072").replace(/,/g, "\\054");

/** `<seconds>.M<microseconds>P<pid>Q<counter>.<host>`, e.g. `1700000000.M123456P4242Q7.laptop`. */
function uniqueName(): string {
  const now = Math.floor((performance.timeOrigin + performance.now()) * 1000); // in microseconds
  const seconds = Math.floor(now / 1_000_000);
  const microseconds = now % 1_000_000;
  deliveries++;
  return `${seconds}.M${microseconds}P${process.pid}Q${deliveries}.${HOST}`;
}

/**
 * Removes what crashed deliveries left in the mailboxes' tmp/ folders and returns their paths.
 * A file in tmp/ was never delivered: its writer renames it into new/ when it is complete. A
 * crash (kill -9, a power cut) leaves it there for ever, and nothing else would ever look at it.
 * Maildir's rule is "delete tmp files nobody has touched for a long time"; at start we can be
 * exact: a file not modified since this process started is not ours, and it is a leftover
 * unless its name says it belongs to ANOTHER process on this machine that is still running
 * (a second program delivering into the same Maildir, slowly).
 */
export async function removeTmpLeftovers(mailRoot: string): Promise<string[]> {
  const started = performance.timeOrigin; // when this process started, in ms since 1970
  const removed: string[] = [];
  const mailboxes = await readdir(mailRoot).catch(() => [] as string[]);
  for (const mailbox of mailboxes) {
    const tmp = join(mailRoot, mailbox, "tmp");
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const file = join(tmp, name);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile() || info.mtimeMs >= started || writerIsAlive(name)) continue;
      await unlink(file).catch(() => {}); // gone already: someone else cleaned up
      removed.push(file);
    }
  }
  return removed;
}

/** True if `name` (see uniqueName) was made by another process on this host that still runs. */
function writerIsAlive(name: string): boolean {
  const match = /^\d+\.M\d+P(\d+)Q\d+\.([^,:]+)/.exec(name);
  if (!match || match[2] !== HOST) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return false; // an older process that had our number: not running
  try {
    process.kill(pid, 0); // signal 0: only asks "does this process exist?"
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // it exists, it is just not ours to signal
  }
}

/**
 * Fills the sample mailboxes (see samples.ts) — only those that do not exist yet, so a learner's
 * own mail and deletions are never undone by a restart.
 */
export async function seedMailboxes(mailRoot: string): Promise<void> {
  const samples = await sampleMessages();
  const fresh = new Set<string>();
  for (const { address } of samples) {
    if (fresh.has(address)) continue;
    const exists = await stat(maildirPath(mailRoot, address)).then(() => true, () => false);
    if (!exists) fresh.add(address);
  }
  for (const { address, message } of samples) {
    if (fresh.has(address)) await deliver(mailRoot, address, message);
  }
}
