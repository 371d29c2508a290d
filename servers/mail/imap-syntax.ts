// IMAP's syntax (RFC 3501 §4 and §9), both ways: reading what a client sends, writing what the
// server answers. Pure functions over bytes — no sockets — so every rule is tested on its own.
//
// A command is a tag, a command name and arguments, separated by single spaces:
//
//   A001 LOGIN "me@example.com" {6}      ← a quoted string, then a literal of 6 BYTES
//   secret                                 (the client waits for "+ …" before sending them,
//                                           unless it wrote {6+}: LITERAL+, RFC 7888)
//   A002 FETCH 1:3,7,9:* (FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)]<0.100>)
//
// The argument kinds (RFC 3501 §4):
//   atom     LOGIN, FLAGS, \Seen            — no spaces, no ( ) { " % * \ ] or controls
//   number   42
//   string   "quoted \"with\" escapes"  or  {n}\r\n followed by n bytes (a literal)
//   astring  an atom or a string (user names, folder names)
//   list     ( item item … ), nested
//   NIL      "no value", for nstring
// A literal counts BYTES, not characters: "张三" is {6}. That is the classic IMAP bug.
//
// The session (imap.ts) reads one line; if it ends with {n} it reads exactly n more bytes and
// then the rest of the command, and hands the whole thing here: the literal's bytes sit in the
// buffer right after its "{n}\r\n", exactly as they came over the wire.

import type { WritePart } from "../session.ts";

/** Thrown for a command that breaks the grammar: the server answers BAD and reads on. */
export class ParseError extends Error {}

/** A literal announced at the end of a line: `{42}` (wait for "+") or `{42+}` (LITERAL+: don't). */
export function literalAtEnd(line: Buffer): { size: number; synchronizing: boolean } | null {
  if (line.length < 3 || line[line.length - 1] !== 0x7d /* } */) return null;
  const open = line.lastIndexOf(0x7b /* { */);
  if (open === -1) return null;
  const match = /^\{(\d{1,12})(\+?)\}$/.exec(line.subarray(open).toString("latin1"));
  if (!match) return null;
  return { size: Number(match[1]), synchronizing: match[2] === "" };
}

// RFC 3501 §9: ATOM-CHAR is any CHAR except atom-specials: ( ) { SP CTL % * " \ ]
const ATOM_SPECIALS = new Set([...'(){ %*"\\]'].map((c) => c.charCodeAt(0)));
const isAtomChar = (byte: number) => byte > 0x20 && byte < 0x7f && !ATOM_SPECIALS.has(byte);

/** A sequence set: "1:3,5,9:*". `*` is stored as Infinity and means "the highest in use". */
export type SequenceSet = { from: number; to: number }[];

/** Reads a command from its bytes, one grammar element at a time (the handlers call these). */
export class CommandParser {
  at = 0;
  constructor(readonly input: Buffer) {}

  get atEnd(): boolean {
    return this.at >= this.input.length;
  }

  /** The next byte as a character, without taking it ("" at the end). */
  peek(): string {
    return this.atEnd ? "" : String.fromCharCode(this.input[this.at]);
  }

  /** Takes `text` if it comes next (case-insensitive); true if it did. */
  take(text: string): boolean {
    const next = this.input.subarray(this.at, this.at + text.length).toString("latin1");
    if (next.toUpperCase() !== text.toUpperCase()) return false;
    this.at += text.length;
    return true;
  }

  expect(text: string, what = `"${text}"`): void {
    if (!this.take(text)) throw new ParseError(`expected ${what} at position ${this.at + 1}${this.atEnd ? " (the command ended)" : ""}`);
  }

  /** Exactly one space between arguments (RFC 3501 §9: SP, never two, never a tab). */
  space(): void {
    this.expect(" ", "a space");
  }

  /** Nothing may follow the last argument. */
  end(): void {
    if (!this.atEnd) throw new ParseError(`unexpected "${printable(this.input.subarray(this.at, this.at + 20).toString("latin1"))}" after the last argument`);
  }

  /** RFC 3501 §9 tag: astring characters except "+". */
  tag(): string {
    const start = this.at;
    while (!this.atEnd && isAtomChar(this.input[this.at]) && this.input[this.at] !== 0x2b) this.at++;
    if (this.at === start) throw new ParseError("every command starts with a tag, e.g. A1 NOOP");
    return this.input.subarray(start, this.at).toString("latin1");
  }

  /** An atom; `extra` allows more characters (e.g. "]" inside a flag like \Seen is not allowed, but "[" is). */
  atom(what = "an atom"): string {
    const start = this.at;
    while (!this.atEnd && isAtomChar(this.input[this.at])) this.at++;
    if (this.at === start) throw new ParseError(`expected ${what} at position ${start + 1}`);
    return this.input.subarray(start, this.at).toString("latin1");
  }

