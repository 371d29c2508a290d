// A length-prefixed frame client: sends each line you type as one frame and prints the
// frames that come back (run examples/framing-frames-server.ts first).
//   npx tsx examples/framing-frames-client.ts          (HOST=127.0.0.1 PORT=8888 by default)
//   printf 'hello\nworld\n' | npx tsx examples/framing-frames-client.ts
// An empty line, or the end of input (Ctrl-D), quits.

import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { readFrames, writeFrame } from "./framing-frames-wire.ts";

const HOST = process.env.HOST ?? "127.0.0.1";
const PORT = Number(process.env.PORT ?? 8888);

const socket = net.connect(PORT, HOST);
try {
  await once(socket, "connect");
} catch (err) {
  console.error(`Could not connect to ${HOST}:${PORT} (${(err as Error).message}) — is the server running?`);
  process.exit(1);
}

// Replies can come at any time; readFrames calls us once per whole frame.
let replies = 0;
readFrames(socket, (payload) => {
  replies++;
  console.log(`frame ${replies} back (${payload.length} bytes): ${payload.toString("utf8")}`);
});
socket.on("error", (err) => console.log(`Connection lost: ${err.message}`));

// #region send-frames
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "") break;
  const payload = Buffer.from(line, "utf8"); // the length counts bytes: "张三" is 6, not 2
  writeFrame(socket, payload);
  console.log(`sent a frame: header ${lengthHeader(payload.length)}, then ${payload.length} bytes of payload`);
}
// #endregion send-frames

socket.end(); // FIN: the server echoes what is left, then closes too
await once(socket, "close");

/** 5 → "00 00 00 05": the header as it looks on the wire. */
function lengthHeader(length: number): string {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header.toString("hex").replace(/(..)(?!$)/g, "$1 ");
}
