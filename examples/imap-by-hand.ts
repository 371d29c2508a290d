// An IMAP conversation by hand (RFC 3501): log in, list the folders, open INBOX, search, fetch
// headers and one message, log out — every line on the wire printed as C: (we sent it) and
// S: (the server).
//   npm start                                   (first, in another terminal: IMAP on 127.0.0.1:1143)
//   npx tsx examples/imap-by-hand.ts            reads the message with UID 1 of friend@example.org
//   npx tsx examples/imap-by-hand.ts 4          reads the message with UID 4
//   npx tsx examples/imap-by-hand.ts append     saves a draft with a Chinese subject in Drafts (APPEND: "+" and {n} bytes)
//   npx tsx examples/imap-by-hand.ts idle       waits for new mail (IDLE) — send some: npx tsx examples/mail-plain.ts
// HOST and IMAP_PORT say where the server is (127.0.0.1 and 1143); IMAP_USER and IMAP_PASSWORD
// who logs in (friend@example.org and secret). Reading uses BODY.PEEK: nothing is marked \Seen.

import net from "node:net";
import { once } from "node:events";
import { LineReader } from "../servers/line-protocol.ts";
import { Transcript } from "../servers/transcript.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.IMAP_PORT ?? 1143);
const USER = process.env.IMAP_USER ?? "friend@example.org";
const PASSWORD = process.env.IMAP_PASSWORD ?? "secret";
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 120);
const mode = process.argv[2] ?? "1";

// Everything said on the wire is printed as it happens, with "\r\n" made visible; the password is masked.
const transcript = new Transcript({
  onLine: (line) => console.log(line),
  mask: (line, side) => (side === "C" ? line.replace(/^(\S+ LOGIN \S+ ).*(?=\\r\\n$)/, "$1******") : line),
  maxLinesInARow: 30, // a long answer is cut short on screen (the count of hidden lines is shown)
});

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the playground running? Start it with: npm start`);
  process.exit(1);
}
socket.on("data", (chunk: Buffer) => transcript.data("S", chunk));
const reader = new LineReader(socket); // lines, and exactly n bytes for a literal

function send(bytes: string | Buffer): void {
  const buffer = Buffer.from(bytes);
  transcript.data("C", buffer);
  socket.write(buffer);
}

/** One response: its text, and the literals ({n} then n bytes) inside it. */
interface Response {
  text: string;
  literals: Buffer[];
}

/** Reads a line; while it ends in {n}, reads n bytes (a literal), then the line that goes on after them. */
async function response(): Promise<Response> {
  let text = "";
  const literals: Buffer[] = [];
  for (;;) {
    const line = await reader.readLine();
    if (line === null) throw new Error("the server closed the connection");
    text += line;
    const literal = /\{(\d+)\}$/.exec(line);
    if (!literal) return { text, literals };
    literals.push((await reader.readBytes(Number(literal[1])))!); // n BYTES, whatever they hold
  }
}

let tags = 0;

/** Sends "A<n> command" and reads up to the line with the same tag; the untagged lines before it are the data. */
async function command(line: string): Promise<Response[]> {
  const tag = `A${++tags}`; // every command gets its own tag
  send(`${tag} ${line}\r\n`);
  return untilTagged(tag);
}

async function untilTagged(tag: string): Promise<Response[]> {
  const untagged: Response[] = [];
  for (;;) {
    const answer = await response();
    if (!answer.text.startsWith(`${tag} `)) {
      untagged.push(answer); // "* …": data, or news nobody asked for
      continue;
    }
    if (!answer.text.startsWith(`${tag} OK`)) {
      console.error(`\nThe server said no: ${answer.text}`);
      socket.end();
      process.exit(1);
    }
    return untagged;
  }
}

/** The UID in "* 2 FETCH (UID 4 …)" — not the 2 in front, which is the sequence number. */
const uidOf = (fetch: Response) => Number(/\bUID (\d+)/.exec(fetch.text)?.[1]);

let summary = ""; // printed at the end, after LOGOUT

// #region conversation
await response(); // the greeting, untagged: "* OK [CAPABILITY …] … ready"

await command(`LOGIN "${USER}" "${PASSWORD.replace(/["\\]/g, "\\$&")}"`); // quoted strings (§4.3)

