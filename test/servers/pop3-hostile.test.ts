// Hostile input against the POP3 server: garbage, over-long lines, a client that vanishes
// mid-RETR, many connections at once. The server must answer with -ERR, stay up, and lose
// no stored mail.

import { randomBytes } from "node:crypto";
import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { admitted } from "../kit/raw-line-client.ts";
import { RawClient, ME, PASSWORD, expectOk, sampleMessage, startTestPop3 } from "./pop3-kit.ts";

async function storedMessages(mailRoot: string): Promise<string[]> {
  const names = [...(await readdir(join(mailRoot, ME, "new"))), ...(await readdir(join(mailRoot, ME, "cur")))];
  return names.map((name) => name.split(":")[0]).sort();
}

describe("POP3: hostile input", () => {
  test("garbage bytes get -ERR replies and the session still works afterwards", async () => {
    const server = await startTestPop3();
    const client = await RawClient.connect(server.port);
    await client.line();
    // Random bytes, cut into lines at every "\n" they happen to contain; none is a valid command.
    const garbage = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x0d]), randomBytes(2000).map((b) => (b === 0x0a ? 0x41 : b))]);
    client.socket.write(Buffer.concat([garbage, Buffer.from("\r\n\x00\x01\x02\r\n\xff\xfe\r\n")]));
    for (let i = 0; i < 3; i++) expect(await client.line()).toMatch(/^-ERR (unknown command|line too long)/);
    expect(await client.command("CAPA")).toMatch(/^\+OK/);
    await client.block();
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
  });

  test("RFC 2449 §4: a 255-octet command line is fine, 256 octets get -ERR (and the session goes on)", async () => {
    const server = await startTestPop3();
    const client = await RawClient.connect(server.port);
    await client.line();
    const user = (length: number) => "USER " + "a".repeat(length - "USER ".length - "@x\r\n".length) + "@x";
    expect(Buffer.byteLength(user(255) + "\r\n")).toBe(255);
    expectOk(await client.command(user(255)));
    expect(await client.command(user(256))).toBe("-ERR line too long: POP3 command lines are at most 255 octets (RFC 2449 §4)");
    expectOk(await client.command(`USER ${ME}`));
    expectOk(await client.command(`PASS ${PASSWORD}`));
  });

  test("a 200 KB line gets one -ERR; the session continues and the server stays up", async () => {
    const server = await startTestPop3();
    const client = await RawClient.login(server.port);
    for (let i = 0; i < 200; i++) client.socket.write(Buffer.alloc(1024, "A"));
    client.send("");
    expect(await client.line()).toMatch(/^-ERR line too long/);
    expect(await client.command("STAT")).toBe("+OK 0 0");
    // The same without ever sending "\n", then vanishing: nothing is buffered, nothing breaks.
    const rude = await RawClient.connect(server.port);
    await rude.line();
    for (let i = 0; i < 200; i++) rude.socket.write(Buffer.alloc(1024, "B"));
    rude.socket.destroy();
    expect(await client.command("NOOP")).toBe("+OK");
    const another = await RawClient.connect(server.port);
    expectOk(await another.line());
  });

  test("a client vanishing mid-RETR loses nothing: no deletion, the lock is released", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("small", "x\n"));
    await server.deliver(sampleMessage("big", ("y".repeat(999) + "\n").repeat(5000))); // 5 MB
    const before = await storedMessages(server.mailRoot);
    const client = await RawClient.login(server.port);
    expectOk(await client.command("DELE 1"));
    client.send("RETR 2");
    expectOk(await client.line()); // "+OK 5005… octets", then the body starts streaming …
    await client.line();
    client.socket.destroy(); // … and the client is gone
    const again = await RawClient.loginAfterDrop(server.port); // the lock was released
    expect(await again.command("STAT")).toMatch(/^\+OK 2 /); // DELE 1 was never applied
    expect(await storedMessages(server.mailRoot)).toEqual(before);
  });

  test("a message removed by another program mid-session: RETR answers -ERR, the session goes on", async () => {
    const server = await startTestPop3();
    const path = await server.deliver(sampleMessage("one", "x\n"));
    await server.deliver(sampleMessage("two", "y\n"));
    const client = await RawClient.login(server.port);
    await unlink(path);
    expect(await client.command("RETR 1")).toBe("-ERR [SYS/TEMP] message 1 was removed by another program");
    expectOk(await client.command("RETR 2"));
    expect(await client.block()).toContain("Subject: two");
    expectOk(await client.command("DELE 1"));
    expect(await client.command("QUIT")).toBe("+OK signing off (1 messages left)"); // already gone = removed
  });

  test("100 connections at once: all greeted; exactly one gets the maildrop, 99 get [IN-USE]", async () => {
    const server = await startTestPop3();
    await server.deliver(sampleMessage("one", "x\n"));
    const clients = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(server.port)));
    const greetings = await Promise.all(clients.map((client) => client.line()));
    expect(greetings.every((line) => line.startsWith("+OK "))).toBe(true);
    const replies = await Promise.all(
      clients.map(async (client) => {
        expectOk(await client.command(`USER ${ME}`));
        return client.command(`PASS ${PASSWORD}`);
      }),
    );
    expect(replies.filter((line) => line === "+OK me@example.com has 1 messages (" + line.split("(")[1])).toHaveLength(1);
    expect(replies.filter((line) => line === "-ERR [IN-USE] maildrop already locked")).toHaveLength(99);
    await Promise.all(clients.map(async (client) => expect(await client.command("QUIT")).toMatch(/^\+OK/)));
    expect(await storedMessages(server.mailRoot)).toHaveLength(1);
  });

  test("connection caps: a 3rd connection from one address and a 4th in total get -ERR [SYS/TEMP] and are closed; a freed place is taken again", async () => {
    const server = await startTestPop3({ maxConnectionsPerAddress: 2, maxConnections: 3 });
    const TOO_MANY = "-ERR [SYS/TEMP] too many connections, try again later";
    const a1 = await greeted(server.port, "127.0.0.1");
    const a2 = await greeted(server.port, "127.0.0.1");
    // Per address: 127.0.0.1 has two sessions already (2 in total: under the total cap).
    const a3 = await RawClient.connect(server.port, { from: "127.0.0.1" });
    expect(await a3.line()).toBe(TOO_MANY);
    expect(await a3.nextOrClose()).toBeNull();
    // Another address still gets in: the third place in total.
    const b1 = await greeted(server.port, "127.0.0.2");
    // In total: three sessions run, so a fourth is refused although 127.0.0.3 has none.
    const c1 = await RawClient.connect(server.port, { from: "127.0.0.3" });
    expect(await c1.line()).toBe(TOO_MANY);
    expect(await c1.nextOrClose()).toBeNull();
    // The sessions that got in work as usual; a session that ends frees its place.
    expectOk(await b1.command(`USER ${ME}`));
    expectOk(await b1.command(`PASS ${PASSWORD}`));
    expectOk(await a1.command("QUIT"));
    expect(await a1.nextOrClose()).toBeNull();
    const a4 = await greeted(server.port, "127.0.0.1");
    expectOk(await a4.command("CAPA"));
    expectOk(await a2.command("CAPA"));
  });

  test("connection caps on POP3S: the refusal comes over TLS, after the handshake", async () => {
    const server = await startTestPop3({ implicitTls: true, maxConnectionsPerAddress: 1 });
    const first = await RawClient.connect(server.port, { tls: { ca: server.ca } });
    expectOk(await first.line());
    const second = await RawClient.connect(server.port, { tls: { ca: server.ca } });
    expect(await second.line()).toBe("-ERR [SYS/TEMP] too many connections, try again later");
    expect(await second.nextOrClose()).toBeNull();
    expectOk(await first.command("CAPA"));
  });
});

/** A POP3 session from `from` that got in (see admitted). */
function greeted(port: number, from: string): Promise<RawClient> {
  return admitted(() => RawClient.connect(port, { from }), /^\+OK/);
}
