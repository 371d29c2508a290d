// The reading side of a Maildir, as POP3 sees it: a "maildrop" (RFC 1939's word) is the
// list of messages a user can fetch, numbered 1, 2, 3 … for the length of one session.
// maildir.ts is the writing side (delivery); the format is described there.
//
//   <mailRoot>/me@example.com/new/1700000000.M123456P42Q1.host,S=1000,W=1032
//   <mailRoot>/me@example.com/cur/1700000000.M123456P42Q2.host,S=500,W=520:2,S
//                                 └──────── unique ─────────┘  └─ sizes ─┘ └ info: seen
//
// Opening a maildrop only lists two folders and reads the file NAMES: the sizes POP3 must
// announce (LIST, STAT) are in the name (W= = size with CRLF line endings, exactly what RETR
// sends before dot-stuffing), so opening a 10,000-message mailbox reads no message at all —
// and when nothing changed since the last session, not even the names (see "Listings" below).
// Messages are read one at a time, as a stream, when they are retrieved.
//
// Locking: RFC 1939 §8 asks for an exclusive lock on the maildrop while a session is in
// TRANSACTION state, so two clients cannot both download-and-delete the same mail. The lock
// lives in this process's memory (the playground is one process; POP3 and POP3S share it).
// A lock FILE would survive a crash and lock the user out until someone deleted it.

import { createHash } from "node:crypto";
import fs, { createReadStream } from "node:fs";
import { readdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { maildirPath } from "./maildir.ts";

export interface MaildropMessage {
  /** The Maildir unique part of the file name: the message's UIDL, stable across sessions. */
  unique: string;
  /** Size in octets with CRLF line endings: what LIST and STAT announce, what RETR sends before stuffing. */
  octets: number;
  /** Where the file is now: <folder>/<name> (it moves from new/ to cur/ when retrieved). */
  folder: "new" | "cur";
  name: string;
}

export class Maildrop {
  private constructor(
    readonly address: string,
    readonly directory: string,
    /** Message n of the session is messages[n - 1]; the numbering never changes during a session. */
    readonly messages: MaildropMessage[],
  ) {}

  /**
   * Lists new/ and cur/ (never tmp/: a message there is still being written), oldest first.
   * A mailbox that has not changed since it was last listed is not listed again (see below).
   */
  static async open(mailRoot: string, address: string): Promise<Maildrop> {
    return Maildrop.openFolder(maildirPath(mailRoot, address), address);
  }

  /** The same for any Maildir folder (an IMAP folder such as <mailbox>/.Sent): read-only, nothing is locked. */
  static async openFolder(directory: string, address: string): Promise<Maildrop> {
    const stamps = await folderStamps(directory);
    const known = listings.get(directory);
    if (known && known.stamps === stamps) return new Maildrop(address, directory, known.messages);
    const messages: MaildropMessage[] = [];
    for (const folder of ["new", "cur"] as const) {
      for (const name of await listFolder(join(directory, folder))) {
        if (name.startsWith(".")) continue; // editors' and tools' hidden files
        const octets = crlfSizeFromName(name) ?? (await crlfSizeOfFile(join(directory, folder, name)));
        messages.push({ unique: uidOf(name), octets, folder, name });
      }
    }
    // Oldest first, so message 1 is the first one delivered.
    const order = new Map(messages.map((message) => [message, deliveryOrder(message.unique)]));
    messages.sort((a, b) => compareOrder(order.get(a)!, order.get(b)!) || (a.unique < b.unique ? -1 : 1));
    remember(directory, stamps, messages);
    return new Maildrop(address, directory, messages);
  }

  /** The message's file, where it is now. */
  pathOf(message: MaildropMessage): string {
    return join(this.directory, message.folder, message.name);
  }

  /**
   * A small message's bytes, in one read: the buffer is one byte larger than the size in the
   * name (W= is never smaller than the file), so a single read returns the whole file AND shows
   * that it ended — no second read only to meet the end of the file. Three trips to the thread
   * pool (open, read, close; close is not even waited for) instead of four, and no stream.
   * null: bigger than `maxBytes`, or bigger than its name says — read it as a stream instead.
   * Rejects (ENOENT) when the file is gone.
   */
  readSmall(message: MaildropMessage, maxBytes: number): Promise<Buffer | null> {
    if (message.octets >= maxBytes) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      fs.open(this.pathOf(message), "r", (err, fd) => {
        if (err) return reject(err);
        const buffer = Buffer.allocUnsafe(message.octets + 1);
        fs.read(fd, buffer, 0, buffer.length, 0, (readError, bytesRead) => {
          fs.close(fd, () => {});
          if (readError) reject(readError);
          else resolve(bytesRead < buffer.length ? buffer.subarray(0, bytesRead) : null);
        });
      });
    });
  }

  /**
   * Finds the message's file again after another program renamed it — the IMAP server does
   * when flags change (new/NAME → cur/NAME:2,F): the part before ":" never changes. False if
   * the file is really gone.
   */
  async locate(message: MaildropMessage): Promise<boolean> {
    const base = message.name.split(":")[0];
    for (const folder of ["cur", "new"] as const) {
      const name = (await listFolder(join(this.directory, folder))).find((candidate) => candidate.split(":")[0] === base);
      if (name) {
        message.folder = folder;
        message.name = name;
        return true;
      }
    }
    return false;
  }

  /** Maildir's "seen": new/NAME → cur/NAME:2,S, or the S flag added in cur/. */
  async markSeen(message: MaildropMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const [base, info = ""] = message.name.split(":2,");
      const flags = info.includes("S") ? info : [...info, "S"].sort().join("");
      const seen = `${base}:2,${flags}`;
      if (message.folder === "cur" && seen === message.name) return;
      listings.delete(this.directory); // the listing changes (and the folders' times may not, yet)
      try {
        await rename(this.pathOf(message), join(this.directory, "cur", seen));
        message.folder = "cur";
        message.name = seen;
        return;
      } catch (err) {
        // Renamed meanwhile by the IMAP server (its flags changed)? Find it and try once more.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0 || !(await this.locate(message))) throw err;
      }
    }
  }

  /** Removes messages for good (POP3's UPDATE state); returns how many could not be removed. */
  async remove(messages: MaildropMessage[]): Promise<number> {
    if (messages.length > 0) listings.delete(this.directory);
    let failures = 0;
    for (const message of messages) {
      const removed = async () => unlink(this.pathOf(message)).then(() => true, (err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") failures++;
        return err.code !== "ENOENT";
      });
      // Gone: renamed by IMAP (look for its new name), or removed (as good as removed by us).
      if (!(await removed()) && (await this.locate(message))) await removed();
    }
    return failures;
  }
}

