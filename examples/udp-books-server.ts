// A UDP server that answers every request with a book title, in rotation: the first
// request gets the first title, the next request the next one, and after the last title
// it starts again. (A classic lecture-notes exercise.)
//   npx tsx examples/udp-books-server.ts          (HOST=127.0.0.1 PORT=8888 by default)
// Ask it with examples/udp-books-client.ts, or anything that sends a datagram.

import dgram from "node:dgram";
import net from "node:net";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const BOOKS = [
  "TCP/IP Illustrated, Volume 1 (W. Richard Stevens)",
  "UNIX Network Programming, Volume 1 (W. Richard Stevens)",
  "Computer Networking: A Top-Down Approach (James Kurose, Keith Ross)",
  "Computer Networks (Andrew S. Tanenbaum)",
  "Internetworking with TCP/IP, Volume 1 (Douglas Comer)",
];

const socket = dgram.createSocket(net.isIPv6(HOST) ? "udp6" : "udp4");

// #region rotation
// One counter for the whole server. With UDP there are no connections to hang state on:
// every request from every client simply takes the next title. (To remember something
// per client, a UDP server would keep a Map keyed by the sender's address and port.)
let next = 0;

socket.on("message", (request, sender) => {
  const title = BOOKS[next]!;
  next = (next + 1) % BOOKS.length;
  console.log(`${sender.address}:${sender.port} asked (${request.length} bytes) → ${title}`);
  socket.send(title, sender.port, sender.address);
});
// #endregion rotation

socket.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") console.error(`Port ${PORT} is in use — is another server running? Try PORT=8889`);
  else console.error(`UDP socket error: ${err.message}`);
  process.exit(1);
});

socket.bind(PORT, HOST, () => {
  const { address, port } = socket.address();
  console.log(`Listening on ${address}:${port} (UDP)`);
});

process.once("SIGINT", () => {
  console.log("Shutting down");
  socket.close();
});
