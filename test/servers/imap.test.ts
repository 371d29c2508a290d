// The IMAP server over raw sockets: exactly what goes over the wire for literals, bad input,
// wrong states, logins, several sessions on one mailbox, IDLE, and POP3 on the same mailbox.

import { describe, expect, test } from "vitest";
import { DEFAULT_MAIL_ACCOUNTS } from "../../servers/mail/accounts.ts";
import { startPop3Server } from "../../servers/mail/pop3.ts";
import { ensureCertificate } from "../../servers/tls.ts";
import { ME, PASSWORD, RawImap, startTestImap } from "./imap-kit.ts";
import { RawClient } from "./pop3-kit.ts";

describe("greeting, bad input and states", () => {
  test("the greeting carries the capabilities; garbage gets BAD and the session goes on", async () => {
    const server = await startTestImap();
    const client = await RawImap.connect(server.port);
    expect(await client.line()).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS AUTH=PLAIN\] Socket Playground IMAP4rev1 server ready$/);
    expect(await client.command("hello there")).toMatch(/^hello BAD unknown command THERE/);
    expect(await client.command("")).toMatch(/^\* BAD every command starts with a tag/);
    expect(await client.command("\x00\x01\x02")).toMatch(/^\* BAD /);
    expect(await client.command('A1 LOGIN "unterminated')).toMatch(/^A1 BAD a quoted string has no closing quote/);
    expect(await client.command("A2 FETCH 1 FLAGS")).toBe("A2 BAD FETCH needs a login first (LOGIN address password)");
    expect(await client.run("NOOP")).toEqual(["T1 OK NOOP completed"]);
    await RawImap.login(server.port); // and a login still works
  });

  test("wrong-state commands: SELECT-only commands without a selected folder, LOGIN after login", async () => {
    const server = await startTestImap();
    const client = await RawImap.login(server.port);
    expect(await client.run("FETCH 1 FLAGS")).toEqual(["T2 BAD FETCH needs a selected folder: SELECT one first (e.g. SELECT INBOX)"]);
    expect(await client.run(`LOGIN ${ME} ${PASSWORD}`)).toEqual(["T3 BAD LOGIN is only allowed before login"]);
    expect(await client.run("SELECT Nope")).toEqual([expect.stringMatching(/^T4 NO \[NONEXISTENT\] there is no folder "Nope"/)]);
    expect(await client.run("FETCH 1:* (FLAGS BODY[)")).toEqual(["T5 BAD FETCH needs a selected folder: SELECT one first (e.g. SELECT INBOX)"]);
    await client.run("SELECT INBOX");
    expect(await client.run("FETCH 1:* (FLAGS BODY[)")).toEqual([expect.stringMatching(/^T7 BAD /)]);
    expect(await client.run("FETCH 0 FLAGS")).toEqual([expect.stringMatching(/^T8 BAD 0 is not a valid non-zero number/)]);
  });

  test("a line over 64 KB gets * BAD and the next command is answered", async () => {
    const server = await startTestImap();
    const client = await RawImap.login(server.port);
    client.send(`T9 NOOP ${"x".repeat(70_000)}`);
    expect(await client.line()).toMatch(/^\* BAD line too long/);
    expect(await client.run("NOOP")).toEqual(["T2 OK NOOP completed"]);
  });
});

