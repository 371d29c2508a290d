// Hostile input must not hurt the SMTP servers: they answer with proper codes, stay up, and
// lose (or half-write) no mail.

import tls from "node:tls";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { HOST } from "../../servers/mail/maildir.ts";
import { startMailSystem } from "../../servers/mail/index.ts";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ANY_PORTS, RawSmtp, expectCode, findMessages, maildirFiles, startTestMail, testMessage } from "./mail-kit.ts";

let mail: Awaited<ReturnType<typeof startTestMail>>;
beforeAll(async () => {
  mail = await startTestMail({ seed: false });
});
afterAll(async () => {
  await mail?.stop();
});

/** The server still works: a full login + send on a new connection. */
async function stillWorks(port = mail.ports.submission): Promise<void> {
  const marker = `alive-${Date.now()}-${Math.random()}`;
  const client = await RawSmtp.connect(port);
  await client.login();
  await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
  await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
  await expectCode(client.command("DATA"), 354);
  await expectCode(client.command(`${testMessage(marker, "me@example.com", "me@example.com")}.`), 250);
  await expectCode(client.command("QUIT"), 221);
  expect(await findMessages(mail.mailRoot, "me@example.com", marker)).toHaveLength(1);
}

test("garbage bytes: 500 per line, then the server hangs up after too many; it stays up", async () => {
  const client = await RawSmtp.connect(mail.ports.mx);
  await expectCode(client.reply(), 220);
  expect(await client.command("\x00\xff\x1b[2J garbage \x7f")).toMatch(/^500 /);
  let last = "";
  for (let i = 0; i < 12 && !client.closed; i++) last = await client.command(`NONSENSE ${i}`);
  expect(last === "" || last.startsWith("421")).toBe(true);
  client.close();
  await stillWorks();
});

test("an HTTP request sent to the SMTP port is refused (a browser can't be used to send spam)", async () => {
  const client = await RawSmtp.connect(mail.ports.submission);
  await expectCode(client.reply(), 220);
  expect(await client.command("GET / HTTP/1.1")).toMatch(/^421 .*HTTP requests not allowed/);
  client.close();
});

test("a 200 KB command line: refused (421 line too long), connection closed, server up", async () => {
  const client = await RawSmtp.connect(mail.ports.submission);
  await expectCode(client.reply(), 220);
  const reply = await client.command(`EHLO ${"a".repeat(200 * 1024)}`);
  expect(reply).toMatch(/^421 .*too long/i);
  client.close();
  await stillWorks();
});

test("a 200 KB line inside DATA is stored intact (within the size limit, it is still just a message)", async () => {
  const marker = `longline-${Date.now()}`;
  const client = await RawSmtp.connect(mail.ports.submission);
  await client.login();
  await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
  await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
  await expectCode(client.command("DATA"), 354);
  const line = "y".repeat(200 * 1024);
  await expectCode(client.command(`${testMessage(marker, "me@example.com", "me@example.com", `${line}\r\n`)}.`), 250);
  client.close();
  const [stored] = await findMessages(mail.mailRoot, "me@example.com", marker);
  expect(stored).toContain(`\n${line}\n`);
});

test("commands in the wrong order get 503 and change nothing", async () => {
  const client = await RawSmtp.connect(mail.ports.submission);
  await client.login();
  expect(await client.command("DATA")).toMatch(/^503 /); // DATA before MAIL / RCPT
  expect(await client.command("RCPT TO:<me@example.com>")).toMatch(/^503 /); // RCPT before MAIL
  await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
  expect(await client.command("MAIL FROM:<me@example.com>")).toMatch(/^503 /); // nested MAIL
  expect(await client.command("DATA")).toMatch(/^503 /); // no recipient yet
  await expectCode(client.command("RSET"), 250);
  expect(await client.command("DATA")).toMatch(/^503 /); // RSET forgot the sender
  client.close();
});

test("a client vanishing mid-DATA leaves nothing behind: no message, no tmp file", async () => {
  const before = await maildirFiles(mail.mailRoot, "me@example.com");
  const client = await RawSmtp.connect(mail.ports.submission);
  await client.login();
  await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
  await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
  await expectCode(client.command("DATA"), 354);
  client.write(testMessage("vanished", "me@example.com", "me@example.com", "half a message\r\n".repeat(5000)));
  await new Promise((resolve) => client.socket.write("", resolve)); // all of it handed to TCP
  client.socket.resetAndDestroy(); // like a crashed client: RST, no end-of-data "."
  await stillWorks(); // also waits long enough for the server to have seen the reset
  const after = await maildirFiles(mail.mailRoot, "me@example.com");
  expect(after.length).toBe(before.length + 1); // only stillWorks()'s message
  expect(await findMessages(mail.mailRoot, "me@example.com", "vanished")).toEqual([]);
  expect(await maildirFiles(mail.mailRoot, "me@example.com", "tmp")).toEqual([]);
});

