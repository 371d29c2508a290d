// How big can one UDP datagram be? This program sends datagrams of growing size to
// itself over loopback and reports what arrived.
//   npx tsx examples/udp-datagram-size.ts

import dgram from "node:dgram";
import { once } from "node:events";

// Some systems cap a datagram at the socket's send buffer (macOS: 9216 bytes by
// default), so we ask for buffers big enough for the largest datagram there is.
const socket = dgram.createSocket({ type: "udp4", sendBufferSize: 256 * 1024, recvBufferSize: 256 * 1024 });
socket.bind(0, "127.0.0.1");
await once(socket, "listening");
const { address, port } = socket.address();
console.log(`Sending datagrams to myself on ${address}:${port}`);

// #region sizes
// #region size-list
// An IPv4 packet is at most 65,535 bytes; minus 20 bytes of IP header and 8 of UDP
// header, that leaves 65,507 bytes of payload. One byte more cannot be sent at all.
//   1200: safe on any path (QUIC's minimum); 1472: fills one Ethernet frame (1500 − 28);
//   8192: several Ethernet frames' worth — would be cut into IP fragments on a real network.
const SIZES = [0, 1200, 1472, 8192, 65507, 65508];
// #endregion size-list

for (const size of SIZES) {
  const label = `${String(size).padStart(6)} bytes:`;
  const arrival = once(socket, "message", { signal: AbortSignal.timeout(1000) });
  arrival.catch(() => {}); // looked at below, if the send works at all
  try {
    await new Promise<void>((resolve, reject) =>
      socket.send(Buffer.alloc(size, "x"), port, address, (err) => (err ? reject(err) : resolve())),
    );
  } catch (err) {
    console.log(`${label} not sent: ${(err as NodeJS.ErrnoException).code} — too big for one datagram`);
    continue;
  }
  try {
    const [datagram] = await arrival;
    // A datagram arrives whole or not at all: never half of it, never glued to the next.
    console.log(`${label} sent, arrived whole (${(datagram as Buffer).length} bytes in one 'message')`);
  } catch {
    console.log(`${label} sent, but never arrived`);
  }
}
// #endregion sizes
socket.close();