describe("literals (RFC 3501 §4.3, RFC 7888)", () => {
  test("{n}: the server says + and the client sends n BYTES; {n+} needs no +", async () => {
    const server = await startTestImap({ accounts: [{ address: "张三@example.com", password: "pässwörd" }] });
    const client = await RawImap.connect(server.port);
    await client.line();
    client.send(`A1 LOGIN {${Buffer.byteLength("张三@example.com")}}`);
    expect(await client.line()).toBe("+ ready for the literal");
    client.send(`张三@example.com {${Buffer.byteLength("pässwörd")}+}`);
    client.send("pässwörd");
    expect(await client.line()).toMatch(/^A1 OK \[CAPABILITY .*\] logged in as 张三@example.com$/);
  });

  test("a literal cut into 1-byte pieces arrives whole", async () => {
    const server = await startTestImap();
    const client = await RawImap.login(server.port);
    const message = Buffer.from("Subject: 逐字节\r\n\r\nbyte by byte\r\n");
    client.send(`A1 APPEND INBOX {${message.length}}`);
    expect(await client.line()).toBe("+ ready for the literal");
    for (const byte of [...message, 13, 10]) {
      client.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await client.line()).toMatch(/^A1 OK \[APPENDUID \d+ 1\] APPEND completed$/);
    await client.run("SELECT INBOX");
    const lines = await client.run("FETCH 1 (RFC822.SIZE BODY.PEEK[])");
    expect(lines[0]).toBe(`* 1 FETCH (RFC822.SIZE ${message.length} BODY[] {${message.length}}`);
  });

  test("a 2 MB literal (APPEND of a big message) arrives whole and comes back byte for byte", async () => {
    const server = await startTestImap();
    const client = await RawImap.login(server.port);
    const message = Buffer.from(`Subject: big\r\n\r\n${"0123456789abcdef\r\n".repeat(120_000)}`);
    client.socket.write(Buffer.concat([Buffer.from(`A1 APPEND INBOX {${message.length}+}\r\n`), message, Buffer.from("\r\n")]));
    expect(await client.line()).toMatch(/^A1 OK \[APPENDUID \d+ 1\]/);
    await client.run("SELECT INBOX");
    expect(await client.run("FETCH 1 RFC822.SIZE")).toEqual([`* 1 FETCH (RFC822.SIZE ${message.length})`, "T3 OK FETCH completed"]);
  });

  test("a literal over the limit is refused before any of it is read; the session goes on", async () => {
    const server = await startTestImap({ maxLiteralBytes: 1000 });
    const client = await RawImap.login(server.port);
    client.send("A1 APPEND INBOX {1001}");
    expect(await client.line()).toBe("A1 NO [TOOBIG] literal of 1001 bytes is over the limit of 1000"); // no "+": the client sends nothing
    expect(await client.run("NOOP")).toEqual(["T2 OK NOOP completed"]);
    // {n+} over the limit: the bytes are on their way and would be read as commands — goodbye.
    client.send("A2 APPEND INBOX {5000+}");
    expect(await client.line()).toMatch(/^\* BYE literal of 5000 bytes is over the limit/);
    expect(await client.nextOrClose()).toBeNull();
  });
});

describe("logging in", () => {
  test("AUTHENTICATE PLAIN with SASL-IR and with a continuation; wrong passwords slow down, then disconnect", async () => {
    const server = await startTestImap();
    const plain = (password: string) => Buffer.from(`\0${ME}\0${password}`).toString("base64");
    const first = await RawImap.connect(server.port);
    await first.line();
    expect((await first.run(`AUTHENTICATE PLAIN ${plain(PASSWORD)}`)).at(-1)).toMatch(/^T1 OK .*logged in as me@example.com/);
    const second = await RawImap.connect(server.port);
    await second.line();
    second.send("A1 AUTHENTICATE PLAIN");
    expect(await second.line()).toBe("+ ");
    expect(await second.command(plain(PASSWORD))).toMatch(/^A1 OK /);

    const guesser = await RawImap.connect(server.port);
    await guesser.line();
    expect(await guesser.run(`LOGIN ${ME} wrong1`)).toEqual(["T1 NO [AUTHENTICATIONFAILED] wrong address or password"]);
    expect(await guesser.run(`AUTHENTICATE PLAIN ${plain("wrong2")}`)).toEqual(["T2 NO [AUTHENTICATIONFAILED] wrong address or password"]);
    expect(await guesser.run(`LOGIN ${ME} wrong3`)).toEqual(["T3 NO [AUTHENTICATIONFAILED] too many failed logins, closing the connection"]);
    expect(await guesser.nextOrClose()).toBeNull();
    expect(server.trace.join("\n")).not.toMatch(/wrong1|wrong3/); // LOGIN lines are masked in --trace
  });

  test("--trace never shows a password: not in LOGIN, not in a LOGIN literal, not in AUTHENTICATE's base64 line", async () => {
    const server = await startTestImap();
    const client = await RawImap.connect(server.port);
    await client.line();
    client.send(`A1 LOGIN {${ME.length}+}\r\n${ME} {11+}\r\nsecret-lit1`);
    expect(await client.line()).toMatch(/^A1 NO \[AUTHENTICATIONFAILED\]/);
    client.send("A2 AUTHENTICATE PLAIN");
    await client.line();
    const secret = Buffer.from(`\0${ME}\0secret-b64`).toString("base64");
    expect(await client.command(secret)).toMatch(/^A2 NO/);
    const trace = server.trace.join("\n");
    expect(trace).toContain("C: A1 LOGIN ****");
    expect(trace).not.toContain("secret-lit1");
    expect(trace).not.toContain(secret);
    expect(trace).toMatch(/C: \[connected from 127\.0\.0\.1:\d+\]/);
  });

  test("beyond loopback: LOGINDISABLED and PRIVACYREQUIRED until STARTTLS; pipelined plaintext after STARTTLS is dropped", async () => {
    const server = await startTestImap({ requireTlsForLogin: true });
    const client = await RawImap.connect(server.port);
    expect(await client.line()).toMatch(/STARTTLS LOGINDISABLED\]/);
    expect(await client.run(`LOGIN ${ME} ${PASSWORD}`)).toEqual([expect.stringMatching(/^T1 NO \[PRIVACYREQUIRED\]/)]);
    client.send(`T2 STARTTLS\r\nT3 LOGIN ${ME} ${PASSWORD}`); // T3 is injected plaintext
    expect(await client.line()).toBe("T2 OK begin TLS negotiation now");
    await client.startTls(server.ca);
    const capability = await client.run("CAPABILITY");
    expect(capability[0]).toMatch(/^\* CAPABILITY .*AUTH=PLAIN$/);
    expect(capability[0]).not.toMatch(/STARTTLS|LOGINDISABLED/);
    expect((await client.run(`LOGIN ${ME} ${PASSWORD}`)).at(-1)).toMatch(/^T\d+ OK /);
  });
});

