// The playground's NNTP (news) server, written by hand so you can read it next to its RFCs:
//   RFC 3977  Network News Transfer Protocol (the reader commands, POST, OVER, HDR, LIST …)
//   RFC 4643  NNTP Extension for Authentication (AUTHINFO USER / AUTHINFO PASS)
//   RFC 4642  Using TLS with NNTP (the STARTTLS command)
//   RFC 2980  Common NNTP Extensions (XOVER and XHDR, which older clients like Python's nntplib send)
//   RFC 5536  Netnews Article Format (the headers an article must have; Path, Xref)
//
// A reader's session is about "where am I" (RFC 3977 §6.1):
//
//   connected ──GROUP comp.lang.python──▶ group selected, current article = the first one
//   (LIST, NEWNEWS,                        │ NEXT / LAST  move the current article
//    ARTICLE <message-id>)                 │ ARTICLE 1234 reads one AND makes it current
//                                          │ ARTICLE      reads the current one
//                                          ▼ ARTICLE <message-id> reads one, current unchanged
//
// Anyone may read and post on loopback; AUTHINFO is there to be learned (lesson 13). On any
// other address (a classroom) POST needs a login first. Every reply starts with a three-digit
// code (§3.2): 2xx done, 3xx send more (POST's article), 4xx "not now / not here", 5xx "never".
//
// Multi-line replies (ARTICLE, OVER, LIST …) end with a "." line and are dot-stuffed
// (line-protocol.ts), exactly like POP3's RETR; the article files use LF line endings, the
// wire uses CRLF.
//
// This file is NNTP's own: the command table, one handler per command, the session's state.
// Reading lines (512 octets at most), STARTTLS, the idle timer, failed logins, connection caps
// and the --trace transcript are the session layer's (servers/session.ts), shared with POP3.

import type net from "node:net";
import tls from "node:tls";
import { BlockTooBigError, LineTooLongError, UnfinishedBlockError } from "../line-protocol.ts";
import { isLoopback } from "../loopback.ts";
import { RateLimit } from "../rate-limit.ts";
import type { Activity } from "../activity.ts";
import { NNTP_MASK } from "../masks.ts";
import { LineSession, sameSecret, serve, type SessionSettings } from "../session.ts";
import type { Listening } from "../sockets.ts";
import { ArticleRefused, isMessageId, lowWaterMark, NewsStore, OVERVIEW_HEADERS, printable, splitArticle, type NewsGroup, type StoredArticle } from "./newsstore.ts";
import { isWildmat, wildmatMatches } from "./wildmat.ts";

export interface NewsAccount {
  user: string;
  password: string;
}

export interface NntpOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  store: NewsStore;
  accounts: NewsAccount[];
  trace?: (line: string) => void;
  /** Where sessions are reported (the console, servers/activity.ts). */
  activity?: Activity;
  /** RFC 3977 §3.1: an idle client may be disconnected, but not before 3 minutes. */
  idleTimeoutMs?: number;
  /** POST only after AUTHINFO (default: only when listening on a non-loopback address). */
  requireLoginToPost?: boolean;
  /** Certificate and key for STARTTLS; without them STARTTLS is not offered. */
  tls?: { key: string; cert: string };
  /** AUTHINFO only after STARTTLS (default: when TLS is available and the address is not loopback). */
  requireTlsForLogin?: boolean;
  /** POST limits, posts a minute (Infinity: none); default POSTS_PER_MINUTE. */
  postsPerMinute?: { perAddress?: number; perAccount?: number };
  /** Concurrent connections from one client address (default 200); more get 400. */
  maxConnectionsPerAddress?: number;
  /** Concurrent connections in total (default 1000). */
  maxConnections?: number;
}

/** RFC 3977 §3.1: a command line is at most 512 octets, CRLF included. */
const MAX_COMMAND_LINE = 512;
/** Article lines (POST) may be longer than commands; this is only a guard for memory. */
const MAX_ARTICLE_LINE = 64 * 1024;
/** The largest article POST accepts (a sane limit: text discussions, no binaries). */
const MAX_ARTICLE_BYTES = 1024 * 1024;
const TEN_MINUTES = 10 * 60 * 1000;
/**
 * How many POSTs a minute one client address, and one account, may make (a burst of that many,
 * then one every 60/N seconds). The account limit is the higher one because a whole class may
 * share the demo account.
 */
export const POSTS_PER_MINUTE = { perAddress: 30, perAccount: 60 };
const MAX_FAILED_LOGINS = 3;

