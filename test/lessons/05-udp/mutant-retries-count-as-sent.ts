// Wrong answer: counts retries as pings sent
// Counts every datagram it sent, retries included, as a ping sent.
// 4 pings that each needed a second try come out as "sent 8, received 4, 50 % loss".
export * from "../../../lessons/05-udp/solution.ts";
import dgram from "node:dgram";
import { on } from "node:events";
import type { PingOptions, PingReport } from "../../../lessons/05-udp/solution.ts";
import { summarize } from "./report.ts";

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const socket = dgram.createSocket("udp4");
  const rtts: (number | null)[] = [];
  let datagramsSent = 0;
  for (let seq = 1; seq <= options.count; seq++) {
    const sentAt = new Map<string, number>();
    let rtt: number | null = null;
    for (let attempt = 0; attempt <= (options.retries ?? 0) && rtt === null; attempt++) {
      const message = `PING ${seq} ${Date.now()}`;
      sentAt.set(message, performance.now());
      socket.send(message, port, host);
      datagramsSent++;
      try {
        for await (const [datagram] of on(socket, "message", { signal: AbortSignal.timeout(options.timeoutMs) })) {
          const time = sentAt.get((datagram as Buffer).toString());
          if (time !== undefined) {
            rtt = performance.now() - time;
            break;
          }
        }
      } catch {
        // timed out: try again, or give up
      }
    }
    rtts.push(rtt);
  }
  socket.close();
  const report = summarize(rtts);
  return { ...report, sent: datagramsSent, lossPercent: (100 * (datagramsSent - report.received)) / datagramsSent };
}
