// The NNTP server over raw sockets: every reply code of RFC 3977's reader commands, the
// current-article rules, ranges, POST (numbering across restarts, dot-stuffing both ways,
// crossposting), AUTHINFO, and the live transcript.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { crlf, filesUnder, makeSeed, RawNntp, startTestNews } from "./nntp-kit.ts";

const GROUPS = [
  { name: "test.one", description: "The first test group.", firstNumber: 10 },
  { name: "test.two", description: "The second one.", firstNumber: 1 },
  { name: "misc.empty", description: "Nothing here yet.", firstNumber: 300 },
];

const FIRST = `From: Ann <ann@example.com>
Newsgroups: test.one
Subject: first post
Date: Mon, 05 Jan 2026 10:00:00 +0000
Message-ID: <first@example.com>

Hello group.
`;
const DOTS = `From: Bob <bob@example.com>
Newsgroups: test.one
Subject: Re: first post
Date: Tue, 06 Jan 2026 10:00:00 +0000
Message-ID: <dots@example.com>
References: <first@example.com>

.one dot at the start
..two dots at the start
.
end
`;
const CROSS = `From: Cat <cat@example.com>
Newsgroups: test.one,test.two
Subject: crossposted	with a tab
Date: Wed, 07 Jan 2026 10:00:00 +0000
Message-ID: <cross@example.com>
X-Folded: a value
 that continues

In both groups.
`;

async function startSmall(options: Parameters<typeof startTestNews>[0] = {}) {
  const seedDir = await makeSeed(GROUPS, { "001-first.txt": FIRST, "002-dots.txt": DOTS, "003-cross.txt": CROSS });
  return startTestNews({ seedDir, ...options });
}

const article = (subject: string, groups = "test.one", extra = "") =>
  `From: Poster <poster@example.com>\r\nNewsgroups: ${groups}\r\nSubject: ${subject}\r\n${extra}\r\nbody of ${subject}\r\n`;

/** POST over a raw socket: the 340, the stuffed article, the final status. */
async function post(client: RawNntp, content: string): Promise<string> {
  expect(await client.command("POST")).toMatch(/^340 /);
  const stuffed = content.replace(/\r\n$/, "").split("\r\n").map((line) => (line.startsWith(".") ? "." + line : line));
  client.socket.write(stuffed.join("\r\n") + "\r\n.\r\n");
  return client.line();
}

describe("NNTP: session basics", () => {
  test("greeting 200, CAPABILITIES 101, MODE READER 200, HELP 100, DATE 111, QUIT 205", async () => {
    const news = await startSmall();
    const client = await RawNntp.connect(news.port);
    expect(await client.line()).toBe("200 Socket Playground NNTP server ready (posting ok)");
    const capabilities = await client.list("CAPABILITIES", "101");
    expect(capabilities[0]).toBe("VERSION 2");
    for (const capability of ["READER", "POST", "NEWNEWS", "OVER", "HDR", "LIST ACTIVE NEWSGROUPS OVERVIEW.FMT HEADERS", "AUTHINFO USER"]) {
      expect(capabilities).toContain(capability);
    }
    expect(capabilities.some((line) => line.startsWith("IMPLEMENTATION "))).toBe(true);
    expect(await client.command("mode reader")).toMatch(/^200 /); // nntplib sends it in lower case
    expect(await client.command("MODE STREAM")).toMatch(/^501 /);
    expect((await client.list("HELP", "100")).join("\n")).toContain("ARTICLE");
    const date = await client.command("DATE");
    expect(date).toMatch(/^111 \d{14}$/);
    const serverTime = Date.UTC(+date.slice(4, 8), +date.slice(8, 10) - 1, +date.slice(10, 12), +date.slice(12, 14), +date.slice(14, 16), +date.slice(16, 18));
    expect(Math.abs(serverTime - Date.now())).toBeLessThan(60_000);
    expect(await client.command("QUIT")).toBe("205 closing connection, goodbye");
    expect(await client.nextOrClose()).toBeNull();
  });

  test("500 unknown, 501 syntax, 503 IHAVE, 501 for a line over 512 octets — and the session goes on", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.command("FROBNICATE")).toMatch(/^500 unknown command "FROBNICATE"/);
    expect(await client.command("")).toMatch(/^500 /);
    expect(await client.command("GROUP")).toMatch(/^501 /);
    expect(await client.command("GROUP a b")).toMatch(/^501 /);
    expect(await client.command("ARTICLE abc")).toMatch(/^501 /);
    expect(await client.command("OVER 1-x")).toMatch(/^501 /);
    expect(await client.command("LIST FOO")).toMatch(/^501 /);
    expect(await client.command("NEWNEWS * 2026 000000")).toMatch(/^501 /);
    expect(await client.command("IHAVE <x@y>")).toMatch(/^503 /);
    const command = (length: number) => "GROUP " + "x".repeat(length - "GROUP ".length - 2);
    expect(await client.command(command(512))).toMatch(/^411 /); // 512 octets with CRLF: allowed
    expect(await client.command(command(513))).toBe("501 line too long: command lines are at most 512 octets (RFC 3977 §3.1)");
    expect(await client.command("GROUP test.one")).toBe("211 3 10 12 test.one");
  });
});

