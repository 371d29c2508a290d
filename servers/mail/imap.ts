// The playground's IMAP server, written by hand so you can read it next to its RFCs:
//   RFC 3501  IMAP4rev1 (the commands, the states, the responses)
//   RFC 2177 IDLE · RFC 4315 UIDPLUS · RFC 6851 MOVE · RFC 5161 ENABLE · RFC 7888 LITERAL+
//   RFC 6154 SPECIAL-USE · RFC 2342 NAMESPACE · RFC 3691 UNSELECT · RFC 2971 ID · RFC 4959 SASL-IR
//   RFC 5530 response codes ([AUTHENTICATIONFAILED], [NONEXISTENT] …)
//
// An IMAP session moves through four states (RFC 3501 §3):
//
//              connection, greeting "* OK"
//                        │
//                        ▼
//            ┌─── NOT AUTHENTICATED ───┐  CAPABILITY NOOP LOGOUT STARTTLS LOGIN AUTHENTICATE
//            │           │ LOGIN / AUTHENTICATE
//            │           ▼
//            ├──── AUTHENTICATED ◀─────┐  + SELECT EXAMINE CREATE DELETE RENAME SUBSCRIBE
//            │           │ SELECT      │    UNSUBSCRIBE LIST LSUB STATUS APPEND
//            │           ▼             │ CLOSE, UNSELECT, a failed SELECT
//            ├────── SELECTED ─────────┘  + CHECK CLOSE EXPUNGE SEARCH FETCH STORE COPY MOVE UID
//            │           │
//            └─ LOGOUT ──┴──▶ LOGOUT ──▶ connection closed
//
// Unlike POP3, every command carries a TAG ("A1 LOGIN …") and is answered by a line with the
// same tag ("A1 OK …", "A1 NO …", "A1 BAD …"); before it, the server may send any number of
// UNTAGGED lines ("* 3 EXISTS") — also about things nobody asked for, like new mail.
//
// The server is only the protocol: the folders, UIDs and flags are the mailbox store's
// (mailbox-store.ts), the grammar is imap-syntax.ts, FETCH and SEARCH are imap-fetch.ts and
// imap-search.ts, and the socket plumbing (lines, literals, STARTTLS, idle timeout, failed
// logins) is the session layer every line protocol here shares (../session.ts).
//
// POP3 and IMAP on one mailbox: POP3 locks the maildrop against other POP3 sessions only
// (RFC 1939 §8). IMAP sessions do not take that lock — IMAP is made for several clients at
// once — and both work on the same files: a message POP3 deleted is reported by IMAP as
// EXPUNGE at the next command, a message IMAP expunged is missing from the next POP3 session.

import { watch, type FSWatcher } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import tls from "node:tls";
import type { Activity } from "../activity.ts";
import { isLoopback } from "../loopback.ts";
import { maskLogin } from "../masks.ts";
import { LineSession, sameSecret, serve, type WritePart } from "../session.ts";
import type { Listening } from "../sockets.ts";
import { findAccount, type MailAccount } from "./accounts.ts";
import { fetchResponse, needsContent, parseFetchItems, setsSeen, type FetchItem } from "./imap-fetch.ts";
import { parseMessage } from "./imap-mime.ts";
import { matches, parseSearch, SEARCH_CHARSETS, searchNeedsContent, searchNeedsInternalDate } from "./imap-search.ts";
import { CommandParser, formatSequenceSet, inSequenceSet, literalAtEnd, mailboxValue, ParseError, printable, toBytes, toParts, type SequenceSet } from "./imap-syntax.ts";
import { DELIMITER, isFolderName, MailStore, SPECIAL_FOLDERS, StoreError, type Folder, type StoredMessage } from "./mailbox-store.ts";

export interface ImapOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** IMAPS (like port 993): TLS from the first byte. Otherwise plaintext, with STARTTLS offered. */
  implicitTls?: boolean;
  tls: { key: string; cert: string };
  /** <dataDir>/mail: one Maildir per address. */
  mailRoot: string;
  accounts: MailAccount[];
  /** Live C:/S: lines (npm start -- --trace). */
  trace?: (line: string) => void;
  /** Where sessions are reported (the console, servers/activity.ts). */
  activity?: Activity;
  /** RFC 3501 §5.4: the autologout timer is at least 30 minutes (the default). */
  idleTimeoutMs?: number;
  /** The n-th failed login of a connection waits n × this before its NO (default 1000). */
  failedLoginDelayMs?: number;
  /** After this many failed logins the connection is closed (default 3). */
  maxFailedLogins?: number;
  /** Refuse LOGIN before STARTTLS (default: only when listening on a non-loopback address). */
  requireTlsForLogin?: boolean;
  /** The biggest literal accepted (APPEND's message): default 10 MB. */
  maxLiteralBytes?: number;
  /**
   * Default true: offer RFC 6851 MOVE. False plays an older server (MOVE is from 2013): MOVE is
   * not in CAPABILITY and MOVE / UID MOVE get BAD, so a client must COPY, STORE \Deleted and
   * EXPUNGE (lesson 16 checks both ways).
   */
  move?: boolean;
}

export type State = "not authenticated" | "authenticated" | "selected" | "logout";

/** What a handler answers: the tagged status after the tag ("OK …", "NO …"), or null if it answered itself. */
type Completion = string | null;

interface Command {
  states: State[];
  handler: (session: ImapSession, args: CommandParser, tag: string) => Promise<Completion> | Completion;
}

/** A command line may be long (a UID set of a big mailbox), but not endless: Dovecot's limit. */
const MAX_LINE = 64 * 1024;
const THIRTY_MINUTES = 30 * 60 * 1000;

/** Stands in for INTERNALDATE when nobody asked for it (finding it costs a look at the file). */
const NO_DATE = new Date(0);

const ANY: State[] = ["not authenticated", "authenticated", "selected"];
const NOT_AUTHENTICATED: State[] = ["not authenticated"];
const AUTHENTICATED: State[] = ["authenticated", "selected"];
const SELECTED: State[] = ["selected"];

