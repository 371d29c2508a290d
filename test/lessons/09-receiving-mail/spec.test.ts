// Spec for lessons/09-receiving-mail: a POP3 client over a raw socket, checked against the
// playground's own mail system (a fresh one per check): mail is delivered over SMTP to the
// example.org MX, then read back through the learner's client — through a friendly and a
// hostile network — and compared byte for byte with the Maildir files on disk. Between the
// client and the network sits a recording relay (pop3-wire.ts) that holds the client to the
// conversation: the greeting first, each answer read to its end before the next command, the
// +OK to QUIT read before closing; it can also cut the connection in the middle of an answer.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { checkLesson, expectRejects, isNotStarted } from "../../kit/checker.ts";
import { codeWithoutComments, importsIn } from "../../kit/source.ts";
import { escapeBytes } from "../../../servers/transcript.ts";
import { cuttableRelay, deliverViaMx, rawPop3, startPlayground, storedMessages, type Playground } from "./playground.ts";
import { Pop3Wire, type Pop3WireOptions } from "./pop3-wire.ts";
import { outcomeWithin } from "../../kit/wire-relay.ts";
import type { Network } from "../../kit/checker.ts";
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

/** The playground's POP3 server behind the check's network and the recording relay. */
async function pop3Wire(network: Network, playground: Playground, options?: Pop3WireOptions): Promise<Pop3Wire> {
  const wire = await Pop3Wire.start(await network.tcp(playground.system.ports.pop3), options);
  network.defer(() => wire.close());
  return wire;
}