interface Server {
  options: NntpOptions;
  store: NewsStore;
  /** On a non-loopback address, POST needs AUTHINFO first. */
  postingNeedsLogin: boolean;
  /**
   * What the session layer needs. Its secureContext is null when the server has no certificate;
   * its requireTlsForLogin: on a non-loopback address, AUTHINFO needs STARTTLS first, so
   * passwords never cross the network in clear.
   */
  session: SessionSettings;
  /** POST's rate limits: by client address, by account. */
  postsByAddress: RateLimit;
  postsByAccount: RateLimit;
}

// ---------------------------------------------------------------------------------------
// The command table: command word → its handler. NNTP has no states like POP3's; each
// handler checks what it needs (a selected group, a current article) and says what is missing.

type Handler = (session: NntpSession, args: string[], rest: string) => Promise<void> | void;

const COMMANDS: Record<string, Handler> = {
  CAPABILITIES: handleCapabilities,
  MODE: handleMode,
  QUIT: handleQuit,
  HELP: handleHelp,
  DATE: handleDate,
  GROUP: handleGroup,
  LISTGROUP: handleListgroup,
  LAST: handleLast,
  NEXT: handleNext,
  ARTICLE: handleArticle,
  HEAD: handleHead,
  BODY: handleBody,
  STAT: handleStat,
  OVER: handleOver,
  XOVER: handleOver,
  HDR: handleHdr,
  XHDR: handleXhdr,
  LIST: handleList,
  NEWGROUPS: handleNewgroups,
  NEWNEWS: handleNewnews,
  POST: handlePost,
  AUTHINFO: handleAuthinfo,
  STARTTLS: handleStarttls,
  IHAVE: handleIhave,
};

// RFC 3977 §5.2: what this server can do. A client reads this before anything else (Python's
// nntplib does it in its constructor), so it is always answered, logged in or not.
function handleCapabilities(session: NntpSession): Promise<void> {
  const capabilities = ["VERSION 2", "READER", "POST", "NEWNEWS", "OVER", "HDR", "LIST ACTIVE NEWSGROUPS OVERVIEW.FMT HEADERS"];
  // RFC 4643 §2.2: AUTHINFO is not advertised once the client is logged in, nor while it
  // would be refused for lack of TLS; RFC 4642 §2.1: STARTTLS only before TLS and login.
  if (!session.user && session.plainLoginAllowed()) capabilities.push("AUTHINFO USER");
  if (session.settings.secureContext && !session.secure && !session.user) capabilities.push("STARTTLS");
  capabilities.push("IMPLEMENTATION Socket-Playground-NNTP");
  return session.sendLines("101 Capability list:", capabilities);
}

// RFC 3977 §5.3: MODE READER says "I am a newsreader, not another server". We only serve readers.
function handleMode(session: NntpSession, args: string[]): void {
  if (args.length !== 1 || args[0].toUpperCase() !== "READER") return session.reply("501 usage: MODE READER");
  session.reply(session.server.postingNeedsLogin ? "200 reader mode, posting allowed after AUTHINFO" : "200 reader mode, posting allowed");
}

// RFC 3977 §5.4: QUIT — the server answers, then closes the connection.
function handleQuit(session: NntpSession): void {
  session.reply("205 closing connection, goodbye");
  session.close();
}

// RFC 3977 §7.2: HELP is free text for a human reading the conversation.
function handleHelp(session: NntpSession): Promise<void> {
  return session.sendLines("100 help text follows", [
    "  ARTICLE|HEAD|BODY|STAT [number|<message-id>]",
    "  AUTHINFO USER name / AUTHINFO PASS password",
    "  CAPABILITIES",
    "  DATE",
    "  GROUP newsgroup",
    "  HDR|XHDR header [range|<message-id>]",
    "  HELP",
    "  LAST / NEXT",
    "  LIST [ACTIVE|NEWSGROUPS [wildmat] | OVERVIEW.FMT | HEADERS]",
    "  LISTGROUP [newsgroup [range]]",
    "  MODE READER",
    "  NEWGROUPS yyyymmdd hhmmss [GMT]",
    "  NEWNEWS wildmat yyyymmdd hhmmss [GMT]",
    "  OVER|XOVER [range|<message-id>]   (range: 1234, 1234-, 1234-1250)",
    "  POST",
    "  QUIT",
    "  STARTTLS",
  ]);
}

