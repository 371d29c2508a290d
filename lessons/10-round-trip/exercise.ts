// Lesson 10 — your exercise. Replace the todo(...) with your own code, then run:
//   npm test -- 10
// Stuck? npm run hint 10
//
// The round trip of Core Python's myMail.py: send a message with SMTP (nodemailer), fetch it
// back with POP3 (your Pop3Client from lesson 09), and report how what arrived compares with
// what left. Every step can fail; when one does, reject with an Error that names the step.

import { todo } from "../not-implemented.ts";
// What you will need (uncomment as you go):
// import { randomUUID } from "node:crypto";
// import nodemailer from "nodemailer";
// import MailComposer from "nodemailer/lib/mail-composer";
// import { Pop3Client } from "../09-receiving-mail/exercise.ts"; // yours; not finished? use "../09-receiving-mail/solution.ts"

export interface Server {
  host: string; // "127.0.0.1"
  port: number; // 2525 for SMTP submission, 1110 for POP3
  user: string; // "me@example.com"
  password: string; // "secret"
}

export interface RoundTripOptions {
  smtp: Server; // where the sender submits mail (the sender's provider)
  pop3: Server; // where the recipient reads it (the recipient's provider)
  ca?: string; // the certificate (PEM text) to trust when the SMTP server offers STARTTLS
  from: string; // envelope and From: address, "me@example.com"
  to: string; // envelope and To: address, "friend@example.org"
  subject: string;
  text: string; // the body, plain text; "\n" line endings are fine
  timeoutMs?: number; // the longest wait for any step, and for the message to arrive (default 10000)
}

export interface MessageView {
  headers: Record<string, string[]>; // lower-case name → every value, in order, unfolded
  body: string; // everything after the first blank line, CRLF line endings
}

export interface RoundTripReport {
  messageId: string; // the Message-ID we gave the message: how we find it again
  sent: MessageView; // exactly what went out over SMTP
  received: MessageView; // exactly what RETR brought back
  sameBody: boolean;
  differingHeaders: string[]; // in both, with different values (sorted) — should be []
  addedHeaders: string[]; // only in what arrived: what the servers added (sorted)
  missingHeaders: string[]; // only in what was sent: lost on the way (sorted) — should be []
  hops: number; // how many Received: headers: one per server that passed the message on
}

/**
 * Sends a message from options.from to options.to through options.smtp, finds it in
 * options.pop3's mailbox, and compares.
 *
 * - Build the message yourself (nodemailer's MailComposer: `new MailComposer({ from, to,
 *   subject, text, messageId }).compile().build()` gives its bytes) with your own Message-ID,
 *   e.g. `<${randomUUID()}@example.com>`, and keep that copy: it is `sent`. Give it CRLF line
 *   endings and a final CRLF — that is what really goes over the wire.
 * - Send exactly those bytes: nodemailer's `sendMail({ envelope: { from, to: [to] }, raw })`.
 *   Pass `tls: { ca: options.ca }` to createTransport: the playground offers STARTTLS.
 * - Fetch: log in with POP3 and look through the messages (newest first) for your Message-ID.
 *   Relaying may take a moment: look again every ~200 ms, until options.timeoutMs (default
 *   10000) has passed — then reject with an Error that says it timed out waiting.
 * - Compare: split each message at its first blank line; header names lower-cased, folded
 *   lines unfolded, and every value kept (Received: appears once per hop). Headers only in
 *   what arrived are `addedHeaders`, not differences.
 * - Errors name the step: "SMTP: … failed: Invalid login: 535 …", "POP3: … failed: -ERR …".
 */
export async function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  todo("roundTrip");
}
