// Spec for lessons/15-imap-by-hand: an IMAP client over a raw socket, checked against the
// playground's own IMAP server (a fresh mail system per check): mail is delivered over SMTP to
// the example.org MX, then read through the learner's client — through a friendly and a hostile
// network — and compared byte for byte with the Maildir files on disk. A recording relay
// (imap-wire.ts) holds the client to the conversation (the greeting first, \r\n, "+" before a
// literal, LOGOUT answered) and can make the server speak before a continuation; a second IMAP
// session of the spec's own (playground.ts, rawImap) plays another mail client on the mailbox.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { checkLesson, expectRejects, isNotStarted, type Network } from "../../kit/checker.ts";
import { codeWithoutComments, importsIn } from "../../kit/source.ts";
import type { Playground } from "../09-receiving-mail/playground.ts";
import { deliverViaMx, flagsOf, QUOTED_ACCOUNT, rawImap, startImapPlayground, storedMessages } from "./playground.ts";
import { ImapWire, type ImapWireOptions } from "./imap-wire.ts";
import { outcomeWithin, WireMistake } from "../../kit/wire-relay.ts";
import * as exercise from "../../../lessons/15-imap-by-hand/exercise.ts";
import * as solution from "../../../lessons/15-imap-by-hand/solution.ts";

// The public side of an ImapClient (its private parts differ from one answer to the next).
type ImapClientApi = Pick<
  solution.ImapClient,
  "greeting" | "exists" | "login" | "select" | "uidSearch" | "fetchHeaders" | "fetchBody" | "store" | "expunge" | "append" | "noop" | "logout"
>;
interface Lesson15 {
  ImapClient: { connect(host: string, port: number): Promise<ImapClientApi> };
}

const FRIEND = "friend@example.org";
const PASSWORD = "secret";

/** A message with exactly these From and Subject lines (UTF-8 allowed: 8-bit headers, RFC 6532). */
function message(from: string, subject: string, body: string[] = ["Hello."]): Buffer {
  return Buffer.from(
    `From: ${from}\r\nTo: Friend <${FRIEND}>\r\nSubject: ${subject}\r\nMessage-ID: <${randomUUID()}@example.com>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body.join("\r\n")}\r\n`,
    "utf8",
  );
}

/** The playground's IMAP server behind the check's network and the recording relay. */
async function imapWire(network: Network, playground: Playground, options?: ImapWireOptions): Promise<ImapWire> {
  const wire = await ImapWire.start(await network.tcp(playground.system.ports.imap), options);
  network.defer(() => wire.close());
  return wire;
}

async function ownSession(network: Network, playground: Playground, user?: string, password?: string) {
  const session = await rawImap(playground.system.ports.imap, user, password);
  network.defer(() => session.close());
  return session;
}

/** Text with \r and \n made visible, one line per line: a difference is easy to spot. */
const visible = (bytes: Buffer | undefined) => (bytes === undefined ? "(nothing)" : bytes.toString("utf8").replace(/\r/g, "\\r").replace(/\n/g, "\\n\n"));

const words = () => randomUUID().split("-")[1]!;

/** What went wrong with a literal the client returned, said as the likely mistake. */
function literalMismatch(what: string, got: Buffer | undefined, want: Buffer): Error {
  const shown = `\n  returned: ${JSON.stringify(got?.toString("utf8") ?? null)}\n  expected: ${JSON.stringify(want.toString("utf8"))}\n`;
  const chars = want.toString("utf8").length;
  let why = "What is inside a literal is data, never protocol: read it as exactly n bytes, then go on with the line after it.";
  if (got && got.length < want.length && want.subarray(0, got.length).equals(got)) {
    why = `You returned only the first ${got.length} of the ${want.length} bytes the server announced with {${want.length}}: a literal may arrive in several pieces (the hostile network cuts it into 1–7-byte ones) — keep reading until all n bytes are there.`;
  } else if (got && chars !== want.length && (got.length !== want.length || got.toString("utf8").length === chars)) {
    why = `The server announced {${want.length}}: ${want.length} BYTES, not characters — this text is ${chars} characters (UTF-16 units) but ${want.length} bytes, because every Chinese character is 3 bytes in UTF-8. Count and cut the literal on a Buffer, and decode nothing before you have all of it.`;
  }
  return new Error(`${what}: not what the server sent.${shown}${why}`);
}

