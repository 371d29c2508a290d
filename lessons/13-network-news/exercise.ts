// Lesson 13 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 13
// Stuck? npm run hint 13
//
// Part 1: an NNTP client (RFC 3977) over a raw TCP socket, one method per command, like
// Python's nntplib. Use node:net only: the checker reads this file and rejects NNTP
// libraries and the playground's own code.
//
//   const client = await NntpClient.connect("127.0.0.1", 1119);
//   await client.group("comp.lang.python");   → { name, count: 18, first: 1201, last: 1218 }
//   await client.xhdr("Subject", "1218");     → [{ number: 1218, value: "Re: socket.recv …" }]
//   await client.body(1218);                  → ["Sorry for the very late answer, …", …]
//   await client.quit();
//
// Part 2: the newsreader of Core Python Programming's exercises 17-12 to 17-16:
// firstAndLatest, meaningfulLines, search and buildThreads (the last three need no network).

import { todo } from "../not-implemented.ts";

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

/** An error the server answered: `code` is its three-digit reply code (411, 423, 441 …). */
export class NntpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * - Every reply starts with a status line: three digits, a space, text ("211 18 1201 1218
 *   comp.lang.python"). A code other than the one the command expects (411 no such group,
 *   423 no such article …): reject with an NntpError whose message contains the server's
 *   line — but never a password.
 * - OVER, XHDR, HEAD and BODY answer with more lines after the status line, ending with a
 *   line that is exactly ".". Any other line that starts with "." had one extra "." added
 *   by the server (dot-stuffing): remove it. POST does the opposite: add a "." in front.
 * - TCP gives you bytes in any pieces: a line may arrive in several 'data' events, and one
 *   event may hold several lines. Keep the bytes you have not read yet between events.
 * - Articles are UTF-8: cut the bytes into lines first, then decode each line.
 */
export class NntpClient {
  /** The server's greeting, e.g. "200 news server ready (posting ok)". */
  greeting = "";

  /** Connects and reads the greeting (the server speaks first: 200, or 201 if you may not post). */
  static async connect(host: string, port: number): Promise<NntpClient> {
    todo("NntpClient.connect");
  }

  /** AUTHINFO USER, then AUTHINFO PASS (RFC 4643): 381 asks for the password, 281 welcomes you. */
  async login(user: string, password: string): Promise<void> {
    todo("NntpClient.login");
  }

  /** GROUP name: selects the group. "211 count first last name" → { name, count, first, last }. */
  async group(name: string): Promise<GroupInfo> {
    todo("NntpClient.group");
  }

  /** STAT [number|<message-id>]: "223 number <message-id>". Without an argument: the current article. */
  async stat(article?: number | string): Promise<ArticlePointer> {
    todo("NntpClient.stat");
  }

  /** NEXT: moves the current article pointer forward to the next article that exists. */
  async next(): Promise<ArticlePointer> {
    todo("NntpClient.next");
  }

  /** LAST: moves the current article pointer back to the previous article that exists. */
  async last(): Promise<ArticlePointer> {
    todo("NntpClient.last");
  }

  /** OVER range ("1201-1210", "1201-", "1205"): 224, then one tab-separated line per article. */
  async over(range: string | number): Promise<Overview[]> {
    todo("NntpClient.over");
  }

  /** XHDR header range: 221, then one "number value" line per article. */
  async xhdr(header: string, range: string | number): Promise<HeaderValue[]> {
    todo("NntpClient.xhdr");
  }

  /** HEAD [number|<message-id>]: 221, then the header lines. */
  async head(article?: number | string): Promise<string[]> {
    todo("NntpClient.head");
  }

  /** BODY [number|<message-id>]: 222, then the body lines, dot-unstuffed, without "\r\n". */
  async body(article?: number | string): Promise<string[]> {
    todo("NntpClient.body");
  }

  /** POST: 340 "send it", the article dot-stuffed with CRLF line endings, ".", then 240 "posted". */
  async post(article: string): Promise<void> {
    todo("NntpClient.post");
  }

  /** QUIT: "205", then the server closes the connection. */
  async quit(): Promise<void> {
    todo("NntpClient.quit");
  }
}

/**
 * Exercise 17-12: the first and the latest article of the group that really EXIST. GROUP's
 * first and last numbers are only bounds: those articles may have expired (the server
 * answers 423 for them). Hint: right after GROUP, a bare STAT names the first article present.
 */
export async function firstAndLatest(
  client: NntpClient,
  group: string,
): Promise<{ first: ArticlePointer; latest: ArticlePointer }> {
  todo("firstAndLatest");
}

/**
 * Exercises 17-11/17-13: the first `limit` lines of a body worth reading.
 * - Skip quoted text (lines starting with ">" or "|") and attribution lines (starting
 *   with "In article", or ending with "wrote:" or "writes:", in any case).
 * - Keep Python prompts: a line starting with ">>> " (or that is just ">>>") is code, not a quote.
 * - Collapse runs of blank lines into one; no blank line at the start or at the end.
 * - `limit` counts the lines that are not blank. Trailing spaces are removed.
 */
export function meaningfulLines(lines: string[], limit = 20): string[] {
  todo("meaningfulLines");
}

/**
 * Exercises 17-14/17-15: the articles whose subject or body matches `query`, in their order.
 * - Terms are separated by spaces; AND and OR (in capitals) join them; two terms with
 *   nothing between them mean AND. AND binds tighter than OR: "a b OR c" = "(a AND b) OR c".
 * - A term matches WHOLE words, case-insensitively: "recv" matches "RECV()" but not
 *   "recvfrom". A word is made of ASCII letters, digits and "_"; any other character ends it.
 * - A query with no terms at all: throw an Error.
 */
export function search<T extends { subject: string; body: string }>(articles: T[], query: string): T[] {
  todo("search");
}

export interface Thread<T> {
  article: T;
  replies: Thread<T>[];
}

/**
 * Exercise 17-16: the discussion trees, from each article's References (oldest first).
 * - An article's parent is the LAST of its references that is in `overviews`: when the
 *   direct parent has expired, the reply goes under its grandparent (or older).
 * - An article with no reference in `overviews` starts a thread (orphans are never dropped).
 * - Threads and replies are in article-number order. A reference to an article with a
 *   higher number does not count (it cannot be a parent, and would allow loops).
 */
export function buildThreads<T extends { number: number; messageId: string; references: string[] }>(
  overviews: T[],
): Thread<T>[] {
  todo("buildThreads");
}
