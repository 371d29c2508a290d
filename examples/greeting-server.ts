// The greeting server (liaoxuefeng's TCP编程 example), as a line protocol:
//   S: Welcome!\r\n          when you connect
//   C: Michael\n             any line (\n or \r\n)
//   S: Hello, Michael!\r\n   one answer per line; a blank line gets none
//   C: exit\n
//   S: Bye!\r\n              and the server ends the connection
//   npx tsx examples/greeting-server.ts          (HOST=127.0.0.1 PORT=8888 by default)
// Talk to it with examples/greeting-client.ts, or `nc 127.0.0.1 8888`.

import net from "node:net";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const connections = new Set<net.Socket>();

// #region greet
// allowHalfOpen: when a client sends FIN ("I am done sending"), keep OUR side open
// until we have answered everything; we end it ourselves.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`Accepted connection from ${peer}`);
  connections.add(socket);
  // #region read-lines
  socket.setEncoding("utf8"); // decodes UTF-8 across chunk boundaries (张 is 3 bytes)
  socket.write("Welcome!\r\n");

  // TCP delivers a byte stream: a chunk may be half a line, or several lines.
  // Keep the unfinished line until its "\n" arrives.
  let unfinished = "";
  socket.on("data", (text: string) => {
    unfinished += text;
    let newline: number;
    while ((newline = unfinished.indexOf("\n")) !== -1) {
      answer(socket, unfinished.slice(0, newline).replace(/\r$/, ""));
      unfinished = unfinished.slice(newline + 1);
    }
  });
  // #endregion read-lines
  // #region half-close
  // The client half-closed: answer a last line that had no "\n", then send our FIN.
  socket.on("end", () => {
    if (unfinished !== "") answer(socket, unfinished.replace(/\r$/, ""));
    socket.end();
  });
  // #endregion half-close

  // A client that resets or vanishes is an 'error' on its socket, not a crash of the server.
  socket.on("error", (err) => console.log(`${peer}: ${err.message}`));
  socket.on("close", () => {
    connections.delete(socket);
    console.log(`Connection from ${peer} closed`);
  });
});

function answer(socket: net.Socket, line: string): void {
  if (socket.writableEnded || line === "") return; // after "exit", and blank lines: no answer
  if (line === "exit") socket.end("Bye!\r\n"); // end() writes "Bye!", then sends FIN
  else socket.write(`Hello, ${line}!\r\n`);
}
// #endregion greet

server.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") console.error(`Port ${PORT} is in use — is another server running? Try PORT=8889`);
  else console.error(`Cannot listen on ${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});

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
