// Sends several messages with one write() each, back to back, then prints what the
// server saw (run examples/framing-chunks-server.ts first).
//   printf 'hello\nworld\nbye\n' | npx tsx examples/framing-chunks-client.ts
//   npx tsx examples/framing-chunks-client.ts     (type lines; an empty line or Ctrl-D sends them)
// HOST=127.0.0.1 PORT=8888 by default.

import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

// Collect the messages first, so that we can send them all at once below.
const messages: string[] = [];
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "") break;
  messages.push(line);
}

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the server running?`);
  process.exit(1);
}

// #region writes
// One write() per message. Each message ends in "\n": that is what lets the server
// find the messages again, because TCP itself keeps no trace of our write() calls.
for (const [index, message] of messages.entries()) {
  socket.write(message + "\n");
  console.log(`write() ${index + 1}: ${JSON.stringify(message + "\n")}`);
}
socket.end(); // FIN: "that was everything" — the server answers when it sees it
// #endregion writes

// Read the answer until the server closes its side; decode it once it is all here.
const reply: Buffer[] = [];
try {
  for await (const chunk of socket) reply.push(chunk as Buffer);
  const answer = Buffer.concat(reply).toString("utf8");
  console.log(answer === "" ? "The server closed the connection without answering." : `The server says: ${answer.trimEnd()}`);
} catch (err) {
  console.log(`Connection lost: ${(err as Error).message}`); // e.g. a server that did not like what we sent
}
