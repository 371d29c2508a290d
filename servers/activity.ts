// What the playground's servers report about their sessions, for whoever watches:
// `npm start -- --trace` prints it, the console (http://127.0.0.1:8080/console/) shows it live.
//
// Every method is fire-and-forget (returns nothing) and takes only plain data (strings,
// numbers, booleans, plain objects), because a server may run on its own event loop — a
// worker thread — and its reports then cross to the playground's supervisor as messages.
// A server never waits for, or depends on, anyone listening.

/** How a session ended, in the words the console shows. */
export type SessionEnd = "QUIT" | "FIN" | "reset" | "timeout" | "refused" | "error" | "server stopped";

export interface SessionOpened {
  /** Made by the server, unique for the life of the playground (e.g. "smtp-2525-<boot>-17"). */
  id: string;
  /** "smtp" | "smtps" | "mx" | "pop3" | "pop3s" | "imap" | "imaps" | "ftp" | "ftp-data" | "nntp" | "http" (an MX session a relay hop made is "mx", linked by relatedTo) */
  protocol: string;
  /** The server's own port. */
  port: number;
  /** The client's address:port, e.g. "127.0.0.1:53122". */
  client: string;
  tls: boolean;
  /** ISO time. */
  started: string;
  /** The session that caused this one: an MX relay hop's SMTP session, an FTP data connection's control session. */
  relatedTo?: string;
  /** What --trace prints in front of this session's lines: "[smtp 2525 #3]", "pop3 #12", "ftp#4" (default: the id). */
  label?: string;
}

export interface SessionLine {
  id: string;
  side: "C" | "S";
  /** One transcript line without the "C: " prefix, \r\n made visible, secrets already masked. */
  text: string;
  /** How many bytes on the wire this line stands for (a folded data block counts all of its bytes). */
  bytes: number;
  /** ISO time. */
  at: string;
  /**
   * A long run of lines from one side (a DATA body, a RETR) is folded: its first lines come
   * plain, the next ones as "inside" (the console shows them when the fold is opened, --trace
   * never), then one "summary" line: "… 300 more lines (18000 bytes) not shown".
   */
  fold?: "inside" | "summary";
}

/**
 * Lines in a row of one session, all at one time, packed: line i is { id, at, side: sides[i],
 * text: the i-th piece of texts, bytes: bytes[i], fold: folds[i] }. This is how lines cross from a
 * worker thread (servers/activity-bridge.ts) and how the console keeps them (console/sessions.ts):
 * one long string and one small array instead of an object per line.
 */
export interface LineBlock {
  id: string;
  at: string;
  /** One letter per line: "C" or "S". */
  sides: string;
  /** The lines' texts joined by "\n" (a line's text never holds a real "\n": the transcript writes it as "\\n"). */
  texts: string;
  bytes: number[];
  /** One letter per line: "-" not folded, "i" inside a fold, "s" a fold's summary. */
  folds: string;
}

/**
 * Lines of a body (an SMTP DATA, a POP3 RETR or TOP, an NNTP article: data, not commands) kept as
 * the bytes they were on the wire — how the console's store keeps what sessionBody() brings. A
 * mail's lines are more than half of all lines, and nobody reads most of them (the page shows a
 * fold's first lines and its size until it is opened), so they are cut into lines only when
 * asked for: servers/transcript.ts's rawLineEnd() and showRawLine() show each exactly as the
 * transcript would have shown it one by one.
 */
export interface BodyBlock {
  id: string;
  at: string;
  side: "C" | "S";
  /** Whole lines, one character per byte (latin1), each with its "\n"; never masked (a body's). */
  raw: string;
  /** How many lines `raw` holds. */
  lines: number;
  /** The first `plain` lines are shown as they come; the others are inside a fold ("inside"). */
  plain: number;
}

/** What a piece of Activity.sessionRaw is: bytes of commands and replies, a body's bytes (see BodyBlock), or a note. */
export type RawKind = "data" | "body" | "note";

