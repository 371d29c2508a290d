// Passive data ports and control connections are bounded (issue 13, breaks 2 and 6): a data
// port is closed when its transfer ends, when its session ends, or when unused for a few
// seconds; a session holds one at most; a full range answers 425; one client address cannot
// take every seat (421). The open ports are counted on the machine itself, by trying to listen.

import net from "node:net";
import { once } from "node:events";
import { Writable } from "node:stream";
import { Client } from "basic-ftp";
import { expect, test } from "vitest";
import { eventually, freePortRange, openListeners, RawFtp, startTestFtp } from "./ftp-kit.ts";

/** PASV, connect, LIST: the listing's bytes (checks 150 and 226). */
async function list(ftp: RawFtp, path = "/"): Promise<string> {
  const data = await ftp.passive();
  let text = "";
  data.setEncoding("utf8");
  data.on("data", (chunk: string) => (text += chunk));
  const closed = once(data, "close");
  await ftp.expect(`LIST ${path}`, 150);
  await closed;
  expect((await ftp.reply()).code).toBe(226);
  return text;
}

test("PASV + failed RETR, then PASV + LIST, 80 times: every LIST works, and no data port stays open", async () => {
  const range = await freePortRange(30);
  const server = await startTestFtp({ passivePorts: range });
  const ftp = await RawFtp.login(server.port);
  for (let round = 0; round < 80; round++) {
    await ftp.passive(); // connected, as real clients do right after the 227
    // The next PASV goes with the RETR, as a client that pipelines its commands sends it.
    ftp.socket.write("RETR missing-file.bin\r\nPASV\r\n");
    expect((await ftp.reply()).code).toBeGreaterThanOrEqual(500);
    const pasv = await ftp.reply();
    expect(pasv.code).toBe(227);
    const [p1, p2] = /,(\d+),(\d+)\)/.exec(pasv.text)!.slice(1).map(Number);
    const data = net.connect(p1 * 256 + p2, "127.0.0.1");
    data.on("error", () => {});
    let text = "";
    data.on("data", (chunk) => (text += chunk));
    const closed = once(data, "close");
    await once(data, "connect");
    // ftp-srv: "451 No connector setup, send PASV or PORT" right after its own 227.
    await ftp.expect("LIST /", 150);
    await closed;
    expect((await ftp.reply()).code).toBe(226);
    expect(text).toContain("README.txt");
  }
  expect(await openListeners(range)).toBeLessThanOrEqual(1);
  await ftp.close();
  await eventually("every data port closed after QUIT", async () => (await openListeners(range)) === 0);
}, 60_000);

test("basic-ftp, failed downloads between listings: nothing leaks", async () => {
  const range = await freePortRange(30);
  const server = await startTestFtp({ passivePorts: range });
  const client = new Client(10_000);
  await client.access({ host: "127.0.0.1", port: server.port, user: "anonymous", password: "x@y" });
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  for (let round = 0; round < 50; round++) {
    await expect(client.downloadTo(sink(), "no-such-file.bin")).rejects.toThrow(/no-such-file/);
    expect((await client.list("/")).map((file) => file.name)).toContain("README.txt");
  }
  client.close();
  await eventually("every data port closed after the client left", async () => (await openListeners(range)) === 0);
}, 60_000);

test("a data port no transfer uses is closed after a few seconds; a session holds one at most", async () => {
  const range = await freePortRange(10);
  const server = await startTestFtp({ passivePorts: range, passiveIdleMs: 500 });
  const ftp = await RawFtp.login(server.port);
  for (let i = 0; i < 8; i++) {
    await ftp.expect(i % 2 ? "EPSV" : "PASV", i % 2 ? 229 : 227);
    expect(await openListeners(range)).toBe(1);
  }
  await eventually("the unused data port closed", async () => (await openListeners(range)) === 0, 5000);
  expect((await ftp.command("LIST")).text).toBe("425 No data connection: send PASV or EPSV first");
  // A data connection made but never used is dropped too.
  const data = await ftp.passive();
  await once(data, "close");
  await ftp.expect("NOOP", 200);
  expect(await list(ftp, "/docs")).toContain("notes.txt");
});

