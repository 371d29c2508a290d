// The mailbox store IMAP reads and changes: a user's Maildir, seen as folders of messages with
// UIDs and flags. The IMAP server (imap.ts) speaks the protocol and asks this file for data; it
// never touches a file itself — the split go-imap makes between imapserver and its backends.
//
// On disk it is Maildir++, the layout Dovecot and Courier use (maildir.ts describes one folder):
//
//   <mailRoot>/me@example.com/              INBOX (the same Maildir POP3 reads and SMTP delivers to)
//   <mailRoot>/me@example.com/.Sent/         the folder "Sent": tmp/ new/ cur/ of its own
//   <mailRoot>/me@example.com/.Work.2026/    the folder "Work.2026": "." separates levels
//   <mailRoot>/me@example.com/.&XfJT0ZAB-/   a folder named 已发送 (modified UTF-7, mutf7.ts)
//   <mailRoot>/me@example.com/subscriptions  SUBSCRIBE's list, one name per line
//   <folder>/imap-uidlist                    the UIDs (below)
//
// What IMAP needs that Maildir does not have:
// - UIDs (RFC 3501 §2.3.1.1): a number per message that never changes and is never given
//   to another message in this folder, ascending in the order messages arrived, plus a
//   UIDVALIDITY that changes only if the numbering starts over. They live in imap-uidlist:
//       1764633600 4                       ← UIDVALIDITY, the next UID to give out
//       1<TAB>1764633601.M5P9Q1.host,S=…   ← UID, file name up to ":", keywords
//   A message is known by its file name up to the ":" — the part after it (":2,FS") holds
//   the flags and changes; the part before never does (the Maildir spec promises that).
// - Flags: the system flags live in the file name, as every Maildir tool reads them:
//   \Seen = S, \Answered = R, \Flagged = F, \Deleted = T, \Draft = D. Keywords ($Forwarded,
//   a user's "todo") have no place there, so they are kept in imap-uidlist.
//
// Crash safety: imap-uidlist is only ever replaced whole (write a temp file, flush it, rename
// it over the old one — a rename is atomic), and new UIDs are written there BEFORE any
// client is told about them. A crash at any moment leaves the old list or the new one; a
// message that arrived meanwhile simply gets its UID at the next look, after the highest
// UID ever written. Messages are never rewritten, only renamed (flags) or removed (EXPUNGE).
//
// POP3 and IMAP share INBOX: POP3 reads new/ and cur/ by file name too, so a message SMTP
// delivered is one message to both. A file that vanished (POP3 DELE + QUIT) is dropped at the
// next refresh — IMAP sessions then report it as EXPUNGE.
//
// One process (the playground) may have several IMAP sessions on one folder: they share one
// Folder object, and every change goes through its queue, one after another.

import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, rm, stat, unlink, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { maildirPath, storeMessage } from "./maildir.ts";
import { byDeliveryOrder } from "./maildrop.ts";
import { decodeMailboxName } from "./mutf7.ts";

/** RFC 6154: the folders every mailbox has from the start, and the attribute a client sees on each. */
export const SPECIAL_FOLDERS: Record<string, string> = { Sent: "\\Sent", Drafts: "\\Drafts", Trash: "\\Trash", Junk: "\\Junk" };

/** RFC 3501 §2.3.2: the system flags, and their letter in a Maildir file name. */
export const SYSTEM_FLAGS: Record<string, string> = { "\\Seen": "S", "\\Answered": "R", "\\Flagged": "F", "\\Deleted": "T", "\\Draft": "D" };
const FLAG_OF_LETTER = Object.fromEntries(Object.entries(SYSTEM_FLAGS).map(([flag, letter]) => [letter, flag]));

/** The hierarchy separator between folder levels ("Work.2026"), the Maildir++ one. */
export const DELIMITER = ".";

