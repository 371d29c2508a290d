// Spec for lessons/07-smtp-by-hand: an SMTP client over a raw socket, against the playground's
// mail system (the example.com submission server), through a friendly and a hostile network.
// Between the learner's client and the network sits a recording relay (smtp-wire.ts): it holds
// the client to the conversation's rules — greeting first, each reply before the next command,
// the message after 354, \r\n everywhere, QUIT and its 221, the socket closed even on failure —
// and hands the check the exact bytes of the message as they crossed the wire.
import { expect } from "vitest";
import { checkLesson, isNotStarted } from "../../kit/checker.ts";
import { codeWithoutComments } from "../../kit/source.ts";
import { escapeBytes } from "../../../servers/transcript.ts";
import * as exercise from "../../../lessons/07-smtp-by-hand/exercise.ts";
import { mailPlayground, storedMessages, uniqueMarker, waitForMessage, type MailPlayground } from "../06-how-email-works/mail-playground.ts";
import type { Network } from "../../kit/checker.ts";
import { SmtpWire } from "./smtp-wire.ts";

type Lesson07 = typeof import("../../../lessons/07-smtp-by-hand/solution.ts");

/** The playground's submission server (example.com), behind the check's network and the recording relay. */
async function submission(network: Network, host = "127.0.0.1"): Promise<{ mail: MailPlayground; wire: SmtpWire; port: number }> {
  const mail = await mailPlayground();
  const wire = await SmtpWire.start(await network.tcp(mail.ports.submission), host);
  network.defer(() => wire.close());
  return { mail, wire, port: wire.port };
}

const ME = { user: "me@example.com", password: "secret", from: "me@example.com" };

/**
 * A message with headers and body; `marker` in its Subject finds it in the Maildir. It has its own
 * Message-ID and Date, so the submission server adds neither (RFC 6409 §8) and it must arrive as sent.
 */
function message(marker: string, body: string, eol = "\r\n"): string {
  const date = "Date: Mon, 15 Jan 2024 12:00:00 +0000";
  return [`From: me@example.com`, `To: me@example.com`, `Subject: ${marker}`, `Message-ID: <${marker}@example.com>`, date, "", body]
    .join(eol)
    .replace(/\r?\n/g, eol);
}

/**
 * The stored file without what the servers added on top (Received:, Return-Path: …) and in the
 * Maildir convention (LF line endings): what remains must be exactly what was sent.
 */
function asSent(stored: Buffer): string {
  const text = stored.toString("utf8");
  const lines = text.split("\n");
  let first = 0;
  while (first < lines.length && /^(received|return-path|x-playground[\w-]*|delivered-to):/i.test(lines[first]!)) {
    first++;
    while (first < lines.length && /^[ \t]/.test(lines[first]!)) first++; // the header's folded lines
  }
  return lines.slice(first).join("\n");
}
/** What the client must send after 354: \r\n line endings, a last \r\n, dot-stuffed (RFC 5321 §4.5.2). */
function onTheWire(message: string): Buffer {
  const crlf = message.replace(/\r?\n/g, "\r\n");
  return Buffer.from((crlf.endsWith("\r\n") ? crlf : `${crlf}\r\n`).replace(/^\./gm, ".."));
}

/** The message's bytes on the wire must be exactly `expected`: says where they differ first. */
function expectOnTheWire(sent: Buffer | undefined, expected: Buffer): void {
  expect(sent, "the relay saw no complete message (DATA, 354, the message, \".\")").toBeDefined();
  if (sent!.equals(expected)) return;
  const lines = (bytes: Buffer) => bytes.toString("latin1").split(/(?<=\n)/);
  const [got, want] = [lines(sent!), lines(expected)];
  const at = want.findIndex((line, i) => line !== got[i]);
  const number = at === -1 ? want.length + 1 : at + 1;
  const show = (line: string | undefined) => (line === undefined ? "(nothing)" : escapeBytes(Buffer.from(line, "latin1")));
  throw new Error(
    `line ${number} of the message your client sent after 354 is not what it should be:\n` +
      `  sent:     ${show(got[number - 1])}\n  expected: ${show(want[number - 1])}\n` +
      "(the message goes on the wire as UTF-8 bytes, every line ending in \\r\\n, lines starting with \".\" get one more, then \".\\r\\n\")",
  );
}

const lf = (text: string) => (text.replace(/\r\n/g, "\n").endsWith("\n") ? text.replace(/\r\n/g, "\n") : `${text.replace(/\r\n/g, "\n")}\n`);

const CHECK_MS = 20_000; // a whole SMTP conversation through 1..7-byte pieces, then a relay hop

