// The FTP server's rules: anonymous is read-only, nobody leaves their root (no "..",
// backslashes, encoded dots or symbolic links out), no reply shows a server path (checked
// for every reply of every test by ftp-kit.ts), uploads are capped, logins are checked.

import net from "node:net";
import { once } from "node:events";
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { RawFtp, snapshot, startTestFtp } from "./ftp-kit.ts";

test("anonymous users can read but every change is refused with 550, and nothing changes", async () => {
  const server = await startTestFtp();
  const before = snapshot(server.pub);
  const ftp = await RawFtp.login(server.port, "anonymous", "guest@example.com");

  for (const command of ["DELE README.txt", "MKD new", "XMKD new", "RMD docs", "RNFR README.txt", "RNTO stolen.txt"]) {
    const reply = await ftp.command(command);
    expect(reply.code, `${command} → ${reply.text}`).toBe(550);
  }
  await ftp.expect("SITE CHMOD 777 README.txt", 502); // not offered to anyone (RFC 959 §4.2: not implemented)
  for (const command of ["STOR upload.txt", "APPE README.txt", "STOU"]) {
    // Even with a data connection ready, the upload never starts.
    const data = await ftp.passive();
    data.end("uploaded anyway\n");
    expect((await ftp.command(command)).code, command).toBe(550);
  }
  // Reading still works, on the same connection.
  expect((await ftp.retr("docs/notes.txt")).toString()).toContain("Meeting notes");
  expect(snapshot(server.pub)).toEqual(before);
});

test("a wrong password gets 530, and the same connection can then log in properly", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  await ftp.expect("USER me", 331);
  expect((await ftp.command("PASS wrong")).text).toMatch(/^530 /);
  expect((await ftp.command("PWD")).code).toBe(530);
  await ftp.expect("USER nobody", 331);
  await ftp.expect("PASS secret", 530);
  await ftp.expect("USER me", 331);
  await ftp.expect("PASS secret", 230);
  await ftp.expect("PWD", 257);
});

test("'..' never climbs above the root, and paths are shown as the client sees them", async () => {
  const server = await startTestFtp();
  writeFileSync(join(server.dataDir, "ftp", "outside.txt"), "not for clients\n");
  const ftp = await RawFtp.login(server.port);
  expect((await ftp.command("CWD ../../../..")).text).toBe('250 "/"');
  expect((await ftp.command("CDUP")).text).toBe('250 "/"');
  expect((await ftp.command("CWD docs/../../releases")).text).toBe('250 "/releases"');
  expect((await ftp.command("PWD")).text).toBe('257 "/releases"');
  // ../outside.txt from the root would be <dataDir>/ftp/outside.txt on disk: refused.
  for (const path of ["../outside.txt", "/../outside.txt", "../../ftp/outside.txt", "/../../../../etc/passwd"]) {
    const reply = await ftp.command(`SIZE ${path}`);
    expect(reply.code, `SIZE ${path} → ${reply.text}`).toBe(550);
  }
  // "/../../README.txt" is "/README.txt": the pub folder's own file.
  expect((await ftp.command("SIZE ../../README.txt")).text).toBe(`213 ${statSync(join(server.pub, "README.txt")).size}`);
});

test("backslashes and encoded dots are not a way out", async () => {
  const server = await startTestFtp();
  writeFileSync(join(server.dataDir, "ftp", "outside.txt"), "not for clients\n");
  const ftp = await RawFtp.login(server.port);
  for (const command of ["CWD ..\\..", "SIZE ..\\outside.txt", "CWD %2e%2e", "SIZE %2e%2e/outside.txt", "SIZE %2e%2e%2foutside.txt", "CWD ....", "SIZE ..%5coutside.txt"]) {
    const reply = await ftp.command(command);
    expect(reply.code, `${command} → ${reply.text}`).toBeGreaterThanOrEqual(550);
  }
  expect((await ftp.command("PWD")).text).toBe('257 "/"');
});

