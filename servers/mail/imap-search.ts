// SEARCH (RFC 3501 §6.4.4): the search keys, read into a tree, then matched against messages.
//
//   C: A7 SEARCH UNSEEN OR FROM "friend" SUBJECT {6}
//   S: + Ready
//   C: 你好
//   S: * SEARCH 2 5 9
//   S: A7 OK SEARCH completed
//
// Keys side by side mean AND; OR takes the next two keys; NOT the next one; ( … ) groups.
// Text keys match case-insensitively against DECODED text: a subject sent as
// "=?utf-8?B?5L2g5aW9?=" is found by SUBJECT 你好, a base64 body by BODY. Dates compare
// days only (time and time zone are ignored, as §6.4.4 says).

import { decodedBodyText, decodeHeaderValue, headerValue, type Entity } from "./imap-mime.ts";
import { inSequenceSet, ParseError, type CommandParser, type SequenceSet } from "./imap-syntax.ts";

export type SearchKey =
  | { op: "all" }
  | { op: "and"; keys: SearchKey[] }
  | { op: "or"; left: SearchKey; right: SearchKey }
  | { op: "not"; key: SearchKey }
  | { op: "flag"; flag: string; set: boolean }
  | { op: "recent" | "new" | "old" }
  | { op: "seq" | "uid"; set: SequenceSet }
  | { op: "date"; of: "internal" | "sent"; compare: "before" | "on" | "since"; day: Date }
  | { op: "size"; compare: "larger" | "smaller"; octets: number }
  | { op: "header"; name: string; text: string }
  | { op: "body" | "text"; text: string };

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ["\\Answered", true],
  DELETED: ["\\Deleted", true],
  DRAFT: ["\\Draft", true],
  FLAGGED: ["\\Flagged", true],
  SEEN: ["\\Seen", true],
  UNANSWERED: ["\\Answered", false],
  UNDELETED: ["\\Deleted", false],
  UNDRAFT: ["\\Draft", false],
  UNFLAGGED: ["\\Flagged", false],
  UNSEEN: ["\\Seen", false],
};
const HEADER_KEYS: Record<string, string> = { BCC: "Bcc", CC: "Cc", FROM: "From", SUBJECT: "Subject", TO: "To" };
const DATE_KEYS: Record<string, ["internal" | "sent", "before" | "on" | "since"]> = {
  BEFORE: ["internal", "before"],
  ON: ["internal", "on"],
  SINCE: ["internal", "since"],
  SENTBEFORE: ["sent", "before"],
  SENTON: ["sent", "on"],
  SENTSINCE: ["sent", "since"],
};

/** The charsets SEARCH CHARSET accepts; anything else gets NO [BADCHARSET (…)]. */
export const SEARCH_CHARSETS = ["UTF-8", "US-ASCII"];

/** "[CHARSET x SP] key *(SP key)": everything after "SEARCH ". */
export function parseSearch(parser: CommandParser): { charset: string | null; key: SearchKey } {
  let charset: string | null = null;
  if (parser.take("CHARSET ")) {
    charset = parser.astring().toUpperCase();
    parser.space();
  }
  const keys = [parseKey(parser)];
  while (parser.take(" ")) keys.push(parseKey(parser));
  parser.end();
  return { charset, key: keys.length === 1 ? keys[0] : { op: "and", keys } };
}

function parseKey(parser: CommandParser): SearchKey {
  if (parser.peek() === "(") {
    const keys = parser.list(() => parseKey(parser));
    if (keys.length === 0) throw new ParseError("( ) needs at least one search key inside");
    return keys.length === 1 ? keys[0] : { op: "and", keys };
  }
  if (/[0-9*]/.test(parser.peek())) return { op: "seq", set: parser.sequenceSet() };
  const word = parser.atom("a search key such as ALL, UNSEEN or FROM").toUpperCase();
  const argument = () => {
    parser.space();
    return parser.astring();
  };
  if (word === "ALL") return { op: "all" };
  if (FLAG_KEYS[word]) return { op: "flag", flag: FLAG_KEYS[word][0], set: FLAG_KEYS[word][1] };
  if (word === "NEW" || word === "OLD" || word === "RECENT") return { op: word.toLowerCase() as "new" };
  if (word === "KEYWORD" || word === "UNKEYWORD") {
    parser.space();
    return { op: "flag", flag: parser.atom("a keyword"), set: word === "KEYWORD" };
  }
  if (HEADER_KEYS[word]) return { op: "header", name: HEADER_KEYS[word], text: argument() };
  if (word === "HEADER") {
    const name = argument();
    return { op: "header", name, text: argument() };
  }
  if (word === "BODY" || word === "TEXT") return { op: word.toLowerCase() as "body", text: argument() };
  if (DATE_KEYS[word]) {
    parser.space();
    return { op: "date", of: DATE_KEYS[word][0], compare: DATE_KEYS[word][1], day: parser.date() };
  }
  if (word === "LARGER" || word === "SMALLER") {
    parser.space();
    return { op: "size", compare: word.toLowerCase() as "larger", octets: parser.number() };
  }
  if (word === "UID") {
    parser.space();
    return { op: "uid", set: parser.sequenceSet() };
  }
  if (word === "NOT") {
    parser.space();
    return { op: "not", key: parseKey(parser) };
  }
  if (word === "OR") {
    parser.space();
    const left = parseKey(parser);
    parser.space();
    return { op: "or", left, right: parseKey(parser) };
  }
  throw new ParseError(`unknown search key ${word.slice(0, 30)} (RFC 3501 §6.4.4 lists them)`);
}

