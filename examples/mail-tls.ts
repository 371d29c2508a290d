// Two ways to wrap SMTP in TLS, and the certificate check that makes TLS worth having:
//
//   port 2525  STARTTLS (RFC 3207): start in plain text, say STARTTLS, then the TLS handshake
//   port 4650  implicit TLS (RFC 8314, "SMTPS"): the TLS handshake is the first thing on the wire
//
//   npm start                       (first, in another terminal)
//   npx tsx examples/mail-tls.ts    tries three times: no CA file (fails), then 2525 and 4650 with it
// HOST, SMTP_PORT (2525), SMTPS_PORT (4650) and DATA_DIR (.playground) can be changed.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const SMTPS_PORT = Number(process.env.SMTPS_PORT ?? 4650);
const caFile = join(process.env.DATA_DIR ?? ".playground", "tls", "cert.pem");

async function send(what: string, options: { port: number; secure: boolean; ca?: Buffer }): Promise<void> {
  // #region transport
  const transport = nodemailer.createTransport({
    host: HOST,
    port: options.port,
    secure: options.secure, // true: TLS from the first byte; false: plain text, then STARTTLS
    requireTLS: !options.secure, // never fall back to plain text: the password would travel in clear
    tls: options.ca ? { ca: options.ca } : {},
    auth: { user: "me@example.com", pass: "secret" },
  });
  // #endregion
  try {
    const info = await transport.sendMail({ from: "me@example.com", to: "friend@example.org", subject: what, text: `${what}\n` });
    console.log(`${what}: sent — ${info.response}`);
  } catch (err) {
    console.log(`${what}: FAILED — ${(err as Error).message}`);
  } finally {
    transport.close();
  }
}

// #region no-ca
// 1. Nobody vouches for the playground's self-signed certificate, so TLS refuses it: this is
//    exactly what a client would say to an impostor on the path. Do not "fix" it by switching
//    the check off (rejectUnauthorized: false) — then an impostor would get your password.
await send(`STARTTLS on ${SMTP_PORT}, without the CA file`, { port: SMTP_PORT, secure: false });
// #endregion no-ca

// #region with-ca
// 2. and 3. The fix: trust exactly the playground's certificate (the file npm start printed).
const ca = await readFile(caFile).catch(() => {
  console.error(`No certificate at ${caFile} — start the playground (npm start), or set DATA_DIR to the data dir it printed`);
  process.exit(1);
});
await send(`STARTTLS on ${SMTP_PORT}, trusting ${caFile}`, { port: SMTP_PORT, secure: false, ca });
await send(`implicit TLS on ${SMTPS_PORT}, trusting ${caFile}`, { port: SMTPS_PORT, secure: true, ca });
// #endregion with-ca
