// Wrong answer: compares with the message as built (bare \n), not as it went over the wire (CRLF)
// Compares with the message as MailComposer built it, not as it went over the
// wire. Its text still has bare "\n" line endings; on the wire (and so in the mailbox) every
// line ends in CRLF. The bodies "differ" although nothing changed on the way.
import { randomUUID } from "node:crypto";
import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import { Pop3Client } from "../../../lessons/09-receiving-mail/solution.ts";

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

export async function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;

  // 1. Build the message ourselves and keep the copy. Our own Message-ID: the servers leave it
  //    alone, so it finds our message among the others in the mailbox.
  const messageId = `<${randomUUID()}@${options.from.split("@")[1]}>`;
  const built = await new MailComposer({
    from: options.from,
    to: options.to,
    subject: options.subject,
    text: options.text,
    messageId,
  })
    .compile()
    .build();
  // On the wire every line ends in CRLF (RFC 5322 §2.1) and SMTP's end of data is CRLF.CRLF, so
  // the transport turns bare "\n" into "\r\n" and ends the message with a line break. Make our
  // copy the same, so that we compare with what really left, not with a draft.
  const sent = built; // the draft, not what went over the wire
  void toCrlf;

  // 2. Send it (SMTP). nodemailer: EHLO, STARTTLS if offered, AUTH, MAIL FROM, RCPT TO, DATA.
  await step(`SMTP: sending via ${options.smtp.host}:${options.smtp.port} as ${options.smtp.user}`, async () => {
    const transport = nodemailer.createTransport({
      host: options.smtp.host,
      port: options.smtp.port,
      secure: false, // plain first; STARTTLS when the server offers it
      auth: { user: options.smtp.user, pass: options.smtp.password },
      tls: options.ca ? { ca: options.ca } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    });
    try {
      await transport.sendMail({ envelope: { from: options.from, to: [options.to] }, raw: sent });
    } finally {
      transport.close();
    }
  });

  // 3. Fetch it (POP3). Relaying to another provider takes a moment: look again until it is there
  //    (myMail.py slept 10 seconds and hoped; we poll, and give up with a clear error).
  const deadline = Date.now() + timeoutMs;
  let received: Buffer | null = null;
  for (;;) {
    received = await step(`POP3: reading ${options.pop3.user}'s mailbox at ${options.pop3.host}:${options.pop3.port}`, () =>
      withTimeout(findMessage(options.pop3, messageId), timeoutMs, "the server stopped answering"),
    );
    if (received !== null) break;
    if (Date.now() + 200 > deadline) {
      throw new Error(
        `POP3: timed out after ${timeoutMs} ms: message ${messageId} never arrived in ${options.pop3.user}'s mailbox ` +
          "(was it sent to another address? is the relay between the two providers working?)",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // then look again
  }

  // 4. Compare.
  return compare(messageId, parse(sent), parse(received));
}

/** One session: log in, look at the messages newest first, return ours (or null), QUIT. */
async function findMessage(pop3: Server, messageId: string): Promise<Buffer | null> {
  const client = await Pop3Client.connect(pop3.host, pop3.port);
  try {
    await client.login(pop3.user, pop3.password);
    const { count } = await client.stat();
    for (let number = count; number >= 1; number--) {
      const message = await client.retr(number);
      if (parse(message).headers["message-id"]?.[0] === messageId) return message;
    }
    return null;
  } finally {
    await client.quit().catch(() => {}); // QUIT even after an error: it releases the maildrop lock
  }
}

/** Splits a message at its first blank line; unfolds headers ("\r\n " continues a line). */
function parse(message: Buffer): MessageView {
  const text = message.toString("utf8");
  const blank = text.indexOf("\r\n\r\n");
  const head = blank === -1 ? text : text.slice(0, blank);
  const body = blank === -1 ? "" : text.slice(blank + 4);
  const headers: Record<string, string[]> = {};
  for (const line of head.replace(/\r\n(?=[ \t])/g, "").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    // A header may appear many times (Received: once per hop): keep every value, in order.
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function compare(messageId: string, sent: MessageView, received: MessageView): RoundTripReport {
  const sentNames = Object.keys(sent.headers);
  const receivedNames = Object.keys(received.headers);
  return {
    messageId,
    sent,
    received,
    sameBody: sent.body === received.body,
    differingHeaders: sentNames
      .filter((name) => name in received.headers && JSON.stringify(sent.headers[name]) !== JSON.stringify(received.headers[name]))
      .sort(),
    // Added on the way, by design: Received (one per server, RFC 5321 §4.4), Return-Path (the final
    // server writes the envelope sender, RFC 5321 §4.4). Not differences: listed, not counted.
    addedHeaders: receivedNames.filter((name) => !(name in sent.headers)).sort(),
    missingHeaders: sentNames.filter((name) => !(name in received.headers)).sort(),
    hops: received.headers["received"]?.length ?? 0,
  };
}

/** Runs one step; a failure becomes an Error that names the step, with the cause's message. */
async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw new Error(`${name} failed: ${(err as Error).message}`, { cause: err });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms (${what})`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function toCrlf(message: Buffer): Buffer {
  const text = message.toString("latin1").replace(/\r?\n/g, "\r\n"); // latin1: byte for byte
  return Buffer.from(text.endsWith("\r\n") ? text : `${text}\r\n`, "latin1");
}
