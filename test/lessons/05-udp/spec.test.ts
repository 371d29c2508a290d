// Spec for lessons/05-udp: a UDP pinger. Every check runs a small UDP server of its own
// behind the checker's network; through the hostile one, datagrams are dropped (25 %),
// duplicated (15 %), reordered (15 %) and delayed (0-30 ms). The proxy logs every datagram
// and how many copies it delivered, so after a run we know exactly which pings got an
// echo back to the pinger — and what its report must say.
import dgram from "node:dgram";
import { once } from "node:events";
import { expect } from "vitest";
import { checkLesson, type Network } from "../../kit/checker.ts";
import { PROFILES, type UdpFaults, type UdpProxy } from "../../../servers/hostile-proxy.ts";
import * as exercise from "../../../lessons/05-udp/exercise.ts";
import { expectOneSocketClosed, expectRttsMatchLog, type TimedTry } from "./timing.ts";
import type { PingReport } from "../../../lessons/05-udp/solution.ts";

type Lesson05 = typeof import("../../../lessons/05-udp/solution.ts");

// Through the hostile network a datagram waits at most 30 ms, plus 60 ms when held back
// to be overtaken: at most ~180 ms there and back. A timeout well above that means an
// echo that comes back at all comes back in time, so the log decides every ping.
const TIMEOUT_MS = 400;

type Reply = (bytes: string | Buffer) => void;

/** A UDP server on a free port; `answer` is called with each datagram and a way to reply to its sender. */
async function udpServer(
  network: Network,
  answer: (datagram: Buffer, reply: Reply) => void,
  onSender: (sender: dgram.RemoteInfo) => void = () => {},
): Promise<number> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (datagram, sender) => {
    onSender(sender);
    answer(datagram, (bytes) => socket.send(bytes, sender.port, sender.address));
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  network.defer(() => socket.close());
  return socket.address().port;
}

const echo = (datagram: Buffer, reply: Reply) => reply(datagram);

/** The proxy in front of a server, and the most the network may hold one datagram up. */
interface Path extends UdpProxy {
  maxHoldMs: number;
}

async function through(network: Network, port: number, faults: Partial<UdpFaults> = {}): Promise<Path> {
  const proxy = await network.udp(port, faults);
  const { maxDelayMs, reorder } = { ...PROFILES[network.profile].udp, ...faults };
  // A held-back datagram waits max(20, 2 × maxDelayMs) more (servers/hostile-proxy.ts).
  return Object.assign(proxy, { maxHoldMs: maxDelayMs + (reorder > 0 ? Math.max(20, 2 * maxDelayMs) : 0) });
}

interface Try extends TimedTry {
  text: string;
  /** The time the pinger wrote into the ping (its Date.now() when sending). */
  sendTimeMs: number;
  /** Did at least one copy of its echo reach the pinger? */
  echoed: boolean;
}

/**
 * Reads the proxy's log: the tries of each ping, in order, when each reached the proxy, and which
 * of them were echoed. Fails when a try was sent before the one before it was answered or timed out.
 */
