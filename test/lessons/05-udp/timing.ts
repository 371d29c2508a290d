// Test helpers for lesson 05: the pinger's RTTs against the proxy's own clock, and its socket.

import { expect } from "vitest";
import { setTimeout as sleep } from "node:timers/promises";
import dgram from "node:dgram";

/** One try of a ping as the proxy saw it (its `at` times are Date.now() when a datagram reached it). */
export interface TimedTry {
  seq: number;
  /** When the try reached the proxy, a moment after the pinger sent it. */
  sentAt: number;
  /** When each echo of this try that went on to the pinger reached the proxy. */
  echoesAt: number[];
  echoed: boolean;
}

/**
 * Room for a busy machine: the pinger, the proxy and the server share one event loop, and a
 * timer may fire late. Far below every timeout used in the checks, so an RTT measured from
 * the wrong try (one timeout or more off) never fits.
 */
const SLACK_MS = 250;

/**
 * Each rtt must be the time from sending the try that was answered to receiving its echo.
 * The proxy saw both: the echo cannot have reached the pinger before it reached the proxy
 * (the lower bound), and after that the network held it up by at most `maxHoldMs`.
 * Assumes the checks' timeouts are well above the network's delay, so the answered try is
 * the first try whose echo came back.
 */
export function expectRttsMatchLog(rtts: (number | null)[], tries: TimedTry[][], maxHoldMs: number): void {
  tries.forEach((triesOfSeq, index) => {
    const rtt = rtts[index];
    const answered = triesOfSeq.findIndex((t) => t.echoed);
    if (answered === -1 || typeof rtt !== "number") return; // lost: checked elsewhere
    const { sentAt, echoesAt } = triesOfSeq[answered]!;
    const atProxy = Math.min(...echoesAt) - sentAt;
    const earliest = atProxy - 2; // Date.now() counts whole milliseconds
    const latest = atProxy + maxHoldMs + SLACK_MS;
    if (rtt >= earliest && rtt <= latest) return;
    const seq = index + 1;
    const which = triesOfSeq.length > 1 ? `try ${answered + 1} of PING ${seq} (the one whose echo came back)` : `PING ${seq}`;
    const earlierTries =
      answered > 0
        ? ` Measure from the send time of that try — not from the first try (sent ${sentAt - triesOfSeq[0]!.sentAt} ms ` +
          "earlier), and without adding the time the unanswered tries waited."
        : "";
    const later = answered < triesOfSeq.length - 1 || rtt < earliest ? " Did you measure from a later try?" : "";
    expect.fail(
      `PING ${seq}: your rtt is ${rtt.toFixed(1)} ms, but ${which} was echoed back to the network ${atProxy} ms after it ` +
        `was sent (the network may hold a datagram up to ${maxHoldMs} ms more): the rtt should be about ` +
        `${atProxy}–${atProxy + maxHoldMs} ms.${earlierTries}${later}`,
    );
  });
}

/** Whether a UDP port is still taken on this machine (by a socket that was never closed). */
async function portInUse(port: number): Promise<boolean> {
  const probe = dgram.createSocket("udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.bind(port, "127.0.0.1", resolve);
    });
    return false;
  } catch {
    return true;
  } finally {
    probe.close();
  }
}

/**
 * After ping() returned: the pinger sent every datagram from one port (one socket for all
 * pings), and that port is free again (the socket was closed).
 */
export async function expectOneSocketClosed(senderPorts: Set<number>): Promise<void> {
  expect(
    senderPorts.size,
    `your pinger sent its datagrams from ${senderPorts.size} different ports (${[...senderPorts].join(", ")}): use one ` +
      "socket for all pings (the exercise asks for it, and a late echo of an earlier ping then still reaches you)",
  ).toBe(1);
  const [port] = senderPorts;
  // Closing takes a moment to reach the system: look again for up to a second.
  for (let waited = 0; await portInUse(port!); waited += 50) {
    if (waited >= 1000) {
      expect.fail(
        `after ping() returned, your pinger's socket (port ${port}) was still open: close it before you return ` +
          "(in a finally, so that an error closes it too)",
      );
    }
    await sleep(50);
  }
}
