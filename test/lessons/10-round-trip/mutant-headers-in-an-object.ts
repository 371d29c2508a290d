// Wrong answer: keeps one value per header name, so two Received: headers count as one hop
// Keeps one value per header name (an object, like a dictionary), so the
// last value wins. Received: appears once per server the message passed through — two
// hops collapse into one.
export * from "../../../lessons/10-round-trip/solution.ts";
import { roundTrip as solutionRoundTrip, type MessageView, type RoundTripOptions, type RoundTripReport } from "../../../lessons/10-round-trip/solution.ts";

// The parser is not exported: take the solution's views and keep the last value of each name.
function lastValueWins(view: MessageView): MessageView {
  const headers: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(view.headers)) headers[name] = values.slice(-1);
  return { ...view, headers };
}

export async function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  const report = await solutionRoundTrip(options);
  const sent = lastValueWins(report.sent);
  const received = lastValueWins(report.received);
  return {
    ...report, // the added and missing header names stay the same
    sent,
    received,
    differingHeaders: Object.keys(sent.headers)
      .filter((name) => name in received.headers && JSON.stringify(sent.headers[name]) !== JSON.stringify(received.headers[name]))
      .sort(),
    hops: received.headers["received"]?.length ?? 0,
  };
}
