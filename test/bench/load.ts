// The load generators: clients that push as much through an echo server as it will take.
// They run in the bench process while the server runs in its own process, so on a
// 2-core machine each side has a core to itself (only one server is loaded at a time).

import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { performance } from "node:perf_hooks";

const HOST = "127.0.0.1";

export interface TcpLoad {
  connections: number;
  /** Bytes sent in total, split evenly across the connections. */
  totalBytes: number;
  /** Size of each write(). */
  writeSize: number;
  timeoutMs: number;
}

/** Opens the connections, then sends and reads back `totalBytes`; resolves with MB/s (1 MB = 10^6 bytes). */
export async function tcpEchoLoad(port: number, load: TcpLoad): Promise<number> {
  const sockets: net.Socket[] = [];
  const timer = setTimeout(() => {
    for (const socket of sockets) socket.destroy(new Error(`TCP load did not finish within ${load.timeoutMs} ms`));
  }, load.timeoutMs);
  try {
    for (let i = 0; i < load.connections; i++) {
      const socket = net.connect(port, HOST);
      sockets.push(socket);
    }
    await Promise.all(sockets.map((socket) => once(socket, "connect")));

    // The clock starts once every connection is up: we measure the echo, not the handshakes.
    const start = performance.now();
    const block = Buffer.alloc(load.writeSize, "x");
    await Promise.all(
      sockets.map((socket, i) => {
        const share = Math.floor(load.totalBytes / load.connections) + (i < load.totalBytes % load.connections ? 1 : 0);
        return echoThrough(socket, share, block);
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    return load.totalBytes / 1e6 / seconds;
  } finally {
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
  }
}

/** Writes `bytes` bytes to one connection, half-closes, and reads until the server's FIN. */
async function echoThrough(socket: net.Socket, bytes: number, block: Buffer): Promise<void> {
  let received = 0;
  socket.on("data", (echo: Buffer) => (received += echo.length));

  const writeAll = async () => {
    for (let sent = 0; sent < bytes; sent += block.length) {
      const piece = bytes - sent < block.length ? block.subarray(0, bytes - sent) : block;
      // write() returns false when the kernel's send buffer and Node's queue are full:
      // wait for 'drain' instead of piling everything up in memory (backpressure).
      if (!socket.write(piece)) await once(socket, "drain");
    }
    socket.end(); // FIN: "that is all" — pipe() on the server finishes echoing, then ends too
  };
  // Promise.all listens for both at once, so an error while writing or reading is never unhandled.
  await Promise.all([writeAll(), once(socket, "end")]);
  if (received !== bytes) throw new Error(`sent ${bytes} bytes but ${received} came back`);
}

export interface UdpLoad {
  datagramSize: number;
  /** How many datagrams may be waiting for their echo at any moment. */
  inFlight: number;
  /** How long to keep sending. */
  seconds: number;
  /** An echo that has not come back after this long counts as lost (and frees its slot). */
  lostAfterMs: number;
}

export interface UdpResult {
  datagramsPerSecond: number;
  sent: number;
  lost: number;
}

/** Keeps `inFlight` numbered datagrams outstanding for `seconds`; counts the echoes. */
export async function udpEchoLoad(port: number, load: UdpLoad): Promise<UdpResult> {
  const socket = dgram.createSocket("udp4");
  // A connected UDP socket only talks to (and hears from) the server, and send() needs no address.
  socket.connect(port, HOST);
  await once(socket, "connect");

  const outstanding = new Map<number, number>(); // sequence number → when it was sent
  let sent = 0;
  let received = 0;
  let lost = 0;
  const start = performance.now();
  const stopSendingAt = start + load.seconds * 1000;
  let lastEcho = start;

  const refill = (now: number) => {
    while (outstanding.size < load.inFlight && now < stopSendingAt) {
      const datagram = Buffer.alloc(load.datagramSize, "x");
      datagram.writeUInt32BE(sent, 0); // the sequence number tells which datagram came back
      outstanding.set(sent, now);
      sent++;
      socket.send(datagram);
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const finishIfDone = (now: number) => {
        if (now >= stopSendingAt && outstanding.size === 0) resolve();
      };
      socket.on("error", reject); // e.g. ECONNREFUSED: nobody is listening on that port
      socket.on("message", (echo) => {
        const now = performance.now();
        // An echo we already gave up on is "late", not "received": ignore it.
        if (echo.length !== load.datagramSize || !outstanding.delete(echo.readUInt32BE(0))) return;
        received++;
        lastEcho = now;
        refill(now);
        finishIfDone(now);
      });
      // Every 20 ms: give up on datagrams that are overdue, so a loss does not shrink the window.
      const sweeper = setInterval(() => {
        const now = performance.now();
        for (const [sequence, sentAt] of outstanding) {
          if (now - sentAt < load.lostAfterMs) continue;
          outstanding.delete(sequence);
          lost++;
        }
        refill(now);
        finishIfDone(now);
      }, 20);
      socket.once("close", () => clearInterval(sweeper));
      refill(start);
    });
  } finally {
    socket.close();
  }
  const seconds = (lastEcho - start) / 1000;
  return { datagramsPerSecond: seconds > 0 ? received / seconds : 0, sent, lost };
}
