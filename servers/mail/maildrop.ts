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
// sends before dot-stuffing), so opening a 10,000-message mailbox reads no message at all.
// Messages are read one at a time, as a stream, when they are retrieved.
//
// Locking: RFC 1939 §8 asks for an exclusive lock on the maildrop while a session is in
// TRANSACTION state, so two clients cannot both download-and-delete the same mail. The lock
// lives in this process's memory (the playground is one process; POP3 and POP3S share it).
// A lock FILE would survive a crash and lock the user out until someone deleted it.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, rename, unlink } from "node:fs/promises";
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

  /** Lists new/ and cur/ (never tmp/: a message there is still being written), oldest first. */
  static async open(mailRoot: string, address: string): Promise<Maildrop> {
    const directory = maildirPath(mailRoot, address);
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
    return new Maildrop(address, directory, messages);
  }

  /** The message's file, where it is now. */
  pathOf(message: MaildropMessage): string {
    return join(this.directory, message.folder, message.name);
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
      try {
        await rename(this.pathOf(message), join(this.directory, "cur", seen));
        message.folder = "cur";
        message.name = seen;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0 || !(await this.locate(message))) throw err;
      }
    }
  }

  /** Removes messages for good (POP3's UPDATE state); returns how many could not be removed. */
  async remove(messages: MaildropMessage[]): Promise<number> {
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
