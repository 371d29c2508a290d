// The journey of one e-mail through the playground's two providers:
//
//   me@example.com ──SMTP──▶ smtp.example.com (2525) ──SMTP──▶ mx.example.org (2526) ──▶ Maildir of friend@example.org
//        MUA (this program)      MTA of the sender           MTA of the recipient        MDA: the mailbox
//
//   npm start                          (first, in another terminal)
//   npx tsx examples/mail-journey.ts   sends one message, finds it in friend's mailbox, prints its stamps
// HOST, SMTP_PORT (2525) and DATA_DIR (.playground: where npm start keeps the mail) can be changed.
// Lesson 06 only watches the journey; lessons 07 and 08 show how the sending works.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const DATA_DIR = process.env.DATA_DIR ?? ".playground";
const mailbox = join(DATA_DIR, "mail", "friend@example.org", "new"); // the recipient's Maildir

// #region send
// The sender's mail program (MUA) hands the message to ITS provider's server, after logging in:
// only example.com's own users may send through smtp.example.com.
const subject = `The journey, ${new Date().toISOString()}`;
// The playground's self-signed certificate, so that the connection can switch to TLS (lesson 08).
const caFile = join(DATA_DIR, "tls", "cert.pem");
const ca = await readFile(caFile).catch(() => {
  console.error(`No certificate at ${caFile} — start the playground (npm start), or set DATA_DIR to the data dir it printed`);
  process.exit(1);
});
const transport = nodemailer.createTransport({ host: HOST, port: SMTP_PORT, auth: { user: "me@example.com", pass: "secret" }, tls: { ca } });
try {
  const info = await transport.sendMail({ from: "me@example.com", to: "friend@example.org", subject, text: "Hello, friend!\n" });
  console.log(`Sent to ${HOST}:${SMTP_PORT}, which answered: ${info.response}`);
} catch (err) {
  console.error(`Could not send through ${HOST}:${SMTP_PORT}: ${(err as Error).message} — ${whatToCheck(err as Error)}`);
  process.exit(1);
} finally {
  transport.close();
}
// #endregion send

// #region find
// smtp.example.com passed the message on to example.org's MX, which stored it in friend's
// Maildir: one file per message, written to tmp/ and then renamed into new/.
let file = "";
let message = "";
for (let attempt = 0; attempt < 50 && file === ""; attempt++) {
  for (const name of await readdir(mailbox).catch(() => [] as string[])) {
    const text = await readFile(join(mailbox, name), "utf8").catch(() => "");
    if (text.includes(subject)) [file, message] = [join(mailbox, name), text];
  }
  if (file === "") await new Promise((resolve) => setTimeout(resolve, 100));
}
if (file === "") {
  console.error(`The message did not show up in ${mailbox} — is DATA_DIR the data dir npm start printed?`);
  process.exit(1);
}
console.log(`Stored as ${file}\n`);
// #endregion find

// #region stamps
// Every server that handled the message wrote a Received: header ON TOP of it. The header
// section ends at the first empty line; lines starting with a space or tab continue a header.
const headerSection = message.slice(0, message.indexOf("\n\n"));
console.log(headerSection);
const stamps = headerSection.split(/\n(?![ \t])/).filter((header) => /^received:/i.test(header));
console.log(`\n${stamps.length} Received: headers — read them from the bottom up:`);
stamps.reverse().forEach((stamp, i) => {
  const from = /\bfrom\s+(\S+)/i.exec(stamp)?.[1];
  const by = /\bby\s+(\S+)/i.exec(stamp)?.[1];
  const date = stamp.slice(stamp.lastIndexOf(";") + 1).trim();
  console.log(`  hop ${i + 1}: from ${from} by ${by} at ${date}`);
});
// #endregion stamps

/** A certificate error means the playground runs, but with another data dir (another certificate). */
function whatToCheck(err: Error): string {
  return /certificate/i.test(err.message)
    ? `the server's certificate is not the one in ${caFile}: if npm start runs with another --data-dir, run this with DATA_DIR=<that dir>`
    : "is the playground running? Start it with: npm start";
}
