// Lesson 08 — your exercise. Replace the todo(...) with your own code, then run:
//   npm test -- 08
// Stuck? npm run hint 08

import { todo } from "../not-implemented.ts";

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

/**
 * Builds the newsletter with nodemailer and sends it; resolves with the server's reply to the
 * message ("250 …" — nodemailer calls it `info.response`).
 *
 * - The message has a text AND an HTML version, the logo shown inside the HTML (its Content-ID
 *   is `logoCid`), and the attachment, byte for byte.
 * - Names and subject may be Chinese: they must reach the other side decoded correctly, while
 *   the headers on the wire stay ASCII (RFC 2047 — nodemailer does it if you let it).
 * - Always TLS: `secure: true` is TLS from the first byte; with `secure: false` insist on
 *   STARTTLS before logging in (nodemailer's `requireTLS`). Trust the playground's certificate
 *   by giving its file as `tls: { ca: … }`. Never turn verification off: the checks start an
 *   impostor server, and your password must never reach it.
 * - A wrong password: reject with nodemailer's error (err.code "EAUTH", err.responseCode 535).
 */
export async function sendNewsletter(options: NewsletterOptions): Promise<string> {
  todo("sendNewsletter");
}