test("dot-stuffing: lines starting with '.' arrive with one dot less, a lone '.' line ends the message", async () => {
  const marker = `dots-${Date.now()}`;
  const client = await RawSmtp.connect(mail.ports.submission);
  await client.login();
  await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
  await expectCode(client.command("RCPT TO:<me@example.com>"), 250);
  await expectCode(client.command("DATA"), 354);
  const body = "..hidden\r\n...\r\n..\r\nend\r\n"; // as the client stuffs ".hidden", "..", "."
  await expectCode(client.command(`${testMessage(marker, "me@example.com", "me@example.com", body)}.`), 250);
  client.close();
  const [stored] = await findMessages(mail.mailRoot, "me@example.com", marker);
  expect(stored.endsWith("\n\n.hidden\n..\n.\nend\n")).toBe(true);
});

test("100 connections at once: every one is greeted and can send", async () => {
  const clients = await Promise.all(Array.from({ length: 100 }, () => RawSmtp.connect(mail.ports.submission)));
  const marker = `crowd-${Date.now()}`;
  await Promise.all(
    clients.map(async (client, i) => {
      await client.login();
      await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
      await expectCode(client.command("RCPT TO:<friend@example.org>"), 250); // relayed: the MX gets busy too
      await expectCode(client.command("DATA"), 354);
      await expectCode(client.command(`${testMessage(`${marker}-${i}`)}.`), 250);
      await expectCode(client.command("QUIT"), 221);
    }),
  );
  const stored = await findMessages(mail.mailRoot, "friend@example.org", marker);
  expect(stored).toHaveLength(100);
  expect(await maildirFiles(mail.mailRoot, "friend@example.org", "tmp")).toEqual([]);
}, 60_000);

test("plain text (or garbage) to the SMTPS port: the TLS handshake fails, that connection closes, SMTPS stays up", async () => {
  const client = await RawSmtp.connect(mail.ports.smtps);
  client.write("EHLO i-forgot-tls\r\n");
  expect(await client.reply()).toBe(""); // no SMTP reply: the server only speaks TLS here
  const socket = tls.connect({ port: mail.ports.smtps, host: "127.0.0.1", ca: await readFile(mail.caFile) });
  socket.setEncoding("utf8");
  const [greeting] = await once(socket, "data");
  expect(greeting).toMatch(/^220 smtp\.example\.com ESMTP/);
  socket.destroy();
});

test("two whole transactions and QUIT in one write (not waiting for 354): every reply comes at once, both are stored", async () => {
  // Issue 13, break 7: the QUIT after the second message was lost inside smtp-server and the
  // client heard nothing until "421 Timeout" a minute later (see servers/mail/smtp-server-quirks.ts).
  const marker = `pipelined-${Date.now()}`;
  const transaction = (n: number) => `MAIL FROM:<me@example.com>\r\nRCPT TO:<friend@example.org>\r\nDATA\r\n${testMessage(`${marker}-${n}`)}.\r\n`;
  const client = await RawSmtp.connect(mail.ports.mx);
  await expectCode(client.reply(), 220);
  client.write(`EHLO learner\r\n${transaction(1)}${transaction(2)}QUIT\r\n`);
  const codes: string[] = [];
  for (let reply = await client.reply(); reply !== ""; reply = await client.reply()) codes.push(reply.slice(0, 3));
  expect(codes).toEqual(["250", "250", "250", "354", "250", "250", "250", "354", "250", "221"]);
  expect(await findMessages(mail.mailRoot, "friend@example.org", marker)).toHaveLength(2);
});

test("connections are capped per client address and in total: the one over the cap gets 421 at once, the others carry on", async () => {
  const capped = await startTestMail({ seed: false, smtpConnectionCaps: { perAddress: 2, total: 3 } });
  try {
    const port = capped.ports.submission;
    const first = await RawSmtp.connect(port);
    const second = await RawSmtp.connect(port);
    await expectCode(first.reply(), 220);
    await expectCode(second.reply(), 220);
    const third = await RawSmtp.connect(port);
    expect(await third.reply()).toMatch(/^421 4\.7\.0 smtp\.example\.com too many connections from 127\.0\.0\.1 \(at most 2 at once\): close one and try again\r\n$/);
    expect(await third.reply()).toBe(""); // and the server closed the connection
    // Another address may come in, up to the total; past it, 421 again.
    const other = await RawSmtp.connect(port, "127.0.0.2");
    await expectCode(other.reply(), 220);
    const oneTooMany = await RawSmtp.connect(port, "127.0.0.3");
    expect(await oneTooMany.reply()).toMatch(/^421 4\.7\.0 .*too many connections \(at most 3 at once\)/);
    // The admitted ones are served as usual.
    await expectCode(first.command("EHLO first"), 250);
    await expectCode(other.command("NOOP"), 250);
    for (const client of [first, second, other]) client.close();
  } finally {
    await capped.stop();
  }
});

