// The POP3 server, checked on a raw socket against RFC 1939 / 2449 / 2595 / 3206: every detail
// the issue lists, with the exact bytes on the wire.

import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startMailSystem } from "../../servers/mail/index.ts";
import { RawClient, ME, PASSWORD, expectOk, sampleMessage, startTestPop3 } from "./pop3-kit.ts";

/** What RETR must send before stuffing: the message with every line ending as CRLF. */
const crlf = (message: string) => message.replace(/\r?\n/g, "\r\n");

describe("POP3: AUTHORIZATION state", () => {
  test("greets with +OK and an APOP timestamp <…@…>", async () => {
    const server = await startTestPop3();
    const client = await RawClient.connect(server.port);
    expect(await client.line()).toMatch(/^\+OK .*<[^<>@\s]+@[^<>\s]+>$/);
  });

  test("USER/PASS with the full address; wrong password → -ERR [AUTH]; no '@' → a hint", async () => {
    const server = await startTestPop3({ maxFailedLogins: 10 });
    const client = await RawClient.connect(server.port);
    await client.line();
    expect(await client.command("USER me")).toBe("-ERR [AUTH] log in with your full address, e.g. USER me@example.com");
    expect(await client.command("PASS secret")).toMatch(/^-ERR send USER/);
    expectOk(await client.command("USER nobody@example.com")); // same answer for unknown users
    expect(await client.command("PASS secret")).toBe("-ERR [AUTH] wrong address or password");
    expectOk(await client.command("USER ME@Example.COM"));
    expect(await client.command("PASS wrong")).toBe("-ERR [AUTH] wrong address or password");
    expectOk(await client.command(`USER ${ME}`));
    expect(await client.command(`PASS ${PASSWORD}`)).toBe("+OK me@example.com has 0 messages (0 octets)");
  });

  test("APOP: MD5 of the greeting timestamp + password logs in; a wrong digest does not", async () => {
    const server = await startTestPop3({ maxFailedLogins: 10 });
    const client = await RawClient.connect(server.port);
    const timestamp = /<.*>/.exec(await client.line())![0];
    const digest = (password: string) => createHash("md5").update(timestamp + password).digest("hex");
    expect(await client.command(`APOP ${ME} ${digest("wrong")}`)).toBe("-ERR [AUTH] wrong address or password");
    expect(await client.command(`APOP ${ME}`)).toMatch(/^-ERR usage: APOP/);
    expectOk(await client.command(`APOP ${ME} ${digest(PASSWORD)}`));
    expectOk(await client.command("STAT"));
  });

  test("failed logins are slowed down and the connection is closed after the last allowed one", async () => {
    const server = await startTestPop3({ failedLoginDelayMs: 50, maxFailedLogins: 3 });
    const client = await RawClient.connect(server.port);
    await client.line();
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await client.command(`USER ${ME}`);
      const start = performance.now();
      const reply = await client.command("PASS guess" + attempt);
      waits.push(performance.now() - start);
      expect(reply).toBe(attempt < 3 ? "-ERR [AUTH] wrong address or password" : "-ERR [AUTH] too many failed logins, closing the connection");
    }
    // The n-th failure waits at least n × 50 ms (a lower bound only: never a timing upper bound).
    waits.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual((i + 1) * 50 - 5));
    expect(await client.nextOrClose()).toBeNull();
  });

  test("commands in the wrong state and unknown commands get -ERR, and the session goes on", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("one", "hello\n"));
    const client = await RawClient.connect(server.port);
    await client.line();
    for (const command of ["STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 0", "RSET", "NOOP"]) {
      expect(await client.command(command)).toBe(`-ERR ${command.split(" ")[0]} needs a login first (USER and PASS)`);
    }
    expect(await client.command("HELO there")).toBe('-ERR unknown command "HELO": send CAPA to see what this server understands');
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
    for (const command of ["USER x@y", "PASS x", "APOP x y", "STLS"]) {
      expect(await client.command(command)).toBe(`-ERR ${command.split(" ")[0]} is only allowed before login`);
    }
    expect(await client.command("stat")).toBe("+OK 1 " + Buffer.byteLength(crlf(sampleMessage("one", "hello\n")))); // case-insensitive
  });

  test("CAPA lists TOP, UIDL, RESP-CODES, USER, PIPELINING, STLS (STLS only before TLS and login)", async () => {
    const server = await startTestPop3();
    const client = await RawClient.connect(server.port);
    await client.line();
    expectOk(await client.command("CAPA"));
    const before = (await client.block()).split("\r\n").filter(Boolean);
    expect(before).toEqual(["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "STLS", "IMPLEMENTATION Socket-Playground-POP3"]);
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
    expectOk(await client.command("CAPA"));
    expect(await client.block()).not.toContain("STLS");
  });

  test("on a non-loopback setup (requireTlsForLogin) USER is refused before STLS and allowed after", async () => {
    const server = await startTestPop3({ requireTlsForLogin: true });
    const client = await RawClient.connect(server.port);
    await client.line();
    expectOk(await client.command("CAPA"));
    expect(await client.block()).not.toMatch(/^USER$/m);
    expect(await client.command(`USER ${ME}`)).toMatch(/^-ERR \[AUTH\] plain-text login needs TLS/);
    expectOk(await client.command("STLS"));
    await client.startTls(server.ca);
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
  });
});

