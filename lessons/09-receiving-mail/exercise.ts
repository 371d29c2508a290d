// Lesson 09 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 09
// Stuck? npm run hint 09
//
// A POP3 client (RFC 1939) over a raw TCP socket, one method per command, like Python's
// poplib. Use node:net only: the checker reads this file and rejects mail libraries.
//
//   const client = await Pop3Client.connect("127.0.0.1", 1110);
//   await client.login("friend@example.org", "secret");
//   await client.stat();     → { count: 3, size: 4721 }
//   await client.list();     → [{ number: 1, size: 1204 }, …]
//   await client.retr(1);    → <Buffer "Return-Path: …\r\n…">
//   await client.dele(1);
//   await client.quit();

import { todo } from "../not-implemented.ts";

export interface MailboxStat {
  count: number; // messages in the maildrop (not counting those marked deleted)
  size: number; // their total size in octets
}

export interface ListEntry {
  number: number; // the message number: 1, 2, 3 … for this session only
  size: number; // its size in octets, exactly what RETR will send
}

/**
 * - Every reply starts with a status line: "+OK …" or "-ERR …", ending in "\r\n". On
 *   "-ERR", reject with an Error whose message contains the server's line (for example
 *   "POP3 PASS failed: -ERR [AUTH] wrong address or password") — but never the password.
 * - LIST and RETR answer with more lines after "+OK", ending with a line that is exactly
 *   ".\r\n". Any other line that starts with "." had one extra "." added by the server
 *   (byte-stuffing): remove it.
 * - TCP gives you bytes in any pieces: a line may arrive in several 'data' events, and
 *   one event may hold several lines. Keep the bytes you have not read yet between events.
 * - retr() returns the message exactly: a Buffer with CRLF line endings, the final "\r\n"
 *   of its last line included, the ".\r\n" end marker not. Its length is the size LIST gave.
 */
export class Pop3Client {
  /** The server's greeting, e.g. "+OK POP3 server ready". */
  greeting = "";

  /** Connects and reads the greeting (the server speaks first). */
  static async connect(host: string, port: number): Promise<Pop3Client> {
    todo("Pop3Client.connect");
  }

  /** USER, then PASS. */
  async login(user: string, password: string): Promise<void> {
    todo("Pop3Client.login");
  }

  /** STAT: "+OK 2 320" → { count: 2, size: 320 }. */
  async stat(): Promise<MailboxStat> {
    todo("Pop3Client.stat");
  }

  /** LIST: one { number, size } per message. */
  async list(): Promise<ListEntry[]> {
    todo("Pop3Client.list");
  }

  /** RETR n: the message's exact bytes, dot-unstuffed. */
  async retr(number: number): Promise<Buffer> {
    todo("Pop3Client.retr");
  }

  /** DELE n: marks message n; the server deletes it only when you QUIT. */
  async dele(number: number): Promise<void> {
    todo("Pop3Client.dele");
  }

  /** QUIT: the server deletes what you marked, answers, and closes the connection. */
  async quit(): Promise<void> {
    todo("Pop3Client.quit");
  }
}