test("the session's data port closes when the session ends, even unused", async () => {
  const range = await freePortRange(10);
  const server = await startTestFtp({ passivePorts: range });
  const ftp = await RawFtp.login(server.port);
  await ftp.expect("PASV", 227);
  expect(await openListeners(range)).toBe(1);
  ftp.socket.destroy();
  await eventually("the data port closed with its session", async () => (await openListeners(range)) === 0);
});

test("every data port taken: PASV and EPSV answer 425 (not 400), and work again once one is free", async () => {
  const range = await freePortRange(2);
  const server = await startTestFtp({ passivePorts: range });
  const holders = [await RawFtp.login(server.port), await RawFtp.login(server.port)];
  for (const holder of holders) await holder.expect("PASV", 227);
  const late = await RawFtp.login(server.port);
  expect((await late.command("PASV")).text).toMatch(/^425 No data port free/);
  expect((await late.command("EPSV")).code).toBe(425);
  await holders[0].close();
  expect(await list(late)).toContain("README.txt");
});

test("130 connections from one address, each holding a PASV: the extra ones get 421, and another client still gets in", async () => {
  const range = await freePortRange(101); // as many ports as npm start's 30000-30100
  const server = await startTestFtp({ passivePorts: range });
  const greetings: string[] = [];
  const crowd: RawFtp[] = [];
  for (let batch = 0; batch < 13; batch++) {
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { ftp, greeting } = await RawFtp.connect(server.port);
        greetings.push(greeting.text);
        if (greeting.code !== 220) return;
        crowd.push(ftp);
        await ftp.expect("USER anonymous", 331);
        await ftp.expect("PASS crowd@example.com", 230);
        await ftp.expect("PASV", 227);
      }),
    );
  }
  expect(greetings.filter((text) => text.startsWith("220")).length).toBe(64);
  const refused = greetings.filter((text) => !text.startsWith("220"));
  expect(refused.length).toBe(66);
  for (const text of refused) expect(text).toBe("421 Too many connections from your address (the limit is 64): close one and try again");
  // Another machine (another loopback address) logs in, lists and downloads.
  const other = await RawFtp.login(server.port, "anonymous", "learner@example.com", "127.0.0.2");
  expect(await list(other)).toContain("README.txt");
  expect((await other.retr("README.txt")).length).toBeGreaterThan(100);
  // The crowd leaves; its seats are free again.
  for (const ftp of crowd) ftp.socket.destroy();
  await eventually("the crowd's data ports closed", async () => (await openListeners(range)) === 0);
  const back = await RawFtp.login(server.port);
  await back.expect("NOOP", 200);
}, 60_000);

test("a cap on all connections: past it, 421 from any address; a seat freed is a seat taken", async () => {
  const server = await startTestFtp({ maxConnections: 3 });
  const seated = [await RawFtp.login(server.port), await RawFtp.login(server.port), await RawFtp.login(server.port, "anonymous", "x@y", "127.0.0.2")];
  const { ftp, greeting } = await RawFtp.connect(server.port, "127.0.0.3");
  expect(greeting.text).toBe("421 Too many connections (the limit is 3): try again later");
  await once(ftp.socket, "close");
  // A refused client's commands are never answered.
  const raw = net.connect(server.port, "127.0.0.1");
  raw.write("USER anonymous\r\nPASS x@y\r\n");
  let text = "";
  raw.on("data", (chunk) => (text += chunk));
  await once(raw, "close");
  expect(text).toBe("421 Too many connections (the limit is 3): try again later\r\n");
  // The trace shows the refusals, for the teacher watching `npm start -- --trace`.
  expect(server.trace).toContain("ftp#4 S: 421 Too many connections (the limit is 3): try again later\\r\\n");
  await seated[0].close();
  await eventually("a seat is free", async () => {
    const { ftp: next, greeting: hello } = await RawFtp.connect(server.port);
    next.socket.destroy();
    return hello.code === 220;
  });
});
