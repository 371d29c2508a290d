// Spec for lessons/11-ftp-by-hand: a raw FTP client on node:net, against the playground's
// FTP server (anonymous and me/secret) and a scripted server that does the legal things a
// naive client gets wrong (multi-line replies, ASCII mode, the 226-vs-data race, NAT).
// The control connection goes through the network under test; data connections go
// straight to the server (the PASV reply names the server's port, not the proxy's).
import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { Client } from "basic-ftp";
import { checkLesson, expectRejects, expectThrows, isNotStarted, type Network } from "../../kit/checker.ts";
import { codeWithoutComments } from "../../kit/source.ts";
import { sampleFiles, RELEASE_VERSIONS } from "../../../servers/ftp/seed.ts";
import { startPlaygroundFtp } from "./playground-ftp.ts";
import { startScriptedFtp, type ScriptedOptions, type ScriptedServer } from "./scripted-server.ts";
import * as exercise from "../../../lessons/11-ftp-by-hand/exercise.ts";

type Lesson11 = typeof import("../../../lessons/11-ftp-by-hand/solution.ts");
type FtpJob = Parameters<Lesson11["listAndDownload"]>[0];
type FtpResult = Awaited<ReturnType<Lesson11["listAndDownload"]>>;

const ANONYMOUS = { user: "anonymous", password: "learner@example.com" };
const seeded = new Map(sampleFiles().map(([path, content]) => [path, content]));

/** A file with every byte value, lone \n and \r\n line ends: TYPE A would change it. */
const BINARY = Buffer.concat([
  Buffer.from("line one\nline two\r\n"),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from("\nthe end\n"),
]);

/** The files of the scripted server's /pub: a binary file, a text file, a name in UTF-8. */
const SCRIPTED_FILES = { "data.bin": BINARY, "notes.txt": Buffer.from("hi\n"), "Grüße-日本.txt": Buffer.from("ok\n") };

type Outcome =
  | { state: "resolved"; result: FtpResult }
  | { state: "rejected"; error: Error }
  | { state: "pending" };

/** Waits up to `ms` (or until `giveUp`) for `promise`: how did it end, if it did? */
async function settle(promise: Promise<FtpResult>, ms: number, giveUp: Promise<unknown>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ state: "pending" }), ms);
    void giveUp.then(() => resolve({ state: "pending" }));
  });
  const ended = promise.then(
    (result): Outcome => ({ state: "resolved", result }),
    (err: unknown): Outcome => ({ state: "rejected", error: err instanceof Error ? err : new Error(String(err)) }),
  );
  try {
    return await Promise.race([ended, pending]);
  } finally {
    clearTimeout(timer);
  }
}

interface Session {
  server: ScriptedServer;
  outcome: Outcome;
}

/**
 * One listAndDownload against the scripted server, through the network under test. Fails at
 * once when the client broke the protocol on the wire (bare \n, a command before the reply
 * to the previous one), whatever the outcome.
 */
async function scriptedSession(
  { listAndDownload }: Lesson11,
  network: Network,
  options: Partial<ScriptedOptions>,
  job: Partial<FtpJob> = {},
  waitMs = 6000,
): Promise<Session> {
  const server = await startScriptedFtp({ files: SCRIPTED_FILES, ...options });
  network.defer(() => server.close());
  const port = await network.tcp(server.port);
  const promise = listAndDownload({ host: "127.0.0.1", port, ...ANONYMOUS, directory: "/pub", file: "data.bin", ...job });
  // A mistake on the wire fails the check soon (after a moment, in case it finishes anyway).
  const outcome = await settle(promise, waitMs, server.firstMistake.then(() => sleep(300)));
  if (outcome.state === "rejected" && isNotStarted(outcome.error)) throw outcome.error;
  if (server.mistakes.length > 0) throw new Error(server.mistakes.join("\n"));
  return { server, outcome };
}

/** The session must have succeeded, ended with QUIT, and closed every connection. */
async function expectSuccess({ server, outcome }: Session, hint: string): Promise<FtpResult> {
  if (outcome.state === "pending") throw new Error(`listAndDownload has not finished after 6 s. ${hint}`);
  if (outcome.state === "rejected") throw new Error(`listAndDownload rejected: ${outcome.error.message}\n${hint}`);
  expect(server.commands.at(-1), "the last command: end the session with QUIT and read its 221 (RFC 959 §4.1.1)").toBe("QUIT");
  await expectAllClosed(server, "after a successful session");
  return outcome.result;
}

/** The session must have rejected with `code` in the message, and closed every connection. */
async function expectFailure({ server, outcome }: Session, code: string, what: string): Promise<void> {
  if (outcome.state === "pending") {
    throw new Error(`${what}: listAndDownload has not settled after 6 s — reject with the server's reply instead of waiting`);
  }
  if (outcome.state === "resolved") throw new Error(`${what}: listAndDownload resolved, it should reject with the ${code} reply`);
  expect(outcome.error.message, `${what}: the error should show the server's ${code} reply`).toContain(code);
  await expectAllClosed(server, `after the ${code} reply`);
}

