// Wrong answer: lets errors through without saying which step failed
// Lets every error through as it is. "Invalid login: 535 …" or
// "connect ECONNREFUSED 127.0.0.1:1110" — but which server, which step? The learner reading
// it has to guess whether sending or fetching failed.
export * from "../../../lessons/10-round-trip/solution.ts";
import { roundTrip as solutionRoundTrip, type RoundTripOptions, type RoundTripReport } from "../../../lessons/10-round-trip/solution.ts";

export async function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  try {
    return await solutionRoundTrip(options);
  } catch (err) {
    // The solution wraps each step's error in one that names the step ({ cause: the original }):
    // throw the bare original instead, as if there were no wrapping.
    throw (err as Error).cause ?? err;
  }
}
