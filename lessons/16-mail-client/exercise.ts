// Lesson 16 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 16
// Stuck? npm run hint 16
//
// The parts of a mail client that decide whether it is right, behind one interface over two
// protocols (Core Python 17-24: let the user choose POP3 or IMAP):
//
//   const mailbox = await openMailbox({ protocol: "imap", host: "127.0.0.1", port: 1143, user, password, ca });
//   await mailbox.listSubjects({ size: 10 });               → { messages: [{ id: 7, subject, from, date, seen }, …], next: 4 }
//   await mailbox.listSubjects({ size: 10, before: 4 });    → the next, older page
//   await mailbox.readMessage(7);                           → { subject, text, attachments, messageId, references, … }
//   await replyTo(mailbox, 7, "Yes!", smtp);                → sent: "Re: …", In-Reply-To, References, quoted
//   await mailbox.moveToTrash(7);                           → IMAP: MOVE, or COPY + STORE \Deleted + EXPUNGE; POP3: DELE
//   await mailbox.close();
//
// IMAP with imapflow (its documentation: https://imapflow.com), POP3 with your Pop3Client
// from lesson 09. Run `npx tsx examples/mail-client.ts` against `npm start` to see a client
// built on these parts; `npm start -- --trace` shows every IMAP command it sends.

import { todo } from "../not-implemented.ts";
import type { ImapFlow } from "imapflow";
// What you will need (uncomment as you go):
// import { randomUUID } from "node:crypto";
// import { ImapFlow } from "imapflow";            (instead of the `import type` above)
// import { simpleParser, type AddressObject } from "mailparser";
// import nodemailer from "nodemailer";
import type { Pop3Client } from "../09-receiving-mail/solution.ts";
// import { Pop3Client } from "../09-receiving-mail/exercise.ts"; // yours; not finished? use "../09-receiving-mail/solution.ts"

export type Protocol = "imap" | "pop3";

export interface MailboxOptions {
  protocol: Protocol;
  host: string; // "127.0.0.1"
  port: number; // 1143 for IMAP, 1110 for POP3
  user: string; // "me@example.com"
  password: string; // "secret"
  ca: string; // the certificate (PEM text) to trust when the server offers STARTTLS
}

export interface SmtpOptions {
  host: string;
  port: number; // 2525: the submission server
  user: string; // also the reply's From:
  password: string;
  ca: string;
}

export interface Address {
  name: string; // "" when the header has none
  address: string;
}

export interface Summary {
  id: number; // IMAP: the UID; POP3: the message number of this session
  from: Address;
  date: Date | null;
  subject: string; // decoded (RFC 2047)
  seen: boolean | null; // IMAP's \Seen flag; null for POP3, which has no flags
}

export interface Page {
  size: number; // at most this many summaries
  before?: number; // only messages older than this id: the `next` of the page before
}

export interface SummaryPage {
  messages: Summary[]; // newest first
  next: number | null; // pass as `before` for the next (older) page; null: this was the last
}

export interface Attachment {
  filename: string | undefined; // as the SENDER named it: hostile input (lesson 09)
  contentType: string;
  size: number;
  content: Buffer;
}

export interface Message {
  id: number;
  from: Address;
  replyTo: Address; // where a reply goes: Reply-To if there is one, else From
  to: Address[];
  subject: string;
  date: Date | null;
  messageId: string | null; // "<…@…>"
  inReplyTo: string | null;
  references: string[]; // every "<…@…>" of the References: header, oldest first
  text: string; // the text/plain part if there is one, decoded from its charset
  attachments: Attachment[];
}

export interface SentReply {
  messageId: string;
  to: string;
  subject: string;
  inReplyTo: string;
  references: string[];
  text: string;
}

/** One interface, two protocols: what the mail client above it uses. */
export interface Mailbox {
  readonly protocol: Protocol;
  listSubjects(page: Page): Promise<SummaryPage>;
  readMessage(id: number): Promise<Message>;
  moveToTrash(id: number): Promise<void>;
  close(): Promise<void>;
}

/** Opens the INBOX with the protocol the user chose: ImapMailbox.open or Pop3Mailbox.open. */
export async function openMailbox(options: MailboxOptions): Promise<Mailbox> {
  todo("openMailbox");
}

