// Wrong answer: takes any datagram as the echo (junk, duplicates and late echoes count)
// Takes the first datagram that arrives as the echo, without reading it.
// Fine on a perfect network; junk, a duplicate or a late echo of an earlier ping is
// taken for the answer to the current one.
export * from "../../../lessons/05-udp/solution.ts";
import dgram from "node:dgram";
import { once } from "node:events";
import type { PingOptions, PingReport } from "../../../lessons/05-udp/solution.ts";
import { summarize } from "./report.ts";

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const socket = dgram.createSocket("udp4");
  const rtts: (number | null)[] = [];
  for (let seq = 1; seq <= options.count; seq++) {
    let rtt: number | null = null;
    for (let attempt = 0; attempt <= (options.retries ?? 0) && rtt === null; attempt++) {
      const start = performance.now();
      socket.send(`PING ${seq} ${Date.now()}`, port, host);
      try {
        await once(socket, "message", { signal: AbortSignal.timeout(options.timeoutMs) });
        rtt = performance.now() - start;
      } catch {
        // timed out: lost
      }
    }
    rtts.push(rtt);
  }
  socket.close();
  return summarize(rtts);
}