  /** A number (RFC 3501 §9: 32-bit unsigned); nz = not zero. */
  number(nonZero = false): number {
    const start = this.at;
    while (!this.atEnd && this.input[this.at] >= 0x30 && this.input[this.at] <= 0x39) this.at++;
    const text = this.input.subarray(start, this.at).toString("latin1");
    if (text === "") throw new ParseError(`expected a number at position ${start + 1}`);
    const value = Number(text);
    if (value > 0xffffffff || (nonZero && value === 0)) throw new ParseError(`${text} is not a valid ${nonZero ? "non-zero " : ""}number here`);
    return value;
  }

  /** A quoted string or a literal, as raw bytes (APPEND's message, SEARCH's text). */
  string(): Buffer {
    if (this.peek() === '"') return this.quoted();
    if (this.peek() === "{") return this.literal();
    throw new ParseError(`expected a string ("…" or {n}) at position ${this.at + 1}`);
  }

  /** An atom or a string, as UTF-8 text (user names, passwords, folder names). */
  astring(): string {
    if (this.peek() === '"' || this.peek() === "{") return this.string().toString("utf8");
    // ASTRING-CHAR = ATOM-CHAR / "]". Also 8-bit bytes: clients such as Python's imaplib send
    // SEARCH SUBJECT 你好 as raw UTF-8 without quotes, and being strict would help nobody.
    const start = this.at;
    while (!this.atEnd && (isAtomChar(this.input[this.at]) || this.input[this.at] === 0x5d || this.input[this.at] >= 0x80)) this.at++;
    if (this.at === start) throw new ParseError(`expected an atom or a string at position ${start + 1}`);
    return this.input.subarray(start, this.at).toString("utf8");
  }

  /** A string or NIL. */
  nstring(): Buffer | null {
    if (this.take("NIL")) return null;
    return this.string();
  }

  /** A folder name: an astring; "INBOX" in any case means INBOX (RFC 3501 §5.1). */
  mailbox(): string {
    const name = this.astring();
    return name.toUpperCase() === "INBOX" ? "INBOX" : name;
  }

  /** A LIST pattern: like a folder name, but "%" and "*" are allowed unquoted (list-mailbox). */
  listMailbox(): string {
    if (this.peek() === '"' || this.peek() === "{") return this.string().toString("utf8");
    const start = this.at;
    while (!this.atEnd && (isAtomChar(this.input[this.at]) || [0x25, 0x2a, 0x5d].includes(this.input[this.at]))) this.at++;
    if (this.at === start) throw new ParseError(`expected a folder name or pattern at position ${start + 1}`);
    return this.input.subarray(start, this.at).toString("utf8");
  }

  /** "( item SP item … )": calls `item` for each element. An empty list "()" is allowed. */
  list<T>(item: () => T): T[] {
    this.expect("(");
    const items: T[] = [];
    while (!this.take(")")) {
      if (items.length > 0) this.space();
      items.push(item());
    }
    return items;
  }

  /** RFC 3501 §9 flag-list: (\Seen $Forwarded). System flags are \Word, keywords atoms. */
  flagList(): string[] {
    return this.list(() => this.flag());
  }

  flag(): string {
    if (this.take("\\")) {
      const name = this.atom("a flag name after \\");
      const system = ["Answered", "Flagged", "Deleted", "Seen", "Draft"].find((f) => f.toLowerCase() === name.toLowerCase());
      if (!system) throw new ParseError(`\\${name} is not a flag a client may set (RFC 3501 §2.3.2)`);
      return `\\${system}`;
    }
    return this.atom("a flag");
  }

  /** RFC 3501 §9 sequence-set: "1", "2:4", "*", "5:*", "1,3:5,9". */
  sequenceSet(): SequenceSet {
    const set: SequenceSet = [];
    do {
      const from = this.take("*") ? Infinity : this.number(true);
      const to = this.take(":") ? (this.take("*") ? Infinity : this.number(true)) : from;
      set.push({ from: Math.min(from, to), to: Math.max(from, to) });
    } while (this.take(","));
    return set;
  }

