// Wrong answer: lets the playground's LineReader do the line reading and dot-unstuffing
// It lets the playground's LineReader read lines and do the dot-unstuffing.
// (The reference solution with that one mistake; see spec.test.ts.)
// An NNTP client (RFC 3977) written by hand over a plain TCP socket, one method per
// command, like Python's nntplib — and the newsreader pieces of Core Python
// Programming's exercises 17-12 to 17-16 built on it.

import net from "node:net";
import { LineReader } from "../../../servers/line-protocol.ts";

/** GROUP's answer: "211 count first last name" (RFC 3977 §6.1.1). */
export interface GroupInfo {
  name: string;
  count: number; // an estimate: the server may count articles that are gone
  first: number; // the low water mark
  last: number; // the high water mark
}

/** An article's number in the selected group and its Message-ID, as STAT/NEXT/LAST say. */
export interface ArticlePointer {
  number: number;
  messageId: string;
}

/** One line of OVER's answer (RFC 3977 §8.3): the headers a newsreader lists, tab-separated. */
export interface Overview {
  number: number;
  subject: string;
  from: string;
  date: string;
  messageId: string;
  references: string[]; // the Message-IDs of the thread above this article, oldest first
  bytes: number;
  lines: number;
}

/** One XHDR answer line: "1234 the header's value". */
export interface HeaderValue {
  number: number;
  value: string;
}

/** An error the server answered: `code` is its three-digit reply code. */
export class NntpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class NntpClient {
  private readonly reader: LineReader;
  private wake: (() => void) | null = null; // resolves the reader waiting for more bytes
  private closedBecause: string | null = null; // set once the connection is gone

  private constructor(
    private readonly socket: net.Socket,
    private readonly where: string,
  ) {
    this.reader = new LineReader(socket);
    socket.on("end", () => this.gone("the server closed the connection"));
    socket.on("error", (err) => this.gone(`connection error: ${err.message}`));
    socket.on("close", () => this.gone("the connection closed"));
  }

  /** The server's greeting, e.g. "200 news server ready (posting ok)". */
  greeting = "";

