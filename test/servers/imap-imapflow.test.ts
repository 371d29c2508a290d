// imapflow, the npm IMAP client lesson 16 will use, against the playground's whole mail system:
// mail arrives by SMTP submission (as a learner's mail does), imapflow reads it over STARTTLS and
// IMAPS with TLS verified against the playground's CA file (servername "localhost", which the
// certificate names), never with rejectUnauthorized: false.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ImapFlow, type ImapFlowOptions } from "imapflow";
import { expect, onTestFinished, test } from "vitest";
import { RawSmtp, expectCode, startTestMail } from "./mail-kit.ts";
import { ME, PASSWORD } from "./imap-kit.ts";

const MULTIPART = [
  "From: Friend <friend@example.org>",
  "To: me@example.com",
  "Subject: =?utf-8?b?5p2l6IeqU01UUOeahOmXruWAmQ==?=",
  "Date: Tue, 01 Dec 2026 10:00:00 +0000",
  "Message-ID: <multi@example.org>",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="XYZ"',
  "",
  "--XYZ",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Hello, multipart!",
  "--XYZ",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  'Content-Disposition: attachment; filename="data.bin"',
  "",
  Buffer.from("binary bytes").toString("base64"),
  "--XYZ--",
  "",
].join("\r\n");

/** Sends one message (CRLF line ends, ending in CRLF) through the submission server (AUTH PLAIN on loopback), as a mail client would. */
async function submit(port: number, message: string): Promise<void> {
  const smtp = await RawSmtp.connect(port);
  await smtp.login();
  await expectCode(smtp.command("MAIL FROM:<friend@example.org>"), 250);
  await expectCode(smtp.command(`RCPT TO:<${ME}>`), 250);
  await expectCode(smtp.command("DATA"), 354);
  await expectCode(smtp.command(`${message.replace(/^\./gm, "..")}.`), 250);
  await smtp.command("QUIT");
  smtp.close();
}

async function startMail() {
  const mail = await startTestMail({ seed: false, fsync: false });
  onTestFinished(() => mail.stop());
  return { ...mail, ca: await readFile(mail.caFile, "utf8") };
}

/** An imapflow client that trusts only the playground's CA; logged out when the test ends. */
async function connect(options: Partial<ImapFlowOptions> & { port: number; ca: string }): Promise<ImapFlow> {
  const { ca, ...rest } = options;
  const client = new ImapFlow({
    host: "127.0.0.1",
    secure: false,
    auth: { user: ME, pass: PASSWORD },
    tls: { ca, servername: "localhost" }, // verified: the certificate's names include localhost
    logger: false,
    ...rest,
  });
  client.on("error", () => {}); // a closing socket must not fail the test after it passed
  await client.connect();
  onTestFinished(() => client.logout().catch(() => client.close()));
  return client;
}

/** Resolves once `condition()` holds (checked every 20 ms), so the test waits for an event, not a fixed time. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Every file of one Maildir folder ("" = INBOX), new/ and cur/. */
async function messageFiles(mailRoot: string, folder: string): Promise<string[]> {
  const dir = join(mailRoot, ME, folder);
  const names: string[] = [];
  for (const sub of ["new", "cur"]) for (const name of await readdir(join(dir, sub))) names.push(join(dir, sub, name));
  return names;
}

