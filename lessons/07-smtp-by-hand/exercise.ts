// Lesson 07 — your exercise. Replace the todo(...) with your own code, then run:
//   npm test -- 07
// Stuck? npm run hint 07

import { todo } from "../not-implemented.ts";

export interface SendMailOptions {
  host: string;
  port: number;
  user: string; // "me@example.com"
  password: string;
  from: string; // the envelope sender: MAIL FROM:<from>
  to: string[]; // the envelope recipients: one RCPT TO:<…> each
  message: string; // headers, empty line, body — lines end in "\n" or "\r\n"
}

/**
 * Sends `message` with SMTP over a raw TCP socket (node:net), and resolves with the server's
 * reply to the message itself — the reply after the final ".", e.g. "250 OK: message queued".
 *
 *   S: 220 …greeting                 C: MAIL FROM:<me@example.com>     S: 250 …
 *   C: EHLO localhost                C: RCPT TO:<friend@example.org>   S: 250 …   (one per recipient)
 *   S: 250-… (more lines) 250 …      C: DATA                           S: 354 …
 *   C: AUTH PLAIN <base64>           C: <the message, dot-stuffed>
 *   S: 235 …                         C: .                              S: 250 …   ← resolve with this
 *                                    C: QUIT                           S: 221 …
 *
 * - Use node:net only: the checker reads this file and rejects mail libraries (nodemailer,
 *   smtp-server, …). The point is the protocol.
 * - Every line you send ends in "\r\n" — the message's lines too, whatever they ended in.
 * - A reply may come in many pieces, and may have many lines: "250-…" says "more lines
 *   follow", "250 …" is the last one. Read the whole reply before you send the next command.
 * - AUTH PLAIN's argument is base64 of "\0" + user + "\0" + password (RFC 4616).
 * - Dot-stuffing: a line that is just "." ends the message, so put one more "." in front of
 *   every line of the message that starts with "." (RFC 5321 §4.5.2).
 * - When a reply has the wrong code (535 for a wrong password, 550 for an unknown mailbox…),
 *   reject with an Error whose message contains the server's reply, code included.
 */
export async function sendMail(options: SendMailOptions): Promise<string> {
  todo("sendMail");
}
