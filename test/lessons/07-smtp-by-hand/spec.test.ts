// Spec for lessons/07-smtp-by-hand: an SMTP client over a raw socket, against the playground's
// mail system (the example.com submission server), through a friendly and a hostile network.
import { expect } from "vitest";
import { checkLesson, expectRejects, isNotStarted } from "../../kit/checker.ts";
import { codeWithoutComments } from "../../kit/source.ts";
import * as exercise from "../../../lessons/07-smtp-by-hand/exercise.ts";
import { mailPlayground, storedMessages, uniqueMarker, waitForMessage, type MailPlayground } from "../06-how-email-works/mail-playground.ts";
import type { Network } from "../../kit/checker.ts";

type Lesson07 = typeof import("../../../lessons/07-smtp-by-hand/solution.ts");

/** The playground's submission server (example.com), behind the check's network. */
async function submission(network: Network): Promise<{ mail: MailPlayground; port: number }> {
  const mail = await mailPlayground();
  return { mail, port: await network.tcp(mail.ports.submission) };
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
        const { mail, port } = await submission(network);
        const marker = uniqueMarker("lesson07-plain");
        const sent = message(marker, "Hello from a raw socket!\r\nSecond line, 你好.\r\n");
        const reply = await sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com"], message: sent });
        expect(reply, "sendMail resolves with the reply to the message").toMatch(/^250[ -]/);
        const { raw } = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        expect(asSent(raw), "the stored message (after the Received: headers the servers added)").toBe(lf(sent));
      },
    },
    {
      name: 'dot-stuffing: lines starting with "." and a line that is just "." arrive intact',
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, port } = await submission(network);
        const marker = uniqueMarker("lesson07-dots");
        const body = [".hidden file", "a line, then a line that is just a dot:", ".", "..two dots", ". dot space", "the end"].join("\r\n");
        const sent = message(marker, body);
        await sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com"], message: sent });
        const { raw } = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        expect(asSent(raw), "the stored message").toBe(lf(sent));
      },
    },
    {
      name: 'a message with "\\n" line endings is sent with "\\r\\n" and arrives intact',
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, port } = await submission(network);
        const marker = uniqueMarker("lesson07-lf");
        const sent = message(marker, "one\n.two\nthree", "\n");
        await sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com"], message: sent });
        const { raw } = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        expect(asSent(raw), "the stored message").toBe(lf(sent));
      },
    },
    {
      name: "two recipients, one local and one at example.org (relayed): both get the message",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, port } = await submission(network);
        const marker = uniqueMarker("lesson07-two");
        const sent = message(marker, "For both of you.");
        await sendMail({ host: "127.0.0.1", port, ...ME, to: ["me@example.com", "friend@example.org"], message: sent });
        const mine = await waitForMessage(mail, "me@example.com", (text) => text.includes(marker));
        const friends = await waitForMessage(mail, "friend@example.org", (text) => text.includes(marker), 10_000);
        expect(asSent(mine.raw)).toBe(lf(sent));
        expect(asSent(friends.raw)).toBe(lf(sent));
      },
    },
    {
      name: "a wrong password: sendMail rejects with an Error that shows the server's 535",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { mail, port } = await submission(network);
        const marker = uniqueMarker("lesson07-535");
        const err = await expectRejects(
          sendMail({ host: "127.0.0.1", port, ...ME, password: "wrong", to: ["me@example.com"], message: message(marker, "never sent") }),
          "sendMail with a wrong password",
        );
        expect(err.message, "the error message includes the server's reply code").toMatch(/535/);
        const stored = await storedMessages(mail, "me@example.com");
        expect(stored.some(({ raw }) => raw.includes(marker)), "nothing was delivered").toBe(false);
      },
    },
    {
      name: "an unknown mailbox: sendMail rejects with an Error that shows the server's 550",
      network: true,
      timeoutMs: CHECK_MS,
      async run({ sendMail }, network) {
        const { port } = await submission(network);
        const err = await expectRejects(
          sendMail({ host: "127.0.0.1", port, ...ME, to: ["nobody@example.com"], message: message(uniqueMarker("lesson07-550"), "to nobody") }),
          "sendMail to nobody@example.com",
        );
        expect(err.message, "the error message includes the server's reply code").toMatch(/550/);
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
