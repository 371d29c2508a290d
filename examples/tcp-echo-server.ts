// A TCP echo server: every byte a client sends comes straight back.
//   npx tsx examples/tcp-echo-server.ts          (HOST=127.0.0.1 PORT=8888 by default)
// Talk to it with examples/tcp-echo-client.ts, `nc 127.0.0.1 8888`, or Python's socket module.

import net from "node:net";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const connections = new Set<net.Socket>();

// #region accept
// The Python tutorials call accept() in a loop and start a thread per client. Node has one
// event loop instead: this function runs once for every accepted connection, and the
// 'data' events of all connections take turns — no threads needed.
const server = net.createServer((socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`Accepted connection from ${peer}`);
  connections.add(socket);

  // pipe() writes every chunk back, and stops reading while the client is slow to
  // read its echoes (backpressure), so a fast sender cannot fill our memory.
  // When the client half-closes (sends FIN), pipe() finishes echoing and closes too.
  socket.pipe(socket);

  // A client that vanishes (reset, unplugged cable) is an 'error', not a crash.
  socket.on("error", (err) => console.log(`${peer}: ${err.message}`));
  socket.on("close", () => {
    connections.delete(socket);
    console.log(`Connection from ${peer} closed`);
  });
});
// #endregion accept

server.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") console.error(`Port ${PORT} is in use — is another server running? Try PORT=8889`);
  else console.error(`Cannot listen on ${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});

// PORT=0 asks the operating system for any free port; address() tells which one we got.
server.listen(PORT, HOST, () => {
  const { address, port } = server.address() as net.AddressInfo;
  console.log(`Listening on ${address}:${port}`);
});

// Ctrl-C: stop accepting, close the open connections, and let the process end.
process.once("SIGINT", () => {
  console.log("Shutting down");
  server.close();
  for (const socket of connections) socket.destroy();
});
