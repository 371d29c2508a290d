// The console's mailbox view: each account's Maildir folders, their messages, one message taken
// apart (MIME tree, text and HTML parts, attachments, the Received: journey).
//
//   GET /console/api/mailboxes                                  accounts the viewer may see, folders, counts
//   GET /console/api/mailboxes/<address>/<folder>               messages, newest first (?offset=&limit=)
//   GET /console/api/mailboxes/<address>/<folder>/<id>          one message, taken apart
//   GET /console/api/mailboxes/<address>/<folder>/<id>/raw      its source as the servers send it (CRLF)
//   GET /console/api/mailboxes/<address>/<folder>/<id>/html     its HTML part, as a sandboxed document
//   GET /console/api/mailboxes/<address>/<folder>/<id>/attachments/<n>   attachment n (0, 1 …), to save
//
// <folder> is the IMAP name as on the wire ("INBOX", "Sent", "&XfJT0ZAB-"); <id> is the Maildir
// unique name, the one POP3's UIDL shows — it stays the same when IMAP or POP3 renames the file
// to change its flags (new/NAME → cur/NAME:2,S), so a link to a message keeps working.
//
// Reading goes through the servers' own code: MailStore.existing() lists folders (and makes
// none), Maildrop.openFolder() lists a folder's files by name the way POP3 does (no lock taken),
// flagsOf() reads the flags in a file name the way IMAP does, imap-mime.ts cuts the MIME tree,
// mailparser decodes what a person reads.