// ---------------------------------------------------------------------------------------
// The command table, in the order of RFC 3501 §6, then the extensions.

const COMMANDS: Record<string, Command> = {
  CAPABILITY: { states: ANY, handler: handleCapability },
  NOOP: { states: ANY, handler: handleNoop },
  LOGOUT: { states: ANY, handler: handleLogout },
  STARTTLS: { states: NOT_AUTHENTICATED, handler: handleStarttls },
  AUTHENTICATE: { states: NOT_AUTHENTICATED, handler: handleAuthenticate },
  LOGIN: { states: NOT_AUTHENTICATED, handler: handleLogin },
  SELECT: { states: AUTHENTICATED, handler: (s, a) => handleSelect(s, a, false) },
  EXAMINE: { states: AUTHENTICATED, handler: (s, a) => handleSelect(s, a, true) },
  CREATE: { states: AUTHENTICATED, handler: handleCreate },
  DELETE: { states: AUTHENTICATED, handler: handleDelete },
  RENAME: { states: AUTHENTICATED, handler: handleRename },
  SUBSCRIBE: { states: AUTHENTICATED, handler: (s, a) => handleSubscribe(s, a, true) },
  UNSUBSCRIBE: { states: AUTHENTICATED, handler: (s, a) => handleSubscribe(s, a, false) },
  LIST: { states: AUTHENTICATED, handler: (s, a) => handleList(s, a, "LIST") },
  LSUB: { states: AUTHENTICATED, handler: (s, a) => handleList(s, a, "LSUB") },
  STATUS: { states: AUTHENTICATED, handler: handleStatus },
  APPEND: { states: AUTHENTICATED, handler: handleAppend },
  CHECK: { states: SELECTED, handler: handleCheck },
  CLOSE: { states: SELECTED, handler: handleClose },
  EXPUNGE: { states: SELECTED, handler: (s, a) => handleExpunge(s, a, false) },
  SEARCH: { states: SELECTED, handler: (s, a) => handleSearch(s, a, false) },
  FETCH: { states: SELECTED, handler: (s, a) => handleFetch(s, a, false) },
  STORE: { states: SELECTED, handler: (s, a) => handleStore(s, a, false) },
  COPY: { states: SELECTED, handler: (s, a) => handleCopy(s, a, false, false) },
  UID: { states: SELECTED, handler: handleUid },
  IDLE: { states: AUTHENTICATED, handler: handleIdle },
  MOVE: { states: SELECTED, handler: (s, a) => (s.offersMove ? handleCopy(s, a, false, true) : notOffered("MOVE")) },
  ENABLE: { states: AUTHENTICATED, handler: handleEnable },
  NAMESPACE: { states: AUTHENTICATED, handler: handleNamespace },
  UNSELECT: { states: SELECTED, handler: handleUnselect },
  ID: { states: ANY, handler: handleId },
};

// RFC 3501 §6.1.1: what this server can do. Before login: how one may log in.
function capabilities(session: ImapSession): string {
  const list = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "MOVE", "SPECIAL-USE", "CHILDREN"];
  if (!session.offersMove) list.splice(list.indexOf("MOVE"), 1);
  if (session.state === "not authenticated") {
    if (!session.secure) list.push("STARTTLS");
    // RFC 3501 §6.2.3, §11.1: beyond loopback, no password in plaintext: LOGINDISABLED until STARTTLS.
    list.push(...(session.plainLoginAllowed() ? ["AUTH=PLAIN"] : ["LOGINDISABLED"]));
  }
  return list.join(" ");
}

function handleCapability(session: ImapSession, args: CommandParser): Completion {
  args.end();
  session.reply(`* CAPABILITY ${capabilities(session)}`);
  return "OK CAPABILITY completed";
}

// RFC 3501 §6.1.2: NOOP does nothing — which gives the server a chance to report news
// (new mail: "* 4 EXISTS"); the dispatcher sends those before every tagged OK.
function handleNoop(_session: ImapSession, args: CommandParser): Completion {
  args.end();
  return "OK NOOP completed";
}

// RFC 3501 §6.1.3: BYE first, then the tagged OK, then the server closes the connection.
function handleLogout(session: ImapSession, args: CommandParser, tag: string): Completion {
  args.end();
  session.state = "logout";
  session.reply("* BYE Socket Playground IMAP server logging out");
  session.reply(`${tag} OK LOGOUT completed`);
  session.close();
  return null;
}

// RFC 3501 §6.2.1: the TLS handshake starts right after the tagged OK, on this connection.
function handleStarttls(session: ImapSession, args: CommandParser, tag: string): Completion {
  args.end();
  if (session.secure) return "BAD this connection is already using TLS";
  session.startTls(`${tag} OK begin TLS negotiation now`);
  return null;
}

// RFC 3501 §6.2.2 + RFC 4616 (PLAIN) + RFC 4959 (SASL-IR: the credentials on the command line).
async function handleAuthenticate(session: ImapSession, args: CommandParser, tag: string): Promise<Completion> {
  args.space();
  const mechanism = args.atom("a SASL mechanism").toUpperCase();
  let response: string | null = null;
  if (args.take(" ")) response = args.atom("the initial response (base64)");
  args.end();
  if (mechanism !== "PLAIN") return "NO [CANNOT] only AUTHENTICATE PLAIN is supported";
  if (!session.plainLoginAllowed()) return "NO [PRIVACYREQUIRED] send STARTTLS first: passwords only over TLS here";
  if (response === null) {
    session.reply("+ "); // the continuation: "send the credentials"
    response = await session.readLine();
    if (response === null) return null;
  }
  // RFC 4959 §3: "=" stands for an empty initial response. "*" cancels (RFC 3501 §6.2.2).
  if (response === "*") return "BAD AUTHENTICATE cancelled";
  const decoded = Buffer.from(response === "=" ? "" : response, "base64").toString("utf8").split("\0");
  if (decoded.length !== 3) return "BAD PLAIN expects base64 of authorize-id NUL address NUL password";
  const [authorizeAs, address, password] = decoded;
  if (authorizeAs !== "" && authorizeAs.toLowerCase() !== address.toLowerCase()) return "NO [AUTHORIZATIONFAILED] you can only log in as yourself";
  return session.logIn(tag, address, password);
}

