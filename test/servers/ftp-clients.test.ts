// The "done when": real FTP clients, unchanged apart from host, port and
// credentials, work against the playground FTP server — Python's ftplib (as the seeds use
// it), curl, and basic-ftp (lesson 12's library) — in passive and in active mode.

import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Client } from "basic-ftp";
import { Readable, Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { onTestFinished } from "vitest";
import { hasPython, runProgram, hasCommand } from "../kit/processes.ts";
import { BIG_FILE } from "../../servers/ftp/seed.ts";
import { eventually, startTestFtp } from "./ftp-kit.ts";

const hasCurl = await hasCommand("curl");

/** Runs Python code; its last output line is JSON. */
async function python(code: string, args: string[]): Promise<unknown> {
  const { code: exit, stdout, stderr } = await runProgram("python3", ["-c", code, ...args], { timeoutMs: 25_000 });
  expect(exit, `python failed:\n${stderr}`).toBe(0);
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

// Written the way the seeds write it: ftplib, anonymous login, browse, download.
const ANONYMOUS_SCRIPT = `
import ftplib, hashlib, json, sys
port, passive = int(sys.argv[1]), sys.argv[2] == "passive"
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", port)
ftp.login()  # anonymous, password "anonymous@"
ftp.set_pasv(passive)
top = ftp.nlst()
ftp.cwd("releases")
releases = ftp.nlst()
lines = []
ftp.retrlines("LIST", lines.append)
chunks = []
ftp.retrbinary("RETR tool-1.10.0.tar.gz", chunks.append)
big = hashlib.sha256()
ftp.retrbinary("RETR /${BIG_FILE}", big.update, blocksize=65536)
ftp.quit()
print(json.dumps({"top": top, "releases": releases, "list": lines, "archive": b"".join(chunks).hex(), "big": big.hexdigest()}))
`;

// A user session: every command of the list, with exact bytes.
const USER_SCRIPT = `
import ftplib, io, json, sys
port, passive = int(sys.argv[1]), sys.argv[2] == "passive"
payload = bytes(range(256)) * 1000 + b"\\r\\n\\n\\r end"
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", port)
ftp.login("me", "secret")
ftp.set_pasv(passive)
made = ftp.mkd("work")
ftp.cwd("work")
pwd = ftp.pwd()
ftp.storbinary("STOR data.bin", io.BytesIO(payload))
size = ftp.size("data.bin")
back = io.BytesIO()
ftp.retrbinary("RETR data.bin", back.write)
ftp.rename("data.bin", "renamed.bin")
after_rename = sorted(ftp.nlst())
again = io.BytesIO()
ftp.retrbinary("RETR renamed.bin", again.write)
ftp.delete("renamed.bin")
after_delete = ftp.nlst()
ftp.cwd("/")
ftp.rmd("work")
gone = ftp.nlst()
ftp.quit()
print(json.dumps({"made": made, "pwd": pwd, "size": size, "same": back.getvalue() == payload,
  "sameAfterRename": again.getvalue() == payload, "afterRename": after_rename,
  "afterDelete": after_delete, "gone": gone, "payloadSize": len(payload)}))
`;

describe.skipIf(!hasPython)("Python's ftplib", () => {
  for (const mode of ["passive", "active"]) {
    test(`anonymous: browse and download exact bytes (${mode} mode)`, async () => {
      const server = await startTestFtp();
      const result = (await python(ANONYMOUS_SCRIPT, [String(server.port), mode])) as Record<string, unknown>;
      expect(result.top).toEqual(["README.txt", "docs", "large", "projects", "releases", "scripts"]);
      expect(result.releases).toEqual(expect.arrayContaining(["tool-1.2.0.tar.gz", "tool-1.9.2.tar.gz", "tool-1.10.0.tar.gz"]));
      expect((result.list as string[]).some((line) => /^-.* 20\d\d tool-1\.10\.0\.tar\.gz$/.test(line))).toBe(true);
      expect(result.archive).toBe(readFileSync(join(server.pub, "releases/tool-1.10.0.tar.gz")).toString("hex"));
      const { createHash } = await import("node:crypto");
      expect(result.big).toBe(createHash("sha256").update(readFileSync(join(server.pub, BIG_FILE))).digest("hex"));
      if (mode === "active") expect(server.trace.some((line) => / C: PORT 127,0,0,1,/.test(line))).toBe(true);
      else expect(server.trace.some((line) => / S: 227 .*\(127,0,0,1,\d+,\d+\)/.test(line))).toBe(true);
    });

    test(`user me: MKD CWD STOR SIZE RETR RNFR/RNTO DELE RMD with exact bytes (${mode} mode)`, async () => {
      const server = await startTestFtp();
      const result = (await python(USER_SCRIPT, [String(server.port), mode])) as Record<string, unknown>;
      expect(result).toEqual({
        made: "/work",
        pwd: "/work",
        size: result.payloadSize,
        same: true,
        sameAfterRename: true,
        afterRename: ["renamed.bin"],
        afterDelete: [],
        gone: [],
        payloadSize: 256_000 + 8,
      });
      expect(existsSync(join(server.home, "work"))).toBe(false);
    });
  }

  test("a wrong password is refused with 530 and error_perm", async () => {
    const server = await startTestFtp();
    const result = await python(
      `
import ftplib, json, sys
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", int(sys.argv[1]))
try:
    ftp.login("me", "wrong")
    print(json.dumps("logged in?!"))
except ftplib.error_perm as e:
    print(json.dumps(str(e)))
`,
      [String(server.port)],
    );
    expect(result).toMatch(/^530 /);
  });
});

describe.skipIf(!hasCurl)("curl ftp://", () => {
  test("lists a folder and downloads a file", async () => {
    const server = await startTestFtp();
    const list = await runProgram("curl", ["-sS", `ftp://127.0.0.1:${server.port}/docs/`]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/ doc-intro\.pdf\r?\n/);
    const names = await runProgram("curl", ["-sS", "--list-only", `ftp://127.0.0.1:${server.port}/scripts/`]);
    expect(names.stdout.split(/\r?\n/).filter(Boolean).sort()).toEqual(["backup.py", "fetch.py", "hello.py", "install.exe", "notes.txt"]);
    const file = await runProgram("curl", ["-sS", `ftp://127.0.0.1:${server.port}/README.txt`]);
    expect(file.stdout).toBe(readFileSync(join(server.pub, "README.txt"), "utf8"));
  });

  test("curl -T uploads as me (EPSV), and --ftp-port - downloads in active mode (EPRT)", async () => {
    const server = await startTestFtp();
    const upload = join(server.dataDir, "upload-source.txt");
    writeFileSync(upload, "uploaded by curl\n".repeat(500));
    const put = await runProgram("curl", ["-sS", "-T", upload, `ftp://me:secret@127.0.0.1:${server.port}/from-curl.txt`]);
    expect(put.code, put.stderr).toBe(0);
    expect(readFileSync(join(server.home, "from-curl.txt"), "utf8")).toBe("uploaded by curl\n".repeat(500));
    expect(server.trace.some((line) => / S: 229 /.test(line))).toBe(true);

    const get = await runProgram("curl", ["-sS", "--ftp-port", "-", `ftp://me:secret@127.0.0.1:${server.port}/from-curl.txt`]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe("uploaded by curl\n".repeat(500));
    expect(server.trace.some((line) => / C: (EPRT|PORT) /.test(line))).toBe(true);
    // The password never appears in the trace.
    expect(server.trace.filter((line) => line.includes("secret"))).toEqual([]);
  });

  test("anonymous curl -T is refused and nothing is written", async () => {
    const server = await startTestFtp();
    const upload = join(server.dataDir, "upload-source.txt");
    writeFileSync(upload, "should not arrive\n");
    const put = await runProgram("curl", ["-sS", "-T", upload, `ftp://127.0.0.1:${server.port}/sneaky.txt`]);
    expect(put.code).not.toBe(0);
    expect(put.stderr).toMatch(/550/);
    expect(existsSync(join(server.pub, "sneaky.txt"))).toBe(false);
  });
});

test("basic-ftp (lesson 12's library): list, upload, download, rename, remove", async () => {
  const server = await startTestFtp();
  const client = new Client(10_000);
  try {
    await client.access({ host: "127.0.0.1", port: server.port, user: "me", password: "secret" });
    await client.ensureDir("/a/b");
    await client.uploadFrom(Readable.from([Buffer.from("basic-ftp bytes\n")]), "file.txt");
    expect((await client.list()).map((f) => f.name)).toEqual(["file.txt"]);
    const chunks: Buffer[] = [];
    await client.downloadTo(new Writable({ write: (chunk, _e, done) => (chunks.push(chunk), done()) }), "file.txt");
    expect(Buffer.concat(chunks).toString()).toBe("basic-ftp bytes\n");
    await client.rename("file.txt", "/moved.txt");
    expect(readFileSync(join(server.home, "moved.txt"), "utf8")).toBe("basic-ftp bytes\n");
    await client.removeDir("/a");
    expect((await client.list("/")).map((f) => f.name)).toEqual(["moved.txt"]);
  } finally {
    client.close();
  }
});

const hasLftp = await hasCommand("lftp");

describe.skipIf(!hasLftp)("lftp", () => {
  test("put -c resumes a cut-off upload (REST + STOR), and the result is the whole file", async () => {
    const server = await startTestFtp();
    const { randomBytes } = await import("node:crypto");
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const local = join(mkdtempSync(join(tmpdir(), "ftp-lftp-")), "whole.bin");
    const whole = randomBytes(1_000_000);
    writeFileSync(local, whole);
    writeFileSync(join(server.home, "whole.bin"), whole.subarray(0, 400_000)); // what a cut-off upload left
    const lftp = (commands: string) =>
      runProgram("lftp", ["-c", `set net:max-retries 1; set net:timeout 10; open -u me,secret ftp://127.0.0.1:${server.port}; ${commands}`], { timeoutMs: 25_000 });
    const put = await lftp(`put -c ${local} -o whole.bin`);
    expect(put.code, put.stderr).toBe(0);
    expect(readFileSync(join(server.home, "whole.bin")).equals(whole)).toBe(true);
    expect(server.trace.filter((line) => / C: (REST|STOR|APPE) /.test(line))).toEqual(["ftp#1 C: REST 400000\\r\\n", "ftp#1 C: STOR whole.bin\\r\\n"]);
  });
});

/** A client program fed its commands on stdin while it runs (so the test can act mid-transfer). */
function interactive(command: string, args: string[], cwd: string) {
  const child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  onTestFinished(() => {
    child.kill("SIGKILL");
  });
  return { child, type: (line: string) => child.stdin.write(`${line}\n`), output: () => output };
}

/** The codes of the replies that followed the client's ABOR on its control connection. */
function repliesToAbor(trace: string[]): number[] {
  const abor = trace.findIndex((line) => / C: .*ABOR\\r\\n$/.test(line));
  if (abor === -1) return [];
  const session = trace[abor].split(" ")[0];
  return trace
    .slice(abor + 1)
    .filter((line) => line.startsWith(`${session} S: `))
    .map((line) => Number(line.split(" ")[2]));
}

/** A download under way: the server has sent 150 for RETR of the big file. */
const downloading = (trace: string[]) => trace.some((line) => / S: 150 /.test(line));
describe.skipIf(!hasLftp)("lftp aborting a download", () => {
  test("kill of a running get sends ABOR (IAC IP IAC + urgent DM): 426 then 226, and the session goes on", async () => {
    const server = await startTestFtp({ bigFileBytes: 20 * 1024 * 1024 });
    // At 100 KB/s the download takes minutes; 5 s in, it is under way even on a busy machine.
    // (lftp fed on stdin does not run "kill all" while a job runs, so this is one script.)
    const script = [
      "set net:limit-rate 100000; set net:max-retries 1; set cmd:fail-exit no",
      `open -u anonymous,learner@example.com ftp://127.0.0.1:${server.port}`,
      `get /${BIG_FILE} -o big.bin &`,
      "sleep 5",
      "kill all",
      "cls -1 /",
    ].join("; ");
    const run = await runProgram("lftp", ["-c", script], { cwd: mkdtempSync(join(tmpdir(), "ftp-lftp-")), timeoutMs: 40_000 });
    expect(server.trace.some((line) => / C: RETR /.test(line)), "the download started").toBe(true);
    expect(repliesToAbor(server.trace).slice(0, 2)).toEqual([426, 226]);
    expect(run.stdout).toContain("/releases/");
  }, 60_000);
});

const hasTnftp = await runProgram("sh", ["-c", "command -v tnftp"]).then((r) => r.code === 0, () => false);

describe.skipIf(!hasTnftp)("tnftp", () => {
  test("reget resumes a cut-off download: FEAT lists REST STREAM, so tnftp sends REST", async () => {
    const server = await startTestFtp();
    const dir = mkdtempSync(join(tmpdir(), "ftp-tnftp-"));
    const whole = readFileSync(join(server.pub, BIG_FILE));
    writeFileSync(join(dir, "big-file.bin"), whole.subarray(0, 100_000));
    const commands = "user anonymous learner@example.com\nbinary\ncd large\nreget big-file.bin\nquit\n";
    const run = await runProgram("tnftp", ["-n", "127.0.0.1", String(server.port)], { stdin: commands, cwd: dir, timeoutMs: 25_000 });
    expect(run.stdout + run.stderr).not.toContain("Restart is not supported");
    expect(server.trace).toContain("ftp#1 C: REST 100000\\r\\n");
    expect(readFileSync(join(dir, "big-file.bin")).equals(whole)).toBe(true);
  });

  test("Ctrl-C during get sends IAC IP (IAC urgent) DM ABOR: 426 then 226, and the session goes on", async () => {
    const server = await startTestFtp({ bigFileBytes: 20 * 1024 * 1024 });
    const tnftp = interactive("tnftp", ["-n", "127.0.0.1", String(server.port)], mkdtempSync(join(tmpdir(), "ftp-tnftp-")));
    tnftp.type("user anonymous learner@example.com\nbinary\nrate get 100000");
    tnftp.type(`get /${BIG_FILE} big.bin`);
    await eventually("the download has started", () => downloading(server.trace), 20_000);
    tnftp.child.kill("SIGINT");
    await eventually("ABOR answered twice", () => repliesToAbor(server.trace).length >= 2, 20_000);
    expect(repliesToAbor(server.trace).slice(0, 2)).toEqual([426, 226]);
    tnftp.type("pwd\nquit");
    await eventually("tnftp asked PWD after the abort", () => server.trace.some((line) => / S: 257 /.test(line)), 20_000);
  }, 60_000);
});