describe("folders", () => {
  test("LIST with special-use, a Chinese folder name round-trips, RENAME, DELETE, LSUB, STATUS, NAMESPACE", async () => {
    const server = await startTestImap();
    await server.deliver("Subject: a\n\nx\n");
    const client = await RawImap.login(server.port);
    expect(await client.run('LIST "" ""')).toEqual(['* LIST (\\Noselect) "." ""', "T2 OK LIST completed"]);
    expect(await client.run('CREATE "&XeVPXA-.2026"')).toEqual(["T3 OK CREATE completed"]);
    expect(await client.run('LIST "" "*"')).toEqual([
      '* LIST (\\HasNoChildren) "." INBOX',
      '* LIST (\\Noselect \\HasChildren) "." &XeVPXA-',
      '* LIST (\\HasNoChildren) "." &XeVPXA-.2026',
      '* LIST (\\HasNoChildren \\Drafts) "." Drafts',
      '* LIST (\\HasNoChildren \\Junk) "." Junk',
      '* LIST (\\HasNoChildren \\Sent) "." Sent',
      '* LIST (\\HasNoChildren \\Trash) "." Trash',
      "T4 OK LIST completed",
    ]);
    expect(await client.run('LIST "" "%"')).toContain('* LIST (\\Noselect \\HasChildren) "." &XeVPXA-');
    expect(await client.run('LIST "" "%"')).not.toContain('* LIST (\\HasNoChildren) "." &XeVPXA-.2026');
    expect(await client.run("RENAME &XeVPXA-.2026 Work")).toEqual(["T7 OK RENAME completed"]);
    expect(await client.run("SUBSCRIBE Work")).toEqual(["T8 OK SUBSCRIBE completed"]);
    expect(await client.run('LSUB "" "W*"')).toEqual(['* LSUB () "." Work', "T9 OK LSUB completed"]);
    expect(await client.run("DELETE Work")).toEqual(["T10 OK DELETE completed"]);
    expect(await client.run("STATUS INBOX (MESSAGES UNSEEN UIDNEXT)")).toEqual(["* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UNSEEN 1)", "T11 OK STATUS completed"]);
    expect(await client.run("NAMESPACE")).toEqual(['* NAMESPACE (("" ".")) NIL NIL', "T12 OK NAMESPACE completed"]);
    expect(await client.run("CREATE ../escape")).toEqual([expect.stringMatching(/^T13 NO \[CANNOT\]/)]);
    expect((await client.run('LIST "" inbox'))[0]).toBe('* LIST (\\HasNoChildren) "." INBOX'); // INBOX in any case
    expect(await client.run("APPEND Nowhere {1+}\r\nx")).toEqual([expect.stringMatching(/^T15 NO \[TRYCREATE\]/)]);
  });
});

