// A client for the greeting server (liaoxuefeng's TCP编程 client): prints the welcome,
// sends each name you type, prints each answer, and says "exit" at the end.
//   npx tsx examples/greeting-client.ts          (HOST=127.0.0.1 PORT=8888 by default)
//   printf 'Michael\nTracy\nSarah\n' | npx tsx examples/greeting-client.ts
// An empty line, "exit", or the end of input (Ctrl-D) says goodbye.

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

// #region conversation
// The server's answers are lines: readline collects bytes until "\n" (crlfDelay: Infinity
// keeps a "\r\n" together even when the "\r" and the "\n" arrive in different chunks).
const serverLines = createInterface({ input: socket, crlfDelay: Infinity })[Symbol.asyncIterator]();
const welcome = await serverLines.next();
if (!welcome.done) console.log(welcome.value);

// Start reading the keyboard only now: lines read before the loop below starts would be lost.
const keyboard = createInterface({ input: process.stdin });
let serverClosed = welcome.done === true;
for await (const name of keyboard) {
  if (serverClosed || name === "" || name === "exit") break;
  socket.write(`${name}\n`); // the "\n" ends the line: without it the server keeps waiting
  const reply = await serverLines.next();
  if (reply.done) serverClosed = true;
  else console.log(reply.value);
}

if (serverClosed) {
  console.log("The server closed the connection.");
} else {
  // Say goodbye the protocol's way: the server answers "Bye!" and ends the connection.
  socket.write("exit\n");
  const bye = await serverLines.next();
  if (!bye.done) console.log(bye.value);
}
// #endregion conversation
socket.end();
keyboard.close();
