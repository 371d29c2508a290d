// RFC conformance that real clients notice (issue 17), sent as exact bytes over raw sockets:
// ABOR and STAT during a transfer, Telnet IAC on the control connection, a truthful FEAT,
// SITE, STOU, TYPE A, EPSV ALL. (ftp-clients.test.ts drives lftp, tnftp and curl.)

import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { hasPython, runProgram } from "../kit/processes.ts";
import { BIG_FILE } from "../../servers/ftp/seed.ts";
import { ControlLineReader } from "../../servers/ftp/adapter.ts";
import { RawFtp, startTestFtp } from "./ftp-kit.ts";

const BIG = 20 * 1024 * 1024;

/** Starts RETR of the big file and waits for its first bytes; then the client stops reading. */
async function retrStarted(ftp: RawFtp) {
  const data = await ftp.passive();
  const closed = once(data, "close");
  await ftp.expect(`RETR /${BIG_FILE}`, 150);
  await once(data, "data");
  data.pause(); // the server's writes back up: without ABOR this RETR would never end
  return { data, closed };
}

test("ABOR during RETR: the transfer stops, 426 then 226, and the session goes on", async () => {
  const server = await startTestFtp({ bigFileBytes: BIG });
  const ftp = await RawFtp.login(server.port);
  const { data, closed } = await retrStarted(ftp);
  ftp.socket.write("ABOR\r\n");
  expect((await ftp.reply()).text).toBe(`426 RETR /${BIG_FILE}: transfer aborted by ABOR`);
  expect((await ftp.reply()).code).toBe(226);
  data.resume();
  await closed; // the server closed the data connection
  expect(data.bytesRead).toBeLessThan(BIG);
  await ftp.expect("NOOP", 200);
  expect((await ftp.retr("README.txt")).length).toBeGreaterThan(0);
});

// What arrives of each client's ABOR once the system has taken its urgent byte out of the stream.
const ABOR_AS_RECEIVED = {
  "tnftp (IAC IP, IAC urgent, DM)": "\xff\xf4\xf2ABOR\r\n",
  "lftp (IAC IP IAC, DM urgent)": "\xff\xf4\xffABOR\r\n",
  "all inline (IAC IP IAC DM)": "\xff\xf4\xff\xf2ABOR\r\n",
  "Python ftplib (ABOR CRLF urgent)": "ABOR\r",
};

test("ABOR after Telnet IP and Synch, in every client's form, aborts too", async () => {
  const server = await startTestFtp({ bigFileBytes: BIG });
  const ftp = await RawFtp.login(server.port);
  for (const abor of Object.values(ABOR_AS_RECEIVED).map((text) => Buffer.from(text, "latin1"))) {
    await retrStarted(ftp);
    ftp.socket.write(abor);
    expect((await ftp.reply()).code).toBe(426);
    expect((await ftp.reply()).code).toBe(226);
  }
  await ftp.expect("NOOP", 200);
});

test("ABOR during STOR: 426 then 226, and no file is made", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  const data = await ftp.passive();
  await ftp.expect("STOR cut.bin", 150);
  await new Promise((resolve) => data.write(randomBytes(100_000), resolve));
  ftp.socket.write("ABOR\r\n");
  expect((await ftp.reply()).code).toBe(426);
  expect((await ftp.reply()).code).toBe(226);
  expect(existsSync(join(server.home, "cut.bin"))).toBe(false);
  expect(readdirSync(server.home)).toEqual([]); // no temporary file left either
});

test("STAT during a transfer answers at once with the progress; ABOR with no transfer is 226", async () => {
  const server = await startTestFtp({ bigFileBytes: BIG });
  const ftp = await RawFtp.login(server.port);
  await retrStarted(ftp);
  const stat = await ftp.command("STAT");
  expect(stat.text).toMatch(new RegExp(`^213 Status: RETR /${BIG_FILE}, \\d+ bytes so far$`));
  ftp.socket.write("ABOR\r\n");
  expect((await ftp.reply()).code).toBe(426);
  expect((await ftp.reply()).code).toBe(226);
  await ftp.expect("ABOR", 226); // nothing to abort
  await ftp.expect("STAT", 211); // no transfer: the server's status
});

test("QUIT during a transfer: the transfer finishes and answers first, then 221", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port);
  const data = await ftp.passive();
  const chunks: Buffer[] = [];
  data.on("data", (chunk: Buffer) => chunks.push(chunk));
  await ftp.expect(`RETR /${BIG_FILE}`, 150);
  ftp.socket.write("QUIT\r\n");
  expect((await ftp.reply()).code).toBe(226);
  expect((await ftp.reply()).code).toBe(221);
  expect(Buffer.concat(chunks).equals(readFileSync(join(server.pub, BIG_FILE)))).toBe(true);
});

