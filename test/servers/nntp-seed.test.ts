// The seed (servers/news/seed/): every article reachable by number and by Message-ID, byte
// for byte; broken seed files give an error that names the file; seeding is race-safe.

import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startNewsServer } from "../../servers/news/index.ts";
import { crlf, makeSeed, RawNntp, readRealSeed, startTestNews } from "./nntp-kit.ts";

const GROUPS = [{ name: "test.one", description: "One.", firstNumber: 7 }];
const GOOD = "From: a@example.com\nNewsgroups: test.one\nSubject: good\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <good@example.com>\n\nbody\n";

async function startFails(articles: Record<string, string>): Promise<string> {
  const seedDir = await makeSeed(GROUPS, articles);
  const dataDir = await mkdtemp(join(tmpdir(), "nntp-badseed-"));
  try {
    const started = await startNewsServer({ dataDir, port: 0, seedDir }).catch((err: Error) => err);
    if (!(started instanceof Error)) {
      await started.close();
      throw new Error("the server started with a broken seed");
    }
    expect(await readdir(dataDir)).toEqual([]); // no half-seeded news/ left: the next start tries again
    return started.message;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe("NNTP: the seed", () => {
  test("every seed article, by number in each of its groups and by Message-ID, byte-exact", async () => {
    const { groups, articles } = await readRealSeed();
    expect(articles.length).toBeGreaterThan(0);
    const news = await startTestNews();
    const client = await RawNntp.open(news.port);
    const next = new Map(groups.map((group) => [group.name, group.firstNumber]));
    for (const { name, content } of articles) {
      const text = content.toString("utf8");
      const blank = text.indexOf("\n\n");
      const [head, body] = [text.slice(0, blank), text.slice(blank + 2)];
      const id = /^Message-ID: *(.*)$/im.exec(head)![1].trim();
      const inGroups = /^Newsgroups: *(.*)$/im.exec(head)![1].split(",").map((group) => group.trim());
      const numbers = inGroups.map((group) => next.get(group)!);
      inGroups.forEach((group) => next.set(group, next.get(group)! + 1));
      const lines = (body.match(/\n/g) ?? []).length;
      const xref = inGroups.map((group, index) => `${group}:${numbers[index]}`).join(" ");
      const expected = crlf(`Path: playground!not-for-mail\n${head}\nLines: ${lines}\nXref: playground ${xref}\n\n${body}`);
      for (const [index, group] of inGroups.entries()) {
        expect(await client.command(`GROUP ${group}`), name).toMatch(/^211 /);
        expect(await client.command(`ARTICLE ${numbers[index]}`), name).toBe(`220 ${numbers[index]} ${id} article follows`);
        expect(await client.blockBytes(), name).toEqual(expected);
      }
      expect(await client.command(`ARTICLE ${id}`), name).toBe(`220 0 ${id} article follows`);
      expect(await client.blockBytes(), name).toEqual(expected);
    }
    // The active file agrees: every group's high water mark is its last seeded number.
    for (const group of groups) {
      const status = await client.command(`GROUP ${group.name}`);
      const count = next.get(group.name)! - group.firstNumber;
      expect(status).toBe(count === 0 ? `211 0 ${group.firstNumber} ${group.firstNumber - 1} ${group.name}` : `211 ${count} ${group.firstNumber} ${next.get(group.name)! - 1} ${group.name}`);
    }
  });

  test("a broken seed article stops the start with an error naming the file", async () => {
    expect(await startFails({ "001-good.txt": GOOD, "002-bad.txt": GOOD.replace(/^Message-ID:.*\n/m, "") })).toMatch(/002-bad\.txt: no Message-ID: header/);
    expect(await startFails({ "001-bad.txt": GOOD.replace(/^From:.*\n/m, "") })).toMatch(/001-bad\.txt: no From: header/);
    expect(await startFails({ "001-bad.txt": "Path: x!y\n" + GOOD })).toMatch(/001-bad\.txt: remove its Path: header/);
    expect(await startFails({ "001-bad.txt": GOOD.replace("Date: Mon, 05 Jan 2026 10:00:00 +0000", "Date: yesterday") })).toMatch(/001-bad\.txt: "Date: yesterday" is not an RFC 5322 date/);
    expect(await startFails({ "001-bad.txt": GOOD.replace("Newsgroups: test.one", "Newsgroups: test.nope") })).toMatch(/001-bad\.txt: no such newsgroup: test.nope/);
    expect(await startFails({ "001-good.txt": GOOD, "002-twice.txt": GOOD })).toMatch(/002-twice\.txt: duplicate/);
  });

  test("seed: false gives the groups without articles; an existing spool is never re-seeded", async () => {
    const seedDir = await makeSeed(GROUPS, { "001-good.txt": GOOD });
    const news = await startTestNews({ seedDir, seed: false });
    let client = await RawNntp.open(news.port);
    expect(await client.command("GROUP test.one")).toBe("211 0 7 6 test.one");
    expect(await client.command("POST")).toMatch(/^340 /);
    client.socket.write("From: a@b\r\nNewsgroups: test.one\r\nSubject: mine\r\n\r\nx\r\n.\r\n");
    expect(await client.line()).toMatch(/^240 /);
    await news.restart();
    client = await RawNntp.open(news.port);
    expect(await client.command("GROUP test.one")).toBe("211 1 7 7 test.one");
    expect(await client.command("STAT <good@example.com>")).toMatch(/^430 /);
  });

  test("two servers starting at once on one fresh data dir: one seeds, both serve the same spool", async () => {
    const seedDir = await makeSeed(GROUPS, { "001-good.txt": GOOD });
    const dataDir = await mkdtemp(join(tmpdir(), "nntp-race-"));
    try {
      const servers = await Promise.all([1, 2, 3].map(() => startNewsServer({ dataDir, port: 0, seedDir })));
      for (const server of servers) {
        const client = await RawNntp.open(server.port);
        expect(await client.command("GROUP test.one")).toBe("211 1 7 7 test.one");
      }
      await Promise.all(servers.map((server) => server.close()));
      expect((await readdir(dataDir)).sort()).toEqual(["news"]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
