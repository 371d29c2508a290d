// Spec for lessons/09-receiving-mail: a POP3 client over a raw socket, checked against the
// playground's own mail system (a fresh one per check): mail is delivered over SMTP to the
// example.org MX, then read back through the learner's client — through a friendly and a
// hostile network — and compared byte for byte with the Maildir files on disk.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { checkLesson, expectRejects, isNotStarted } from "../../kit/checker.ts";
import { codeWithoutComments, importsIn } from "../../kit/source.ts";
import { cuttableRelay, deliverViaMx, rawPop3, startPlayground, storedMessages } from "./playground.ts";
import * as exercise from "../../../lessons/09-receiving-mail/exercise.ts";
import * as solution from "../../../lessons/09-receiving-mail/solution.ts";

// The public side of a Pop3Client (its private parts differ from one answer to the next).
type Pop3ClientApi = Pick<solution.Pop3Client, "greeting" | "login" | "stat" | "list" | "retr" | "dele" | "quit">;
interface Lesson09 {
  Pop3Client: { connect(host: string, port: number): Promise<Pop3ClientApi> };
}

const FRIEND = "friend@example.org";
const PASSWORD = "secret";

/** A small message; `body` lines are joined with CRLF. */
function message(subject: string, body: string[]): string {
  return (
    `From: Me <me@example.com>\r\nTo: Friend <${FRIEND}>\r\nSubject: ${subject}\r\n` +
    `Message-ID: <${randomUUID()}@example.com>\r\n\r\n${body.join("\r\n")}\r\n`
  );
}

// Lines a POP3 server must byte-stuff, a line that is only ".", and many lines that END in
// "." — so that a chunk of the stream very often ends in ".\r\n" before the message does.
const DOTS_BODY = [
  "Lines that start with a dot travel with one more dot in front.",
  ".",
  "..",
  ".hidden and .bashrc are file names.",
  "..two dots",
  "...three dots",
  ". a dot and a space",
  ...Array.from({ length: 40 }, (_, i) => `Sentence ${i + 1} ends with a dot.`),
  ".",
  "The end.",
];

