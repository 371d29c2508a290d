// A message cut into its MIME parts, with the exact byte offsets IMAP needs (RFC 3501 §6.4.5,
// §7.4.2): BODY[2.1] must send exactly the bytes of that part, and BODYSTRUCTURE reports each
// part's size in bytes and lines. A mail parser (mailparser) decodes a message for reading;
// IMAP needs the undecoded bytes and where each part starts and ends, so this file does its own
// small split (RFC 2045/2046):
//
//   From: a@example.com                ┐ header of the message
//   Content-Type: multipart/mixed;     │
//     boundary="XYZ"                   ┘
//                                        blank line: the body starts
//   --XYZ                                a boundary line starts part 1
//   Content-Type: text/plain           ┐ part 1: its own header ("MIME header", BODY[1.MIME])…
//                                      ┘
//   Hello                                …and its body (BODY[1])
//   --XYZ--                              the closing boundary
//
// A part of type message/rfc822 holds a whole message, cut the same way (BODY[2.1] is then a
// part of THAT message). The content is always the message with CRLF line endings.

export interface Entity {
  /** Offsets into the message: header [start, bodyStart), body [bodyStart, end). */
  start: number;
  bodyStart: number;
  end: number;
  headers: Header[];
  /** Content-Type, lower-case; "text"/"plain" by default (RFC 2045 §5.2). */
  type: string;
  subtype: string;
  params: [string, string][];
  /** multipart/*: the parts. */
  parts: Entity[];
  /** message/rfc822: the message inside. */
  message: Entity | null;
}

export interface Header {
  /** The name as written, e.g. "Subject". */
  name: string;
  /** The value unfolded (line breaks removed), leading space trimmed, not decoded. */
  value: string;
  /** The whole header line(s) as bytes, CRLF included. */
  raw: Buffer;
}

/** Cuts a message (CRLF line endings) into entities. */
export function parseMessage(content: Buffer): Entity {
  return parseEntity(content, 0, content.length, { type: "text", subtype: "plain" }, 0);
}

function parseEntity(content: Buffer, start: number, end: number, defaultType: { type: string; subtype: string }, depth: number): Entity {
  const { headers, bodyStart } = parseHeaders(content, start, end);
  const contentType = headerValue(headers, "Content-Type");
  const { value, params } = parseStructuredValue(contentType ?? "");
  const [type, subtype] = /^[^/\s]+\/[^/\s]+$/.test(value) ? value.toLowerCase().split("/") : [defaultType.type, defaultType.subtype];
  const entity: Entity = { start, bodyStart, end, headers, type, subtype, params, parts: [], message: null };
  if (depth > 20) return entity; // a message nested 20 times is an attack, not mail
  const boundary = params.find(([name]) => name === "boundary")?.[1];
  if (type === "multipart" && boundary) {
    // RFC 2046 §5.1.5: in multipart/digest the parts are messages unless they say otherwise.
    const partDefault = subtype === "digest" ? { type: "message", subtype: "rfc822" } : { type: "text", subtype: "plain" };
    entity.parts = splitMultipart(content, bodyStart, end, boundary).map(([s, e]) => {
      const part = parseEntity(content, s, e, partDefault, depth + 1);
      // A part that is itself a multipart (or a message holding one) ends with its own
      // closing "--inner--" line, and that line keeps its CRLF: the boundary that follows
      // needs none of its own. Dovecot counts it so, and clients compare sizes with Dovecot's.
      if (endsWithClosingLine(content, part.message ?? part) && content[part.end] === 0x0d && content[part.end + 1] === 0x0a) {
        part.end += 2;
        if (part.message) part.message.end += 2;
      }
      return part;
    });
  } else if (type === "message" && (subtype === "rfc822" || subtype === "global")) {
    entity.message = parseEntity(content, bodyStart, end, { type: "text", subtype: "plain" }, depth + 1);
  }
  return entity;
}

