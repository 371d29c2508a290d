// Lesson 15 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 15
// Stuck? npm run hint 15
//
// An IMAP client (RFC 3501) over a raw TCP socket, one method per command, like Python's
// imaplib. Use node:net only: the checker reads this file and rejects mail libraries.
//
//   const client = await ImapClient.connect("127.0.0.1", 1143);
//   await client.login("friend@example.org", "secret");
//   await client.select("INBOX");                          → { name: "INBOX", exists: 5, uidValidity: 1796181599, uidNext: 6, flags: [...] }
//   await client.uidSearch("UNSEEN");                      → [1, 2, 3, 4, 5]
//   await client.fetchHeaders([1, 4], ["FROM", "SUBJECT"]); → Map { 1 => <Buffer "From: …\r\nSubject: …\r\n\r\n">, 4 => … }
//   await client.fetchBody(1);                             → <Buffer "Return-Path: …"> the exact bytes
//   await client.store([1], "+FLAGS", ["\\Seen"]);          → Map { 1 => ["\\Seen"] }
//   await client.logout();

import { todo } from "../not-implemented.ts";

/** What SELECT told about a folder. */
export interface Mailbox {
  name: string;
  exists: number; // "* 5 EXISTS": how many messages
  uidValidity: number; // "* OK [UIDVALIDITY 1796181599]": the UIDs' generation
  uidNext: number; // "* OK [UIDNEXT 6]": the UID the next message will get
  flags: string[]; // "* FLAGS (\Answered \Flagged …)"
}

/**
 * - Every command starts with a tag you choose ("A1 LOGIN …", "A2 SELECT …"); its answer ends
 *   with the line that starts with the same tag: "A2 OK …", "A2 NO …" or "A2 BAD …". On NO or
 *   BAD, reject with an Error whose message contains that line — but never the password.
 * - Before the tagged line the server sends untagged lines ("* 5 EXISTS", "* 1 FETCH (…)"), also
 *   about things nobody asked for, at any time. Keep `exists` true: "* n EXISTS" sets it,
 *   "* n EXPUNGE" takes one away.
 * - A line that ends in {n} is followed by exactly n BYTES (a literal), then the rest of the
 *   line. n counts bytes, not characters: "你好" is 6 bytes. TCP may cut the literal anywhere.
 * - To SEND a literal (APPEND's message), send the line ending in {n}, wait for the server's
 *   continuation request "+ …" (untagged lines may come first), then the n bytes and "\r\n".
 * - Strings (the password, a folder name) travel in double quotes with \ and " escaped.
 * - Use UIDs (UID SEARCH, UID FETCH, UID STORE): in "* 2 FETCH (UID 4 …)", 2 is the sequence
 *   number, which changes after every EXPUNGE; 4 is the UID, which does not.
 * - fetchBody() uses BODY.PEEK[]: reading must not mark the message \Seen (store() does that).
 * - Every line you send ends in "\r\n".
 */
export class ImapClient {
  /** The server's greeting, e.g. "* OK [CAPABILITY …] IMAP4rev1 server ready". */
  greeting = "";
  /** Messages in the selected folder, kept up to date by every "* n EXISTS" and "* n EXPUNGE". */
  exists = 0;

  /** Connects and reads the greeting (the server speaks first: "* OK …"). */
  static async connect(host: string, port: number): Promise<ImapClient> {
    todo("ImapClient.connect");
  }

  /** LOGIN "user" "password". */
  async login(user: string, password: string): Promise<void> {
    todo("ImapClient.login");
  }

  /** SELECT "name": what the untagged lines say about the folder. */
  async select(name: string): Promise<Mailbox> {
    todo("ImapClient.select");
  }

  /** UID SEARCH criteria ("ALL", "UNSEEN", 'SUBJECT "hello"'): the UIDs of the matches. */
  async uidSearch(criteria: string): Promise<number[]> {
    todo("ImapClient.uidSearch");
  }

  /** UID FETCH uids (BODY.PEEK[HEADER.FIELDS (fields)]): each message's header lines, by UID. */
  async fetchHeaders(uids: number[], fields: string[]): Promise<Map<number, Buffer>> {
    todo("ImapClient.fetchHeaders");
  }

  /** UID FETCH uid (BODY.PEEK[]): the whole message, exact bytes. */
  async fetchBody(uid: number): Promise<Buffer> {
    todo("ImapClient.fetchBody");
  }

  /** UID STORE uids +FLAGS/-FLAGS/FLAGS (flags): each message's flags afterwards, by UID. */
  async store(uids: number[], change: "+FLAGS" | "-FLAGS" | "FLAGS", flags: string[]): Promise<Map<number, string[]>> {
    todo("ImapClient.store");
  }

  /** EXPUNGE: removes the messages flagged \Deleted; the sequence numbers of the "* n EXPUNGE" lines. */
  async expunge(): Promise<number[]> {
    todo("ImapClient.expunge");
  }

  /** APPEND "folder" (flags) {n}: stores a message; its new UID (from "[APPENDUID v uid]"). */
  async append(folder: string, message: Buffer | string, flags: string[] = []): Promise<number | undefined> {
    todo("ImapClient.append");
  }

  /** NOOP: does nothing, and lets the server tell its news (new mail: "* 6 EXISTS"). */
  async noop(): Promise<void> {
    todo("ImapClient.noop");
  }

  /** LOGOUT: the server says "* BYE", then the tagged OK, then closes. */
  async logout(): Promise<void> {
    todo("ImapClient.logout");
  }
}
