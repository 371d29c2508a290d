// The hostile proxy must itself be trustworthy: faults only where asked, bytes never
// corrupted or reordered on TCP, and the same seed giving the same faults.
import net from "node:net";
import dgram from "node:dgram";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { PROFILES, seededRandom, startTcpProxy, startUdpProxy } from "../../servers/hostile-proxy.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP server that records what arrives (and in how many chunks), and answers "got N bytes" after the client's FIN. */
async function recordingServer() {
  const received: { chunks: number; bytes: Buffer[] } = { chunks: 0, bytes: [] };
  const server = net.createServer((socket) => {
    socket.on("data", (chunk) => {
      received.chunks++;
      received.bytes.push(chunk);
    });
    socket.on("end", () => socket.end(`got ${Buffer.concat(received.bytes).length} bytes`));
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, received };
}

async function sendAndHalfClose(port: number, payload: Buffer): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  socket.end(payload); // write, then FIN
  let reply = "";
  socket.on("data", (chunk) => (reply += chunk));
  await once(socket, "close");
  return reply;
}

describe("TCP through the proxy", () => {
  test("friendly: bytes pass unchanged and a half-close reaches the server", async () => {
    const server = await recordingServer();
    const proxy = await startTcpProxy({ targetPort: server.port, seed: 1, faults: PROFILES.friendly.tcp });
    cleanups.push(() => proxy.close());
    const payload = randomBytes(5000);
    expect(await sendAndHalfClose(proxy.port, payload)).toBe("got 5000 bytes");
    expect(Buffer.concat(server.received.bytes).equals(payload)).toBe(true);
    expect(proxy.transcripts[0]!.toString()).toContain("C: [FIN: no more data from this side]");
  });

  test("hostile: the same bytes in the same order, but cut into many small pieces", async () => {
    const server = await recordingServer();
    const proxy = await startTcpProxy({ targetPort: server.port, seed: 7, faults: PROFILES.hostile.tcp });
    cleanups.push(() => proxy.close());
    const payload = randomBytes(3000);
    expect(await sendAndHalfClose(proxy.port, payload)).toBe("got 3000 bytes");
    expect(Buffer.concat(server.received.bytes).equals(payload)).toBe(true);
    expect(server.received.chunks).toBeGreaterThan(20); // one write became many 'data' events
  });

  test("reset: both ends see the connection die (RST), not a clean close", async () => {
    const server = await recordingServer();
    const proxy = await startTcpProxy({ targetPort: server.port, seed: 3, faults: { maxPiece: 0, maxDelayMs: 0, resetRate: 1 } });
    cleanups.push(() => proxy.close());
    const socket = net.connect(proxy.port, "127.0.0.1");
    const error = once(socket, "error");
    socket.write(randomBytes(4096));
    const [err] = await error;
    expect((err as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    expect(proxy.transcripts[0]!.toString()).toContain("the network reset the connection");
  });

  test("an unreachable server closes the client's connection and says why", async () => {
    const unused = net.createServer().listen(0, "127.0.0.1");
    await once(unused, "listening");
    const deadPort = (unused.address() as net.AddressInfo).port;
    unused.close();
    const proxy = await startTcpProxy({ targetPort: deadPort, seed: 1, faults: PROFILES.friendly.tcp });
    cleanups.push(() => proxy.close());
    const socket = net.connect(proxy.port, "127.0.0.1");
    socket.on("error", () => {});
    await once(socket, "close");
    expect(proxy.transcripts[0]!.toString()).toContain("server unreachable or gone");
  });
});

describe("UDP through the proxy", () => {
  async function udpEcho() {
    const server = dgram.createSocket("udp4");
    server.on("message", (message, sender) => server.send(message, sender.port, sender.address));
    server.bind(0, "127.0.0.1");
    await once(server, "listening");
    cleanups.push(() => server.close());
    return server.address().port;
  }

  async function sendAll(proxyPort: number, count: number, waitMs: number): Promise<string[]> {
    const client = dgram.createSocket("udp4");
    cleanups.push(() => client.close());
    const replies: string[] = [];
    client.on("message", (reply) => replies.push(reply.toString()));
    for (let i = 1; i <= count; i++) client.send(`ping ${i}`, proxyPort, "127.0.0.1");
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    return replies;
  }

  test("friendly: every datagram and every echo arrives once", async () => {
    const proxy = await startUdpProxy({ targetPort: await udpEcho(), seed: 1, faults: PROFILES.friendly.udp });
    cleanups.push(() => proxy.close());
    const replies = await sendAll(proxy.port, 20, 200);
    expect(replies.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `ping ${i + 1}`).sort());
    expect(proxy.log.every((entry) => entry.delivered === 1)).toBe(true);
  });

  test("drop 1: nothing arrives, and the log says so", async () => {
    const proxy = await startUdpProxy({ targetPort: await udpEcho(), seed: 1, faults: { ...PROFILES.friendly.udp, drop: 1 } });
    cleanups.push(() => proxy.close());
    expect(await sendAll(proxy.port, 5, 150)).toEqual([]);
    expect(proxy.log.map((entry) => entry.delivered)).toEqual([0, 0, 0, 0, 0]);
    expect(proxy.transcripts[0]!.toString()).toContain("dropped by the network");
  });

  test("duplicate 1: every datagram arrives twice each way", async () => {
    const proxy = await startUdpProxy({ targetPort: await udpEcho(), seed: 1, faults: { ...PROFILES.friendly.udp, duplicate: 1 } });
    cleanups.push(() => proxy.close());
    const replies = await sendAll(proxy.port, 3, 200);
    expect(replies).toHaveLength(12); // 3 pings × 2 copies × 2 echoes each
  });

  test("the hostile profile loses some, not all, and the log matches what the client saw", async () => {
    const proxy = await startUdpProxy({ targetPort: await udpEcho(), seed: 42, faults: PROFILES.hostile.udp });
    cleanups.push(() => proxy.close());
    const replies = await sendAll(proxy.port, 40, 400);
    const delivered = proxy.log.filter((entry) => entry.side === "S").reduce((sum, entry) => sum + entry.delivered, 0);
    expect(replies.length).toBe(delivered);
    expect(replies.length).toBeGreaterThan(0);
    expect(proxy.log.some((entry) => entry.delivered === 0)).toBe(true);
  });
});

test("the same seed gives the same faults", () => {
  const a = seededRandom(1234);
  const b = seededRandom(1234);
  const c = seededRandom(1235);
  const first = Array.from({ length: 10 }, a);
  expect(Array.from({ length: 10 }, b)).toEqual(first);
  expect(Array.from({ length: 10 }, c)).not.toEqual(first);
  expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
});

test("a receiver that vanishes while the proxy waits for it does not take the proxy down", async () => {
  // The server sends far more than the client reads; the proxy has to wait for 'drain'…
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.write(Buffer.alloc(16 * 1024 * 1024));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => server.close());
  const proxy = await startTcpProxy({ targetPort: (server.address() as net.AddressInfo).port, seed: 5, faults: PROFILES.friendly.tcp });
  cleanups.push(() => proxy.close());

  const client = net.connect(proxy.port, "127.0.0.1");
  client.pause(); // …because this client never reads…
  await once(client, "connect");
  await new Promise((resolve) => setTimeout(resolve, 200));
  client.resetAndDestroy(); // …and then disappears.
  await new Promise((resolve) => setTimeout(resolve, 100));

  // Still alive: before the fix, the failed wait was an unhandled rejection that ended the process.
  const second = await recordingServer();
  const proxy2 = await startTcpProxy({ targetPort: second.port, seed: 5, faults: PROFILES.friendly.tcp });
  cleanups.push(() => proxy2.close());
  expect(await sendAndHalfClose(proxy2.port, Buffer.from("still here"))).toBe("got 10 bytes");
});
