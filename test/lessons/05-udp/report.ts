// The correct PingReport arithmetic, shared by the mutants whose mistake lies elsewhere
// (not a mutant itself: its name does not start with "mutant-").
import type { PingReport } from "../../../lessons/05-udp/solution.ts";

export function summarize(rtts: (number | null)[]): PingReport {
  const answered = rtts.filter((rtt): rtt is number => rtt !== null);
  const sent = rtts.length;
  const received = answered.length;
  return {
    sent,
    received,
    lossPercent: sent === 0 ? 0 : (100 * (sent - received)) / sent,
    rtts,
    min: received === 0 ? null : Math.min(...answered),
    avg: received === 0 ? null : answered.reduce((sum, rtt) => sum + rtt, 0) / received,
    max: received === 0 ? null : Math.max(...answered),
  };
}
