// The hostile network: a proxy on loopback that sits between a client and a server
// and misbehaves on purpose, the way real networks do.
//
//   client ──▶ proxy (listen port) ──▶ server (target port)
//
// TCP faults: every chunk is cut into 1..N-byte pieces that arrive with small delays
// (TCP promises the bytes and their order, never the chunk sizes), and a connection
// may be reset in the middle. UDP faults: datagrams are dropped, duplicated, delayed
// and reordered (UDP promises nothing at all).
// All randomness comes from a seed, so a failing run can be repeated exactly.
//
// Run it by hand (see lessons 04 and 05):
//   npx tsx servers/hostile-proxy.ts --tcp --listen 9999 --target 8888 --split 3 --trace
//   npx tsx servers/hostile-proxy.ts --udp --listen 9999 --target 8888 --drop 0.3 --trace

import net from "node:net";
import dgram from "node:dgram";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { drained } from "./sockets.ts";
import { Transcript, type Side } from "./transcript.ts";

export interface TcpFaults {
  /** Cut every chunk into pieces of 1..maxPiece bytes (0: pass chunks through whole). */
  maxPiece: number;
  /** Wait 0..maxDelayMs before each piece. */
  maxDelayMs: number;
  /** Chance that a connection is reset (RST) somewhere in its first 1024 bytes. */
  resetRate: number;
}

export interface UdpFaults {
  drop: number; // chance a datagram is lost
  duplicate: number; // chance it arrives twice
  reorder: number; // chance it is held back so later datagrams overtake it
  maxDelayMs: number; // every datagram waits 0..maxDelayMs
}

export const PROFILES = {
  friendly: {
    tcp: { maxPiece: 0, maxDelayMs: 0, resetRate: 0 } satisfies TcpFaults,
    udp: { drop: 0, duplicate: 0, reorder: 0, maxDelayMs: 0 } satisfies UdpFaults,
  },
  hostile: {
    tcp: { maxPiece: 7, maxDelayMs: 2, resetRate: 0 } satisfies TcpFaults,
    udp: { drop: 0.25, duplicate: 0.15, reorder: 0.15, maxDelayMs: 30 } satisfies UdpFaults,
  },
};
export type ProfileName = keyof typeof PROFILES;

/** A small seeded random number generator (mulberry32): same seed, same faults. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ProxyOptions<Faults> {
  targetPort: number;
  targetHost?: string;
  listenPort?: number; // 0 (the default) lets the system pick a free port
  listenHost?: string;
  faults: Faults;
  seed: number;
  /** Each connection (TCP) or client (UDP) gets a transcript from this function. */
  newTranscript?: () => Transcript;
}

export interface TcpProxy {
  port: number;
  transcripts: Transcript[];
  close(): Promise<void>;
}