/** Retries a login while the server still holds the maildrop lock of a session that just ended. */
async function loginWhenUnlocked(port: number): Promise<Pop3ClientApi> {
  for (let attempt = 0; ; attempt++) {
    const client = await solution.Pop3Client.connect("127.0.0.1", port);
    try {
      await client.login(FRIEND, PASSWORD);
      return client;
    } catch (err) {
      if (!/IN-USE/.test((err as Error).message) || attempt > 40) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

checkLesson<Lesson09>("09-receiving-mail", {
  exercise,
  checks: [
    {
      name: "talks POP3 itself: node:net (or node:tls), no mail library, not the playground's line reader",
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const playground = await startPlayground(network);
        const attempt = impl.Pop3Client.connect("127.0.0.1", playground.system.ports.pop3).then(
          (client) => client.quit(),
          (err: unknown) => {
            if (isNotStarted(err)) throw err;
          },
        );
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 500))]);
        attempt.catch(() => {});

        const path = network.sourceFile;
        const code = codeWithoutComments(path);
        const imports = importsIn(code);
        for (const name of imports) {
          expect(name, `${path} must not import a mail library`).not.toMatch(
            /^(nodemailer|mailparser|smtp-server|imapflow|emailjs|mailsplit|libmime)(\/|$)|pop3|poplib|yapople/i,
          );
          expect(name, `${path} must not import the playground's own code (its line reader would do the dot-unstuffing for you)`).not.toMatch(
            /servers\//,
          );
        }
        expect(code, `${path} should use node:net (or node:tls)`).toMatch(/["'](node:)?(net|tls)["']/);
      },
    },
    {
      name: "reads the greeting, logs in, and STAT counts the messages and their octets",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        for (const size of [1, 5, 20]) {
          await deliverViaMx(playground, FRIEND, message(`${size} lines`, Array.from({ length: size }, (_, i) => `line ${i + 1}`)));
        }
        const stored = storedMessages(playground, FRIEND);
        const client = await Pop3Client.connect("127.0.0.1", await network.tcp(playground.system.ports.pop3));
        expect(client.greeting, "the greeting (the server's first line, without its \\r\\n)").toMatch(/^\+OK .*[^\r\n]$/);
        await client.login(FRIEND, PASSWORD);
        const stat = await client.stat();
        expect(stat, "STAT: { count, size }").toEqual({ count: 3, size: stored.reduce((sum, m) => sum + m.size, 0) });
        await client.quit();
      },
    },
    {
      name: "LIST gives every message's size, and RETR returns exactly that many bytes",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        for (const size of [2, 30, 7]) {
          await deliverViaMx(playground, FRIEND, message(`${size} lines`, Array.from({ length: size }, (_, i) => `line ${i + 1} of ${size}`)));
        }
        const stored = storedMessages(playground, FRIEND);
        const client = await Pop3Client.connect("127.0.0.1", await network.tcp(playground.system.ports.pop3));
        await client.login(FRIEND, PASSWORD);
        const list = await client.list();
        expect(list.map((entry) => entry.number), "LIST numbers the messages 1, 2, 3").toEqual([1, 2, 3]);
        const bySize = (a: number, b: number) => a - b;
        expect(list.map((entry) => entry.size).sort(bySize), "LIST's sizes (the W= of the Maildir files)").toEqual(
          stored.map((m) => m.size).sort(bySize),
        );
        for (const { number, size } of list) {
          const retrieved = await client.retr(number);
          expect(Buffer.isBuffer(retrieved), "retr() returns a Buffer").toBe(true);
          expect(retrieved.length, `RETR ${number}: as many bytes as LIST said`).toBe(size);
          const original = stored.find((m) => m.wire.equals(retrieved));
          expect(original, `RETR ${number} is byte for byte one of the stored messages (CRLF line endings)`).toBeDefined();
        }
        await client.quit();
      },
    },
    {
      name: "RETR of a message with lines '.', '..', '.x' and many lines ending in '.': exact bytes, dot-unstuffed",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        const sent = message("dots", DOTS_BODY);
        await deliverViaMx(playground, FRIEND, sent);
        const [stored] = storedMessages(playground, FRIEND);
        expect(stored!.wire.toString().endsWith(sent.slice(sent.indexOf("\r\n\r\n"))), "(the playground stored the body as sent)").toBe(true);

        const client = await Pop3Client.connect("127.0.0.1", await network.tcp(playground.system.ports.pop3));
        await client.login(FRIEND, PASSWORD);
        const retrieved = await client.retr(1);
        // Shown as text with \r\n visible, so a difference is easy to spot in the failure message.
        const visible = (bytes: Buffer) => bytes.toString("latin1").replace(/\r/g, "\\r").replace(/\n/g, "\\n\n");
        expect(visible(retrieved), "RETR 1: the message exactly as stored (one dot removed from stuffed lines, CRLF, no final '.')").toBe(
          visible(stored!.wire),
        );
        // The connection is still usable: the next command gets its own answer.
        expect(await client.stat(), "STAT after RETR").toEqual({ count: 1, size: stored!.size });
        await client.quit();
      },
    },
    {
      name: "DELE then QUIT deletes the message (RFC 1939 §6: the UPDATE state)",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        await deliverViaMx(playground, FRIEND, message("first", ["one"]));
        await deliverViaMx(playground, FRIEND, message("second", ["two"]));
        const client = await Pop3Client.connect("127.0.0.1", await network.tcp(playground.system.ports.pop3));
        await client.login(FRIEND, PASSWORD);
        const doomed = await client.retr(1);
        await client.dele(1);
        await client.quit();
        const left = storedMessages(playground, FRIEND);
        expect(left.length, "messages left in the Maildir once quit() has resolved").toBe(1);
        expect(left[0]!.wire.equals(doomed), "the message left is the one that was NOT deleted").toBe(false);
      },
    },
    {
      name: "DELE then a dropped connection deletes nothing",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        await deliverViaMx(playground, FRIEND, message("first", ["one"]));
        await deliverViaMx(playground, FRIEND, message("second", ["two"]));
        const relay = await cuttableRelay(network, playground.system.ports.pop3);
        const client = await Pop3Client.connect("127.0.0.1", await network.tcp(relay.port));
        await client.login(FRIEND, PASSWORD);
        await client.dele(1);
        relay.cut(); // the network goes away: no QUIT ever reaches the server
        const again = await loginWhenUnlocked(playground.system.ports.pop3);
        expect((await again.stat()).count, "STAT in a new session: both messages are still there").toBe(2);
        await again.quit();
        expect(storedMessages(playground, FRIEND).length, "messages in the Maildir").toBe(2);
      },
    },
    {
      name: "a wrong password (and any other -ERR) rejects with the server's -ERR text",
      network: true,
      timeoutMs: 15_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        const port = await network.tcp(playground.system.ports.pop3);
        // What the server says to a wrong password, asked without the client under test.
        const [, , serverSaid] = await rawPop3(playground.system.ports.pop3, [`USER ${FRIEND}`, "PASS not-the-password"]);
        expect(serverSaid, "(the playground refuses a wrong password)").toMatch(/^-ERR /);

        const client = await Pop3Client.connect("127.0.0.1", port);
        const err = await expectRejects(client.login(FRIEND, "Wr0ng-Passw0rd"), "login() with a wrong password");
        expect(err.message, "the error carries the server's -ERR line").toContain(serverSaid!);
        expect(err.message, "the error must not show the password").not.toContain("Wr0ng-Passw0rd");

        const good = await Pop3Client.connect("127.0.0.1", port);
        await good.login(FRIEND, PASSWORD);
        const noSuch = await expectRejects(good.retr(99), "retr(99) in an empty mailbox");
        expect(noSuch.message, "the error carries the server's -ERR line").toMatch(/-ERR \S/);
        await good.quit();
      },
    },
  ],
});
