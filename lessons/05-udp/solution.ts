// Lesson 05 — reference solution. Same exports as exercise.ts.
// A UDP pinger, after the "UDP Pinger" assignment in Kurose & Ross, Computer Networking.

import dgram from "node:dgram";
import net from "node:net";
import { on } from "node:events";

export interface PingOptions {
  /** How many pings to send (sequence numbers 1..count). */
  count: number;
  /** How long to wait for the echo of one datagram before giving up on it. */
  timeoutMs: number;
  /** How many times to send a ping again when its echo does not come (default 0: never). */
  retries?: number;
}

export interface PingReport {
  /** Pings sent: `count`. A retry is another try of the same ping, not another ping. */
  sent: number;
  /** Pings that got their echo (a ping counts once, however many copies came back). */
  received: number;
  /** 100 × (sent − received) / sent */
  lossPercent: number;
  /** Round-trip time in ms of ping seq N at index N−1; null if the ping was lost. */
  rtts: (number | null)[];
  /** Smallest, mean and largest of the non-null rtts; null if every ping was lost. */
  min: number | null;
  avg: number | null;
  max: number | null;
}

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const retries = options.retries ?? 0;
  // No connect(): the socket gets a local port from the system on the first send.
  const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
  const rtts: (number | null)[] = [];
  try {
    for (let seq = 1; seq <= options.count; seq++) {
      rtts.push(await pingOnce(socket, host, port, seq, options.timeoutMs, retries));
    }
  } finally {
    socket.close();
  }
  return summarize(rtts);
}

// #region ping-once
/** Sends ping `seq` (and its retries) and resolves with its round-trip time, or null if lost. */
async function pingOnce(
  socket: dgram.Socket,
  host: string,
  port: number,
  seq: number,
  timeoutMs: number,
  retries: number,
): Promise<number | null> {
  // Every try carries its own send time, so each try is a different message.
  // The echo tells us which try it answers, and the RTT is measured from that try.
  const sentAt = new Map<string, number>();
  for (let attempt = 0; attempt <= retries; attempt++) {
    const message = `PING ${seq} ${Date.now()}`;
    sentAt.set(message, performance.now());
    socket.send(message, port, host);

    const echo = await waitForEcho(socket, sentAt, timeoutMs);
    if (echo !== null) return performance.now() - sentAt.get(echo)!;
  }
  return null;
}

/** Waits up to timeoutMs for a datagram that is exactly one of our messages. */
async function waitForEcho(socket: dgram.Socket, sentAt: Map<string, number>, timeoutMs: number): Promise<string | null> {
  try {
    // on() queues every 'message' event, so nothing is missed between two loop turns.
    for await (const [datagram] of on(socket, "message", { signal: AbortSignal.timeout(timeoutMs) })) {
      const text = (datagram as Buffer).toString();
      if (sentAt.has(text)) return text;
      // Anything else is ignored: a duplicate or late echo of an earlier ping, or junk.
      // UDP delivers datagrams late, twice, or out of order, and never tells us.
    }
  } catch (err) {
    if ((err as Error).name === "AbortError") return null; // the timeout: this try is lost
    throw err;
  }
  return null;
}
// #endregion ping-once

function summarize(rtts: (number | null)[]): PingReport {
  const answered = rtts.filter((rtt): rtt is number => rtt !== null);
  const sent = rtts.length;
  const received = answered.length;
  return {
    sent,
    received,
    // Loss is measured against what was SENT: 3 lost of 10 sent is 30 %.
    lossPercent: sent === 0 ? 0 : (100 * (sent - received)) / sent,
    rtts,
    min: received === 0 ? null : Math.min(...answered),
    avg: received === 0 ? null : answered.reduce((sum, rtt) => sum + rtt, 0) / received,
    max: received === 0 ? null : Math.max(...answered),
  };
}