function triesFromLog(log: UdpProxy["log"], count: number, timeoutMs: number): Try[][] {
  const tries: Try[][] = Array.from({ length: count }, () => []);
  let previous: Try | undefined;
  let lastSeq = 0;
  for (const entry of log) {
    if (entry.side !== "C") continue;
    const text = entry.datagram.toString();
    const match = /^PING (\d+) (\d+)$/.exec(text);
    expect(match, `every datagram the pinger sends is "PING <seq> <sendTimeMs>", not ${JSON.stringify(text)}`).not.toBeNull();
    const seq = Number(match![1]);
    expect(seq >= 1 && seq <= count, `"${text}": seq should be 1..${count}`).toBe(true);
    expect(seq >= lastSeq, `one ping at a time, seq going up: "${text}" was sent after PING ${lastSeq}`).toBe(true);
    // The proxy notes the wall clock (Date.now()) when the ping reaches it, a moment after it was sent.
    const lag = entry.at - Number(match![2]);
    expect(
      lag >= -2 && lag < 1000,
      `"${text}" reached the network at ${entry.at} (Date.now()): its sendTimeMs is off by ${lag} ms — write Date.now() when you send`,
    ).toBe(true);
    const echoes = log.filter((other) => other.side === "S" && other.datagram.toString() === text && other.delivered > 0);
    const sendTimeMs = Number(match![2]);
    const current: Try = { text, seq, sendTimeMs, sentAt: entry.at, echoesAt: echoes.map((e) => e.at), echoed: echoes.length > 0 };
    // One at a time: a retry leaves only after timeoutMs without an echo, the next ping only once
    // this one got an echo (of any of its tries) or its last try timed out. Compared on the
    // pinger's own clock (its sendTimeMs) with the proxy's (when an echo reached it).
    if (previous?.seq === seq) {
      const waited = sendTimeMs - previous.sendTimeMs;
      expect(
        waited >= timeoutMs - 2,
        `"${text}" was sent ${waited} ms after "${previous.text}", which got no echo: wait the full timeoutMs (${timeoutMs} ms) before you try again`,
      ).toBe(true);
    } else if (previous) {
      const echoedAt = Math.min(...tries[previous.seq - 1]!.flatMap((t) => t.echoesAt)); // Infinity: none
      const doneAt = Math.min(echoedAt, previous.sendTimeMs + timeoutMs);
      expect(
        sendTimeMs >= doneAt - 2,
        `"${text}" was sent ${doneAt - sendTimeMs} ms before PING ${previous.seq} was ${doneAt === echoedAt ? "answered" : "timed out"}: ` +
          "send one ping at a time, the next only once the one before got its echo or ran out of tries",
      ).toBe(true);
    }
    tries[seq - 1]!.push(current);
    previous = current;
    lastSeq = seq;
  }
  return tries;
}

/** The report must match what the network really did: which pings got an echo back, and how often each was tried. */
function expectReportMatchesLog(report: PingReport, proxy: Path, count: number, timeoutMs: number, retries = 0): void {
  const tries = triesFromLog(proxy.log, count, timeoutMs);
  tries.forEach((triesOfSeq, index) => {
    const seq = index + 1;
    if (triesOfSeq.length === 0) {
      expect.fail(
        `PING ${seq} never reached the network. If your pinger did send it, the socket was closed before the ` +
          `datagram left — did it take a late or duplicated echo of an earlier ping as the answer to PING ${seq}, ` +
          "and finish at once? Match each echo to the ping it answers.",
      );
    }
    const firstEchoed = triesOfSeq.findIndex((t) => t.echoed);
    if (firstEchoed === -1) {
      expect(triesOfSeq.length, `PING ${seq} got no echo: it should be sent 1 + retries = ${1 + retries} time(s)`).toBe(1 + retries);
    } else {
      expect(triesOfSeq.length, `PING ${seq}: try ${firstEchoed + 1} got its echo back, so no more tries after it`).toBe(firstEchoed + 1);
    }
  });
  expectReport(report, tries.map((triesOfSeq) => triesOfSeq.some((t) => t.echoed)));
  expectRttsMatchLog(report.rtts, tries, proxy.maxHoldMs);
}

/** `answered[i]`: did ping seq i+1 get its echo back? */
function expectReport(report: PingReport, answered: boolean[]): void {
  const sent = answered.length;
  const received = answered.filter(Boolean).length;
  const fates = answered.map((yes, index) => `${index + 1}:${yes ? "echo" : "lost"}`).join(" ");
  expect(report.sent, "sent: one per ping — retries do not count as pings").toBe(sent);
  expect(
    report.rtts.map((rtt) => (rtt === null ? "lost" : "echo")),
    `rtts (null = lost), one per seq — the network delivered echoes for: ${fates}`,
  ).toEqual(answered.map((yes) => (yes ? "echo" : "lost")));
  const rtts = report.rtts.filter((rtt): rtt is number => rtt !== null);
  for (const rtt of rtts) {
    expect(Number.isFinite(rtt) && rtt >= 0 && rtt < 60_000, `an rtt is milliseconds from send to echo, not ${rtt}`).toBe(true);
  }
  expect(report.received, `received: pings that got their echo (${fates})`).toBe(received);
  expect(report.lossPercent, `lossPercent: 100 × (sent − received) / sent = 100 × ${sent - received} / ${sent}`).toBeCloseTo(
    (100 * (sent - received)) / sent,
    6,
  );
  if (received === 0) {
    expect([report.min, report.avg, report.max], "min, avg, max with no echo at all").toEqual([null, null, null]);
    return;
  }
  expect(report.min, "min of the rtts").toBeCloseTo(Math.min(...rtts), 6);
  expect(report.max, "max of the rtts").toBeCloseTo(Math.max(...rtts), 6);
  expect(report.avg, "avg: the mean of the non-null rtts").toBeCloseTo(rtts.reduce((a, b) => a + b, 0) / rtts.length, 6);
  expect(report.min! <= report.avg! && report.avg! <= report.max!, "min ≤ avg ≤ max").toBe(true);
}

