// FETCH (RFC 3501 §6.4.5, §7.4.2): what a client may ask for, and how each answer is spelled.
//
//   C: A5 FETCH 1:2 (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (Subject)])
//   S: * 1 FETCH (FLAGS (\Seen) RFC822.SIZE 812 BODY[HEADER.FIELDS (Subject)] {20}
//   S: Subject: Hello
//   S:
//   S: )
//
// Data items:
//   FLAGS  INTERNALDATE  RFC822.SIZE  UID  ENVELOPE  BODYSTRUCTURE  BODY
//   BODY[section]<origin.count> and BODY.PEEK[…] (PEEK does not set \Seen), where section is
//     ""  HEADER  HEADER.FIELDS (names)  HEADER.FIELDS.NOT (names)  TEXT
//     or part numbers "1.2", optionally followed by .HEADER … .TEXT (of a message/rfc822 part) or .MIME
//   RFC822 (= BODY[])  RFC822.HEADER (= BODY.PEEK[HEADER])  RFC822.TEXT (= BODY[TEXT])
//   macros ALL, FAST, FULL
// Pure functions: the session gives the message's data, these give the response bytes.

import addressparser from "nodemailer/lib/addressparser/index.js";
import { countLines } from "./maildir.ts";
import { bodyBytes, findPart, headerBytes, headerFields, headerValue, parseStructuredValue, type Entity } from "./imap-mime.ts";
import { formatDateTime, MessageText, ParseError, stringValue, type CommandParser, type Piece } from "./imap-syntax.ts";

export type SectionText = "" | "HEADER" | "HEADER.FIELDS" | "HEADER.FIELDS.NOT" | "TEXT" | "MIME";

export type FetchItem =
  | { kind: "FLAGS" | "UID" | "INTERNALDATE" | "RFC822.SIZE" | "ENVELOPE" | "BODYSTRUCTURE" | "BODY" }
  | {
      kind: "section";
      /** How the answer is labelled: BODY[…], RFC822, RFC822.HEADER or RFC822.TEXT. */
      label: "BODY" | "RFC822" | "RFC822.HEADER" | "RFC822.TEXT";
      peek: boolean;
      path: number[];
      text: SectionText;
      fields: string[];
      partial: { start: number; length: number } | null;
    };

const MACROS: Record<string, string[]> = {
  ALL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
  FAST: ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
  FULL: ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"],
};

/** The items after "FETCH <set> ": a macro, one item, or a parenthesised list. */
export function parseFetchItems(parser: CommandParser): FetchItem[] {
  if (parser.peek() === "(") return parser.list(() => parseFetchItem(parser));
  const word = readItemName(parser);
  if (MACROS[word]) return MACROS[word].map((name) => simpleItem(name));
  return [parseFetchItem(parser, word)];
}

function readItemName(parser: CommandParser): string {
  const start = parser.at;
  while (!parser.atEnd && /[A-Za-z0-9.]/.test(parser.peek())) parser.at++;
  if (parser.at === start) throw new ParseError(`expected a FETCH item such as FLAGS or BODY[] at position ${start + 1}`);
  return parser.input.subarray(start, parser.at).toString("latin1").toUpperCase();
}

function simpleItem(name: string): FetchItem {
  return { kind: name as "FLAGS" };
}

function parseFetchItem(parser: CommandParser, name = readItemName(parser)): FetchItem {
  switch (name) {
    case "FLAGS":
    case "UID":
    case "INTERNALDATE":
    case "RFC822.SIZE":
    case "ENVELOPE":
    case "BODYSTRUCTURE":
      return simpleItem(name);
    case "RFC822":
      return { kind: "section", label: "RFC822", peek: false, path: [], text: "", fields: [], partial: null };
    case "RFC822.HEADER":
      return { kind: "section", label: "RFC822.HEADER", peek: true, path: [], text: "HEADER", fields: [], partial: null };
    case "RFC822.TEXT":
      return { kind: "section", label: "RFC822.TEXT", peek: false, path: [], text: "TEXT", fields: [], partial: null };
    case "BODY":
    case "BODY.PEEK": {
      if (parser.peek() !== "[") {
        if (name === "BODY.PEEK") throw new ParseError("BODY.PEEK needs a section, e.g. BODY.PEEK[]");
        return simpleItem("BODY");
      }
      const { path, text, fields } = parseSection(parser);
      let partial = null;
      if (parser.take("<")) {
        const start = parser.number();
        parser.expect(".", '"." between origin and count in <origin.count>');
        const length = parser.number(true);
        parser.expect(">");
        partial = { start, length };
      }
      return { kind: "section", label: "BODY", peek: name === "BODY.PEEK", path, text, fields, partial };
    }
    default:
      throw new ParseError(`unknown FETCH item ${name.slice(0, 30)} (RFC 3501 §6.4.5 lists them)`);
  }
}

