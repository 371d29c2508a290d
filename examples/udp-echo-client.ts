// A UDP echo client: sends each line you type as one datagram, prints the echo.
//   npx tsx examples/udp-echo-client.ts          (HOST=127.0.0.1 PORT=8888 by default)
//   printf 'hi\n' | npx tsx examples/udp-echo-client.ts
// An empty line, or the end of input (Ctrl-D), quits.

import dgram from "node:dgram";
import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const TIMEOUT_MS = 1000;

// No connect, no handshake: the socket just gets a local port to send from.
const socket = dgram.createSocket(net.isIPv6(HOST) ? "udp6" : "udp4");

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "") break;
  socket.send(line, PORT, HOST);
  try {
    // UDP never retransmits: if the datagram or its echo is lost, nothing will come.
    // So we wait a limited time, then give up on this one. (This simple client takes
    // whatever datagram comes next as the echo; a late or duplicated one fools it —
    // lesson 05 shows this and numbers its datagrams to tell them apart.)
    const [reply] = await once(socket, "message", { signal: AbortSignal.timeout(TIMEOUT_MS) });
    console.log((reply as Buffer).toString());
  } catch {
    console.log(`(no reply within ${TIMEOUT_MS} ms — lost, or no server on ${HOST}:${PORT})`);
  }
}
socket.close();