checkLesson<Lesson05>("05-udp", {
  exercise,
  checks: [
    {
      name: "uses one socket for all pings, and closes it before returning",
      async run({ ping }, network) {
        // Straight to the server, no proxy: the server sees the pinger's own port.
        const senderPorts = new Set<number>();
        const port = await udpServer(network, echo, (sender) => senderPorts.add(sender.port));
        await ping("127.0.0.1", port, { count: 3, timeoutMs: 300 });
        await expectOneSocketClosed(senderPorts);
      },
    },
    {
      name: "ping() returns on time even when junk keeps arriving (this server sends PONG every 50 ms)",
      network: true,
      timeoutMs: 4000,
      async run({ ping }, network) {
        const port = await udpServer(network, (_datagram, reply) => {
          const timer = setInterval(() => reply("PONG"), 50);
          network.defer(() => clearInterval(timer));
        });
        const proxy = await through(network, port);
        const count = 2;
        const timeoutMs = 200;
        const late = new Error(
          `ping() with { count: ${count}, timeoutMs: ${timeoutMs} } had not returned after 2.5 s, though each wait should end ` +
            `${timeoutMs} ms after its ping was sent. Does every datagram that arrives (here a PONG every 50 ms) start your timeout ` +
            "again? Give each try one timeout, and keep it running while you ignore what is not the echo.",
        );
        let timer: NodeJS.Timeout | undefined;
        const report = await Promise.race([
          ping("127.0.0.1", proxy.port, { count, timeoutMs }),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late), 2500))),
        ]).finally(() => clearTimeout(timer));
        expect(report.received, "received: PONG is not an echo").toBe(0);
      },
    },
    {
      name: "retries: a late echo of an earlier try counts, its rtt measured from that try (this server answers each first try after 1.5 × timeoutMs)",
      network: true,
      timeoutMs: 6000,
      async run({ ping }, network) {
        const timeoutMs = 300;
        const lateMs = 450;
        const firstTries = new Set<string>();
        const port = await udpServer(network, (datagram, reply) => {
          const seq = /^PING (\d+) /.exec(datagram.toString())?.[1] ?? "";
          if (firstTries.has(seq)) return; // later tries get no answer
          firstTries.add(seq);
          const timer = setTimeout(() => reply(datagram), lateMs);
          network.defer(() => clearTimeout(timer));
        });
        // Only delays: no losses, copies or reordering, so each ping's story is known in advance.
        const proxy = await through(network, port, { drop: 0, duplicate: 0, reorder: 0 });
        const report = await ping("127.0.0.1", proxy.port, { count: 2, timeoutMs, retries: 2 });
        const tries = triesFromLog(proxy.log, 2, timeoutMs);
        tries.forEach((triesOfSeq, index) => {
          expect(
            report.rtts[index],
            `PING ${index + 1}: the echo of try 1 came ${lateMs} ms after it was sent, while try 2 was waiting — an echo of ANY try of this ping counts`,
          ).not.toBeNull();
          expect(
            triesOfSeq.length,
            `PING ${index + 1}: try 1 got no echo within timeoutMs (${timeoutMs} ms), so it should be tried again`,
          ).toBeGreaterThanOrEqual(2);
        });
        // The rtt of an echo is measured from the try it answers: here try 1, about 450 ms before.
        // (On a very busy machine it may come during try 3 instead: it still answers try 1.)
        const first = tries.map((triesOfSeq) => triesOfSeq.map((t, i) => ({ ...t, echoed: i === 0 })));
        expectRttsMatchLog(report.rtts, first, proxy.maxHoldMs);
      },
    },
    {
      name: "retries: a ping answered on its second try is received (this server ignores every first try)",
      network: true,
      timeoutMs: 8000,
      async run({ ping }, network) {
        const triesSeen = new Map<string, number>();
        const port = await udpServer(network, (datagram, reply) => {
          const seq = /^PING (\d+) /.exec(datagram.toString())?.[1] ?? "";
          triesSeen.set(seq, (triesSeen.get(seq) ?? 0) + 1);
          if (triesSeen.get(seq)! >= 2) reply(datagram);
        });
        const proxy = await through(network, port, { drop: 0, duplicate: 0 });
        const report = await ping("127.0.0.1", proxy.port, { count: 3, timeoutMs: TIMEOUT_MS, retries: 1 });
        expect(report.received, "received: every ping got its echo on the second try").toBe(3);
        expectReportMatchesLog(report, proxy, 3, TIMEOUT_MS, 1);
      },
    },
    {
      name: "ignores junk and echoes of other pings (this server answers odd seqs only)",
      network: true,
      timeoutMs: 6000,
      async run({ ping }, network) {
        let previous: Buffer | null = null;
        const port = await udpServer(network, (datagram, reply) => {
          const seq = Number(/^PING (\d+) /.exec(datagram.toString())?.[1]);
          reply(Buffer.from([0xff, 0x00, 0xfe])); // binary junk
          reply(""); // an empty datagram (UDP allows them)
          reply("PONG");
          reply(`PING ${seq}`); // the right seq, but not what was sent
          reply(`PING ${seq} ${Date.now() - 60_000}`); // the right seq, but another send time: not this ping's echo
          if (previous) reply(previous); // a late echo of the previous ping
          if (seq % 2 === 1) reply(datagram); // the real echo, last
          previous = datagram;
        });
        // No losses or copies here (delays and reordering stay), so we know what must come out.
        const proxy = await network.udp(port, { drop: 0, duplicate: 0 });
        const report = await ping("127.0.0.1", proxy.port, { count: 7, timeoutMs: TIMEOUT_MS });
        expectReport(report, [true, false, true, false, true, false, true]);
      },
    },
    {
      name: "a server that never answers: every ping lost, and ping() still returns",
      network: true,
      timeoutMs: 3000,
      async run({ ping }, network) {
        const proxy = await through(network, await udpServer(network, () => {}));
        const report = await ping("127.0.0.1", proxy.port, { count: 3, timeoutMs: 200 });
        expect(report.received, "received from a server that never answers").toBe(0);
        expect(report.lossPercent, "lossPercent when nothing comes back").toBe(100);
        expectReportMatchesLog(report, proxy, 3, 200);

        // With retries: 1, each ping is sent twice before it counts as lost.
        const withRetry = await through(network, await udpServer(network, () => {}));
        const retried = await ping("127.0.0.1", withRetry.port, { count: 2, timeoutMs: 200, retries: 1 });
        expectReportMatchesLog(retried, withRetry, 2, 200, 1);
      },
    },
    {
      name: "pings an echo server: one PING <seq> <time> per seq, an rtt for every echo that came back",
      network: true,
      timeoutMs: 10_000,
      async run({ ping }, network) {
        const proxy = await through(network, await udpServer(network, echo));
        const report = await ping("127.0.0.1", proxy.port, { count: 10, timeoutMs: TIMEOUT_MS });
        expectReportMatchesLog(report, proxy, 10, TIMEOUT_MS);
      },
    },
    {
      name: "a ping counts once, however many copies of its echo arrive (every datagram duplicated)",
      network: true,
      timeoutMs: 8000,
      async run({ ping }, network) {
        const proxy = await through(network, await udpServer(network, echo), { duplicate: 1 });
        const report = await ping("127.0.0.1", proxy.port, { count: 6, timeoutMs: TIMEOUT_MS });
        expectReportMatchesLog(report, proxy, 6, TIMEOUT_MS);
      },
    },
    {
      name: "retries through the network: tries until an echo comes, at most 1 + retries times",
      network: true,
      timeoutMs: 10_000,
      async run({ ping }, network) {
        const proxy = await through(network, await udpServer(network, echo));
        const report = await ping("127.0.0.1", proxy.port, { count: 4, timeoutMs: TIMEOUT_MS, retries: 2 });
        expectReportMatchesLog(report, proxy, 4, TIMEOUT_MS, 2);
      },
    },
  ],
});