// RFC 3977 §7.1: the server's clock in UTC, yyyymmddhhmmss — clients use it for NEWNEWS.
function handleDate(session: NntpSession): void {
  const now = new Date().toISOString(); // 2026-11-23T22:54:00.123Z
  session.reply(`111 ${now.slice(0, 19).replace(/[-T:]/g, "")}`);
}

// RFC 3977 §6.1.1: GROUP selects a group: "211 count low high name"; the current article
// becomes the group's first article.
function handleGroup(session: NntpSession, args: string[]): void {
  if (args.length !== 1) return session.reply("501 usage: GROUP newsgroup, e.g. GROUP comp.lang.python");
  const group = session.server.store.group(args[0]);
  if (!group) return session.reply(`411 no such newsgroup: ${printable(args[0])} (LIST shows the groups here)`);
  session.select(group);
  session.reply(`211 ${groupSummary(group)}`);
}

// RFC 3977 §6.1.2: LISTGROUP [group [range]] — like GROUP, plus the numbers of the articles present.
async function handleListgroup(session: NntpSession, args: string[]): Promise<void> {
  if (args.length > 2) return session.reply("501 usage: LISTGROUP [newsgroup [range]]");
  const range = args[1] === undefined ? { first: 1, last: Infinity } : parseRange(args[1]);
  if (!range) return session.reply(`501 "${printable(args[1])}" is not a range like 1234, 1234- or 1234-1250`);
  let group = session.group;
  if (args[0] !== undefined) {
    group = session.server.store.group(args[0]) ?? null;
    if (!group) return session.reply(`411 no such newsgroup: ${printable(args[0])} (LIST shows the groups here)`);
  }
  if (!group) return session.reply("412 no newsgroup selected: give one, e.g. LISTGROUP comp.lang.python");
  session.select(group);
  const numbers = group.numbers.filter((number) => number >= range.first && number <= range.last);
  await session.sendLines(`211 ${groupSummary(group)} list follows`, numbers.map(String));
}

// RFC 3977 §6.1.3: LAST moves the current article back to the previous one present.
function handleLast(session: NntpSession): void {
  moveCurrent(session, -1);
}

// RFC 3977 §6.1.4: NEXT moves it forward. Neither sends the article: "223 number <message-id>".
function handleNext(session: NntpSession): void {
  moveCurrent(session, +1);
}

function moveCurrent(session: NntpSession, step: -1 | 1): void {
  const group = session.group;
  if (!group) return session.reply("412 no newsgroup selected: send GROUP first");
  if (session.current === null) return session.reply("420 no current article: the group is empty");
  const index = group.numbers.indexOf(session.current) + step;
  if (index < 0) return session.reply("422 no previous article in this group");
  if (index >= group.numbers.length) return session.reply("421 no next article in this group");
  session.current = group.numbers[index];
  session.reply(`223 ${session.current} ${group.articles.get(session.current)!.messageId} article exists`);
}

// RFC 3977 §6.2.1: ARTICLE — the headers, a blank line, the body.
function handleArticle(session: NntpSession, args: string[]): Promise<void> {
  return sendArticle(session, args, "ARTICLE");
}

// RFC 3977 §6.2.2: HEAD — the headers only.
function handleHead(session: NntpSession, args: string[]): Promise<void> {
  return sendArticle(session, args, "HEAD");
}

// RFC 3977 §6.2.3: BODY — the body only.
function handleBody(session: NntpSession, args: string[]): Promise<void> {
  return sendArticle(session, args, "BODY");
}

// RFC 3977 §6.2.4: STAT — only "it exists" (and, by number, it becomes the current article).
function handleStat(session: NntpSession, args: string[]): Promise<void> {
  return sendArticle(session, args, "STAT");
}

// The four share the argument rules (§6.2.1.1): by number (which becomes the current article),
// by <message-id> (current unchanged, §6.2.1.2, and the number in the reply is 0), or no
// argument: the current article.
async function sendArticle(session: NntpSession, args: string[], command: "ARTICLE" | "HEAD" | "BODY" | "STAT"): Promise<void> {
  if (args.length > 1) return session.reply(`501 usage: ${command} [number|<message-id>]`);
  const found = session.findArticle(args[0]);
  if (!found) return;
  const { number, article } = found;
  const code = { ARTICLE: 220, HEAD: 221, BODY: 222, STAT: 223 }[command];
  if (command === "STAT") return session.reply(`${code} ${number} ${article.messageId}`);
  let content: Buffer;
  try {
    content = await session.server.store.read(article);
  } catch {
    return session.reply(`430 article ${article.messageId} has been removed from the disk`);
  }
  // HEAD: the header lines without the blank line; BODY: what follows it (§6.2.2, §6.2.3).
  const { head, body } = splitArticle(content);
  const part = command === "ARTICLE" ? content : command === "HEAD" ? head : body;
  const what = { ARTICLE: "article follows", HEAD: "headers follow", BODY: "body follows" }[command];
  await session.sendBlock(`${code} ${number} ${article.messageId} ${what}`, part);
}