export class StoreError extends Error {
  /** Goes into the NO reply as a response code (RFC 5530), e.g. NONEXISTENT, ALREADYEXISTS. */
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StoredMessage {
  uid: number;
  /** The file name up to ":" — the message's identity in the Maildir. */
  base: string;
  /** Where the file is now: new/ or cur/, and its whole name. */
  dir: "new" | "cur";
  name: string;
  /** System flags (\Seen …) and keywords, as IMAP spells them. */
  flags: Set<string>;
  /** Size with CRLF line endings: RFC822.SIZE, the byte count of BODY[]. */
  size: number;
}

// ---------------------------------------------------------------------------------------
// The user's folders.

export class MailStore {
  private constructor(readonly directory: string) {}

  /** The store of one account; creates Sent, Drafts, Trash and Junk the first time. */
  static async open(mailRoot: string, address: string): Promise<MailStore> {
    const store = new MailStore(maildirPath(mailRoot, address));
    await makeMaildir(store.directory);
    const existing = new Set(await store.folderNames());
    for (const name of Object.keys(SPECIAL_FOLDERS)) {
      if (existing.has(name)) continue;
      await makeMaildir(store.pathOf(name));
      await store.subscribe(name);
    }
    return store;
  }

  /**
   * The store of one account as it is on disk, for readers that must change nothing (the console):
   * unlike open() it creates no folder. folderNames() and pathOf() only read.
   */
  static existing(mailRoot: string, address: string): MailStore {
    return new MailStore(maildirPath(mailRoot, address));
  }

  /** Every folder, INBOX first; names in modified UTF-7, as on the wire. */
  async folderNames(): Promise<string[]> {
    const entries = await readdir(this.directory, { withFileTypes: true });
    const names = entries.filter((entry) => entry.isDirectory() && entry.name.startsWith(".") && isFolderName(entry.name.slice(1)));
    return ["INBOX", ...names.map((entry) => entry.name.slice(1)).sort()];
  }

  /** The folder called `name` (case-insensitive only for INBOX, RFC 3501 §5.1). */
  async folder(name: string): Promise<Folder> {
    const directory = this.pathOf(name);
    const exists = await stat(join(directory, "cur")).then((s) => s.isDirectory(), () => false);
    if (!exists) throw new StoreError("NONEXISTENT", `there is no folder "${name}": LIST "" "*" shows the folders`);
    let folder = openFolders.get(directory);
    if (!folder) {
      folder = new Folder(isInbox(name) ? "INBOX" : name, directory);
      openFolders.set(directory, folder);
    }
    await folder.refresh();
    return folder;
  }

  async exists(name: string): Promise<boolean> {
    return stat(join(this.pathOf(name), "cur")).then(() => true, () => false);
  }

  /** RFC 3501 §6.3.3 */
  async create(name: string): Promise<void> {
    if (isInbox(name) || (await this.exists(name))) throw new StoreError("ALREADYEXISTS", `folder "${name}" exists already`);
    await makeMaildir(this.pathOf(name));
    await writeFile(join(this.pathOf(name), "maildirfolder"), ""); // Maildir++: "I am a subfolder"
  }

  /** RFC 3501 §6.3.4: the folder and its messages go; its subfolders stay. */
  async delete(name: string): Promise<void> {
    if (isInbox(name)) throw new StoreError("CANNOT", "INBOX cannot be deleted");
    if (!(await this.exists(name))) throw new StoreError("NONEXISTENT", `there is no folder "${name}"`);
    const directory = this.pathOf(name);
    openFolders.delete(directory);
    await rm(directory, { recursive: true, force: true });
    await this.unsubscribe(name);
  }

