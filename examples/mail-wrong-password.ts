// A failed login, and how to tell it from other failures: the server answers AUTH with 535
// (RFC 4954 §6), nodemailer rejects with err.code "EAUTH" and err.responseCode 535.
//
//   npm start                                 (first, in another terminal)
//   npx tsx examples/mail-wrong-password.ts   tries to send with the password "wrong"
// HOST, SMTP_PORT (2525), DATA_DIR (.playground) and SMTP_PASSWORD (wrong) can be changed.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const caFile = join(process.env.DATA_DIR ?? ".playground", "tls", "cert.pem");
const ca = await readFile(caFile).catch(() => {
  console.error(`No certificate at ${caFile} — start the playground (npm start), or set DATA_DIR to the data dir it printed`);
  process.exit(1);
});

const transport = nodemailer.createTransport({
  host: HOST,
  port: SMTP_PORT,
  requireTLS: true,
  tls: { ca },
  auth: { user: "me@example.com", pass: process.env.SMTP_PASSWORD ?? "wrong" },
});

// #region handle
try {
  const info = await transport.sendMail({ from: "me@example.com", to: "friend@example.org", subject: "hi", text: "hi\n" });
  console.log(`Sent: ${info.response}`);
} catch (err) {
  const { code, responseCode, response } = err as Error & { code?: string; responseCode?: number; response?: string };
  if (code === "EAUTH") {
    // 535: the server understood AUTH and refused the user name or password. Trying again with
    // the same password will not help (and servers slow down or block repeated failures).
    console.error(`Login refused (${responseCode}): check the user name and password.\nThe server said: ${response}`);
  } else if (code === "ESOCKET" || code === "ECONNECTION") {
    console.error(`Could not talk to ${HOST}:${SMTP_PORT}: ${(err as Error).message} — is the playground running? Start it with: npm start`);
  } else {
    console.error(`Sending failed (${code ?? "?"} ${responseCode ?? ""}): ${(err as Error).message}`);
  }
  process.exitCode = 1;
} finally {
  transport.close();
}
// #endregion handle