describe("NNTP: groups and the current article", () => {
  test("GROUP 211 count low high / 411; the low water mark starts at firstNumber; an empty group", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.command("GROUP test.one")).toBe("211 3 10 12 test.one");
    expect(await client.command("GROUP test.two")).toBe("211 1 1 1 test.two");
    expect(await client.command("GROUP misc.empty")).toBe("211 0 300 299 misc.empty"); // §6.1.1.2: high = low - 1
    expect(await client.command("GROUP no.such.group")).toMatch(/^411 no such newsgroup: no.such.group/);
    // In the empty group there is no current article.
    expect(await client.command("STAT")).toMatch(/^420 /);
    expect(await client.command("NEXT")).toMatch(/^420 /);
  });

  test("412 before GROUP; NEXT/LAST 223/421/422; by number sets the current article, by message-id does not", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    for (const command of ["ARTICLE", "HEAD 10", "BODY", "STAT 10", "NEXT", "LAST", "OVER", "OVER 10-", "XHDR subject 10-", "LISTGROUP"]) {
      expect(await client.command(command), command).toMatch(/^412 /);
    }
    expect(await client.command("STAT <first@example.com>")).toBe("223 0 <first@example.com>"); // no group needed
    expect(await client.command("GROUP test.one")).toMatch(/^211 /);
    expect(await client.command("STAT")).toBe("223 10 <first@example.com>"); // GROUP: current = first
    expect(await client.command("LAST")).toBe("422 no previous article in this group");
    expect(await client.command("NEXT")).toBe("223 11 <dots@example.com> article exists");
    expect(await client.command("NEXT")).toBe("223 12 <cross@example.com> article exists");
    expect(await client.command("NEXT")).toBe("421 no next article in this group");
    expect(await client.command("LAST")).toMatch(/^223 11 /);
    expect(await client.command("STAT 10")).toBe("223 10 <first@example.com>");
    expect(await client.command("STAT")).toBe("223 10 <first@example.com>"); // STAT 10 moved it
    expect(await client.command("STAT 13")).toMatch(/^423 no article number 13 in test.one/);
    expect(await client.command("STAT")).toBe("223 10 <first@example.com>"); // a failed STAT does not move it
    expect(await client.command("HEAD <cross@example.com>")).toMatch(/^221 0 <cross@example.com> /);
    await client.block();
    expect(await client.command("STAT")).toBe("223 10 <first@example.com>"); // §6.2.1.2: unchanged
    expect(await client.command("ARTICLE <nobody@example.com>")).toMatch(/^430 /);
    expect(await client.command("GROUP test.two")).toBe("211 1 1 1 test.two");
    expect(await client.command("STAT")).toBe("223 1 <cross@example.com>"); // the crosspost's number there
  });

  test("LISTGROUP with and without a group, with a range; it selects the group", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.list("LISTGROUP test.one", "211")).toEqual(["10", "11", "12"]);
    expect(await client.command("STAT")).toBe("223 10 <first@example.com>");
    expect(await client.list("LISTGROUP test.one 11-", "211")).toEqual(["11", "12"]);
    expect(await client.list("LISTGROUP test.one 11", "211")).toEqual(["11"]);
    expect(await client.list("LISTGROUP test.one 20-30", "211")).toEqual([]);
    expect(await client.list("listgroup", "211")).toEqual(["10", "11", "12"]);
    expect(await client.command("LISTGROUP nope")).toMatch(/^411 /);
  });
});

