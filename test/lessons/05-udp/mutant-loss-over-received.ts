// Wrong answer: computes loss as lost / received instead of lost / sent
// Loss computed as lost / received instead of lost / sent
// (3 lost of 6 sent comes out as 100 %, and with nothing received it divides by zero).
export * from "../../../lessons/05-udp/solution.ts";
import { ping as correctPing, type PingOptions, type PingReport } from "../../../lessons/05-udp/solution.ts";

export async function ping(host: string, port: number, options: PingOptions): Promise<PingReport> {
  const report = await correctPing(host, port, options);
  const lost = report.sent - report.received;
  return { ...report, lossPercent: (100 * lost) / report.received };
}
