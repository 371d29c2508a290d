// Lesson 16 — reference solution. Same exports as exercise.ts.
// The parts of a mail client that decide whether it is right: list the subjects (paged by UID),
// read a message (the plain text, decoded), reply in the same thread, move to Trash — with one
// interface over IMAP (imapflow) and POP3 (lesson 09's Pop3Client), so the client above does
// not care which protocol it speaks (Core Python 17-24: "let the user choose").

import { randomUUID } from "node:crypto";
import { ImapFlow, type FetchMessageObject } from "imapflow";
import { simpleParser, type AddressObject } from "mailparser";
import nodemailer from "nodemailer";
import { Pop3Client } from "../09-receiving-mail/solution.ts";

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

// #region open
/** Opens the INBOX with the protocol the user chose. */
export async function openMailbox(options: MailboxOptions): Promise<Mailbox> {
  return options.protocol === "imap" ? ImapMailbox.open(options) : Pop3Mailbox.open(options);
}
// #endregion open

// ---------------------------------------------------------------------------------------
// IMAP: the messages stay on the server, in folders, with flags; we look at them from here.

export class ImapMailbox implements Mailbox {
  readonly protocol = "imap";

  constructor(readonly client: ImapFlow) {}

  static async open(options: MailboxOptions): Promise<ImapMailbox> {
    const client = new ImapFlow({
      host: options.host,
      port: options.port,
      secure: false, // plain connect, then STARTTLS (imapflow takes it when the server offers it)
      auth: { user: options.user, pass: options.password },
      tls: { ca: options.ca, servername: "localhost" }, // the playground's certificate names localhost
      logger: false,
    });
    client.on("error", () => {}); // a dropped connection rejects the command that waits on it
    await client.connect();
    await client.mailboxOpen("INBOX");
    return new ImapMailbox(client);
  }

  // #region list
  /**
   * Newest first, paged by UID. A sequence number is a position (1 … EXISTS) that shifts when
   * another client expunges; a UID names one message for as long as UIDVALIDITY holds (RFC 3501
   * §2.3.1.1). "Older than UID 7" means the same messages before and after mail arrives.
   */
  async listSubjects({ size, before }: Page): Promise<SummaryPage> {
    const uids = (await this.client.search({ all: true }, { uid: true })) || []; // UID SEARCH ALL
    const older = uids.filter((uid) => before === undefined || uid < before).sort((a, b) => b - a);
    const page = older.slice(0, size);
    if (page.length === 0) return { messages: [], next: null };
    const messages: Summary[] = [];
    // UID FETCH 9,8,7 (UID FLAGS ENVELOPE): the envelope is the server's parse of the headers;
    // imapflow decodes its RFC 2047 words ("=?UTF-8?B?…?=") into text.
    for await (const message of this.client.fetch(page.join(","), { uid: true, flags: true, envelope: true }, { uid: true })) {
      messages.push(summaryOf(message));
    }
    messages.sort((a, b) => b.id - a.id); // FETCH answers in mailbox order, oldest first
    return { messages, next: older.length > size ? page.at(-1)! : null };
  }
  // #endregion list

  async readMessage(uid: number): Promise<Message> {
    // UID FETCH uid (BODY.PEEK[]): the whole message, byte-exact; PEEK leaves \Seen alone.
    const message = await this.client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    if (!message || !message.source) throw new Error(`IMAP: there is no message with UID ${uid} in INBOX`);
    return parseMessage(uid, message.source);
  }