describe("several sessions on one mailbox (RFC 3501 §5.2, §7.4.1)", () => {
  test("another session's EXPUNGE, flags and new mail are told at the next command — never an EXPUNGE during FETCH", async () => {
    const server = await startTestImap();
    for (const n of [1, 2, 3]) await server.deliver(`Subject: ${n}\n\nbody ${n}\n`);
    const a = await RawImap.login(server.port);
    const b = await RawImap.login(server.port);
    const selectA = await a.run("SELECT INBOX");
    expect(selectA).toContain("* 3 EXISTS");
    expect(selectA).toContain("* 3 RECENT"); // the first session to select gets \Recent…
    expect(selectA.at(-1)).toBe("T2 OK [READ-WRITE] SELECT completed");
    expect(await b.run("SELECT INBOX")).toContain("* 0 RECENT"); // …the second does not
    expect(await b.run("STORE 2 +FLAGS.SILENT (\\Deleted)")).toEqual(["T3 OK STORE completed"]);
    expect(await b.run("EXPUNGE")).toEqual(["* 2 EXPUNGE", "T4 OK EXPUNGE completed"]);
    await server.deliver("Subject: 4\n\nbody 4\n");
    // A FETCH must not shift A's sequence numbers: no EXPUNGE, but the new message may be told.
    const fetch = await a.run("FETCH 1:* (UID)");
    expect(fetch.filter((line) => line.includes("EXPUNGE"))).toEqual([]);
    expect(fetch).toEqual(["* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)", "* 4 EXISTS", "* 4 RECENT", "T3 OK FETCH completed"]);
    // NOOP: now the EXPUNGE comes, and the numbers move up.
    expect(await a.run("NOOP")).toEqual(["* 2 EXPUNGE", "* 3 RECENT", "T4 OK NOOP completed"]); // the expunged one was \\Recent here
    expect(await a.run("FETCH 1:* (UID)")).toEqual(["* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)", "* 3 FETCH (UID 4)", "T5 OK FETCH completed"]);
    await b.run("STORE 1 +FLAGS (\\Flagged)");
    expect(await a.run("NOOP")).toEqual(["* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))", "T6 OK NOOP completed"]);
  });

  test("IDLE: mail delivered to the Maildir (as SMTP does) is pushed as EXISTS without the client asking", async () => {
    const server = await startTestImap();
    const client = await RawImap.login(server.port);
    await client.run("SELECT INBOX");
    client.send("A1 IDLE");
    expect(await client.line()).toBe("+ idling, send DONE to stop");
    await server.deliver("Subject: pushed\n\nhello\n");
    expect(await client.line()).toBe("* 1 EXISTS");
    expect(await client.line()).toBe("* 1 RECENT");
    expect(await client.command("DONE")).toBe("A1 OK IDLE terminated");
  });

  test("POP3 and IMAP on one Maildir: POP3's DELE + QUIT shows up as EXPUNGE, IMAP's EXPUNGE is gone from the next POP3 LIST", async () => {
    const server = await startTestImap();
    const pop3 = await startPop3Server({ host: "127.0.0.1", port: 0, tls: await ensureCertificate(server.dataDir), mailRoot: server.mailRoot, accounts: DEFAULT_MAIL_ACCOUNTS });
    for (const n of [1, 2, 3]) await server.deliver(`Subject: ${n}\n\nbody ${n}\n`);
    const imap = await RawImap.login(server.port);
    await imap.run("SELECT INBOX");

    const first = await RawClient.login(pop3.port);
    expect(await first.command("DELE 1")).toMatch(/^\+OK/);
    expect(await first.command("QUIT")).toMatch(/^\+OK/);
    expect(await imap.run("NOOP")).toEqual(["* 1 EXPUNGE", "* 2 RECENT", "T3 OK NOOP completed"]);

    await imap.run("STORE 1 +FLAGS.SILENT (\\Deleted)");
    expect(await imap.run("EXPUNGE")).toEqual(["* 1 EXPUNGE", "* 1 RECENT", "T5 OK EXPUNGE completed"]);
    const second = await RawClient.login(pop3.port);
    second.send("LIST");
    expect(await second.line()).toMatch(/^\+OK 1 messages/);
    expect(await second.line()).toMatch(/^1 \d+$/);
    expect(await second.line()).toBe(".");
    // POP3's RETR marks the message seen (new/ → cur/:2,S): the same message, now \Seen, same UID.
    second.send("RETR 1");
    while ((await second.line()) !== ".");
    expect(await second.command("QUIT")).toMatch(/^\+OK/);
    expect(await imap.run("FETCH 1 (UID FLAGS)")).toEqual(["* 1 FETCH (UID 3 FLAGS (\\Seen \\Recent))", "T6 OK FETCH completed"]);
    await pop3.close();
  });
});