// RFC 3501 §6.2.3: LOGIN address password (both astrings: quote them if they hold spaces).
async function handleLogin(session: ImapSession, args: CommandParser, tag: string): Promise<Completion> {
  args.space();
  const address = args.astring();
  args.space();
  const password = args.astring();
  args.end();
  if (!session.plainLoginAllowed()) return "NO [PRIVACYREQUIRED] LOGINDISABLED: send STARTTLS first (or use IMAPS)";
  if (!address.includes("@")) return "NO [AUTHENTICATIONFAILED] log in with your full address, e.g. me@example.com";
  return session.logIn(tag, address, password);
}

// RFC 3501 §6.3.1–2: SELECT opens a folder read-write, EXAMINE read-only. The untagged
// answers tell the client what it needs to sync: how many messages, UIDVALIDITY, UIDNEXT …
async function handleSelect(session: ImapSession, args: CommandParser, readOnly: boolean): Promise<Completion> {
  args.space();
  const name = args.mailbox();
  args.end();
  session.deselect(); // RFC 3501 §6.3.1: even a failed SELECT leaves no folder selected
  const folder = await session.store!.folder(name);
  const selected = session.select(folder, readOnly);
  const keywords = folder.keywords();
  const systemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  session.reply(`* FLAGS (${[systemFlags, ...keywords].join(" ")})`);
  session.reply(`* OK [PERMANENTFLAGS (${readOnly ? "" : [systemFlags, ...keywords, "\\*"].join(" ")})] flags that stay`);
  session.reply(`* ${selected.uids.length} EXISTS`);
  session.reply(`* ${selected.recent.size} RECENT`);
  const firstUnseen = selected.uids.findIndex((uid) => !session.message(uid)?.flags.has("\\Seen"));
  if (firstUnseen !== -1) session.reply(`* OK [UNSEEN ${firstUnseen + 1}] first unseen message`);
  session.reply(`* OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`);
  session.reply(`* OK [UIDNEXT ${folder.uidNext}] predicted next UID`);
  return `OK [${readOnly ? "READ-ONLY" : "READ-WRITE"}] ${readOnly ? "EXAMINE" : "SELECT"} completed`;
}

// RFC 3501 §6.3.3: CREATE name ("a.b" also makes the level "a" if it is missing).
async function handleCreate(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.space();
  const name = args.mailbox().replace(/\.$/, ""); // §6.3.3: a trailing delimiter only says "will have children"
  args.end();
  if (!isFolderName(name)) return `NO [CANNOT] "${printable(name)}" cannot be a folder name: no "/", "*", "%" or empty levels; non-ASCII in modified UTF-7`;
  await session.store!.create(name);
  return "OK CREATE completed";
}

// RFC 3501 §6.3.4
async function handleDelete(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.space();
  const name = args.mailbox();
  args.end();
  if (session.selected?.folder.name === name) session.deselect();
  await session.store!.delete(name);
  return "OK DELETE completed";
}

// RFC 3501 §6.3.5
async function handleRename(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.space();
  const from = args.mailbox();
  args.space();
  const to = args.mailbox();
  args.end();
  if (!isFolderName(to)) return `NO [CANNOT] "${printable(to)}" cannot be a folder name`;
  await session.store!.rename(from, to);
  return "OK RENAME completed";
}

// RFC 3501 §6.3.6–7: the folders a client shows (LSUB lists them).
async function handleSubscribe(session: ImapSession, args: CommandParser, subscribe: boolean): Promise<Completion> {
  args.space();
  const name = args.mailbox();
  args.end();
  if (subscribe) await session.store!.subscribe(name);
  else await session.store!.unsubscribe(name);
  return `OK ${subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE"} completed`;
}

// RFC 3501 §6.3.8–9: LIST reference pattern. "*" matches anything, "%" anything but the
// delimiter. LIST "" "" asks only for the delimiter. Attributes: RFC 6154 (\Sent …) and
// RFC 3348 (\HasChildren); a level that exists only as a parent is \Noselect.
async function handleList(session: ImapSession, args: CommandParser, command: "LIST" | "LSUB"): Promise<Completion> {
  args.space();
  const reference = args.mailbox();
  args.space();
  const pattern = args.listMailbox();
  if (args.take(" RETURN ")) args.list(() => args.atom()); // RFC 5258 RETURN (SPECIAL-USE …): we always return those
  args.end();
  if (command === "LIST" && pattern === "") {
    session.reply(`* LIST (\\Noselect) "${DELIMITER}" ""`);
    return "OK LIST completed";
  }
  const store = session.store!;
  const existing = await store.folderNames();
  const names = command === "LSUB" ? await store.subscriptions() : existing;
  // Parents that exist only because a child does ("a" for "a.b").
  const all = new Set(names);
  for (const name of names) {
    const levels = name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) all.add(levels.slice(0, i).join(DELIMITER));
  }
  for (const name of [...all].sort((a, b) => (a === "INBOX" ? -1 : b === "INBOX" ? 1 : a < b ? -1 : 1))) {
    if (!listMatches(reference + pattern, name)) continue;
    const listed = names.includes(name); // not just the parent of a listed folder
    // §6.3.9: LSUB shows an unsubscribed parent only for "%" (a level), as \Noselect.
    if (command === "LSUB" && !listed && !pattern.endsWith("%")) continue;
    const attributes: string[] = [];
    if (!listed || !existing.includes(name)) attributes.push("\\Noselect");
    if (command === "LIST") attributes.push(existing.some((other) => other.startsWith(name + DELIMITER)) ? "\\HasChildren" : "\\HasNoChildren");
    if (SPECIAL_FOLDERS[name]) attributes.push(SPECIAL_FOLDERS[name]);
    await session.write(toBytes([`* ${command} (${attributes.join(" ")}) "${DELIMITER}" `, mailboxValue(name), "\r\n"]));
  }
  return `OK ${command} completed`;
}

