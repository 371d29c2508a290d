// examples/ftp-raw-session.ts as a learner runs it, against the playground's FTP server;
// and the seed's Python ftplib and curl against the same server, as lesson 11 shows them.
import net from "node:net";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { pathToFileURL } from "node:url";
import { hasPython, runProgram, ROOT, hasCommand } from "../kit/processes.ts";
import { startFtpServer, type FtpServerHandle } from "../../servers/ftp/server.ts";
import { sampleFiles } from "../../servers/ftp/seed.ts";

let server: FtpServerHandle;
let dataDir: string;
let folder: string; // the example saves into downloads/ here, not in the repository
const seeded = new Map(sampleFiles().map(([path, content]) => [path, content]));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ftp-example-data-"));
  folder = mkdtempSync(join(tmpdir(), "ftp-example-out-"));
  server = await startFtpServer({ dataDir, port: 0, bigFileBytes: 200_000 });
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(folder, { recursive: true, force: true });
});

/**
 * `npx tsx examples/ftp-raw-session.ts …` run from `folder`, where it saves the file. (runExample
 * runs in the repository's folder; `--import tsx` must then name tsx by its full path.)
 */
function session(args: string[] = [], env: Record<string, string> = {}) {
  const tsx = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  return runProgram(process.execPath, ["--import", tsx, join(ROOT, "examples/ftp-raw-session.ts"), ...args], {
    cwd: folder,
    env: { HOST: "127.0.0.1", FTP_PORT: String(server.port), ...env },
    timeoutMs: 20_000,
  });
}

test("default run: anonymous, lists /releases and saves tool-1.10.0.tar.gz byte for byte", async () => {
  const { code, stdout, stderr } = await session();
  expect(code, stdout + stderr).toBe(0);
  const lines = stdout.split("\n");
  expect(lines.slice(0, 5)).toEqual([
    "S: 220 Ready",
    "C: USER anonymous",
    "S: 331 Username okay, awaiting password",
    "C: PASS learner@example.com",
    "S: 230 User logged in, proceed",
  ]);
  expect(stdout).toContain("C: TYPE I\nS: 200 ");
  expect(stdout).toMatch(/^S: 227 PASV OK \(127,0,0,1,\d+,\d+\)$/m);
  expect(stdout).toMatch(/^S: 229 EPSV OK \(\|\|\|\d+\|\)$/m);
  // The port the example connected to is the one computed from the 227 reply.
  const [, p1, p2] = /\(127,0,0,1,(\d+),(\d+)\)/.exec(stdout)!;
  expect(stdout).toContain(`→ 127.0.0.1:${Number(p1) * 256 + Number(p2)})`);
  expect(stdout).toMatch(/^ {3}\| -rw-r--r-- .* tool-1\.10\.0\.tar\.gz$/m);
  expect(stdout).toContain("S: 221 ");
  const expected = seeded.get("releases/tool-1.10.0.tar.gz")!;
  expect(stdout).toContain(`Saved downloads/tool-1.10.0.tar.gz (${expected.length} bytes)`);
  expect(readFileSync(join(folder, "downloads", "tool-1.10.0.tar.gz")).equals(expected)).toBe(true);
});

test("another folder and file: the big file arrives whole, in many chunks", async () => {
  const { code, stdout } = await session(["/large", "big-file.bin"]);
  expect(code, stdout).toBe(0);
  const expected = readFileSync(join(dataDir, "ftp/pub/large/big-file.bin"));
  expect(readFileSync(join(folder, "downloads", "big-file.bin")).equals(expected)).toBe(true);
  expect(stdout).toMatch(new RegExp(`after ${expected.length} bytes in \\d+ chunks`));
});

test("FTP_USER=me: the password is masked, a missing file is reported with the server's 550", async () => {
  const { code, stdout, stderr } = await session(["/", "nothing-here.txt"], { FTP_USER: "me", FTP_PASSWORD: "secret" });
  expect(code).toBe(1);
  expect(stdout).toContain("C: PASS ********");
  expect(stdout).not.toContain("secret");
  expect(stderr).toMatch(/Expected 150 or 125, the server said: 5\d\d /);
});

test("no server: a clear message and exit code 1", async () => {
  const closed = net.createServer().listen(0, "127.0.0.1");
  await once(closed, "listening");
  const port = (closed.address() as net.AddressInfo).port;
  closed.close();
  const { code, stderr } = await session([], { FTP_PORT: String(port) });
  expect(code).toBe(1);
  expect(stderr).toContain(`Could not connect to 127.0.0.1:${port}`);
  expect(stderr).toContain("npm start");
});

const SEED = `
import ftplib, sys
f = ftplib.FTP()
f.connect('127.0.0.1', int(sys.argv[1]))
f.set_debuglevel(1)
f.login()
f.cwd('releases')
print(f.nlst())
with open(sys.argv[2], 'wb') as out:
    f.retrbinary('RETR tool-1.10.0.tar.gz', out.write)
f.quit()
`;

test.skipIf(!hasPython)("the README's Python ftplib session: same conversation, same bytes", async () => {
  const file = join(folder, "from-python.tar.gz");
  const { code, stdout, stderr } = await runProgram("python3", ["-c", SEED, String(server.port), file]);
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("*resp* '230 User logged in, proceed'");
  expect(stdout).toContain("*cmd* 'TYPE I'");
  expect(stdout).toContain("['CHANGELOG.txt', 'SHA256SUMS.txt', 'tool-0.9.0.tar.gz', 'tool-1.10.0.tar.gz', 'tool-1.2.0.tar.gz', 'tool-1.9.2.tar.gz']");
  expect(readFileSync(file).equals(seeded.get("releases/tool-1.10.0.tar.gz")!)).toBe(true);
});

const hasCurl = await hasCommand("curl");

test.skipIf(!hasCurl)("the README's curl commands: a listing, a download, and active mode", async () => {
  const url = `ftp://127.0.0.1:${server.port}`;
  const listing = await runProgram("curl", ["-sS", `${url}/releases/`]);
  expect(listing.code, listing.stderr).toBe(0);
  expect(listing.stdout).toMatch(/^-rw-r--r-- 1 1 1 +231 May 28 {2}2024 tool-1\.10\.0\.tar\.gz\r?$/m);
  const file = join(folder, "from-curl.tar.gz");
  const download = await runProgram("curl", ["-sS", "-o", file, `${url}/releases/tool-1.10.0.tar.gz`]);
  expect(download.code, download.stderr).toBe(0);
  expect(readFileSync(file).equals(seeded.get("releases/tool-1.10.0.tar.gz")!)).toBe(true);
  const active = await runProgram("curl", ["-sS", "--ftp-port", "-", `${url}/docs/`]);
  expect(active.code, active.stderr).toBe(0);
  expect(active.stdout).toContain("doc-faq.pdf");
});