/** "[" section "]": part numbers, then HEADER / HEADER.FIELDS (…) / HEADER.FIELDS.NOT (…) / TEXT / MIME. */
function parseSection(parser: CommandParser): { path: number[]; text: SectionText; fields: string[] } {
  parser.expect("[");
  const path: number[] = [];
  while (/[0-9]/.test(parser.peek())) {
    path.push(parser.number(true));
    if (!parser.take(".")) break;
  }
  let text: SectionText = "";
  let fields: string[] = [];
  if (parser.peek() !== "]") {
    const word = readItemName(parser);
    if (word === "HEADER.FIELDS" || word === "HEADER.FIELDS.NOT") {
      parser.space();
      fields = parser.list(() => parser.astring());
      if (fields.length === 0) throw new ParseError(`${word} needs at least one header name`);
    } else if (word !== "HEADER" && word !== "TEXT" && !(word === "MIME" && path.length > 0)) {
      throw new ParseError(`unknown section [${word.slice(0, 30)}]: use HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or part.MIME`);
    }
    text = word as SectionText;
  }
  parser.expect("]");
  return { path, text, fields };
}

/** True when an item needs the message's content (anything but FLAGS, UID, INTERNALDATE, RFC822.SIZE). */
export function needsContent(items: FetchItem[]): boolean {
  return items.some((item) => !["FLAGS", "UID", "INTERNALDATE", "RFC822.SIZE"].includes(item.kind));
}

/** RFC 3501 §6.4.5: BODY[…] without .PEEK (and RFC822, RFC822.TEXT) set \Seen. */
export function setsSeen(items: FetchItem[]): boolean {
  return items.some((item) => item.kind === "section" && !item.peek);
}

export interface FetchedMessage {
  seq: number;
  uid: number;
  flags: Set<string>;
  internalDate: Date;
  size: number;
  /** The message with CRLF line endings, and its parts (only when needsContent). */
  content?: Buffer;
  entity?: Entity;
}

/** One untagged "* seq FETCH (…)" response, items in the order asked for. */
export function fetchResponse(message: FetchedMessage, items: FetchItem[]): Piece[] {
  const pieces: Piece[] = [`* ${message.seq} FETCH (`];
  items.forEach((item, index) => {
    if (index > 0) pieces.push(" ");
    pieces.push(...fetchItem(message, item));
  });
  pieces.push(")\r\n");
  return pieces;
}

function fetchItem(message: FetchedMessage, item: FetchItem): Piece[] {
  switch (item.kind) {
    case "FLAGS":
      return [`FLAGS (${[...message.flags].join(" ")})`];
    case "UID":
      return [`UID ${message.uid}`];
    case "INTERNALDATE":
      return [`INTERNALDATE ${formatDateTime(message.internalDate)}`];
    case "RFC822.SIZE":
      return [`RFC822.SIZE ${message.size}`];
    case "ENVELOPE":
      return ["ENVELOPE ", ...envelope(message.entity!)];
    case "BODYSTRUCTURE":
      return ["BODYSTRUCTURE ", ...bodyStructure(message.content!, message.entity!, true)];
    case "BODY":
      return ["BODY ", ...bodyStructure(message.content!, message.entity!, false)];
    case "section": {
      let bytes = sectionBytes(message.content!, message.entity!, item);
      let label = item.label === "BODY" ? `BODY[${sectionName(item)}]` : item.label;
      if (item.partial) {
        // RFC 3501 §6.4.5: <origin.count> — the answer says only the origin: BODY[]<0>.
        bytes = bytes.subarray(Math.min(item.partial.start, bytes.length), Math.min(item.partial.start + item.partial.length, bytes.length));
        label += `<${item.partial.start}>`;
      }
      return [label + " ", ...literal(bytes)];
    }
  }
}

/** Always a literal: message text may hold any byte, and its size must be exact. The text itself is a body for the transcript. */
function literal(bytes: Buffer): Piece[] {
  return [`{${bytes.length}}\r\n`, new MessageText(bytes)];
}

function sectionName(item: Extract<FetchItem, { kind: "section" }>): string {
  const parts = [...item.path.map(String), ...(item.text ? [item.text] : [])].join(".");
  return item.fields.length > 0 ? `${parts} (${item.fields.map((field) => field.toUpperCase()).join(" ")})` : parts;
}

/** The bytes a section names; a part that does not exist is empty (as Dovecot answers). */
export function sectionBytes(content: Buffer, message: Entity, item: { path: number[]; text: SectionText; fields: string[] }): Buffer {
  const part = item.path.length === 0 ? message : findPart(message, item.path);
  if (!part) return Buffer.alloc(0);
  if (item.text === "MIME") return headerBytes(content, part);
  if (item.text === "") return item.path.length === 0 ? content : bodyBytes(content, part);
  // HEADER and TEXT of a part mean those of the message it holds (a message/rfc822 part).
  const target = item.path.length === 0 ? message : part.message;
  if (!target) return Buffer.alloc(0);
  if (item.text === "HEADER") return headerBytes(content, target);
  if (item.text === "TEXT") return bodyBytes(content, target);
  return headerFields(target, item.fields, item.text === "HEADER.FIELDS.NOT");
}