describe("NNTP: reading articles", () => {
  test("ARTICLE/HEAD/BODY: the stored article, CRLF, dot-stuffed on the wire, with Path, Lines and Xref added", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.command("GROUP test.one")).toMatch(/^211 /);
    expect(await client.command("ARTICLE 11")).toBe("220 11 <dots@example.com> article follows");
    const [head, body] = DOTS.split("\n\n");
    const expected = crlf(`Path: playground!not-for-mail\n${head}\nLines: 4\nXref: playground test.one:11\n\n${body}`);
    expect(await client.blockBytes()).toEqual(expected);
    // The raw bytes on the wire: each line starting with "." got one more.
    client.send("BODY 11");
    const raw = await rawUntilTerminator(client);
    expect(raw).toBe("222 11 <dots@example.com> body follows\r\n..one dot at the start\r\n...two dots at the start\r\n..\r\nend\r\n.\r\n");
    expect(await client.command("HEAD")).toBe("221 11 <dots@example.com> headers follow");
    expect((await client.blockBytes()).toString()).toBe(crlf(`Path: playground!not-for-mail\n${head}\nLines: 4\nXref: playground test.one:11\n`).toString());
    expect(await client.command("BODY 12")).toMatch(/^222 12 /);
    expect((await client.blockBytes()).toString()).toBe("In both groups.\r\n");
  });

  test("OVER/XOVER: ranges n, n-, n-m, a message-id, the current article; :bytes = octets ARTICLE sends", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.list("LIST OVERVIEW.FMT", "215")).toEqual(["Subject:", "From:", "Date:", "Message-ID:", "References:", ":bytes", ":lines"]);
    expect(await client.command("GROUP test.one")).toMatch(/^211 /);
    const all = await client.list("OVER 10-", "224");
    expect(all.map((line) => line.split("\t")[0])).toEqual(["10", "11", "12"]);
    const [number, subject, from, date, id, references, bytes, lines] = all[1].split("\t");
    expect([number, subject, from, date, id, references, lines]).toEqual(["11", "Re: first post", "Bob <bob@example.com>", "Tue, 06 Jan 2026 10:00:00 +0000", "<dots@example.com>", "<first@example.com>", "4"]);
    expect(await client.command("ARTICLE 11")).toMatch(/^220 /);
    expect(Number(bytes)).toBe((await client.blockBytes()).length);
    expect(all[2].split("\t")[1]).toBe("crossposted with a tab"); // §8.3.2: the TAB became a space
    expect(await client.list("XOVER 11-12", "224")).toEqual(all.slice(1));
    expect(await client.list("OVER 12", "224")).toEqual(all.slice(2));
    expect(await client.list("over 11-11", "224")).toEqual([all[1]]);
    expect(await client.list("OVER <first@example.com>", "224")).toEqual(["0" + all[0].slice(2)]);
    expect(await client.list("OVER", "224")).toEqual([all[1]]); // the current article (ARTICLE 11)
    expect(await client.command("OVER 13-")).toMatch(/^423 /);
    expect(await client.command("OVER 12-10")).toMatch(/^423 /);
    expect(await client.command("OVER <none@example.com>")).toMatch(/^430 /);
  });

  test("HDR 225 and XHDR 221, any header, :bytes/:lines for HDR; LIST HEADERS", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.list("LIST HEADERS", "215")).toEqual([":", ":bytes", ":lines"]);
    expect(await client.command("GROUP test.one")).toMatch(/^211 /);
    expect(await client.list("XHDR subject 10-12", "221")).toEqual(["10 first post", "11 Re: first post", "12 crossposted with a tab"]);
    expect(await client.list("HDR Subject 10-", "225")).toEqual(["10 first post", "11 Re: first post", "12 crossposted with a tab"]);
    expect(await client.list("HDR references 10-11", "225")).toEqual(["10 ", "11 <first@example.com>"]);
    expect(await client.list("XHDR references 10", "221")).toEqual(["10 (none)"]);
    expect(await client.list("HDR x-folded 12", "225")).toEqual(["12 a value that continues"]); // unfolded
    expect(await client.list("HDR :lines 10-", "225")).toEqual(["10 1", "11 4", "12 1"]);
    expect(await client.list("HDR message-id <cross@example.com>", "225")).toEqual(["0 <cross@example.com>"]);
    expect(await client.list("HDR subject", "225")).toEqual(["10 first post"]);
    expect(await client.command("XHDR :lines 10-")).toMatch(/^501 /);
    expect(await client.command("HDR")).toMatch(/^501 /);
    expect(await client.command("HDR subject 50-60")).toMatch(/^423 /);
  });

  test("LIST, LIST ACTIVE/NEWSGROUPS with wildmats", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    const active = ["test.one 12 10 y", "test.two 1 1 y", "misc.empty 299 300 y"];
    expect(await client.list("LIST", "215")).toEqual(active);
    expect(await client.list("list active", "215")).toEqual(active);
    expect(await client.list("LIST ACTIVE test.*", "215")).toEqual(active.slice(0, 2));
    expect(await client.list("LIST ACTIVE test.*,!*.two", "215")).toEqual(active.slice(0, 1));
    expect(await client.list("LIST ACTIVE test.t?o", "215")).toEqual(["test.two 1 1 y"]);
    expect(await client.list("LIST NEWSGROUPS", "215")).toEqual(GROUPS.map((group) => `${group.name}\t${group.description}`));
    expect(await client.list("LIST NEWSGROUPS misc.*", "215")).toEqual(["misc.empty\tNothing here yet."]);
    expect(await client.list("LIST NEWSGROUPS nothing.*", "215")).toEqual([]);
  });

  test("NEWGROUPS and NEWNEWS: 4- and 2-digit years, GMT, wildmats; a crosspost listed once", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    // A group was "created" when its first seed article arrived; the empty one with the earliest.
    expect(await client.list("NEWGROUPS 20260106 000000 GMT", "231")).toEqual(["test.two 1 1 y"]);
    expect(await client.list("NEWGROUPS 260101 000000 GMT", "231")).toHaveLength(3);
    expect(await client.list("NEWGROUPS 20270101 000000 GMT", "231")).toEqual([]);
    expect(await client.list("NEWNEWS * 20260101 000000 GMT", "230")).toEqual(["<first@example.com>", "<dots@example.com>", "<cross@example.com>"]);
    expect(await client.list("NEWNEWS test.* 20260106 100000 GMT", "230")).toEqual(["<dots@example.com>", "<cross@example.com>"]);
    expect(await client.list("NEWNEWS test.two 20260101 000000 GMT", "230")).toEqual(["<cross@example.com>"]);
    expect(await client.list("newnews misc.* 20260101 000000", "230")).toEqual([]);
    expect(await client.command("NEWGROUPS 20261301 000000")).toMatch(/^501 /);
    expect(await client.command("NEWGROUPS 20260101 000000 UTC")).toMatch(/^501 /);
  });
});