/** True if `key` or any key inside it passes `test`. */
function usesKey(key: SearchKey, test: (key: SearchKey) => boolean): boolean {
  if (test(key)) return true;
  if (key.op === "and") return key.keys.some((k) => usesKey(k, test));
  if (key.op === "or") return usesKey(key.left, test) || usesKey(key.right, test);
  if (key.op === "not") return usesKey(key.key, test);
  return false;
}

/** Whether matching needs the message's text (headers or body), not only flags and sizes. */
export function searchNeedsContent(key: SearchKey): boolean {
  return usesKey(key, (k) => k.op === "header" || k.op === "body" || k.op === "text" || (k.op === "date" && k.of === "sent"));
}

/** Whether matching needs INTERNALDATE (BEFORE, ON, SINCE): a file system look per message. */
export function searchNeedsInternalDate(key: SearchKey): boolean {
  return usesKey(key, (k) => k.op === "date" && k.of === "internal");
}

export interface SearchedMessage {
  seq: number;
  uid: number;
  flags: Set<string>;
  recent: boolean;
  size: number;
  internalDate: Date;
  content?: Buffer;
  entity?: Entity;
}

/** Does `message` match `key`? `highest` gives "*": the last sequence number and the last UID. */
export function matches(key: SearchKey, message: SearchedMessage, highest: { seq: number; uid: number }): boolean {
  switch (key.op) {
    case "all":
      return true;
    case "and":
      return key.keys.every((k) => matches(k, message, highest));
    case "or":
      return matches(key.left, message, highest) || matches(key.right, message, highest);
    case "not":
      return !matches(key.key, message, highest);
    case "flag":
      return message.flags.has(key.flag) === key.set;
    case "recent":
      return message.recent;
    case "new": // RFC 3501 §6.4.4: NEW = RECENT UNSEEN
      return message.recent && !message.flags.has("\\Seen");
    case "old":
      return !message.recent;
    case "seq":
      return inSequenceSet(key.set, message.seq, highest.seq);
    case "uid":
      return inSequenceSet(key.set, message.uid, highest.uid);
    case "size":
      return key.compare === "larger" ? message.size > key.octets : message.size < key.octets;
    case "date": {
      const date = key.of === "internal" ? message.internalDate : sentDate(message.entity!);
      if (!date) return false;
      const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
      const wanted = key.day.getTime();
      return key.compare === "before" ? day < wanted : key.compare === "on" ? day === wanted : day >= wanted;
    }
    case "header": {
      const entity = message.entity!;
      const values = entity.headers.filter((header) => header.name.toLowerCase() === key.name.toLowerCase());
      if (key.text === "") return values.length > 0; // HEADER name "": every message that has it
      return values.some((header) => contains(decodeHeaderValue(header.value), key.text));
    }
    case "body":
      return contains(decodedBodyText(message.content!, message.entity!), key.text);
    case "text": {
      const headers = message.entity!.headers.map((header) => `${header.name}: ${decodeHeaderValue(header.value)}`).join("\n");
      return contains(headers, key.text) || contains(decodedBodyText(message.content!, message.entity!), key.text);
    }
  }
}

function contains(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

/** The Date: header as a date, or null. The day is the day of the sender's time zone. */
function sentDate(entity: Entity): Date | null {
  const value = headerValue(entity.headers, "Date");
  if (!value) return null;
  const parsed = new Date(value.replace(/\s*\([^)]*\)\s*$/, ""));
  if (Number.isNaN(parsed.getTime())) return null;
  const zone = /([+-])(\d\d)(\d\d)\s*$/.exec(value.replace(/\s*\([^)]*\)\s*$/, ""));
  const offset = zone ? (zone[1] === "-" ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  return new Date(parsed.getTime() + offset * 60_000); // so getUTCDate() is the sender's day
}
