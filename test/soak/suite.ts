// The attack suite as vitest tests, at a size chosen by the caller: `npm run soak` (soak.test.ts)
// runs it big, the kit's self-check (test/servers/soak-short.test.ts) small. One playground
// process is attacked from start to end (restarted only by the kill -9 rounds); its memory is
// sampled all along. Figures are printed at the end and are what the README's Reliability
// section reports.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import * as attack from "./attacks.ts";
import { freePortRange, fuzz, Playground, PROTOCOLS, rssSampler, SEED, seededRandom, type FuzzResult } from "./soak-kit.ts";

export interface SoakSize {
  /** Mutated sessions per protocol. */
  fuzzInputs: number;
  /** A legitimate session after every this many. */
  fuzzBatch: number;
  killRounds: number;
  /** How long each server is flooded while another is used, and by how many connections. */
  attackMs: number;
  attackConnections: number;
  /** Rounds of the repeated break attacks (PASV churn, upload resets, RETR/DELE races, pipelining). */
  rounds: number;
  hugePosts: number;
  /** The slowest a legitimate session may be while another server is attacked (generous: shared machine). */
  latencyLimitMs: number;
  /** The playground's resident memory may never pass this. */
  rssLimitMb: number;
}

export function defineSoak(size: SoakSize): void {
  const random = seededRandom(SEED);
  const dataDir = mkdtempSync(join(tmpdir(), "soak-pg-"));
  let playground: Playground;
  let sampler: ReturnType<typeof rssSampler>;
  let startRssMb = 0;
  const report: string[] = [];
  const fuzzResults: FuzzResult[] = [];
  let lost = 0;

  const record = (outcome: attack.Outcome) => {
    report.push(`${outcome.name}: ${JSON.stringify(outcome.figures)}${outcome.problems.length ? ` PROBLEMS: ${outcome.problems.join("; ")}` : ""}`);
    expect(outcome.problems).toEqual([]);
  };

  beforeAll(async () => {
    playground = await Playground.start(dataDir, await freePortRange(100, random));
    startRssMb = playground.rssMb();
    sampler = rssSampler(() => playground);
  }, 120_000);

  afterAll(async () => {
    sampler?.stop();
    await playground?.stop();
    const totals = fuzzResults.map((result) => `${result.protocol} ${result.inputs}`).join(", ");
    console.log(
      [
        `soak (SEED=${SEED}):`,
        ...report.map((line) => `  ${line}`),
        `  fuzz inputs per protocol: ${totals}`,
        `  crashes: ${fuzzResults.filter((result) => result.failedChecks.some((check) => check.includes("exited"))).length}, lost items: ${lost}`,
        `  RSS: ${startRssMb.toFixed(0)} MB after start, peak ${sampler?.peakMb.toFixed(0)} MB (${sampler?.samples} samples)`,
      ].join("\n"),
    );
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  test("every server is attacked while another answers a legitimate client promptly", async () => {
    record(await attack.everyServerUnderAttack(playground, random, size.attackMs, size.attackConnections, size.latencyLimitMs));
  }, 300_000);

  test("1. LIST ACTIVE with hundreds of stars and a '!' is answered at once", async () => {
    const outcome = await attack.wildmatStars(playground, 490);
    record(outcome);
    expect(outcome.figures.answeredMs).toBeLessThan(size.latencyLimitMs);
  }, 60_000);

  test("2. PASV + RETR of a missing file, alternating with PASV + LIST, leaks no passive listener", async () => {
    record(await attack.pasvChurn(playground, size.rounds * 3));
  }, 180_000);

  test("3. an overwrite that is reset, or a client killed mid-upload, leaves the acknowledged file and no partial one", async () => {
    record(await attack.uploadResetAndKill(playground, Math.max(2, Math.round(size.rounds / 5))));
  }, 180_000);

  test("4. RETR racing DELE never shows a path of the server's disk", async () => {
    record(await attack.retrRacingDele(playground, size.rounds));
  }, 180_000);

  test("5. posts with 15 headers of 60 KB each do not grow the memory without bound", async () => {
    const { playground: restarted, outcome } = await attack.hugeNewsHeaders(playground, size.hugePosts, random, startRssMb);
    playground = restarted;
    record(outcome);
  }, 180_000);

  test("6. more PASV holders than passive ports get 425, and the next client works once they leave", async () => {
    record(await attack.pasvExhaustion(playground));
  }, 180_000);

  test("7. two SMTP transactions and QUIT in one write are all answered at once", async () => {
    record(await attack.smtpPipelining(playground, size.rounds));
  }, 120_000);

  for (const protocol of PROTOCOLS) {
    test(`mutation fuzzer: ${size.fuzzInputs} mutated ${protocol} sessions, a legitimate one after each batch`, async () => {
      const result = await fuzz(playground, protocol, size.fuzzInputs, random, size.fuzzBatch);
      fuzzResults.push(result);
      report.push(`fuzz ${protocol}: ${result.inputs} inputs in ${result.batches} batches, ${result.failedChecks.length} failed checks`);
      expect(result.failedChecks).toEqual([]);
    }, 300_000);
  }

  test(`kill -9 during deliveries, uploads and posts (${size.killRounds} rounds): all that was acknowledged is there, whole`, async () => {
    for (let round = 1; round <= size.killRounds; round++) {
      const { playground: restarted, outcome } = await attack.killDuringWrites(playground, random, round);
      playground = restarted;
      lost += Number(outcome.figures.lost);
      record(outcome);
    }
  }, 600_000);

  test("the playground's memory stayed bounded all along", () => {
    report.push(`RSS peak ${sampler.peakMb.toFixed(0)} MB (limit ${size.rssLimitMb} MB)`);
    expect(sampler.samples).toBeGreaterThan(0);
    expect(sampler.peakMb).toBeLessThan(size.rssLimitMb);
  });
}