// RFC 3977 §8.3: OVER (XOVER in RFC 2980) — one line per article with the fields a newsreader
// shows in its list, separated by TABs: number, Subject, From, Date, Message-ID, References,
// :bytes, :lines (the order LIST OVERVIEW.FMT announces). One OVER replaces a HEAD per article.
async function handleOver(session: NntpSession, args: string[]): Promise<void> {
  if (args.length > 1) return session.reply("501 usage: OVER [range|<message-id>]");
  const selected = session.selectArticles(args[0]);
  if (!selected) return;
  // §8.3.2: by message-id the number field is 0 unless the article is in the current group; we always send 0.
  await session.sendLines("224 overview information follows", selected.map(({ number, article }) => overviewLine(number, article)));
}

/** The overview fields (§8.4.1), kept in memory by the store; :bytes counts CRLF line endings, before dot-stuffing (see newsstore.ts). */
const OVERVIEW_FIELDS = OVERVIEW_HEADERS;

function overviewLine(number: number, article: StoredArticle): string {
  const values = OVERVIEW_FIELDS.map((name) => article.overview[name] ?? "");
  return [number, ...values.map(overviewSafe), article.bytes, article.lines].join("\t");
}

// RFC 3977 §8.5: HDR field [range|<message-id>] — one header of many articles: "number value".
function handleHdr(session: NntpSession, args: string[]): Promise<void> {
  return sendHeaders(session, args, "HDR");
}

// RFC 2980 §2.6: XHDR, the older form of HDR that nntplib's xhdr() sends: the same lines, code 221.
function handleXhdr(session: NntpSession, args: string[]): Promise<void> {
  return sendHeaders(session, args, "XHDR");
}

// The metadata :bytes and :lines (§8.5.1) work with HDR only.
async function sendHeaders(session: NntpSession, args: string[], command: "HDR" | "XHDR"): Promise<void> {
  if (args.length < 1 || args.length > 2) return session.reply(`501 usage: ${command} header [range|<message-id>], e.g. ${command} Subject 1-`);
  const field = args[0];
  if (!/^:?[\x21-\x39\x3b-\x7e]+$/.test(field) || (field.startsWith(":") && (command === "XHDR" || !/^:(bytes|lines)$/i.test(field)))) {
    return session.reply(`501 "${printable(field)}" is not a header name (or :bytes / :lines with HDR)`);
  }
  const selected = session.selectArticles(args[1]);
  if (!selected) return;
  const value = async (article: StoredArticle) => {
    if (field.toLowerCase() === ":bytes") return String(article.bytes);
    if (field.toLowerCase() === ":lines") return String(article.lines);
    // The overview fields come from memory, any other header from the article's file.
    // A missing header: empty for HDR (§8.5.2), "(none)" for XHDR like INN.
    return overviewSafe((await session.server.store.header(article, field)) ?? (command === "XHDR" ? "(none)" : ""));
  };
  const status = command === "HDR" ? "225 headers follow" : `221 ${printable(field)} fields follow`;
  const lines: string[] = [];
  for (const { number, article } of selected) lines.push(`${number} ${await value(article)}`);
  await session.sendLines(status, lines);
}

