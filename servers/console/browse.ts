// The console's views of what the servers stored: mailboxes, the FTP tree, newsgroups.
// The router in ./index.ts hands every /console/api/… request here first:
//
//   GET /console/api/mailboxes…   browse-mail.ts   the Maildirs under <dataDir>/mail
//   GET /console/api/ftp…         browse-ftp.ts    <dataDir>/ftp/pub and the homes
//   GET /console/api/news…        browse-news.ts   the spool under <dataDir>/news
//
// Everything here only READS, beside servers that are running and writing: it uses the servers'
// own reading code (Maildrop, MailStore, SandboxFileSystem, NewsStore) in its read-only forms,
// never locks a mailbox (a POP3 client must never be told "mailbox busy" because a teacher is
// looking) and never renames or writes a file — the servers' atomic renames stay theirs.
//
// Every answer is JSON, errors too: {"error": "…"} with 400 (a bad request), 403 (not yours to
// see), 404 (no such thing) or 405 (not GET). An error never shows a stack or a path on the disk.

import type http from "node:http";
import type { Viewer } from "./viewer.ts";
import { sendJson as answerJson } from "./json.ts";

/** The console's one JSON answer (./json.ts), for the browse areas, whose handlers return nothing. */
export const sendJson = (...args: Parameters<typeof answerJson>): void => void answerJson(...args);

export interface BrowseContext {
  /** The playground's data dir: Maildirs, FTP files, news spool live under it. */
  dataDir: string;
}

/** A request the browse part cannot answer; `message` is safe to show (it names no path on disk). */
export class BrowseError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 405,
    message: string,
  ) {
    super(message);
  }
}

/** One request as the browse handlers see it: the path below /console/api/, split and decoded. */
export interface BrowseRequest {
  /** E.g. ["mailboxes", "friend@example.org", "INBOX", "<id>", "raw"]. */
  segments: string[];
  query: URLSearchParams;
  viewer: Viewer;
  context: BrowseContext;
  response: http.ServerResponse;
  head: boolean;
}

// Each area is loaded on its first request, not at start: the mail views pull in mailparser, and
// `npm start` should not spend its first second on a page nobody has opened yet.
const AREAS: Record<string, (request: BrowseRequest) => Promise<void>> = {
  mailboxes: async (request) => (await import("./browse-mail.ts")).browseMail(request),
  ftp: async (request) => (await import("./browse-ftp.ts")).browseFtp(request),
  news: async (request) => (await import("./browse-news.ts")).browseNews(request),
};

/** Answers /console/api/mailboxes…, /console/api/ftp…, /console/api/news…; false if the path is not one of these. */
export async function handleBrowse(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  path: string,
  viewer: Viewer,
  context: BrowseContext,
): Promise<boolean> {
  const rest = path.slice("/console/api/".length).split("/");
  const area = AREAS[rest[0]];
  if (!area) return false;
  try {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      throw new BrowseError(405, `${request.method} is not allowed here: what the servers stored is only looked at (GET)`);
    }
    const query = new URL(request.url ?? "/", "http://playground").searchParams;
    await area({ segments: rest.filter((segment, at) => at === 0 || segment !== "").map(decodeSegment), query, viewer, context, response, head: request.method === "HEAD" });
  } catch (err) {
    if (response.headersSent) {
      response.destroy(); // a download broke off half-way: the client sees a cut connection, not a wrong file
    } else if (err instanceof BrowseError) {
      sendJson(response, err.status, { error: err.message });
    } else {
      // Node's own errors name paths on the disk: never send their text.
      const code = (err as NodeJS.ErrnoException).code;
      sendJson(response, 500, { error: `the server could not read that${code ? ` (${code})` : ""}` });
    }
  }
  return true;
}

/** A piece of the request, quoted in an error message: at most 80 characters. */
export function shown(text: string): string {
  return text.length > 80 ? text.slice(0, 80) + "…" : text;
}

/** "%2e%2e" is "..": decoding happens here, once, before any check looks at a segment. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BrowseError(400, `"${segment.slice(0, 60)}" is not a valid URL path segment (bad % escape)`);
  }
}

// ---------------------------------------------------------------------------------------
// Answers.


export function sendBytes(request: BrowseRequest, type: string, body: Buffer, headers: Record<string, string> = {}): void {
  request.response.writeHead(200, { "Content-Type": type, "Content-Length": body.length, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", ...headers });
  request.response.end(request.head ? undefined : body);
}

/**
 * Headers for a download: always "attachment" (the browser saves it, never shows it in the
 * console's origin), always application/octet-stream with nosniff (a file called x.html that is
 * really a script stays a bag of bytes), and a file name that cannot break out of its quotes.
 */
export function downloadHeaders(filename: string): Record<string, string> {
  return {
    "Content-Disposition": `attachment; filename="${safeFilename(filename)}"; filename*=UTF-8''${encodeURIComponent(filename.replace(/[\0-\x1f\x7f/\\]/g, "_"))}`,
    "Content-Security-Policy": "default-src 'none'; sandbox",
  };
}

/** A file name that is plain ASCII without quotes, slashes or control characters, e.g. "report_2026.pdf". */
export function safeFilename(name: string): string {
  const plain = name
    .normalize("NFKD")
    .replace(/[^\w.\- ]+/g, "_")
    .replace(/^[.\s]+/, "")
    .slice(0, 120);
  return plain === "" || /^_+$/.test(plain) ? "download" : plain;
}

/** `count` items from `offset` in `items`, from ?offset= and ?limit= (at most 200 at a time). */
export function page<T>(items: T[], query: URLSearchParams, defaultLimit = 50): { items: T[]; offset: number; limit: number; total: number } {
  const number = (name: string, fallback: number) => {
    const text = query.get(name);
    if (text === null) return fallback;
    if (!/^\d{1,9}$/.test(text)) throw new BrowseError(400, `?${name}= wants a whole number, not "${text.slice(0, 20)}"`);
    return Number(text);
  };
  const offset = number("offset", 0);
  const limit = Math.min(200, Math.max(1, number("limit", defaultLimit)));
  return { items: items.slice(offset, offset + limit), offset, limit, total: items.length };
}
