// Spec for lessons/16-mail-client: the Mailbox interface over IMAP (imapflow) and POP3 (lesson 09's
// client), replyTo and moveToTrash, against a fresh playground mail system per check. What the
// learner's code reports is compared with what is really there: a second, raw IMAP session
// (UID SEARCH), the Maildir files, the reply as it landed in friend@example.org's Maildir, and
// the server's own trace of the commands the learner's client sent.
import { simpleParser } from "mailparser";
import { expect } from "vitest";
import { checkLesson, type Network } from "../../kit/checker.ts";
import * as exercise from "../../../lessons/16-mail-client/exercise.ts";
import type { Mailbox } from "../../../lessons/16-mail-client/solution.ts";
import { FRIEND, imapCommands, message, startMail, uidsIn, type TestMailSystem } from "./mail-system.ts";

// What the checks call: the classes behind openMailbox() may keep private helpers of their own.
type Lesson16 = Pick<typeof import("../../../lessons/16-mail-client/solution.ts"), "openMailbox" | "replyTo">;

/**
 * Opens the learner's mailbox (closed when the check ends, if the check did not close it):
 * through `network` for the checks that run on both networks, else straight to the server.
 */
async function open(lesson: Lesson16, mail: TestMailSystem, protocol: "imap" | "pop3", network: Network | null, defer: Network["defer"]): Promise<Mailbox> {
  const mailbox = await lesson.openMailbox(await mail.mailbox(protocol, network));
  let closed = false;
  const close = mailbox.close.bind(mailbox);
  mailbox.close = async () => {
    closed = true;
    await close();
  };
  defer(() => (closed ? undefined : close().catch(() => {})));
  return mailbox;
}

/** n plain messages "message 1" … "message n", oldest first. */
async function deliverNumbered(mail: TestMailSystem, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) {
    await mail.deliver(message({ From: `Sender ${n} <sender${n}@example.net>`, To: "me@example.com", Subject: `message ${n}`, "Message-ID": `<m${n}@example.net>` }));
  }
}

const subjects = (page: { messages: { subject: string }[] }) => page.messages.map((m) => m.subject);

