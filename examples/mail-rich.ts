// The rest of liaoxuefeng's SMTP page in one message: an HTML version with a plain-text
// alternative, an image shown INSIDE the HTML (cid:), and a file attached.
//
//   npm start                        (first, in another terminal)
//   npx tsx examples/mail-rich.ts    prints the MIME structure of the message, then sends it
// HOST, SMTP_PORT (2525) and DATA_DIR (.playground, for the certificate) can be changed.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const DATA_DIR = process.env.DATA_DIR ?? ".playground";
const samples = new URL("../servers/mail/samples/", import.meta.url);

// #region message
const message = {
  from: { name: "Python爱好者", address: "me@example.com" },
  to: { name: "管理员", address: "friend@example.org" },
  subject: "Hello, with pictures and a file",
  // MIMEMultipart('alternative'): the same content twice; a client shows the best it can.
  text: "Hello! See the picture and the scores (scores.csv).",
  html: '<html><body><h1>Hello</h1><p><img src="cid:logo@example.com"></p><p>See the scores.</p></body></html>',
  // #region attachments
  attachments: [
    // MIMEBase + encode_base64 + Content-Disposition: attachment — a Buffer goes as base64, byte-exact.
    { filename: "scores.csv", content: await readFile(new URL("scores.csv", samples)) },
    // Content-ID: <logo@example.com> — the HTML's cid: names it, so it is shown inline, not listed.
    { filename: "playground.png", content: await readFile(new URL("playground.png", samples)), cid: "logo@example.com" },
  ],
  // #endregion
};
// #endregion message

// #region structure
// Build it without sending (the stream transport) and print the skeleton: every boundary line
// and every Content-… header. Indentation shows which part sits inside which.
const built = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail(message);
const raw = (built.message as Buffer).toString().replace(/\r\n/g, "\n");
console.log(`The message (${raw.length} bytes), its MIME structure:\n`);
const open: string[] = []; // boundaries of the multiparts we are inside
for (const line of raw.split("\n")) {
  const boundary = /boundary="([^"]+)"/.exec(line)?.[1];
  const depth = "  ".repeat(open.length);
  if (/^content-(type|disposition|id|transfer-encoding):/i.test(line) || /^\s+(boundary|filename)=/.test(line)) {
    console.log(`${depth}${line.trim()}`);
  }
  if (boundary) open.push(boundary);
  if (open.length > 0 && line === `--${open[open.length - 1]}--`) {
    open.pop();
    console.log(`${"  ".repeat(open.length)}${line}`);
  } else if (open.some((b) => line === `--${b}`)) {
    console.log(`${"  ".repeat(open.length - 1)}${line}`);
  }
}
// #endregion structure

const caFile = join(DATA_DIR, "tls", "cert.pem");
const ca = await readFile(caFile).catch(() => {
  console.error(`\nNo certificate at ${caFile} — start the playground (npm start), or set DATA_DIR to the data dir it printed`);
  process.exit(1);
});
const transport = nodemailer.createTransport({ host: HOST, port: SMTP_PORT, requireTLS: true, tls: { ca }, auth: { user: "me@example.com", pass: "secret" } });
try {
  const info = await transport.sendMail({ envelope: { from: "me@example.com", to: ["friend@example.org"] }, raw: built.message as Buffer });
  console.log(`\nSent through ${HOST}:${SMTP_PORT}: ${info.response}`);
} catch (err) {
  console.error(`\nCould not send through ${HOST}:${SMTP_PORT}: ${(err as Error).message} — ${whatToCheck(err as Error)}`);
  process.exit(1);
} finally {
  transport.close();
}

/** A certificate error means the playground runs, but with another data dir (another certificate). */
function whatToCheck(err: Error): string {
  return /certificate/i.test(err.message)
    ? `the server's certificate is not the one in ${caFile}: if npm start runs with another --data-dir, run this with DATA_DIR=<that dir>`
    : "is the playground running? Start it with: npm start";
}