// ---------------------------------------------------------------------------------------
// Listings kept between sessions. Logging in again to a 10,000-message mailbox should not
// read 10,000 names again when nothing changed: every delivery, move or removal changes the
// modification time of new/ or cur/, so the same times mean the same files — with one catch
// that Dovecot's maildir code knows too: a folder's time has a coarse resolution, so a change
// in the same clock tick as the listing could leave it unchanged. A listing is therefore only
// kept when the folders had not changed for a while (2 s) before it was made.
// What this process itself changes (markSeen, remove) drops the listing at once.

interface Listing {
  /** The modification times of new/ and cur/ when the listing was made, in ns. */
  stamps: string;
  messages: MaildropMessage[];
}

const listings = new Map<string, Listing>();
/** Mailboxes whose listing is kept (the most recently listed ones). */
const MAX_LISTINGS = 100;
const SETTLED_NS = 2_000_000_000n;

/** "<mtime of new/> <mtime of cur/>" in ns (-1: the folder is missing). */
async function folderStamps(directory: string): Promise<string> {
  const times = await Promise.all(["new", "cur"].map((folder) => stat(join(directory, folder), { bigint: true }).then((s) => s.mtimeNs, () => -1n)));
  return times.join(" ");
}

function remember(directory: string, stamps: string, messages: MaildropMessage[]): void {
  const now = BigInt(Date.now()) * 1_000_000n; // folder times are wall-clock times too
  const newest = stamps.split(" ").map(BigInt).reduce((a, b) => (a > b ? a : b));
  listings.delete(directory);
  if (now - newest < SETTLED_NS) return; // changed just now: list again next time
  listings.set(directory, { stamps, messages });
  if (listings.size > MAX_LISTINGS) listings.delete(listings.keys().next().value!);
}

async function listFolder(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return []; // no mail delivered yet
    throw err;
  }
}

/**
 * RFC 1939 §7: a unique-id is 1 to 70 characters from 0x21 to 0x7E. The Maildir unique part
 * normally is one; if a long host name made it longer, its MD5 (32 hex digits) stands in.
 */
function uidOf(fileName: string): string {
  const unique = fileName.split(":")[0].split(",")[0];
  return /^[\x21-\x7e]{1,70}$/.test(unique) ? unique : createHash("md5").update(unique).digest("hex");
}

/** The W= field of a Dovecot-style name, if present. */
function crlfSizeFromName(fileName: string): number | null {
  const match = /,W=(\d+)/.exec(fileName.split(":")[0]);
  return match ? Number(match[1]) : null;
}

/** For files other tools put there without W=: file size + one CR per LF that lacks one. */
async function crlfSizeOfFile(path: string): Promise<number> {
  let octets = 0;
  let previous = -1;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    octets += chunk.length;
    for (let lf = chunk.indexOf(10); lf !== -1; lf = chunk.indexOf(10, lf + 1)) {
      if ((lf > 0 ? chunk[lf - 1] : previous) !== 13) octets++;
    }
    previous = chunk[chunk.length - 1];
  }
  return octets;
}

/** Delivery order from `<seconds>.M<microseconds>P<pid>Q<counter>…`: [seconds, microseconds, counter]. */
function deliveryOrder(unique: string): number[] {
  const match = /^(\d+)\.(?:M(\d+))?(?:P\d+)?(?:Q(\d+))?/.exec(unique);
  return match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : [Infinity, 0, 0];
}

function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Sorts Maildir file names oldest delivery first (POP3's message numbers, IMAP's new UIDs). */
export function byDeliveryOrder(nameA: string, nameB: string): number {
  const a = uidOf(nameA);
  const b = uidOf(nameB);
  return compareOrder(deliveryOrder(a), deliveryOrder(b)) || (a < b ? -1 : a > b ? 1 : 0);
}

// ---------------------------------------------------------------------------------------
// The lock: one Set of maildrop folders that have a session in TRANSACTION state.

const locked = new Set<string>();

/** Takes the exclusive lock; returns a function that releases it, or null if someone holds it. */
export function lockMaildrop(mailRoot: string, address: string): (() => void) | null {
  const directory = maildirPath(mailRoot, address);
  if (locked.has(directory)) return null;
  locked.add(directory);
  let released = false;
  return () => {
    if (!released) locked.delete(directory);
    released = true;
  };
}
