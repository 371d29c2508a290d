// The news spool: the groups, their article numbers, and the articles on disk.
//
//   <dataDir>/news/active.json               the "active file": every group with its description,
//                                            its HIGH WATER MARK (the last number ever given) and
//                                            when it was created
//   <dataDir>/news/groups/comp.lang.python/1201   one file per article per group, named by number
//   <dataDir>/news/tmp/                      articles being written — never read from here
//
// This is the "traditional spool" INN used for decades: an article crossposted to two groups
// is ONE file with a second name (a hard link) in the other group's folder, and its Xref:
// header says which number it has in each group.
//
// Rules that make the numbers trustworthy (a newsreader remembers "I have read up to 1234"):
// - Numbers are never reused. The high water mark is STORED in active.json, not worked out
//   from the files present, so a removed article (or a restart) can never hand its number out
//   again. The active file is updated BEFORE the article appears: a crash in between only
//   leaves a gap.
// - Articles are never half-written: the file is written in tmp/, flushed to the disk
//   (fsync), and only then linked into the group folders. A reader sees all of it or nothing.
// - Files use LF line endings (like Maildir); on the wire they get CRLF (DotStuffer).
// - What readers ask about most (numbers, Message-IDs, the overview fields OVER lists) is kept
//   in memory, rebuilt from the files at every start: the files are the truth. Only that: every
//   other header stays on disk (HDR reads it there), and each kept value is at most
//   MAX_OVERVIEW_VALUE characters, so an article costs the index a few KB however big its
//   headers are (a poster's 15 headers of 60 KB once cost 1 MB of memory per article, for good).

import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";

export interface NewsGroup {
  name: string;
  description: string;
  /** The high water mark: the last number ever given in this group (stored, never derived). */
  high: number;
  /** When the group was created (NEWGROUPS). */
  created: Date;
  /** The articles present, by number; `numbers` lists them in increasing order. */
  articles: Map<number, StoredArticle>;
  numbers: number[];
}

export interface StoredArticle {
  messageId: string;
  /** One of its files (a crossposted article has one name per group, all the same file). */
  file: string;
  /**
   * The overview fields (RFC 3977 §8.4) that OVER and HDR answer from memory, unfolded, each at
   * most MAX_OVERVIEW_VALUE characters; a header the article does not have is absent.
   */
  overview: Partial<Record<OverviewHeader, string>>;
  /** Octets as ARTICLE sends them: CRLF line endings counted, before dot-stuffing (the :bytes metadata). */
  bytes: number;
  /** Lines in the body (the :lines metadata). */
  lines: number;
  /** When the server got it (NEWNEWS); kept as the file's modification time. */
  arrived: Date;
}

/** The active file's form. */
interface ActiveEntry {
  name: string;
  description: string;
  high: number;
  created: string;
}

/** Why an article cannot be stored: the text goes into the 441 reply. */
export class ArticleRefused extends Error {}

/** Longest Message-ID (RFC 3977 §3.6). */
const MAX_MESSAGE_ID = 250;

/** The headers of an overview line, in the order of LIST OVERVIEW.FMT (RFC 3977 §8.4). */
export const OVERVIEW_HEADERS = ["Subject", "From", "Date", "Message-ID", "References"] as const;
export type OverviewHeader = (typeof OVERVIEW_HEADERS)[number];

/**
 * The longest header value OVER and HDR give: 998 characters, RFC 5322 §2.1.1's limit for a
 * line. Longer values are cut there (References loses whole Message-IDs from its middle
 * instead, RFC 5537 §3.4.4); ARTICLE and HEAD always send the whole header.
 */
export const MAX_OVERVIEW_VALUE = 998;
/** The name this server adds to Path: (RFC 5536 §3.1.5). */
export const PATH_IDENTITY = "playground";

