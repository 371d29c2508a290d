// Wrong answer: waits for the message forever
// Polls the mailbox until the message is there — with no deadline. Sent to the
// wrong address, or with the relay down, it never returns: the program just hangs.
export * from "../../../lessons/10-round-trip/solution.ts";
import { roundTrip as solutionRoundTrip, type RoundTripOptions, type RoundTripReport } from "../../../lessons/10-round-trip/solution.ts";

export function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  // The caller's timeoutMs is ignored: the longest timer Node has (about 24.8 days) — forever.
  return solutionRoundTrip({ ...options, timeoutMs: 2 ** 31 - 1 });
}