/**
 * RFC 3501 §6.3.8: does a folder name match a LIST pattern? "*" matches anything, "%" anything but
 * the delimiter. Not a RegExp: ".*.*.*…" over a name backtracks exponentially, and a client's LIST
 * with a few dozen stars would freeze every server of the playground (they share one event loop).
 * Instead the name is read once, keeping the set of pattern positions still possible: at most
 * (name length + 1) × (pattern length + 1) steps.
 */
export function listMatches(pattern: string, name: string): boolean {
  // INBOX is case-insensitive (RFC 3501 §5.1): "inbox" and "Inbox.%" mean INBOX too.
  const spelled = [.../^inbox(?=$|\.)/i.test(pattern) ? "INBOX" + pattern.slice(5) : pattern]; // characters, not UTF-16 units
  // After a wildcard, the position behind it is possible too (a wildcard may match nothing).
  const widen = (positions: boolean[]) => {
    for (let p = 0; p < spelled.length; p++) if (positions[p] && (spelled[p] === "*" || spelled[p] === "%")) positions[p + 1] = true;
    return positions;
  };
  let possible = widen([true]);
  for (const ch of name) {
    const next: boolean[] = [];
    for (let p = 0; p < spelled.length; p++) {
      if (!possible[p]) continue;
      const want = spelled[p];
      if (want === "*" || (want === "%" && ch !== DELIMITER)) next[p] = true; // the wildcard takes ch
      else if (want === ch) next[p + 1] = true;
    }
    possible = widen(next);
  }
  return possible[spelled.length] === true;
}

// RFC 3501 §6.3.10: counts of a folder without selecting it.
async function handleStatus(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.space();
  const name = args.mailbox();
  args.space();
  const items = args.list(() => args.atom("a STATUS item").toUpperCase());
  args.end();
  const folder = await session.store!.folder(name);
  const values: Record<string, number> = {
    MESSAGES: folder.messages.length,
    RECENT: session.selected?.folder === folder ? session.selected.recent.size : folder.unclaimedRecentUids().size,
    UIDNEXT: folder.uidNext,
    UIDVALIDITY: folder.uidValidity,
    UNSEEN: folder.messages.filter((m) => !m.flags.has("\\Seen")).length,
  };
  const unknown = items.find((item) => !(item in values));
  if (unknown) return `BAD unknown STATUS item ${printable(unknown)}: MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN`;
  // In a fixed order, as Dovecot answers (RFC 3501 leaves the order open).
  const answer = Object.keys(values).filter((item) => items.includes(item));
  await session.write(toBytes(["* STATUS ", mailboxValue(folder.name), ` (${answer.map((item) => `${item} ${values[item]}`).join(" ")})\r\n`]));
  return "OK STATUS completed";
}

// RFC 3501 §6.3.11: APPEND folder [(flags)] [date-time] literal — stores a message the client
// sends (a mail client saving what it sent into Sent). RFC 4315: the answer names its new UID.
async function handleAppend(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.space();
  const name = args.mailbox();
  args.space();
  let flags: string[] = [];
  let date: Date | undefined;
  if (args.peek() === "(") {
    flags = args.flagList();
    args.space();
  }
  if (args.peek() === '"') {
    date = args.dateTime();
    args.space();
  }
  const message = args.string();
  args.end();
  if (message.length === 0) return "NO an empty message cannot be appended";
  const folder = await session.store!.folder(name).catch((err) => {
    // RFC 3501 §6.3.11: [TRYCREATE] tells the client to CREATE the folder and try again.
    if (err instanceof StoreError && err.code === "NONEXISTENT") throw new StoreError("TRYCREATE", err.message);
    throw err;
  });
  const stored = await folder.append(message, new Set(flags), date);
  return `OK [APPENDUID ${folder.uidValidity} ${stored.uid}] APPEND completed`;
}

// RFC 3501 §6.4.1: CHECK asks for a checkpoint; every change here is on disk already.
function handleCheck(_session: ImapSession, args: CommandParser): Completion {
  args.end();
  return "OK CHECK completed";
}

// RFC 3501 §6.4.2: CLOSE removes the \Deleted messages (without EXPUNGE responses) and deselects.
async function handleClose(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.end();
  const { folder, readOnly } = session.selected!;
  if (!readOnly) await folder.expunge(session.viewMessages().filter((m) => m.flags.has("\\Deleted")));
  session.deselect();
  return "OK CLOSE completed";
}

// RFC 3501 §6.4.3 EXPUNGE, and RFC 4315 §2.1 UID EXPUNGE set (only those UIDs).
async function handleExpunge(session: ImapSession, args: CommandParser, byUid: boolean): Promise<Completion> {
  let set: SequenceSet | null = null;
  if (byUid) {
    args.space();
    set = args.sequenceSet();
  }
  args.end();
  const { folder, readOnly } = session.selected!;
  if (readOnly) return "NO [READ-ONLY] the folder was opened with EXAMINE";
  const highestUid = folder.uidNext - 1;
  const doomed = session.viewMessages().filter((m) => m.flags.has("\\Deleted") && (!set || inSequenceSet(set, m.uid, highestUid)));
  await folder.expunge(doomed);
  return "OK EXPUNGE completed"; // the "* n EXPUNGE" lines come from the dispatcher's update
}

