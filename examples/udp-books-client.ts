// Asks the book server for a title for every line you type, over a *connected* UDP socket.
//   printf 'next\nnext\nnext\n' | npx tsx examples/udp-books-client.ts
// (HOST=127.0.0.1 PORT=8888 by default; TIMEOUT_MS=1000, how long to wait for each answer.) An empty
// line, or the end of input, quits.

import dgram from "node:dgram";
import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS ?? 1000);

const socket = dgram.createSocket(net.isIPv6(HOST) ? "udp6" : "udp4");

// #region connect
// connect() on a UDP socket sends nothing: there is no handshake and no connection.
// It only tells the kernel three things from now on:
//   - send() without an address goes to HOST:PORT;
//   - datagrams from any other address are dropped, so they never reach 'message';
//   - if HOST answers "port unreachable" (ICMP), report it as an ECONNREFUSED error.
socket.connect(PORT, HOST);
await once(socket, "connect");
// #endregion connect

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "") break;
  socket.send(line);
  try {
    const [title] = await once(socket, "message", { signal: AbortSignal.timeout(TIMEOUT_MS) });
    console.log((title as Buffer).toString());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ECONNREFUSED") {
      console.log(`Nobody is listening on ${HOST}:${PORT} (the system there said "port unreachable").`);
      break;
    }
    console.log(`(no reply within ${TIMEOUT_MS} ms — lost, or the server is down)`);
  }
}
socket.close();