describe("NNTP: POST", () => {
  test("340, 240; the article reads back with Message-ID, Date and Path added; dot-stuffing both ways", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    const content = "From: Poster <poster@example.com>\r\nNewsgroups: test.two\r\nSubject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nlast\r\n";
    const status = await post(client, content);
    expect(status).toMatch(/^240 article received <[^>]+@playground>$/);
    const id = status.split(" ").at(-1)!;
    expect(await client.command("GROUP test.two")).toBe("211 2 1 2 test.two");
    expect(await client.command("ARTICLE 2")).toBe(`220 2 ${id} article follows`);
    const text = (await client.blockBytes()).toString();
    expect(text).toMatch(new RegExp(`^Path: playground!not-for-mail\\r\\nFrom: Poster <poster@example.com>\\r\\nNewsgroups: test.two\\r\\nSubject: dots\\r\\nMessage-ID: ${id}\\r\\nDate: \\w{3}, \\d\\d \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000\\r\\nLines: 4\\r\\nXref: playground test.two:2\\r\\n\\r\\n`));
    expect(text.endsWith("\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nlast\r\n")).toBe(true);
    expect(await client.command(`STAT ${id}`)).toBe(`223 0 ${id}`);
  });

  test("the poster's Message-ID, Date and other headers are kept; Path is prefixed; Xref and Lines are the server's", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    const extra = "Message-ID: <mine@example.com>\r\nDate: Thu, 08 Jan 2026 10:00:00 +0000\r\nPath: elsewhere!poster\r\nXref: fake 1:1\r\nLines: 99\r\nX-Custom: kept\r\n";
    expect(await post(client, article("kept", "test.one", extra))).toBe("240 article received <mine@example.com>");
    expect(await client.command("HEAD <mine@example.com>")).toMatch(/^221 0 /);
    expect(await client.block()).toEqual([
      "Path: playground!elsewhere!poster",
      "From: Poster <poster@example.com>",
      "Newsgroups: test.one",
      "Subject: kept",
      "Message-ID: <mine@example.com>",
      "Date: Thu, 08 Jan 2026 10:00:00 +0000",
      "X-Custom: kept",
      "Lines: 1",
      "Xref: playground test.one:13",
    ]);
  });

  test("441 with the reason: missing From/Subject/Newsgroups, unknown group, duplicate Message-ID, too big — and the session stays in step", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await post(client, "Newsgroups: test.one\r\nSubject: x\r\n\r\nbody\r\n")).toMatch(/^441 posting failed: the article has no From: header/);
    expect(await post(client, "From: a@b\r\nNewsgroups: test.one\r\n\r\nbody\r\n")).toMatch(/^441 .*no Subject: header/);
    expect(await post(client, "From: a@b\r\nSubject: x\r\n\r\nbody\r\n")).toMatch(/^441 .*no Newsgroups: header/);
    expect(await post(client, article("x", "no.such.group"))).toMatch(/^441 posting failed: no such newsgroup: no.such.group/);
    expect(await post(client, article("x", "test.one", "Message-ID: <first@example.com>\r\n"))).toMatch(/^441 posting failed: duplicate/);
    expect(await post(client, article("x", "test.one", "Message-ID: not-an-id\r\n"))).toMatch(/^441 .*is not a Message-ID/);
    expect(await post(client, "this is not a header\r\n\r\nbody\r\n")).toMatch(/^441 .*is not a header line/);
    expect(await post(client, "")).toMatch(/^441 posting failed: the article is empty/);
    const big = article("big", "test.one") + ("x".repeat(999) + "\r\n").repeat(1100);
    expect(await post(client, big)).toBe("441 posting failed: the article is bigger than 1 MB");
    expect(await post(client, article("long line") + "z".repeat(100_000) + "\r\n")).toBe("441 posting failed: a line is longer than 65536 octets");
    expect(await client.command("POST now")).toMatch(/^501 /);
    expect(await client.command("GROUP test.one")).toBe("211 3 10 12 test.one"); // nothing was stored
    expect(await readdir(join(news.newsDir, "tmp"))).toEqual([]);
  });

  test("numbers go on from the stored high water mark after a restart, even when articles were removed", async () => {
    const news = await startSmall();
    let client = await RawNntp.open(news.port);
    expect(await post(client, article("a"))).toMatch(/^240 /);
    expect(await post(client, article("b"))).toMatch(/^240 /);
    expect(await client.command("GROUP test.one")).toBe("211 5 10 14 test.one");
    await news.restart();
    client = await RawNntp.open(news.port);
    expect(await client.command("GROUP test.one")).toBe("211 5 10 14 test.one");
    expect(await client.list("XHDR subject 13-", "221")).toEqual(["13 a", "14 b"]);
    expect(await post(client, article("c"))).toMatch(/^240 /);
    expect(await client.command("GROUP test.one")).toBe("211 6 10 15 test.one");
    // Someone removes the newest articles by hand (a real server expires old ones): their
    // numbers are still never given out again.
    const { unlink } = await import("node:fs/promises");
    await unlink(join(news.newsDir, "groups", "test.one", "15"));
    await unlink(join(news.newsDir, "groups", "test.one", "10"));
    await news.restart();
    client = await RawNntp.open(news.port);
    expect(await client.command("GROUP test.one")).toBe("211 4 11 15 test.one");
    expect(await post(client, article("d"))).toMatch(/^240 /);
    expect(await client.list("XHDR subject 14-", "221")).toEqual(["14 b", "16 d"]);
    expect(JSON.parse(await readFile(join(news.newsDir, "active.json"), "utf8"))[0]).toMatchObject({ name: "test.one", high: 16 });
  });

  test("GROUP never names an article that cannot be read yet, while others post", async () => {
    const news = await startSmall({ postsPerMinute: { perAddress: Infinity } }); // 40 posts at once: past the default limit
    const poster = await RawNntp.open(news.port);
    const reader = await RawNntp.open(news.port);
    let posting = true;
    const posts = (async () => {
      for (let i = 0; i < 40; i++) {
        expect(await post(poster, `From: p@example.com\r\nNewsgroups: test.two\r\nSubject: post ${i}\r\n\r\nbody ${i}\r\n`)).toMatch(/^240 /);
      }
      posting = false;
    })();
    // A reader asks for the latest article over and over while the posts are being stored
    // (each one is written, flushed and linked in several steps): "last" must always be there.
    let reads = 0;
    while (posting) {
      const last = (await reader.command("GROUP test.two")).split(" ")[3];
      expect(await reader.command(`STAT ${last}`)).toMatch(new RegExp(`^223 ${last} `));
      reads++;
    }
    await posts;
    expect(reads).toBeGreaterThan(0);
  });

  test("crossposting: one article, a number in each group, one file linked into both, listed once by NEWNEWS", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    const status = await post(client, article("both", "test.one,test.two"));
    const id = status.split(" ").at(-1)!;
    expect(await client.command("GROUP test.one")).toBe("211 4 10 13 test.one");
    expect(await client.command("GROUP test.two")).toBe("211 2 1 2 test.two");
    expect(await client.command("HEAD 2")).toBe(`221 2 ${id} headers follow`);
    expect(await client.block()).toContain("Xref: playground test.one:13 test.two:2");
    const one = await readFile(join(news.newsDir, "groups", "test.one", "13"));
    const two = await readFile(join(news.newsDir, "groups", "test.two", "2"));
    expect(one).toEqual(two);
    const { stat } = await import("node:fs/promises");
    expect((await stat(join(news.newsDir, "groups", "test.one", "13"))).nlink).toBe(2); // one file, two names
    const newnews = await client.list("NEWNEWS test.* 20260101 000000 GMT", "230");
    expect(newnews.filter((line) => line === id)).toHaveLength(1);
  });

  test("UTF-8 articles round-trip byte-exact", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    const content = "From: 张三 <zhang@example.com>\r\nNewsgroups: test.two\r\nSubject: 你好，世界\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n粘包怎么办？\r\nÀ bientôt 👋\r\n";
    const id = (await post(client, content)).split(" ").at(-1)!;
    expect(await client.command(`BODY ${id}`)).toMatch(/^222 /);
    expect(await client.blockBytes()).toEqual(Buffer.from("粘包怎么办？\r\nÀ bientôt 👋\r\n"));
    expect(await client.command("GROUP test.two")).toMatch(/^211 /);
    expect(await client.list("XHDR Subject 2", "221")).toEqual(["2 你好，世界"]);
    // Bytes that are not UTF-8 (a Latin-1 "é" from an old newsreader) are stored and sent unchanged.
    expect(await client.command("POST")).toMatch(/^340 /);
    client.socket.write(Buffer.from("From: old@example.com\r\nNewsgroups: test.two\r\nSubject: caf\xe9\r\n\r\nna\xefve\r\n.\r\n", "latin1"));
    const oldId = (await client.line()).split(" ").at(-1)!;
    expect(await client.command(`ARTICLE ${oldId}`)).toMatch(/^220 /);
    const latin1 = await client.blockBytes();
    expect(latin1.includes(Buffer.from("Subject: caf\xe9\r\n", "latin1"))).toBe(true);
    expect(latin1.subarray(-7)).toEqual(Buffer.from("na\xefve\r\n", "latin1"));
  });

  test("nothing is left in tmp/ and every file is either an article or the active file", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    for (let i = 0; i < 5; i++) expect(await post(client, article(`p${i}`, "test.one,test.two"))).toMatch(/^240 /);
    const files = await filesUnder(news.newsDir);
    expect(files.filter((file) => !/^groups\/[^/]+\/\d+$/.test(file))).toEqual(["active.json"]);
  });
});

