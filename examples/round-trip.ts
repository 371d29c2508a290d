// The round trip (Core Python's myMail.py): send a message with SMTP, fetch it back with POP3,
// and compare what arrived with what left. Every step says what it does and, if it fails, why.
//   npm start                                          (first, in another terminal)
//   npx tsx examples/round-trip.ts                     me@example.com → friend@example.org (two providers)
//   npx tsx examples/round-trip.ts me@example.com      to yourself (one provider, delivered locally)
// HOST (127.0.0.1), SMTP_PORT (2525), POP3_PORT (1110), CA_FILE (.playground/tls/cert.pem: the
// certificate STARTTLS must trust). Both demo accounts have the password "secret".

import net from "node:net";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import nodemailer from "nodemailer";
import MailComposer from "nodemailer/lib/mail-composer";
import { LineReader } from "../servers/line-protocol.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const POP3_PORT = Number(process.env.POP3_PORT ?? 1110);
const CA_FILE = process.env.CA_FILE ?? ".playground/tls/cert.pem";
const FROM = "me@example.com";
const TO = process.argv[2] ?? "friend@example.org";
const PASSWORD = "secret";

/** Stops with a message that names the step — the thing myMail.py's bare asserts did not do. */
function fail(step: string, err: unknown): never {
  const { code, message } = err as NodeJS.ErrnoException;
  // (nodemailer reports a refused connection with code ESOCKET, so the message is checked too)
  const advice = code === "ECONNREFUSED" || message.includes("ECONNREFUSED") ? " — is the playground running? Start it with: npm start" : "";
  console.error(`\n${step} failed: ${message}${advice}`);
  process.exit(1);
}

// #region send
// 1. Build the message and keep a copy of the exact bytes: that copy is what we compare with.
//    Our own Message-ID lets us find the message again among the others in the mailbox.
const messageId = `<${randomUUID()}@example.com>`;
const built = await new MailComposer({
  from: FROM,
  to: TO,
  subject: "Round trip",
  text: "xxx\nyyy\nzzz\n.a line that starts with a dot\n",
  messageId,
})
  .compile()
  .build();
// On the wire every line ends in CRLF (the transport converts "\n"): compare with that.
const sent = Buffer.from(built.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1");

// 2. Send it (SMTP): EHLO, STARTTLS, AUTH, MAIL FROM, RCPT TO, DATA — nodemailer does the talking.
console.log(`1. SMTP ${HOST}:${SMTP_PORT}: sending ${messageId} from ${FROM} to ${TO}`);
let ca: string;
try {
  ca = readFileSync(CA_FILE, "utf8");
} catch (err) {
  fail(`reading the certificate to trust (${CA_FILE}; set CA_FILE to the path npm start printed)`, err);
}
const transport = nodemailer.createTransport({ host: HOST, port: SMTP_PORT, auth: { user: FROM, pass: PASSWORD }, tls: { ca } });
try {
  const info = await transport.sendMail({ envelope: { from: FROM, to: [TO] }, raw: sent });
  console.log(`   the server said: ${info.response}`);
} catch (err) {
  fail("1. SMTP", err);
} finally {
  transport.close();
}
// #endregion send

// #region fetch
/** One POP3 session: the newest message with our Message-ID, or null. QUIT either way. */
async function findMessage(): Promise<{ message: Buffer; number: number } | null> {
  const socket = net.connect(POP3_PORT, HOST);
  await once(socket, "connect");
  const reader = new LineReader(socket);
  const command = async (line: string | null): Promise<string> => {
    if (line !== null) socket.write(`${line}\r\n`);
    const reply = (await reader.readLine()) ?? "-ERR the server closed the connection";
    if (!reply.startsWith("+OK")) throw new Error(`${line?.split(" ")[0] ?? "greeting"}: ${reply}`);
    return reply;
  };
  try {
    await command(null);
    await command(`USER ${TO}`);
    await command(`PASS ${PASSWORD}`);
    const count = Number((await command("STAT")).split(" ")[1]);
    for (let number = count; number >= 1; number--) {
      await command(`TOP ${number} 0`); // TOP n 0: the headers only (RFC 1939 §7) — cheap to look at
      const head = (await reader.readDotBlock()).toString("latin1");
      if (!head.includes(`\r\nMessage-ID: ${messageId}\r\n`)) continue;
      await command(`RETR ${number}`);
      return { message: await reader.readDotBlock(), number };
    }
    return null;
  } finally {
    await command("QUIT").catch(() => {}); // releases the mailbox lock
    socket.end();
  }
}

// 3. Fetch it (POP3). Relaying takes a moment, so look again until it is there —
//    myMail.py slept 10 seconds and hoped; we look every 200 ms for up to 10 seconds.
console.log(`2. POP3 ${HOST}:${POP3_PORT}: looking for it in ${TO}'s mailbox`);
const started = Date.now();
let found: { message: Buffer; number: number } | null = null;
while (found === null) {
  try {
    found = await findMessage();
  } catch (err) {
    fail("2. POP3", err);
  }
  if (found === null && Date.now() - started > 10_000) fail("2. POP3", new Error(`timed out: ${messageId} did not arrive within 10 s`));
  if (found === null) await new Promise((resolve) => setTimeout(resolve, 200));
}
console.log(`   found: message ${found.number}, ${found.message.length} bytes, after ${Date.now() - started} ms`);
// #endregion fetch

// #region compare
/** Header lines (unfolded) and body: the message split at its first blank line. */
function split(message: Buffer): { headers: string[]; body: string } {
  const text = message.toString("utf8");
  const blank = text.indexOf("\r\n\r\n");
  return { headers: text.slice(0, blank).replace(/\r\n[ \t]+/g, " ").split("\r\n"), body: text.slice(blank + 4) };
}
const before = split(sent);
const after = split(found.message);
const name = (line: string) => line.slice(0, line.indexOf(":")).toLowerCase();
const sentNames = new Set(before.headers.map(name));

console.log("3. Compare");
console.log(`   body: ${before.body === after.body ? "the same" : "DIFFERENT"} (${Buffer.byteLength(after.body)} bytes)`);
const changed = before.headers.filter((line) => !after.headers.includes(line));
console.log(`   headers we sent: ${changed.length === 0 ? "all arrived unchanged" : `CHANGED: ${changed.join(" | ")}`}`);
console.log("   added on the way (newest first):");
for (const line of after.headers.filter((line) => !sentNames.has(name(line)))) console.log(`     ${line}`);
const hops = after.headers.filter((line) => name(line) === "received").length;
console.log(`   ${hops} Received: header${hops === 1 ? "" : "s"}: ${hops} server${hops === 1 ? "" : "s"} handled the message`);
// #endregion compare