/** Header lines up to the blank line (RFC 5322 §2.2.3: a line starting with space/tab continues the previous one). */
function parseHeaders(content: Buffer, start: number, end: number): { headers: Header[]; bodyStart: number } {
  const found: { name: string; value: string; rawStart: number; rawEnd: number }[] = [];
  let at = start;
  let bodyStart = end; // no blank line: everything is header, the body is empty
  while (at < end) {
    const lineEnd = nextLineEnd(content, at, end);
    const blank = content[at] === 0x0a || (content[at] === 0x0d && content[at + 1] === 0x0a);
    if (blank) {
      bodyStart = lineEnd;
      break;
    }
    const line = content.subarray(at, lineEnd).toString("utf8").replace(/\r?\n$/, "");
    const last = found[found.length - 1];
    if ((line[0] === " " || line[0] === "\t") && last) {
      last.value += line;
      last.rawEnd = lineEnd;
    } else {
      const colon = line.indexOf(":");
      if (colon > 0) found.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1), rawStart: at, rawEnd: lineEnd });
    }
    at = lineEnd;
  }
  const headers = found.map((h) => ({ name: h.name, value: h.value.replace(/^\s+/, ""), raw: content.subarray(h.rawStart, h.rawEnd) }));
  return { headers, bodyStart };
}

/** Where the line starting at `at` ends (after its LF), or `end`. */
function nextLineEnd(content: Buffer, at: number, end: number): number {
  const lf = content.indexOf(0x0a, at);
  return lf === -1 || lf >= end ? end : lf + 1;
}

/**
 * RFC 2046 §5.1.1: the parts lie between "--boundary" lines; the CRLF before a boundary line
 * belongs to the boundary, not to the part. "--boundary--" ends the list.
 */
function splitMultipart(content: Buffer, start: number, end: number, boundary: string): [number, number][] {
  const delimiter = Buffer.from("--" + boundary);
  const parts: [number, number][] = [];
  let partStart = -1;
  for (let at = start; at < end; at = nextLineEnd(content, at, end)) {
    if (!content.subarray(at, at + delimiter.length).equals(delimiter)) continue;
    const lineEnd = nextLineEnd(content, at, end);
    const rest = content.subarray(at + delimiter.length, lineEnd).toString("latin1");
    const closing = rest.startsWith("--");
    if (!/^(--)?[ \t]*\r?\n?$/.test(rest)) continue; // "--boundaryX": a longer boundary, not ours
    if (partStart !== -1) parts.push([partStart, Math.max(partStart, at - (content[at - 2] === 0x0d ? 2 : 1))]);
    if (closing) return parts;
    partStart = lineEnd;
  }
  if (partStart !== -1) parts.push([partStart, end]); // no closing boundary: the last part runs to the end
  return parts;
}

/** True if the multipart `entity` ends with its closing boundary line ("--inner--"). */
function endsWithClosingLine(content: Buffer, entity: Entity): boolean {
  const boundary = entity.params.find(([name]) => name === "boundary")?.[1];
  if (entity.type !== "multipart" || !boundary) return false;
  const closing = Buffer.from(`--${boundary}--`);
  return content.subarray(entity.end - closing.length, entity.end).equals(closing);
}

/** The first header called `name` (case-insensitive), its value unfolded. */
export function headerValue(headers: Header[], name: string): string | null {
  const found = headers.find((header) => header.name.toLowerCase() === name.toLowerCase());
  return found ? found.value.replace(/\r?\n/g, "").trim() : null;
}

/** `text/plain; charset="utf-8"; format=flowed` → the value and its parameters (names lower-case). */
export function parseStructuredValue(text: string): { value: string; params: [string, string][] } {
  const pieces: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') quoted = !quoted;
    if (char === "\\" && quoted) {
      current += text[++i] ?? "";
      continue;
    }
    if (char === ";" && !quoted) {
      pieces.push(current);
      current = "";
    } else if (char !== '"') current += char;
  }
  pieces.push(current);
  const [value, ...rest] = pieces.map((piece) => piece.trim());
  const params: [string, string][] = [];
  for (const piece of rest) {
    const equals = piece.indexOf("=");
    if (equals > 0) params.push([piece.slice(0, equals).trim().toLowerCase(), piece.slice(equals + 1).trim()]);
  }
  return { value: value.replace(/\s+/g, ""), params };
}