if (mode === "append") {
  // APPEND: the message travels as a literal. {n} counts BYTES: the server reads exactly that many.
  const draft = Buffer.from(
    "From: Friend <friend@example.org>\r\nTo: Me <me@example.com>\r\nSubject: 草稿：你好，IMAP\r\n" +
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
      "A draft saved with APPEND.\r\n",
  );
  const tag = `A${++tags}`;
  send(`${tag} APPEND Drafts (\\Draft) {${draft.length}}\r\n`);
  // A synchronizing literal: wait for the server's "+" (it could still say NO: no such folder, too big).
  for (let answer = await response(); !answer.text.startsWith("+"); answer = await response()) {
    if (answer.text.startsWith(`${tag} `)) throw new Error(`the server refused the APPEND: ${answer.text}`);
  }
  send(draft);
  send("\r\n"); // the rest of the command line after the literal: nothing, just its end
  await untilTagged(tag); // "A2 OK [APPENDUID <uidvalidity> <uid>] APPEND completed"

  const [exists] = (await command("SELECT Drafts")).map((r) => /^\* (\d+) EXISTS/.exec(r.text)?.[1]).filter(Boolean);
  const [saved] = await command(`FETCH ${exists} (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])`);
  const literal = saved!.literals[0]!;
  summary = `The draft is message ${exists} of Drafts, UID ${uidOf(saved!)}. Its header came as {${literal.length}}: ${literal.length} bytes, ${literal.toString("utf8").length} characters.`;
} else if (mode === "idle") {
  const selected = await command("SELECT INBOX");
  const before = Number(selected.map((r) => /^\* (\d+) EXISTS/.exec(r.text)?.[1]).find(Boolean));
  // IDLE (RFC 2177): "tell me when something happens". The server answers "+", then speaks
  // whenever it has news — untagged, in the middle of no command of ours — until we say DONE.
  const tag = `A${++tags}`;
  send(`${tag} IDLE\r\n`);
  await response(); // "+ idling"
  console.log(`\n(waiting up to ${IDLE_SECONDS} s for new mail — send some: npx tsx examples/mail-plain.ts)\n`);
  let arrived = 0;
  const timer = setTimeout(() => send("DONE\r\n"), IDLE_SECONDS * 1000);
  for (let news = await response(); !news.text.startsWith(`${tag} `); news = await response()) {
    const exists = /^\* (\d+) EXISTS/.exec(news.text);
    if (exists && arrived === 0) {
      arrived = Number(exists[1]);
      clearTimeout(timer);
      send("DONE\r\n"); // ends IDLE: the server answers with the IDLE's tagged OK
    }
  }
  if (arrived > before) {
    // The news gave a sequence number; ask for the UID too (it is the one to keep).
    const [fetched] = await command(`FETCH ${arrived} (UID BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])`);
    summary = `New mail: message ${arrived}, UID ${uidOf(fetched!)}.`;
  } else {
    summary = `No new mail in ${IDLE_SECONDS} s.`;
  }
} else {
  await command('LIST "" "*"'); // the folders: "* LIST (\HasNoChildren \Sent) "." Sent"
  await command("SELECT INBOX"); // EXISTS, UIDVALIDITY, UIDNEXT … then "A3 OK [READ-WRITE]"
  await command('UID SEARCH FROM "me@example.com"'); // "* SEARCH 2 3 5": UIDs, because of "UID"
  // Headers of every message: each header block is a literal, {n} then n bytes.
  const headers = await command("UID FETCH 1:* (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])");
  const uid = Number(mode);
  if (headers.some((fetch) => uidOf(fetch) === uid)) {
    const [message] = await command(`UID FETCH ${uid} (BODY.PEEK[])`); // the whole message, one literal
    summary = `INBOX holds ${headers.length} messages. The message with UID ${uid} is ${message!.literals[0]!.length} bytes.`;
  } else {
    summary = `There is no message with UID ${uid}: INBOX's UIDs are ${headers.map(uidOf).join(", ") || "none (empty)"}.`;
  }
}

await command("LOGOUT"); // "* BYE …", then the tagged OK; then the server closes
socket.end();
// #endregion conversation

await once(socket, "close");
console.log(`\n${summary}`);