// RFC 3501 §6.4.4: SEARCH [CHARSET x] keys → "* SEARCH" with sequence numbers (UIDs for UID SEARCH).
async function handleSearch(session: ImapSession, args: CommandParser, byUid: boolean): Promise<Completion> {
  args.space();
  const { charset, key } = parseSearch(args);
  if (charset && !SEARCH_CHARSETS.includes(charset)) return `NO [BADCHARSET (${SEARCH_CHARSETS.join(" ")})] unsupported charset ${printable(charset)}`;
  const selected = session.selected!;
  const highest = { seq: selected.uids.length, uid: selected.uids.at(-1) ?? 0 };
  const found: number[] = [];
  const [needsContent, needsDate] = [searchNeedsContent(key), searchNeedsInternalDate(key)];
  for (const [index, uid] of selected.uids.entries()) {
    const stored = session.message(uid);
    if (!stored) continue; // expunged by another session meanwhile
    const internalDate = needsDate ? await selected.folder.internalDate(stored) : NO_DATE;
    const data = { seq: index + 1, uid, flags: stored.flags, recent: selected.recent.has(uid), size: stored.size, internalDate };
    const loaded = needsContent ? { ...data, ...(await session.load(stored)) } : data;
    if (matches(key, loaded, highest)) found.push(byUid ? uid : index + 1);
  }
  session.reply(`* SEARCH${found.map((n) => ` ${n}`).join("")}`);
  return `OK ${byUid ? "UID SEARCH" : "SEARCH"} completed`;
}

// RFC 3501 §6.4.5: FETCH set items — one "* seq FETCH (…)" per message, ascending.
async function handleFetch(session: ImapSession, args: CommandParser, byUid: boolean): Promise<Completion> {
  args.space();
  const set = args.sequenceSet();
  args.space();
  let items = parseFetchItems(args);
  args.end();
  // RFC 3501 §6.4.8: every response to UID FETCH carries the UID.
  if (byUid && !items.some((item) => item.kind === "UID")) items = [{ kind: "UID" }, ...items];
  const selected = session.selected!;
  const markSeen = setsSeen(items) && !selected.readOnly;
  const wantsDate = items.some((item) => item.kind === "INTERNALDATE");
  await session.uninterrupted(async () => {
    // Responses are collected and written 64 KB at a time: one system call for many small
    // answers, and still a wait for a slow reader (backpressure) between the pieces. The
    // messages' own text in them is marked (toParts): a body for the transcript.
    let batch: WritePart[] = [];
    let batched = 0;
    const flush = async () => {
      if (batched > 0) await session.writeParts(batch);
      batch = [];
      batched = 0;
    };
    for (const { seq, uid } of session.resolve(set, byUid)) {
      const stored = session.message(uid);
      if (!stored) continue;
      let answerItems: FetchItem[] = items;
      if (markSeen && !stored.flags.has("\\Seen")) {
        await selected.folder.setFlags(stored, new Set([...stored.flags, "\\Seen"]));
        // §6.4.5: a \Seen set by this FETCH is reported in it.
        if (!items.some((item) => item.kind === "FLAGS")) answerItems = [{ kind: "FLAGS" }, ...items];
      }
      const content = needsContent(items) ? await session.load(stored) : {};
      const response = fetchResponse(
        { seq, uid, flags: session.flagsOf(stored), internalDate: wantsDate ? await selected.folder.internalDate(stored) : NO_DATE, size: stored.size, ...content },
        answerItems,
      );
      if (answerItems.some((item) => item.kind === "FLAGS")) session.reported(stored);
      for (const part of toParts(response)) {
        batch.push(part);
        batched += part.bytes.length;
      }
      if (batched >= 64 * 1024) await flush();
    }
    await flush();
  });
  return `OK ${byUid ? "UID FETCH" : "FETCH"} completed`;
}

// RFC 3501 §6.4.6: STORE set FLAGS / +FLAGS / -FLAGS [.SILENT] (flags).
async function handleStore(session: ImapSession, args: CommandParser, byUid: boolean): Promise<Completion> {
  args.space();
  const set = args.sequenceSet();
  args.space();
  const action = args.atom("FLAGS, +FLAGS or -FLAGS").toUpperCase();
  const match = /^([+-]?)FLAGS(\.SILENT)?$/.exec(action);
  if (!match) throw new ParseError(`expected FLAGS, +FLAGS or -FLAGS (with .SILENT), not ${action.slice(0, 20)}`);
  args.space();
  const flags = args.peek() === "(" ? args.flagList() : spaceSeparatedFlags(args);
  args.end();
  const selected = session.selected!;
  if (selected.readOnly) return "NO [READ-ONLY] the folder was opened with EXAMINE";
  for (const { seq, uid } of session.resolve(set, byUid)) {
    const stored = session.message(uid);
    if (!stored) continue;
    const next = match[1] === "+" ? new Set([...stored.flags, ...flags]) : match[1] === "-" ? new Set([...stored.flags].filter((f) => !flags.includes(f))) : new Set(flags);
    await selected.folder.setFlags(stored, next);
    for (const line of session.newKeywords()) session.reply(line);
    session.reported(stored);
    if (!match[2]) await session.write(`* ${seq} FETCH (${byUid ? `UID ${uid} ` : ""}FLAGS (${[...session.flagsOf(stored)].join(" ")}))\r\n`);
  }
  return `OK ${byUid ? "UID STORE" : "STORE"} completed`;
}

function spaceSeparatedFlags(args: CommandParser): string[] {
  const flags = [args.flag()];
  while (args.take(" ")) flags.push(args.flag());
  return flags;
}

