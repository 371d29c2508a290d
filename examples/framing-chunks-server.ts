// Shows that TCP carries bytes, not messages: prints every 'data' event exactly as it
// arrived, then finds the lines again (line framing) and reports what it saw.
//   npx tsx examples/framing-chunks-server.ts     (HOST=127.0.0.1 PORT=8888 by default)
// Send it something with examples/framing-chunks-client.ts, `nc 127.0.0.1 8888`, or Python.

import net from "node:net";
import { createInterface } from "node:readline";
import { escapeBytes } from "../servers/transcript.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const connections = new Set<net.Socket>();

// allowHalfOpen: when the client sends FIN ("I am done sending"), keep our direction
// open so that we can still answer with what we saw.
const server = net.createServer({ allowHalfOpen: true }, async (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`${peer} connected`);
  connections.add(socket);
  socket.on("error", (err) => console.log(`${peer}: ${err.message}`));
  socket.on("close", () => connections.delete(socket));

  // #region chunks
  // One 'data' event is whatever the kernel had received when Node read the socket:
  // part of a write(), exactly one, or several glued together. Nothing marks where
  // the sender's write() calls began and ended.
  let dataEvents = 0;
  let bytes = 0;
  socket.on("data", (chunk: Buffer) => {
    dataEvents++;
    bytes += chunk.length;
    console.log(`${peer} 'data' event ${dataEvents}: ${count(chunk.length, "byte")}  ${escapeBytes(chunk)}`);
  });
  // #endregion chunks

  // #region lines
  // Line framing: the sender ends every message with "\n", so the receiver collects
  // bytes until a "\n" and only then has a message. readline does the collecting.
  const lines: string[] = [];
  for await (const line of createInterface({ input: socket, crlfDelay: Infinity })) {
    lines.push(line);
    console.log(`${peer} line ${lines.length}: ${line}`);
  }
  // #endregion lines

  // The loop ends at the client's FIN: now we know everything it sent.
  const events = count(dataEvents, "'data' event");
  console.log(`${peer} sent FIN: ${count(bytes, "byte")} in ${events}, ${count(lines.length, "line")}`);
  socket.end(`You sent ${count(bytes, "byte")}. They arrived in ${events} and held ${count(lines.length, "line")}: ${lines.join(" | ")}\n`);
});

function count(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? "" : "s"}`;
}

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