  /** Connects and reads the greeting (RFC 3977 §5.1: 200 posting allowed, 201 not). */
  static async connect(host: string, port: number): Promise<NntpClient> {
    const socket = net.connect(port, host);
    const client = new NntpClient(socket, `${host}:${port}`);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", (err) =>
        reject(new Error(`cannot connect to the news server at ${host}:${port}: ${err.message} — is npm start running?`)),
      );
    });
    client.greeting = await client.readStatus("greeting", [200, 201]);
    return client;
  }

  /** AUTHINFO USER, then AUTHINFO PASS (RFC 4643 §2.3): 381 "send the password", 281 "welcome". */
  async login(user: string, password: string): Promise<void> {
    await this.command(`AUTHINFO USER ${user}`, "AUTHINFO USER", [281, 381]);
    await this.command(`AUTHINFO PASS ${password}`, "AUTHINFO PASS", [281]); // the name, never the password, in errors
  }

  /** GROUP (§6.1.1): selects a group; "211 count first last name". */
  async group(name: string): Promise<GroupInfo> {
    const [, count, first, last, groupName] = (await this.command(`GROUP ${name}`, "GROUP", [211])).split(" ");
    return { name: groupName ?? name, count: Number(count), first: Number(first), last: Number(last) };
  }

  /** STAT (§6.2.4): does this article exist? With a number it also moves the current article pointer. */
  async stat(article?: number | string): Promise<ArticlePointer> {
    return pointer(await this.command(article === undefined ? "STAT" : `STAT ${article}`, "STAT", [223]));
  }

  /** NEXT (§6.1.4): moves the current article pointer to the next article that exists. */
  async next(): Promise<ArticlePointer> {
    return pointer(await this.command("NEXT", "NEXT", [223]));
  }

  /** LAST (§6.1.3): moves the current article pointer to the previous article that exists. */
  async last(): Promise<ArticlePointer> {
    return pointer(await this.command("LAST", "LAST", [223]));
  }

  /** OVER (§8.3): one overview line per article in the range ("1201-1210", "1201-", "1205"). */
  async over(range: string | number): Promise<Overview[]> {
    await this.command(`OVER ${range}`, "OVER", [224]);
    return (await this.readMultiLine()).map((line) => {
      const [number, subject, from, date, messageId, references, bytes, lines] = line.split("\t");
      return {
        number: Number(number),
        subject: subject ?? "",
        from: from ?? "",
        date: date ?? "",
        messageId: messageId ?? "",
        references: (references ?? "").split(" ").filter((id) => id !== ""),
        bytes: Number(bytes),
        lines: Number(lines),
      };
    });
  }

  /** XHDR (RFC 2980 §2.6, HDR in RFC 3977 §8.5): one header of every article in the range. */
  async xhdr(header: string, range: string | number): Promise<HeaderValue[]> {
    await this.command(`XHDR ${header} ${range}`, "XHDR", [221]);
    return (await this.readMultiLine()).map((line) => {
      const space = line.indexOf(" ");
      return { number: Number(line.slice(0, space)), value: line.slice(space + 1) };
    });
  }

  /** HEAD (§6.2.2): the article's header lines (by number, by <Message-ID>, or the current one). */
  async head(article?: number | string): Promise<string[]> {
    await this.command(article === undefined ? "HEAD" : `HEAD ${article}`, "HEAD", [221]);
    return this.readMultiLine();
  }

  /** BODY (§6.2.3): the article's body lines, dot-unstuffed, without their "\r\n". */
  async body(article?: number | string): Promise<string[]> {
    await this.command(article === undefined ? "BODY" : `BODY ${article}`, "BODY", [222]);
    return this.readMultiLine();
  }

  /**
   * POST (§6.3.1): 340 "send it", then the article (headers, blank line, body) dot-stuffed,
   * ending with a line that is only "."; 240 means it was accepted.
   */
  async post(article: string): Promise<void> {
    await this.command("POST", "POST", [340]);
    const lines = article.replace(/\r?\n$/, "").split(/\r?\n/);
    const stuffed = lines.map((line) => (line.startsWith(".") ? `.${line}` : line)); // "." → "..", ".x" → "..x"
    this.socket.write(`${stuffed.join("\r\n")}\r\n.\r\n`);
    await this.readStatus("POST", [240]);
  }

  /** QUIT (§5.4): "205 bye", then the server closes the connection. */
  async quit(): Promise<void> {
    await this.command("QUIT", "QUIT", [205]);
    this.socket.end();
  }

  /** Sends one command line and reads its status line; a code not in `ok` becomes an NntpError. */
  private async command(line: string, name: string, ok: number[]): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.readStatus(name, ok);
  }

  /**
   * Reads a status line: three digits, a space, text (RFC 3977 §3.2). 1xx informative,
   * 2xx done, 3xx go on (send more), 4xx the command was right but cannot be done
   * (411 no such group, 423 no such article), 5xx the command itself is wrong.
   */
  private async readStatus(name: string, ok: number[]): Promise<string> {
    const text = (await this.readLine()).trim();
    const code = Number(text.slice(0, 3));
    if (!/^\d{3}( |$)/.test(text)) throw new Error(`NNTP ${name}: not an NNTP reply: ${JSON.stringify(text)}`);
    if (!ok.includes(code)) throw new NntpError(code, `NNTP ${name} failed: the server said ${text}`);
    return text;
  }

  /**
   * Reads a multi-line answer (RFC 3977 §3.1.1): lines until one that is exactly ".".
   * A line that starts with "." was sent with one more "." in front ("dot-stuffed"),
   * so that it can never look like the end: remove that first ".".
   */
  private async readMultiLine(): Promise<string[]> {
    const block = (await this.reader.readDotBlock()).toString("utf8");
    return block === "" ? [] : block.replace(/\r\n$/, "").split("\r\n");
  }

  /**
   * The next line, without its "\r\n", decoded as UTF-8. TCP delivers any number of bytes
   * per 'data' event: a line may come in many pieces, or many lines in one piece. We cut
   * the BYTES at "\n" first, so a character split between two pieces is decoded whole.
   */
  private async readLine(): Promise<string> {
    const line = await this.reader.readLine();
    if (line === null) throw new Error(`news server ${this.where}: ${this.closedBecause ?? "closed"} in the middle of an answer`);
    return line;
  }

  private gone(reason: string): void {
    this.closedBecause ??= reason;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** "223 1234 <id@host> …" → { number: 1234, messageId: "<id@host>" }. */
function pointer(status: string): ArticlePointer {
  const [, number, messageId] = status.split(" ");
  return { number: Number(number), messageId: messageId ?? "" };
}

/**
 * Exercise 17-12: the first and the latest article of a group that really exist. GROUP's
 * low and high water marks are only bounds: the articles they name may have expired (a
 * server deletes old articles, and the numbers are never given out again). After GROUP
 * the current article pointer is on the first article that exists (§6.1.1), so a bare
 * STAT names it; from the high water mark we walk down until STAT stops answering 423.
 */
export async function firstAndLatest(
  client: NntpClient,
  group: string,
): Promise<{ first: ArticlePointer; latest: ArticlePointer }> {
  const { count, first, last } = await client.group(group);
  if (count === 0 || last < first) throw new Error(`the group ${group} is empty`);
  const firstArticle = await client.stat(); // the current article: the first one present
  for (let number = last; number >= firstArticle.number; number--) {
    try {
      return { first: firstArticle, latest: await client.stat(number) };
    } catch (err) {
      if (!(err instanceof NntpError && err.code === 423)) throw err; // 423: no article with that number
    }
  }
  return { first: firstArticle, latest: firstArticle };
}

/**
 * Exercises 17-11/17-13: the first `limit` lines of a body worth reading. Skipped: quoted
 * text (lines starting with ">" or "|") and attribution lines ("In article <…>, … wrote:",
 * "Tom <tom@x> writes:"). Kept: Python prompts (">>> " or a bare ">>>"), which look like
 * quotes but are code. Runs of blank lines become one; no blank line at the start or the
 * end; `limit` counts the lines that are not blank.
 */
export function meaningfulLines(lines: string[], limit = 20): string[] {
  const kept: string[] = [];
  let count = 0;
  for (const raw of lines) {
    if (count === limit) break;
    const line = raw.trimEnd();
    if (line === "") {
      if (kept.length > 0 && kept.at(-1) !== "") kept.push(""); // at most one blank line in a row
      continue;
    }
    if (isQuoteOrAttribution(line)) continue;
    kept.push(line);
    count++;
  }
  if (kept.at(-1) === "") kept.pop();
  return kept;
}

function isQuoteOrAttribution(line: string): boolean {
  const pythonPrompt = /^>>>( |$)/.test(line);
  if ((line.startsWith(">") && !pythonPrompt) || line.startsWith("|")) return true;
  const lower = line.toLowerCase();
  return lower.startsWith("in article") || lower.endsWith("wrote:") || lower.endsWith("writes:");
}

/**
 * Exercises 17-14/17-15: the articles whose subject or body matches `query`.
 * - Terms are separated by spaces; `AND` and `OR` (in capitals) join them; two terms with
 *   nothing between them mean AND. AND binds tighter than OR, as in SQL and most search
 *   engines: "a b OR c" is "(a AND b) OR c".
 * - A term matches whole words, case-insensitively: "recv" matches "RECV()" but not
 *   "recvfrom". A word is made of ASCII letters, digits and "_"; anything else ends it (so a
 *   Chinese term, written without spaces, matches inside a sentence).
 */
export function search<T extends { subject: string; body: string }>(articles: T[], query: string): T[] {
  // "a b OR c AND d" → [["a", "b"], ["c", "d"]]: any alternative whose terms all match.
  const alternatives = query
    .trim()
    .split(/\s+OR\s+/)
    .map((part) => part.split(/\s+/).filter((term) => term !== "" && term !== "AND" && term !== "OR"))
    .filter((terms) => terms.length > 0);
  if (alternatives.length === 0) throw new Error(`nothing to search for in the query ${JSON.stringify(query)}`);
  const matchers = alternatives.map((terms) => terms.map(wordMatcher));
  return articles.filter((article) =>
    matchers.some((terms) => terms.every((term) => term.test(article.subject) || term.test(article.body))),
  );
}

function wordMatcher(term: string): RegExp {
  const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`, "i");
}

export interface Thread<T> {
  article: T;
  replies: Thread<T>[];
}

/**
 * Exercise 17-16: the discussion trees of a group, from the References: header. An article's
 * parent is the LAST of its references that we have: when the direct parent has expired,
 * the reply hangs under its grandparent rather than floating alone. An article with no
 * reference we have starts a thread of its own (an orphan is still shown). Threads and
 * replies are in article-number order, which is arrival order.
 */
export function buildThreads<T extends { number: number; messageId: string; references: string[] }>(
  overviews: T[],
): Thread<T>[] {
  const sorted = [...overviews].sort((a, b) => a.number - b.number);
  const nodes = new Map<string, Thread<T>>();
  for (const article of sorted) nodes.set(article.messageId, { article, replies: [] });

  const roots: Thread<T>[] = [];
  for (const article of sorted) {
    const node = nodes.get(article.messageId)!;
    // A real reply arrives after what it answers: a reference to a LATER article does not
    // count (it would allow a loop, A under B under A, and both would vanish from the tree).
    const parentId = [...article.references]
      .reverse()
      .find((id) => (nodes.get(id)?.article.number ?? Infinity) < article.number);
    if (parentId === undefined) roots.push(node);
    else nodes.get(parentId)!.replies.push(node);
  }
  return roots;
}