// RFC 3501 §6.4.7 COPY set folder, and RFC 6851 MOVE (copy, then expunge the originals).
// RFC 4315 §3: [COPYUID uidvalidity source-uids target-uids] says where each one went.
async function handleCopy(session: ImapSession, args: CommandParser, byUid: boolean, move: boolean): Promise<Completion> {
  args.space();
  const set = args.sequenceSet();
  args.space();
  const name = args.mailbox();
  args.end();
  const selected = session.selected!;
  if (move && selected.readOnly) return "NO [READ-ONLY] the folder was opened with EXAMINE";
  const target = await session.store!.folder(name).catch((err) => {
    if (err instanceof StoreError && err.code === "NONEXISTENT") throw new StoreError("TRYCREATE", err.message);
    throw err;
  });
  const sources: StoredMessage[] = [];
  const copies: number[] = [];
  for (const { uid } of session.resolve(set, byUid)) {
    const stored = session.message(uid);
    if (!stored) continue;
    const content = await selected.folder.read(stored);
    const copy = await target.append(content, stored.flags, await selected.folder.internalDate(stored));
    sources.push(stored);
    copies.push(copy.uid);
  }
  const copyUid = sources.length > 0 ? `[COPYUID ${target.uidValidity} ${formatSequenceSet(sources.map((m) => m.uid))} ${formatSequenceSet(copies)}] ` : "";
  if (!move) return `OK ${copyUid}${byUid ? "UID COPY" : "COPY"} completed`;
  // RFC 6851 §4.3: COPYUID comes in an untagged OK before the EXPUNGE responses.
  if (copyUid) session.reply(`* OK ${copyUid.trim()} moved`);
  await selected.folder.expunge(sources);
  return `OK ${byUid ? "UID MOVE" : "MOVE"} completed`;
}

// An extension switched off (ImapOptions.move): BAD, as a server that never heard of it answers.
function notOffered(command: string): Completion {
  return `BAD ${command} is not offered here (it is not in CAPABILITY): COPY, STORE +FLAGS (\\Deleted) and EXPUNGE instead`;
}

// RFC 3501 §6.4.8: UID FETCH / SEARCH / STORE / COPY take and give UIDs instead of sequence
// numbers; RFC 4315 adds UID EXPUNGE, RFC 6851 UID MOVE.
function handleUid(session: ImapSession, args: CommandParser): Promise<Completion> | Completion {
  args.space();
  const command = args.atom("FETCH, SEARCH, STORE, COPY, MOVE or EXPUNGE").toUpperCase();
  switch (command) {
    case "FETCH":
      return handleFetch(session, args, true);
    case "SEARCH":
      return handleSearch(session, args, true);
    case "STORE":
      return handleStore(session, args, true);
    case "COPY":
      return handleCopy(session, args, true, false);
    case "MOVE":
      return session.offersMove ? handleCopy(session, args, true, true) : notOffered("UID MOVE");
    case "EXPUNGE":
      return handleExpunge(session, args, true);
    default:
      throw new ParseError(`UID ${printable(command)}: UID goes with FETCH, SEARCH, STORE, COPY, MOVE or EXPUNGE`);
  }
}

// RFC 2177: IDLE — "tell me when something happens". The server sends untagged updates the
// moment they happen (new mail: "* 5 EXISTS") until the client sends DONE.
async function handleIdle(session: ImapSession, args: CommandParser): Promise<Completion> {
  args.end();
  session.reply("+ idling, send DONE to stop");
  const stopWatching = session.watchSelected();
  try {
    const line = await session.readLine();
    if (line === null) return null;
    if (line.toUpperCase() !== "DONE") return "BAD expected DONE to end IDLE";
  } finally {
    await stopWatching();
  }
  return "OK IDLE terminated";
}

// RFC 5161: ENABLE turns extensions on. This server has none that need it (no CONDSTORE, no UTF8=ACCEPT).
function handleEnable(session: ImapSession, args: CommandParser): Completion {
  args.space();
  args.atom("an extension name");
  while (args.take(" ")) args.atom("an extension name");
  args.end();
  session.reply("* ENABLED");
  return "OK ENABLE completed";
}

// RFC 2342: one personal namespace, no prefix, "." between levels; no shared or other users' folders.
function handleNamespace(session: ImapSession, args: CommandParser): Completion {
  args.end();
  session.reply(`* NAMESPACE (("" "${DELIMITER}")) NIL NIL`);
  return "OK NAMESPACE completed";
}

// RFC 3691: UNSELECT is CLOSE without removing the \Deleted messages.
function handleUnselect(session: ImapSession, args: CommandParser): Completion {
  args.end();
  session.deselect();
  return "OK UNSELECT completed";
}

// RFC 2971: the client says who it is (we ignore it), the server answers in kind.
function handleId(session: ImapSession, args: CommandParser): Completion {
  args.space();
  if (!args.take("NIL")) args.list(() => args.nstring());
  args.end();
  session.reply('* ID ("name" "Socket Playground IMAP" "vendor" "Socket Playground")');
  return "OK ID completed";
}

// ---------------------------------------------------------------------------------------
// The session: one per connection.

/** The selected folder as THIS session sees it: sequence number n is uids[n - 1]. */
interface Selected {
  folder: Folder;
  readOnly: boolean;
  uids: number[];
  /** RFC 3501 §2.3.2: the messages that are \Recent in this session. */
  recent: Set<number>;
  /** The flags this session last told its client, to notice changes made by others. */
  told: Map<number, string>;
  /** The keywords last told in FLAGS: a new one means a new FLAGS response (RFC 3501 §7.2.6). */
  keywords: string;
}

interface Server {
  options: ImapOptions;
  maxLiteralBytes: number;
}

class ImapSession extends LineSession {
  state: State = "not authenticated";
  store: MailStore | null = null;
  selected: Selected | null = null;

  constructor(
    socket: net.Socket,
    private readonly server: Server,
    secureContext: tls.SecureContext,
  ) {
    super(socket, {
      protocol: server.options.implicitTls ? "imaps" : "imap",
      traceAs: `${server.options.implicitTls ? "imaps" : "imap"} #`,
      trace: server.options.trace,
      activity: server.options.activity,
      mask: (line, side) => maskLogin(line, side, this.state !== "not authenticated"),
      maxLineLength: MAX_LINE,
      idleTimeoutMs: server.options.idleTimeoutMs ?? THIRTY_MINUTES,
      secureContext,
      requireTlsForLogin: server.options.requireTlsForLogin ?? !isLoopback(server.options.host),
      failedLoginDelayMs: server.options.failedLoginDelayMs ?? 1000,
      maxFailedLogins: server.options.maxFailedLogins ?? 3,
    });
  }