test("Telnet on the control connection: IAC IAC is 0xFF, other IAC commands are dropped, across chunks", () => {
  const reader = new ControlLineReader();
  const bytes = Buffer.from(`NO\xff\xf1OP\r\nCWD a\xff\xffb\r\n\xff\xfb\x01\xff\xfd\x03PWD\r\n${Object.values(ABOR_AS_RECEIVED).join("")}NOOP\r\n`, "latin1");
  const lines: (string | null)[] = [];
  for (const byte of bytes) lines.push(...reader.push(Buffer.from([byte])));
  expect(lines).toEqual(["NOOP", `CWD a${Buffer.from([0xff]).toString("utf8")}b`, "PWD", "ABOR", "ABOR", "ABOR", "ABOR", "NOOP"]);
});

// Real urgent data (TCP MSG_OOB), which Node cannot send: Python sends it the way each client does.
const URGENT_ABORT_SCRIPT = `
import ftplib, json, socket, sys
port, form = int(sys.argv[1]), sys.argv[2]
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", port)
ftp.login()
conn = ftp.transfercmd("RETR /${BIG_FILE}")
first = conn.recv(65536)
replies = []
if form == "ftplib":
    replies.append(ftp.abort())  # ABOR CRLF, all of it urgent
elif form == "tnftp":
    ftp.sock.send(b"\\xff\\xf4\\xff", socket.MSG_OOB)
    ftp.sock.sendall(b"\\xf2ABOR\\r\\n")
    replies.append(ftp.getmultiline())
else:  # lftp
    ftp.sock.sendall(b"\\xff\\xf4\\xff")
    ftp.sock.send(b"\\xf2", socket.MSG_OOB)
    ftp.sock.sendall(b"ABOR\\r\\n")
    replies.append(ftp.getmultiline())
replies.append(ftp.getmultiline())
replies.append(ftp.voidcmd("NOOP"))
print(json.dumps({"first": len(first), "replies": [r[:3] for r in replies]}))
`;

describe.skipIf(!hasPython)("ABOR with real TCP urgent data", () => {
  for (const form of ["ftplib", "tnftp", "lftp"]) {
    test(`${form}'s way: 426, 226, and the session goes on`, async () => {
      const server = await startTestFtp({ bigFileBytes: BIG });
      const { code, stdout, stderr } = await runProgram("python3", ["-c", URGENT_ABORT_SCRIPT, String(server.port), form], { timeoutMs: 30_000 });
      expect(code, stderr).toBe(0);
      const result = JSON.parse(stdout.trim().split("\n").pop()!) as { first: number; replies: string[] };
      expect(result.first).toBeGreaterThan(0);
      expect(result.replies).toEqual(["426", "226", "200"]);
    });
  }
});

test("FEAT lists REST STREAM, and nothing it lists answers 502; SITE is 502", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  const feat = await ftp.expect("FEAT", 211);
  const listed = feat.text.split("\r\n").filter((line) => line.startsWith(" ")).map((line) => line.trim());
  expect(listed).toContain("REST STREAM");
  for (const feature of listed) {
    const reply = await ftp.command(feature === "UTF8" ? "OPTS UTF8 ON" : feature === "AUTH TLS" ? "NOOP" : `${feature.split(" ")[0]} ${feature.split(" ")[1] ?? "/README.txt"}`);
    expect(reply.code, `${feature} is listed but answers ${reply.text}`).not.toBe(502);
    await ftp.expect("NOOP", 200); // (an EPSV opened a data port: any reply above is fine)
  }
  await ftp.expect("SITE CHMOD 777 README.txt", 502);
  writeFileSync(join(server.home, "kept.txt"), "kept");
  await ftp.expect("SITE DELE kept.txt", 502);
  expect(existsSync(join(server.home, "kept.txt"))).toBe(true);
  await ftp.expect("SITE", 502);
});

test("STOU: with no name, or a taken one, a new name that its 150 tells (RFC 1123 §4.1.2.9)", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  for (const [command, name] of [["STOU", "upload.1"], ["STOU", "upload.2"], ["STOU notes.txt", "notes.txt"], ["STOU notes.txt", "notes.txt.1"]]) {
    const data = await ftp.passive();
    expect((await ftp.command(command)).text).toBe(`150 FILE: ${name}`);
    data.end(`content of ${name}`);
    expect((await ftp.reply()).code).toBe(226);
    expect(readFileSync(join(server.home, name), "utf8")).toBe(`content of ${name}`);
  }
});

test("TYPE A converts line ends both ways; A N and L 8 are accepted; E is 504, nonsense 501", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  await ftp.expect("TYPE A", 200);
  const data = await ftp.passive();
  await ftp.expect("STOR text.txt", 150);
  data.end("one\r\ntwo\r\nbare\rthree\n");
  expect((await ftp.reply()).code).toBe(226);
  expect(readFileSync(join(server.home, "text.txt"), "latin1")).toBe("one\ntwo\nbare\rthree\n");
  writeFileSync(join(server.home, "unix.txt"), "a\nb\r\nc\n\n");
  expect((await ftp.retr("unix.txt")).toString("latin1")).toBe("a\r\nb\r\nc\r\n\r\n");
  await ftp.expect("TYPE A N", 200);
  expect((await ftp.retr("unix.txt")).toString("latin1")).toBe("a\r\nb\r\nc\r\n\r\n");
  await ftp.expect("TYPE L 8", 200);
  expect((await ftp.retr("unix.txt")).toString("latin1")).toBe("a\nb\r\nc\n\n");
  await ftp.expect("TYPE E", 504);
  await ftp.expect("TYPE A T", 504);
  await ftp.expect("TYPE Z", 501);
  await ftp.expect("TYPE I", 200);
  expect((await ftp.retr("unix.txt")).toString("latin1")).toBe("a\nb\r\nc\n\n");
});

