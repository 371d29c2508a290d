// Wrong answer: reads retries as the number of tries in all (one too few)
// Reads `retries` as "how many tries in all", so retries: 1 never retries
// (it should mean one first try plus one retry).
export * from "../../../lessons/05-udp/solution.ts";
import dgram from "node:dgram";
import { on } from "node:events";
import type { PingOptions, PingReport } from "../../../lessons/05-udp/solution.ts";
import { summarize } from "./report.ts";

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const socket = dgram.createSocket("udp4");
  const tries = Math.max(1, options.retries ?? 0);
  const rtts: (number | null)[] = [];
  for (let seq = 1; seq <= options.count; seq++) {
    const sentAt = new Map<string, number>();
    let rtt: number | null = null;
    for (let attempt = 0; attempt < tries && rtt === null; attempt++) {
      const message = `PING ${seq} ${Date.now()}`;
      sentAt.set(message, performance.now());
      socket.send(message, port, host);
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
  return summarize(rtts);
}
