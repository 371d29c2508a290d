// The timestamp server (Core Python's tsTserv.py): every line you send comes back
// with the time in front, as Python's time.ctime() writes it:
//   C: hello\n
//   S: [Mon Jun  3 14:05:09 2024] hello\r\n
//   npx tsx examples/timestamp-server.ts          (HOST=127.0.0.1 PORT=8888 by default)
// Talk to it with examples/timestamp-client.ts, or `nc 127.0.0.1 8888`.

import net from "node:net";
import { createInterface } from "node:readline";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const connections = new Set<net.Socket>();

// Python's time.ctime(): local time, the day of the month padded with a space.
function ctime(date = new Date()): string {
  const [weekday, month, day, year, time] = date.toString().split(" "); // "Mon Jun 03 2024 14:05:09 GMT…"
  return `${weekday} ${month} ${String(Number(day)).padStart(2)} ${time} ${year}`;
}

// #region timestamp
// tsTserv.py serves one client at a time (a loop inside the accept loop). Here every
// connection gets its own handlers, and the event loop serves all clients at once.
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`...connected from: ${peer}`);
  connections.add(socket);

  // #region readline
  // readline cuts the byte stream into lines for us (and decodes UTF-8 across chunks).
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on("line", (line) => socket.write(`[${ctime()}] ${line}\r\n`));
  // The client sent FIN and every line is answered: now we send our FIN too.
  lines.on("close", () => socket.end());
  // readline passes the socket's errors on to `lines`: listen for them HERE, or a
  // client that resets the connection crashes the whole server.
  lines.on("error", (err) => console.log(`${peer}: ${err.message}`));
  // #endregion readline

  socket.on("close", () => {
    connections.delete(socket);
    console.log(`Connection from ${peer} closed`);
  });
});
// #endregion timestamp

server.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EADDRINUSE") console.error(`Port ${PORT} is in use — is another server running? Try PORT=8889`);
  else console.error(`Cannot listen on ${HOST}:${PORT}: ${err.message}`);
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  const { address, port } = server.address() as net.AddressInfo;
  console.log(`Listening on ${address}:${port}`);
});

process.once("SIGINT", () => {
  console.log("Shutting down");
  server.close();
  for (const socket of connections) socket.destroy();
});