export class NewsStore {
  readonly groups: NewsGroup[] = [];
  private readonly byId = new Map<string, StoredArticle>();
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly fsync: boolean,
  ) {}

  /**
   * Opens an existing spool: reads active.json and every article's headers. `readOnly` (the
   * console, looking beside a running server): no cleaning of tmp/, no folder made — a post being
   * written in tmp/ right now is the server's, and must not be thrown away.
   */
  static async open(dir: string, options: { fsync?: boolean; readOnly?: boolean } = {}): Promise<NewsStore> {
    const store = new NewsStore(dir, options.fsync ?? true);
    const activeFile = join(dir, "active.json");
    let active: ActiveEntry[];
    try {
      active = JSON.parse(await readFile(activeFile, "utf8")) as ActiveEntry[];
    } catch (err) {
      throw new Error(`cannot read the news active file ${activeFile} (${(err as Error).message}) — delete ${dir} to start with fresh news`);
    }
    // Leftovers of a crash mid-write were never visible to anyone: throw them away.
    if (!options.readOnly) {
      await rm(join(dir, "tmp"), { recursive: true, force: true });
      await mkdir(join(dir, "tmp"), { recursive: true });
    }
    for (const entry of active) {
      const group = store.addGroup(entry.name, entry.description, entry.high, new Date(entry.created));
      const folder = store.groupFolder(group.name);
      if (!options.readOnly) await mkdir(folder, { recursive: true });
      const names = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
        if (options.readOnly && err.code === "ENOENT") return [] as string[];
        throw err;
      });
      const numbers = names.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
      // Read 32 files at a time (the disk and the OS cache like a few requests in flight).
      for (let at = 0; at < numbers.length; at += 32) {
        const batch = numbers.slice(at, at + 32);
        const read = await Promise.all(batch.map(async (number) => {
          const file = join(folder, String(number));
          const [content, info] = await Promise.all([readFile(file), stat(file)]);
          return { number, article: describeArticle(file, content, info.mtime) };
        }));
        for (const { number, article: found } of read) {
          // A crossposted article is one file with several names: one entry, shared by the groups.
          const messageId = found.messageId || `<missing-${number}@${group.name}>`;
          const article = store.byId.get(messageId) ?? found;
          store.byId.set(messageId, article);
          group.articles.set(number, article);
          group.numbers.push(number);
          group.high = Math.max(group.high, number); // only if active.json was edited by hand
        }
      }
    }
    return store;
  }

  /** Makes a new, empty spool in `dir` (which must not exist yet) with these groups. */
  static async create(dir: string, groups: { name: string; description: string; firstNumber: number; created: Date }[], options: { fsync?: boolean } = {}): Promise<NewsStore> {
    const store = new NewsStore(dir, options.fsync ?? true);
    await mkdir(join(dir, "tmp"), { recursive: true });
    for (const { name, description, firstNumber, created } of groups) {
      if (!/^[a-z0-9][a-z0-9+_-]*(\.[a-z0-9+_-]+)*$/.test(name)) throw new Error(`"${name}" is not a newsgroup name (lower-case words joined by dots, e.g. comp.lang.python)`);
      if (store.group(name)) throw new Error(`the newsgroup ${name} is listed twice`);
      if (!Number.isInteger(firstNumber) || firstNumber < 1) throw new Error(`${name}: firstNumber must be a whole number ≥ 1`);
      store.addGroup(name, description, firstNumber - 1, created);
      await mkdir(store.groupFolder(name), { recursive: true });
    }
    await store.saveActive();
    return store;
  }

  group(name: string): NewsGroup | undefined {
    return this.groups.find((group) => group.name === name);
  }

  article(messageId: string): StoredArticle | undefined {
    return this.byId.get(messageId);
  }

  /** The stored file (LF line endings). */
  read(article: StoredArticle): Promise<Buffer> {
    return readFile(article.file);
  }

  /**
   * One header's value for HDR, cut like an overview field: the overview fields from memory,
   * any other header from the file. undefined if the article has no such header (or its file
   * has gone).
   */
  async header(article: StoredArticle, name: string): Promise<string | undefined> {
    const indexed = OVERVIEW_HEADERS.find((header) => header.toLowerCase() === name.toLowerCase());
    if (indexed) return article.overview[indexed];
    const content = await this.read(article).catch(() => null);
    if (content === null) return undefined;
    const value = headerValue(parseHeaders(splitArticle(content).head), name);
    return value === undefined ? undefined : value.slice(0, MAX_OVERVIEW_VALUE);
  }

  /**
   * Files a new article in every group its Newsgroups: header names and returns its
   * Message-ID. `content` is the article as received (CRLF or LF). Adds Message-ID, Date and
   * Path if missing, and Lines and Xref always (RFC 5536 §3). Throws ArticleRefused for an
   * article that cannot be accepted. Posts are stored one at a time, in arrival order.
   */
  post(content: Buffer, arrived = new Date()): Promise<string> {
    const result = this.writing.then(() => this.store(content, arrived));
    this.writing = result.catch(() => {});
    return result;
  }

  private async store(content: Buffer, arrived: Date): Promise<string> {
    if (content.toString("latin1").trim() === "") throw new ArticleRefused("the article is empty: send its headers, a blank line and the body before the \".\" line");
    const { head, body } = splitArticle(toLfLines(content));
    const lines = head.toString("utf8").split("\n").slice(0, -1);
    const bad = lines.find((line, index) => !/^[\x21-\x39\x3b-\x7e]+:/.test(line) && !(index > 0 && /^[ \t]/.test(line)));
    if (bad !== undefined) throw new ArticleRefused(`"${printable(bad)}" is not a header line ("Name: value"); a blank line must separate the headers from the body`);
    // RFC 5322 §2.2 / RFC 5536 §2.2: in a header, CR comes only with LF, as a line ending. A CR
    // alone would be stored, and newsreaders disagree about what it means (a line break? text?).
    const bareCr = lines.find((line) => line.includes("\r"));
    if (bareCr !== undefined) throw new ArticleRefused(`the header line "${printable(bareCr.replace(/\r/g, "\\r"))}" holds a CR without LF: end header lines with CRLF only`);
    const headers = parseHeaders(head);
    for (const name of ["From", "Subject", "Newsgroups"]) {
      if (!headerValue(headers, name)?.trim()) throw new ArticleRefused(`the article has no ${name}: header (From, Subject and Newsgroups are required, RFC 5536 §3.1)`);
    }
    const names = [...new Set(headerValue(headers, "Newsgroups")!.split(",").map((name) => name.trim()).filter(Boolean))];
    const groups = names.map((name) => {
      const group = this.group(name);
      if (!group) throw new ArticleRefused(`no such newsgroup: ${printable(name)} (LIST shows the groups here)`);
      return group;
    });
    if (groups.length === 0) throw new ArticleRefused("the Newsgroups: header names no group");
    let messageId = headerValue(headers, "Message-ID")?.trim();
    if (messageId !== undefined && !isMessageId(messageId)) throw new ArticleRefused(`"${printable(messageId)}" is not a Message-ID like <unique-part@host>`);
    if (messageId !== undefined && this.byId.has(messageId)) throw new ArticleRefused(`duplicate: an article with Message-ID ${messageId} is already here`);

    // The headers we write: Path first (each server that handles an article adds its name
    // in front, RFC 5536 §3.1.5), then the poster's, then what is missing, then Lines and Xref.
    // Xref and Lines are the server's to set: a poster's are dropped.
    const path = headerValue(headers, "Path")?.trim();
    // latin1 maps each byte to one character and back: the poster's header lines are stored byte
    // for byte, even bytes that are not valid UTF-8 (old newsreaders send Latin-1 or GB2312).
    const kept = withoutServerHeaders(head.toString("latin1").split("\n").slice(0, -1));
    const added: string[] = [];
    if (messageId === undefined) {
      messageId = `<${arrived.getTime().toString(36)}.${randomBytes(6).toString("hex")}@${PATH_IDENTITY}>`;
      added.push(`Message-ID: ${messageId}`);
    }
    if (!headerValue(headers, "Date")) added.push(`Date: ${rfc5322Date(arrived)}`);
    const numbers = groups.map((group) => group.high + 1);
    const xref = groups.map((group, index) => `${group.name}:${numbers[index]}`).join(" ");
    const bodyLines = countLf(body);
    const stored = Buffer.concat([
      Buffer.from(
        [`Path: ${path ? `${PATH_IDENTITY}!${path}` : `${PATH_IDENTITY}!not-for-mail`}`, ...kept, ...added, `Lines: ${bodyLines}`, `Xref: ${PATH_IDENTITY} ${xref}`, ""].join("\n") + "\n",
        "latin1",
      ),
      body,
    ]);

    // 1. The article in tmp/, flushed to the disk.
    const temporary = join(this.dir, "tmp", `${Date.now()}.${process.pid}.${randomBytes(4).toString("hex")}`);
    const file = await open(temporary, "wx");
    try {
      await file.writeFile(stored);
      if (this.fsync) await file.sync();
      await file.utimes(arrived, arrived);
    } finally {
      await file.close();
    }
    const finalFiles = groups.map((group, index) => join(this.groupFolder(group.name), String(numbers[index])));
    let taken = false;
    try {
      // 2. The numbers are taken: from now on they are never given out again. Readers still
      //    see the old high water mark until step 4: GROUP must never name an article that
      //    cannot be read yet (posts are stored one at a time, so nobody else takes a number).
      await this.saveActive(new Map(groups.map((group, index) => [group, numbers[index]])));
      taken = true;
      // 3. The article appears in each group ("wx"-like: link fails rather than overwrite).
      for (const final of finalFiles) await link(temporary, final);
    } catch (err) {
      // Numbers once given out stay given out: a failure now leaves a gap, as a crash would.
      if (taken) groups.forEach((group, index) => (group.high = numbers[index]));
      throw err;
    } finally {
      await unlink(temporary).catch(() => {});
    }
    // 4. Readers see it: its number, its Message-ID, the new high water mark, all at once.
    const article = describeArticle(finalFiles[0], stored, arrived);
    this.byId.set(messageId, article);
    groups.forEach((group, index) => {
      group.articles.set(numbers[index], article);
      group.numbers.push(numbers[index]);
      group.high = numbers[index];
    });
    return messageId;
  }

  /** active.json, replaced atomically: written beside it, flushed, renamed over it. `taken`: numbers just given out. */
  private async saveActive(taken = new Map<NewsGroup, number>()): Promise<void> {
    const entries: ActiveEntry[] = this.groups.map((group) => ({
      name: group.name,
      description: group.description,
      high: taken.get(group) ?? group.high,
      created: group.created.toISOString(),
    }));
    const target = join(this.dir, "active.json");
    const temporary = join(this.dir, "tmp", `active.${process.pid}.${randomBytes(4).toString("hex")}.json`);
    const file = await open(temporary, "wx");
    try {
      await file.writeFile(JSON.stringify(entries, null, 2) + "\n");
      if (this.fsync) await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  }

  private addGroup(name: string, description: string, high: number, created: Date): NewsGroup {
    const group: NewsGroup = { name, description, high, created, articles: new Map(), numbers: [] };
    this.groups.push(group);
    return group;
  }

  private groupFolder(name: string): string {
    // Group names come from the active file, never from a client; still, no "..", no "/".
    if (!/^[a-z0-9][a-z0-9+_.-]*$/i.test(name) || name.includes("..")) throw new Error(`"${name}" cannot be a newsgroup folder name`);
    return join(this.dir, "groups", name);
  }
}

