// Lesson 12's examples as real processes against the playground's FTP server:
// examples/ftp-basics.ts (the basic-ftp tour) and examples/ftp-tool.ts (the seeds' exercises
// as one command-line tool); and the README's Python ftplib and curl commands.
import net from "node:net";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hasPython, runExample, runProgram, hasCommand } from "../kit/processes.ts";
import { startFtpServer, type FtpServerHandle } from "../../servers/ftp/server.ts";
import { sampleFiles } from "../../servers/ftp/seed.ts";

let server: FtpServerHandle;
let dataDir: string;
let folder: string; // everything the examples save goes here
const seeded = new Map(sampleFiles().map(([path, content]) => [path, content]));
const BIG_FILE_BYTES = 3 * 1024 * 1024; // big enough for a progress bar (1 MB and more)

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ftp-tools-data-"));
  folder = mkdtempSync(join(tmpdir(), "ftp-tools-out-"));
  server = await startFtpServer({ dataDir, port: 0, bigFileBytes: BIG_FILE_BYTES });
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
});

const env = (more: Record<string, string> = {}) => ({ FTP_PORT: String(server.port), ...more });
const tool = (args: string[], more: Record<string, string> = {}) =>
  runExample("examples/ftp-tool.ts", { args, env: env(more), timeoutMs: 30_000 });
const out = (name: string) => join(folder, name);

function filesIn(root: string, prefix = ""): string[] {
  const paths: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) paths.push(...filesIn(root, path));
    else paths.push(path);
  }
  return paths.sort();
}

test("ftp-basics: the tour as me, then the public area; nothing left behind", async () => {
  const { code, stdout, stderr } = await runExample("examples/ftp-basics.ts", { env: env(), timeoutMs: 30_000 });
  expect(code, stdout + stderr).toBe(0);
  expect(stdout).toBe(
    [
      `Logged in to 127.0.0.1:${server.port} as me; the current folder is /`,
      "Made the folder practice/ and went into it: /practice",
      "Uploaded hello.txt (22 bytes); the server says it has 22 bytes",
      "Renamed it to greeting.txt; the folder now holds: greeting.txt (22 bytes)",
      'Downloaded greeting.txt: "Hello from basic-ftp!\\n"',
      "Deleted greeting.txt and removed practice/ again",
      "  file    README.txt",
      "  folder  docs",
      "  folder  large",
      "  folder  projects",
      "  folder  releases",
      "  folder  scripts",
      "",
    ].join("\n"),
  );
  expect(readdirSync(join(dataDir, "ftp", "home", "me"))).toEqual([]);
});

test("ftp-basics: a wrong password is reported, exit code 1", async () => {
  const { code, stderr } = await runExample("examples/ftp-basics.ts", { env: env({ FTP_PASSWORD: "wrong" }) });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^FTP error: 530 /);
});

test("ftp-tool newest: tool-1.10.0.tar.gz, byte for byte (17-1)", async () => {
  const { code, stdout, stderr } = await tool(["newest", "/releases", out("newest")]);
  expect(code, stderr).toBe(0);
  expect(stdout).toBe(`The newest release in /releases is tool-1.10.0.tar.gz: saved to ${join(out("newest"), "tool-1.10.0.tar.gz")}\n`);
  expect(readFileSync(join(out("newest"), "tool-1.10.0.tar.gz")).equals(seeded.get("releases/tool-1.10.0.tar.gz")!)).toBe(true);
});

