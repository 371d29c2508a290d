// The sample mail a fresh playground starts with, so the POP3 lesson has something to read at
// once. Each message shows one thing a mail reader must handle; the files they attach are in
// samples/ next to this file, so a learner can check that a saved attachment is byte-identical.
//
// The messages are built with nodemailer's MailComposer (the MIME half of nodemailer, without the
// sending), so they are valid MIME: boundaries, RFC 2047 encoded headers, base64 attachments.

import { readFile } from "node:fs/promises";
import MailComposer from "nodemailer/lib/mail-composer";

export const SAMPLES_DIR = new URL("./samples/", import.meta.url);

export interface SampleMessage {
  /** The mailbox it is delivered to. */
  address: string;
  /** The whole message, as a mail client would download it. */
  message: Buffer;
}

export async function sampleMessages(): Promise<SampleMessage[]> {
  const png = await readFile(new URL("playground.png", SAMPLES_DIR));
  const csv = await readFile(new URL("scores.csv", SAMPLES_DIR));
  const day = (hour: number) => new Date(Date.UTC(2024, 0, 15, hour, 0, 0));

  const toFriend = [
    // 1. The simplest message there is: headers, a blank line, a few lines of text.
    {
      from: "Postmaster <postmaster@example.org>",
      to: "friend@example.org",
      subject: "Welcome to example.org",
      date: day(8),
      messageId: "<welcome.friend@example.org>",
      text:
        "Hello friend,\n\nthis is your mailbox at example.org, the playground's second mail provider.\n" +
        "Mail to you arrives at the MX server (port 2526); you read it with POP3 (port 1110).\n\n" +
        "-- \nThe playground postmaster\n",
    },
    // 2. HTML with a plain-text alternative (multipart/alternative): a reader shows the best part it can.
    {
      from: "Me <me@example.com>",
      to: "Friend <friend@example.org>",
      subject: "An HTML message (with a plain-text alternative)",
      date: day(9),
      messageId: "<html-demo@example.com>",
      text: "Hello!\n\nThis message has an HTML version too. Your mail reader chose the plain text.\n",
      html: "<p>Hello!</p>\n<p>This message has an <b>HTML</b> version and a <i>plain-text</i> alternative.</p>\n",
    },
    // 3. Attachments and an inline image (multipart/mixed around multipart/related): the image
    //    in the HTML is referenced by its Content-ID, "cid:playground-logo".
    {
      from: "Me <me@example.com>",
      to: "Friend <friend@example.org>",
      subject: "Scores and the playground logo (attachments)",
      date: day(10),
      messageId: "<attachments-demo@example.com>",
      text: "Attached: this week's scores (scores.csv) and the playground logo (playground.png).\n",
      html: '<p>This week\'s scores are attached. Here is the logo, inline:</p>\n<p><img src="cid:playground-logo" alt="logo"></p>\n',
      attachments: [
        { filename: "scores.csv", content: csv, contentType: "text/csv" },
        { filename: "playground.png", content: png, contentType: "image/png" },
        { filename: "logo.png", content: png, contentType: "image/png", cid: "playground-logo" },
      ],
    },
    // 4. Non-ASCII display name and subject: headers may only carry ASCII, so they travel RFC 2047
    //    encoded (=?utf-8?B?...?=) — what Python's Header() and _format_addr() produce.
    {
      from: "管理员 <admin@example.com>",
      to: "朋友 <friend@example.org>",
      subject: "来自SMTP的问候……",
      date: day(11),
      messageId: "<chinese-demo@example.com>",
      text: "你好，这是一封用 SMTP 发送的邮件。\nHello, this message was sent with SMTP; its headers are RFC 2047 encoded.\n",
    },
    // 5. Lines starting with "." — on the wire SMTP and POP3 double such a dot ("dot-stuffing"),
    //    because a line holding only "." ends the message. Stored here as written.
    {
      from: "Me <me@example.com>",
      to: "Friend <friend@example.org>",
      subject: "Lines that start with a dot",
      date: day(12),
      messageId: "<dots-demo@example.com>",
      text: "The next lines start with a dot:\n.profile and .bashrc are hidden files\n.\n..two dots\nIf you read this line, the dots above survived the trip.\n",
    },
  ];
  const toMe = [
    {
      from: "Postmaster <postmaster@example.com>",
      to: "me@example.com",
      subject: "Welcome to example.com",
      date: day(8),
      messageId: "<welcome.me@example.com>",
      text:
        "Hello,\n\nthis is your mailbox at example.com. Send mail through the submission server (port 2525,\n" +
        "log in as me@example.com / secret); mail to friend@example.org travels on to the example.org MX.\n",
    },
    {
      from: "Friend <friend@example.org>",
      to: "Me <me@example.com>",
      subject: "Re: Lunch?",
      date: day(13),
      messageId: "<lunch-reply@example.org>",
      inReplyTo: "<lunch@example.com>",
      text: "Sure, see you at noon!\n\n> Lunch tomorrow?\n",
    },
  ];

  const messages: SampleMessage[] = [];
  for (const [address, list] of [["friend@example.org", toFriend], ["me@example.com", toMe]] as const) {
    for (const mail of list) {
      const built = await new MailComposer(mail).compile().build();
      // Return-Path: the envelope sender, added by the server that delivers into the mailbox.
      const sender = /<([^>]+)>/.exec(mail.from)?.[1] ?? mail.from;
      messages.push({ address, message: Buffer.concat([Buffer.from(`Return-Path: <${sender}>\r\n`), built]) });
    }
  }
  return messages;
}