import { open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { Maildrop, type MaildropMessage } from "../mail/maildrop.ts";
import { MailStore, flagsOf, readUidList, toCrlf } from "../mail/mailbox-store.ts";
import { decodeHeaderValue, headerValue, parseMessage, type Entity } from "../mail/imap-mime.ts";
import { decodeMailboxName } from "../mail/mutf7.ts";
import { maySee } from "./viewer.ts";
import { BrowseError, downloadHeaders, page, sendBytes, sendJson, shown, type BrowseRequest } from "./browse.ts";

/**
 * The HTML part of a mail is a stranger's web page. It is shown in `<iframe sandbox>` AND sent
 * with this policy, so that even opened on its own it runs no script (sandbox, and no script-src),
 * loads nothing from the network (default-src 'none': a remote image is a tracking pixel), submits
 * no form and is its own unique origin. Pictures sent inside the mail (cid:, turned into data:) show.
 */
export const MAIL_HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

export async function browseMail(request: BrowseRequest): Promise<void> {
  const [, address, folder, id, what, n, ...extra] = request.segments;
  const mailRoot = join(request.context.dataDir, "mail");
  if (address === undefined) return sendJson(request.response, 200, { mailboxes: await listMailboxes(mailRoot, request) });
  if (!maySee(request.viewer, address)) throw new BrowseError(403, `you may look only at your own mailbox, not ${shown(address)}`);
  if (folder === undefined) {
    const found = (await listMailboxes(mailRoot, request)).find((mailbox) => mailbox.address === address.toLowerCase());
    if (!found) throw new BrowseError(404, `there is no mailbox ${shown(address)}`);
    return sendJson(request.response, 200, found);
  }
  const maildrop = await openFolder(mailRoot, address, folder);
  if (id === undefined) return sendJson(request.response, 200, await messageList(maildrop, address, folder, request.query));
  const message = maildrop.messages.find((m) => m.unique === id);
  if (!message) throw new BrowseError(404, `there is no message ${shown(id)} in ${shown(address)}/${shown(folder)} (deleted meanwhile?)`);
  const content = await readMessage(maildrop, message);
  if (what === undefined) return sendJson(request.response, 200, await describeMessage(maildrop, folder, message, content));
  // Plain text, never sniffed as anything else, and sandboxed even if opened on its own.
  if (what === "raw" && n === undefined) return sendBytes(request, "text/plain; charset=utf-8", content, { "Content-Security-Policy": "default-src 'none'; sandbox" });
  if (what === "html" && n === undefined) {
    const parsed = await simpleParser(content);
    if (typeof parsed.html !== "string") throw new BrowseError(404, "this message has no HTML part");
    return sendBytes(request, "text/html; charset=utf-8", Buffer.from(parsed.html), { "Content-Security-Policy": MAIL_HTML_CSP, "Referrer-Policy": "no-referrer" });
  }
  if (what === "attachments" && n !== undefined && extra.length === 0) {
    const attachments = (await simpleParser(content)).attachments;
    const attachment = /^\d{1,4}$/.test(n) ? attachments[Number(n)] : undefined;
    if (!attachment) throw new BrowseError(404, `this message has no attachment ${shown(n)} (it has ${attachments.length}, numbered from 0)`);
    return sendBytes(request, "application/octet-stream", attachment.content, downloadHeaders(attachment.filename ?? `attachment-${n}`));
  }
  throw new BrowseError(404, `no such API path below a message: ${shown([what, n, ...extra].filter(Boolean).join("/"))} (raw, html or attachments/<n>)`);
}

// ---------------------------------------------------------------------------------------
// Mailboxes and folders.

interface FolderSummary {
  /** As IMAP names it on the wire (modified UTF-7), used in URLs. */
  name: string;
  /** As a person reads it ("已发送" for "&XfJT0ZAB-"). */
  displayName: string;
  messages: number;
  /** Without the \Seen flag: in new/, or in cur/ without S. */
  unseen: number;
  bytes: number;
}

async function listMailboxes(mailRoot: string, request: BrowseRequest): Promise<{ address: string; folders: FolderSummary[] }[]> {
  const names = await readdir(mailRoot, { withFileTypes: true }).catch(() => []);
  const addresses = names.filter((entry) => entry.isDirectory() && entry.name.includes("@") && !entry.name.startsWith(".")).map((entry) => entry.name);
  const mailboxes = [];
  for (const address of addresses.sort()) {
    if (!maySee(request.viewer, address)) continue;
    const store = MailStore.existing(mailRoot, address);
    const folders: FolderSummary[] = [];
    for (const name of await store.folderNames().catch(() => [] as string[])) {
      const { messages } = await Maildrop.openFolder(store.pathOf(name), address);
      folders.push({
        name,
        displayName: decodeMailboxName(name),
        messages: messages.length,
        unseen: messages.filter((m) => !flagsOf(m.name, []).has("\\Seen")).length,
        bytes: messages.reduce((sum, m) => sum + m.octets, 0),
      });
    }
    mailboxes.push({ address, folders });
  }
  return mailboxes;
}

async function openFolder(mailRoot: string, address: string, folder: string): Promise<Maildrop> {
  let store: MailStore;
  try {
    store = MailStore.existing(mailRoot, address);
  } catch {
    throw new BrowseError(400, `"${address.slice(0, 80)}" cannot be a mailbox name`);
  }
  const folders = await store.folderNames().catch(() => null);
  if (folders === null) throw new BrowseError(404, `there is no mailbox ${shown(address)}`);
  const name = folders.find((known) => known === folder || (known === "INBOX" && folder.toUpperCase() === "INBOX"));
  if (!name) throw new BrowseError(404, `${shown(address)} has no folder "${shown(folder)}" (it has ${folders.join(", ")})`);
  return Maildrop.openFolder(store.pathOf(name), address);
}

/** The message with CRLF line endings, as POP3 and IMAP send it; found again if it was renamed meanwhile. */
async function readMessage(maildrop: Maildrop, message: MaildropMessage): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return toCrlf(await readFile(maildrop.pathOf(message)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      // A flag changed (IMAP STORE, POP3 RETR): same message, new file name. Deleted: gone.
      if (attempt > 0 || !(await maildrop.locate(message))) throw new BrowseError(404, `message ${message.unique} was removed meanwhile`);
    }
  }
}

/**
 * Only the header, for a line of the message list: the file's first 64 KB cut at the first empty
 * line — a 10 MB attachment further down is never read. (A header longer than that is cut: the
 * list line then shows what was in the first 64 KB; the message view reads everything.)
 */
async function readHead(maildrop: Maildrop, message: MaildropMessage): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(maildrop.pathOf(message), "r");
      try {
        const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(HEAD_BYTES), position: 0 });
        const start = buffer.subarray(0, bytesRead);
        const end = start.indexOf("\n\n");
        return end === -1 ? start : start.subarray(0, end + 2);
      } finally {
        await file.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0 || !(await maildrop.locate(message))) throw err;
    }
  }
}
const HEAD_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------
// The message list.