describe("POP3: TRANSACTION state", () => {
  test("STAT and LIST octet counts are exactly the bytes RETR sends before stuffing", async () => {
    const server = await startTestPop3();
    const messages = [
      sampleMessage("plain", "Hello!\n"),
      sampleMessage("dots", ".\n..\n.leading dot\nend\n"),
      sampleMessage("crlf", "already\r\nCRLF\r\n"),
      sampleMessage("utf8", "你好, 世界\n"),
    ];
    for (const message of messages) await server.deliver(message);
    const client = await RawClient.login(server.port);
    const sizes = messages.map((message) => Buffer.byteLength(crlf(message)));
    expect(await client.command("STAT")).toBe(`+OK 4 ${sizes.reduce((a, b) => a + b)}`);
    expect(await client.command("LIST")).toBe(`+OK 4 messages (${sizes.reduce((a, b) => a + b)} octets)`);
    expect(await client.block()).toBe(sizes.map((size, i) => `${i + 1} ${size}\r\n`).join(""));
    for (let n = 1; n <= 4; n++) {
      expect(await client.command(`LIST ${n}`)).toBe(`+OK ${n} ${sizes[n - 1]}`);
      expect(await client.command(`RETR ${n}`)).toBe(`+OK ${sizes[n - 1]} octets`);
      const body = await client.block(); // unstuffed
      expect(Buffer.byteLength(body)).toBe(sizes[n - 1]);
      expect(body).toBe(crlf(messages[n - 1]));
    }
  });

  test("every line starting with '.' is stuffed on the wire (also in a large message read in many chunks)", async () => {
    const server = await startTestPop3();
    // ~600 KB: many 64 KB file chunks, with "." lines landing on every kind of boundary.
    let body = "";
    for (let i = 0; i < 40_000; i++) body += i % 3 === 0 ? ".\n" : i % 3 === 1 ? `.line ${i}\n` : "x".repeat(i % 17) + "\n";
    const message = sampleMessage("many dots", body);
    await server.deliver(message);
    const client = await RawClient.login(server.port);
    const start = client.received.length;
    expectOk(await client.command("RETR 1"));
    const unstuffed = await client.block();
    expect(unstuffed).toBe(crlf(message));
    const wire = Buffer.concat(client.received.slice(start)).toString();
    const block = wire.slice(wire.indexOf("\r\n") + 2);
    const lines = block.split("\r\n");
    expect(lines.at(-1)).toBe(""); // ends with CRLF
    expect(lines.at(-2)).toBe("."); // the terminator …
    expect(lines.slice(0, -2).filter((line) => line.startsWith(".") && !line.startsWith(".."))).toEqual([]); // … and no other lone dots
    const dotLines = crlf(message).split("\r\n").filter((line) => line.startsWith(".")).length;
    expect(Buffer.byteLength(block) - ".\r\n".length - dotLines).toBe(Buffer.byteLength(crlf(message)));
  });

  test("DELE: excluded from STAT/LIST/UIDL, refused by RETR and a second DELE; RSET undoes it", async () => {
    const server = await startTestPop3();
    for (const subject of ["one", "two", "three"]) await server.deliver(sampleMessage(subject, subject + "\n"));
    const size = (subject: string) => Buffer.byteLength(crlf(sampleMessage(subject, subject + "\n")));
    const client = await RawClient.login(server.port);
    expect(await client.command("DELE 2")).toBe("+OK message 2 deleted");
    expect(await client.command("DELE 2")).toBe("-ERR message 2 already deleted");
    expect(await client.command("RETR 2")).toBe("-ERR message 2 already deleted");
    expect(await client.command("LIST 2")).toBe("-ERR message 2 already deleted");
    expect(await client.command("STAT")).toBe(`+OK 2 ${size("one") + size("three")}`);
    expectOk(await client.command("LIST"));
    expect(await client.block()).toBe(`1 ${size("one")}\r\n3 ${size("three")}\r\n`);
    expectOk(await client.command("UIDL"));
    expect((await client.block()).split("\r\n").map((line) => line.split(" ")[0])).toEqual(["1", "3", ""]);
    expect(await client.command("RSET")).toBe(`+OK maildrop has 3 messages (${size("one") + size("two") + size("three")} octets)`);
    expectOk(await client.command("RETR 2"));
    expect(await client.block()).toContain("Subject: two");
  });

  test("bad message numbers get -ERR", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("one", "x\n"));
    const client = await RawClient.login(server.port);
    expect(await client.command("RETR")).toBe("-ERR which message? give its number, e.g. RETR 1");
    expect(await client.command("RETR 0")).toBe("-ERR no such message, only 1 messages in maildrop");
    expect(await client.command("RETR 2")).toBe("-ERR no such message, only 1 messages in maildrop");
    expect(await client.command("RETR one")).toBe('-ERR "one" is not a message number');
    expect(await client.command("DELE -1")).toBe('-ERR "-1" is not a message number');
    expect(await client.command("TOP 1")).toMatch(/^-ERR usage: TOP/);
    expect(await client.command("NOOP")).toBe("+OK");
  });

  test("deletions happen only at QUIT (UPDATE state); a dropped connection loses nothing", async () => {
    const server = await startTestPop3();
    for (const subject of ["one", "two", "three"]) await server.deliver(sampleMessage(subject, "x\n"));
    const dropped = await RawClient.login(server.port);
    expectOk(await dropped.command("DELE 1"));
    expectOk(await dropped.command("DELE 2"));
    dropped.socket.destroy(); // vanishes without QUIT
    const count = async () => (await readdir(join(server.mailRoot, ME, "new"))).length + (await readdir(join(server.mailRoot, ME, "cur"))).length;

    const client = await RawClient.loginAfterDrop(server.port); // also proves the lock was released
    expect(await client.command("STAT")).toMatch(/^\+OK 3 /);
    expectOk(await client.command("DELE 1"));
    expect(await count()).toBe(3);
    expect(await client.command("QUIT")).toBe("+OK signing off (2 messages left)");
    expect(await client.nextOrClose()).toBeNull();
    expect(await count()).toBe(2);
    const again = await RawClient.login(server.port);
    expect(await again.command("STAT")).toMatch(/^\+OK 2 /);
  });

  test("UIDL is the Maildir unique part and stays the same across sessions (and after RETR moves the file)", async () => {
    const server = await startTestPop3();
    const path = await server.deliver(sampleMessage("one", "x\n"));
    await server.deliver(sampleMessage("two", "y\n"));
    const unique = path.split("/").at(-1)!.split(",")[0];
    const first = await RawClient.login(server.port);
    expect(await first.command("UIDL 1")).toBe(`+OK 1 ${unique}`);
    expectOk(await first.command("UIDL"));
    const listing = await first.block();
    expectOk(await first.command("RETR 1"));
    await first.block();
    expectOk(await first.command("QUIT"));
    await first.nextOrClose();
    const second = await RawClient.login(server.port);
    expectOk(await second.command("UIDL"));
    expect(await second.block()).toBe(listing);
  });

  test("RETR moves the message from new/ to cur/ with the Seen flag; TOP does not", async () => {
    const server = await startTestPop3();
    const first = await server.deliver(sampleMessage("one", "x\n"));
    const second = await server.deliver(sampleMessage("two", "y\n"));
    const client = await RawClient.login(server.port);
    expectOk(await client.command("TOP 2 0"));
    await client.block();
    expectOk(await client.command("RETR 1"));
    await client.block();
    expectOk(await client.command("NOOP")); // RETR's rename happens before the next reply
    const name = (path: string) => path.split("/").at(-1)!;
    expect(await readdir(join(server.mailRoot, ME, "cur"))).toEqual([`${name(first)}:2,S`]);
    expect(await readdir(join(server.mailRoot, ME, "new"))).toEqual([name(second)]);
  });

  test("TOP sends the headers, the blank line and n body lines (0 = headers only)", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("top", "line 1\n.line 2\nline 3\n"));
    const client = await RawClient.login(server.port);
    const headers = crlf(sampleMessage("top", ""));
    expect(await client.command("TOP 1 0")).toBe("+OK top of message follows");
    expect(await client.block()).toBe(headers);
    expectOk(await client.command("TOP 1 2"));
    expect(await client.block()).toBe(headers + "line 1\r\n.line 2\r\n");
    expectOk(await client.command("TOP 1 99"));
    expect(await client.block()).toBe(headers + "line 1\r\n.line 2\r\nline 3\r\n");
  });

  test("a message put in the Maildir by another tool (no W= in its name) gets its CRLF size counted", async () => {
    const server = await startTestPop3();
    const message = "Subject: hand-made\n\nbody\n.dot\n";
    await mkdir(join(server.mailRoot, ME, "cur"), { recursive: true });
    await mkdir(join(server.mailRoot, ME, "new"), { recursive: true });
    await writeFile(join(server.mailRoot, ME, "cur", "1700000000.M1P1Q1.othertool:2,S"), message);
    const client = await RawClient.login(server.port);
    expect(await client.command("LIST 1")).toBe(`+OK 1 ${Buffer.byteLength(crlf(message))}`);
    expectOk(await client.command("RETR 1"));
    expect(await client.block()).toBe(crlf(message));
    expect(await client.command("UIDL 1")).toBe("+OK 1 1700000000.M1P1Q1.othertool");
  });

  test("pipelined commands (all sent in one write) are answered in order", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("one", ".x\n"));
    const client = await RawClient.connect(server.port);
    await client.line();
    client.socket.write(`USER ${ME}\r\nPASS ${PASSWORD}\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n`);
    expectOk(await client.line());
    expectOk(await client.line());
    expectOk(await client.line());
    expectOk(await client.line());
    expect(await client.block()).toBe(crlf(sampleMessage("one", ".x\n")));
    expect(await client.line()).toBe("+OK message 1 deleted");
    expect(await client.line()).toBe("+OK signing off (0 messages left)");
    expect(await readdir(join(server.mailRoot, ME, "cur"))).toEqual([]);
  });
});

