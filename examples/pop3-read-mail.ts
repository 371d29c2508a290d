// Read mail like a mail client: fetch a message with POP3, parse it with mailparser, print
// its headers (decoded) and text, show its MIME structure, and save its attachments safely.
//   npm start                                    (first, in another terminal)
//   npx tsx examples/pop3-read-mail.ts           the newest message of friend@example.org
//   npx tsx examples/pop3-read-mail.ts 3         message 3 (the sample with attachments)
//   npx tsx examples/pop3-read-mail.ts 3 saved   save its attachments in ./saved (default ./attachments)
// HOST, POP3_PORT, POP3_USER and POP3_PASSWORD as in pop3-by-hand.ts. The message stays on the server.
// The same job as liaoxuefeng's POP3收取邮件 page (poplib + email.parser + print_info).

import net from "node:net";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { simpleParser, type AddressObject } from "mailparser";
import { LineReader } from "../servers/line-protocol.ts";
import { saveAttachment } from "./pop3-save-attachment.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.POP3_PORT ?? 1110);
const USER = process.env.POP3_USER ?? "friend@example.org";
const PASSWORD = process.env.POP3_PASSWORD ?? "secret";
const folder = process.argv[3] ?? "attachments";

// #region fetch
/** USER, PASS, STAT, RETR, QUIT: the message's bytes, and which one of how many it was. */
async function fetchMessage(wanted: number | undefined): Promise<{ raw: Buffer; number: number; count: number }> {
  const socket = net.connect(PORT, HOST);
  await once(socket, "connect");
  const reader = new LineReader(socket);
  const command = async (line: string | null): Promise<string> => {
    if (line !== null) socket.write(`${line}\r\n`);
    const reply = (await reader.readLine()) ?? "-ERR the server closed the connection";
    if (!reply.startsWith("+OK")) throw new Error(`${line?.split(" ")[0] ?? "greeting"}: the server said ${reply}`);
    return reply;
  };
  await command(null); // the greeting
  await command(`USER ${USER}`);
  await command(`PASS ${PASSWORD}`);
  const count = Number((await command("STAT")).split(" ")[1]); // "+OK 5 10312"
  const number = wanted ?? count; // messages are numbered 1..count, oldest first: the newest is the last
  if (number < 1 || number > count) throw new Error(`there is no message ${number}: the mailbox holds ${count}`);
  await command(`RETR ${number}`);
  const raw = await reader.readDotBlock(); // the exact bytes, dot-unstuffed
  await command("QUIT");
  socket.end();
  return { raw, number, count };
}
// #endregion fetch

// #region structure
/**
 * The MIME tree, the way liaoxuefeng's print_info() walks it: a multipart/* part holds other
 * parts, separated by "--<boundary>" lines; every other part is a leaf (text, image, file).
 */
function structure(entity: Buffer, depth = 0): string[] {
  const text = entity.toString("latin1"); // latin1: one character per byte, nothing is lost
  const blank = text.startsWith("\r\n") ? 0 : text.indexOf("\r\n\r\n"); // headers end at the first blank line
  const head = blank === -1 ? text : text.slice(0, blank).replace(/\r\n[ \t]+/g, " "); // unfold long headers
  const body = blank === -1 ? "" : text.slice(blank + (blank === 0 ? 2 : 4));
  const type = /^content-type:\s*([^;\s]+)/im.exec(head)?.[1]?.toLowerCase() ?? "text/plain";
  const filename = /^content-disposition:.*?filename="?([^";]+)/im.exec(head)?.[1];
  const lines = [`${"  ".repeat(depth + 1)}${type}${filename ? `  ${filename}` : ""}`];
  const boundary = /boundary="?([^";]+)"?/i.exec(head)?.[1];
  if (type.startsWith("multipart/") && boundary) {
    const pieces = `\r\n${body}`.split(`\r\n--${boundary}`).slice(1); // [0] is the preamble
    for (const piece of pieces) {
      if (piece.startsWith("--")) break; // "--<boundary>--": the last part is done
      lines.push(...structure(Buffer.from(piece.slice(piece.indexOf("\r\n") + 2), "latin1"), depth + 1));
    }
  }
  return lines;
}
// #endregion structure

let fetched;
try {
  fetched = await fetchMessage(process.argv[2] ? Number(process.argv[2]) : undefined);
} catch (err) {
  const { code, message } = err as NodeJS.ErrnoException;
  console.error(code === "ECONNREFUSED" ? `Could not connect to ${HOST}:${PORT} — is the playground running? Start it with: npm start` : message);
  process.exit(1);
}
const { raw, number, count } = fetched;

// #region parse
// mailparser does what Python's email package and liaoxuefeng's decode_str()/guess_charset() do:
// it decodes RFC 2047 headers (=?utf-8?B?…?=), base64 and quoted-printable bodies, and charsets.
const mail = await simpleParser(raw);
const addresses = (value: AddressObject | AddressObject[] | undefined) => [value ?? []].flat().map((a) => a.text).join(", ");
const subjectOnTheWire = mail.headerLines.find((h) => h.key === "subject")?.line.replace(/^subject:\s*/i, "");

console.log(`Message ${number} of ${count} (${raw.length} bytes)\n`);
console.log(`From:    ${addresses(mail.from)}`);
console.log(`To:      ${addresses(mail.to)}`);
console.log(`Subject: ${mail.subject ?? ""}`);
if (subjectOnTheWire && subjectOnTheWire !== mail.subject) console.log(`         (on the wire: ${subjectOnTheWire})`);
console.log(`Date:    ${mail.date?.toISOString() ?? "(none)"}`);
console.log(`\nStructure:\n${structure(raw).join("\n")}`);
console.log(`\nText:\n${(mail.text ?? "(no plain-text part)").trimEnd()}`);
// #endregion parse

// #region attachments
if (mail.attachments.length > 0) {
  await mkdir(folder, { recursive: true });
  console.log(`\nAttachments, saved in ${folder}/:`);
  for (const [index, attachment] of mail.attachments.entries()) {
    const fallback = `message${number}-attachment${index + 1}.bin`; // when the sender's name is unusable
    const path = await saveAttachment(folder, attachment.filename, fallback, attachment.content);
    const inline = attachment.related ? ", inline image" : "";
    console.log(`  ${JSON.stringify(attachment.filename ?? "")} (${attachment.contentType}, ${attachment.size} bytes${inline}) → ${path}`);
  }
}
// #endregion attachments
