// Lesson 13's examples as a learner runs them, against a fresh playground news server with its
// seed discussions: the raw NNTP conversation (reading, and POST with dot lines), the book's
// getLatestNNTP in TypeScript, and the same in Python with nntplib.
import net from "node:net";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hasPython, runExample, runProgram } from "../kit/processes.ts";
import { startNewsServer, type NewsServerHandle } from "../../servers/news/index.ts";
import { NntpClient, meaningfulLines } from "../../lessons/13-network-news/solution.ts";

let server: NewsServerHandle;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "news-examples-"));
  server = await startNewsServer({ port: 0, dataDir });
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = () => ({ NNTP_PORT: String(server.port) });
const direct = () => NntpClient.connect("127.0.0.1", server.port);
const word = () => `w${randomBytes(5).toString("hex")}`;

/** A port nothing listens on: listen on 0, read the port, close. */
async function deadPort(): Promise<number> {
  const probe = net.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}

test("nntp-by-hand: GROUP's numbers, the current article pointer, OVER's TAB-separated lines, QUIT", async () => {
  const client = await direct();
  const group = await client.group("comp.lang.python");
  const first = await client.stat();
  await client.quit();

  const { code, stdout, stderr } = await runExample("examples/nntp-by-hand.ts", { env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^S: 200 .*\\r\\n$/m); // the greeting, CRLF made visible
  expect(stdout).toContain("C: GROUP comp.lang.python\\r\\n");
  expect(stdout).toContain(`S: 211 ${group.count} ${group.first} ${group.last} comp.lang.python\\r\\n`);
  expect(stdout).toMatch(new RegExp(`C: STAT\\\\r\\\\n\\nS: 223 ${first.number} ${first.messageId.replace(/[.$]/g, "\\$&")}`));
  expect(stdout).toMatch(/C: NEXT\\r\\n\nS: 223 \d+ </);
  expect(stdout).toContain(`C: OVER ${group.last - 2}-${group.last}\\r\\n`);
  expect(stdout).toMatch(new RegExp(`^S: ${group.last}\\\\t[^\\n]+\\\\t\\d+\\\\t\\d+\\\\r\\\\n$`, "m")); // number\t…\tbytes\tlines
  expect(stdout).toContain(`C: BODY ${group.last}\\r\\n`);
  expect(stdout).toMatch(/C: QUIT\\r\\n\nS: 205 /);
  expect(stdout).toContain(`comp.lang.python: about ${group.count} articles, numbered ${group.first} to ${group.last}.`);
});

test("nntp-by-hand --post: the dots are stuffed on the wire both ways, and stored without them", async () => {
  const { code, stdout, stderr } = await runExample("examples/nntp-by-hand.ts", { args: ["--post"], env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/C: POST\\r\\n\nS: 340 /);
  expect(stdout).toContain("C: ..profile and .bashrc are hidden files\\r\\n"); // one dot added by the client
  expect(stdout).toContain("C: ..\\r\\n"); // a line that is only "."
  expect(stdout).toMatch(/C: \.\\r\\n\nS: 240 /); // the real end of the article
  expect(stdout).toContain("S: ..profile and .bashrc are hidden files\\r\\n"); // BODY: stuffed again by the server
  const messageId = /C: BODY (<[^>]+>)/.exec(stdout)?.[1];
  expect(messageId, stdout).toBeDefined();

  const client = await direct();
  expect(await client.body(messageId!)).toEqual([
    "The next lines start with a dot:",
    ".profile and .bashrc are hidden files",
    ".",
    "If you read this line, the dots above survived the trip.",
  ]);
  expect((await client.group("playground.test")).last, "the article is in playground.test").toBeGreaterThan(0);
  await client.quit();
});

test("nntp-by-hand without a server says how to start one", async () => {
  const { code, stderr } = await runExample("examples/nntp-by-hand.ts", { env: { NNTP_PORT: String(await deadPort()) } });
  expect(code).toBe(1);
  expect(stderr).toMatch(/Could not connect to 127\.0\.0\.1:\d+ .*npm start/);
});

test("news-latest: From and Subject of the latest article, then its meaningful lines (quotes out, >>> in)", async () => {
  // A fresh article, so that the latest one is ours and its words are new.
  const [w1, w2, w3] = [word(), word(), word()];
  const messageId = `<${word()}@examples.test>`;
  const client = await direct();
  await client.post(
    [
      `From: Example <${w1}@example.com>`,
      "Newsgroups: comp.lang.python",
      `Subject: Re: ${w1}`,
      `Message-ID: ${messageId}`,
      "",
      `${w1} <${w1}@example.com> wrote:`,
      `> quoted ${w2}`,
      "",
      "",
      `Try this, ${w3}:`,
      "",
      ">>> import socket",
      "",
      "",
      "",
      "Bye",
    ].join("\n"),
  );
  const { last } = await client.group("comp.lang.python");
  await client.quit();

  const { code, stdout, stderr } = await runExample("examples/news-latest.ts", { env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain("*** Found newsgroup comp.lang.python");
  expect(stdout).toContain(`*** Found latest article (#${last}):`);
  expect(stdout).toContain(`From: Example <${w1}@example.com>`);
  expect(stdout).toContain(`Subject: Re: ${w1}`);
  expect(stdout.split("*** First (<= 20) meaningful lines:\n\n")[1]).toBe(
    `    Try this, ${w3}:\n    \n    >>> import socket\n    \n    Bye\n`,
  );
  expect(stdout).not.toContain(w2);
});

test("news-latest --first: the group's first article, RFC 2047 headers decoded", async () => {
  const client = await direct();
  const { first } = await client.group("cn.comp.lang.python");
  const body = await client.body(first);
  await client.quit();

  const { code, stdout, stderr } = await runExample("examples/news-latest.ts", { args: ["cn.comp.lang.python", "--first"], env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain(`*** Found first article (#${first}):`);
  expect(stdout).toMatch(/^Subject: [^=\n]*\p{Script=Han}/mu); // decoded, not =?UTF-8?B?…?=
  for (const line of meaningfulLines(body)) expect(stdout).toContain(`    ${line}\n`);
});

test("news-latest with a group that does not exist stops with the server's 411", async () => {
  const { code, stderr } = await runExample("examples/news-latest.ts", { args: ["no.such.group"], env: env() });
  expect(code).toBe(1);
  expect(stderr).toMatch(/ERROR: NNTP GROUP failed: the server said 411 /);
});

const nntplibMissing = !hasPython || (await runProgram("python3", ["-W", "ignore", "-c", "import nntplib"])).code !== 0;

test.skipIf(nntplibMissing)("get_latest.py (nntplib) prints the same article and the same meaningful lines as news-latest", async () => {
  const args = ["127.0.0.1", String(server.port)];
  const python = await runProgram("python3", ["lessons/13-network-news/get_latest.py", ...args]);
  const typescript = await runExample("examples/news-latest.ts", { env: env() });
  expect(python.code, python.stderr).toBe(0);
  expect(python.stderr, "no DeprecationWarning (Python 3.11, 3.12)").toBe("");
  const number = /\*\*\* Found latest article \(#(\d+)\)/.exec(typescript.stdout)?.[1];
  expect(python.stdout).toContain(`*** Found last article (#${number}):`);
  const lines = (output: string) => output.split("*** First (<= 20) meaningful lines:\n\n")[1]!.trimEnd();
  expect(lines(python.stdout)).toBe(lines(typescript.stdout));
});
if (nntplibMissing) console.warn("skipped get_latest.py: python3 with nntplib is missing (Python 3.13+: pip install standard-nntplib)");

test("news-threads: the group's threads, replies indented under what they answer", async () => {
  const topic = word();
  const [root, reply] = [`<${word()}@examples.test>`, `<${word()}@examples.test>`];
  const client = await direct();
  const post = (messageId: string, references: string) =>
    client.post(`From: T <t@example.com>\nNewsgroups: comp.protocols.tcp-ip\nSubject: ${references ? "Re: " : ""}${topic}\nMessage-ID: ${messageId}\n${references ? `References: ${references}\n` : ""}\nbody\n`);
  await post(root, "");
  await post(reply, root);
  await post(`<${word()}@examples.test>`, `<expired.${word()}@examples.test>`); // what it answers is not here
  const { last } = await client.group("comp.protocols.tcp-ip");
  await client.quit();

  const { code, stdout, stderr } = await runExample("examples/news-threads.ts", { args: ["comp.protocols.tcp-ip"], env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toContain(`${last - 2} ${topic}  (T)\n    ${last - 1} └ Re: ${topic}  (T)\n${last} Re: ${topic}  (T)  [parent expired]\n`);
});

test("news-search: AND binds tighter than OR, over subjects and bodies", async () => {
  const [a, b, c] = [word(), word(), word()];
  const client = await direct();
  const post = (subject: string, body: string) =>
    client.post(`From: S <s@example.com>\nNewsgroups: playground.test\nSubject: ${subject}\nMessage-ID: <${word()}@examples.test>\n\n${body}\n`);
  await post(`${a} only`, "nothing");
  await post("both", `${a} and ${b}`);
  await post(`${c} here`, "");
  const { last } = await client.group("playground.test");
  await client.quit();

  const { code, stdout, stderr } = await runExample("examples/news-search.ts", { args: [`${c} OR ${a} AND ${b}`, "playground.test"], env: env() });
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(new RegExp(`^2 of \\d+ articles in playground.test match`));
  expect(stdout).toContain(`  ${last - 1}  both\n  ${last}  ${c} here\n`);
});

test("news-search without quotes around the query says so, instead of looking for a group named AND", async () => {
  const { code, stderr } = await runExample("examples/news-search.ts", { args: ["socket", "AND", "timeout"], env: env() });
  expect(code).toBe(2);
  expect(stderr).toContain("(the query in quotes)");
});
