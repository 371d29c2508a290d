// Wrong answer: counts every copy of a duplicated echo as received
// A 'message' listener counts every echo of a ping it sent — so when the
// network duplicates an echo, one ping is "received" twice (and loss can go negative).
export * from "../../../lessons/05-udp/solution.ts";
import dgram from "node:dgram";
import type { PingOptions, PingReport } from "../../../lessons/05-udp/solution.ts";
import { summarize } from "./report.ts";

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const socket = dgram.createSocket("udp4");
  const sentAt = new Map<string, { seq: number; time: number }>();
  const rtts: (number | null)[] = [];
  let received = 0;
  let answer: ((seq: number) => void) | null = null;

  socket.on("message", (datagram) => {
    const ping = sentAt.get(datagram.toString());
    if (!ping) return;
    received++;
    if (rtts[ping.seq - 1] === null) rtts[ping.seq - 1] = performance.now() - ping.time;
    answer?.(ping.seq);
  });

  for (let seq = 1; seq <= options.count; seq++) {
    rtts.push(null);
    for (let attempt = 0; attempt <= (options.retries ?? 0) && rtts[seq - 1] === null; attempt++) {
      const message = `PING ${seq} ${Date.now()}`;
      sentAt.set(message, { seq, time: performance.now() });
      const answered = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.timeoutMs);
        answer = (answeredSeq) => {
          if (answeredSeq === seq) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      socket.send(message, port, host);
      await answered;
    }
  }
  socket.close();
  return { ...summarize(rtts), received, lossPercent: (100 * (options.count - received)) / options.count };
}
