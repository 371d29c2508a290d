// Hostile input against the NNTP server: garbage, an HTTP request, a 200 KB line, bytes in
// 1-byte pieces, clients vanishing mid-POST and mid-ARTICLE, 100 connections at once. The
// server answers with error codes, stores nothing half-done, and serves the next client.

import { randomBytes } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { describe, expect, test } from "vitest";
import { startTcpProxy } from "../../servers/hostile-proxy.ts";
import { admitted } from "../kit/raw-line-client.ts";
import { filesUnder, makeSeed, RawNntp, startTestNews } from "./nntp-kit.ts";

const GROUPS = [{ name: "test.one", description: "One.", firstNumber: 1 }];

async function startEmpty() {
  return startTestNews({ seedDir: await makeSeed(GROUPS, {}) });
}

describe("NNTP: hostile input", () => {
  test("garbage and binary bytes get 500/501 replies; the session still works afterwards", async () => {
    const news = await startEmpty();
    const client = await RawNntp.open(news.port);
    const garbage = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x0d]), randomBytes(300).map((b) => (b === 0x0a ? 0x41 : b))]);
    client.socket.write(Buffer.concat([garbage, Buffer.from("\r\n\x00\x01\x02\r\n\xff\xfe\r\n")]));
    for (let i = 0; i < 3; i++) expect(await client.line()).toMatch(/^50[01] /);
    expect(await client.command("GROUP test.one")).toBe("211 0 1 0 test.one");
  });

  test("an HTTP request on the NNTP port gets 500s, not a crash", async () => {
    const news = await startEmpty();
    const client = await RawNntp.open(news.port);
    client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n");
    for (let i = 0; i < 5; i++) expect(await client.line()).toMatch(/^500 /);
    expect(await client.command("DATE")).toMatch(/^111 /);
  });

  test("a 200 KB line gets one 501; a client that never sends a newline and vanishes breaks nothing", async () => {
    const news = await startEmpty();
    const client = await RawNntp.open(news.port);
    for (let i = 0; i < 200; i++) client.socket.write(Buffer.alloc(1024, "A"));
    client.send("");
    expect(await client.line()).toMatch(/^501 line too long/);
    expect(await client.command("GROUP test.one")).toMatch(/^211 /);
    const rude = await RawNntp.open(news.port);
    for (let i = 0; i < 200; i++) rude.socket.write(Buffer.alloc(1024, "B"));
    rude.socket.destroy();
    expect(await client.command("DATE")).toMatch(/^111 /);
    await RawNntp.open(news.port);
  });

  test("everything still works with the bytes cut into 1-byte pieces (hostile proxy)", async () => {
    const news = await startEmpty();
    const proxy = await startTcpProxy({ targetPort: news.port, seed: 11, faults: { maxPiece: 1, maxDelayMs: 1, resetRate: 0 } });
    try {
      const client = await RawNntp.open(proxy.port);
      expect(await client.command("POST")).toMatch(/^340 /);
      client.socket.write("From: a@b\r\nNewsgroups: test.one\r\nSubject: split\r\n\r\n..dot\r\nline\r\n.\r\n");
      expect(await client.line()).toMatch(/^240 /);
      expect(await client.command("group test.one")).toBe("211 1 1 1 test.one");
      expect(await client.command("BODY 1")).toMatch(/^222 /);
      expect((await client.blockBytes()).toString()).toBe(".dot\r\nline\r\n");
      expect(await client.list("OVER 1-", "224")).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  test("a client vanishing mid-POST stores nothing and leaves no temporary file", async () => {
    const news = await startEmpty();
    const before = await filesUnder(news.newsDir);
    const client = await RawNntp.open(news.port);
    expect(await client.command("POST")).toMatch(/^340 /);
    client.socket.write("From: a@b\r\nNewsgroups: test.one\r\nSubject: never finished\r\n\r\nhalf an arti");
    client.socket.destroy();
    const next = await RawNntp.open(news.port);
    expect(await next.command("GROUP test.one")).toBe("211 0 1 0 test.one");
    // Give the server the moment it needs to see the close (no fixed sleep: poll the session ending).
    for (let i = 0; i < 100 && news.trace.filter((line) => line.endsWith("[session ended]")).length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await filesUnder(news.newsDir)).toEqual(before);
    expect(await next.command("POST")).toMatch(/^340 /);
    next.socket.write("From: a@b\r\nNewsgroups: test.one\r\nSubject: finished\r\n\r\nx\r\n.\r\n");
    expect(await next.line()).toMatch(/^240 /);
    expect(await next.command("GROUP test.one")).toBe("211 1 1 1 test.one"); // number 1: nothing was taken
  });

  test("a client vanishing mid-ARTICLE of a big article: the server goes on", async () => {
    const news = await startEmpty();
    const client = await RawNntp.open(news.port);
    expect(await client.command("POST")).toMatch(/^340 /);
    client.socket.write("From: a@b\r\nNewsgroups: test.one\r\nSubject: big\r\n\r\n" + ("y".repeat(900) + "\r\n").repeat(1000) + ".\r\n");
    expect(await client.line()).toMatch(/^240 /);
    const reader = net.connect(news.port, "127.0.0.1");
    await once(reader, "data"); // the greeting
    reader.write("GROUP test.one\r\nARTICLE 1\r\nARTICLE 1\r\nARTICLE 1\r\n");
    await once(reader, "data");
    reader.destroy();
    expect(await client.command("GROUP test.one")).toBe("211 1 1 1 test.one");
    expect(await client.command("STAT 1")).toMatch(/^223 1 /);
    const another = await RawNntp.open(news.port);
    expect(await another.command("GROUP test.one")).toBe("211 1 1 1 test.one");
  });

  test("100 connections at once: all greeted, all served", async () => {
    const news = await startEmpty();
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawNntp.open(news.port)));
    const replies = await Promise.all(clients.map((client) => client.command("GROUP test.one")));
    expect(replies.every((line) => line === "211 0 1 0 test.one")).toBe(true);
    const posts = await Promise.all(
      clients.slice(0, 20).map(async (client, index) => {
        expect(await client.command("POST")).toMatch(/^340 /);
        client.socket.write(`From: a@b\r\nNewsgroups: test.one\r\nSubject: parallel ${index}\r\n\r\nx\r\n.\r\n`);
        return client.line();
      }),
    );
    expect(posts.every((line) => line.startsWith("240 "))).toBe(true);
    await Promise.all(clients.map(async (client) => expect(await client.command("QUIT")).toMatch(/^205 /)));
    const check = await RawNntp.open(news.port);
    expect(await check.command("GROUP test.one")).toBe("211 20 1 20 test.one");
    expect(await check.list("LISTGROUP", "211")).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
  });

  test("connection caps: over the per-address or the total cap, 400 and the connection is closed", async () => {
    const news = await startTestNews({ seedDir: await makeSeed(GROUPS, {}), maxConnectionsPerAddress: 1, maxConnections: 2 });
    const TOO_MANY = "400 too many connections, try again later";
    const first = await RawNntp.open(news.port);
    const sameAddress = await RawNntp.connect(news.port, "127.0.0.1");
    expect(await sameAddress.line()).toBe(TOO_MANY);
    expect(await sameAddress.nextOrClose()).toBeNull();
    const other = await openFrom(news.port, "127.0.0.2");
    const third = await RawNntp.connect(news.port, "127.0.0.3");
    expect(await third.line()).toBe(TOO_MANY);
    expect(await third.nextOrClose()).toBeNull();
    expect(await first.command("GROUP test.one")).toBe("211 0 1 0 test.one");
    expect(await other.command("GROUP test.one")).toBe("211 0 1 0 test.one");
  });
});

/** An NNTP session from `from` that got in (see admitted). */
function openFrom(port: number, from: string): Promise<RawNntp> {
  return admitted(() => RawNntp.connect(port, from), /^200 /);
}