// ---------------------------------------------------------------------------------------
// Reading articles.

/** The lowest number present (the low water mark); for an empty group, high + 1 (RFC 3977 §6.1.1.2). */
export function lowWaterMark(group: NewsGroup): number {
  return group.numbers.length > 0 ? group.numbers[0] : group.high + 1;
}

/** Splits an article (LF or CRLF) at the blank line: `head` holds the header lines with their line endings. */
export function splitArticle(content: Buffer): { head: Buffer; body: Buffer } {
  if (content[0] === 0x0a) return { head: content.subarray(0, 0), body: content.subarray(1) };
  if (content[0] === 0x0d && content[1] === 0x0a) return { head: content.subarray(0, 0), body: content.subarray(2) };
  const lf = content.indexOf("\n\n");
  const crlf = content.indexOf("\r\n\r\n");
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { head: content.subarray(0, crlf + 2), body: content.subarray(crlf + 4) };
  if (lf !== -1) return { head: content.subarray(0, lf + 1), body: content.subarray(lf + 2) };
  // No blank line: all headers, no body (the head gets its final line ending).
  const last = content.length > 0 && content[content.length - 1] !== 0x0a ? Buffer.from("\n") : Buffer.alloc(0);
  return { head: Buffer.concat([content, last]), body: Buffer.alloc(0) };
}