// #region tcp-proxy
export async function startTcpProxy(options: ProxyOptions<TcpFaults>): Promise<TcpProxy> {
  const random = seededRandom(options.seed);
  const transcripts: Transcript[] = [];
  const sockets = new Set<net.Socket>();

  // allowHalfOpen: when one side sends FIN, keep the other direction open, so that a
  // half-close travels through the proxy exactly as it would without it.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const transcript = options.newTranscript?.() ?? new Transcript();
    transcripts.push(transcript);
    const upstream = net.connect({ port: options.targetPort, host: options.targetHost ?? "127.0.0.1", allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true); // send each piece at once, do not let Nagle glue them together
      socket.on("close", () => sockets.delete(socket));
    }
    upstream.on("error", (err) => {
      transcript.note("S", `server unreachable or gone: ${err.message}`);
      client.destroy();
    });
    client.on("error", () => upstream.destroy());

    // Decide now, from the seed, whether (and after how many bytes) to reset this connection.
    const resetAfter = random() < options.faults.resetRate ? Math.floor(random() * 1024) : Infinity;
    const budget = { bytes: 0, resetAfter };
    relay(client, upstream, "C", options.faults, random, transcript, budget);
    relay(upstream, client, "S", options.faults, random, transcript, budget);
  });
  server.listen(options.listenPort ?? 0, options.listenHost ?? "127.0.0.1");
  await once(server, "listening");

  return {
    port: (server.address() as net.AddressInfo).port,
    transcripts,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** Copies bytes from one socket to the other, one side of the conversation. */
function relay(
  from: net.Socket,
  to: net.Socket,
  side: Side,
  faults: TcpFaults,
  random: () => number,
  transcript: Transcript,
  budget: { bytes: number; resetAfter: number },
): void {
  from.on("data", async (chunk: Buffer) => {
    transcript.data(side, chunk);
    from.pause(); // backpressure: read no more until this chunk is delivered
    for (const piece of cutIntoPieces(chunk, faults.maxPiece, random)) {
      if (faults.maxDelayMs > 0) await sleep(Math.floor(random() * (faults.maxDelayMs + 1)));
      budget.bytes += piece.length;
      if (budget.bytes > budget.resetAfter) {
        // An RST instead of a FIN: both peers see ECONNRESET, unsent data is lost.
        transcript.note(side, "the network reset the connection");
        from.resetAndDestroy();
        to.resetAndDestroy();
        return;
      }
      if (to.destroyed) return;
      if (!to.write(piece)) {
        await drained(to); // the receiver reads slowly: wait before sending more
        if (to.destroyed) return;
      }
    }
    from.resume();
  });
  // A FIN from one side is passed on as a FIN (a half-close), after all its data.
  from.on("end", () => {
    transcript.note(side, "FIN: no more data from this side");
    const finish = () => to.end();
    if (from.isPaused()) from.once("resume", finish);
    else finish();
  });
  from.on("close", (hadError) => {
    if (hadError) to.destroy();
  });
}

function cutIntoPieces(chunk: Buffer, maxPiece: number, random: () => number): Buffer[] {
  if (maxPiece <= 0) return [chunk];
  const pieces: Buffer[] = [];
  for (let at = 0; at < chunk.length; ) {
    const size = 1 + Math.floor(random() * maxPiece);
    pieces.push(chunk.subarray(at, at + size));
    at += size;
  }
  return pieces;
}
// #endregion tcp-proxy

export interface UdpProxy {
  port: number;
  transcripts: Transcript[];
  /** Every datagram that reached the proxy and what happened to it. */
  log: { side: Side; datagram: Buffer; delivered: number; at: number }[];
  close(): Promise<void>;
}

// #region udp-proxy
export async function startUdpProxy(options: ProxyOptions<UdpFaults>): Promise<UdpProxy> {
  const random = seededRandom(options.seed);
  const faults = options.faults;
  const log: UdpProxy["log"] = [];
  const transcripts: Transcript[] = [];
  const timers = new Set<NodeJS.Timeout>();
  // UDP has no connections, so to route replies back we give every client address
  // its own socket towards the server: what arrives on it belongs to that client.
  const towardsServer = new Map<string, { socket: dgram.Socket; transcript: Transcript }>();

  const front = dgram.createSocket("udp4");
  front.on("message", (datagram, client) => {
    const key = `${client.address}:${client.port}`;
    let route = towardsServer.get(key);
    if (!route) {
      const transcript = options.newTranscript?.() ?? new Transcript();
      transcripts.push(transcript);
      const socket = dgram.createSocket("udp4");
      socket.bind(0, "127.0.0.1");
      socket.on("message", (reply) =>
        deliver("S", reply, transcript, () => front.send(reply, client.port, client.address)),
      );
      route = { socket, transcript };
      towardsServer.set(key, route);
    }
    const { socket, transcript } = route;
    deliver("C", datagram, transcript, () =>
      socket.send(datagram, options.targetPort, options.targetHost ?? "127.0.0.1"),
    );
  });

  function deliver(side: Side, datagram: Buffer, transcript: Transcript, send: () => void): void {
    const entry = { side, datagram, delivered: 0, at: Date.now() };
    log.push(entry);
    if (random() < faults.drop) {
      transcript.datagram(side, datagram, "dropped by the network");
      return;
    }
    const copies = random() < faults.duplicate ? 2 : 1;
    const heldBack = random() < faults.reorder;
    const fates: string[] = [];
    for (let copy = 0; copy < copies; copy++) {
      let wait = Math.floor(random() * (faults.maxDelayMs + 1));
      if (heldBack) wait += Math.max(20, 2 * faults.maxDelayMs); // later datagrams overtake it
      fates.push(wait > 0 ? `delayed ${wait} ms` : "delivered");
      const timer = setTimeout(() => {
        timers.delete(timer);
        entry.delivered++;
        send();
      }, wait);
      timers.add(timer);
    }
    transcript.datagram(side, datagram, copies === 2 ? `duplicated: ${fates.join(", ")}` : fates[0]);
  }

  front.bind(options.listenPort ?? 0, options.listenHost ?? "127.0.0.1");
  await once(front, "listening");
  return {
    port: front.address().port,
    transcripts,
    log,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const { socket } of towardsServer.values()) socket.close();
      front.close();
    },
  };
}
// #endregion udp-proxy

