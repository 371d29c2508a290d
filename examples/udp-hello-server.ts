// The "Hello" UDP server from liaoxuefeng's UDP编程 page: whatever name you send,
// it answers "Hello, <name>!".
//   npx tsx examples/udp-hello-server.ts          (HOST=127.0.0.1 PORT=8888 by default)
// Talk to it with examples/udp-hello-client.ts, `nc -u 127.0.0.1 8888`, or Python's socket module.

import dgram from "node:dgram";
import net from "node:net";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const socket = dgram.createSocket(net.isIPv6(HOST) ? "udp6" : "udp4");

// #region hello
// Python: data, addr = s.recvfrom(1024); s.sendto(b'Hello, %s!' % data, addr)
// There is no accept() and no per-client socket: every datagram from every client
// arrives here, with its sender's address, and the reply goes back to that address.
socket.on("message", (name, sender) => {
  console.log(`Received from ${sender.address}:${sender.port}.`);
  // Bytes in, bytes out: the name is copied as it came, whatever its encoding.
  const reply = Buffer.concat([Buffer.from("Hello, "), name, Buffer.from("!")]);
  socket.send(reply, sender.port, sender.address);
});
// #endregion hello

socket.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") console.error(`Port ${PORT} is in use — is another server running? Try PORT=8889`);
  else console.error(`UDP socket error: ${err.message}`);
  process.exit(1);
});

// bind() is all a UDP server does before it can receive: no listen(), no backlog.
socket.bind(PORT, HOST, () => {
  const { address, port } = socket.address();
  console.log(`Listening on ${address}:${port} (UDP)`);
});

process.once("SIGINT", () => {
  console.log("Shutting down");
  socket.close();
});
