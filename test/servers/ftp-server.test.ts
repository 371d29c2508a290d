// The FTP server as a part of the playground: its sample content, its trace, its
// options, and how it starts and stops (ftp-srv's process.exit traps removed).

import net from "node:net";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { expect, test } from "vitest";
import { ROOT, runProgram } from "../kit/processes.ts";
import { startFtpServer } from "../../servers/ftp/server.ts";
import { BIG_FILE, RELEASE_VERSIONS, sampleFiles } from "../../servers/ftp/seed.ts";
import { RawFtp, startTestFtp } from "./ftp-kit.ts";

test("the public area is seeded with the layout the exercises use", async () => {
  const server = await startTestFtp({ bigFileBytes: 123_456 });
  expect(readdirSync(server.pub).sort()).toEqual(["README.txt", "docs", "large", "projects", "releases", "scripts"]);
  expect(statSync(join(server.pub, BIG_FILE)).size).toBe(123_456);
  const docs = readdirSync(join(server.pub, "docs"));
  expect(docs.filter((name) => /^doc.*\.pdf$/.test(name)).sort()).toEqual(["doc-faq.pdf", "doc-intro.pdf", "doc-protocol.pdf"]);
  expect(docs).toContain("guide.pdf"); // a .pdf that doc*.pdf must NOT match
  expect(readdirSync(join(server.pub, "scripts")).filter((name) => name.endsWith(".py")).sort()).toEqual(["backup.py", "fetch.py", "hello.py"]);
  expect(existsSync(join(server.pub, "projects/beta/data/2024/january.txt"))).toBe(true);
  expect(readdirSync(server.home)).toEqual([]);
});