describe("POP3: the listing kept between sessions (maildrop.ts)", () => {
  /**
   * Sets the times of new/ and cur/ back to one fixed moment, as if nothing had changed for a
   * while: the next listing is kept. (Always the same moment, so that only a change made since,
   * or the server's own bookkeeping, can tell two listings apart.)
   */
  async function settle(mailRoot: string): Promise<void> {
    const past = new Date("2026-01-01T00:00:00Z");
    for (const folder of ["new", "cur"]) await utimes(join(mailRoot, ME, folder), past, past);
  }
  async function statReply(port: number): Promise<string> {
    const client = await RawClient.login(port);
    const reply = await client.command("STAT");
    expectOk(await client.command("QUIT"));
    return reply;
  }

  test("a kept listing is used while nothing changed; a delivery, a removal by another program, RETR and DELE are all seen", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("one", "1\n"));
    await settle(server.mailRoot);
    expect(await statReply(server.port)).toMatch(/^\+OK 1 /); // listed and kept
    expect(await statReply(server.port)).toMatch(/^\+OK 1 /); // from the kept listing
    // Another program delivers (SMTP, another tool): new/ changes.
    await server.deliver(sampleMessage("two", "2\n"));
    expect(await statReply(server.port)).toMatch(/^\+OK 2 /);
    await settle(server.mailRoot);
    expect(await statReply(server.port)).toMatch(/^\+OK 2 /);
    // Another program removes one (a mail client on the Maildir): new/ changes.
    const [first] = await readdir(join(server.mailRoot, ME, "new"));
    await rm(join(server.mailRoot, ME, "new", first));
    expect(await statReply(server.port)).toMatch(/^\+OK 1 /);
    await settle(server.mailRoot);
    // RETR moves the message to cur/ in this very process: the next session finds it there.
    const reader = await RawClient.login(server.port);
    expectOk(await reader.command("RETR 1"));
    await reader.block();
    expectOk(await reader.command("QUIT"));
    await settle(server.mailRoot); // even with the folder times set back, the move is not missed
    const again = await RawClient.login(server.port);
    expectOk(await again.command("RETR 1"));
    expect(await again.block()).toContain("Subject: ");
    expectOk(await again.command("DELE 1"));
    expectOk(await again.command("QUIT"));
    await settle(server.mailRoot);
    expect(await statReply(server.port)).toBe("+OK 0 0");
  });
});