/**
 * The poster's header lines without Path, Xref and Lines (the server writes its own). A dropped
 * header goes with its continuation lines: left behind, they would continue the header before it.
 */
function withoutServerHeaders(lines: string[]): string[] {
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    const continues = /^[ \t]/.test(line);
    if (!continues) dropping = /^(path|xref|lines):/i.test(line);
    if (!dropping) kept.push(line);
  }
  return kept;
}

/** The header lines as written, continuation lines included (each without its line ending). */
function rawHeaderLines(head: Buffer): string[] {
  return head.toString("utf8").split("\n").slice(0, -1).map((line) => line.replace(/\r$/, ""));
}

/**
 * Header fields as [name, value], with folded lines joined (RFC 5322 §2.2.3 "unfolding":
 * a line starting with a space or tab continues the previous field).
 */
export function parseHeaders(head: Buffer): [string, string][] {
  const headers: [string, string][] = [];
  for (const line of rawHeaderLines(head)) {
    if (/^[ \t]/.test(line) && headers.length > 0) headers[headers.length - 1][1] += line;
    else {
      const colon = line.indexOf(":");
      if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+/, "")]);
    }
  }
  return headers;
}

/** The value of the first header called `name` (case-insensitive), or undefined. */
export function headerValue(headers: [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([key]) => key.toLowerCase() === lower)?.[1];
}