  /** RFC 3501 §6.3.5: renames the folder and its subfolders ("a" → "b" takes "a.x" to "b.x"). */
  async rename(from: string, to: string): Promise<void> {
    if (isInbox(from)) throw new StoreError("CANNOT", "renaming INBOX is not supported here: COPY its messages instead");
    if (!(await this.exists(from))) throw new StoreError("NONEXISTENT", `there is no folder "${from}"`);
    if (isInbox(to) || (await this.exists(to))) throw new StoreError("ALREADYEXISTS", `folder "${to}" exists already`);
    const moving = (await this.folderNames()).filter((name) => name === from || name.startsWith(from + DELIMITER));
    for (const name of moving) {
      const target = to + name.slice(from.length);
      openFolders.delete(this.pathOf(name));
      await rename(this.pathOf(name), this.pathOf(target));
    }
  }

  /** RFC 3501 §6.3.6–7: the subscription list, kept in the file Dovecot uses for it. */
  async subscriptions(): Promise<string[]> {
    const text = await readFile(join(this.directory, "subscriptions"), "utf8").catch(() => "");
    return text.split("\n").filter((line) => line !== "");
  }

  async subscribe(name: string): Promise<void> {
    const names = new Set(await this.subscriptions());
    names.add(isInbox(name) ? "INBOX" : name);
    await replaceFile(join(this.directory, "subscriptions"), [...names].join("\n") + "\n");
  }

  async unsubscribe(name: string): Promise<void> {
    const names = (await this.subscriptions()).filter((subscribed) => subscribed !== name);
    await replaceFile(join(this.directory, "subscriptions"), names.map((n) => n + "\n").join(""));
  }

  /** The directory of folder `name`; refuses names that could leave the Maildir. */
  pathOf(name: string): string {
    if (isInbox(name)) return this.directory;
    if (!isFolderName(name)) throw new StoreError("CANNOT", `"${name}" cannot be a folder name (no "/", no empty levels, 7-bit modified UTF-7)`);
    return join(this.directory, "." + name);
  }
}

function isInbox(name: string): boolean {
  return name.toUpperCase() === "INBOX";
}

/** A name the store can keep: no path characters, no empty level, valid modified UTF-7. */
export function isFolderName(name: string): boolean {
  if (name === "" || /[/\\\0*%]/.test(name) || name.split(DELIMITER).some((level) => level === "")) return false;
  if (name.length > 200) return false;
  try {
    decodeMailboxName(name);
    return true;
  } catch {
    return false;
  }
}

async function makeMaildir(directory: string): Promise<void> {
  for (const sub of ["tmp", "new", "cur"]) await mkdir(join(directory, sub), { recursive: true });
}

/** Replaces a file whole: a reader (or a crash) sees the old content or the new, never half. */
async function replaceFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const file = await open(temporary, "w");
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
}

// ---------------------------------------------------------------------------------------
// One folder: its messages in UID order.

/** One Folder object per directory in this process, shared by every session that opens it. */
const openFolders = new Map<string, Folder>();

/** Forgets every folder read so far, as a restart of the process would (tests use it). */
export function forgetOpenFolders(): void {
  openFolders.clear();
}

