// The pure pieces of the IMAP server, without a socket: the command parser (imap-syntax.ts),
// the MIME split (imap-mime.ts), FETCH (imap-fetch.ts) and SEARCH (imap-search.ts).

import { describe, expect, test } from "vitest";
import { fetchResponse, parseFetchItems, sectionBytes, setsSeen } from "../../servers/mail/imap-fetch.ts";
import { decodedBodyText, decodeHeaderValue, findPart, parseMessage } from "../../servers/mail/imap-mime.ts";
import { matches, parseSearch, type SearchedMessage } from "../../servers/mail/imap-search.ts";
import { listMatches } from "../../servers/mail/imap.ts";
import { CommandParser, formatSequenceSet, inSequenceSet, literalAtEnd, ParseError, stringValue, toBytes } from "../../servers/mail/imap-syntax.ts";

const parser = (text: string | Buffer) => new CommandParser(Buffer.from(text));

describe("the command parser (RFC 3501 §4, §9)", () => {
  test("tag, atom, quoted strings with escapes, literals counted in bytes", () => {
    const p = parser('A001 LOGIN "me \\"quoted\\" \\\\ x" {6}\r\n张三 rest');
    expect(p.tag()).toBe("A001");
    p.space();
    expect(p.atom()).toBe("LOGIN");
    p.space();
    expect(p.astring()).toBe('me "quoted" \\ x');
    p.space();
    expect(p.astring()).toBe("张三"); // 6 bytes, 2 characters
    p.space();
    expect(p.astring()).toBe("rest");
    p.end();
  });

  test("{n+} literals (LITERAL+) read the same; a literal shorter than announced is BAD", () => {
    expect(parser("{3+}\r\nabc").string().toString()).toBe("abc");
    expect(() => parser("{5}\r\nabc").string()).toThrow(ParseError);
  });

  test.each([
    ['"unterminated', /closing quote/],
    ['"bad \\x escape"', /may only escape/],
    ["", /expected an atom or a string/],
    ["(", /expected an atom or a string/],
  ])("astring %j is refused: %s", (text, message) => {
    expect(() => parser(text).astring()).toThrow(message);
  });

  test("a tag cannot contain +, and a command must start with one", () => {
    expect(() => parser("+ NOOP").tag()).toThrow(/tag/);
    expect(parser("a+b").tag()).toBe("a");
  });

  test("literalAtEnd finds {n} and {n+} at the end of a line only", () => {
    expect(literalAtEnd(Buffer.from("A1 APPEND INBOX {310}"))).toEqual({ size: 310, synchronizing: true });
    expect(literalAtEnd(Buffer.from("A1 LOGIN {3+}"))).toEqual({ size: 3, synchronizing: false });
    expect(literalAtEnd(Buffer.from("A1 SEARCH SUBJECT {x}"))).toBeNull();
    expect(literalAtEnd(Buffer.from("A1 NOOP"))).toBeNull();
  });

  test("sequence sets: numbers, ranges either way round, * and lists", () => {
    const set = parser("1:3,7,9:*,*:12").sequenceSet();
    expect([1, 2, 3, 7, 9, 12, 15].filter((n) => inSequenceSet(set, n, 15))).toEqual([1, 2, 3, 7, 9, 12, 15]);
    expect([4, 5, 6, 8].some((n) => inSequenceSet(set, n, 15))).toBe(false);
    // "5:*" with only 3 messages: * is 3, so it means 3:5 (RFC 3501 §9: "*:4" = "4:*").
    expect(inSequenceSet(parser("5:*").sequenceSet(), 3, 3)).toBe(true);
    expect(() => parser("0").sequenceSet()).toThrow(ParseError);
    expect(() => parser("1,").sequenceSet()).toThrow(ParseError);
    expect(formatSequenceSet([1, 2, 3, 5, 7, 8])).toBe("1:3,5,7:8");
  });

  test("flag lists: system flags spelled properly, keywords as atoms, \\Recent refused", () => {
    expect(parser("(\\seen $Forwarded \\DELETED)").flagList()).toEqual(["\\Seen", "$Forwarded", "\\Deleted"]);
    expect(() => parser("(\\Recent)").flagList()).toThrow(/not a flag/);
  });

  test("date-time and date", () => {
    expect(parser('"02-Dec-2026 01:22:50 +0100"').dateTime().toISOString()).toBe("2026-12-02T00:22:50.000Z");
    expect(parser(' 2-Dec-2026').date).toBeTypeOf("function");
    expect(parser("1-Feb-1994").date().toISOString()).toBe("1994-02-01T00:00:00.000Z");
    expect(() => parser('"32-Foo-2026 00:00:00 +0000"').dateTime()).toThrow(ParseError);
  });

  test("strings in responses: quoted when plain, a literal for 8-bit or line breaks", () => {
    expect(stringValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(toBytes([stringValue("你好")]).toString()).toBe("{6}\r\n你好");
    expect(toBytes([stringValue("a\r\nb")]).toString()).toBe("{4}\r\na\r\nb");
  });
});

// A message with every shape BODYSTRUCTURE has to describe: a multipart/mixed holding a
// multipart/alternative, an attachment and a forwarded message (message/rfc822) that is
// itself multipart. CRLF line endings, as the store hands messages out.
const NESTED = [
  "From: =?utf-8?b?5byg5LiJ?= <friend@example.org>",
  "To: me@example.com, Team: a@example.net, b@example.net;",
  "Subject: =?utf-8?q?caf=C3=A9?= news",
  "Date: Tue, 01 Dec 2026 23:30:00 -0500",
  "Message-ID: <1@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "preamble",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Caf=C3=A9 au lait",
  "--inner",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>Café</p>",
  "--inner--",
  "--outer",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="data.bin"',
  "",
  "AAECAw==",
  "--outer",
  "Content-Type: message/rfc822",
  "",
  "Subject: forwarded",
  'Content-Type: multipart/mixed; boundary="fwd"',
  "",
  "--fwd",
  "Content-Type: text/plain",
  "",
  "inside the forward",
  "--fwd--",
  "--outer--",
  "",
].join("\r\n");
const content = Buffer.from(NESTED);
const message = parseMessage(content);

describe("MIME split with exact byte offsets", () => {
  test("parts and their numbers, including inside a message/rfc822", () => {
    expect(message.parts.map((p) => `${p.type}/${p.subtype}`)).toEqual(["multipart/alternative", "application/octet-stream", "message/rfc822"]);
    const section = (path: number[]) => sectionBytes(content, message, { path, text: "", fields: [] }).toString();
    expect(section([1, 1])).toBe("Caf=C3=A9 au lait");
    expect(section([1, 2])).toBe("<p>Café</p>");
    expect(section([2])).toBe("AAECAw==");
    expect(section([3, 1])).toBe("inside the forward");
    expect(section([3])).toMatch(/^Subject: forwarded\r\n[\s\S]*--fwd--\r\n$/); // the closing line keeps its CRLF (as Dovecot counts)
    expect(section([9])).toBe(""); // no such part
    expect(sectionBytes(content, message, { path: [3], text: "HEADER", fields: [] }).toString()).toBe(
      'Subject: forwarded\r\nContent-Type: multipart/mixed; boundary="fwd"\r\n\r\n',
    );
    expect(sectionBytes(content, message, { path: [2], text: "MIME", fields: [] }).toString()).toMatch(/^Content-Type: application\/octet-stream\r\n.*\r\n\r\n$/s);
    expect(findPart(message, [1, 1, 1])).toBe(findPart(message, [1, 1])); // a leaf's only part is itself
  });

  test("a message that is not multipart has one part, BODY[1] = its body", () => {
    const plain = Buffer.from("Subject: x\r\n\r\nbody\r\n");
    expect(sectionBytes(plain, parseMessage(plain), { path: [1], text: "", fields: [] }).toString()).toBe("body\r\n");
  });

  test("decoded text for SEARCH: RFC 2047 headers, quoted-printable and base64 bodies", () => {
    expect(decodeHeaderValue("=?utf-8?q?caf=C3=A9?= news")).toBe("café news");
    expect(decodeHeaderValue("=?utf-8?b?5L2g?= =?utf-8?b?5aW9?=")).toBe("你好");
    expect(decodeHeaderValue("=?gbk?b?xOO6ww==?=")).toBe("你好");
    expect(decodedBodyText(content, message)).toContain("Café au lait");
  });
});

describe("FETCH items (RFC 3501 §6.4.5)", () => {
  const fetched = { seq: 3, uid: 42, flags: new Set(["\\Seen"]), internalDate: new Date("2026-12-02T00:00:00Z"), size: content.length, content, entity: message };
  const fetch = (items: string) => {
    const p = parser(items);
    const parsed = parseFetchItems(p);
    p.end();
    return toBytes(fetchResponse(fetched, parsed)).toString();
  };

  test("FLAGS, UID, INTERNALDATE, RFC822.SIZE = the bytes of BODY[]", () => {
    expect(fetch("(UID FLAGS INTERNALDATE RFC822.SIZE)")).toBe(`* 3 FETCH (UID 42 FLAGS (\\Seen) INTERNALDATE "02-Dec-2026 00:00:00 +0000" RFC822.SIZE ${content.length})\r\n`);
    expect(fetch("BODY[]")).toBe(`* 3 FETCH (BODY[] {${content.length}}\r\n${NESTED})\r\n`);
    expect(fetch("FAST")).toMatch(/^\* 3 FETCH \(FLAGS \(\\Seen\) INTERNALDATE ".*" RFC822.SIZE \d+\)\r\n$/);
  });

  test("HEADER.FIELDS (case-insensitive names), HEADER.FIELDS.NOT, partial <origin.count>", () => {
    expect(fetch("BODY.PEEK[HEADER.FIELDS (subject message-id)]")).toBe(
      "* 3 FETCH (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {68}\r\nSubject: =?utf-8?q?caf=C3=A9?= news\r\nMessage-ID: <1@example.org>\r\n\r\n)\r\n",
    );
    expect(fetch("BODY[HEADER.FIELDS.NOT (From To Subject Date Message-ID MIME-Version)]")).toBe(
      '* 3 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO SUBJECT DATE MESSAGE-ID MIME-VERSION)] {51}\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n)\r\n',
    );
    expect(fetch("BODY[]<5.10>")).toBe(`* 3 FETCH (BODY[]<5> {10}\r\n${NESTED.slice(5, 15)})\r\n`);
    expect(fetch("BODY[1.1]<100000.10>")).toBe("* 3 FETCH (BODY[1.1]<100000> {0}\r\n)\r\n");
  });

  test("ENVELOPE: raw (encoded) values, groups, Sender/Reply-To from From", () => {
    expect(fetch("ENVELOPE")).toBe(
      '* 3 FETCH (ENVELOPE ("Tue, 01 Dec 2026 23:30:00 -0500" "=?utf-8?q?caf=C3=A9?= news" (("=?utf-8?b?5byg5LiJ?=" NIL "friend" "example.org")) (("=?utf-8?b?5byg5LiJ?=" NIL "friend" "example.org")) (("=?utf-8?b?5byg5LiJ?=" NIL "friend" "example.org")) ((NIL NIL "me" "example.com")(NIL NIL "Team" NIL)(NIL NIL "a" "example.net")(NIL NIL "b" "example.net")(NIL NIL NIL NIL)) NIL NIL NIL "<1@example.org>"))\r\n',
    );
  });

  test("an 8-bit (raw UTF-8) header value goes out as a literal inside ENVELOPE, never as a broken quoted string", () => {
    const raw = Buffer.from('Subject: 你好 "there"\r\nFrom: 张三 <z@example.org>\r\n\r\nx\r\n');
    const entity = parseMessage(raw);
    const answer = toBytes(fetchResponse({ ...fetched, content: raw, entity }, [{ kind: "ENVELOPE" }])).toString();
    expect(answer).toBe(`* 3 FETCH (ENVELOPE (NIL {${Buffer.byteLength('你好 "there"')}}\r\n你好 "there" (({6}\r\n张三 NIL "z" "example.org")) (({6}\r\n张三 NIL "z" "example.org")) (({6}\r\n张三 NIL "z" "example.org")) NIL NIL NIL NIL NIL))\r\n`);
  });

  test("BODYSTRUCTURE of nested multiparts and a message/rfc822, sizes in bytes and lines", () => {
    const structure = fetch("BODYSTRUCTURE");
    expect(structure).toBe(
      "* 3 FETCH (BODYSTRUCTURE (" +
        '(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 0 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 12 0 NIL NIL NIL NIL) "alternative" ("boundary" "inner") NIL NIL NIL)' +
        '("application" "octet-stream" NIL NIL NIL "base64" 8 NIL ("attachment" ("filename" "data.bin")) NIL NIL)' +
        '("message" "rfc822" NIL NIL NIL "7bit" 133 (NIL "forwarded" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 0 NIL NIL NIL NIL) "mixed" ("boundary" "fwd") NIL NIL NIL) 8 NIL NIL NIL NIL)' +
        ' "mixed" ("boundary" "outer") NIL NIL NIL))\r\n',
    );
    // The sizes are the real byte counts of the parts.
    expect(Buffer.byteLength("<p>Café</p>")).toBe(12);
    expect(sectionBytes(content, message, { path: [3], text: "", fields: [] }).length).toBe(133);
    expect(sectionBytes(content, message, { path: [3], text: "", fields: [] }).toString().match(/\n/g)).toHaveLength(8);
    expect(fetch("BODY")).toContain('("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 0)');
  });

  test("BODY.PEEK, RFC822.HEADER don't set \\Seen; BODY[], RFC822, RFC822.TEXT do", () => {
    const seen = (items: string) => setsSeen(parseFetchItems(parser(items)));
    expect([seen("BODY.PEEK[]"), seen("RFC822.HEADER"), seen("(FLAGS ENVELOPE)")]).toEqual([false, false, false]);
    expect([seen("BODY[]"), seen("RFC822"), seen("RFC822.TEXT"), seen("BODY[1]<0.5>")]).toEqual([true, true, true, true]);
  });

  test.each(["(FLAGS", "BODY[FOO]", "BODY.PEEK", "BODY[]<5>", "NONSENSE", "BODY[HEADER.FIELDS ()]"])("%s is BAD", (items) => {
    expect(() => {
      const p = parser(items);
      parseFetchItems(p);
      p.end();
    }).toThrow(ParseError);
  });
});

describe("SEARCH keys (RFC 3501 §6.4.4)", () => {
  const messages: SearchedMessage[] = [
    { seq: 1, uid: 10, flags: new Set(["\\Seen"]), recent: false, size: 100, internalDate: new Date("2026-11-30T12:00:00Z"), content, entity: message },
    { seq: 2, uid: 20, flags: new Set(["\\Flagged", "todo"]), recent: true, size: 5000, internalDate: new Date("2026-12-01T08:00:00Z") },
    { seq: 3, uid: 30, flags: new Set(["\\Deleted", "\\Seen"]), recent: true, size: 300, internalDate: new Date("2026-12-02T00:00:00Z") },
  ];
  const plain = Buffer.from("From: someone@example.com\r\nSubject: plain one\r\nDate: 2 Dec 2026 10:00:00 +0000\r\n\r\nnothing special\r\n");
  for (const m of messages.slice(1)) Object.assign(m, { content: plain, entity: parseMessage(plain) });
  const search = (text: string) => {
    const { key } = parseSearch(parser(text));
    return messages.filter((m) => matches(key, m, { seq: 3, uid: 30 })).map((m) => m.seq);
  };

  test.each([
    ["ALL", [1, 2, 3]],
    ["SEEN", [1, 3]],
    ["UNSEEN", [2]],
    ["NEW", [2]],
    ["OLD", [1]],
    ["RECENT", [2, 3]],
    ["DELETED", [3]],
    ["UNDELETED FLAGGED", [2]],
    ["KEYWORD todo", [2]],
    ["UNKEYWORD todo", [1, 3]],
    ["LARGER 200", [2, 3]],
    ["SMALLER 200", [1]],
    ["2:*", [2, 3]],
    ["UID 20:25", [2]],
    ["UID *", [3]],
    ["NOT SEEN", [2]],
    ["OR DELETED FLAGGED", [2, 3]],
    ["(SEEN LARGER 200) OR 1 2", []],
    ["OR (SEEN LARGER 200) 2", [2, 3]],
    ["BEFORE 1-Dec-2026", [1]],
    ["ON 1-Dec-2026", [2]],
    ["SINCE 1-Dec-2026", [2, 3]],
    ["SENTON 1-Dec-2026", [1]], // 23:30 -0500 is still the 1st where it was sent
    ["SENTSINCE 2-Dec-2026", [2, 3]],
    ['SUBJECT "CAFÉ"', [1]], // decoded, case-insensitive
    ["SUBJECT plain", [2, 3]],
    ["FROM 张三", [1]],
    ["FROM friend@example.org", [1]],
    ['TO "team"', [1]],
    ["HEADER Message-ID <1@example.org>", [1]],
    ['HEADER Message-ID ""', [1]],
    ["BODY lait", [1]],
    ["BODY special", [2, 3]],
    ["TEXT forwarded", [1]],
    ["TEXT someone", [2, 3]],
  ])("%s → %j", (keys, expected) => {
    expect(search(keys)).toEqual(expected);
  });

  test("CHARSET is read; a literal search string is counted in bytes", () => {
    const { charset, key } = parseSearch(parser("CHARSET UTF-8 SUBJECT {5}\r\ncafé"));
    expect(charset).toBe("UTF-8");
    expect(key).toEqual({ op: "header", name: "Subject", text: "café" });
  });

  test.each(["", "FROM", "OR SEEN", "BOGUS", "SINCE yesterday", "()", "SEEN  UNSEEN"])("%j is BAD", (keys) => {
    expect(() => parseSearch(parser(keys))).toThrow(ParseError);
  });
});

describe("LIST patterns (RFC 3501 §6.3.8)", () => {
  test('"*" matches across the delimiter, "%" only within one level; INBOX in any case', () => {
    expect(listMatches("*", "INBOX.Sent.2026")).toBe(true);
    expect(listMatches("%", "INBOX.Sent")).toBe(false);
    expect(listMatches("INBOX.%", "INBOX.Sent")).toBe(true);
    expect(listMatches("INBOX.%", "INBOX.Sent.2026")).toBe(false);
    expect(listMatches("inbox", "INBOX")).toBe(true);
    expect(listMatches("Inbox.*", "INBOX.Trash")).toBe(true);
    expect(listMatches("sent", "Sent"), "only INBOX ignores case").toBe(false);
    expect(listMatches("S*t", "Sent")).toBe(true);
    expect(listMatches("S*x", "Sent")).toBe(false);
    expect(listMatches("收件*", "收件箱")).toBe(true);
    expect(listMatches("", "")).toBe(true);
  });

  test("a pattern of many stars is answered at once (a backtracking RegExp took 10 s for 10 stars and froze every server)", () => {
    const name = "INBOX.Trash.Sub.folder.name.that.is.long";
    expect(listMatches(`${"*".repeat(400)}!`, name)).toBe(false);
    expect(listMatches(`${"%*".repeat(200)}g`, name)).toBe(true);
  });
});
