// A client for the timestamp server (Core Python's tsTclnt.py): sends each line you
// type and prints the timestamped answer.
//   npx tsx examples/timestamp-client.ts          (HOST=127.0.0.1 PORT=8888 by default)
//   printf 'hello\nworld\n' | npx tsx examples/timestamp-client.ts
// An empty line, or the end of input (Ctrl-D), quits.

import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the server running?`);
  process.exit(1);
}
socket.on("error", (err) => {
  console.error(`The connection failed: ${err.message}`);
  process.exit(1);
});

// #region ask
const serverLines = createInterface({ input: socket, crlfDelay: Infinity })[Symbol.asyncIterator]();
const keyboard = createInterface({ input: process.stdin });

for await (const data of keyboard) {
  if (data === "") break; // tsTclnt.py: `if not data: break`
  // tsTclnt.py sends the bare text; our server reads lines, so the "\n" is part of the message.
  socket.write(`${data}\n`);
  const reply = await serverLines.next();
  if (reply.done) {
    console.log("The server closed the connection.");
    break;
  }
  console.log(reply.value);
}
// #endregion ask

// end() sends FIN: "I have nothing more to send". The server answers with its own FIN.
socket.end();
keyboard.close();