// RFC 3977 §7.6: LIST [keyword [argument]] — the server's lists. Plain LIST = LIST ACTIVE.
async function handleList(session: NntpSession, args: string[]): Promise<void> {
  const keyword = (args[0] ?? "ACTIVE").toUpperCase();
  const wildmat = args[1];
  if (args.length > 2 || (wildmat !== undefined && !isWildmat(wildmat))) return session.reply("501 usage: LIST [ACTIVE|NEWSGROUPS [wildmat]], e.g. LIST ACTIVE comp.*");
  const store = session.server.store;
  const groups = store.groups.filter((group) => wildmat === undefined || wildmatMatches(wildmat, group.name));
  switch (keyword) {
    // §7.6.3: "name high low status"; status y = posting allowed.
    case "ACTIVE":
      return session.sendLines("215 list of newsgroups follows", groups.map(activeLine));
    // §7.6.6: "name<TAB>description".
    case "NEWSGROUPS":
      return session.sendLines("215 descriptions follow", groups.map((group) => `${group.name}\t${group.description}`));
    // §8.4: the fields of an OVER line, in order.
    case "OVERVIEW.FMT":
      if (wildmat !== undefined) break;
      return session.sendLines("215 order of fields in overview database", [...OVERVIEW_FIELDS.map((name) => name + ":"), ":bytes", ":lines"]);
    // §8.6: which fields HDR can give — ":" means any header.
    case "HEADERS":
      if (wildmat !== undefined && !/^(MSGID|RANGE)$/i.test(wildmat)) break;
      return session.sendLines("215 headers and metadata items supported", [":", ":bytes", ":lines"]);
  }
  session.reply(`501 unknown LIST keyword "${printable(keyword)}": try LIST ACTIVE, NEWSGROUPS, OVERVIEW.FMT or HEADERS`);
}

// RFC 3977 §7.3: NEWGROUPS date time [GMT] — the groups created since then, in LIST ACTIVE form.
async function handleNewgroups(session: NntpSession, args: string[]): Promise<void> {
  const since = parseDateTime(args);
  if (!since) return session.reply("501 usage: NEWGROUPS yyyymmdd hhmmss [GMT], e.g. NEWGROUPS 20260101 000000 GMT");
  const groups = session.server.store.groups.filter((group) => group.created >= since);
  await session.sendLines("231 list of new newsgroups follows", groups.map(activeLine));
}

// RFC 3977 §7.4: NEWNEWS wildmat date time [GMT] — the Message-IDs of articles that arrived
// since then in the matching groups (a crossposted article only once).
async function handleNewnews(session: NntpSession, args: string[]): Promise<void> {
  const since = parseDateTime(args.slice(1));
  if (!since || !isWildmat(args[0] ?? "")) return session.reply("501 usage: NEWNEWS wildmat yyyymmdd hhmmss [GMT], e.g. NEWNEWS comp.* 20260101 000000 GMT");
  const ids = new Set<string>();
  for (const group of session.server.store.groups) {
    if (!wildmatMatches(args[0], group.name)) continue;
    for (const number of group.numbers) {
      const article = group.articles.get(number)!;
      if (article.arrived >= since) ids.add(article.messageId);
    }
  }
  await session.sendLines("230 list of new articles follows", [...ids]);
}

// RFC 3977 §6.3.1: POST — "340 send it", the article as a dot-stuffed block, then 240 (stored)
// or 441 (refused, with the reason). The whole article is read up to its "." line even when it
// will be refused, so the next command is read as a command and not as part of an article.
async function handlePost(session: NntpSession, args: string[]): Promise<void> {
  if (args.length > 0) return session.reply("501 usage: POST (no arguments; the article follows the 340 reply)");
  if (session.server.postingNeedsLogin && !session.user) return session.reply("480 log in first (AUTHINFO USER / AUTHINFO PASS): on a shared network, posting needs an account");
  session.reply("340 send the article; end it with a line holding a single \".\"");
  const received = await session.readArticle();
  if (received === null) return; // the client vanished mid-article: nothing is stored
  if ("refused" in received) return session.reply(`441 posting failed: ${received.refused}`);
  // Every POST counts against the client's address and (logged in) its account. The article was
  // read all the same, so the session stays in step.
  const { postsByAddress, postsByAccount } = session.server;
  const address = session.socket.remoteAddress ?? "unknown";
  const waitForAddress = postsByAddress.secondsUntilFree(address);
  if (waitForAddress > 0) return session.reply(`441 posting failed: too many posts from ${address} (at most ${postsByAddress.perMinute} a minute); try again in ${waitForAddress} s`);
  const waitForAccount = session.user === null ? 0 : postsByAccount.secondsUntilFree(session.user);
  if (waitForAccount > 0) return session.reply(`441 posting failed: too many posts by ${session.user} (at most ${postsByAccount.perMinute} a minute); try again in ${waitForAccount} s`);
  postsByAddress.take(address);
  if (session.user !== null) postsByAccount.take(session.user);
  try {
    const messageId = await session.server.store.post(received.article);
    session.reply(`240 article received ${messageId}`);
    session.stored({ kind: "article-posted", owner: newsgroupsOf(received.article), ref: messageId, bytes: received.article.length });
  } catch (err) {
    if (!(err instanceof ArticleRefused)) throw err;
    session.reply(`441 posting failed: ${err.message}`);
  }
}

