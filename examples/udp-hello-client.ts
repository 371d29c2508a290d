// The "Hello" UDP client from liaoxuefeng's UDP编程 page: sends each name you type as
// one datagram, prints the greeting that comes back.
//   printf 'Michael\nTracy\nSarah\n' | npx tsx examples/udp-hello-client.ts
// (HOST=127.0.0.1 PORT=8888 by default.) An empty line, or the end of input, quits.

import dgram from "node:dgram";
import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const TIMEOUT_MS = 1000;

const socket = dgram.createSocket(net.isIPv6(HOST) ? "udp6" : "udp4");

// #region sendto
// Python: for data in [b'Michael', b'Tracy', b'Sarah']:
//             s.sendto(data, ('127.0.0.1', 9999)); print(s.recv(1024).decode('utf-8'))
// Every send names its destination: an unconnected UDP socket can talk to anyone.
for await (const name of createInterface({ input: process.stdin })) {
  if (name === "") break;
  socket.send(name, PORT, HOST);
  try {
    // Python's recv() would wait forever for a lost reply; we wait a limited time.
    const [reply] = await once(socket, "message", { signal: AbortSignal.timeout(TIMEOUT_MS) });
    console.log((reply as Buffer).toString("utf8"));
  } catch {
    console.log(`(no reply within ${TIMEOUT_MS} ms — lost, or no server on ${HOST}:${PORT})`);
  }
}
// #endregion sendto
socket.close();