export function isMessageId(text: string): boolean {
  return text.length <= MAX_MESSAGE_ID && /^<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(text);
}

function describeArticle(file: string, content: Buffer, arrived: Date): StoredArticle {
  const { head, body } = splitArticle(content);
  // All headers are parsed here, but only the overview fields, cut to size, are kept.
  const headers = parseHeaders(head);
  const overview: Partial<Record<OverviewHeader, string>> = {};
  for (const name of OVERVIEW_HEADERS) {
    const value = headerValue(headers, name);
    if (value !== undefined) overview[name] = copyOf(name === "References" ? trimReferences(value) : value.slice(0, MAX_OVERVIEW_VALUE));
  }
  return {
    messageId: copyOf(overview["Message-ID"]?.trim() ?? ""),
    file,
    overview,
    // Every LF in the file becomes CRLF on the wire: one more octet per line.
    bytes: content.length + countLf(content),
    lines: countLf(body),
    arrived,
  };
}

/**
 * A string of its own. In V8 a slice of a string (slice, split, trim …) may be only a view into
 * the original: keeping the 998-character slice would keep the whole 1 MB header block alive.
 * Going through a Buffer makes a fresh copy.
 */
function copyOf(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}

/**
 * References at most MAX_OVERVIEW_VALUE characters, the way RFC 5537 §3.4.4 trims it: Message-IDs
 * go from the middle, the first (the thread's start) and the last ones (the parents) stay.
 */
function trimReferences(value: string): string {
  const [first, ...rest] = value.trim().split(/[ \t]+/);
  const last: string[] = []; // from the end backwards
  let length = first.length;
  for (let at = rest.length - 1; at >= 0 && length + 1 + rest[at].length <= MAX_OVERVIEW_VALUE; at--) {
    last.push(rest[at]);
    length += 1 + rest[at].length;
  }
  return [first, ...last.reverse()].join(" ").slice(0, MAX_OVERVIEW_VALUE);
}

/** CRLF → LF (the spool's form); a last line without a line ending gets one. */
function toLfLines(content: Buffer): Buffer {
  const text = content.toString("latin1").replace(/\r\n/g, "\n");
  return Buffer.from(text.endsWith("\n") || text === "" ? text : text + "\n", "latin1");
}

function countLf(content: Buffer): number {
  let count = 0;
  for (let at = content.indexOf(0x0a); at !== -1; at = content.indexOf(0x0a, at + 1)) count++;
  return count;
}

/** "Mon, 23 Nov 2026 22:54:00 +0000" (RFC 5322 §3.3). */
export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, "+0000");
}

/** Echoing client input into a reply: printable ASCII only, and short. */
export function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 60 ? clean.slice(0, 60) + "…" : clean;
}
