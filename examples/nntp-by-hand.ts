// An NNTP conversation by hand (RFC 3977): select a newsgroup, move the current article
// pointer, list the latest articles with OVER, read one, say goodbye — every line on the
// wire printed as C: (we sent it) and S: (the server).
//   npm start                                   (first, in another terminal: NNTP on 127.0.0.1:1119)
//   npx tsx examples/nntp-by-hand.ts            reads comp.lang.python
//   npx tsx examples/nntp-by-hand.ts cn.comp.lang.python
//   npx tsx examples/nntp-by-hand.ts --post     also POSTs an article with dot lines to playground.test
// HOST and NNTP_PORT say where the server is (127.0.0.1 and 1119).

import net from "node:net";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { LineReader } from "../servers/line-protocol.ts";
import { Transcript } from "../servers/transcript.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.NNTP_PORT ?? 1119);
const wantsPost = process.argv.includes("--post");
const groupName = process.argv.slice(2).find((arg) => !arg.startsWith("--")) ?? "comp.lang.python";

// Everything said on the wire is printed as it happens, with "\r\n" and TABs made visible.
const transcript = new Transcript({ onLine: (line) => console.log(line), maxLineLength: 400, maxLinesInARow: 30 });

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the playground running? Start it with: npm start`);
  process.exit(1);
}
socket.on("data", (chunk: Buffer) => transcript.data("S", chunk));
const reader = new LineReader(socket); // cuts the byte stream into lines, however it arrives

/** Sends one line. Every NNTP command is one line ending in CRLF. */
function send(line: string): void {
  const bytes = Buffer.from(`${line}\r\n`);
  transcript.data("C", bytes);
  socket.write(bytes);
}

/** Reads the status line that starts every answer: three digits, then text (RFC 3977 §3.2). */
async function status(...expected: number[]): Promise<string> {
  const line = await reader.readLine();
  if (line === null) throw new Error("the server closed the connection");
  if (!expected.includes(Number(line.slice(0, 3)))) {
    console.error(`\nThe server said no: ${line}`);
    socket.end();
    process.exit(1);
  }
  return line;
}

// #region conversation
await status(200, 201); // the greeting: 200 "you may post", 201 "read only"

send(`GROUP ${groupName}`); // "211 count first last name": the group is now selected
const [, count, first, last] = (await status(211)).split(" ").map(Number);

send("STAT"); // the current article pointer: GROUP put it on the first article that exists
await status(223);
send("NEXT"); // moves the pointer to the next article that exists (numbers may have gaps)
await status(223);

// OVER: one line per article, the fields separated by TABs (\t). A newsreader's list of
// subjects costs one command, not one HEAD per article.
send(`OVER ${Math.max(first!, last! - 2)}-${last}`);
await status(224);
await reader.readDotBlock(); // lines until "." alone; a line starting with "." came with one more

send(`BODY ${last}`); // the latest article's body, dot-stuffed, ending with "." alone
await status(222);
const body = (await reader.readDotBlock()).toString("utf8");
// #endregion conversation

if (wantsPost) {
  // On a classroom playground (npm start -- --host …) POST needs a login first (RFC 4643):
  //   NNTP_USER=me NNTP_PASSWORD=secret npx tsx examples/nntp-by-hand.ts --post
  if (process.env.NNTP_USER) {
    send(`AUTHINFO USER ${process.env.NNTP_USER}`);
    await status(381); // "381 password required"
    send(`AUTHINFO PASS ${process.env.NNTP_PASSWORD ?? ""}`);
    await status(281); // "281 authentication accepted"
  }
  // #region post
  // POST: "340 send it", then the article — headers, a blank line, the body — dot-stuffed:
  // a line that starts with "." gets one more, so that only the last "." ends the article.
  const messageId = `<${Date.now()}.${randomBytes(4).toString("hex")}@nntp-by-hand.example>`;
  send("POST");
  await status(340);
  const article = [
    "From: Me <me@example.com>",
    "Newsgroups: playground.test",
    "Subject: Lines that start with a dot",
    `Message-ID: ${messageId}`,
    "",
    "The next lines start with a dot:",
    ".profile and .bashrc are hidden files",
    ".",
    "If you read this line, the dots above survived the trip.",
  ];
  for (const line of article) send(line.startsWith(".") ? `.${line}` : line);
  send("."); // the end of the article
  await status(240); // "240 article received": it is in the group now

  send(`BODY ${messageId}`); // read it back by Message-ID: the server stuffs the dots again
  await status(222);
  await reader.readDotBlock();
  // #endregion post
}

send("QUIT"); // "205", then the server closes the connection
await status(205);
socket.end();
await once(socket, "close");

const lines = body.split("\r\n").length - 1;
console.log(`\n${groupName}: about ${count} articles, numbered ${first} to ${last}. Article ${last} has ${lines} body lines.`);