test("symbolic links that lead outside the root are refused, listed nowhere, and never written through", async () => {
  const server = await startTestFtp();
  const outside = join(server.dataDir, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret.txt"), "top secret\n");
  symlinkSync(outside, join(server.home, "escape"));
  symlinkSync(join(outside, "secret.txt"), join(server.home, "secret-link"));
  symlinkSync(join(outside, "created-through-link.txt"), join(server.home, "dangling"));
  mkdirSync(join(server.home, "inside"));
  writeFileSync(join(server.home, "inside", "ok.txt"), "fine\n");
  symlinkSync(join(server.home, "inside", "ok.txt"), join(server.home, "link-inside"));

  const ftp = await RawFtp.login(server.port, "me", "secret");
  expect((await ftp.command("CWD escape")).code).toBe(550);
  expect((await ftp.command("SIZE secret-link")).code).toBe(550);
  expect((await ftp.command("SIZE escape/secret.txt")).code).toBe(550);
  expect((await ftp.command("MKD escape/new")).code).toBe(550);
  expect((await ftp.command("DELE secret-link")).code).toBe(550);
  expect((await ftp.command("RNFR secret-link")).code).toBe(550);
  for (const target of ["escape/new.txt", "dangling"]) {
    const data = await ftp.passive();
    data.end("written through a link\n");
    expect((await ftp.command(`STOR ${target}`)).code, `STOR ${target}`).toBe(550);
  }
  // RETR of a link out: refused before any byte is sent.
  await ftp.passive();
  expect((await ftp.command("RETR secret-link")).code).toBeGreaterThanOrEqual(550);

  // A link that stays inside the root is fine.
  expect((await ftp.retr("link-inside")).toString()).toBe("fine\n");
  const list = await ftp.passive();
  let listing = "";
  list.on("data", (chunk) => (listing += chunk));
  const ended = once(list, "close");
  await ftp.expect("LIST", 150);
  await ended;
  await ftp.reply();
  expect(listing).toContain("link-inside");
  expect(listing).not.toMatch(/escape|secret-link|dangling/);

  expect(readdirSync(outside)).toEqual(["secret.txt"]);
});

test("an upload over the size cap is refused with 552 (RFC 959 §4.2: exceeded storage allocation) and leaves no partial file", async () => {
  const server = await startTestFtp({ maxUploadBytes: 100_000 });
  const ftp = await RawFtp.login(server.port, "me", "secret");

  const small = await ftp.passive();
  await ftp.expect("STOR small.bin", 150);
  small.end(Buffer.alloc(100_000, 1));
  expect((await ftp.reply()).code).toBe(226);

  const big = await ftp.passive();
  await ftp.expect("STOR big.bin", 150);
  big.write(Buffer.alloc(1_000_000, 2), () => {}); // the server stops reading part-way
  const reply = await ftp.reply();
  expect(reply.text).toMatch(/^552 .*limit of 100000 bytes/);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(readdirSync(server.home)).toEqual(["small.bin"]);
  // The connection goes on.
  expect((await ftp.command("SIZE small.bin")).text).toBe("213 100000");
});

test("a client that resets the data connection mid-upload leaves no partial file", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  const data = await ftp.passive();
  await ftp.expect("STOR half.bin", 150);
  data.write(Buffer.alloc(200_000, 3));
  await new Promise((resolve) => setTimeout(resolve, 200));
  data.resetAndDestroy(); // RST, not FIN: the upload did not finish
  expect((await ftp.reply()).code).toBe(426); // RFC 959 §4.2: connection closed, transfer aborted
  expect(readdirSync(server.home)).toEqual([]);
});

test("error replies name the client's path, never the server's", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  const replies = [
    await ftp.command("CWD nowhere"),
    await ftp.command("SIZE /a/b/c.txt"),
    await ftp.command("MDTM missing.txt"),
    await ftp.command("DELE missing.txt"),
    await ftp.command("RMD missing"),
    await ftp.command("STAT missing"),
    await ftp.command("RNFR missing"),
    await ftp.command("MKD dir"),
    await ftp.command("MKD dir"),
    await ftp.command("DELE dir"),
  ];
  expect(replies.map((r) => r.text)).toEqual([
    "550 /nowhere: No such file or directory",
    "550 /a/b/c.txt: No such file or directory",
    "550 /missing.txt: No such file or directory",
    "550 /missing.txt: No such file or directory",
    "550 /missing: No such file or directory",
    "450 /missing: No such file or directory",
    "550 /missing: No such file or directory",
    '257 "/dir"',
    '257 "/dir"',
    "250 Requested file action okay, completed",
  ]);
  writeFileSync(join(server.home, "file.txt"), "x");
  await ftp.passive();
  expect((await ftp.command("RETR dir-that-is-missing")).text).toBe("550 /dir-that-is-missing: No such file or directory");
  await ftp.expect("MKD full", 257);
  writeFileSync(join(server.home, "full", "f"), "x");
  expect((await ftp.command("RMD full")).text).toBe("550 /full: Directory not empty");
  // The whole-conversation check for the data dir's path runs when the test ends (ftp-kit.ts).
});

test("active mode connects back only to the client's own address (no FTP bounce)", async () => {
  const server = await startTestFtp();
  // A listener on another loopback address: a bounce would connect here.
  const victim = net.createServer((socket) => {
    bounced = true;
    socket.destroy();
  });
  let bounced = false;
  victim.listen(0, "127.0.0.2");
  await once(victim, "listening");
  const victimPort = (victim.address() as net.AddressInfo).port;
  try {
    const ftp = await RawFtp.login(server.port);
    const p = (n: number) => `${n >> 8},${n & 255}`;
    expect((await ftp.command(`PORT 127,0,0,2,${p(victimPort)}`)).code).toBeGreaterThanOrEqual(500);
    expect((await ftp.command(`EPRT |1|127.0.0.2|${victimPort}|`)).code).toBeGreaterThanOrEqual(500);
    expect((await ftp.command(`EPRT |2|::1|${victimPort}|`)).code).toBeGreaterThanOrEqual(500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bounced).toBe(false);
    // PORT back to ourselves works.
    const own = net.createServer();
    own.listen(0, "127.0.0.1");
    await once(own, "listening");
    const ownPort = (own.address() as net.AddressInfo).port;
    const accepted = once(own, "connection");
    await ftp.expect(`PORT 127,0,0,1,${p(ownPort)}`, 200);
    await ftp.expect("RETR README.txt", 150);
    const [socket] = (await accepted) as [net.Socket];
    let bytes = 0;
    socket.on("data", (chunk: Buffer) => (bytes += chunk.length));
    await once(socket, "end");
    expect((await ftp.reply()).code).toBe(226);
    expect(bytes).toBeGreaterThan(100);
    own.close();
  } finally {
    victim.close();
  }
});

test("a user's home is theirs: files uploaded by me are not visible to anonymous", async () => {
  const server = await startTestFtp();
  writeFileSync(join(server.home, "private.txt"), "mine\n");
  const ftp = await RawFtp.login(server.port);
  expect((await ftp.command("SIZE private.txt")).code).toBe(550);
  expect((await ftp.command("SIZE ../home/me/private.txt")).code).toBe(550);
  expect(existsSync(join(server.pub, "private.txt"))).toBe(false);
});