// ---------------------------------------------------------------------------------------
// Finding a section: BODY[2.1.HEADER] and friends (RFC 3501 §6.4.5).

/**
 * The entity that part numbers `path` name, starting at the message. In a message/rfc822 part the
 * numbers continue inside the message it holds; a message that is not multipart has one part, 1.
 */
export function findPart(message: Entity, path: number[]): Entity | null {
  let entity = message;
  for (const n of path) {
    const inner = entity.message && entity !== message ? entity.message : entity;
    if (inner.parts.length > 0) {
      const next = inner.parts[n - 1];
      if (!next) return null;
      entity = next;
    } else if (n === 1) {
      entity = inner;
    } else {
      return null;
    }
  }
  return entity;
}

/** The bytes of the header lines (and the blank line after them). */
export function headerBytes(content: Buffer, entity: Entity): Buffer {
  return content.subarray(entity.start, entity.bodyStart);
}

export function bodyBytes(content: Buffer, entity: Entity): Buffer {
  return content.subarray(entity.bodyStart, entity.end);
}

/** HEADER.FIELDS (names) or, with `not`, HEADER.FIELDS.NOT: the chosen header lines, then CRLF. */
export function headerFields(entity: Entity, names: string[], not: boolean): Buffer {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const chosen = entity.headers.filter((header) => wanted.has(header.name.toLowerCase()) !== not);
  return Buffer.concat([...chosen.map((header) => header.raw), Buffer.from("\r\n")]);
}

// ---------------------------------------------------------------------------------------
// Decoded text, for SEARCH (RFC 3501 §6.4.4: "SUBJECT 你好" must find an encoded subject).

/** RFC 2047 encoded words ("=?utf-8?B?5L2g5aW9?=") → text. Unknown charsets stay as they are. */
export function decodeHeaderValue(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, "$1") // space between two encoded words is not text
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (word, charset: string, encoding: string, text: string) => {
      const bytes = encoding.toUpperCase() === "B" ? Buffer.from(text, "base64") : decodeQuotedPrintable(text.replace(/_/g, " "));
      return decodeCharset(bytes, charset.split("*")[0]) ?? word;
    });
}

/** The text of every text/* part, with its Content-Transfer-Encoding and charset undone. */
export function decodedBodyText(content: Buffer, message: Entity): string {
  const texts: string[] = [];
  const visit = (entity: Entity) => {
    if (entity.parts.length > 0) return entity.parts.forEach(visit);
    if (entity.message) {
      // A forwarded message is part of the body: its header lines are text to search too.
      texts.push(entity.message.headers.map((header) => `${header.name}: ${decodeHeaderValue(header.value)}`).join("\n"));
      return visit(entity.message);
    }
    if (entity.type !== "text") return;
    const raw = bodyBytes(content, entity);
    const encoding = (headerValue(entity.headers, "Content-Transfer-Encoding") ?? "7bit").toLowerCase();
    const bytes = encoding === "base64" ? Buffer.from(raw.toString("latin1"), "base64") : encoding === "quoted-printable" ? decodeQuotedPrintable(raw.toString("latin1")) : raw;
    const charset = entity.params.find(([name]) => name === "charset")?.[1] ?? "utf-8";
    texts.push(decodeCharset(bytes, charset) ?? bytes.toString("utf8"));
  };
  visit(message);
  return texts.join("\n");
}

function decodeQuotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  const source = text.replace(/=\r?\n/g, ""); // soft line breaks
  for (let i = 0; i < source.length; i++) {
    if (source[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      bytes.push(parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(source.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** Node's TextDecoder knows the charsets mail uses (utf-8, iso-8859-*, gbk, big5, shift_jis …). */
function decodeCharset(bytes: Buffer, charset: string): string | null {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return null;
  }
}
