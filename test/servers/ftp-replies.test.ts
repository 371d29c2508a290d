// Every failure is answered with an RFC 959 §4.2 reply code and the client's own path only —
// never Node's error text ("551 write EPIPE", "551 ENOENT: … '/home/…/race.bin'"), never a code
// that is not FTP's ("400"). (ftp-kit.ts checks every reply of every FTP test for both.)

import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { BIG_FILE } from "../../servers/ftp/seed.ts";
import { RawFtp, startTestFtp } from "./ftp-kit.ts";

test("a missing file or folder: RETR 550, LIST and NLST 450, each naming the client's path", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port);
  await ftp.passive();
  expect((await ftp.command("RETR /projects.tar")).text).toBe("550 /projects.tar: No such file or directory");
  await ftp.passive();
  expect((await ftp.command("LIST /nowhere")).text).toBe("450 /nowhere: No such file or directory");
  await ftp.passive();
  expect((await ftp.command("NLST nowhere")).text).toBe("450 /nowhere: No such file or directory");
  await ftp.passive();
  expect((await ftp.command("RETR /docs")).text).toBe("550 /docs: Is a directory");
  expect((await ftp.command("RETR README.txt")).text).toBe("425 No data connection: send PASV or EPSV first");
});

test("the client resets the data connection mid-download or mid-upload: 426, no Node error code", async () => {
  const server = await startTestFtp({ bigFileBytes: 20 * 1024 * 1024 });
  const ftp = await RawFtp.login(server.port, "me", "secret");
  writeFileSync(join(server.home, "big.bin"), randomBytes(20 * 1024 * 1024));
  for (const path of ["big.bin", "big.bin"]) {
    const data = await ftp.passive();
    data.pause(); // read nothing, so the server's writes back up
    await ftp.expect(`RETR ${path}`, 150);
    await new Promise((resolve) => setTimeout(resolve, 100));
    data.resetAndDestroy();
    expect((await ftp.reply()).text).toBe("426 Connection closed; transfer aborted");
  }
  const data = await ftp.passive();
  await ftp.expect("STOR upload.bin", 150);
  await new Promise((resolve) => data.write(randomBytes(100_000), resolve));
  await new Promise((resolve) => setTimeout(resolve, 100)); // the server is reading (see ftp-uploads.test.ts)
  data.resetAndDestroy();
  expect((await ftp.reply()).text).toBe("426 Connection closed; transfer aborted");
  await ftp.expect("NOOP", 200);
  const anonymous = await RawFtp.login(server.port);
  expect((await anonymous.retr(`/${BIG_FILE}`)).length).toBe(20 * 1024 * 1024);
});

test("RETR racing DELE on another connection: the whole file or 550 with the client's path", async () => {
  const server = await startTestFtp();
  const reader = await RawFtp.login(server.port, "me", "secret");
  const deleter = await RawFtp.login(server.port, "me", "secret");
  const content = randomBytes(200_000);
  const outcomes = new Set<string>();
  for (let round = 0; round < 40; round++) {
    writeFileSync(join(server.home, "race.bin"), content);
    const data = await reader.passive();
    const chunks: Buffer[] = [];
    data.on("data", (chunk: Buffer) => chunks.push(chunk));
    const closed = once(data, "close");
    // Both commands leave at once; which one the server takes first is up to it.
    reader.socket.write("RETR race.bin\r\n");
    deleter.socket.write("DELE race.bin\r\n");
    const first = await reader.reply();
    const deleted = await deleter.reply();
    expect([250, 550]).toContain(deleted.code);
    if (first.code === 150) {
      await closed;
      expect((await reader.reply()).text).toBe("226 /race.bin");
      expect(Buffer.concat(chunks).equals(content)).toBe(true);
      outcomes.add("whole file");
    } else {
      expect(first.text).toBe("550 /race.bin: No such file or directory");
      outcomes.add("550");
    }
  }
  expect(outcomes.size).toBeGreaterThan(0);
}, 60_000);