/**
 * IMAP: the messages stay on the server, in folders, with flags.
 * - open: `new ImapFlow({ host, port, secure: false, auth: { user, pass }, tls: { ca, servername:
 *   "localhost" }, logger: false })`, `connect()`, `mailboxOpen("INBOX")`.
 * - ids are UIDs. Pass `{ uid: true }` to every imapflow call that takes a range: without it,
 *   imapflow reads the number as a SEQUENCE number — a position that shifts when anyone expunges.
 */
export class ImapMailbox implements Mailbox {
  readonly protocol = "imap";

  constructor(readonly client: ImapFlow) {}

  static async open(options: MailboxOptions): Promise<ImapMailbox> {
    todo("ImapMailbox.open");
  }

  /**
   * Newest first, `size` at a time, only UIDs below `before`. `next` is the last UID of the
   * page (null when nothing older is left). Mail that arrives, or that another client deletes,
   * between two pages must not make the next page repeat or skip a message.
   * Subjects decoded: "=?UTF-8?B?5p2l6Ieq?=" is "来自" (the ENVELOPE is decoded for you).
   */
  async listSubjects(page: Page): Promise<SummaryPage> {
    todo("ImapMailbox.listSubjects");
  }

  /** The message with this UID, parsed (parseMessage). Reading must not mark it \Seen. */
  async readMessage(uid: number): Promise<Message> {
    todo("ImapMailbox.readMessage");
  }

  /**
   * Into the folder LIST marks \Trash (RFC 6154), "Trash" if none is. With MOVE in the server's
   * capabilities (`this.client.capabilities`), one UID MOVE. Without it: UID COPY, then
   * STORE +FLAGS (\Deleted), then UID EXPUNGE — of this message only: other messages someone
   * marked \Deleted stay until their owner expunges them. A UID that matches nothing moves
   * nothing and still gets OK: imapflow's result has a `uidMap` (UIDPLUS's COPYUID) — reject then.
   */
  async moveToTrash(uid: number): Promise<void> {
    todo("ImapMailbox.moveToTrash");
  }

  async close(): Promise<void> {
    todo("ImapMailbox.close");
  }
}

/**
 * POP3: one session is one snapshot of the maildrop (RFC 1939 §8): message numbers hold still
 * until QUIT, there are no folders and no flags (`seen: null`).
 */
export class Pop3Mailbox implements Mailbox {
  readonly protocol = "pop3";

  constructor(readonly client: Pop3Client) {}

  static async open(options: MailboxOptions): Promise<Pop3Mailbox> {
    todo("Pop3Mailbox.open");
  }

  /** Like ImapMailbox's, with message numbers for ids (LIST, then RETR for the headers). */
  async listSubjects(page: Page): Promise<SummaryPage> {
    todo("Pop3Mailbox.listSubjects");
  }

  async readMessage(number: number): Promise<Message> {
    todo("Pop3Mailbox.readMessage");
  }

  /** No Trash in POP3: DELE marks the message; close() must QUIT, or nothing is deleted. */
  async moveToTrash(number: number): Promise<void> {
    todo("Pop3Mailbox.moveToTrash");
  }

  async close(): Promise<void> {
    todo("Pop3Mailbox.close");
  }
}

/**
 * The message's bytes → a Message. mailparser's simpleParser(raw) does the MIME: give it the
 * Buffer (not a string), take `text` (the text/plain part, decoded from its charset — never
 * `html`, even when there is one), `references` (a string or a list), `replyTo` (or From).
 */
export async function parseMessage(id: number, raw: Buffer): Promise<Message> {
  todo("parseMessage");
}

/** "Lunch?" → "Re: Lunch?"; "Re: Lunch?" and "RE: Lunch?" stay as they are. */
export function replySubject(subject: string): string {
  todo("replySubject");
}

/** RFC 5322 §3.6.4: the parent's References (none? its In-Reply-To), then its Message-ID. */
export function replyReferences(parent: Message): string[] {
  todo("replyReferences");
}

/** Your text, a line saying who wrote what follows, then every line of the parent's text after "> ". */
export function quoted(parent: Message, text: string): string {
  todo("quoted");
}

/**
 * Reads message `id` and sends the reply through `smtp` (nodemailer; `requireTLS: true`, `tls:
 * { ca, servername: "localhost" }`): From smtp.user, To the parent's replyTo, your own
 * Message-ID, inReplyTo, references, and quoted() text. Returns what it sent.
 */
export async function replyTo(mailbox: Mailbox, id: number, text: string, smtp: SmtpOptions): Promise<SentReply> {
  todo("replyTo");
}
