// `npm run soak`: the attack suite of issue 13 at full size (SEED=… repeats a run exactly).
import { defineSoak } from "./suite.ts";

defineSoak({
  fuzzInputs: Number(process.env.SOAK_FUZZ_INPUTS ?? 3_000),
  fuzzBatch: 250,
  killRounds: 5,
  attackMs: 6_000,
  attackConnections: 30,
  rounds: 40,
  hugePosts: 120,
  latencyLimitMs: Number(process.env.SOAK_LATENCY_MS ?? 3_000),
  rssLimitMb: 1_024,
});