  // #region move
  /**
   * RFC 6851 MOVE is one atomic command. A server without it (older ones, or
   * `startMailSystem({ imapMove: false })`) needs three: COPY, STORE +FLAGS (\Deleted), EXPUNGE.
   * With UIDPLUS (RFC 4315), UID EXPUNGE removes only this UID — a plain EXPUNGE (or CLOSE)
   * would also remove every message another client marked \Deleted and meant to keep a while.
   */
  async moveToTrash(uid: number): Promise<void> {
    const trash = await trashFolder(this.client);
    const byUid = { uid: true }; // the number is a UID, not a sequence number
    const canMove = this.client.capabilities.has("MOVE");
    // UID MOVE uid Trash — or, without MOVE, UID COPY uid Trash first.
    const copied = canMove ? await this.client.messageMove(String(uid), trash, byUid) : await this.client.messageCopy(String(uid), trash, byUid);
    // UIDPLUS's [COPYUID …] says which UIDs went where. A UID that matches nothing moves
    // nothing, and the server still answers OK: so look.
    if (!copied || !copied.uidMap?.has(uid)) throw new Error(`IMAP: no message with UID ${uid} was moved to ${trash} (is there one in INBOX?)`);
    // messageDelete: UID STORE uid +FLAGS.SILENT (\Deleted), then UID EXPUNGE uid.
    if (!canMove && !(await this.client.messageDelete(String(uid), byUid))) throw new Error(`IMAP: deleting UID ${uid} after the copy failed`);
  }
  // #endregion move

  async close(): Promise<void> {
    await this.client.logout();
  }
}

/** The folder marked \Trash (RFC 6154 SPECIAL-USE), or one named "Trash". */
async function trashFolder(client: ImapFlow): Promise<string> {
  const folders = await client.list(); // LIST "" "*": every folder, with its special use
  return folders.find((folder) => folder.specialUse === "\\Trash")?.path ?? "Trash";
}

function summaryOf(message: FetchMessageObject): Summary {
  const envelope = message.envelope;
  const from = envelope?.from?.[0];
  return {
    id: message.uid,
    from: { name: from?.name ?? "", address: from?.address ?? "" },
    date: envelope?.date ? new Date(envelope.date) : null,
    subject: envelope?.subject ?? "",
    seen: message.flags?.has("\\Seen") ?? false,
  };
}

// ---------------------------------------------------------------------------------------
// POP3: one session is one snapshot of the maildrop (RFC 1939 §8): numbers 1 … n hold still
// until QUIT, new mail shows only in the next session, and there are no folders and no flags.

export class Pop3Mailbox implements Mailbox {
  readonly protocol = "pop3";
  private readonly downloaded = new Map<number, Buffer>(); // RETR each message once per session

  constructor(readonly client: Pop3Client) {}

  static async open(options: MailboxOptions): Promise<Pop3Mailbox> {
    const client = await Pop3Client.connect(options.host, options.port);
    await client.login(options.user, options.password);
    return new Pop3Mailbox(client);
  }

  async listSubjects({ size, before }: Page): Promise<SummaryPage> {
    // LIST leaves out what this session marked with DELE. (TOP n 0 would fetch only the headers;
    // lesson 09's client has no top(), and the playground's messages are small.)
    const numbers = (await this.client.list()).map((entry) => entry.number);
    const older = numbers.filter((number) => before === undefined || number < before).sort((a, b) => b - a);
    const page = older.slice(0, size);
    const messages: Summary[] = [];
    for (const number of page) {
      const { from, date, subject } = await parseMessage(number, await this.retr(number));
      messages.push({ id: number, from, date, subject, seen: null });
    }
    return { messages, next: older.length > size ? page.at(-1)! : null };
  }

  async readMessage(number: number): Promise<Message> {
    return parseMessage(number, await this.retr(number));
  }

  /** POP3 has no folders, so no Trash: DELE marks the message, QUIT (in close) deletes it. */
  async moveToTrash(number: number): Promise<void> {
    await this.client.dele(number);
    this.downloaded.delete(number);
  }

  /** QUIT: only now does the server delete what DELE marked (RFC 1939 §6). */
  async close(): Promise<void> {
    await this.client.quit();
  }

  private async retr(number: number): Promise<Buffer> {
    let raw = this.downloaded.get(number);
    if (!raw) this.downloaded.set(number, (raw = await this.client.retr(number)));
    return raw;
  }
}

// ---------------------------------------------------------------------------------------
// Both protocols hand us the same thing: the message's bytes. From here on it is MIME.

