// Wrong answer: counts the headers the servers add (Received, Return-Path) as differences
// Counts every header that is not the same on both sides as a difference —
// including Received and Return-Path, which the servers add on purpose. Every round trip
// then "differs", and a real problem (a header changed on the way) drowns in the noise.
export * from "../../../lessons/10-round-trip/solution.ts";
import { roundTrip as solutionRoundTrip, type RoundTripOptions, type RoundTripReport } from "../../../lessons/10-round-trip/solution.ts";

// The comparison is not exported: redo it on the solution's report, the wrong way.
export async function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  const report = await solutionRoundTrip(options);
  const { sent, received } = report;
  const names = new Set([...Object.keys(sent.headers), ...Object.keys(received.headers)]);
  const differingHeaders = [...names]
    .filter((name) => JSON.stringify(sent.headers[name]) !== JSON.stringify(received.headers[name])) // the mistake
    .sort();
  return { ...report, differingHeaders };
}