export interface SessionChange {
  id: string;
  /** The account once logged in (mail address, FTP or news user). */
  account?: string;
  /** true after STARTTLS / STLS / AUTH TLS. */
  tls?: boolean;
  /** Found out later: the MX learns which submission session a relay connection belongs to. */
  relatedTo?: string;
}

export interface SessionClosed {
  id: string;
  how: SessionEnd;
  bytesIn: number;
  bytesOut: number;
  /** ISO time. */
  ended: string;
}

/** Something a session made: a mail delivered into a mailbox, an article posted, a file stored. */
export interface StoredItem {
  kind: "mail-delivered" | "article-posted" | "file-stored";
  /** The session that made it, when known. */
  sessionId?: string;
  /** Whose it is: the mailbox's address, the FTP user, the newsgroup(s). */
  owner: string;
  /** Where to look at it: a Maildir file name, an FTP path, a message-id. */
  ref: string;
  bytes: number;
  at: string;
}

/**
 * A file transfer on an FTP data connection (RETR, STOR, APPE, STOU), while it runs: reported once
 * when it starts, at most 4 times a second while it moves (and once a second while it is stuck),
 * and once when it ends. A 100 MB download costs a few hundred of these reports, not one per piece.
 */
export interface TransferProgress {
  /** The data connection's session (protocol "ftp-data"): one transfer each. */
  id: string;
  /** The control connection's session, whose login the transfer belongs to. */
  sessionId: string;
  account: string;
  command: "RETR" | "STOR" | "APPE" | "STOU";
  /** As the client sees it: "download" is RETR, "upload" the others. */
  direction: "download" | "upload";
  /** The file as the client names it ("/pub/big.bin"), never its place on the server's disk. */
  path: string;
  /** Bytes moved so far (a download: handed to the network; an upload: received). */
  bytes: number;
  /** When known: a download's size (TYPE I, from the REST offset on), an upload's size if the client sent ALLO. */
  total?: number;
  /** Over the last 2 seconds or so while it runs; over the whole transfer once it has ended. */
  bytesPerSecond: number;
  /** ISO times: when it started, and of this report. */
  started: string;
  at: string;
  elapsedMs: number;
  state: "running" | "done" | "aborted" | "failed";
}

export interface Activity {
  sessionOpened(session: SessionOpened): void;
  sessionLine(line: SessionLine): void;
  /**
   * Optional: the same as a sessionLine call per line of the block, for an Activity that can take
   * them packed (the console's store). Whoever has a block and an Activity without it unpacks it.
   */
  sessionLines?(block: LineBlock): void;
  /**
   * Optional: lines of a body as raw text (BodyBlock says what the arguments are) instead of one
   * sessionLine call each; a reporter uses it when the Activity has it. Positional, not one
   * object: it is called for every chunk of every mail, and on a worker thread the messenger
   * only copies the values into its batch. Whoever has a body for an Activity without it cuts
   * it into lines (session-report.ts: bodyLines()).
   */
  sessionBody?(id: string, at: string, side: "C" | "S", raw: string, lines: number, plain: number): void;
  /**
   * Optional: a session's bytes as they came, not cut into lines yet — what a SessionReporter got
   * as data(), body() or note() ("data", "body", "note"; a note's text as UTF-8). Only for the
   * call: the caller may reuse the buffer, so whoever keeps them copies them. A server whose
   * Activity has this (a worker thread's messenger) sends its sessions so, for the protocols
   * masks.ts knows (maskFor): the worker, the busy thread, then only copies bytes. The console's
   * store takes them too: it keeps them as they are and cuts and masks them (session-report.ts:
   * RawCut) only when someone asks for their lines; for any other Activity the supervisor cuts
   * them as they arrive (activity-bridge.ts: cutOnArrival). Secrets are still in them: only
   * those two take this call — never a page or --trace, which get the cut, masked lines.
   */
  sessionRaw?(id: string, at: string, kind: RawKind, side: "C" | "S", bytes: Buffer): void;
  sessionChanged(change: SessionChange): void;
  sessionClosed(closed: SessionClosed): void;
  stored(item: StoredItem): void;
  /** An FTP transfer under way: only the console shows these (--trace shows the control connection's 150 and 226). */
  transfer(progress: TransferProgress): void;
}
