// Lesson 05 — your exercise. Replace the todo(...) with your own code, then run:
//   npm test -- 05
// Stuck? npm run hint 05
//
// Build a UDP pinger (the "UDP Pinger" assignment of Kurose & Ross, Computer Networking).
// The checks run it against a UDP echo server behind a network that drops, duplicates,
// delays and reorders datagrams.

import { todo } from "../not-implemented.ts";

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
  /** 100 × (sent − received) / sent, e.g. 30 when 3 of 10 pings were lost. */
  lossPercent: number;
  /** Round-trip time in ms of ping seq N at index N−1; null if the ping was lost. */
  rtts: (number | null)[];
  /** Smallest, mean and largest of the non-null rtts; null if every ping was lost. */
  min: number | null;
  avg: number | null;
  max: number | null;
}

/**
 * Pings a UDP echo server at host:port, one ping at a time, for seq = 1, 2, … count:
 *
 *   1. send one datagram with the text `PING <seq> <sendTimeMs>`, e.g. "PING 3 1718000000123"
 *      (sendTimeMs = Date.now() when you send it);
 *   2. wait up to `timeoutMs` for its echo: a datagram whose text is EXACTLY the message you
 *      sent. Ignore every other datagram — a second copy of an earlier echo, an echo that
 *      comes too late for an earlier ping, junk — and keep waiting until the time is up;
 *   3. the echo came: its round-trip time (ms from sending to receiving) goes in rtts;
 *      the time ran out: if `retries` allows, send the ping again (same seq, a new
 *      sendTimeMs — and the echo of ANY try of this seq counts); otherwise rtts gets null.
 *
 * Then move on to the next seq. Never wait forever: a server that is down, or a network
 * that loses everything, must give a report with every rtt null after about
 * count × (1 + retries) × timeoutMs.
 * Use one socket for all pings, and close it before you return.
 */
export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  todo("ping");
}
