// FTPS (RFC 4217): AUTH TLS on the control connection, PBSZ 0 and PROT P for TLS data
// connections, with the playground certificate — driven by curl, Python's ftplib and lftp,
// each trusting only that certificate (no "insecure" switch anywhere).

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { TEST_CERTIFICATE_DIR } from "../../servers/tls.ts";
import { hasCommand, hasPython, runProgram } from "../kit/processes.ts";
import { RawFtp, startTestFtp } from "./ftp-kit.ts";

const CA_FILE = join(TEST_CERTIFICATE_DIR, "TEST-ONLY-cert.pem");
const tls = { key: readFileSync(join(TEST_CERTIFICATE_DIR, "TEST-ONLY-key.pem"), "utf8"), cert: readFileSync(CA_FILE, "utf8") };
const hasCurl = await hasCommand("curl");
const hasLftp = await hasCommand("lftp");

/** Runs Python code; its last output line is JSON. */
async function python(code: string, args: string[]): Promise<unknown> {
  const { code: exit, stdout, stderr } = await runProgram("python3", ["-c", code, ...args], { timeoutMs: 25_000 });
  expect(exit, `python failed:\n${stderr}`).toBe(0);
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

test("FEAT lists AUTH TLS, PBSZ and PROT only when FTPS is on; PBSZ and PROT need AUTH TLS first", async () => {
  const plain = await startTestFtp();
  const ftp = await RawFtp.login(plain.port);
  expect((await ftp.expect("FEAT", 211)).text).not.toMatch(/AUTH|PBSZ|PROT/);
  await ftp.expect("AUTH TLS", 502);

  const secure = await startTestFtp({ tls });
  const { ftp: before } = await RawFtp.connect(secure.port);
  const feat = await before.expect("FEAT", 211);
  for (const feature of ["AUTH TLS", "PBSZ", "PROT"]) expect(feat.text).toContain(`\r\n ${feature}\r\n`);
  await before.expect("PBSZ 0", 503);
  await before.expect("PROT P", 503);
  await before.expect("AUTH SSL", 504);
});

describe.skipIf(!hasCurl)("curl --ssl-reqd", () => {
  test("downloads as anonymous and uploads as me, control and data in TLS", async () => {
    const server = await startTestFtp({ tls });
    const get = await runProgram("curl", ["-sS", "--ssl-reqd", "--cacert", CA_FILE, `ftp://127.0.0.1:${server.port}/README.txt`], { timeoutMs: 20_000 });
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(readFileSync(join(server.pub, "README.txt"), "utf8"));
    const local = join(mkdtempSync(join(tmpdir(), "ftps-curl-")), "up.txt");
    writeFileSync(local, "uploaded over FTPS\n");
    const put = await runProgram("curl", ["-sS", "--ssl-reqd", "--cacert", CA_FILE, "-u", "me:secret", "-T", local, `ftp://127.0.0.1:${server.port}/up.txt`], { timeoutMs: 20_000 });
    expect(put.code, put.stderr).toBe(0);
    expect(readFileSync(join(server.home, "up.txt"), "utf8")).toBe("uploaded over FTPS\n");
    for (const line of ["C: AUTH TLS\\r\\n", "S: 234 ", "C: PBSZ 0\\r\\n", "C: PROT P\\r\\n"]) {
      expect(server.trace.some((traced) => traced.includes(line)), line).toBe(true);
    }
  });
});

const FTPLIB_TLS_SCRIPT = `
import ftplib, io, json, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ftp = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=cafile))
ftp.connect("127.0.0.1", port)
ftp.login("me", "secret")  # AUTH TLS first: FTP_TLS does that
ftp.prot_p()
payload = bytes(range(256)) * 4000
ftp.storbinary("STOR data.bin", io.BytesIO(payload))
back = io.BytesIO()
ftp.retrbinary("RETR data.bin", back.write)
names = ftp.nlst()
lines = []
ftp.retrlines("LIST", lines.append)
ftp.quit()
print(json.dumps({"same": back.getvalue() == payload, "names": names, "list": len(lines)}))
`;

// The client hides "AUTH TLS\r\nDELE victim.txt\r\n" in one packet: the DELE must not run inside TLS.
const INJECTION_SCRIPT = `
import ftplib, json, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
context = ssl.create_default_context(cafile=cafile)
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", port)
ftp.sock.sendall(b"AUTH TLS\\r\\nDELE victim.txt\\r\\n")
auth = ftp.getresp()
ftp.sock = context.wrap_socket(ftp.sock, server_hostname="127.0.0.1")
ftp.file = ftp.sock.makefile("r", encoding="utf-8")
user = ftp.sendcmd("USER me")
ftp.sendcmd("PASS secret")
noop = ftp.sendcmd("NOOP")
print(json.dumps({"auth": auth[:3], "user": user[:3], "noop": noop[:3]}))
`;

describe.skipIf(!hasPython)("Python's ftplib FTP_TLS", () => {
  test("prot_p(): STOR, RETR, NLST and LIST over TLS data connections, exact bytes", async () => {
    const server = await startTestFtp({ tls });
    expect(await python(FTPLIB_TLS_SCRIPT, [String(server.port), CA_FILE])).toEqual({ same: true, names: ["data.bin"], list: 1 });
  });

  test("commands sent in the clear right after AUTH TLS are dropped, not run inside TLS", async () => {
    const server = await startTestFtp({ tls });
    writeFileSync(join(server.home, "victim.txt"), "still here");
    expect(await python(INJECTION_SCRIPT, [String(server.port), CA_FILE])).toEqual({ auth: "234", user: "331", noop: "200" });
    expect(existsSync(join(server.home, "victim.txt"))).toBe(true);
  });

  test("off loopback (requireTlsForLogin): USER me is refused before AUTH TLS and accepted after; anonymous needs no TLS", async () => {
    const server = await startTestFtp({ tls, requireTlsForLogin: true });
    const { ftp } = await RawFtp.connect(server.port);
    expect((await ftp.command("USER me")).code).toBe(530);
    await ftp.expect("USER anonymous", 331);
    await ftp.expect("PASS learner@example.com", 230);
    expect(await python(FTPLIB_TLS_SCRIPT, [String(server.port), CA_FILE])).toMatchObject({ same: true });
  });
});

describe.skipIf(!hasLftp)("lftp with ftp:ssl-force", () => {
  test("put and get with the CA file, data protected", async () => {
    const server = await startTestFtp({ tls });
    const dir = mkdtempSync(join(tmpdir(), "ftps-lftp-"));
    writeFileSync(join(dir, "up.txt"), "via lftp over TLS\n");
    const script = [
      "set ftp:ssl-force true; set ftp:ssl-protect-data true; set net:max-retries 1",
      `set ssl:ca-file ${CA_FILE}`,
      `open -u me,secret ftp://127.0.0.1:${server.port}`,
      "put up.txt -o lftp.txt",
      "get lftp.txt -o back.txt",
    ].join("; ");
    const run = await runProgram("lftp", ["-c", script], { cwd: dir, timeoutMs: 25_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(server.home, "lftp.txt"), "utf8")).toBe("via lftp over TLS\n");
    expect(readFileSync(join(dir, "back.txt"), "utf8")).toBe("via lftp over TLS\n");
    expect(server.trace.some((line) => line.includes("C: PROT P"))).toBe(true);
  });
});
