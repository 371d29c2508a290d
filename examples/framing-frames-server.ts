// A length-prefixed echo server: every frame that arrives goes back as one frame.
//   npx tsx examples/framing-frames-server.ts     (HOST=127.0.0.1 PORT=8888 by default)
// Talk to it with examples/framing-frames-client.ts, or Python's socket + struct modules.

import net from "node:net";
import { escapeBytes } from "../servers/transcript.ts";
import { readFrames, writeFrame } from "./framing-frames-wire.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);
const connections = new Set<net.Socket>();

// #region echo-frames
const server = net.createServer((socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`${peer} connected`);
  connections.add(socket);
  let frames = 0;
  readFrames(socket, (payload) => {
    frames++;
    console.log(`${peer} frame ${frames}: ${payload.length} bytes  ${escapeBytes(payload)}`);
    writeFrame(socket, payload); // the same payload, with a new header, as one frame
  });
  socket.on("error", (err) => console.log(`${peer}: ${err.message}`));
  socket.on("close", () => {
    connections.delete(socket);
    console.log(`${peer} closed after ${frames} frames`);
  });
});
// #endregion echo-frames

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