describe("POP3: the lock, timeouts and TLS", () => {
  test("a second login while the first session is open gets -ERR [IN-USE]; QUIT releases the lock", async () => {
    const server = await startTestPop3();
    const first = await RawClient.login(server.port);
    const second = await RawClient.connect(server.port);
    await second.line();
    expectOk(await second.command(`USER ${ME}`));
    expect(await second.command(`PASS ${PASSWORD}`)).toBe("-ERR [IN-USE] maildrop already locked");
    expectOk(await second.command("USER friend@example.org")); // still in AUTHORIZATION; others are not locked
    expectOk(await second.command(`PASS ${PASSWORD}`));
    expectOk(await first.command("QUIT"));
    await first.nextOrClose();
    const third = await RawClient.login(server.port);
    expectOk(await third.command("STAT"));
  });

  test("an idle client is logged out (configurable timer; RFC 1939 §3) without entering UPDATE", async () => {
    const server = await startTestPop3({ idleTimeoutMs: 200 });
    await server.deliver(sampleMessage("one", "x\n"));
    const client = await RawClient.login(server.port);
    expectOk(await client.command("DELE 1"));
    expect(await client.line()).toBe("-ERR autologout: idle for 0 seconds, closing the connection");
    expect(await client.nextOrClose()).toBeNull();
    const again = await RawClient.login(server.port); // lock released, DELE forgotten
    expect(await again.command("STAT")).toMatch(/^\+OK 1 /);
  });

  test("STLS upgrades the connection; plaintext pipelined after STLS is discarded (no command injection)", async () => {
    const server = await startTestPop3();
    const client = await RawClient.connect(server.port);
    await client.line();
    // The attack: "STLS" and a command in one packet. The USER must not count after the handshake.
    client.socket.write(`STLS\r\nUSER ${ME}\r\n`);
    expect(await client.line()).toBe("+OK begin TLS negotiation");
    await client.startTls(server.ca);
    expect(await client.command(`PASS ${PASSWORD}`)).toBe("-ERR send USER with your address first");
    expect(await client.command("STLS")).toBe("-ERR this connection is already using TLS");
    expectOk(await client.command("CAPA"));
    expect(await client.block()).not.toContain("STLS");
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
  });

  test("implicit TLS (POP3S): TLS from the first byte, verified against the CA file", async () => {
    const server = await startTestPop3({ implicitTls: true });
    await server.deliver(sampleMessage("secure", "over TLS\n"));
    const client = await RawClient.connect(server.port, { tls: { ca: server.ca } });
    expectOk(await client.line());
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
    expectOk(await client.command("RETR 1"));
    expect(await client.block()).toContain("over TLS");
    expect((await stat(server.caFile)).isFile()).toBe(true);
  });

  test("--trace: live C:/S: lines, with the password and the APOP digest masked", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("traced", Array.from({ length: 100 }, (_, i) => `body line ${i}\n`).join("")));
    const client = await RawClient.connect(server.port);
    await client.line();
    expect(await client.command(`APOP ${ME} 0123456789abcdef0123456789abcdef`)).toMatch(/^-ERR/);
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
    expectOk(await client.command("RETR 1"));
    await client.block();
    expectOk(await client.command("QUIT"));
    await client.nextOrClose();
    const trace = server.trace.join("\n");
    expect(trace).toMatch(/^pop3 #\d+ C: USER me@example.com\\r\\n$/m);
    expect(trace).toMatch(/^pop3 #\d+ C: PASS \*\*\*\*\\r\\n$/m);
    expect(trace).toMatch(/^pop3 #\d+ C: APOP me@example.com \*\*\*\*\\r\\n$/m);
    expect(trace).not.toContain(PASSWORD);
    expect(trace).not.toContain("0123456789abcdef");
    expect(trace).toMatch(/S: … \d+ more lines \(\d+ bytes\) not shown/); // the long body is abbreviated
    expect(trace).toMatch(/S: \+OK signing off/);
  });
});

describe("POP3 inside the whole mail system (servers/mail/index.ts)", () => {
  test("every seeded sample message: LIST size = octets RETR sends before stuffing, on POP3 and POP3S", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "pop3-system-"));
    const mail = await startMailSystem({ dataDir, ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 } });
    try {
      for (const address of ["me@example.com", "friend@example.org"]) {
        for (const secure of [false, true]) {
          const client = await RawClient.connect(secure ? mail.ports.pop3s : mail.ports.pop3, secure ? { tls: { ca: await readFile(mail.caFile, "utf8") } } : {});
          await client.line();
          expectOk(await client.command(`USER ${address}`));
          expectOk(await client.command(`PASS ${PASSWORD}`));
          expectOk(await client.command("LIST"));
          const sizes = (await client.block()).trim().split("\r\n").map((line) => Number(line.split(" ")[1]));
          expect(sizes.length).toBeGreaterThan(0);
          for (let n = 1; n <= sizes.length; n++) {
            expect(await client.command(`RETR ${n}`)).toBe(`+OK ${sizes[n - 1]} octets`);
            expect(Buffer.byteLength(await client.block())).toBe(sizes[n - 1]);
          }
          expectOk(await client.command("QUIT"));
          await client.nextOrClose();
        }
      }
    } finally {
      await mail.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