test("'latest release' needs a version comparison: a name sort picks the wrong one", () => {
  const archives = sampleFiles().map(([path]) => path).filter((path) => path.startsWith("releases/tool-"));
  const byName = [...archives].sort();
  expect(byName.at(-1)).toBe("releases/tool-1.9.2.tar.gz");
  const version = (path: string) => /tool-([\d.]+)\.tar\.gz$/.exec(path)![1].split(".").map(Number);
  const byVersion = [...archives].sort((a, b) => {
    const [x, y] = [version(a), version(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  expect(byVersion.at(-1)).toBe("releases/tool-1.10.0.tar.gz");
  expect(RELEASE_VERSIONS.at(-1)).toBe("1.10.0");
});

test("release archives are real .tar.gz files, listed in SHA256SUMS.txt", async () => {
  const files = new Map(sampleFiles().map(([path, content]) => [path, content]));
  const sums = files.get("releases/SHA256SUMS.txt")!.toString();
  for (const version of RELEASE_VERSIONS) {
    const archive = files.get(`releases/tool-${version}.tar.gz`)!;
    expect(sums).toContain(`${createHash("sha256").update(archive).digest("hex")}  tool-${version}.tar.gz`);
    const tar = gunzipSync(archive);
    expect(tar.subarray(257, 262).toString()).toBe("ustar");
    // tar itself agrees (when it is installed).
    const dir = mkdtempSync(join(tmpdir(), "ftp-tar-"));
    writeFileSync(join(dir, "a.tar.gz"), archive);
    const listing = await runProgram("tar", ["-xzvf", "a.tar.gz"], { cwd: dir }).catch(() => null);
    if (listing) {
      expect(listing.code, listing.stderr).toBe(0);
      expect(readFileSync(join(dir, `tool-${version}`, "VERSION"), "utf8")).toBe(`${version}\n`);
    }
  }
});

test("the PDFs are well-formed: every xref offset points at its object", () => {
  for (const [path, content] of sampleFiles().filter(([path]) => path.endsWith(".pdf"))) {
    const pdf = content.toString("latin1");
    expect(pdf.startsWith("%PDF-1.4\n"), path).toBe(true);
    expect(pdf.endsWith("%%EOF\n"), path).toBe(true);
    const xref = Number(/startxref\n(\d+)\n/.exec(pdf)![1]);
    expect(pdf.slice(xref, xref + 4)).toBe("xref");
    const offsets = [...pdf.slice(xref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets.length).toBe(5);
    offsets.forEach((offset, i) => expect(pdf.slice(offset, offset + 8), path).toBe(`${i + 1} 0 obj\n`));
  }
});

test("seeding happens once: a second start leaves the files as they are; seed: false writes none", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ftp-test-"));
  const first = await startFtpServer({ port: 0, dataDir, bigFileBytes: 1000 });
  await first.close();
  writeFileSync(join(dataDir, "ftp/pub/README.txt"), "changed by the teacher\n");
  const second = await startFtpServer({ port: 0, dataDir, bigFileBytes: 1000 });
  await second.close();
  expect(readFileSync(join(dataDir, "ftp/pub/README.txt"), "utf8")).toBe("changed by the teacher\n");

  const empty = mkdtempSync(join(tmpdir(), "ftp-test-"));
  const unseeded = await startFtpServer({ port: 0, dataDir: empty, seed: false });
  await unseeded.close();
  expect(readdirSync(join(empty, "ftp/pub"))).toEqual([]);
});

test("trace shows the control connection as C:/S: lines, with real passwords masked", async () => {
  const server = await startTestFtp();
  const me = await RawFtp.login(server.port, "me", "secret");
  await me.close();
  const anonymous = await RawFtp.login(server.port, "anonymous", "learner@example.com");
  await anonymous.expect("CWD releases", 250);
  await anonymous.close();
  expect(server.trace).toEqual(
    expect.arrayContaining([
      "ftp#1 C: [connected from 127.0.0.1:" + /connected from 127\.0\.0\.1:(\d+)/.exec(server.trace.join("\n"))![1] + "]",
      "ftp#1 S: 220 Ready\\r\\n",
      "ftp#1 C: USER me\\r\\n",
      "ftp#1 S: 331 Username okay, awaiting password\\r\\n",
      "ftp#1 C: PASS ********\\r\\n",
      "ftp#1 S: 230 User logged in, proceed\\r\\n",
      "ftp#2 C: PASS learner@example.com\\r\\n",
      "ftp#2 C: CWD releases\\r\\n",
      'ftp#2 S: 250 "/releases"\\r\\n',
    ]),
  );
  expect(server.trace.join("\n")).not.toContain("secret");
});

test("ftp-srv's process.exit() signal handlers are removed; close() stops the server and its clients", async () => {
  const before = ["SIGINT", "SIGTERM", "SIGQUIT"].map((signal) => process.listenerCount(signal));
  const dataDir = mkdtempSync(join(tmpdir(), "ftp-test-"));
  const server = await startFtpServer({ port: 0, dataDir, bigFileBytes: 1000 });
  expect(["SIGINT", "SIGTERM", "SIGQUIT"].map((signal) => process.listenerCount(signal))).toEqual(before);
  expect(server.url).toBe(`ftp://127.0.0.1:${server.port}`);

  const client = await RawFtp.login(server.port);
  await server.close();
  await server.close(); // twice is fine
  await once(client.socket, "close");
  const refused = net.connect(server.port, "127.0.0.1");
  const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
  expect(err.code).toBe("ECONNREFUSED");
});

test("a port in use rejects with Node's own error (code EADDRINUSE) and the port", async () => {
  const blocker = net.createServer().listen(0, "127.0.0.1");
  await once(blocker, "listening");
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const dataDir = mkdtempSync(join(tmpdir(), "ftp-test-"));
    const error = await startFtpServer({ port, dataDir, seed: false }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: "EADDRINUSE", port });
  } finally {
    blocker.close();
  }
});

test("passive data connections use the configured port range", async () => {
  // A range of one port the system just told us is free.
  const probe = net.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const free = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const server = await startTestFtp({ passivePorts: { min: free, max: free } });
  const ftp = await RawFtp.login(server.port);
  // Repeated PASV/EPSV without a transfer: each one frees the port the previous one took.
  for (let i = 0; i < 5; i++) {
    const reply = await ftp.expect("PASV", 227);
    const [p1, p2] = /,(\d+),(\d+)\)/.exec(reply.text)!.slice(1).map(Number);
    expect(p1 * 256 + p2).toBe(free);
    expect((await ftp.command("EPSV")).text).toBe(`229 EPSV OK (|||${free}|)`);
  }
});

test("accounts are configurable: each gets its own home; the default 'me' is gone", async () => {
  const server = await startTestFtp({ accounts: [{ user: "alice", password: "wonderland" }] });
  const { ftp } = await RawFtp.connect(server.port);
  await ftp.expect("USER me", 331);
  await ftp.expect("PASS secret", 530);
  await ftp.expect("USER alice", 331);
  await ftp.expect("PASS wonderland", 230);
  await ftp.expect("MKD made-by-alice", 257);
  expect(existsSync(join(server.dataDir, "ftp/home/alice/made-by-alice"))).toBe(true);
  await expect(startFtpServer({ port: 0, dataDir: server.dataDir, accounts: [{ user: "../evil", password: "x" }] })).rejects.toThrow(/user name/);
});

test("in its own process: silent without trace (no ftp-srv JSON log), and Ctrl-C ends it cleanly", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "ftp-test-"));
  const child = spawn(process.execPath, ["--import", "tsx", "test/bench/ftp-playground-server.ts", dataDir], { cwd: ROOT });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  try {
    while (!/Listening on \S+:(\d+)\n/.test(output)) {
      if (child.exitCode !== null) throw new Error(output);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const port = Number(/Listening on \S+:(\d+)/.exec(output)![1]);
    const ftp = await RawFtp.login(port, "me", "secret");
    await ftp.expect("CWD nowhere", 550);
    await ftp.expect("PASV", 227);
    await ftp.expect("PORT 127,0,0,2,4,1", 500);
    await ftp.expect("BOGUS", 502);
    ftp.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill("SIGINT");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    expect(output).toBe(`Listening on 127.0.0.1:${port}\n`);
  } finally {
    child.kill("SIGKILL");
  }
});

test("after close() the process ends at once, even after clients came and went", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/servers/ftp-close-exits.ts"], {
    timeoutMs: 20_000,
  });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("closed");
}, 30_000);