  /** RFC 3501 §9 date-time: "02-Dec-2026 00:22:50 +0000" (for APPEND). */
  dateTime(): Date {
    const text = this.quoted().toString("latin1");
    const match = /^([ \d]\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(text);
    const month = match ? MONTHS.indexOf(match[2][0].toUpperCase() + match[2].slice(1).toLowerCase()) : -1;
    if (!match || month === -1) throw new ParseError(`"${printable(text)}" is not an IMAP date-time like "02-Dec-2026 00:22:50 +0000"`);
    const offsetMinutes = (match[7] === "-" ? -1 : 1) * (Number(match[8]) * 60 + Number(match[9]));
    const utc = Date.UTC(Number(match[3]), month, Number(match[1]), Number(match[4]), Number(match[5]), Number(match[6]));
    return new Date(utc - offsetMinutes * 60_000);
  }

  /** RFC 3501 §9 date (SEARCH SINCE 1-Feb-1994), quoted or not; the day at 00:00 UTC. */
  date(): Date {
    const quotedDate = this.peek() === '"';
    const text = quotedDate ? this.quoted().toString("latin1") : this.atom("a date like 1-Feb-2026");
    const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
    const month = match ? MONTHS.indexOf(match[2][0].toUpperCase() + match[2].slice(1).toLowerCase()) : -1;
    if (!match || month === -1) throw new ParseError(`"${printable(text)}" is not an IMAP date like 1-Feb-2026`);
    return new Date(Date.UTC(Number(match[3]), month, Number(match[1])));
  }

  private quoted(): Buffer {
    this.expect('"');
    const bytes: number[] = [];
    for (;;) {
      if (this.atEnd) throw new ParseError("a quoted string has no closing quote");
      const byte = this.input[this.at++];
      if (byte === 0x22) return Buffer.from(bytes);
      if (byte === 0x0d || byte === 0x0a) throw new ParseError("a quoted string cannot hold a line break: send a literal {n}");
      if (byte === 0x5c /* \ */) {
        const escaped = this.input[this.at++];
        // RFC 3501 §9: only \" and \\ are escapes in a quoted string.
        if (escaped !== 0x22 && escaped !== 0x5c) throw new ParseError('in a quoted string, "\\" may only escape " or \\');
        bytes.push(escaped);
      } else {
        bytes.push(byte);
      }
    }
  }

  private literal(): Buffer {
    const match = /^\{(\d{1,12})\+?\}\r\n/.exec(this.input.subarray(this.at, this.at + 20).toString("latin1"));
    if (!match) throw new ParseError(`a literal is {size}, then CRLF, then the bytes (position ${this.at + 1})`);
    const size = Number(match[1]);
    const start = this.at + match[0].length;
    if (start + size > this.input.length) throw new ParseError(`the literal announced ${size} bytes but fewer came`);
    this.at = start + size;
    return this.input.subarray(start, start + size);
  }
}

export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** True if `n` is in the set; `*` stands for `highest` (the last sequence number or UID in use). */
export function inSequenceSet(set: SequenceSet, n: number, highest: number): boolean {
  return set.some(({ from, to }) => {
    const low = from === Infinity ? highest : from;
    const high = to === Infinity ? highest : to;
    return n >= Math.min(low, high) && n <= Math.max(low, high);
  });
}

// ---------------------------------------------------------------------------------------
// Writing: how the server spells values in its responses.

/**
 * A literal's content that is a message's own text (FETCH BODY[…], RFC822): data, not the
 * protocol's words. Sent as it is; the transcript takes it as a body (session.ts writeParts():
 * never masked, to the console as raw text), as POP3's RETR and NNTP's ARTICLE are.
 */
export class MessageText {
  constructor(readonly bytes: Buffer) {}
}

/** A piece of a response: text, raw bytes (a literal's content, which may be any 8-bit data), or a message's text. */
export type Piece = string | Buffer | MessageText;

/**
 * A string value in a response: quoted when it is short, plain 7-bit text, otherwise a literal
 * {n}\r\n + the bytes (RFC 3501 §4.3: a quoted string cannot hold CR, LF, NUL or 8-bit bytes).
 */
export function stringValue(value: string | Buffer): Piece {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  const plain = bytes.length < 200 && !bytes.some((b) => b === 0 || b === 0x0d || b === 0x0a || b > 0x7e);
  if (plain) return '"' + bytes.toString("latin1").replace(/[\\"]/g, "\\$&") + '"';
  return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}

/** A folder name in LIST, STATUS …: an atom when it can be one, else a string. */
export function mailboxValue(name: string): Piece {
  return /^[A-Za-z0-9._&,+~\-\/]+$/.test(name) && name !== "NIL" ? name : stringValue(name);
}

/** RFC 3501 §9 date-time as INTERNALDATE shows it: "02-Dec-2026 00:22:50 +0000". */
export function formatDateTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `"${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`;
}

/** Echoing client input in a reply: printable ASCII only, and short. */
export function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 40 ? clean.slice(0, 40) + "…" : clean;
}

/** Turns response pieces into the bytes to send. */
export function toBytes(pieces: Piece[]): Buffer {
  return Buffer.concat(pieces.map(pieceBytes));
}

/**
 * Response pieces as the bytes to send, in parts: a message's text (MessageText) a part of its
 * own, marked body, the protocol's words around it joined (what session.ts writeParts() takes).
 */
export function toParts(pieces: Piece[]): WritePart[] {
  const parts: WritePart[] = [];
  let words: Buffer[] = [];
  const endWords = () => {
    if (words.length > 0) parts.push({ bytes: Buffer.concat(words), body: false });
    words = [];
  };
  for (const piece of pieces) {
    if (piece instanceof MessageText) {
      endWords();
      parts.push({ bytes: piece.bytes, body: true });
    } else words.push(pieceBytes(piece));
  }
  endWords();
  return parts;
}

function pieceBytes(piece: Piece): Buffer {
  return typeof piece === "string" ? Buffer.from(piece, "utf8") : piece instanceof MessageText ? piece.bytes : piece;
}

/** Compact sequence set text from sorted numbers: [1,2,3,5] → "1:3,5" (COPYUID, SEARCH results). */
export function formatSequenceSet(numbers: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; i++) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    parts.push(i === j ? `${numbers[i]}` : `${numbers[i]}:${numbers[j]}`);
    i = j;
  }
  return parts.join(",");
}