checkLesson<Lesson15>("15-imap-by-hand", {
  exercise,
  checks: [
    {
      name: "talks IMAP itself: node:net (or node:tls), no mail library, not the playground's code",
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const playground = await startImapPlayground(network);
        const attempt = impl.ImapClient.connect("127.0.0.1", playground.system.ports.imap).then(
          (client) => client.logout(),
          (err: unknown) => {
            if (isNotStarted(err)) throw err;
          },
        );
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 500))]);
        attempt.catch(() => {});

        const path = network.sourceFile;
        const code = codeWithoutComments(path);
        for (const name of importsIn(code)) {
          expect(name, `${path} must not import a mail library`).not.toMatch(/^(imapflow|emailjs|imap|node-imap|imap-simple|mailparser|nodemailer|libmime)(\/|$)|imap/i);
          expect(name, `${path} must not import the playground's own code (its IMAP grammar would parse for you)`).not.toMatch(/servers\//);
        }
        expect(code, `${path} should use node:net (or node:tls)`).toMatch(/["'](node:)?(net|tls)["']/);
      },
    },
    {
      name: "reads the greeting, LOGIN with a password that must be quoted, SELECT: EXISTS, UIDVALIDITY, UIDNEXT",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        for (let i = 1; i <= 3; i++) await deliverViaMx(playground, QUOTED_ACCOUNT.address, message("Me <me@example.com>", `message ${i}`));
        const own = await ownSession(network, playground, QUOTED_ACCOUNT.address, QUOTED_ACCOUNT.password);
        const status = (await own.run("STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES)")).join("\n");
        const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(status)?.[1]);

        const wire = await imapWire(network, playground);
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        expect(client.greeting, "the greeting (the server's first line, without its \\r\\n)").toMatch(/^\* OK .*[^\r\n]$/);
        await wire.step(client.login(QUOTED_ACCOUNT.address, QUOTED_ACCOUNT.password)).catch((err: Error) => {
          if (err instanceof WireMistake || isNotStarted(err)) throw err; // a mistake on the wire says so itself
          throw new Error(
            `login("${QUOTED_ACCOUNT.address}", ${JSON.stringify(QUOTED_ACCOUNT.password)}) failed: ${err.message}\n` +
              'A password with spaces, " or \\ must travel as a quoted string: "my \\"quoted\\" pass\\\\word" (RFC 3501 §4.3, §9 astring)',
          );
        });
        const inbox = await wire.step(client.select("INBOX"));
        expect(inbox.exists, "select('INBOX').exists: the '* 3 EXISTS' line (SELECT's answer ends at the line with its tag, 'A2 OK …', not at the first untagged '* OK […]')").toBe(3);
        expect(inbox.uidNext, "select('INBOX').uidNext: '* OK [UIDNEXT 4]'").toBe(4);
        expect(inbox.uidValidity, "select('INBOX').uidValidity: '* OK [UIDVALIDITY …]'").toBe(uidValidity);
        expect(client.exists, "client.exists after SELECT").toBe(3);
        const trash = await wire.step(client.select("Trash"));
        expect(trash.exists, "select('Trash').exists (an empty folder)").toBe(0);
        expect(trash.uidValidity, "select('Trash').uidValidity: every folder has its own").toBeGreaterThan(0);
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
      },
    },
    {
      name: "UID SEARCH and FETCH of header fields: the literals {n} count bytes (Chinese subjects and names)",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        const needle = `needle${words()}`;
        const sent = [
          { from: "Me <me@example.com>", subject: `plain ASCII ${needle}` },
          { from: "管理员 <admin@example.com>", subject: "来自IMAP的问候……" },
          { from: "Zoë Ångström <zoe@example.net>", subject: `Grüße, 你好 and 👋 ${needle}` },
          { from: "Me <me@example.com>", subject: `ends like a literal {12}` },
        ];
        for (const { from, subject } of sent) await deliverViaMx(playground, FRIEND, message(from, subject));

        const wire = await imapWire(network, playground);
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        await wire.step(client.select("INBOX"));
        expect(await wire.step(client.uidSearch("ALL")), 'uidSearch("ALL"): every UID').toEqual([1, 2, 3, 4]);
        expect(await wire.step(client.uidSearch(`SUBJECT "${needle}"`)), `uidSearch('SUBJECT "${needle}"')`).toEqual([1, 3]);
        expect(await wire.step(client.uidSearch("SUBJECT nothing-has-this")), "uidSearch with no match: an empty list").toEqual([]);

        const headers = await wire.step(client.fetchHeaders([1, 2, 3, 4], ["FROM", "SUBJECT"]));
        expect(headers instanceof Map, "fetchHeaders() returns a Map from UID to the header bytes").toBe(true);
        expect([...headers.keys()].sort((a, b) => a - b), "fetchHeaders([1, 2, 3, 4]): one entry per UID").toEqual([1, 2, 3, 4]);
        for (const [index, { from, subject }] of sent.entries()) {
          const want = Buffer.from(`From: ${from}\r\nSubject: ${subject}\r\n\r\n`, "utf8");
          const got = headers.get(index + 1);
          if (!got?.equals(want)) throw literalMismatch(`fetchHeaders: UID ${index + 1}'s header lines`, got, want);
        }
        const some = await wire.step(client.fetchHeaders([4, 2], ["SUBJECT"]));
        expect([...some.keys()].sort(), "fetchHeaders([4, 2], ['SUBJECT'])").toEqual([2, 4]);
        expect(visible(some.get(2)), "UID 2's Subject line").toBe(visible(Buffer.from(`Subject: ${sent[1]!.subject}\r\n\r\n`)));
        // The conversation is still in step: the next command gets its own answer.
        expect(await wire.step(client.uidSearch("ALL")), "uidSearch after the FETCHes").toEqual([1, 2, 3, 4]);
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
      },
    },
    {
      name: "fetchBody: the whole message byte for byte (lines that look like IMAP inside it), and still unseen",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        const tricky = message("张三 <zhangsan@example.net>", "看起来像协议的邮件", [
          "你好！This message holds lines that look like IMAP:",
          "A4 OK UID FETCH completed",
          "* 3 EXISTS",
          "+ ready for the literal",
          "a line that ends like a literal {12}",
          "(UID 99 FLAGS (\\Deleted))",
          ")",
          "Grüße — every byte counts: ½ € 👋",
          "",
          "The end.",
        ]);
        await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", "first"));
        await deliverViaMx(playground, FRIEND, tricky);
        const stored = storedMessages(playground, FRIEND).find((m) => m.wire.includes("看起来像协议的邮件"))!;

        const wire = await imapWire(network, playground);
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        await wire.step(client.select("INBOX"));
        const body = await wire.step(client.fetchBody(2)).catch((err: Error) => {
          if (err instanceof WireMistake || isNotStarted(err)) throw err;
          throw new Error(
            `fetchBody(2) rejected: ${err.message}\nThe message with UID 2 is there (UID SEARCH ALL finds it). Find the UID item in the response's text outside ` +
              'its literals: this message itself contains the line "(UID 99 FLAGS (\\Deleted))", and a literal is data, never protocol.',
          );
        });
        expect(Buffer.isBuffer(body), "fetchBody() returns a Buffer").toBe(true);
        if (!body.equals(stored.wire)) throw literalMismatch("fetchBody(2)", body, stored.wire);
        expect(await wire.step(client.uidSearch("ALL")), "uidSearch after fetchBody: the conversation is still in step").toEqual([1, 2]);
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
        const own = await ownSession(network, playground);
        expect(await flagsOf(own, 2), "UID 2's flags after fetchBody: BODY.PEEK[] leaves \\Seen unset (BODY[] would set it)").toEqual([]);
      },
    },
    {
      name: "UIDs, not sequence numbers: after EXPUNGEs (this client's and another session's) and new mail",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        for (let i = 1; i <= 5; i++) await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", `message ${i}`));
        const wire = await imapWire(network, playground);
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        await wire.step(client.select("INBOX"));

        // This client deletes UID 1: sequence number 1 is now UID 2, number 2 is UID 3 …
        await wire.step(client.store([1], "+FLAGS", ["\\Deleted"]));
        const expunged = await wire.step(client.expunge());
        expect(expunged, "expunge(): the sequence numbers of the '* n EXPUNGE' lines").toEqual([1]);
        expect(client.exists, "client.exists after '* 1 EXPUNGE'").toBe(4);

        // Another mail client removes UID 3, and new mail arrives (UID 6).
        const own = await ownSession(network, playground);
        await own.run("UID STORE 3 +FLAGS.SILENT (\\Deleted)");
        await own.run("EXPUNGE");
        await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", "message 6"));
        await wire.step(client.noop()); // the server tells: "* 2 EXPUNGE", "* 4 EXISTS"
        expect(client.exists, "client.exists after NOOP (the server told '* 2 EXPUNGE', then '* 4 EXISTS')").toBe(4);

        expect(await wire.step(client.uidSearch("ALL")), 'uidSearch("ALL"): UIDs (sequence numbers would be 1 2 3 4)').toEqual([2, 4, 5, 6]);
        const headers = await wire.step(client.fetchHeaders([4, 6], ["SUBJECT"]));
        const subjects = Object.fromEntries([...headers].map(([uid, bytes]) => [uid, bytes.toString("utf8").trim()]));
        expect(
          subjects,
          "fetchHeaders([4, 6]) by UID — the server answers '* 2 FETCH (UID 4 …)' and '* 4 FETCH (UID 6 …)': the number before FETCH is the sequence number, the UID item is the UID",
        ).toEqual({ 4: "Subject: message 4", 6: "Subject: message 6" });
        expect((await wire.step(client.fetchBody(5))).toString("utf8"), "fetchBody(5) is message 5").toContain("Subject: message 5\r\n");
        const flags = await wire.step(client.store([6], "+FLAGS", ["\\Flagged"]));
        expect([...flags.keys()], "store([6]) answers for UID 6").toEqual([6]);
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
      },
    },
    {
      name: "STORE +FLAGS, -FLAGS and FLAGS: each message's flags come back by UID, and stay",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        for (let i = 1; i <= 3; i++) await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", `message ${i}`));
        const wire = await imapWire(network, playground);
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        await wire.step(client.select("INBOX"));
        const own = await ownSession(network, playground);
        const shown = (flags: Map<number, string[]>) =>
          Object.fromEntries([...flags].map(([uid, list]) => [uid, list.filter((flag) => flag !== "\\Recent").sort()]));

        const added = await wire.step(client.store([1, 3], "+FLAGS", ["\\Seen", "\\Flagged"]));
        expect(shown(added), 'store([1, 3], "+FLAGS", ["\\\\Seen", "\\\\Flagged"]): the flags after, by UID').toEqual({
          1: ["\\Flagged", "\\Seen"],
          3: ["\\Flagged", "\\Seen"],
        });
        expect((await flagsOf(own, 3)).sort(), "UID 3's flags, asked by another session").toEqual(["\\Flagged", "\\Seen"]);
        const removed = await wire.step(client.store([3], "-FLAGS", ["\\Flagged"]));
        expect(shown(removed), 'store([3], "-FLAGS", ["\\\\Flagged"])').toEqual({ 3: ["\\Seen"] });
        const replaced = await wire.step(client.store([2], "FLAGS", ["\\Answered", "$Work"]));
        expect(shown(replaced), 'store([2], "FLAGS", ["\\\\Answered", "$Work"])').toEqual({ 2: ["$Work", "\\Answered"] });
        expect((await flagsOf(own, 2)).sort(), "UID 2's flags, asked by another session").toEqual(["$Work", "\\Answered"]);
        expect(await flagsOf(own, 1), "UID 1's flags are as they were").toEqual(["\\Flagged", "\\Seen"]);
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
      },
    },
    {
      name: 'APPEND: waits for the server\'s "+", sends the literal in bytes, and keeps the news the server tells before the "+"',
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", "already there"));
        // Just before the server's "+", new mail arrives and the server tells it: "* 2 EXISTS".
        const wire = await imapWire(network, playground, {
          beforeContinuation: () => deliverViaMx(playground, FRIEND, message("Me <me@example.com>", "arrived while you were appending")),
        });
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        await wire.step(client.select("INBOX"));
        const draft = message("我 <me@example.com>", "草稿：你好 IMAP", ["这封信是用 APPEND 存进去的。", "Saved with APPEND: {n} counts bytes."]);
        const uid = await wire.step(client.append("INBOX", draft));
        expect(uid, "append() returns the new message's UID ([APPENDUID … 3]: UID 2 is the mail that arrived meanwhile)").toBe(3);
        expect(client.exists, "client.exists after APPEND").toBe(3);
        const back = await wire.step(client.fetchBody(3));
        expect(visible(back), "fetchBody(3): the appended message, byte for byte").toBe(visible(draft));
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
      },
    },
    {
      name: "a connection cut in the middle of a literal: fetchBody() rejects (it must not wait forever)",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        const lines = Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of a long message: 长信的第 ${i + 1} 行.`);
        await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", "long", lines));
        let cutDone = () => {};
        const wasCut = new Promise<void>((resolve) => (cutDone = resolve));
        const wire = await imapWire(network, playground, { cut: { during: /UID FETCH .*BODY(\.PEEK)?\[\]/i, afterBytes: 300, done: cutDone } });
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        await wire.step(client.login(FRIEND, PASSWORD));
        await wire.step(client.select("INBOX"));
        const fetching = client.fetchBody(1);
        fetching.catch(() => {});
        await wasCut;
        const LIMIT_MS = 3000;
        const outcome = await outcomeWithin(fetching, LIMIT_MS);
        if (isNotStarted(outcome)) throw outcome;
        if (outcome === "waiting") {
          throw new Error(
            `fetchBody(1) was still waiting ${LIMIT_MS / 1000} s after the connection was cut in the middle of its literal: ` +
              "when the socket ends ('end', 'close', 'error'), wake up the reader and reject",
          );
        }
        expect(outcome, "fetchBody() of a literal cut off in the middle must reject, not return part of a message").not.toBe("resolved");
        expect(outcome, "fetchBody() rejects with an Error").toBeInstanceOf(Error);
      },
    },
    {
      name: "NO and BAD reject with the server's line (never the password), and the client keeps working",
      network: true,
      timeoutMs: 15_000,
      async run({ ImapClient }, network) {
        const playground = await startImapPlayground(network);
        await deliverViaMx(playground, FRIEND, message("Me <me@example.com>", "hello"));
        const wire = await imapWire(network, playground);
        const client = await wire.step(ImapClient.connect("127.0.0.1", wire.port));
        const wrong = await expectRejects(wire.step(client.login(FRIEND, "Wr0ng-Passw0rd")), "login() with a wrong password");
        expect(wrong.message, "the error carries the server's tagged NO").toMatch(/\S+ NO \[AUTHENTICATIONFAILED\]/);
        expect(wrong.message, "the error must not show the password").not.toContain("Wr0ng-Passw0rd");
        await wire.step(client.login(FRIEND, PASSWORD)); // a failed LOGIN leaves the connection usable
        const noFolder = await expectRejects(wire.step(client.select("No such folder")), 'select("No such folder")');
        expect(noFolder.message, "the error carries the server's tagged NO").toMatch(/\S+ NO \[NONEXISTENT\]/);
        const bad = await expectRejects(wire.step(client.uidSearch("NO-SUCH-KEY")), 'uidSearch("NO-SUCH-KEY")');
        expect(bad.message, "the error carries the server's tagged BAD").toMatch(/\S+ BAD \S/);
        const inbox = await wire.step(client.select("INBOX"));
        expect(inbox.exists, "select('INBOX') after the errors: the answers are still matched to their commands").toBe(1);
        await wire.step(client.logout());
        await wire.expectLogoutAnswered();
      },
    },
  ],
});