/** Waits (up to 5 s) for a message holding `marker` in friend@example.org's INBOX. */
async function arrivedAtFriend(mail: TestMailSystem, marker: string): Promise<Buffer> {
  for (let waited = 0; waited < 5000; waited += 50) {
    const found = mail.files(FRIEND).find((file) => file.content.includes(marker));
    if (found) return found.content;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the reply (${marker}) never arrived in ${FRIEND}'s Maildir: was it sent to the parent's Reply-To / From address?`);
}

const PLAIN_AND_HTML_WITH_ATTACHMENT = [
  "From: Friend <friend@example.org>",
  "To: me@example.com",
  "Subject: scores",
  "Message-ID: <scores@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "The scores are attached. =E4=BD=A0=E5=A5=BD!",
  "--inner",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>The <b>HTML</b> version: do not show this one</p>",
  "--inner--",
  "--outer",
  "Content-Type: text/csv; name=scores.csv",
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="scores.csv"',
  "",
  Buffer.from("name,score\nann,3\n").toString("base64"),
  "--outer--",
  "",
].join("\r\n");

checkLesson<Lesson16>("16-mail-client", {
  exercise,
  checks: [
    {
      name: "IMAP listSubjects: newest first, RFC 2047 subjects decoded, sender and date, pages joined by `next`",
      network: true,
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await mail.deliver(message({ From: "=?UTF-8?B?5pyL5Y+L?= <friend@example.org>", To: "me@example.com", Subject: "=?UTF-8?B?5p2l6Ieq?=\r\n =?UTF-8?Q?_caf=C3=A9?=", Date: "Tue, 01 Dec 2026 10:00:00 +0000", "Message-ID": "<enc@example.org>" }));
        await deliverNumbered(mail, 2, 4);
        await mail.deliver(message({ From: "Ann <ann@example.net>", To: "me@example.com", Subject: "=?iso-8859-1?Q?Gr=FC=DFe?=", "Message-ID": "<latin@example.net>" }));
        const other = await mail.otherClient();
        const uids = await uidsIn(other);
        const mailbox = await open(lesson, mail, "imap", network, network.defer);
        expect(mailbox.protocol, "protocol").toBe("imap");

        const first = await mailbox.listSubjects({ size: 2 });
        expect(first.messages.map((m) => m.id), "page 1: the ids are the two newest UIDs, newest first").toEqual([uids[4], uids[3]]);
        expect(subjects(first), 'page 1 subjects: "=?iso-8859-1?Q?Gr=FC=DFe?=" decoded (RFC 2047)').toEqual(["Grüße", "message 4"]);
        expect(first.messages[0]!.from, "from: { name, address }, the name decoded").toEqual({ name: "Ann", address: "ann@example.net" });
        expect(first.messages[0]!.seen, "seen: a new message has no \\Seen flag").toBe(false);
        expect(first.next, "next: the last id of the page, for `before`").toBe(uids[3]);

        const second = await mailbox.listSubjects({ size: 2, before: first.next! });
        expect(subjects(second), "page 2 (before: page 1's next)").toEqual(["message 3", "message 2"]);
        const third = await mailbox.listSubjects({ size: 2, before: second.next! });
        expect(subjects(third), 'page 3: "=?UTF-8?B?5p2l6Ieq?= =?UTF-8?Q?_caf=C3=A9?=" decoded — two encoded words, the space between them dropped (RFC 2047 §6.2)').toEqual(["来自 café"]);
        expect(third.messages[0]!.from, "from: the encoded name decoded").toEqual({ name: "朋友", address: "friend@example.org" });
        expect(third.messages[0]!.date?.toISOString(), "date: the Date: header").toBe("2026-12-01T10:00:00.000Z");
        expect(third.next, "next: null after the oldest message").toBe(null);
      },
    },
    {
      name: "IMAP paging stays put when mail arrives between two pages (no message twice)",
      timeoutMs: 15_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await deliverNumbered(mail, 1, 4);
        const mailbox = await open(lesson, mail, "imap", null, network.defer);
        const first = await mailbox.listSubjects({ size: 2 });
        expect(subjects(first), "page 1").toEqual(["message 4", "message 3"]);
        await deliverNumbered(mail, 5, 6); // new mail while the user reads page 1
        const second = await mailbox.listSubjects({ size: 2, before: first.next! });
        expect(
          subjects(second),
          "page 2 after two new messages arrived: still the two before page 1 — page by UID (before: the last UID shown), not by position from the newest",
        ).toEqual(["message 2", "message 1"]);
        expect(subjects(await mailbox.listSubjects({ size: 2 })), "page 1 again: the new mail is on top").toEqual(["message 6", "message 5"]);
      },
    },
    {
      name: "IMAP ids are UIDs: after another client expunges a message, the next session's page 2 and readMessage mean the same messages",
      timeoutMs: 15_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await deliverNumbered(mail, 1, 6);
        // `mail-client.ts list`, then later `mail-client.ts read 6` or `… list --before 5`: each run is a new session.
        const earlier = await open(lesson, mail, "imap", null, network.defer);
        const first = await earlier.listSubjects({ size: 2 });
        expect(subjects(first), "page 1").toEqual(["message 6", "message 5"]);
        await earlier.close();
        // Meanwhile another mail program (a phone) deletes the oldest message: every sequence number shifts by one.
        const other = await mail.otherClient();
        const [oldest] = await uidsIn(other);
        await other.run(`UID STORE ${oldest} +FLAGS.SILENT (\\Deleted)`);
        await other.run(`UID EXPUNGE ${oldest}`);
        const mailbox = await open(lesson, mail, "imap", null, network.defer);
        const second = await mailbox.listSubjects({ size: 2, before: first.next! });
        expect(
          subjects(second),
          "page 2 in a new session, after another client expunged message 1: sequence numbers shifted by one, UIDs did not — use UIDs (UID SEARCH, UID FETCH: { uid: true }) for ids and `next`",
        ).toEqual(["message 4", "message 3"]);
        const id = first.messages[0]!.id;
        const read = await mailbox.readMessage(id).catch((err: Error) => ({ subject: `(rejected: ${err.message})` }));
        expect(read.subject, `readMessage(${id}) in the new session: the message listed with that id`).toBe("message 6");
      },
    },
    {
      name: "IMAP readMessage: text/plain over text/html, quoted-printable UTF-8 decoded, attachments listed, not marked \\Seen",
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await mail.deliver(PLAIN_AND_HTML_WITH_ATTACHMENT);
        const other = await mail.otherClient();
        const [uid] = await uidsIn(other);
        const mailbox = await open(lesson, mail, "imap", null, network.defer);
        const read = await mailbox.readMessage(uid!);
        expect(read.text.trim(), "text: the text/plain part of the multipart/alternative (the HTML says the same, for programs that show HTML)").toBe("The scores are attached. 你好!");
        expect(read.messageId, "messageId").toBe("<scores@example.org>");
        expect(
          read.attachments.map(({ filename, contentType, size }) => ({ filename, contentType, size })),
          "attachments: filename, contentType, size",
        ).toEqual([{ filename: "scores.csv", contentType: "text/csv", size: 17 }]);
        expect(read.attachments[0]!.content.toString(), "attachment content: base64 decoded").toBe("name,score\nann,3\n");
        const flags = (await other.run(`UID FETCH ${uid} FLAGS`)).join(" ");
        expect(flags, "reading must not set \\Seen (BODY.PEEK[]): marking read is the user's choice").not.toContain("\\Seen");
      },
    },
    {
      name: "readMessage decodes the charset the message names: an ISO-8859-1 body (8bit and quoted-printable), IMAP and POP3",
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        const latin1 = (text: string) => Buffer.from(text, "latin1");
        await mail.deliver(message({ From: "ann@example.net", To: "me@example.com", Subject: "8bit", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=iso-8859-1", "Content-Transfer-Encoding": "8bit" }, latin1("Grüße aus Köln, café crème.\r\n")));
        await mail.deliver(message({ From: "ann@example.net", To: "me@example.com", Subject: "qp", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=ISO-8859-1", "Content-Transfer-Encoding": "quoted-printable" }, "=C7a co=FBte 5 =A3.\r\n"));
        for (const protocol of ["imap", "pop3"] as const) {
          const mailbox = await open(lesson, mail, protocol, null, network.defer);
          const { messages } = await mailbox.listSubjects({ size: 2 });
          const bySubject = Object.fromEntries(await Promise.all(messages.map(async (m) => [m.subject, (await mailbox.readMessage(m.id)).text.trim()])));
          expect(bySubject, `${protocol}: the bytes decoded as ISO-8859-1, as Content-Type says (é is the one byte E9 there, not UTF-8's C3 A9) — parse the Buffer, never a string made from it`).toEqual({
            "8bit": "Grüße aus Köln, café crème.",
            qp: "Ça coûte 5 £.",
          });
          await mailbox.close();
        }
      },
    },
    {
      name: "replyTo: to the parent's Reply-To, Subject 'Re: ' once, In-Reply-To, References = the parent's References + its Message-ID, text quoted",
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await mail.deliver(
          message(
            { From: "Newsletter <noreply@example.net>", "Reply-To": "Friend <friend@example.org>", To: "me@example.com", Subject: "Re: Plans for Saturday", "Message-ID": "<c@example.org>", "In-Reply-To": "<b@example.com>", References: "<a@example.org>\r\n <b@example.com>" },
            "Shall we meet at noon?\r\n\r\nBring the map.\r\n",
          ),
        );
        await mail.deliver(message({ From: "Friend <friend@example.org>", To: "me@example.com", Subject: "Lunch", "Message-ID": "<lunch2@example.org>", "In-Reply-To": "<lunch1@example.com>" }, "Lunch at one?\r\n"));
        const other = await mail.otherClient();
        const [threaded, second] = await uidsIn(other);
        const mailbox = await open(lesson, mail, "imap", null, network.defer);
        const smtp = await mail.smtp(null);

        const sent = await lesson.replyTo(mailbox, threaded!, "Yes, see you there!", smtp);
        const landed = await simpleParser(await arrivedAtFriend(mail, sent.messageId));
        expect(landed.subject, "Subject: the parent's was already 'Re: …' — no 'Re: Re: '").toBe("Re: Plans for Saturday");
        expect(landed.inReplyTo, "In-Reply-To: the parent's Message-ID").toBe("<c@example.org>");
        expect(landed.references, "References: the parent's References (the whole thread), then its Message-ID (RFC 5322 §3.6.4)").toEqual(["<a@example.org>", "<b@example.com>", "<c@example.org>"]);
        expect(landed.from?.value[0]?.address, "From: the account that sends").toBe("me@example.com");
        const body = landed.text ?? "";
        expect(body.startsWith("Yes, see you there!"), `the reply's text first, then the quote; got:\n${body}`).toBe(true);
        for (const line of ["Shall we meet at noon?", "Bring the map."]) expect(body, `every line of the parent's text quoted: "> ${line}"`).toContain(`> ${line}`);
        expect(sent.references, "replyTo() returns what it sent: references").toEqual(["<a@example.org>", "<b@example.com>", "<c@example.org>"]);

        const plain = await lesson.replyTo(mailbox, second!, "One is fine.", smtp);
        const landed2 = await simpleParser(await arrivedAtFriend(mail, plain.messageId));
        expect(landed2.subject, "Subject: 'Re: ' added to a subject without one").toBe("Re: Lunch");
        expect(landed2.references, "References of a reply to a message without References: its In-Reply-To, then its Message-ID").toEqual(["<lunch1@example.com>", "<lunch2@example.org>"]);
      },
    },
    {
      name: "IMAP moveToTrash where MOVE is offered: one UID MOVE; the message is in Trash and no longer in INBOX",
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await deliverNumbered(mail, 1, 3);
        const other = await mail.otherClient();
        const [, middle] = await uidsIn(other);
        const mailbox = await open(lesson, mail, "imap", null, network.defer);
        await mailbox.moveToTrash(middle!);
        const sent = imapCommands(mail.trace);
        expect(sent, `the server offers MOVE (RFC 6851): UID MOVE ${middle} Trash, one atomic command`).toContainEqual(expect.stringMatching(new RegExp(`^UID MOVE ${middle} "?Trash"?$`, "i")));
        expect(sent.filter((command) => /^(UID )?(COPY|EXPUNGE)\b/i.test(command)), "no COPY or EXPUNGE when the server can MOVE: a copy and a delete are two steps a dropped connection can split").toEqual([]);
        expect(await uidsIn(other), "INBOX after moveToTrash").not.toContain(middle);
        expect(mail.files("me@example.com", ".Trash").map((f) => f.content.includes("Subject: message 2")), "Trash holds message 2").toEqual([true]);
      },
    },
    {
      name: "IMAP moveToTrash where MOVE is not offered: UID COPY, STORE \\Deleted, UID EXPUNGE — by UID, and only that message",
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network, { move: false });
        await deliverNumbered(mail, 1, 5);
        const other = await mail.otherClient();
        const [one, two, three, four, five] = await uidsIn(other);
        // Another client expunged message 1 (sequence numbers shift: UID 3 is now number 2) …
        await other.run(`UID STORE ${one} +FLAGS.SILENT (\\Deleted)`);
        await other.run(`UID EXPUNGE ${one}`);
        // … and marked message 2 \Deleted without expunging it yet (its user may still undo that).
        await other.run(`UID STORE ${two} +FLAGS.SILENT (\\Deleted)`);
        const mailbox = await open(lesson, mail, "imap", null, network.defer);
        await mailbox.moveToTrash(three!);
        const sent = imapCommands(mail.trace);
        expect(sent.filter((command) => /^(UID )?MOVE\b/i.test(command)), "MOVE is not in this server's CAPABILITY: do not send it").toEqual([]);
        const trash = mail.files("me@example.com", ".Trash");
        expect(trash.map((f) => /Subject: (.*)/.exec(f.content.toString())?.[1]?.trim()), "Trash: a copy of message 3 (UID COPY), and nothing else").toEqual(["message 3"]);
        const inbox = await uidsIn(other);
        expect(inbox, "INBOX: message 3 is gone — COPY and STORE \\Deleted are not enough, EXPUNGE removes it").not.toContain(three);
        expect(inbox, "INBOX: message 2, which ANOTHER client marked \\Deleted, is still there — UID EXPUNGE (RFC 4315) removes only your UID; EXPUNGE and CLOSE remove every \\Deleted message").toContain(two);
        expect(inbox, "INBOX: messages 4 and 5 untouched (ids are UIDs: { uid: true })").toEqual(expect.arrayContaining([four, five]));
        expect(sent, "UID EXPUNGE of your UID only").toContainEqual(expect.stringMatching(new RegExp(`^UID EXPUNGE ${three}$`, "i")));
      },
    },
    {
      name: "POP3 behind the same interface: the same subjects, newest first and paged; moveToTrash marks with DELE, close() QUITs and deletes",
      network: true,
      timeoutMs: 20_000,
      async run(lesson, network) {
        const mail = await startMail(network);
        await mail.deliver(message({ From: "=?UTF-8?B?5pyL5Y+L?= <friend@example.org>", To: "me@example.com", Subject: "=?UTF-8?B?5p2l6Ieq5pyL5Y+L?=", Date: "Tue, 01 Dec 2026 10:00:00 +0000" }));
        await deliverNumbered(mail, 2, 3);
        const imap = await open(lesson, mail, "imap", null, network.defer);
        const imapSubjects = subjects(await imap.listSubjects({ size: 10 }));
        await imap.close();

        const pop3 = await open(lesson, mail, "pop3", network, network.defer);
        expect(pop3.protocol, 'openMailbox({ protocol: "pop3" })').toBe("pop3");
        const first = await pop3.listSubjects({ size: 2 });
        expect(first.messages.map((m) => m.id), "POP3 ids: the message numbers of this session, newest (highest) first").toEqual([3, 2]);
        expect(first.messages.map((m) => m.seen), "seen: null — POP3 has no flags").toEqual([null, null]);
        const second = await pop3.listSubjects({ size: 2, before: first.next! });
        expect([...subjects(first), ...subjects(second)], "POP3 subjects: the same as IMAP's, decoded").toEqual(imapSubjects);
        expect(second.messages[0]!.from, "from, decoded").toEqual({ name: "朋友", address: "friend@example.org" });
        expect(second.next, "next: null on the last page").toBe(null);
        expect((await pop3.readMessage(2)).subject, "readMessage(2)").toBe("message 2");

        await pop3.moveToTrash(1);
        expect(mail.files("me@example.com"), "before QUIT: DELE only marks (RFC 1939 §6), all 3 messages are still there").toHaveLength(3);
        expect(subjects(await pop3.listSubjects({ size: 10 })), "listSubjects after DELE 1: without it").toEqual(["message 3", "message 2"]);
        await pop3.close();
        const left = mail.files("me@example.com").map((f) => /Subject: (.*)/.exec(f.content.toString())?.[1]?.trim()).sort();
        expect(left, "after close(): QUIT told the server to delete message 1 — a hang-up without QUIT deletes nothing").toEqual(["message 2", "message 3"]);
      },
    },
  ],
});