/** The groups an article was posted to (its Newsgroups: header, RFC 5536 §3.1.4), for the console. */
function newsgroupsOf(article: Buffer): string {
  const header = article.subarray(0, Math.max(0, article.indexOf("\r\n\r\n")) || article.length).toString("latin1");
  return /^Newsgroups:[ \t]*(.*)$/im.exec(header)?.[1]?.trim() ?? "";
}

// RFC 4643 §2.3: AUTHINFO USER name → 381 (now the password), AUTHINFO PASS → 281 or 481.
async function handleAuthinfo(session: NntpSession, args: string[], rest: string): Promise<void> {
  const subcommand = (args[0] ?? "").toUpperCase();
  if (subcommand !== "USER" && subcommand !== "PASS") {
    return session.reply(args.length === 0 ? "501 usage: AUTHINFO USER name, then AUTHINFO PASS password" : `503 AUTHINFO ${printable(subcommand)} is not supported here: use AUTHINFO USER / PASS`);
  }
  // §2.3.2: after a successful login, AUTHINFO is no longer allowed.
  if (session.user) return session.reply(`502 already logged in as ${session.user}`);
  // §2.2: 483 when the password would travel unencrypted and the server does not allow that.
  if (!session.plainLoginAllowed()) return session.reply("483 encryption required: send STARTTLS first, then AUTHINFO");
  // The password may contain spaces: everything after "AUTHINFO PASS ".
  const value = rest.replace(/^\S+[ \t]+/, "");
  if (args.length < 2) return session.reply(`501 usage: AUTHINFO ${subcommand} ${subcommand === "USER" ? "name" : "password"}`);
  if (subcommand === "USER") {
    session.pendingUser = args[1];
    return session.reply("381 password required: send AUTHINFO PASS");
  }
  if (session.pendingUser === null) return session.reply("482 send AUTHINFO USER first");
  const account = session.server.options.accounts.find((candidate) => candidate.user === session.pendingUser);
  session.pendingUser = null;
  if (!account || !sameSecret(value, account.password)) return session.loginFailed("481 authentication failed: wrong user name or password", "481 authentication failed too often, closing the connection");
  session.user = account.user;
  session.loggedIn(account.user);
  session.reply("281 authentication accepted");
}

// RFC 4642 §2.2: STARTTLS — "382 go ahead", then the TLS handshake on this same connection.
function handleStarttls(session: NntpSession): void {
  if (!session.settings.secureContext) return session.reply("580 TLS is not available on this server (it has no certificate)");
  if (session.secure) return session.reply("502 this connection is already using TLS");
  if (session.user) return session.reply("502 STARTTLS must come before AUTHINFO (RFC 4642 §2.2.2)");
  session.startTls("382 continue with TLS negotiation");
}

// RFC 3977 §6.3.2: IHAVE is how servers pass articles to each other; a reader's server may refuse it.
function handleIhave(session: NntpSession): void {
  session.reply("503 IHAVE is for server-to-server transfer; newsreaders use POST");
}

// ---------------------------------------------------------------------------------------
// The session: one per connection. Reading lines, STARTTLS, the idle timer, failed logins
// and the transcript are the session layer's (servers/session.ts); what is here is NNTP's.

class NntpSession extends LineSession {
  /** The selected newsgroup (GROUP, LISTGROUP) and the current article number in it (null: none). */
  group: NewsGroup | null = null;
  current: number | null = null;
  /** AUTHINFO: the name waiting for its password, and the logged-in user. */
  pendingUser: string | null = null;
  user: string | null = null;

  constructor(
    socket: net.Socket,
    readonly server: Server,
  ) {
    super(socket, server.session);
  }

  // RFC 3977 §5.1.1: 200 = posting allowed, 201 = not.
  protected greeting(): string {
    return "200 Socket Playground NNTP server ready (posting ok)";
  }

  protected lineTooLongReply(): string {
    return `501 line too long: command lines are at most ${MAX_COMMAND_LINE} octets (RFC 3977 §3.1)`;
  }

  // RFC 3977 §3.1: a server may close an idle connection; 400 = "service not available now".
  protected idleReply(seconds: number): string {
    return `400 idle for ${seconds} seconds, closing the connection`;
  }

  // RFC 4642 §2.2.2: after TLS the session starts over: no group selected, no half-finished AUTHINFO.
  protected override tlsStarted(): void {
    this.group = null;
    this.current = null;
    this.pendingUser = null;
  }

