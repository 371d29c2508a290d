// The wire format of examples/framing-frames-server.ts and -client.ts: length-prefixed
// frames. Each message is 4 bytes of length (an unsigned 32-bit number, big-endian —
// Python's struct.pack("!I", n)) followed by exactly that many bytes of payload.
// Unlike a "\n", a length works for any bytes: images, "\n" inside the payload, nothing at all.

import type net from "node:net";

export const MAX_FRAME_BYTES = 1024 * 1024; // a peer may announce 4 GiB; we refuse more than 1 MiB

// #region write-frame
export function writeFrame(socket: net.Socket, payload: Buffer): boolean {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length); // "network byte order": the most significant byte first
  return socket.write(Buffer.concat([header, payload]));
}
// #endregion write-frame

// #region read-frames
/**
 * Calls onFrame with the payload of every frame that arrives on `socket`.
 * Here the stream does the collecting: in paused mode, socket.read(n) returns null
 * until n bytes have arrived, then exactly n bytes, however the network cut them —
 * like Python's rfile.read(n). (The exercise builds the other kind: a decoder that
 * you push each 'data' chunk into.)
 */
export function readFrames(socket: net.Socket, onFrame: (payload: Buffer) => void): void {
  let length: number | null = null; // the payload length, once the header has been read
  socket.on("readable", () => {
    for (;;) {
      if (length === null) {
        const header: Buffer | null = socket.read(4);
        if (header === null) return; // not 4 bytes yet: 'readable' fires again when more arrive
        if (header.length < 4) return cutOff(socket); // at the end, read() hands over what is left
        length = header.readUInt32BE(0);
        if (length > MAX_FRAME_BYTES) {
          socket.destroy(new Error(`a frame of ${length} bytes was announced; the limit is ${MAX_FRAME_BYTES}`));
          return;
        }
      }
      // read(0) means something else in Node ("refill the buffer"), so an empty frame is built by hand.
      const payload: Buffer | null = length === 0 ? Buffer.alloc(0) : socket.read(length);
      if (payload === null) return; // the payload is still arriving
      if (payload.length < length) return cutOff(socket);
      length = null;
      onFrame(payload);
    }
  });
}
// #endregion read-frames

function cutOff(socket: net.Socket): void {
  socket.destroy(new Error("the connection closed in the middle of a frame"));
}
