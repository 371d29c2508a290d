// A POP3 conversation by hand (RFC 1939): log in, look at the mailbox, read one message,
// and say goodbye — every line on the wire printed as C: (we sent it) and S: (the server).
//   npm start                                 (first, in another terminal: POP3 on 127.0.0.1:1110)
//   npx tsx examples/pop3-by-hand.ts          reads message 1 of friend@example.org
//   npx tsx examples/pop3-by-hand.ts 5        reads message 5
// HOST and POP3_PORT say where the server is (127.0.0.1 and 1110); POP3_USER and POP3_PASSWORD
// who logs in (friend@example.org and secret). Nothing is deleted: this program never sends DELE.

import net from "node:net";
import { once } from "node:events";
import { LineReader } from "../servers/line-protocol.ts";
import { Transcript } from "../servers/transcript.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.POP3_PORT ?? 1110);
const USER = process.env.POP3_USER ?? "friend@example.org";
const PASSWORD = process.env.POP3_PASSWORD ?? "secret";
const messageNumber = Number(process.argv[2] ?? 1);

// Everything said on the wire is printed as it happens, with "\r\n" made visible.
// The password is masked: a transcript is something you paste into a bug report.
const transcript = new Transcript({
  onLine: (line) => console.log(line),
  mask: (line, side) => (side === "C" && line.startsWith("PASS ") ? "PASS ******\\r\\n" : line),
  maxLinesInARow: 30, // a long message is cut short on screen (the count of hidden lines is shown)
});

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the playground running? Start it with: npm start`);
  process.exit(1);
}
socket.on("data", (chunk: Buffer) => transcript.data("S", chunk));
const reader = new LineReader(socket); // cuts the byte stream into lines, however it arrives

/** Sends one command line. Every POP3 command is one line ending in CRLF. */
function send(command: string): void {
  const line = Buffer.from(`${command}\r\n`);
  transcript.data("C", line);
  socket.write(line);
}

/** Reads the status line that starts every answer: "+OK …" or "-ERR …" (RFC 1939 §3). */
async function status(): Promise<string> {
  const line = await reader.readLine();
  if (line === null) throw new Error("the server closed the connection");
  if (line.startsWith("-ERR")) {
    console.error(`\nThe server said no: ${line}`);
    socket.end();
    process.exit(1);
  }
  return line;
}

// #region conversation
await status(); // the greeting: in POP3 the server speaks first

// AUTHORIZATION state (§4): who are you?
send(`USER ${USER}`);
await status();
send(`PASS ${PASSWORD}`);
await status(); // from here on the maildrop is ours: the TRANSACTION state (§5)

send("STAT"); // "+OK <count> <octets>"
const [, count] = (await status()).split(" ");

// LIST and UIDL answer with many lines: "+OK", the lines, then "." alone on a line.
send("LIST"); // one "<number> <octets>" line per message
await status();
const sizes = (await reader.readDotBlock()).toString().split("\r\n").filter(Boolean);

send("UIDL"); // "<number> <unique id>": the id stays the same in every session
await status();
await reader.readDotBlock();

// Numbers are this session's only (an earlier DELE renumbers them): RETR only what LIST showed.
const listed = sizes.find((line) => line.startsWith(`${messageNumber} `))?.split(" ")[1];
let message: Buffer | undefined;
if (listed) {
  send(`RETR ${messageNumber}`); // the whole message, dot-stuffed, ending with "." alone on a line
  await status();
  message = await reader.readDotBlock(); // dot-unstuffed, CRLF line endings, without the "."
}

send("QUIT"); // the UPDATE state (§6): deletions (DELE) would happen now; then the server closes
await status();
socket.end();
// #endregion conversation

await once(socket, "close");
if (!message) {
  console.error(
    count === "0"
      ? "\nThe mailbox is empty: send it a message first (npx tsx examples/mail-plain.ts)."
      : `\nThere is no message ${messageNumber}: the mailbox holds ${count} (numbers 1 to ${count}).`,
  );
  process.exit(1);
}
console.log(`\nThe mailbox holds ${count} messages. Message ${messageNumber} is ${message.length} bytes (LIST said ${listed}).`);