// #region parse
/**
 * The message's bytes → what a reader shows. mailparser walks the MIME tree: in a
 * multipart/alternative it keeps text/plain as `text` and text/html as `html` (RFC 2046
 * §5.1.4: the parts say the same; the sender's favourite comes last, and we prefer plain),
 * decodes quoted-printable and base64, and turns each part's bytes into text with the
 * charset its Content-Type names (iso-8859-1 is not UTF-8). Give it the Buffer, never a
 * string: Buffer → string with the wrong charset loses bytes before anyone can decode them.
 */
export async function parseMessage(id: number, raw: Buffer): Promise<Message> {
  const mail = await simpleParser(raw);
  const from = firstAddress(mail.from);
  return {
    id,
    from,
    replyTo: mail.replyTo ? firstAddress(mail.replyTo) : from,
    to: addresses(mail.to),
    subject: mail.subject ?? "",
    date: mail.date ?? null,
    messageId: mail.messageId ?? null,
    inReplyTo: mail.inReplyTo ?? null,
    references: typeof mail.references === "string" ? mail.references.split(/\s+/).filter(Boolean) : (mail.references ?? []),
    text: mail.text ?? "", // text/plain; for a message that only has HTML, mailparser makes text from it
    attachments: mail.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      size: attachment.size,
      content: attachment.content,
    })),
  };
}
// #endregion parse

function addresses(header: AddressObject | AddressObject[] | undefined): Address[] {
  const lists = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lists.flatMap((list) => list.value).map((entry) => ({ name: entry.name ?? "", address: entry.address ?? "" }));
}

function firstAddress(header: AddressObject | AddressObject[] | undefined): Address {
  return addresses(header)[0] ?? { name: "", address: "" };
}

// ---------------------------------------------------------------------------------------
// Replying: in the same thread, to the right person, with the message quoted.

// #region reply
/** "Lunch?" → "Re: Lunch?"; "Re: Lunch?" stays as it is (RFC 5322 §3.6.5: one "Re: ", not one per reply). */
export function replySubject(subject: string): string {
  return /^re:/i.test(subject.trim()) ? subject.trim() : `Re: ${subject.trim()}`;
}

/**
 * RFC 5322 §3.6.4: the reply's References are the parent's References (or, when it has none,
 * its In-Reply-To), then the parent's Message-ID. A reader rebuilds the whole thread from
 * them, even when some messages of it are missing; In-Reply-To names only the parent.
 */
export function replyReferences(parent: Message): string[] {
  const earlier = parent.references.length > 0 ? parent.references : parent.inReplyTo ? [parent.inReplyTo] : [];
  return parent.messageId ? [...earlier, parent.messageId] : earlier;
}

// #endregion reply

/** Your text, then the parent's, each line marked "> " (an empty line: ">"). */
export function quoted(parent: Message, text: string): string {
  const who = parent.from.name || parent.from.address;
  const when = parent.date ? ` on ${parent.date.toUTCString()}` : "";
  const lines = parent.text.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  return `${text.replace(/\n*$/, "")}\n\n${who} wrote${when}:\n${lines.map((line) => (line ? `> ${line}` : ">")).join("\n")}\n`;
}

/** Reads message `id`, writes the reply and sends it through the submission server. */
export async function replyTo(mailbox: Mailbox, id: number, text: string, smtp: SmtpOptions): Promise<SentReply> {
  const parent = await mailbox.readMessage(id);
  if (!parent.messageId) throw new Error(`message ${id} has no Message-ID: a reply could not say what it answers`);
  const reply: SentReply = {
    messageId: `<${randomUUID()}@${smtp.user.split("@")[1]}>`,
    to: parent.replyTo.address,
    subject: replySubject(parent.subject),
    inReplyTo: parent.messageId,
    references: replyReferences(parent),
    text: quoted(parent, text),
  };
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    requireTLS: true, // STARTTLS or nothing: the password must not cross in plain text
    auth: { user: smtp.user, pass: smtp.password },
    tls: { ca: smtp.ca, servername: "localhost" },
  });
  try {
    await transport.sendMail({
      from: smtp.user,
      to: reply.to,
      subject: reply.subject,
      messageId: reply.messageId,
      inReplyTo: reply.inReplyTo,
      references: reply.references,
      text: reply.text,
    });
  } finally {
    transport.close();
  }
  return reply;
}