  protected async handleLine(line: string): Promise<void> {
    // RFC 3977 §3.1: a keyword (case-insensitive), then arguments separated by spaces or tabs.
    // (Not /[ \t]+$/: from every space in "a    …    b" it scans to the end and fails, so 510
    // spaces took 1.2 ms a line, and a client sending 2 MB/s of them kept the one event loop busy.)
    const trimmed = line.replace(/^[ \t]+/, "").replace(/(?<![ \t])[ \t]+$/, "");
    const [word = "", ...args] = trimmed.split(/[ \t]+/);
    const keyword = word.toUpperCase();
    const rest = trimmed.slice(word.length).replace(/^[ \t]+/, "");
    const handler = Object.hasOwn(COMMANDS, keyword) ? COMMANDS[keyword] : undefined;
    if (!handler) {
      if (keyword === "") return this.reply("500 empty command: send HELP to see the commands");
      return this.reply(`500 unknown command "${printable(word)}": send HELP or CAPABILITIES to see what this server understands`);
    }
    try {
      await handler(this, args, rest);
    } catch (err) {
      if (this.socket.destroyed) throw err;
      // §3.2.1: 403 = something went wrong on the server's side; the session goes on.
      this.reply(`403 internal fault: ${printable((err as Error).message)}`);
    }
  }

  /** GROUP and LISTGROUP: select a group; its first article becomes the current one (§6.1.1.2). */
  select(group: NewsGroup): void {
    this.group = group;
    this.current = group.numbers[0] ?? null;
  }

  /**
   * The article ARTICLE/HEAD/BODY/STAT asked for, or null after answering with the error.
   * By number it becomes the current article; by message-id nothing changes (§6.2.1.2).
   */
  findArticle(argument: string | undefined): { number: number; article: StoredArticle } | null {
    if (argument?.startsWith("<")) {
      const article = isMessageId(argument) ? this.server.store.article(argument) : undefined;
      if (!article) return this.refuse(`430 no article with message-id ${printable(argument)}`);
      return { number: 0, article };
    }
    if (argument !== undefined && !/^\d{1,16}$/.test(argument)) return this.refuse(`501 "${printable(argument)}" is neither an article number nor a <message-id>`);
    if (!this.group) return this.refuse("412 no newsgroup selected: send GROUP first");
    if (argument === undefined) {
      if (this.current === null) return this.refuse("420 no current article: the group is empty");
      return { number: this.current, article: this.group.articles.get(this.current)! };
    }
    const number = Number(argument);
    const article = this.group.articles.get(number);
    if (!article) return this.refuse(`423 no article number ${number} in ${this.group.name} (GROUP shows the range)`);
    this.current = number;
    return { number, article };
  }

  /** OVER and HDR: a range, a <message-id> (number 0) or the current article; null after an error reply. */
  selectArticles(argument: string | undefined): { number: number; article: StoredArticle }[] | null {
    if (argument?.startsWith("<")) {
      const found = this.findArticle(argument);
      return found ? [found] : null;
    }
    if (argument === undefined) {
      if (!this.group) return this.refuse("412 no newsgroup selected: send GROUP first");
      if (this.current === null) return this.refuse("420 no current article: the group is empty");
      return [{ number: this.current, article: this.group.articles.get(this.current)! }];
    }
    const range = parseRange(argument);
    if (!range) return this.refuse(`501 "${printable(argument)}" is not a range like 1234, 1234- or 1234-1250`);
    if (!this.group) return this.refuse("412 no newsgroup selected: send GROUP first");
    const group = this.group;
    const numbers = group.numbers.filter((number) => number >= range.first && number <= range.last);
    if (numbers.length === 0) return this.refuse(`423 no articles in ${printable(argument)} (GROUP shows the range)`);
    return numbers.map((number) => ({ number, article: group.articles.get(number)! }));
  }

  /**
   * POST's article: lines up to the "." line, with the dot-stuffing removed (a line that starts
   * with "." came with one more "." in front). Reads to the end even when the article is too
   * big, so the session stays in step. null if the client vanished before the "." line.
   */
  async readArticle(): Promise<{ article: Buffer } | { refused: string } | null> {
    this.clientBodyFollows(); // for the transcript: the article is data, up to its "." line
    try {
      return { article: await this.readDotBlock({ maxBytes: MAX_ARTICLE_BYTES, maxLineLength: MAX_ARTICLE_LINE }) };
    } catch (err) {
      if (err instanceof UnfinishedBlockError) return null;
      if (err instanceof BlockTooBigError) return { refused: `the article is bigger than ${MAX_ARTICLE_BYTES / 1024 / 1024} MB` };
      if (err instanceof LineTooLongError) return { refused: `a line is longer than ${MAX_ARTICLE_LINE} octets` };
      throw err;
    }
  }