async function messageList(maildrop: Maildrop, address: string, folder: string, query: URLSearchParams) {
  // The Maildrop lists oldest first (POP3's numbering): newest first is the other way round.
  const newestFirst = [...maildrop.messages].reverse();
  const shown = page(newestFirst, query);
  const imap = await imapNumbers(maildrop);
  const messages = [];
  for (const message of shown.items) {
    const head = await readHead(maildrop, message).catch(() => null);
    if (head === null) continue; // removed while we listed: simply not there any more
    const parsed = await simpleParser(head);
    messages.push({
      id: message.unique,
      from: addressText(parsed.from),
      to: addressText(parsed.to),
      subject: parsed.subject ?? "",
      date: parsed.date?.toISOString() ?? null,
      size: message.octets,
      flags: [...flagsOf(message.name, imap.keywords(message))],
      uid: imap.uid(message),
    });
  }
  return { address: address.toLowerCase(), folder, uidValidity: imap.uidValidity, total: shown.total, offset: shown.offset, limit: shown.limit, messages };
}

/**
 * The IMAP server's numbers for this folder (mailbox-store.ts): each message's UID and keywords
 * from imap-uidlist, read, never written. A message no IMAP client has seen yet has no UID: the
 * IMAP server gives it one the next time a client opens the folder.
 */
async function imapNumbers(maildrop: Maildrop) {
  const list = await readUidList(maildrop.directory);
  const byBase = new Map(list?.entries.map((entry) => [entry.base, entry]));
  const entry = (message: MaildropMessage) => byBase.get(message.name.split(":")[0]);
  return {
    uidValidity: list?.uidValidity ?? null,
    uid: (message: MaildropMessage) => entry(message)?.uid ?? null,
    keywords: (message: MaildropMessage) => entry(message)?.keywords ?? [],
  };
}

function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (value === undefined) return "";
  return (Array.isArray(value) ? value : [value]).map((one) => one.text).join(", ");
}

// ---------------------------------------------------------------------------------------
// One message, taken apart.

async function describeMessage(maildrop: Maildrop, folder: string, message: MaildropMessage, content: Buffer) {
  const parsed: ParsedMail = await simpleParser(content);
  const tree = parseMessage(content);
  const imap = await imapNumbers(maildrop);
  const address = maildrop.address;
  return {
    id: message.unique,
    address: address.toLowerCase(),
    folder,
    file: `${message.folder}/${message.name}`,
    size: message.octets,
    flags: [...flagsOf(message.name, imap.keywords(message))],
    uid: imap.uid(message),
    uidValidity: imap.uidValidity,
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    cc: addressText(parsed.cc),
    subject: parsed.subject ?? "",
    date: parsed.date?.toISOString() ?? null,
    messageId: parsed.messageId ?? null,
    // The header lines as they are in the file, in order, each with its value decoded for reading.
    headers: tree.headers.map((header) => ({ name: header.name, value: decodeHeaderValue(header.value.replace(/\r\n/g, "")) })),
    text: parsed.text ?? "",
    hasHtml: typeof parsed.html === "string",
    mime: mimeTree(tree, ""),
    attachments: parsed.attachments.map((attachment, n) => ({
      n,
      filename: attachment.filename ?? `attachment-${n}`,
      contentType: attachment.contentType,
      size: attachment.size,
      inline: attachment.contentDisposition === "inline",
    })),
    journey: journeyOf(tree.headers.filter((header) => header.name.toLowerCase() === "received").map((header) => header.value), address),
  };
}

interface MimeNode {
  /** IMAP's part number ("1.2"); "" for the message itself. */
  part: string;
  type: string;
  /** Bytes of the body as stored, still encoded (what BODYSTRUCTURE calls the size). */
  size: number;
  encoding: string | null;
  charset: string | null;
  filename: string | null;
  disposition: string | null;
  children: MimeNode[];
}