test("a connection that used STARTTLS gives its place back when it closes, whether the handshake worked or not", async () => {
  // Issue 13, found by the class simulation: smtp-server's STARTTLS removed every listener of the
  // plain socket, the connection count's "close" too, so each STARTTLS session kept its place for
  // good; after 1,000 of them (five minutes of a class) every client was greeted with 421.
  const capped = await startTestMail({ seed: false, smtpConnectionCaps: { perAddress: 2, total: 2 } });
  try {
    const ca = await readFile(capped.caFile);
    const port = capped.ports.submission;
    for (let round = 0; round < 4; round++) {
      // One that upgrades and sends a message, one that asks for TLS and then hangs up mid-handshake.
      const client = await RawSmtp.connect(port);
      await expectCode(client.reply(), 220);
      await expectCode(client.command("EHLO learner"), 250);
      await expectCode(client.command("STARTTLS"), 220);
      const secure = tls.connect({ socket: client.socket, ca, servername: "localhost" });
      await once(secure, "secureConnect");
      secure.end("QUIT\r\n");
      secure.resume(); // read the 221, so that the close arrives
      await once(secure, "close");
      const quitter = await RawSmtp.connect(port);
      await expectCode(quitter.reply(), 220);
      await expectCode(quitter.command("STARTTLS"), 220);
      quitter.write("\x16\x03\x01"); // the first bytes of a ClientHello, then gone
      quitter.close();
      await new Promise((resolve) => setTimeout(resolve, 100)); // the server sees both close
    }
    // Eight connections came and went through a cap of two: the next two still get in.
    const [a, b] = [await RawSmtp.connect(port), await RawSmtp.connect(port)];
    await expectCode(a.reply(), 220);
    await expectCode(b.reply(), 220);
    a.close();
    b.close();
  } finally {
    await capped.stop();
  }
});

test("tmp/ leftovers of crashed deliveries are removed at start; a live writer's file and a fresh one stay", async () => {
  const first = await startTestMail({ seed: false });
  await first.close(); // the servers stop, the data dir stays
  const tmp = join(first.mailRoot, "friend@example.org", "tmp");
  // A crashed writer: its process is gone. A live one: another process on this host, still running.
  const gone = spawn("true");
  await once(gone, "exit");
  const alive = spawn("sleep", ["60"]);
  try {
    const crashed = `1700000000.M1P${gone.pid}Q1.${HOST},S=5,W=6`;
    const foreign = `1700000000.M2P1Q1.another-machine,S=5,W=6`; // whoever wrote it, it is old: a leftover
    const writing = `1700000000.M3P${alive.pid}Q1.${HOST},S=5,W=6`;
    const fresh = `1700000000.M4P${gone.pid}Q2.${HOST},S=5,W=6`;
    for (const name of [crashed, foreign, writing, fresh]) await writeFile(join(tmp, name), "half\n");
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of [crashed, foreign, writing]) await utimes(join(tmp, name), anHourAgo, anHourAgo);

    const second = await startMailSystem({ dataDir: first.dataDir, ports: ANY_PORTS, seed: false });
    await second.close();
    // `fresh` was modified after this process started: it may be a delivery of ours in progress.
    expect((await readdir(tmp)).sort()).toEqual([writing, fresh].sort());
  } finally {
    alive.kill();
    await rm(first.dataDir, { recursive: true, force: true });
  }
});

test("messages held in memory are capped for all connections together: past the cap 452 (try again), and the room comes back", async () => {
  // 1,000 clients each sending a 10 MB message would otherwise hold 10 GB in the server.
  const small = await startTestMail({ seed: false, smtpMaxBytesInMemory: 100_000 });
  try {
    const send = async (marker: string, bodyBytes: number) => {
      const client = await RawSmtp.connect(small.ports.mx);
      await expectCode(client.reply(), 220);
      await expectCode(client.command("EHLO memory"), 250);
      await expectCode(client.command("MAIL FROM:<me@example.com>"), 250);
      await expectCode(client.command("RCPT TO:<friend@example.org>"), 250);
      await expectCode(client.command("DATA"), 354);
      const reply = await client.command(`${testMessage(marker, "me@example.com", "friend@example.org", "x".repeat(bodyBytes) + "\r\n")}.`);
      client.close();
      return reply;
    };
    const marker = `memory-${Date.now()}`;
    expect(await send(`${marker}-big`, 200_000)).toMatch(/^452 4\.3\.1 Too much mail arriving at once/);
    expect(await findMessages(small.mailRoot, "friend@example.org", `${marker}-big`)).toEqual([]);
    // The refused message let go of its bytes, and so does each delivered one: these fit, one after the other.
    for (const n of [1, 2, 3]) expect(await send(`${marker}-${n}`, 60_000)).toMatch(/^250 /);
    expect(await findMessages(small.mailRoot, "friend@example.org", marker)).toHaveLength(3);
  } finally {
    await small.stop();
  }
});