  /** RFC 6851 MOVE is offered (ImapOptions.move, default true). */
  get offersMove(): boolean {
    return this.server.options.move ?? true;
  }

  protected greeting(): string {
    return `* OK [CAPABILITY ${capabilities(this)}] Socket Playground IMAP4rev1 server ready`;
  }

  protected lineTooLongReply(): string {
    return `* BAD line too long: the limit is ${MAX_LINE} octets; send long values as literals {n}`;
  }

  protected idleReply(): string {
    return "* BYE autologout: idle for too long (RFC 3501 §5.4)";
  }

  protected ended(): void {
    this.deselect();
  }

  /** Reads a whole command (its literals too), then runs its handler and sends the tagged answer. */
  protected async handleLine(line: string): Promise<void> {
    const command = await this.readCommand(line);
    if (command === null) return;
    const parser = new CommandParser(command);
    let tag = "*";
    try {
      tag = parser.tag();
      parser.space();
      const name = parser.atom("a command name").toUpperCase();
      const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
      if (!entry) return this.reply(`${tag} BAD unknown command ${printable(name)}: CAPABILITY lists what this server understands`);
      if (!entry.states.includes(this.state)) return this.reply(`${tag} BAD ${name} ${wrongState(entry.states, this.state)}`);
      // Look at the files first, so the command works on what is there now (POP3 or another
      // program may have changed them); what changed is told after it, below.
      await this.selected?.folder.refresh();
      const completion = await entry.handler(this, parser, tag);
      if (completion === null) return;
      // RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH — sequence numbers
      // would shift under the client's feet. New mail (EXISTS) may be told any time.
      const mayExpunge = !/^(FETCH|STORE|SEARCH)$/.test(name);
      await this.sendUpdates(mayExpunge);
      this.reply(`${tag} ${completion}`);
    } catch (err) {
      if (err instanceof ParseError) return this.reply(`${tag} BAD ${err.message}`);
      if (err instanceof StoreError) return this.reply(`${tag} NO [${err.code}] ${err.message}`);
      throw err;
    }
  }

  /**
   * A line that ends in {n} announces a literal: n bytes follow, then the rest of the command.
   * {n} (synchronizing): the client waits for our "+" — so a literal that is too big is refused
   * before a byte of it is sent. {n+} (LITERAL+, RFC 7888): the bytes come at once.
   */
  private async readCommand(first: string): Promise<Buffer | null> {
    const pieces: Buffer[] = [];
    let line: string | null = first;
    for (;;) {
      const bytes = Buffer.from(line, "utf8");
      pieces.push(bytes);
      const literal = literalAtEnd(bytes);
      if (!literal) return Buffer.concat(pieces);
      const tag = /^[^\s]*/.exec(first)![0] || "*";
      if (literal.size > this.server.maxLiteralBytes) {
        if (!literal.synchronizing) {
          // The client is sending the bytes anyway; we will not read them as commands.
          this.reply(`* BYE literal of ${literal.size} bytes is over the limit of ${this.server.maxLiteralBytes}`);
          this.close();
          return null;
        }
        this.reply(`${tag} NO [TOOBIG] literal of ${literal.size} bytes is over the limit of ${this.server.maxLiteralBytes}`);
        return null;
      }
      if (literal.synchronizing) this.reply("+ ready for the literal");
      const data = await this.readBytes(literal.size);
      if (data === null) return null;
      pieces.push(Buffer.from("\r\n"), data);
      line = await this.readLine();
      if (line === null) return null;
    }
  }

  // -------------------------------------------------------------------------------------
  // Logging in and selecting.

  async logIn(tag: string, address: string, password: string): Promise<Completion> {
    const account = findAccount(this.server.options.accounts, address);
    if (!account || !sameSecret(password, account.password)) {
      await this.loginFailed(`${tag} NO [AUTHENTICATIONFAILED] wrong address or password`, `${tag} NO [AUTHENTICATIONFAILED] too many failed logins, closing the connection`);
      return null;
    }
    this.store = await MailStore.open(this.server.options.mailRoot, account.address);
    this.state = "authenticated";
    this.loggedIn(account.address);
    return `OK [CAPABILITY ${capabilities(this)}] logged in as ${account.address}`;
  }

  select(folder: Folder, readOnly: boolean): Selected {
    // \Recent goes to the first session that SELECTs; EXAMINE shows it but changes nothing
    // (RFC 3501 §6.3.2), so the next SELECT still gets it.
    const recent = readOnly ? folder.unclaimedRecentUids() : folder.claimRecent();
    const told = new Map(folder.messages.map((m) => [m.uid, flagText(m.flags)]));
    this.selected = { folder, readOnly, uids: folder.messages.map((m) => m.uid), recent, told, keywords: folder.keywords().join(" ") };
    this.state = "selected";
    return this.selected;
  }

  deselect(): void {
    this.selected = null;
    if (this.state === "selected") this.state = "authenticated";
  }

