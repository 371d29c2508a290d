// The smallest UDP echo server Node can have: the reference the bench holds
// examples/udp-echo-server.ts against. No logging — each datagram goes straight back.
//   PORT=0 npx tsx test/bench/minimal-udp-echo.ts

import dgram from "node:dgram";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const socket = dgram.createSocket("udp4");
socket.on("message", (datagram, sender) => socket.send(datagram, sender.port, sender.address));

socket.bind(PORT, HOST, () => {
  const { address, port } = socket.address();
  console.log(`Listening on ${address}:${port} (UDP)`);
});