describe("NNTP: AUTHINFO (RFC 4643) and the transcript", () => {
  test("381/281, 481, 482, 502; AUTHINFO no longer advertised after login; 3 failures close", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.command("AUTHINFO PASS secret")).toMatch(/^482 /);
    expect(await client.command("AUTHINFO USER me")).toMatch(/^381 /);
    expect(await client.command("AUTHINFO PASS wrong")).toMatch(/^481 /);
    expect(await client.command("AUTHINFO SASL PLAIN")).toMatch(/^503 /);
    expect(await client.command("authinfo user me")).toMatch(/^381 /);
    expect(await client.command("authinfo pass secret")).toBe("281 authentication accepted");
    expect(await client.list("CAPABILITIES", "101")).not.toContain("AUTHINFO USER");
    expect(await client.command("AUTHINFO USER me")).toMatch(/^502 /);
    const other = await RawNntp.open(news.port);
    for (let i = 0; i < 2; i++) {
      expect(await other.command("AUTHINFO USER nobody")).toMatch(/^381 /);
      expect(await other.command("AUTHINFO PASS x")).toMatch(/^481 authentication failed: /);
    }
    expect(await other.command("AUTHINFO USER nobody")).toMatch(/^381 /);
    expect(await other.command("AUTHINFO PASS x")).toMatch(/^481 .*closing/);
    expect(await other.nextOrClose()).toBeNull();
  });

  test("beyond loopback (a classroom), POST needs a login: 480 before AUTHINFO, 240 after", async () => {
    const news = await startTestNews({ requireLoginToPost: true });
    const client = await RawNntp.open(news.port);
    expect(await client.command("MODE READER")).toBe("200 reader mode, posting allowed after AUTHINFO");
    expect(await client.command("POST")).toMatch(/^480 log in first/);
    expect(await client.command("AUTHINFO USER me")).toMatch(/^381 /);
    expect(await client.command("AUTHINFO PASS secret")).toMatch(/^281 /);
    expect(await post(client, "From: me@example.com\r\nNewsgroups: playground.test\r\nSubject: class\r\n\r\nhello\r\n")).toMatch(/^240 /);
  });

  test("trace: nntp#N C:/S: lines, AUTHINFO PASS masked", async () => {
    const news = await startSmall();
    const client = await RawNntp.open(news.port);
    expect(await client.command("AUTHINFO USER me")).toMatch(/^381 /);
    expect(await client.command("AUTHINFO PASS secret")).toMatch(/^281 /);
    expect(await client.command("GROUP test.one")).toMatch(/^211 /);
    expect(await client.command("QUIT")).toMatch(/^205 /);
    await client.nextOrClose();
    const trace = news.trace.join("\n");
    expect(trace).toMatch(/^nntp#\d+ S: 200 Socket Playground NNTP server ready \(posting ok\)\\r\\n$/m);
    expect(trace).toMatch(/^nntp#\d+ C: AUTHINFO USER me\\r\\n$/m);
    expect(trace).toMatch(/^nntp#\d+ C: AUTHINFO PASS \*\*\*\*\\r\\n$/m);
    expect(trace).toMatch(/^nntp#\d+ S: 211 3 10 12 test.one\\r\\n$/m);
    expect(trace).not.toContain("secret");
  });

  test("an idle client is told 400 and disconnected", async () => {
    const news = await startTestNews({ idleTimeoutMs: 300 });
    const client = await RawNntp.open(news.port);
    expect(await client.line()).toMatch(/^400 idle for 0 seconds/);
    expect(await client.nextOrClose()).toBeNull();
  });
});

/** Reads raw bytes up to and including the ".\r\n" that ends a block (to see the stuffing itself). */
async function rawUntilTerminator(client: RawNntp): Promise<string> {
  let text = "";
  // The LineReader hands out lines without endings; rebuild the wire form line by line.
  for (;;) {
    const line = await client.line();
    text += line + "\r\n";
    if (line === ".") return text;
  }
}