/** The MIME tree (RFC 2045/2046), numbered the way IMAP numbers parts (RFC 3501 §6.4.5). */
function mimeTree(entity: Entity, part: string): MimeNode {
  const param = (name: string) => entity.params.find(([key]) => key === name)?.[1] ?? null;
  const disposition = headerValue(entity.headers, "Content-Disposition");
  const filenameMatch = disposition ? /filename\*?=("?)([^";]+)\1/i.exec(disposition) : null;
  const inner = entity.message; // message/rfc822: the message inside, numbered from here
  const children = entity.parts.length > 0 ? entity.parts : inner ? [inner] : [];
  return {
    part,
    type: `${entity.type}/${entity.subtype}`,
    size: entity.end - entity.bodyStart,
    encoding: headerValue(entity.headers, "Content-Transfer-Encoding")?.toLowerCase() ?? null,
    charset: param("charset"),
    filename: param("name") ?? (filenameMatch ? decodeHeaderValue(filenameMatch[2]) : null),
    disposition: disposition ? disposition.split(";")[0].trim().toLowerCase() : null,
    children: children.map((child, at) => mimeTree(child, inner && child === inner ? part : part === "" ? String(at + 1) : `${part}.${at + 1}`)),
  };
}

// ---------------------------------------------------------------------------------------
// The journey (lesson 06): every server that passed the message on put a Received: line ON TOP
// (RFC 5321 §4.4), so read from the bottom up they are the route:
//
//   Received: from mx-client (...) by mx.example.org ... ;   ← second hop: MTA → MTA
//   Received: from laptop ([127.0.0.1]) by smtp.example.com ;  ← first hop: MUA → MTA
//
// → MUA "laptop" → MTA smtp.example.com → MTA mx.example.org → MDA (the Maildir).

export interface JourneyStop {
  role: "MUA" | "MTA" | "MDA";
  /** The host name as the header gives it (a client's EHLO name for the first stop). */
  name: string;
  /** The client's address in brackets, e.g. "[127.0.0.1]", when the header says it. */
  address?: string;
  /** How the message reached this stop: the protocol (RFC 3848: ESMTP, ESMTPSA …), the id given, the time. */
  via?: { protocol?: string; id?: string; date?: string };
}

// "from x", "by y" …: each clause's word, then its value (fixed patterns, linear: no client input becomes a RegExp).
const RECEIVED_CLAUSES = {
  from: /(?:^|\s)from\s+([^\s;()]+)/i,
  by: /(?:^|\s)by\s+([^\s;()]+)/i,
  with: /(?:^|\s)with\s+([^\s;()]+)/i,
  id: /(?:^|\s)id\s+([^\s;()]+)/i,
  for: /(?:^|\s)for\s+([^\s;()]+)/i,
};

/** One Received: header taken apart (RFC 5321 §4.4 "Time-stamp-line"); fields it lacks are absent. */
export function parseReceived(value: string): { from?: string; fromAddress?: string; by?: string; with?: string; id?: string; for?: string; date?: string } {
  const text = value.replace(/\s+/g, " ").trim();
  const semicolon = text.lastIndexOf(";");
  const clauses = semicolon === -1 ? text : text.slice(0, semicolon);
  const clause = (word: keyof typeof RECEIVED_CLAUSES) => RECEIVED_CLAUSES[word].exec(clauses)?.[1];
  const fromAddress = /^from\s+\S+\s+\(([^)]*?)\)/i.exec(clauses)?.[1]?.match(/\[[^\]]+\]/)?.[0];
  const date = semicolon === -1 ? undefined : new Date(text.slice(semicolon + 1).trim());
  return {
    from: clause("from"),
    fromAddress,
    by: clause("by"),
    with: clause("with"),
    id: clause("id"),
    for: clause("for")?.replace(/^<|>$/g, ""),
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined,
  };
}

/** The stops a message made, from its Received: headers (newest first, as in the message). */
export function journeyOf(receivedHeaders: string[], mailbox: string): JourneyStop[] {
  const hops = receivedHeaders.map(parseReceived).reverse(); // oldest first
  if (hops.length === 0) return [];
  const stops: JourneyStop[] = [{ role: "MUA", name: hops[0].from ?? "unknown client", address: hops[0].fromAddress }];
  for (const hop of hops) stops.push({ role: "MTA", name: hop.by ?? "unknown server", via: { protocol: hop.with, id: hop.id, date: hop.date } });
  stops.push({ role: "MDA", name: `Maildir of ${mailbox.toLowerCase()}` });
  return stops;
}