// ---------------------------------------------------------------------------------------
// ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2): the parsed header and MIME tree as lists.

/**
 * A parenthesised list of values: list("a", ["b", "c"]) → ( a b c ). Values are pieces, so
 * an 8-bit header value can go out as a literal inside the list, where a quoted string could
 * not hold it (RFC 3501 §4.3).
 */
function list(...items: (Piece | Piece[])[]): Piece[] {
  const pieces: Piece[] = ["("];
  items.forEach((item, index) => {
    if (index > 0) pieces.push(" ");
    pieces.push(...(Array.isArray(item) ? item : [item]));
  });
  pieces.push(")");
  return pieces;
}

/** A value that may be missing: an empty or absent one is NIL. */
function valueOrNil(text: string | null | undefined): Piece {
  return text ? stringValue(text) : "NIL";
}

/** (date subject from sender reply-to to cc bcc in-reply-to message-id); values not decoded. */
export function envelope(message: Entity): Piece[] {
  const get = (name: string) => headerValue(message.headers, name);
  const from = addresses(get("From"));
  // RFC 3501 §7.4.2: a missing Sender or Reply-To is filled in from From.
  const sender = get("Sender") ? addresses(get("Sender")) : from;
  const replyTo = get("Reply-To") ? addresses(get("Reply-To")) : from;
  return list(valueOrNil(get("Date")), valueOrNil(get("Subject")), from, sender, replyTo, addresses(get("To")), addresses(get("Cc")), addresses(get("Bcc")), valueOrNil(get("In-Reply-To")), valueOrNil(get("Message-ID")));
}

/** An address list: ((name adl mailbox host) …), groups as (NIL NIL group NIL) … (NIL NIL NIL NIL). */
function addresses(value: string | null): Piece[] {
  if (!value) return ["NIL"];
  const entries: Piece[] = [];
  const one = (name: string, address: string) => {
    const at = address.lastIndexOf("@");
    const mailbox = at === -1 ? address : address.slice(0, at);
    const host = at === -1 ? "" : address.slice(at + 1);
    entries.push(...list(valueOrNil(name), "NIL", valueOrNil(mailbox), valueOrNil(host)));
  };
  for (const entry of addressparser(value)) {
    if ("group" in entry) {
      entries.push(...list("NIL", "NIL", valueOrNil(entry.name), "NIL"));
      for (const member of entry.group ?? []) one(member.name, member.address ?? "");
      entries.push("(NIL NIL NIL NIL)");
    } else {
      one(entry.name, entry.address ?? "");
    }
  }
  return entries.length > 0 ? ["(", ...entries, ")"] : ["NIL"];
}

/** BODYSTRUCTURE (extensible = true) or BODY: the MIME tree with sizes in bytes and lines. */
export function bodyStructure(content: Buffer, entity: Entity, extensible: boolean): Piece[] {
  const get = (name: string) => headerValue(entity.headers, name);
  const value = (name: string) => valueOrNil(get(name));
  const disposition = (): Piece[] => {
    const header = get("Content-Disposition");
    if (!header) return ["NIL"];
    const parsed = parseStructuredValue(header);
    return list(valueOrNil(parsed.value), paramList(parsed.params));
  };
  if (entity.parts.length > 0) {
    // (part)(part)… subtype [params disposition language location]
    const parts = entity.parts.flatMap((part) => bodyStructure(content, part, extensible));
    const extension = extensible ? [paramList(entity.params), disposition(), value("Content-Language"), value("Content-Location")] : [];
    return ["(", ...parts, " ", ...list(valueOrNil(entity.subtype), ...extension).slice(1)];
  }
  const body = bodyBytes(content, entity);
  const params = entity.params.length > 0 || entity.type !== "text" ? entity.params : [["charset", "us-ascii"] as [string, string]];
  const fields: (Piece | Piece[])[] = [
    valueOrNil(entity.type),
    valueOrNil(entity.subtype),
    paramList(params),
    value("Content-ID"),
    value("Content-Description"),
    valueOrNil((get("Content-Transfer-Encoding") ?? "7bit").toLowerCase()),
    String(body.length),
  ];
  // Lines are counted as line breaks, as Dovecot does: a part's last line lends its CRLF to the
  // boundary after it, so "hello" alone in a part is 0 lines.
  if (entity.message) fields.push(envelope(entity.message), bodyStructure(content, entity.message, extensible), String(countLines(body)));
  else if (entity.type === "text") fields.push(String(countLines(body)));
  if (extensible) fields.push(value("Content-MD5"), disposition(), value("Content-Language"), value("Content-Location"));
  return list(...fields);
}

function paramList(params: [string, string][]): Piece[] {
  if (params.length === 0) return ["NIL"];
  return list(...params.flatMap(([name, value]) => [stringValue(name), stringValue(value)]));
}