async function expectAllClosed(server: ScriptedServer, when: string): Promise<void> {
  const open = await server.stillOpen(2500);
  if (open.length > 0) {
    throw new Error(
      `${when}, your client left ${open.join(" and ")} open (2.5 s later the server still had no FIN) — ` +
        "close every socket you opened, also when a reply is an error (a try … finally)",
    );
  }
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
      name: "talks FTP itself: node:net, and no FTP library",
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const server = await startScriptedFtp({ files: SCRIPTED_FILES });
        network.defer(() => server.close());
        const port = await network.tcp(server.port);
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
    {
      name: "scripted server: multi-line replies (RFC 959's example), a UTF-8 listing in pieces, TYPE I, QUIT, sockets closed",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const session = await scriptedSession(impl, network, {});
        const result = await expectSuccess(
          session,
          'The greeting and the reply to PASS are multi-line: lines such as "Second line", "  234 …" and "226 files …" are ' +
            'inside them; only a line starting with the reply\'s own code and a space ("220 ", "230 ") ends it (RFC 959 §4.2).',
        );
        expect(result.listing, "the listing names data.bin").toContain("data.bin");
        expect(
          result.listing,
          'the listing names "Grüße-日本.txt": its bytes are UTF-8, cut into pieces inside characters — decode them together, after the FIN',
        ).toContain("Grüße-日本.txt");
        expect(result.file.toString("hex"), "data.bin in hex (0d0a where 0a was: TYPE I missing? bytes changed: decoded as text?)").toBe(
          BINARY.toString("hex"),
        );
      },
    },
    {
      name: "scripted server: a wrong password (530) rejects with the reply and closes the control connection",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const session = await scriptedSession(impl, network, { password: "secret" }, { user: "me", password: "not-secret" });
        await expectFailure(session, "530", "a wrong password");
      },
    },
    {
      name: "scripted server: a missing file (550) rejects with the reply and closes the control and the data connection",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const session = await scriptedSession(impl, network, {}, { file: "missing.bin" });
        await expectFailure(session, "550", "RETR of a missing file");
      },
    },
    {
      name: "scripted server: the server drops the control connection without a reply — reject, do not wait",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const { server, outcome } = await scriptedSession(impl, network, { dropAt: "CWD" }, {}, 3000);
        if (outcome.state === "pending") {
          throw new Error(
            "the server closed the control connection when CWD arrived (no reply) and your client still waits, 3 s later: " +
              "when the control socket closes while you wait for a reply, reject",
          );
        }
        expect(outcome.state, "listAndDownload after the server dropped the connection").toBe("rejected");
        await server.dropped;
      },
    },
    {
      name: "scripted server: USER answered by 230 at once (no password needed), 125 instead of 150 before each transfer",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const session = await scriptedSession(impl, network, { loginAtUser: true, preliminary: 125 });
        const result = await expectSuccess(
          session,
          "Here USER is answered by 230 (logged in, no PASS needed: RFC 959 §5.4 allows it), and LIST and RETR by 125 " +
            '"data connection already open" instead of 150 — both are preliminary replies (RFC 959 §4.2): accept either.',
        );
        expect(session.server.commands, "after 230 to USER, PASS is not needed (the server would answer 503)").not.toContain("PASS ****");
        expect(result.file.toString("hex")).toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "scripted server: the 226 reply arrives before the data — wait for the data connection's FIN too",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const session = await scriptedSession(impl, network, { finish: "226-first" });
        const result = await expectSuccess(session, "The 226 came before the data: wait for the data connection's FIN as well.");
        expect(result.listing, "the listing sent after 226").toContain("data.bin");
        expect(result.file.toString("hex"), "data.bin, sent after the 226, in hex").toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "scripted server: the 226 reply arrives after the data connection closed — wait for it",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        const session = await scriptedSession(impl, network, { finish: "226-late" });
        const result = await expectSuccess(session, "The 226 comes after the data connection's FIN: read it before the next command.");
        expect(result.file.toString("hex")).toBe(BINARY.toString("hex"));
      },
    },
    {
      name: "scripted server behind NAT: PASV announces a private address; connect to the host you know",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run(impl, network) {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737): reserved for documentation, nothing answers there.
        const session = await scriptedSession(impl, network, { pasvHost: "192.0.2.1" }, { file: "notes.txt" });
        const result = await expectSuccess(session, "PASV named 192.0.2.1, which nobody can reach: connect to job.host, with the port from the reply.");
        expect(result.file.toString()).toBe("hi\n");
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