export class Folder {
  uidValidity = 0;
  uidNext = 1;
  /** Ascending UIDs. Sessions keep their own copy (their sequence numbers) and compare. */
  messages: StoredMessage[] = [];
  /** RFC 3501 §2.3.2 \Recent: arrived since the last session selected the folder. */
  private unclaimedRecent = new Set<number>();
  private loaded = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Called after every change, so that other sessions can tell their clients (EXISTS, FETCH …). */
  readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly directory: string,
  ) {}

  /** Runs `work` after every change queued before it: one change at a time per folder. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => {});
    return result;
  }

  /**
   * Looks at the files: a file without a UID gets the next one (written to imap-uidlist
   * before anyone hears of it), a vanished file is dropped, renamed files update the flags.
   */
  refresh(): Promise<void> {
    return this.exclusive(() => this.refreshNow());
  }

  private async refreshNow(): Promise<void> {
    const firstLook = !this.loaded;
    if (firstLook) await this.loadUidList();
    // A directory's modification time changes whenever a file in it is added, renamed or
    // removed: if new/ and cur/ still have the times they had when we last listed them, and
    // that listing began clearly after those times, nothing changed — two stats instead of
    // reading 10,000 names. (A change in the same instant as a listing is caught next time.)
    const times = await this.directoryTimes();
    const last = this.lastListing;
    if (!firstLook && last && times.new === last.new && times.cur === last.cur && last.startedAt > Math.max(Number(times.new), Number(times.cur)) / 1e6 + 10) return;
    this.lastListing = { ...times, startedAt: Date.now() };
    const onDisk = new Map<string, { dir: "new" | "cur"; name: string }>();
    for (const dir of ["new", "cur"] as const) {
      for (const name of await readdir(join(this.directory, dir)).catch(() => [] as string[])) {
        if (!name.startsWith(".")) onDisk.set(name.split(":")[0], { dir, name });
      }
    }
    let changed = false;
    const kept: StoredMessage[] = [];
    for (const message of this.messages) {
      const file = onDisk.get(message.base);
      if (!file) {
        changed = true; // removed by POP3, by another program, or by EXPUNGE
        continue;
      }
      onDisk.delete(message.base);
      if (file.name !== message.name) {
        message.dir = file.dir;
        message.name = file.name;
        message.flags = flagsOf(file.name, keywordsOf(message.flags));
        if (firstLook && crlfSizeFromName(file.name) === null) message.size = await crlfSizeOfFile(join(this.directory, file.dir, file.name));
      }
      if (firstLook && file.dir === "new") this.unclaimedRecent.add(message.uid);
      kept.push(message);
    }
    // Files nobody has numbered yet: oldest delivery first, so UIDs ascend in arrival order.
    const fresh = [...onDisk.values()].sort((a, b) => byDeliveryOrder(a.name, b.name));
    for (const file of fresh) {
      const size = crlfSizeFromName(file.name) ?? (await crlfSizeOfFile(join(this.directory, file.dir, file.name)));
      const message: StoredMessage = { uid: this.uidNext++, base: file.name.split(":")[0], ...file, flags: flagsOf(file.name, []), size };
      kept.push(message);
      this.unclaimedRecent.add(message.uid);
      changed = true;
    }
    this.messages = kept;
    this.loaded = true;
    if (changed) {
      await this.saveUidList();
      this.notify();
    }
  }

  private lastListing: { new: bigint; cur: bigint; startedAt: number } | null = null;

  private async directoryTimes(): Promise<{ new: bigint; cur: bigint }> {
    const time = (dir: string) => stat(join(this.directory, dir), { bigint: true }).then((s) => s.mtimeNs, () => -1n);
    return { new: await time("new"), cur: await time("cur") };
  }

  /** Reads imap-uidlist; a missing or damaged one starts a new numbering (a new UIDVALIDITY). */
  private async loadUidList(): Promise<void> {
    const list = await readUidList(this.directory);
    this.messages = [];
    if (!list) {
      // RFC 3501 §2.3.1.1: a new UIDVALIDITY must be larger than any before: the clock is.
      this.uidValidity = Math.max(1, Math.floor(Date.now() / 1000));
      this.uidNext = 1;
      return;
    }
    this.uidValidity = list.uidValidity;
    this.uidNext = list.uidNext;
    for (const { uid, base, keywords } of list.entries) {
      this.messages.push({ uid, base, dir: "cur", name: "", flags: new Set(keywords), size: 0 });
    }
    // name "" never matches a file: refreshNow() fills in dir, name, flags and size.
    for (const message of this.messages) message.size = crlfSizeFromName(message.base) ?? 0;
  }

  private async saveUidList(): Promise<void> {
    const lines = this.messages.map((m) => `${m.uid}\t${m.base}\t${keywordsOf(m.flags).join(" ")}`);
    await replaceFile(join(this.directory, "imap-uidlist"), [`${this.uidValidity} ${this.uidNext}`, ...lines].join("\n") + "\n");
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** \Recent for the session that selects the folder: the UIDs no session has claimed yet. */
  claimRecent(): Set<number> {
    const claimed = this.unclaimedRecent;
    this.unclaimedRecent = new Set();
    return claimed;
  }

  /** \Recent without claiming it: for EXAMINE and STATUS, which change nothing. */
  unclaimedRecentUids(): Set<number> {
    return new Set(this.unclaimedRecent);
  }

  /**
   * The keywords used here: PERMANENTFLAGS and FLAGS show them. The list only grows while the
   * process runs (as in Dovecot): a keyword stays known after its last message is expunged.
   */
  keywords(): string[] {
    for (const message of this.messages) for (const keyword of keywordsOf(message.flags)) this.knownKeywords.add(keyword);
    return [...this.knownKeywords].sort();
  }
  private readonly knownKeywords = new Set<string>();

  /** The message with CRLF line endings, as IMAP sends it (RFC 3501 §2.3.4: BODY[]). */
  async read(message: StoredMessage): Promise<Buffer> {
    try {
      return toCrlf(await readFile(join(this.directory, message.dir, message.name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      // Renamed meanwhile (POP3 RETR marks it seen): look again, once.
      await this.refresh();
      const now = this.messages.find((m) => m.uid === message.uid);
      if (!now) throw new StoreError("EXPUNGEISSUED", `message UID ${message.uid} was removed meanwhile`);
      return toCrlf(await readFile(join(this.directory, now.dir, now.name)));
    }
  }

  /** RFC 3501 §2.3.3 INTERNALDATE: when the message arrived — the file's modification time. */
  async internalDate(message: StoredMessage): Promise<Date> {
    const info = await stat(join(this.directory, message.dir, message.name)).catch(() => null);
    return info?.mtime ?? new Date(0);
  }

  /** Sets the message's flags: system flags by renaming its file, keywords in imap-uidlist. */
  setFlags(message: StoredMessage, flags: Set<string>): Promise<void> {
    return this.exclusive(async () => {
      const current = this.messages.find((m) => m.uid === message.uid);
      if (!current) return; // expunged meanwhile: nothing to flag
      const info = current.name.includes(":2,") ? current.name.slice(current.name.indexOf(":2,") + 3) : "";
      const otherLetters = [...info].filter((letter) => !FLAG_OF_LETTER[letter]); // e.g. P (passed): kept
      const letters = [...otherLetters, ...[...flags].map((flag) => SYSTEM_FLAGS[flag]).filter(Boolean)].sort().join("");
      const name = `${current.base}:2,${letters}`;
      if (name !== current.name || current.dir !== "cur") {
        await rename(join(this.directory, current.dir, current.name), join(this.directory, "cur", name));
        current.dir = "cur";
        current.name = name;
      }
      const keywordsChanged = keywordsOf(current.flags).join(" ") !== keywordsOf(flags).join(" ");
      current.flags = new Set(flags);
      if (keywordsChanged) await this.saveUidList();
      this.notify();
    });
  }

  /** RFC 3501 §6.3.11 APPEND (and COPY's target): stores a message, returns it with its UID. */
  async append(content: Buffer, flags: Set<string>, receivedAt?: Date): Promise<StoredMessage> {
    const letters = [...flags].map((flag) => SYSTEM_FLAGS[flag]).filter(Boolean).sort().join("");
    // No flags at all: into new/, like delivered mail; otherwise cur/ with its flags.
    const path = await storeMessage(this.directory, content, { flags: flags.size === 0 ? undefined : letters, receivedAt, fsync: true });
    const base = path.slice(path.lastIndexOf("/") + 1).split(":")[0];
    await this.refresh();
    const stored = this.messages.find((m) => m.base === base);
    if (!stored) throw new StoreError("SERVERBUG", "the appended message vanished before it got its UID");
    const keywords = keywordsOf(flags);
    if (keywords.length > 0) await this.setFlags(stored, new Set([...stored.flags, ...keywords]));
    return stored;
  }

  /** RFC 3501 §6.4.3 EXPUNGE: removes these messages for good. */
  expunge(doomed: StoredMessage[]): Promise<void> {
    return this.exclusive(async () => {
      const uids = new Set(doomed.map((m) => m.uid));
      for (const message of this.messages) {
        if (!uids.has(message.uid)) continue;
        await unlink(join(this.directory, message.dir, message.name)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw err; // already gone is as good as removed
        });
      }
      this.messages = this.messages.filter((m) => !uids.has(m.uid));
      await this.saveUidList();
      this.notify();
    });
  }
}

export interface UidList {
  uidValidity: number;
  uidNext: number;
  /** Ascending UIDs, each with its message's file name up to ":" and its keywords. */
  entries: { uid: number; base: string; keywords: string[] }[];
}

/**
 * A folder's imap-uidlist as written (see the top of this file); null when there is none yet (no
 * IMAP client has opened the folder) or it is damaged. Only reads: the console uses it too.
 */
export async function readUidList(directory: string): Promise<UidList | null> {
  const text = await readFile(join(directory, "imap-uidlist"), "utf8").catch(() => "");
  const [header, ...lines] = text.split("\n");
  const match = /^(\d+) (\d+)$/.exec(header ?? "");
  if (!match) return null;
  const list: UidList = { uidValidity: Number(match[1]), uidNext: Number(match[2]), entries: [] };
  for (const line of lines) {
    const [uid, base, keywords = ""] = line.split("\t");
    if (!/^\d+$/.test(uid ?? "") || !base || Number(uid) >= list.uidNext) continue;
    const last = list.entries.at(-1);
    if (last && last.uid >= Number(uid)) continue; // never out of order, never twice
    list.entries.push({ uid: Number(uid), base, keywords: keywords.split(" ").filter(Boolean) });
  }
  return list;
}

/** Flags from a Maildir name ("…:2,FS" → \Flagged \Seen) plus keywords kept elsewhere. */
export function flagsOf(name: string, keywords: Iterable<string>): Set<string> {
  const flags = new Set<string>();
  const info = name.includes(":2,") ? name.slice(name.indexOf(":2,") + 3) : "";
  for (const letter of info) if (FLAG_OF_LETTER[letter]) flags.add(FLAG_OF_LETTER[letter]);
  for (const keyword of keywords) flags.add(keyword);
  return flags;
}

function keywordsOf(flags: Set<string>): string[] {
  return [...flags].filter((flag) => !flag.startsWith("\\")).sort();
}

/** The W= field of a Dovecot-style name (size with CRLF line endings), if present. */
function crlfSizeFromName(fileName: string): number | null {
  const match = /,W=(\d+)/.exec(fileName.split(":")[0]);
  return match ? Number(match[1]) : null;
}

async function crlfSizeOfFile(path: string): Promise<number> {
  return toCrlf(await readFile(path)).length;
}

/** LF → CRLF (a CR already there is kept): Maildir files use LF, IMAP always sends CRLF. */
export function toCrlf(content: Buffer): Buffer {
  let bare = 0;
  for (let lf = content.indexOf(10); lf !== -1; lf = content.indexOf(10, lf + 1)) if (lf === 0 || content[lf - 1] !== 13) bare++;
  if (bare === 0) return content;
  const out = Buffer.allocUnsafe(content.length + bare);
  let at = 0;
  let start = 0;
  for (let lf = content.indexOf(10); lf !== -1; lf = content.indexOf(10, lf + 1)) {
    if (lf > 0 && content[lf - 1] === 13) continue;
    at += content.copy(out, at, start, lf);
    out[at++] = 13;
    start = lf;
  }
  content.copy(out, at, start);
  return out;
}
