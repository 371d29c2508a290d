// The smallest TCP echo server Node can have: the reference the bench holds
// examples/tcp-echo-server.ts against. No logging, no bookkeeping — just pipe().
//   PORT=0 npx tsx test/bench/minimal-tcp-echo.ts

import net from "node:net";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const server = net.createServer((socket) => {
  socket.pipe(socket);
  socket.on("error", () => {}); // a reset client must not crash the server
});

server.listen(PORT, HOST, () => {
  const { address, port } = server.address() as net.AddressInfo;
  console.log(`Listening on ${address}:${port}`);
});