// ---- run from the command line ----------------------------------------------
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tcp: { type: "boolean" },
      udp: { type: "boolean" },
      listen: { type: "string", default: "9999" },
      target: { type: "string", default: "8888" }, // PORT or HOST:PORT
      profile: { type: "string", default: "hostile" },
      seed: { type: "string" },
      split: { type: "string" },
      delay: { type: "string" },
      reset: { type: "string" },
      drop: { type: "string" },
      duplicate: { type: "string" },
      reorder: { type: "string" },
      trace: { type: "boolean", default: false },
    },
  });
  if (values.tcp === values.udp) throw new Error("say which protocol to proxy: --tcp or --udp");
  const profile = PROFILES[values.profile as ProfileName];
  if (!profile) throw new Error(`unknown --profile ${values.profile}: use friendly or hostile`);
  const [targetHost, targetPort] = values.target.includes(":")
    ? [values.target.slice(0, values.target.lastIndexOf(":")), values.target.slice(values.target.lastIndexOf(":") + 1)]
    : ["127.0.0.1", values.target];
  const seed = values.seed ? Number(values.seed) : Math.floor(Math.random() * 1e9);
  const num = (text: string | undefined, fallback: number) => (text === undefined ? fallback : Number(text));
  let connection = 0;
  const newTranscript = () => {
    const id = ++connection;
    return new Transcript({ onLine: values.trace ? (line) => console.log(`#${id} ${line}`) : undefined });
  };
  const common = { listenPort: Number(values.listen), targetHost, targetPort: Number(targetPort), seed, newTranscript };

  if (values.tcp) {
    const faults = {
      maxPiece: num(values.split, profile.tcp.maxPiece),
      maxDelayMs: num(values.delay, profile.tcp.maxDelayMs),
      resetRate: num(values.reset, profile.tcp.resetRate),
    };
    await startTcpProxy({ ...common, faults });
    console.log(`TCP proxy 127.0.0.1:${values.listen} → ${targetHost}:${targetPort}`, faults, `seed ${seed}`);
  } else {
    const faults = {
      drop: num(values.drop, profile.udp.drop),
      duplicate: num(values.duplicate, profile.udp.duplicate),
      reorder: num(values.reorder, profile.udp.reorder),
      maxDelayMs: num(values.delay, profile.udp.maxDelayMs),
    };
    await startUdpProxy({ ...common, faults });
    console.log(`UDP proxy 127.0.0.1:${values.listen} → ${targetHost}:${targetPort}`, faults, `seed ${seed}`);
  }
  console.log("Point your client at the proxy's port. Ctrl-C stops it.");
  process.once("SIGINT", () => process.exit(0));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: Error) => {
    console.error(`hostile-proxy: ${err.message}`);
    process.exit(1);
  });
}
