// The attack suite of issue 13, short: a few hundred hostile inputs, one kill -9 round, every
// regression attack once (`npm run soak` runs the long version; see test/soak/suite.ts).
import { defineSoak } from "../soak/suite.ts";

defineSoak({
  fuzzInputs: 100,
  fuzzBatch: 50,
  killRounds: 1,
  attackMs: 1_500,
  attackConnections: 10,
  rounds: 6,
  hugePosts: 60,
  latencyLimitMs: 5_000,
  rssLimitMb: 1_024,
});