  /** The message with this UID as the store has it now; undefined once it is gone. */
  message(uid: number): StoredMessage | undefined {
    const messages = this.selected!.folder.messages;
    let low = 0;
    let high = messages.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (messages[middle].uid === uid) return messages[middle];
      if (messages[middle].uid < uid) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** The session's messages that still exist, in sequence order. */
  viewMessages(): StoredMessage[] {
    return this.selected!.uids.map((uid) => this.message(uid)).filter((m): m is StoredMessage => m !== undefined);
  }

  /** A sequence set (or UID set) → the messages it names, ascending. */
  resolve(set: SequenceSet, byUid: boolean): { seq: number; uid: number }[] {
    const uids = this.selected!.uids;
    const highest = byUid ? (uids.at(-1) ?? 0) : uids.length;
    const chosen: { seq: number; uid: number }[] = [];
    uids.forEach((uid, index) => {
      if (inSequenceSet(set, byUid ? uid : index + 1, highest)) chosen.push({ seq: index + 1, uid });
    });
    return chosen;
  }

  /**
   * The flags to show: the stored ones, plus \Recent if the message is recent in this session;
   * system flags first in RFC 3501's order, then keywords (the order Dovecot shows them in).
   */
  flagsOf(message: StoredMessage): Set<string> {
    const system = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"].filter((flag) => message.flags.has(flag));
    if (this.selected?.recent.has(message.uid)) system.push("\\Recent");
    return new Set([...system, ...[...message.flags].filter((flag) => !flag.startsWith("\\")).sort()]);
  }

  /** This session has told its client the message's current flags. */
  reported(message: StoredMessage): void {
    this.selected?.told.set(message.uid, flagText(message.flags));
  }

  async load(message: StoredMessage): Promise<{ content: Buffer; entity: ReturnType<typeof parseMessage> }> {
    const content = await this.selected!.folder.read(message);
    return { content, entity: parseMessage(content) };
  }

  /**
   * RFC 3501 §5.2, §7.3–7.4: tells the client what changed in the selected folder since it last
   * heard — others' new mail (EXISTS, RECENT), flags others changed (FETCH), messages removed by
   * another session or by POP3 (EXPUNGE, only when `mayExpunge`).
   */
  async sendUpdates(mayExpunge: boolean): Promise<void> {
    const selected = this.selected;
    if (!selected) return;
    await selected.folder.refresh();
    const lines: string[] = [];
    const recentBefore = selected.recent.size;
    lines.push(...this.newKeywords());
    if (mayExpunge) {
      // From the highest sequence number down, so each number is still right when it is sent.
      for (let index = selected.uids.length - 1; index >= 0; index--) {
        const uid = selected.uids[index];
        if (this.message(uid)) continue;
        lines.push(`* ${index + 1} EXPUNGE`);
        selected.uids.splice(index, 1);
        selected.told.delete(uid);
        selected.recent.delete(uid);
      }
    }
    for (const [index, uid] of selected.uids.entries()) {
      const message = this.message(uid);
      if (!message || selected.told.get(uid) === flagText(message.flags)) continue;
      selected.told.set(uid, flagText(message.flags));
      lines.push(`* ${index + 1} FETCH (UID ${uid} FLAGS (${[...this.flagsOf(message)].join(" ")}))`);
    }
    const last = selected.uids.at(-1) ?? 0;
    const arrived = selected.folder.messages.filter((m) => m.uid > last);
    if (arrived.length > 0) {
      if (!selected.readOnly) for (const uid of selected.folder.claimRecent()) selected.recent.add(uid);
      for (const message of arrived) {
        selected.uids.push(message.uid);
        selected.told.set(message.uid, flagText(message.flags));
      }
      lines.push(`* ${selected.uids.length} EXISTS`, `* ${selected.recent.size} RECENT`);
    } else if (selected.recent.size !== recentBefore) {
      lines.push(`* ${selected.recent.size} RECENT`); // expunged messages took their \Recent with them
    }
    for (const line of lines) this.push(line);
  }

  /**
   * A keyword nobody used before (STORE +FLAGS ($Work)) makes the folder's flag list grow:
   * RFC 3501 §7.2.6 FLAGS (and PERMANENTFLAGS) tell the client, before it sees the keyword used.
   */
  newKeywords(): string[] {
    const selected = this.selected!;
    const keywords = selected.folder.keywords();
    if (keywords.join(" ") === selected.keywords) return [];
    selected.keywords = keywords.join(" ");
    const all = ["\\Answered \\Flagged \\Deleted \\Seen \\Draft", ...keywords].join(" ");
    return [`* FLAGS (${all})`, ...(selected.readOnly ? [] : [`* OK [PERMANENTFLAGS (${all} \\*)] flags that stay`])];
  }

  /**
   * For IDLE: watches the selected folder's new/ and cur/ (another program, SMTP delivery,
   * POP3) and this process's other sessions, and pushes updates at once. Returns "stop".
   */
  watchSelected(): () => Promise<void> {
    const selected = this.selected;
    if (!selected) return async () => {};
    let pending: Promise<void> = Promise.resolve();
    const update = () => {
      pending = pending.then(() => this.sendUpdates(true)).catch(() => {});
    };
    const watchers: FSWatcher[] = [];
    for (const dir of ["new", "cur"]) {
      try {
        watchers.push(watch(join(selected.folder.directory, dir), update));
      } catch {
        // Not all file systems can be watched: the timer below still notices, only later.
      }
    }
    const timer = setInterval(update, 5000);
    selected.folder.listeners.add(update);
    update(); // whatever happened just before IDLE began
    return async () => {
      for (const watcher of watchers) watcher.close();
      clearInterval(timer);
      selected.folder.listeners.delete(update);
      await pending; // an update still being sent finishes before the tagged OK
    };
  }
}

function flagText(flags: Set<string>): string {
  return [...flags].sort().join(" ");
}

function wrongState(allowed: State[], state: State): string {
  if (state === "not authenticated") return "needs a login first (LOGIN address password)";
  if (!allowed.includes("not authenticated")) return "needs a selected folder: SELECT one first (e.g. SELECT INBOX)";
  return "is only allowed before login";
}

// ---------------------------------------------------------------------------------------
// Starting the server.

/**
 * Starts an IMAP server (IMAPS with `implicitTls`). Resolves once it listens; a listen error
 * (e.g. EADDRINUSE) rejects with the original error, with `.port` set.
 */
export function startImapServer(options: ImapOptions): Promise<Listening> {
  const secureContext = tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert });
  const server: Server = { options, maxLiteralBytes: options.maxLiteralBytes ?? 10 * 1024 * 1024 };
  return serve({
    host: options.host,
    port: options.port,
    implicitTls: options.implicitTls ? secureContext : undefined,
    tooManyConnections: "* BYE too many connections, try again later",
    label: options.implicitTls ? "imaps" : "imap",
    trace: options.trace,
    startSession: (socket) => new ImapSession(socket, server, secureContext),
  });
}