// 8-bit mail as old mail programs still send it: Latin-1 bytes that are not UTF-8 (é is one byte,
// 0xe9), UTF-8 text, and lines whose trailing spaces and tabs are part of the message.
const EIGHT_BIT = Buffer.concat([
  Buffer.from(`From: =?ISO-8859-1?Q?Ren=E9?= <rene@example.net>\r\nTo: ${FRIEND}\r\nSubject: 8-bit\r\n`, "latin1"),
  Buffer.from("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", "latin1"),
  Buffer.from("Ch\xe8re amie, voil\xe0 le caf\xe9 \xe0 emporter. \xa9 Ren\xe9\r\n", "latin1"),
  Buffer.from("Bytes 0x80-0xff: \x80\x99\xa0\xbf\xc0\xdf\xe0\xff\r\n", "latin1"),
  Buffer.from("UTF-8 too: 你好, Grüße, naïve — every byte counts\r\n", "utf8"),
  Buffer.from("trailing spaces   \r\n\ta tab in front, a tab behind\t\r\n.\xe9 starts with a dot\r\n", "latin1"),
]);

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
        const wire = await pop3Wire(network, playground);
        const client = await wire.step(Pop3Client.connect("127.0.0.1", wire.port));
        expect(client.greeting, "the greeting (the server's first line, without its \\r\\n)").toMatch(/^\+OK .*[^\r\n]$/);
        await wire.step(client.login(FRIEND, PASSWORD));
        const stat = await wire.step(client.stat());
        expect(stat, "STAT: { count, size }").toEqual({ count: 3, size: stored.reduce((sum, m) => sum + m.size, 0) });
        await wire.step(client.quit());
        await wire.expectQuitAnswered();
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
        const wire = await pop3Wire(network, playground);
        const client = await wire.step(Pop3Client.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        const list = await wire.step(client.list());
        expect(list.map((entry) => entry.number), "LIST numbers the messages 1, 2, 3").toEqual([1, 2, 3]);
        const bySize = (a: number, b: number) => a - b;
        expect(list.map((entry) => entry.size).sort(bySize), "LIST's sizes (the W= of the Maildir files)").toEqual(
          stored.map((m) => m.size).sort(bySize),
        );
        for (const { number, size } of list) {
          const retrieved = await wire.step(client.retr(number));
          expect(Buffer.isBuffer(retrieved), "retr() returns a Buffer").toBe(true);
          expect(retrieved.length, `RETR ${number}: as many bytes as LIST said`).toBe(size);
          const original = stored.find((m) => m.wire.equals(retrieved));
          expect(original, `RETR ${number} is byte for byte one of the stored messages (CRLF line endings)`).toBeDefined();
        }
        await wire.step(client.quit());
        await wire.expectQuitAnswered();
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

        const wire = await pop3Wire(network, playground);
        const client = await wire.step(Pop3Client.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        const retrieved = await wire.step(client.retr(1));
        // Shown as text with \r\n visible, so a difference is easy to spot in the failure message.
        const visible = (bytes: Buffer) => bytes.toString("latin1").replace(/\r/g, "\\r").replace(/\n/g, "\\n\n");
        expect(visible(retrieved), "RETR 1: the message exactly as stored (one dot removed from stuffed lines, CRLF, no final '.')").toBe(
          visible(stored!.wire),
        );
        // The connection is still usable: the next command gets its own answer.
        expect(await wire.step(client.stat()), "STAT after RETR").toEqual({ count: 1, size: stored!.size });
        await wire.step(client.quit());
        await wire.expectQuitAnswered();
      },
    },
    {
      name: "RETR of 8-bit mail (Latin-1 bytes that are not UTF-8, UTF-8 text, trailing spaces and tabs): exact bytes",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        await deliverViaMx(playground, FRIEND, EIGHT_BIT);
        const [stored] = storedMessages(playground, FRIEND);
        expect(stored!.wire.subarray(-EIGHT_BIT.length).equals(EIGHT_BIT), "(the playground stored the 8-bit message as sent)").toBe(true);

        const wire = await pop3Wire(network, playground);
        const client = await wire.step(Pop3Client.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        const retrieved = await wire.step(client.retr(1));
        expect(Buffer.isBuffer(retrieved), "retr() returns a Buffer").toBe(true);
        if (!retrieved.equals(stored!.wire)) {
          const got = retrieved.toString("latin1").split(/(?<=\n)/);
          const want = stored!.wire.toString("latin1").split(/(?<=\n)/);
          const at = want.findIndex((line, i) => line !== got[i]);
          const show = (line: string | undefined) => (line === undefined ? "(nothing)" : escapeBytes(Buffer.from(line, "latin1")));
          throw new Error(
            `RETR 1 returned ${retrieved.length} bytes, the message has ${stored!.size}; line ${at + 1} differs:\n` +
              `  returned: ${show(got[at])}\n  expected: ${show(want[at])}\n` +
              "Keep the message as bytes (Buffer) from the socket to retr()'s result: decoding it as UTF-8 (or per chunk) " +
              "turns every byte that is not UTF-8 into \\xef\\xbf\\xbd (U+FFFD), and trimming lines drops their trailing spaces.",
          );
        }
        await wire.step(client.quit());
        await wire.expectQuitAnswered();
      },
    },
    {
      name: "a connection cut in the middle of RETR's answer: retr() rejects (it must not wait forever)",
      network: true,
      timeoutMs: 10_000,
      async run({ Pop3Client }, network) {
        const playground = await startPlayground(network);
        await deliverViaMx(playground, FRIEND, message("long", DOTS_BODY));
        const wire = await pop3Wire(network, playground, { cut: { during: "RETR", afterBytes: 200 } });
        const client = await wire.step(Pop3Client.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        const retrieving = client.retr(1);
        retrieving.catch(() => {});
        await wire.wasCut;
        const LIMIT_MS = 3000;
        const outcome = await outcomeWithin(retrieving, LIMIT_MS);
        if (isNotStarted(outcome)) throw outcome;
        if (outcome === "waiting") {
          throw new Error(
            `retr(1) was still waiting ${LIMIT_MS / 1000} s after the connection was cut in the middle of its answer: ` +
              "when the socket ends ('end', 'close', 'error'), wake up the reader and reject",
          );
        }
        expect(outcome, "retr() of a message cut off in the middle must reject, not return half a message").not.toBe("resolved");
        expect(outcome, "retr() rejects with an Error").toBeInstanceOf(Error);
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
        const wire = await pop3Wire(network, playground);
        const client = await wire.step(Pop3Client.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        const doomed = await wire.step(client.retr(1));
        await wire.step(client.dele(1));
        await wire.step(client.quit());
        await wire.expectQuitAnswered();
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
