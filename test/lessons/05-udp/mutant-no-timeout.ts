// Wrong answer: waits for the echo without a timeout (hangs on the first loss)
// Waits for the echo without a time limit. Correct as long as nothing is
// lost — but UDP never resends, so the first lost datagram makes it wait forever.
export * from "../../../lessons/05-udp/solution.ts";
import dgram from "node:dgram";
import { once } from "node:events";
import type { PingOptions, PingReport } from "../../../lessons/05-udp/solution.ts";
import { summarize } from "./report.ts";

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const socket = dgram.createSocket("udp4");
  const rtts: (number | null)[] = [];
  for (let seq = 1; seq <= options.count; seq++) {
    const message = `PING ${seq} ${Date.now()}`;
    const start = performance.now();
    socket.send(message, port, host);
    for (;;) {
      const [datagram] = await once(socket, "message");
      if ((datagram as Buffer).toString() === message) break;
    }
    rtts.push(performance.now() - start);
  }
  socket.close();
  return summarize(rtts);
}
