// liaoxuefeng's first SMTP example in Node: a plain-text message whose From, To and Subject are
// Chinese — encoded for the trip, the way liaoxuefeng's _format_addr() and Header() did it.
//
//   npm start                         (first, in another terminal)
//   npx tsx examples/mail-plain.ts    prints the message as the server receives it, then sends it
// HOST, SMTP_PORT (2525) and DATA_DIR (.playground, for the certificate) can be changed.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const DATA_DIR = process.env.DATA_DIR ?? ".playground";

// #region message
const message = {
  from: { name: "Python爱好者", address: "me@example.com" }, // _format_addr('Python爱好者 <%s>' % from_addr)
  to: { name: "管理员", address: "friend@example.org" }, // _format_addr('管理员 <%s>' % to_addr)
  subject: "来自SMTP的问候……", // Header('来自SMTP的问候……', 'utf-8').encode()
  text: "hello, send by Node.js...",
};
// #endregion message

// #region preview
// Build the message without sending it (nodemailer's stream transport), to see the bytes that
// will cross the wire. Headers may only hold ASCII (RFC 5322 §2.2), so the names and the
// subject are RFC 2047 "encoded words": =?UTF-8?B?<base64>?= or =?UTF-8?Q?<quoted-printable>?=.
const built = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail(message);
const raw = built.message as Buffer;
console.log("The message, as the server will receive it:\n");
console.log(raw.toString().replace(/\r\n/g, "\n").trimEnd());
// #endregion preview

// #region send
const caFile = join(DATA_DIR, "tls", "cert.pem");
const ca = await readFile(caFile).catch(() => {
  console.error(`\nNo certificate at ${caFile} — start the playground (npm start), or set DATA_DIR to the data dir it printed`);
  process.exit(1);
});
const transport = nodemailer.createTransport({
  host: HOST,
  port: SMTP_PORT,
  requireTLS: true, // STARTTLS before AUTH, or fail: the password never travels in clear text
  tls: { ca }, // trust the playground's self-signed certificate (and nothing else)
  auth: { user: "me@example.com", pass: "secret" },
});
try {
  // The same bytes as above: `raw` sends them as they are, `envelope` says who gets them.
  const info = await transport.sendMail({ envelope: { from: "me@example.com", to: ["friend@example.org"] }, raw });
  console.log(`\nSent through ${HOST}:${SMTP_PORT}: ${info.response}`);
} catch (err) {
  console.error(`\nCould not send through ${HOST}:${SMTP_PORT}: ${(err as Error).message} — ${whatToCheck(err as Error)}`);
  process.exit(1);
} finally {
  transport.close();
}
// #endregion send

/** A certificate error means the playground runs, but with another data dir (another certificate). */
function whatToCheck(err: Error): string {
  return /certificate/i.test(err.message)
    ? `the server's certificate is not the one in ${caFile}: if npm start runs with another --data-dir, run this with DATA_DIR=<that dir>`
    : "is the playground running? Start it with: npm start";
}
