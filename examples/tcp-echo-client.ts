// A TCP echo client: sends each line you type, prints what comes back.
//   npx tsx examples/tcp-echo-client.ts          (HOST=127.0.0.1 PORT=8888 by default)
//   printf 'hi\n' | npx tsx examples/tcp-echo-client.ts
// An empty line, or the end of input (Ctrl-D), quits.

import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect"); // the three-way handshake (SYN, SYN-ACK, ACK) is done
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the server running?`);
  process.exit(1);
}
console.log(`Connected to ${HOST}:${PORT} from ${socket.localAddress}:${socket.localPort}`);
// A reset (the server was killed, the network failed) arrives as an 'error' event.
socket.on("error", (err) => {
  console.error(`Connection lost: ${err.message}`);
  process.exit(1);
});

// TCP delivers a stream of bytes, not messages: an echo may arrive in several pieces.
// readline collects bytes until "\n", so each iteration gives us one whole line.
const keyboard = createInterface({ input: process.stdin });
const serverLines = createInterface({ input: socket })[Symbol.asyncIterator]();

for await (const line of keyboard) {
  if (line === "") break;
  socket.write(line + "\n");
  const reply = await serverLines.next();
  if (reply.done) {
    console.log("The server closed the connection.");
    break;
  }
  console.log(reply.value);
}

// end() sends FIN: "I have nothing more to send". The server closes its side in turn.
socket.end();
keyboard.close();
