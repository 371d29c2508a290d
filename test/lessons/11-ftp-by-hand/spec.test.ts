// Spec for lessons/11-ftp-by-hand: a raw FTP client on node:net, against the playground's
// FTP server (anonymous and me/secret) and a scripted server that does the legal things a
// naive client gets wrong (multi-line replies, ASCII mode, the 226-vs-data race, NAT).
// The control connection goes through the network under test; data connections go
// straight to the server (the PASV reply names the server's port, not the proxy's).
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { expect } from "vitest";
import { Client } from "basic-ftp";
import { checkLesson, expectRejects, expectThrows, isNotStarted, type Network } from "../../kit/checker.ts";
import { codeWithoutComments } from "../../kit/source.ts";
import { sampleFiles, RELEASE_VERSIONS } from "../../../servers/ftp/seed.ts";
import { startPlaygroundFtp } from "./playground-ftp.ts";
import { startScriptedFtp, type ScriptedOptions } from "./scripted-server.ts";
import * as exercise from "../../../lessons/11-ftp-by-hand/exercise.ts";

type Lesson11 = typeof import("../../../lessons/11-ftp-by-hand/solution.ts");

const ANONYMOUS = { user: "anonymous", password: "learner@example.com" };
const seeded = new Map(sampleFiles().map(([path, content]) => [path, content]));

/** A file with every byte value, lone \n and \r\n line ends: TYPE A would change it. */
const BINARY = Buffer.concat([
  Buffer.from("line one\nline two\r\n"),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from("\nthe end\n"),
]);

async function scripted(network: Network, options: Partial<ScriptedOptions> = {}): Promise<number> {
  const server = await startScriptedFtp({ files: { "data.bin": BINARY, "notes.txt": Buffer.from("hi\n") }, ...options });
  network.defer(() => server.close());
  return network.tcp(server.port);
}

const NETWORK_TIMEOUT = 10_000;

checkLesson<Lesson11>("11-ftp-by-hand", {
  exercise,
  checks: [
    {
      name: "parsePasvReply: address and port (p1 × 256 + p2), whatever the wording",
      run({ parsePasvReply }) {
        expect(parsePasvReply("227 Entering Passive Mode (127,0,0,1,117,48).")).toEqual({ host: "127.0.0.1", port: 30000 });
        expect(parsePasvReply("227 Entering Passive Mode (192,168,1,20,4,1)")).toEqual({ host: "192.168.1.20", port: 1025 });
        expect(parsePasvReply("227 =10,0,0,7,255,255")).toEqual({ host: "10.0.0.7", port: 65535 });
        expect(parsePasvReply("227 Passive 127,0,0,1,0,21 ok")).toEqual({ host: "127.0.0.1", port: 21 });
        expectThrows(() => parsePasvReply("500 PASV not understood."), "parsePasvReply of a reply without six numbers");
      },
    },
    {
      name: "anonymous on the playground: CWD /releases, LIST, RETR the newest archive byte for byte",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const { port } = await startPlaygroundFtp(network);
        const file = `tool-${RELEASE_VERSIONS.at(-1)}.tar.gz`;
        const result = await listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/releases", file });
        for (const version of RELEASE_VERSIONS) expect(result.listing, "the listing names every release").toContain(`tool-${version}.tar.gz`);
        expect(result.listing).toContain("SHA256SUMS.txt");
        expect(Buffer.isBuffer(result.file), "file is a Buffer").toBe(true);
        expect(result.file.toString("hex"), "the archive's bytes, in hex").toBe(seeded.get(`releases/${file}`)!.toString("hex"));
      },
    },
    {
      name: "anonymous on the playground: a 300 KB file arrives whole over the data connection",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const { port, pubDir } = await startPlaygroundFtp(network);
        const result = await listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/large", file: "big-file.bin" });
        const expected = readFileSync(`${pubDir}/large/big-file.bin`);
        expect(result.listing).toContain("big-file.bin");
        expect(result.file.length, "bytes received").toBe(expected.length);
        expect(result.file.equals(expected), "the big file is byte-exact").toBe(true);
      },
    },
    {
      name: "me/secret on the playground: a binary file comes back exactly as uploaded",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const { port, directPort } = await startPlaygroundFtp(network);
        await upload(directPort, "upload.bin", BINARY); // straight to the server, not through the network under test
        const result = await listAndDownload({ host: "127.0.0.1", port, user: "me", password: "secret", directory: "/", file: "upload.bin" });
        expect(result.listing).toContain("upload.bin");
        expect(result.file.toString("hex"), "the file's bytes, in hex").toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "a wrong password (530) and a missing file (550) reject with the server's reply, no hang",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const { port } = await startPlaygroundFtp(network);
        const wrong = await expectRejects(
          listAndDownload({ host: "127.0.0.1", port, user: "me", password: "not-secret", directory: "/", file: "x" }),
          "listAndDownload with a wrong password",
        );
        expect(wrong.message, "the error shows the 530 reply").toContain("530");
        const missing = await expectRejects(
          listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/releases", file: "tool-9.9.9.tar.gz" }),
          "listAndDownload of a missing file",
        );
        expect(missing.message, "the error shows the 5xx reply").toMatch(/\b5\d\d\b/);
      },
    },
    {
      name: "scripted server: multi-line replies, and TYPE I keeps \\n and every byte as they are",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const port = await scripted(network);
        const result = await listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/pub", file: "data.bin" });
        expect(result.listing).toContain("data.bin");
        expect(result.file.toString("hex"), "data.bin in hex (0d0a where 0a was: TYPE I missing?)").toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "scripted server: the 226 reply arrives before the data — wait for the data connection's FIN too",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const port = await scripted(network, { finish: "226-first" });
        const result = await listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/pub", file: "data.bin" });
        expect(result.listing, "the listing sent after 226").toContain("data.bin");
        expect(result.file.toString("hex")).toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "scripted server: the 226 reply arrives after the data connection closed — wait for it",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        const port = await scripted(network, { finish: "226-late" });
        const result = await listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/pub", file: "data.bin" });
        expect(result.file.toString("hex")).toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "scripted server behind NAT: PASV announces a private address; connect to the host you know",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ listAndDownload }, network) {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): reserved for documentation, nothing answers there.
        const port = await scripted(network, { pasvHost: "192.0.2.1" });
        const result = await listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/pub", file: "notes.txt" });
        expect(result.file.toString()).toBe("hi\n");
      },
    },
    {
      name: "talks FTP itself: node:net, and no FTP library",
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const port = await scripted(network);
        const attempt = impl
          .listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/pub", file: "notes.txt" })
          .catch((err: unknown) => {
            if (isNotStarted(err)) throw err;
          });
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 300))]);
        attempt.catch(() => {});

        const path = network.sourceFile;
        const code = codeWithoutComments(path);
        expect(code, `${path} must not import an FTP library`).not.toMatch(
          /\b(from|import|require)\s*\(?\s*["'](basic-ftp|ftp|ftp-srv|promise-ftp|jsftp|ftp-client|ssh2-sftp-client|node-ftp)["']/,
        );
        expect(code, `${path} should use node:net`).toMatch(/["'](node:)?net["']/);
      },
    },
  ],
});

/** Puts a file into me's home with a real FTP client, straight to the server. */
async function upload(port: number, name: string, data: Buffer): Promise<void> {
  const client = new Client(5000);
  try {
    await client.access({ host: "127.0.0.1", port, user: "me", password: "secret" });
    await client.uploadFrom(Readable.from([data]), name);
  } finally {
    client.close();
  }
}
