// A UDP echo server: every datagram that arrives is sent back to whoever sent it.
//   npx tsx examples/udp-echo-server.ts          (HOST=127.0.0.1 PORT=8888 by default)
// There is no accept() and no connection: one socket receives datagrams from everyone,
// and each datagram carries its sender's address (rinfo) so we know where to reply.

import dgram from "node:dgram";
import net from "node:net";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const socket = dgram.createSocket(net.isIPv6(HOST) ? "udp6" : "udp4");

// #region echo
socket.on("message", (datagram, sender) => {
  console.log(`${sender.address}:${sender.port} sent ${datagram.length} bytes`);
  // One datagram in, one datagram out: UDP keeps message boundaries (TCP does not).
  socket.send(datagram, sender.port, sender.address);
});
// #endregion echo

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