checkLesson<Lesson07>("07-smtp-by-hand", {
  exercise,
  checks: [
    {
      name: "sends a message to me@example.com: it arrives byte for byte, and sendMail resolves with 250",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, wire, port } = await submission(network);
        const marker = uniqueMarker("lesson07-plain");
        const sent = message(marker, "Hello from a raw socket!\r\nSecond line, 你好, Grüße.\r\n");
        const reply = await wire.expectSuccess(sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com"], message: sent }));
        expect(reply, "sendMail resolves with the reply to the message (the one after the final \".\")").toMatch(/^250[ -]/);
        expect(reply, "sendMail resolves with the server's reply to the message").toBe(wire.sessions[0]!.replies.find((r, i, all) => all[i - 1]?.startsWith("354") && r.startsWith("250")));
        expectOnTheWire(wire.sessions[0]!.messages[0], onTheWire(sent));
        const { raw } = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        expect(asSent(raw), "the stored message (after the Received: headers the servers added)").toBe(lf(sent));
      },
    },
    {
      name: 'dot-stuffing: lines starting with "." and a line that is just "." arrive intact',
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, wire, port } = await submission(network);
        const marker = uniqueMarker("lesson07-dots");
        const body = [".hidden file", "a line, then a line that is just a dot:", ".", "..two dots", ". dot space", "the end"].join("\r\n");
        const sent = message(marker, body);
        await wire.expectSuccess(sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com"], message: sent }));
        expectOnTheWire(wire.sessions[0]!.messages[0], onTheWire(sent));
        const { raw } = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        expect(asSent(raw), "the stored message").toBe(lf(sent));
      },
    },
    {
      name: 'a message with "\\n" line endings is sent with "\\r\\n" and arrives intact',
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, wire, port } = await submission(network);
        const marker = uniqueMarker("lesson07-lf");
        const sent = message(marker, "one\n.two\nthree\n", "\n");
        await wire.expectSuccess(sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com"], message: sent }));
        expectOnTheWire(wire.sessions[0]!.messages[0], onTheWire(sent));
        const { raw } = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        expect(asSent(raw), "the stored message").toBe(lf(sent));
      },
    },
    {
      name: "two recipients, one local and one at example.org (relayed): both get the message",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, wire, port } = await submission(network);
        const marker = uniqueMarker("lesson07-two");
        const sent = message(marker, "For both of you.");
        const to = ["me@example.com", "friend@example.org"];
        await wire.expectSuccess(sendMail({ host: "127.0.0.1", port, ...ME, to, message: sent }));
        const rcpts = wire.sessions[0]!.commands.filter((command) => /^RCPT\b/i.test(command));
        const expected = to.map((address) => `RCPT TO:<${address}>`);
        if (rcpts.join("\n") !== expected.join("\n")) {
          throw new Error(
            `for the recipients ${to.join(" and ")} your client sent ${rcpts.length} RCPT line(s): ${rcpts.map((r) => `"${r}"`).join(", ") || "none"}. ` +
              `The envelope needs one line per recipient: ${expected.map((r) => `"${r}"`).join(", ")}`,
          );
        }
        const mine = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        const friends = await waitForMessage(mail, "friend@example.org", (text) => text.includes(marker), 10_000);
        expect(asSent(mine.raw)).toBe(lf(sent));
        expect(asSent(friends.raw)).toBe(lf(sent));
      },
    },
    {
      name: "a wrong password: sendMail rejects with an Error that shows the server's 535, and closes its connection",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, wire, port } = await submission(network);
        const marker = uniqueMarker("lesson07-535");
        const err = await wire.expectFailure(
          sendMail({ host: "127.0.0.1", port, ...ME, password: "wrong", to: ["me@example.com"], message: message(marker, "never sent") }),
          "sendMail with a wrong password",
        );
        expect(err.message, "the error message includes the server's reply code").toMatch(/535/);
        const stored = await storedMessages(mail, "me@example.com");
        expect(stored.some(({ raw }) => raw.includes(marker)), "nothing was delivered").toBe(false);
      },
    },
    {
      name: "an unknown mailbox: sendMail rejects with an Error that shows the server's 550, and closes its connection",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { wire, port } = await submission(network);
        const err = await wire.expectFailure(
          sendMail({ host: "127.0.0.1", port, ...ME, to: ["nobody@example.com"], message: message(uniqueMarker("lesson07-550"), "to nobody") }),
          "sendMail to nobody@example.com",
        );
        expect(err.message, "the error message includes the server's reply code").toMatch(/550/);
      },
    },
    {
      name: "connects to the host it is given (127.0.0.2 here, not localhost)",
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        // All of 127.0.0.0/8 is this machine on Linux; where 127.0.0.2 is not there, 127.0.0.1 must do.
        const host = (await SmtpWire.canListenOn("127.0.0.2")) ? "127.0.0.2" : "127.0.0.1";
        const { wire, port } = await submission(network, host);
        const marker = uniqueMarker("lesson07-host");
        const sending = sendMail({ host, port, ...ME, to: ["me@example.com"], message: message(marker, "Which host?") });
        const failed = await sending.then(() => null, (err: unknown) => err);
        if (isNotStarted(failed)) throw failed;
        if (wire.sessions.length === 0) {
          throw new Error(`your client never connected to ${host}:${port}, the host and port it was given — does it ignore options.host? (${failed instanceof Error ? failed.message : "no error"})`);
        }
        if (failed) throw failed;
      },
    },
    {
      name: "talks SMTP itself: node:net, no mail library",
      timeoutMs: CHECK_MS,
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const attempt = impl
          .sendMail({ host: "127.0.0.1", port: 1, ...ME, to: [], message: "" })
          .catch((err: unknown) => {
            if (isNotStarted(err)) throw err;
          });
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 200))]);
        attempt.catch(() => {});

        const path = network.sourceFile;
        const code = codeWithoutComments(path);
        expect(code, `${path} must not import a mail library`).not.toMatch(
          // a package name (not a relative path like "../solution.ts") that smells of mail
          /\b(from|import|require)\s*\(?\s*["'](?![./])[^"']*(nodemailer|smtp|mail|emailjs)[^"']*["']/i,
        );
        expect(code, `${path} should use node:net`).toMatch(/["'](node:)?net["']/);
      },
    },
  ],
});