test("ftp-tool get: a pattern (17-2), and a progress bar for the big file (17-3)", async () => {
  const pdfs = await tool(["get", "/docs", "doc*.pdf", out("pdfs")]);
  expect(pdfs.code, pdfs.stderr).toBe(0);
  expect(pdfs.stdout).toBe("3 file(s) matching doc*.pdf in /docs: doc-faq.pdf, doc-intro.pdf, doc-protocol.pdf\n");
  expect(filesIn(out("pdfs"))).toEqual(["doc-faq.pdf", "doc-intro.pdf", "doc-protocol.pdf"]);
  expect(pdfs.stderr, "no progress bar for small files").toBe("");

  const big = await tool(["get", "/large", "*.bin", out("big")]);
  expect(big.code, big.stderr).toBe(0);
  expect(big.stderr).toMatch(/^\[#{20}\] 100% {2}\d+(\.\d)? (B|KB|MB)\/s {2}\/large\/big-file\.bin\n$/);
  expect(readFileSync(join(out("big"), "big-file.bin")).equals(readFileSync(join(dataDir, "ftp/pub/large/big-file.bin")))).toBe(true);
});

test("ftp-tool mirror: nothing without -r, -r with -s, and -z into a valid zip (17-7, 17-10)", async () => {
  const flat = await tool(["mirror", "/projects", out("flat")]);
  expect(flat.code, flat.stderr).toBe(0);
  expect(flat.stdout).toContain(`Mirrored 0 file(s) from /projects into ${out("flat")} (add -r for sub-folders):`);

  const alpha = await tool(["mirror", "-r", "-s", "*.exe", "-s", "build", "/projects/alpha", out("alpha")]);
  expect(alpha.code, alpha.stderr).toBe(0);
  const expected = ["README.txt", "docs/doc-alpha.pdf", "src/main.py", "src/util.py"];
  expect(alpha.stdout).toBe(`Mirrored 4 file(s) from /projects/alpha into ${out("alpha")}:\n${expected.map((p) => `  ${p}\n`).join("")}`);
  expect(filesIn(out("alpha"))).toEqual(expected);

  const zipFile = out("projects.zip");
  const zipped = await tool(["mirror", "-r", "-z", zipFile, "/projects"]);
  expect(zipped.code, zipped.stderr).toBe(0);
  expect(zipped.stdout).toMatch(/^Zipped 9 file\(s\) from \/projects into .*projects\.zip \(\d+ bytes\):\n/);
  expect(readFileSync(zipFile).subarray(0, 4).toString("latin1")).toBe("PK\x03\x04");
  if (hasPython) {
    // Python's zipfile reads it back and checks every CRC.
    const check = await runProgram("python3", [
      "-c",
      "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, len(z.read(i)))",
      zipFile,
    ]);
    expect(check.code, check.stderr).toBe(0);
    const listed = check.stdout.trim().split("\n");
    expect(listed).toHaveLength(9);
    for (const line of listed) {
      const [name, size] = line.split(" ");
      expect(Number(size), name).toBe(seeded.get(`projects/${name}`)!.length);
    }
  }
});

test("ftp-tool parallel: every file, over -j connections (17-4)", async () => {
  const { code, stdout, stderr } = await tool(["parallel", "-j", "2", "/docs", "*", out("parallel")]);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^Downloaded 6 file\(s\) over 2 connection\(s\), at most 2 at a time, in \d+ ms\n$/);
  const names = ["doc-faq.pdf", "doc-intro.pdf", "doc-protocol.pdf", "guide.pdf", "notes.txt", "readme-first.txt"];
  expect(filesIn(out("parallel"))).toEqual(names);
  for (const name of names) expect(readFileSync(join(out("parallel"), name)).equals(seeded.get(`docs/${name}`)!)).toBe(true);
});

test("ftp-tool put: me uploads *.py (17-8); anonymous is refused", async () => {
  const local = out("to-upload");
  mkdirSync(local);
  writeFileSync(join(local, "a.py"), "print('a')\n");
  writeFileSync(join(local, "b.py"), "print('b')\n");
  writeFileSync(join(local, "c.txt"), "not this one\n");
  const me = await tool(["put", "*.py", "/", local], { FTP_USER: "me", FTP_PASSWORD: "secret" });
  expect(me.code, me.stderr).toBe(0);
  expect(me.stdout).toBe("Uploaded 2 file(s) matching *.py to /: a.py, b.py\n");
  expect(readFileSync(join(dataDir, "ftp/home/me/b.py"), "utf8")).toBe("print('b')\n");
  const anonymous = await tool(["put", "*.py", "/", local]);
  expect(anonymous.code).toBe(1);
  expect(anonymous.stderr).toMatch(/^ftp-tool: 550 /);
  rmSync(join(dataDir, "ftp/home/me/a.py"));
  rmSync(join(dataDir, "ftp/home/me/b.py"));
});

test("ftp-tool: usage for a wrong command (exit 2), a clear message without a server (exit 1)", async () => {
  const usage = await tool(["fetch"]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain("usage: ftp-tool.ts newest <remote-dir> [local-dir]");
  const closed = net.createServer().listen(0, "127.0.0.1");
  await once(closed, "listening");
  const port = (closed.address() as net.AddressInfo).port;
  closed.close();
  const none = await tool(["newest", "/releases", out("none")], { FTP_PORT: String(port) });
  expect(none.code).toBe(1);
  expect(none.stderr).toContain(`Could not connect to 127.0.0.1:${port}`);
  expect(none.stderr).toContain("npm start");
});

const LATEST = `
import ftplib, re, sys

def version(name):
    return tuple(int(n) for n in re.search(r'\\d+(?:\\.\\d+)+', name).group().split('.'))

f = ftplib.FTP()
f.connect('127.0.0.1', int(sys.argv[1]))
f.login()
f.cwd('releases')
names = [n for n in f.nlst() if re.search(r'\\d+\\.\\d+', n)]
print('sorted by name:   ', sorted(names)[-1])
newest = max(names, key=version)
print('sorted by version:', newest)
with open(sys.argv[2], 'wb') as out:
    f.retrbinary('RETR ' + newest, out.write)
f.quit()
`;

const PATTERN = `
import ftplib, fnmatch, os, sys

f = ftplib.FTP()
f.connect('127.0.0.1', int(sys.argv[1]))
f.login()
f.cwd('docs')
for name in f.nlst():
    if fnmatch.fnmatch(name, 'doc*.pdf'):
        with open(os.path.join(sys.argv[2], name), 'wb') as out:
            f.retrbinary('RETR ' + name, out.write)
        print('downloaded', name, f.size(name), 'bytes')
f.quit()
`;

test.skipIf(!hasPython)("the README's Python seeds: the newest release, and doc*.pdf with fnmatch", async () => {
  const latest = await runProgram("python3", ["-c", LATEST, String(server.port), out("py-latest.tar.gz")]);
  expect(latest.code, latest.stderr).toBe(0);
  expect(latest.stdout).toBe("sorted by name:    tool-1.9.2.tar.gz\nsorted by version: tool-1.10.0.tar.gz\n");
  expect(readFileSync(out("py-latest.tar.gz")).equals(seeded.get("releases/tool-1.10.0.tar.gz")!)).toBe(true);

  mkdirSync(out("py-docs"));
  const pattern = await runProgram("python3", ["-c", PATTERN, String(server.port), out("py-docs")]);
  expect(pattern.code, pattern.stderr).toBe(0);
  expect(pattern.stdout).toBe(
    "downloaded doc-faq.pdf 601 bytes\ndownloaded doc-intro.pdf 599 bytes\ndownloaded doc-protocol.pdf 601 bytes\n",
  );
});

const hasCurl = await hasCommand("curl");

test.skipIf(!hasCurl)("the README's curl upload: me may, anonymous gets 550; -Q DELE removes it", async () => {
  const file = out("up.py");
  writeFileSync(file, 'print("uploaded with curl")\n');
  const url = `ftp://127.0.0.1:${server.port}/`;
  const upload = await runProgram("curl", ["-sS", "-u", "me:secret", "-T", file, url]);
  expect(upload.code, upload.stderr).toBe(0);
  const listing = await runProgram("curl", ["-sS", "-u", "me:secret", url]);
  expect(listing.stdout).toMatch(/^-rw-r--r-- 1 1 1 +28 .* up\.py\r?$/m);
  const anonymous = await runProgram("curl", ["-sS", "-T", file, url]);
  expect(anonymous.code).toBe(25);
  expect(anonymous.stderr).toContain("curl: (25) Failed FTP upload: 550");
  const remove = await runProgram("curl", ["-sS", "-u", "me:secret", "-Q", "DELE up.py", "-o", "/dev/null", url]);
  expect(remove.code, remove.stderr).toBe(0);
  expect(readdirSync(join(dataDir, "ftp/home/me"))).not.toContain("up.py");
});
