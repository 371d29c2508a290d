// Hostile and unlucky clients: garbage, overlong lines, commands cut into tiny pieces,
// clients that vanish mid-transfer, a crowd logging in at once. After each, the server
// still answers the next client.

import net from "node:net";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { Client } from "basic-ftp";
import { expect, test } from "vitest";
import { BIG_FILE } from "../../servers/ftp/seed.ts";
import { RawFtp, startTestFtp } from "./ftp-kit.ts";

/** A new client can still log in and download: the server is up and well. */
async function stillServes(port: number): Promise<void> {
  const ftp = await RawFtp.login(port);
  expect((await ftp.retr("scripts/hello.py")).toString()).toContain("Hello from the playground");
  await ftp.close();
}

test("garbage bytes get error replies; the same connection and the server go on", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  // One line of garbage: no LF, and no CR (a CR ends a line too — see ControlLineReader).
  ftp.socket.write(Buffer.concat([randomBytes(3000).map((b) => (b === 10 || b === 13 ? 0 : b)), Buffer.from("\r\n")]));
  expect((await ftp.reply()).code).toBeGreaterThanOrEqual(500);
  ftp.socket.write("\x00\xff\xfe SELECT * FROM files;\r\nGET / HTTP/1.1\r\n\r\n");
  expect((await ftp.reply()).code).toBe(502);
  expect((await ftp.reply()).code).toBe(502);
  await ftp.expect("NOOP", 200);
  await ftp.expect("USER anonymous", 331);
  await ftp.expect("PASS a@b.c", 230);
  await stillServes(server.port);
});

test("a 200 KB line is refused once with 500, not buffered; the next command works", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  ftp.socket.write("USER " + "a".repeat(200 * 1024) + "\r\n");
  expect((await ftp.reply()).text).toMatch(/^500 Line too long/);
  await ftp.expect("NOOP", 200); // no second reply for the same long line
  await ftp.expect("USER me", 331);
  await ftp.expect("PASS secret", 230);
  await stillServes(server.port);
});

test("a complete 60,000-byte line in one piece is refused with 500 too; the connection goes on", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  expect((await ftp.command("USER " + "a".repeat(60_000))).text).toBe("500 Line too long (the limit is 8192 bytes): ignored");
  expect((await ftp.command("USER me\r\nCWD " + "b".repeat(9000))).code).toBe(331);
  expect((await ftp.reply()).code).toBe(500);
  await ftp.expect("PASS secret", 230);
  await ftp.expect("NOOP", 200);
  await stillServes(server.port);
});

test("commands cut into 1-byte pieces are put back together (TCP is a byte stream)", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  ftp.socket.setNoDelay(true);
  const replies = (async () => [await ftp.reply(), await ftp.reply(), await ftp.reply()])();
  for (const byte of Buffer.from("USER me\r\nPASS secret\r\nPWD\r\n")) {
    ftp.socket.write(Buffer.from([byte]));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  expect((await replies).map((r) => r.text)).toEqual(["331 Username okay, awaiting password", "230 User logged in, proceed", '257 "/"']);
});

test("several commands in one packet are answered in order", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  ftp.socket.write("USER anonymous\r\nPASS x@y\r\nCWD docs\r\nPWD\r\nNOOP\n");
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push((await ftp.reply()).code);
  expect(codes).toEqual([331, 230, 250, 257, 200]);
});

test("a client that vanishes mid-download does not hurt the server", async () => {
  const server = await startTestFtp({ bigFileBytes: 20 * 1024 * 1024 });
  for (const how of ["reset", "close"] as const) {
    const ftp = await RawFtp.login(server.port);
    await ftp.expect("TYPE I", 200);
    const data = await ftp.passive();
    data.pause(); // read nothing: the server's writes back up
    await ftp.expect(`RETR /${BIG_FILE}`, 150);
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (how === "reset") {
      data.resetAndDestroy();
      ftp.socket.resetAndDestroy();
    } else {
      data.destroy();
      ftp.socket.destroy();
    }
  }
  await stillServes(server.port);
});

test("a client that vanishes between PASV and the transfer, or mid-listing, does not hurt the server", async () => {
  const server = await startTestFtp();
  const a = await RawFtp.login(server.port);
  await a.expect("PASV", 227); // a data port is waiting for a connection that never comes
  a.socket.destroy();
  const b = await RawFtp.login(server.port);
  const data = await b.passive();
  b.socket.write("LIST /projects\r\n");
  data.destroy();
  b.socket.destroy();
  await stillServes(server.port);
});

test("100 clients log in at once; all get in and the server goes on", async () => {
  const server = await startTestFtp();
  const login = async (i: number) => {
    const socket = net.connect(server.port, "127.0.0.1");
    socket.on("error", () => {});
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (text += chunk));
    await once(socket, "connect");
    socket.write(i % 2 ? "USER me\r\nPASS secret\r\nPWD\r\nQUIT\r\n" : "USER anonymous\r\nPASS crowd@example.com\r\nPWD\r\nQUIT\r\n");
    await once(socket, "close");
    return text;
  };
  const transcripts = await Promise.all(Array.from({ length: 100 }, (_, i) => login(i)));
  for (const text of transcripts) expect(text).toMatch(/^220 .*\r\n331 .*\r\n230 .*\r\n257 "\/"\r\n221 /);
  await stillServes(server.port);
});

test("many basic-ftp clients download at the same time, each getting the right bytes", async () => {
  const server = await startTestFtp();
  const files = ["README.txt", "docs/doc-intro.pdf", "releases/tool-1.10.0.tar.gz", `/${BIG_FILE}`, "scripts/hello.py"];
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { Writable } = await import("node:stream");
  const download = async (path: string) => {
    const client = new Client(15_000);
    try {
      await client.access({ host: "127.0.0.1", port: server.port, user: "anonymous", password: "x@y" });
      const chunks: Buffer[] = [];
      await client.downloadTo(new Writable({ write: (chunk, _e, done) => (chunks.push(chunk), done()) }), path);
      return Buffer.concat(chunks);
    } finally {
      client.close();
    }
  };
  const jobs = Array.from({ length: 20 }, (_, i) => files[i % files.length]);
  const results = await Promise.all(jobs.map(download));
  results.forEach((bytes, i) => expect(bytes.equals(readFileSync(join(server.pub, jobs[i])))).toBe(true));
});

test("malformed PORT and EPRT arguments get 501, always with a reply code", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port);
  for (const command of [
    "PORT",
    "PORT 1,2,3",
    "PORT 127,0,0,1,999,1",
    "PORT a,b,c,d,e,f",
    "PORT 127,0,0,1,1,1,1",
    "EPRT",
    "EPRT |1|127.0.0.1|99999|",
    "EPRT |1|127.0.0.1|0|",
    "EPRT |3|127.0.0.1|2000|",
    "EPRT |1|not-an-address|2000|",
    "EPRT |2|127.0.0.1|2000|",
  ]) {
    const reply = await ftp.command(command);
    expect(reply.text, command).toMatch(/^50[14] /);
  }
  await ftp.expect("NOOP", 200);
});

test("PASV repeated many times does not use up data ports", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port);
  for (let i = 0; i < 50; i++) await ftp.expect(i % 2 ? "PASV" : "EPSV", i % 2 ? 227 : 229);
  expect((await ftp.retr("README.txt")).length).toBeGreaterThan(100);
});