  private refuse(line: string): null {
    this.reply(line);
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Small pieces.

/** "count low high name" (§6.1.1.2): count is the number of articles present. */
function groupSummary(group: NewsGroup): string {
  return `${group.numbers.length} ${lowWaterMark(group)} ${group.high} ${group.name}`;
}

/** LIST ACTIVE / NEWGROUPS form (§7.6.3): "name high low y" (y: posting allowed). */
function activeLine(group: NewsGroup): string {
  return `${group.name} ${group.high} ${lowWaterMark(group)} y`;
}

/** A range (RFC 3977 §6.1.2.2, §8.3.2): "n", "n-" (to the end) or "n-m". */
function parseRange(text: string): { first: number; last: number } | null {
  const match = /^(\d{1,16})(-(\d{1,16})?)?$/.exec(text);
  if (!match) return null;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : match[3] === undefined ? Infinity : Number(match[3]);
  return { first, last };
}

/**
 * NEWGROUPS/NEWNEWS's "yyyymmdd hhmmss [GMT]" (§7.3.2). Without GMT it is the server's local
 * time. A 2-digit year yy means the closest year ending in yy that is not in the future
 * (20yy if that is this year or earlier, else 19yy).
 */
function parseDateTime(args: string[]): Date | null {
  if (args.length < 2 || args.length > 3) return null;
  if (args.length === 3 && args[2].toUpperCase() !== "GMT") return null;
  const date = /^(\d{2}|\d{4})(\d{2})(\d{2})$/.exec(args[0]);
  const time = /^(\d{2})(\d{2})(\d{2})$/.exec(args[1]);
  if (!date || !time) return null;
  let year = Number(date[1]);
  if (date[1].length === 2) {
    const thisYear = new Date().getUTCFullYear();
    year += Math.floor(thisYear / 100) * 100;
    if (year > thisYear) year -= 100;
  }
  const [month, day, hour, minute, second] = [Number(date[2]), Number(date[3]), Number(time[1]), Number(time[2]), Number(time[3])];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  return args.length === 3 ? new Date(Date.UTC(year, month - 1, day, hour, minute, second)) : new Date(year, month - 1, day, hour, minute, second);
}

/** §8.3.2: in an overview line, TAB, CR and LF inside a value become spaces. */
function overviewSafe(value: string): string {
  return value.replace(/[\t\r\n]/g, " ");
}

// ---------------------------------------------------------------------------------------
// Starting the server.

/**
 * Starts the NNTP server on an open store. Resolves once it listens; a listen error
 * (e.g. EADDRINUSE) rejects with the original error, with `.port` set.
 */
export async function startNntpServer(options: NntpOptions): Promise<Listening> {
  const onLoopback = isLoopback(options.host);
  const server: Server = {
    options,
    store: options.store,
    postingNeedsLogin: options.requireLoginToPost ?? !onLoopback,
    session: {
      protocol: "nntp",
      traceAs: "nntp#",
      trace: options.trace,
      activity: options.activity,
      mask: NNTP_MASK,
      maxLineLength: MAX_COMMAND_LINE,
      idleTimeoutMs: options.idleTimeoutMs ?? TEN_MINUTES,
      secureContext: options.tls ? tls.createSecureContext(options.tls) : null,
      requireTlsForLogin: options.requireTlsForLogin ?? (options.tls !== undefined && !onLoopback),
      // RFC 4643 §2.3.2: 481 at once; after a few the connection is closed.
      failedLoginDelayMs: 0,
      maxFailedLogins: MAX_FAILED_LOGINS,
    },
    postsByAddress: new RateLimit(options.postsPerMinute?.perAddress ?? POSTS_PER_MINUTE.perAddress),
    postsByAccount: new RateLimit(options.postsPerMinute?.perAccount ?? POSTS_PER_MINUTE.perAccount),
  };
  return serve({
    host: options.host,
    port: options.port,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    maxConnections: options.maxConnections,
    // RFC 3977 §3.2.1: 400 = the service is not available now; the client may try again later.
    tooManyConnections: "400 too many connections, try again later",
    label: "nntp",
    trace: options.trace,
    startSession: (socket) => new NntpSession(socket, server),
  });
}
