// Spec for lessons/05-udp: a UDP pinger. Every check runs a small UDP server of its own
// behind the checker's network; through the hostile one, datagrams are dropped (25 %),
// duplicated (15 %), reordered (15 %) and delayed (0-30 ms). The proxy logs every datagram
// and how many copies it delivered, so after a run we know exactly which pings got an
// echo back to the pinger — and what its report must say.
import dgram from "node:dgram";
import { once } from "node:events";
import { expect } from "vitest";
import { checkLesson, type Network } from "../../kit/checker.ts";
import type { UdpProxy } from "../../../servers/hostile-proxy.ts";
import * as exercise from "../../../lessons/05-udp/exercise.ts";
import type { PingReport } from "../../../lessons/05-udp/solution.ts";

type Lesson05 = typeof import("../../../lessons/05-udp/solution.ts");

// Through the hostile network a datagram waits at most 30 ms, plus 60 ms when held back
// to be overtaken: at most ~180 ms there and back. A timeout well above that means an
// echo that comes back at all comes back in time, so the log decides every ping.
const TIMEOUT_MS = 400;

type Reply = (bytes: string | Buffer) => void;

/** A UDP server on a free port; `answer` is called with each datagram and a way to reply to its sender. */
async function udpServer(network: Network, answer: (datagram: Buffer, reply: Reply) => void): Promise<number> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (datagram, sender) => answer(datagram, (bytes) => socket.send(bytes, sender.port, sender.address)));
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  network.defer(() => socket.close());
  return socket.address().port;
}

const echo = (datagram: Buffer, reply: Reply) => reply(datagram);

interface Try {
  text: string;
  /** Did at least one copy of its echo reach the pinger? */
  echoed: boolean;
}

/** Reads the proxy's log: the tries of each ping, in order, and which of them were echoed. */
function triesFromLog(log: UdpProxy["log"], count: number): Try[][] {
  const tries: Try[][] = Array.from({ length: count }, () => []);
  let lastSeq = 0;
  for (const entry of log) {
    if (entry.side !== "C") continue;
    const text = entry.datagram.toString();
    const match = /^PING (\d+) (\d+)$/.exec(text);
    expect(match, `every datagram the pinger sends is "PING <seq> <sendTimeMs>", not "${text}"`).not.toBeNull();
    const seq = Number(match![1]);
    expect(seq >= 1 && seq <= count, `"${text}": seq should be 1..${count}`).toBe(true);
    expect(seq >= lastSeq, `one ping at a time, seq going up: "${text}" was sent after PING ${lastSeq}`).toBe(true);
    lastSeq = seq;
    const echoes = log.filter((other) => other.side === "S" && other.datagram.toString() === text);
    tries[seq - 1]!.push({ text, echoed: echoes.some((e) => e.delivered > 0) });
  }
  return tries;
}

/** The report must match what the network really did: which pings got an echo back, and how often each was tried. */
function expectReportMatchesLog(report: PingReport, log: UdpProxy["log"], count: number, retries = 0): void {
  const tries = triesFromLog(log, count);
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
      name: "a server that never answers: every ping lost, and ping() still returns",
      network: true,
      timeoutMs: 3000,
      async run({ ping }, network) {
        const proxy = await network.udp(await udpServer(network, () => {}));
        const report = await ping("127.0.0.1", proxy.port, { count: 3, timeoutMs: 200 });
        expect(report.received, "received from a server that never answers").toBe(0);
        expect(report.lossPercent, "lossPercent when nothing comes back").toBe(100);
        expectReportMatchesLog(report, proxy.log, 3);

        // With retries: 1, each ping is sent twice before it counts as lost.
        const withRetry = await network.udp(await udpServer(network, () => {}));
        const retried = await ping("127.0.0.1", withRetry.port, { count: 2, timeoutMs: 200, retries: 1 });
        expectReportMatchesLog(retried, withRetry.log, 2, 1);
      },
    },
    {
      name: "pings an echo server: one PING <seq> <time> per seq, an rtt for every echo that came back",
      network: true,
      timeoutMs: 10_000,
      async run({ ping }, network) {
        const proxy = await network.udp(await udpServer(network, echo));
        const report = await ping("127.0.0.1", proxy.port, { count: 10, timeoutMs: TIMEOUT_MS });
        expectReportMatchesLog(report, proxy.log, 10);
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
          if (previous) reply(previous); // a late echo of the previous ping
          if (seq % 2 === 1) reply(datagram); // the real echo, last
          previous = datagram;
        });
        // No losses or copies here (delays and reordering stay), so we know what must come out.
        const proxy = await network.udp(port, { drop: 0, duplicate: 0 });
        const report = await ping("127.0.0.1", proxy.port, { count: 6, timeoutMs: TIMEOUT_MS });
        expectReport(report, [true, false, true, false, true, false]);
      },
    },
    {
      name: "a ping counts once, however many copies of its echo arrive (every datagram duplicated)",
      network: true,
      timeoutMs: 8000,
      async run({ ping }, network) {
        const proxy = await network.udp(await udpServer(network, echo), { duplicate: 1 });
        const report = await ping("127.0.0.1", proxy.port, { count: 6, timeoutMs: TIMEOUT_MS });
        expectReportMatchesLog(report, proxy.log, 6);
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
        const proxy = await network.udp(port, { drop: 0, duplicate: 0 });
        const report = await ping("127.0.0.1", proxy.port, { count: 4, timeoutMs: TIMEOUT_MS, retries: 1 });
        expect(report.received, "received: every ping got its echo on the second try").toBe(4);
        expectReportMatchesLog(report, proxy.log, 4, 1);
      },
    },
    {
      name: "retries through the network: tries until an echo comes, at most 1 + retries times",
      network: true,
      timeoutMs: 10_000,
      async run({ ping }, network) {
        const proxy = await network.udp(await udpServer(network, echo));
        const report = await ping("127.0.0.1", proxy.port, { count: 4, timeoutMs: TIMEOUT_MS, retries: 2 });
        expectReportMatchesLog(report, proxy.log, 4, 2);
      },
    },
  ],
});
