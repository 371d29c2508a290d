// Lesson 06 — reference solution. Same exports as exercise.ts.
//
// A message is a header section, an empty line, and a body (RFC 5322 §2.1). Every mail
// server that takes the message adds a Received: header at the TOP (RFC 5321 §4.4), so
// reading them bottom-up retraces the journey: sender's MTA, next MTA, ..., recipient's MTA.

export interface Header {
  name: string; // as written: "Received", "Subject"
  value: string; // after the ":", unfolded, with the spaces around it trimmed
}

export interface Hop {
  from: string | null; // who handed the message over
  by: string | null; // the server that took it and wrote the header
  date: Date | null; // when it took it
}

/** The header section of a raw message, in order, each header unfolded (RFC 5322 §2.2.3). */
export function unfoldHeaders(raw: string): Header[] {
  const headers: Header[] = [];
  // On the wire lines end in CRLF; in a Maildir file in LF. Split on either.
  for (const line of raw.split(/\r?\n/)) {
    if (line === "") break; // the empty line: the header section is over, the body follows
    if (line.startsWith(" ") || line.startsWith("\t")) {
      // Folding: a long header goes on over several lines, each continuation starting with
      // white space. Unfolding removes only the line break; the space or tab stays.
      const last = headers[headers.length - 1];
      if (last) last.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon === -1) continue; // not a header line (e.g. an mbox "From " line): skip it
    headers.push({ name: line.slice(0, colon), value: line.slice(colon + 1) });
  }
  return headers.map(({ name, value }) => ({ name: name.trim(), value: value.trim() }));
}

/** The path a message travelled, from its Received: headers, oldest hop first. */
export function receivedHops(raw: string): Hop[] {
  const stamps = unfoldHeaders(raw).filter((header) => header.name.toLowerCase() === "received");
  // The newest stamp is on top: reverse for oldest first.
  return stamps.reverse().map((header) => parseReceived(header.value));
}

/** One Received: value, e.g. "from a (a [127.0.0.1]) by b with ESMTP; Mon, 23 Nov 2026 20:00:00 +0000". */
function parseReceived(value: string): Hop {
  const text = removeComments(value);
  // RFC 5321 §4.4: the clauses (from, by, via, with, id, for) come first, then ";" and the date.
  const semicolon = text.lastIndexOf(";");
  const clauses = semicolon === -1 ? text : text.slice(0, semicolon);
  const dateText = semicolon === -1 ? "" : text.slice(semicolon + 1).trim();
  const date = dateText === "" ? null : new Date(dateText);
  return {
    from: wordAfter(clauses, "from"),
    by: wordAfter(clauses, "by"),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
  };
}

/** The word after `keyword` ("from", "by"), compared case-insensitively. */
function wordAfter(clauses: string, keyword: string): string | null {
  const words = clauses.split(/\s+/).filter((word) => word !== "");
  const index = words.findIndex((word) => word.toLowerCase() === keyword);
  return index !== -1 && index + 1 < words.length ? words[index + 1]! : null;
}

/** Removes (comments), which may nest and may contain \-quoted characters (RFC 5322 §3.2.2). */
function removeComments(value: string): string {
  let depth = 0;
  let result = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (depth > 0 && ch === "\\") i++; // a quoted-pair: the next character is plain text
    else if (ch === "(") depth++;
    else if (ch === ")" && depth > 0) {
      depth--;
      if (depth === 0) result += " "; // "a(comment)b" is two words, "a b"
    }
    else if (depth === 0) result += ch;
  }
  return result;
}
