// Lesson 08 — reference solution. Same exports as exercise.ts.
//
// nodemailer does for us what lesson 07 did by hand (EHLO, AUTH, MAIL FROM, RCPT TO, DATA,
// dot-stuffing) and builds the MIME message liaoxuefeng built with email.mime:
//
//   multipart/mixed
//   ├── multipart/alternative          the same content twice: the client shows the best it can
//   │   ├── text/plain                 for clients (and people) that do not read HTML
//   │   └── multipart/related          the HTML and the images it shows
//   │       ├── text/html              <img src="cid:logo@example.com">
//   │       └── image/png              Content-ID: <logo@example.com>, Content-Disposition: inline
//   └── application/octet-stream       Content-Disposition: attachment; filename=…
//
// Headers may only hold ASCII (RFC 5322), so non-ASCII names and subjects travel as RFC 2047
// "encoded words" — =?UTF-8?B?…?= — exactly what liaoxuefeng's Header(name, 'utf-8').encode() made.

import { readFile } from "node:fs/promises";
import nodemailer from "nodemailer";

export interface Mailbox {
  name: string; // display name, may be non-ASCII: "Python爱好者"
  address: string; // "me@example.com"
}

export interface NewsletterOptions {
  host: string;
  port: number;
  secure: boolean; // true: TLS from the first byte (SMTPS, 4650); false: plain, then STARTTLS (2525)
  caFile: string; // the playground's certificate: the one certificate to trust
  user: string;
  password: string;
  from: Mailbox;
  to: Mailbox;
  subject: string;
  text: string; // the plain-text version
  html: string; // the HTML version; it shows the logo with <img src="cid:…logoCid…">
  logo: Buffer; // PNG bytes, shown inside the HTML
  logoCid: string; // the Content-ID the HTML refers to
  attachment: { filename: string; content: Buffer };
}

/** Builds the newsletter and sends it over TLS; resolves with the server's reply ("250 …"). */
export async function sendNewsletter(options: NewsletterOptions): Promise<string> {
  const transport = nodemailer.createTransport({
    host: options.host,
    port: options.port,
    secure: options.secure,
    // Without implicit TLS, insist on STARTTLS (RFC 3207): if the server does not offer it, fail
    // rather than send the password in clear text.
    requireTLS: !options.secure,
    auth: { user: options.user, pass: options.password },
    // The playground's certificate is self-signed: no authority vouches for it, so tell TLS to
    // trust exactly this one. Verification stays on — an impostor's certificate is still refused.
    tls: { ca: await readFile(options.caFile) },
  });
  try {
    const info = await transport.sendMail({
      from: options.from, // nodemailer encodes a non-ASCII name as =?UTF-8?B?…?= (RFC 2047)
      to: options.to,
      subject: options.subject,
      text: options.text, // text + html → multipart/alternative
      html: options.html,
      attachments: [
        // A Buffer is sent as base64: every byte arrives exactly as it was.
        { filename: options.attachment.filename, content: options.attachment.content },
        // A cid makes it an inline part of the HTML (multipart/related), shown where the HTML says.
        { filename: "logo.png", content: options.logo, contentType: "image/png", cid: options.logoCid },
      ],
    });
    return info.response;
  } finally {
    transport.close();
  }
}