test("IMAP changes flags (renames the file) while a POP3 session has the maildrop open: POP3's RETR and DELE still find the message", async () => {
  const server = await startTestImap();
  const pop3 = await startPop3Server({ host: "127.0.0.1", port: 0, tls: await ensureCertificate(server.dataDir), mailRoot: server.mailRoot, accounts: DEFAULT_MAIL_ACCOUNTS });
  for (const n of [1, 2]) await server.deliver(`Subject: ${n}\n\nbody ${n}\n`);
  const pop = await RawClient.login(pop3.port); // lists new/ now
  const imap = await RawImap.login(server.port);
  await imap.run("SELECT INBOX");
  await imap.run("STORE 1:2 +FLAGS.SILENT (\\Flagged)"); // new/NAME → cur/NAME:2,F
  expect(await pop.command("RETR 1")).toMatch(/^\+OK/);
  expect(await pop.line()).toBe("Subject: 1");
  while ((await pop.line()) !== ".");
  expect(await pop.command("DELE 2")).toMatch(/^\+OK/);
  expect(await pop.command("QUIT")).toMatch(/^\+OK/);
  expect(await imap.run("NOOP")).toEqual(["* 2 EXPUNGE", "* 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen \\Recent))", "* 1 RECENT", "T4 OK NOOP completed"]);
  await pop3.close();
});

describe("UIDPLUS and MOVE", () => {
  test("UID MOVE answers COPYUID before the EXPUNGEs; UID EXPUNGE removes only the UIDs named", async () => {
    const server = await startTestImap();
    for (const n of [1, 2, 3]) await server.deliver(`Subject: ${n}\n\nbody ${n}\n`);
    const client = await RawImap.login(server.port);
    await client.run("SELECT INBOX");
    const move = await client.run("UID MOVE 2:3 Trash");
    expect(move).toEqual([expect.stringMatching(/^\* OK \[COPYUID \d+ 2:3 1:2\] moved$/), "* 3 EXPUNGE", "* 2 EXPUNGE", "* 1 RECENT", "T3 OK UID MOVE completed"]);
    await server.deliver("Subject: 4\n\nbody 4\n");
    await client.run("NOOP");
    await client.run("STORE 1:* +FLAGS.SILENT (\\Deleted)");
    expect(await client.run("UID EXPUNGE 4")).toEqual(["* 2 EXPUNGE", "* 1 RECENT", "T6 OK EXPUNGE completed"]);
    expect(await client.run("UID SEARCH DELETED")).toEqual(["* SEARCH 1", "T7 OK UID SEARCH completed"]);
    expect(await client.run("EXAMINE Trash")).toContain("T8 OK [READ-ONLY] EXAMINE completed");
    expect(await client.run("STORE 1 +FLAGS (\\Seen)")).toEqual(["T9 NO [READ-ONLY] the folder was opened with EXAMINE"]);
    expect(await client.run("FETCH 1:* (BODY[HEADER.FIELDS (Subject)])")).toEqual([
      "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {14}",
      "Subject: 2",
      "",
      ")",
      "* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {14}",
      "Subject: 3",
      "",
      ")",
      "T10 OK FETCH completed",
    ]);
    // EXAMINE: BODY[] did not set \Seen; the messages moved into Trash are \Recent there (shown, not claimed)
    expect(await client.run("FETCH 1 FLAGS")).toEqual(["* 1 FETCH (FLAGS (\\Recent))", "T11 OK FETCH completed"]);
  });

  test("move: false plays a server without RFC 6851: no MOVE in CAPABILITY, MOVE and UID MOVE get BAD and move nothing", async () => {
    const server = await startTestImap({ move: false });
    await server.deliver("Subject: 1\n\nbody 1\n");
    const client = await RawImap.connect(server.port);
    const greeting = await client.line();
    expect(greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 .*UIDPLUS/);
    expect(greeting).not.toMatch(/ MOVE /);
    await client.command(`A1 LOGIN ${ME} ${PASSWORD}`);
    await client.run("SELECT INBOX");
    expect((await client.run("CAPABILITY"))[0]).not.toMatch(/ MOVE\b/);
    expect(await client.run("UID MOVE 1 Trash")).toEqual([expect.stringMatching(/^T\d+ BAD UID MOVE is not offered here/)]);
    expect(await client.run("MOVE 1 Trash")).toEqual([expect.stringMatching(/^T\d+ BAD MOVE is not offered here/)]);
    expect(await client.run("UID SEARCH ALL")).toEqual(["* SEARCH 1", expect.stringMatching(/OK UID SEARCH completed$/)]);
  });
});