test("TYPE A: a CRLF cut between two TCP segments is still one line end", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  await ftp.expect("TYPE A", 200);
  const data = await ftp.passive();
  data.setNoDelay(true);
  await ftp.expect("STOR split.txt", 150);
  await new Promise((resolve) => data.write("x\r", resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  data.end("\ny\r");
  expect((await ftp.reply()).code).toBe(226);
  expect(readFileSync(join(server.home, "split.txt"), "latin1")).toBe("x\ny\r");
});

test("after EPSV ALL, PASV, PORT and EPRT are refused (RFC 2428 §4); EPSV still works", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port);
  await ftp.expect("EPSV ALL", 200);
  await ftp.expect("PASV", 503);
  await ftp.expect("PORT 127,0,0,1,200,10", 503);
  await ftp.expect("EPRT |1|127.0.0.1|51210|", 503);
  const epsv = await ftp.expect("EPSV", 229);
  expect(epsv.text).toMatch(/\(\|\|\|\d+\|\)/);
  await ftp.expect("EPSV 3", 522);
});

test("OPTS UTF8 ON before login is 200, as FEAT is (RFC 2389 §4; lftp sends it before USER)", async () => {
  const server = await startTestFtp();
  const { ftp } = await RawFtp.connect(server.port);
  await ftp.expect("OPTS UTF8 ON", 200);
  await ftp.expect("OPTS UTF8 FOO", 501);
  await ftp.expect("OPTS MLST type;", 501);
  await ftp.expect("PWD", 530); // the rest still needs a login
  await ftp.expect("USER anonymous", 331);
  await ftp.expect("PASS learner@example.com", 230);
  await ftp.expect("OPTS UTF8 ON", 200);
});

test("SIZE counts what would be sent in the current TYPE: in TYPE A each lone LF as CRLF (RFC 3659 §4)", async () => {
  const server = await startTestFtp();
  const ftp = await RawFtp.login(server.port, "me", "secret");
  // LFs alone, a CRLF already, and one LF at the start of a 1 MiB read (the byte before it is in the previous read).
  const text = Buffer.concat([Buffer.from("a\nb\r\nc\n\n"), Buffer.alloc(1024 * 1024 - 8, "x"), Buffer.from("\nend\r")]);
  writeFileSync(join(server.home, "text.txt"), text);
  await ftp.expect("TYPE I", 200);
  expect((await ftp.command("SIZE text.txt")).text).toBe(`213 ${text.length}`);
  await ftp.expect("TYPE A", 200);
  const size = await ftp.command("SIZE text.txt");
  expect(size.text).toBe(`213 ${text.length + 4}`);
  expect((await ftp.retr("text.txt")).length).toBe(text.length + 4); // what RETR really sends
  // A folder has no transfer size; too big a file in TYPE A is refused rather than read.
  await ftp.expect("MKD folder", 257);
  await ftp.expect("SIZE folder", 550);
  writeFileSync(join(server.home, "huge.bin"), "");
  truncateSync(join(server.home, "huge.bin"), 65 * 1024 * 1024); // sparse: no disk used
  expect((await ftp.command("SIZE huge.bin")).text).toMatch(/^550 .*SIZE not available in ASCII mode for files over 64 MiB/);
  await ftp.expect("TYPE I", 200);
  expect((await ftp.command("SIZE huge.bin")).text).toBe(`213 ${65 * 1024 * 1024}`);
});

test("many STOU at the same moment: each gets its own name, and every file is whole", async () => {
  const server = await startTestFtp();
  const clients = await Promise.all(Array.from({ length: 12 }, () => RawFtp.login(server.port, "me", "secret")));
  const datas = await Promise.all(clients.map((ftp) => ftp.passive()));
  // All the STOUs leave at once, before any client reads a reply.
  for (const ftp of clients) ftp.socket.write("STOU\r\n");
  const names = await Promise.all(
    clients.map(async (ftp, i) => {
      const reply = await ftp.reply();
      expect(reply.text).toMatch(/^150 FILE: upload\.\d+$/);
      datas[i].end(`client ${i}`);
      expect((await ftp.reply()).code).toBe(226);
      return { name: reply.text.slice("150 FILE: ".length), i };
    }),
  );
  expect(new Set(names.map(({ name }) => name)).size).toBe(clients.length);
  for (const { name, i } of names) expect(readFileSync(join(server.home, name), "utf8")).toBe(`client ${i}`);
  // A STOU whose upload fails leaves no empty file holding its name.
  const ftp = clients[0];
  const data = await ftp.passive();
  await ftp.expect("STOU cut.bin", 150);
  data.resetAndDestroy();
  expect((await ftp.reply()).code).toBe(426);
  expect(existsSync(join(server.home, "cut.bin"))).toBe(false);
});
