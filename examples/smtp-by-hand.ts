// One SMTP conversation, typed by hand over a raw TCP socket, printed as it happens:
// "C:" is what this program sends, "S:" what the server answers, with the \r\n made visible.
//
//   npm start                                 (first, in another terminal)
//   npx tsx examples/smtp-by-hand.ts          logs in with AUTH PLAIN, sends me@example.com → friend@example.org
//   npx tsx examples/smtp-by-hand.ts login    the same with AUTH LOGIN (the server prompts, 334)
// HOST and SMTP_PORT (2525) say where the submission server is; SMTP_PASSWORD (secret) tries another password.

import net from "node:net";
import { once } from "node:events";
import { Transcript } from "../servers/transcript.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const SMTP_PORT = Number(process.env.SMTP_PORT ?? 2525);
const USER = "me@example.com";
const PASSWORD = process.env.SMTP_PASSWORD ?? "secret";
const useLogin = process.argv[2] === "login";

const transcript = new Transcript({ onLine: (line) => console.log(line), maxLinesInARow: 100 });
const socket = net.connect(SMTP_PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${SMTP_PORT} (${(err as Error).message}) — is the playground running? Start it with: npm start`);
  process.exit(1);
}

// #region reply
// Replies arrive as a byte stream like everything on TCP: collect until a whole reply is here.
// A reply is one or more lines "250-…" (more follow) and ends with the line "250 …" (RFC 5321 §4.2.1).
let received = "";
let closed = false;
let wake: (() => void) | undefined; // set while reply() waits for more bytes
socket.setEncoding("utf8");
socket.on("data", (text: string) => {
  transcript.data("S", Buffer.from(text));
  received += text;
  wake?.();
});
socket.on("end", () => {
  closed = true;
  wake?.();
});

async function reply(): Promise<string> {
  for (;;) {
    const lastLine = /(^|\r\n)(\d{3})( [^\r\n]*)?\r\n$/.exec(received);
    if (lastLine) {
      const whole = received;
      received = "";
      return whole;
    }
    if (closed) throw new Error("the server closed the connection");
    // TCP may deliver a reply in several pieces: wait for the next one (or the server's FIN).
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** Sends one line; returns the reply, and stops the program on an unexpected code. */
async function send(line: string, expected: number): Promise<string> {
  transcript.data("C", Buffer.from(`${line}\r\n`));
  socket.write(`${line}\r\n`);
  return check(await reply(), expected);
}

function check(text: string, expected: number): string {
  if (!text.startsWith(String(expected))) {
    transcript.toString(); // print what is still pending
    console.error(`\nExpected ${expected}, got: ${text.trim()}`);
    socket.end("QUIT\r\n");
    process.exit(1);
  }
  return text;
}
// #endregion reply

// #region conversation
check(await reply(), 220); // the server speaks first: its greeting
await send("EHLO localhost", 250); // who we are; the reply lists the server's extensions

if (useLogin) {
  // AUTH LOGIN (a draft that every server speaks): the server asks, in base64, for each part.
  await send("AUTH LOGIN", 334); // 334 VXNlcm5hbWU6 = "Username:"
  await send(Buffer.from(USER).toString("base64"), 334); // 334 UGFzc3dvcmQ6 = "Password:"
  await send(Buffer.from(PASSWORD).toString("base64"), 235);
} else {
  // AUTH PLAIN (RFC 4616): base64 of "\0user\0password" in one line. Base64 is NOT encryption:
  // anyone who sees this line decodes the password. Lesson 08 puts TLS around it.
  await send(`AUTH PLAIN ${Buffer.from(`\0${USER}\0${PASSWORD}`).toString("base64")}`, 235);
}

await send("MAIL FROM:<me@example.com>", 250); // the envelope: who sends…
await send("RCPT TO:<friend@example.org>", 250); // …and who receives (one RCPT TO per recipient)
await send("DATA", 354); // "go ahead; end with a line holding just ."

// #region dot-stuffing
// The message: headers, an empty line, the body. A body line that starts with "." gets a second
// "." (dot-stuffing, RFC 5321 §4.5.2) — otherwise the line "." would end the message right there.
const message = [
  "From: me@example.com",
  "To: friend@example.org",
  "Subject: SMTP by hand",
  "",
  "Hello! This message was typed by hand.",
  ".",
  "The line above is a single dot: it was sent as \"..\".",
].join("\r\n");
const stuffed = message.replace(/^\./gm, "..");
transcript.data("C", Buffer.from(`${stuffed}\r\n.\r\n`));
socket.write(`${stuffed}\r\n.\r\n`);
check(await reply(), 250);
// #endregion

await send("QUIT", 221);
transcript.toString(); // flush a last line without "\n", if any
socket.end();
// #endregion conversation
