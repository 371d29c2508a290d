// Python's nntplib (the client Core Python Programming ch. 17 uses) against the playground's
// news server, unchanged apart from host and port. Skipped with a message without python3.

import { describe, expect, test } from "vitest";
import { hasPython } from "../kit/processes.ts";
import { crlf, readRealSeed, runNntplib, startTestNews } from "./nntp-kit.ts";

const seed = await readRealSeed();
const firstInPython = seed.articles.find(({ content }) => /^Newsgroups: comp\.lang\.python$/m.test(content.toString()))!;
const firstId = /^Message-ID: (.*)$/m.exec(firstInPython.content.toString())![1];
const [seedHead, seedBody] = (() => {
  const text = firstInPython.content.toString("utf8");
  const blank = text.indexOf("\n\n");
  return [text.slice(0, blank), text.slice(blank + 2)];
})();

describe.skipIf(!hasPython)("NNTP with Python's nntplib", () => {
  test("the reader's tour: capabilities, group, xhdr, over, body/head/article by number and id, stat/next/last, quit", async () => {
    const news = await startTestNews();
    const found = await runNntplib(
      news.port,
      String.raw`
s = nntplib.NNTP("127.0.0.1", port)
caps = s.getcapabilities()
resp, count, first, last, name = s.group("comp.lang.python")
subjects = s.xhdr("subject", "%d-%d" % (first, last))[1]
overviews = s.over((first, last))[1]
open_ended = s.over((first, None))[1]
body_n = s.body(first)[1]
head_id = s.head(body_n.message_id)[1]
article_n = s.article(first)[1]
article_id = s.article(sys.argv[2])[1]
stat = s.stat()
nxt = s.next()
lst = s.last()
quit = s.quit()
b = lambda lines: b"\n".join(lines).decode("utf-8", "surrogateescape")
print(json.dumps({
  "welcome": s.getwelcome(), "caps": caps, "group": [resp, count, first, last, name],
  "subjects": subjects, "overviews": overviews, "open_ended": len(open_ended),
  "body": [body_n.number, body_n.message_id, b(body_n.lines)],
  "head": [head_id.number, b(head_id.lines)],
  "article_n": b(article_n.lines), "article_id": [article_id.number, b(article_id.lines)],
  "stat": stat, "next": nxt, "last": lst, "quit": quit,
}))
`,
      [firstId],
    );
    const pythonGroup = seed.groups.find((group) => group.name === "comp.lang.python")!;
    const inGroup = seed.articles.filter(({ content }) => /^Newsgroups: (.*,)?comp\.lang\.python(,.*)?$/m.test(content.toString()));
    const first = pythonGroup.firstNumber;
    const last = first + inGroup.length - 1;
    expect(found.welcome).toBe("200 Socket Playground NNTP server ready (posting ok)");
    expect(found.caps.VERSION).toEqual(["2"]);
    expect(found.caps).toHaveProperty("READER");
    expect(found.group).toEqual([`211 ${inGroup.length} ${first} ${last} comp.lang.python`, inGroup.length, first, last, "comp.lang.python"]);
    expect(found.subjects).toHaveLength(inGroup.length);
    expect(found.subjects[0]).toEqual([String(first), /^Subject: (.*)$/m.exec(firstInPython.content.toString())![1]]);
    expect(found.overviews).toHaveLength(inGroup.length);
    expect(found.open_ended).toBe(inGroup.length);
    const [number, overview] = found.overviews[0];
    expect(number).toBe(first);
    expect(overview["message-id"]).toBe(firstId);
    expect(Object.keys(overview)).toEqual(["subject", "from", "date", "message-id", "references", ":bytes", ":lines"]);
    // The seed body, byte for byte (nntplib strips the line endings; the last line ends the body).
    expect(found.body).toEqual([first, firstId, seedBody.replace(/\n$/, "")]);
    const xref = `Xref: playground comp.lang.python:${first}`;
    const expectedHead = `Path: playground!not-for-mail\n${seedHead}\nLines: ${overview[":lines"]}\n${xref}`;
    expect(found.head).toEqual([0, expectedHead]);
    expect(found.article_n).toBe(`${expectedHead}\n\n${seedBody.replace(/\n$/, "")}`);
    expect(found.article_id).toEqual([0, found.article_n]);
    expect(Number(overview[":bytes"])).toBe(crlf(found.article_n + "\n").length);
    expect(found.stat[1]).toBe(first); // ARTICLE by number made it current; by id did not
    expect(found.next[1]).toBe(first + 1);
    expect(found.last[1]).toBe(first);
    expect(found.quit).toMatch(/^205 /);
  });

  test("list, descriptions, newnews, newgroups, date; login with user=/password=; post and read it back", async () => {
    const news = await startTestNews();
    const found = await runNntplib(
      news.port,
      String.raw`
import datetime
s = nntplib.NNTP("127.0.0.1", port, user="me", password="secret")
groups = s.list()[1]
descriptions = s.descriptions("comp.*")
newnews = s.newnews("comp.lang.python", datetime.datetime(2026, 1, 1))[1]
future = s.newnews("*", datetime.datetime(2099, 1, 1))[1]
newgroups = s.newgroups(datetime.date(2025, 1, 1))[1]
date = s.date()[1]
article = "From: Learner <me@example.com>\nNewsgroups: playground.test\nSubject: 测试 from nntplib\n\n.a line with a dot\nhello 世界\n".encode("utf-8")
posted = s.post(article)
resp, count, first, last, name = s.group("playground.test")
back = s.article(last)[1]
mine = s.body(back.message_id)[1]
try:
  s.group("no.such.group")
  error = None
except nntplib.NNTPTemporaryError as e:
  error = str(e)
s.quit()
print(json.dumps({
  "groups": [list(g) for g in groups], "descriptions": descriptions, "newnews": newnews, "future": future,
  "newgroups": [g.group for g in newgroups], "date": date.isoformat(), "posted": posted, "last": last,
  "back_number": back.number, "back_subject": [l.decode() for l in back.lines if l.startswith(b"Subject:")],
  "body": b"\n".join(mine.lines).decode(), "error": error,
}))
`,
    );
    expect(found.groups.map((group: string[]) => group[0])).toEqual(seed.groups.map((group) => group.name));
    const pythonGroup = found.groups.find((group: string[]) => group[0] === "comp.lang.python");
    expect(pythonGroup[2]).toBe(String(seed.groups.find((group) => group.name === "comp.lang.python")!.firstNumber));
    expect(pythonGroup[3]).toBe("y");
    expect(found.descriptions[0]).toBe("215 descriptions follow");
    expect(Object.keys(found.descriptions[1])).toEqual(seed.groups.filter((group) => group.name.startsWith("comp.")).map((group) => group.name));
    expect(found.newnews).toContain(firstId);
    expect(found.future).toEqual([]);
    expect(found.newgroups).toEqual(seed.groups.map((group) => group.name));
    expect(Math.abs(Date.parse(found.date + "Z") - Date.now())).toBeLessThan(60_000);
    expect(found.posted).toMatch(/^240 /);
    expect(found.back_subject).toEqual(["Subject: 测试 from nntplib"]);
    expect(found.body).toBe(".a line with a dot\nhello 世界");
    expect(found.error).toMatch(/^411 /);
  });
});