test("STARTTLS: list SPECIAL-USE folders, search, fetch envelope/bodyStructure/source byte-exact, flags, move, append, expunge", async () => {
  const mail = await startMail();
  await submit(mail.ports.submission, "From: <friend@example.org>\r\nTo: <me@example.com>\r\nSubject: plain one\r\n\r\nfirst\r\n");
  await submit(mail.ports.submission, MULTIPART);
  const client = await connect({ port: mail.ports.imap, ca: mail.ca, doSTARTTLS: true });
  expect(client.secureConnection).toBe(true); // upgraded in place …
  expect(mail.trace.join("\n")).toMatch(/C: \S+ STARTTLS/); // … by STARTTLS on the plain port

  const folders = await client.list();
  const specialUse = Object.fromEntries(folders.map((folder) => [folder.path, folder.specialUse ?? ""]));
  expect(specialUse).toEqual({ INBOX: "\\Inbox", Drafts: "\\Drafts", Junk: "\\Junk", Sent: "\\Sent", Trash: "\\Trash" });

  const inbox = await client.mailboxOpen("INBOX");
  expect(inbox.exists).toBe(2);
  expect(await client.search({ subject: "plain" })).toEqual([1]);
  expect(await client.search({ body: "multipart" }, { uid: true })).toEqual([2]);
  expect(await client.search({ seen: false })).toEqual([1, 2]);

  const message = await client.fetchOne("2", { uid: true, envelope: true, bodyStructure: true, source: true, size: true, flags: true });
  if (!message) throw new Error("FETCH 2 returned nothing");
  expect(message.envelope?.subject).toBe("来自SMTP的问候"); // decoded from RFC 2047 by imapflow
  expect(message.envelope?.from).toEqual([{ name: "Friend", address: "friend@example.org" }]);
  expect(message.envelope?.messageId).toBe("<multi@example.org>");
  expect(message.bodyStructure?.type).toBe("multipart/mixed");
  expect(message.bodyStructure?.childNodes?.map((part) => [part.part, part.type, part.encoding, part.dispositionParameters?.filename])).toEqual([
    ["1", "text/plain", "7bit", undefined],
    ["2", "application/octet-stream", "base64", "data.bin"],
  ]);
  const files = await Promise.all((await messageFiles(mail.mailRoot, "")).map((file) => readFile(file)));
  const stored = files.find((file) => file.includes("multipart!"));
  // The Maildir keeps Unix line ends (as Dovecot's does); IMAP sends CRLF, and RFC822.SIZE counts those bytes.
  const wire = Buffer.from(stored!.toString("latin1").replace(/\n/g, "\r\n"), "latin1");
  expect(message.source?.equals(wire)).toBe(true);
  expect(message.size).toBe(wire.length);
  expect(message.source?.toString()).toMatch(/^Return-Path: <friend@example.org>\r\nReceived: from /); // SMTP's trace lines …
  expect(message.source?.toString().endsWith(MULTIPART)).toBe(true); // … then exactly what was submitted
  // imapflow fetches the source with BODY.PEEK[], which must not set \Seen.
  expect([...(message.flags ?? [])]).not.toContain("\\Seen");

  expect(await client.messageFlagsAdd("1", ["\\Flagged", "$Important"])).toBe(true);
  const flagsOf = async (seq: string) => [...((await client.fetchOne(seq, { flags: true })) || { flags: new Set<string>() }).flags!].sort();
  expect(await flagsOf("1")).toEqual(["$Important", "\\Flagged", "\\Recent"]); // a keyword too; \Recent: delivered since the last session
  expect(await client.messageFlagsRemove("1", ["\\Flagged"])).toBe(true);
  expect(await flagsOf("1")).toEqual(["$Important", "\\Recent"]);

  // MOVE answers COPYUID: imapflow maps the old UID to the new one in Trash.
  const moved = await client.messageMove("2", "Trash", { uid: true });
  if (!moved) throw new Error("MOVE failed");
  expect(moved.destination).toBe("Trash");
  expect([...moved.uidMap!]).toEqual([[2, 1]]);
  expect(client.mailbox && client.mailbox.exists).toBe(1);

  // APPEND answers APPENDUID: imapflow reports the new message's UID and the folder's UIDVALIDITY.
  const appended = await client.append("Sent", "Subject: sent by imapflow\r\n\r\nhi\r\n", ["\\Seen"]);
  if (!appended) throw new Error("APPEND failed");
  expect(appended.uid).toBe(1);
  const sent = await client.status("Sent", { messages: true, uidValidity: true, uidNext: true });
  expect(sent && [sent.messages, sent.uidNext, sent.uidValidity]).toEqual([1, 2, appended.uidValidity]);

  // messageDelete = STORE +FLAGS (\Deleted) and (UID)EXPUNGE; the file is gone from the Maildir.
  expect(await client.messageDelete("1")).toBe(true);
  expect(client.mailbox && client.mailbox.exists).toBe(0);
  expect(await messageFiles(mail.mailRoot, "")).toEqual([]);
  expect(await messageFiles(mail.mailRoot, ".Trash")).toHaveLength(1);
  expect(await messageFiles(mail.mailRoot, ".Sent")).toHaveLength(1);
}, 30_000);

test("IMAPS: TLS is verified (a client without the CA is refused), IDLE gets an `exists` event for mail submitted by SMTP", async () => {
  const mail = await startMail();
  const untrusting = new ImapFlow({ host: "127.0.0.1", port: mail.ports.imaps, secure: true, auth: { user: ME, pass: PASSWORD }, logger: false });
  untrusting.on("error", () => {});
  await expect(untrusting.connect()).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);

  const client = await connect({ port: mail.ports.imaps, ca: mail.ca, secure: true });
  expect(client.secureConnection).toBe(true);
  await client.mailboxOpen("INBOX");
  const exists = new Promise<{ path: string; count: number; prevCount: number }>((resolve) => client.once("exists", resolve));
  const idling = client.idle(); // resolves when IDLE ends (the next command ends it)
  await until(() => mail.trace.some((line) => line.includes("+ idling"))); // the server has answered IDLE
  await submit(mail.ports.submission, "From: <friend@example.org>\r\nTo: <me@example.com>\r\nSubject: pushed\r\n\r\nwake up\r\n");
  expect(await exists).toEqual({ path: "INBOX", count: 1, prevCount: 0 }); // pushed: the client never asked
  const [pushed] = await Promise.all([client.fetchOne("1", { envelope: true }), idling]);
  expect(pushed && pushed.envelope?.subject).toBe("pushed");
}, 30_000);
