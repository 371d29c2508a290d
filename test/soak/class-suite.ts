// The class simulation (class.ts) as vitest tests, at a size chosen by the caller: `npm run soak`
// runs a few minutes of it (class.test.ts, CLASS_MINUTES=180 for an afternoon), the kit's
// self-check twenty seconds (test/servers/class-short.test.ts). One playground process, a fresh
// data dir whose config.json gives every student two mailboxes; the class runs once, and each
// test below checks one thing that must have held. The figures are printed at the end.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { classConfig, runClass, summary, THREADS, type ClassPlan, type ClassReport } from "./class.ts";
import { freePortRange, Playground, PROTOCOLS, SEED, seededRandom } from "./soak-kit.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ClassSize extends Omit<ClassPlan, "seed"> {
  /** The slowest any single operation may be (generous: a shared 2-core machine). */
  slowestOpMs: number;
  /**
   * Memory, in the exercise hour (every server in use, all along): a leak is memory the code still
   * references, climbing with the work done. So, per thread, the line fitted to its heap used
   * after a full GC may rise at most `heapRiseMb` from the hour's start to its end, and the one
   * fitted to RSS beyond the V8 heaps (code, Buffers, malloc) at most `outsideHeapsRiseMb`; RSS
   * itself stays under `rssMb`. (RSS alone is no leak detector: each V8 heap grows to a working
   * size first — README, Reliability.) Unset: not checked (a class too short for enough reads).
   */
  memoryLimits?: { heapRiseMb: number; outsideHeapsRiseMb: number; rssMb: number };
  /** After the class, the playground may hold this many more open files than before it. */
  openFilesSlack: number;
  /** Build the lesson site first if it is missing (what the teacher projects); otherwise "/" is the demo page. */
  buildSite?: boolean;
}

export function defineClass(size: ClassSize): void {
  const plan: ClassPlan = { ...size, seed: SEED };
  const dataDir = mkdtempSync(join(tmpdir(), "class-pg-"));
  let playground: Playground;
  let report: ClassReport;

  beforeAll(async () => {
    if (size.buildSite !== false && !existsSync(join(ROOT, "site/dist/index.html"))) {
      spawnSync(process.execPath, ["--import", "tsx", "site/build.ts"], { cwd: ROOT, stdio: "ignore" });
    }
    writeFileSync(join(dataDir, "config.json"), JSON.stringify(classConfig(plan), null, 2));
    // The passive range from the process id, not SEED: soak-short picks its range with SEED, and in
    // npm run test:kit it runs beside this file — the same range twice would leave one without ports.
    playground = await Playground.start(dataDir, await freePortRange(100, seededRandom(process.pid)));
  }, 120_000);

  afterAll(async () => {
    await playground?.stop();
    if (report) console.log(summary(report));
    // Every sample (RSS each round, each thread's memory after GC), for a closer look at a run.
    if (report && process.env.CLASS_SAMPLES_FILE) writeFileSync(process.env.CLASS_SAMPLES_FILE, JSON.stringify(report, null, 1));
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const length = size.minutes < 1 ? `${Math.round(size.minutes * 60)} s` : `${size.minutes} minutes`;
  test(`${size.students} students per protocol, ${length}: every operation answered`, async () => {
    report = await runClass(playground, plan);
    expect(report.problems).toEqual([]);
    for (const figures of report.figures) expect(figures.operations, `${figures.protocol} operations`).toBeGreaterThan(size.students);
  }, (size.minutes * 60 + 240) * 1_000);

  test(`the slowest operation of each protocol took under ${size.slowestOpMs} ms`, () => {
    for (const { protocol, max, slowest } of report.figures) expect(max, `${protocol}: ${slowest}`).toBeLessThan(size.slowestOpMs);
  });

  test("nothing acknowledged was lost or duplicated", () => {
    expect(report.mail.messages).toBeGreaterThan(size.students);
    expect(report.uploads.acknowledged).toBeGreaterThan(0);
    expect(report.posts).toBeGreaterThan(0);
    expect(report.inventory.lost).toEqual([]);
    expect(report.inventory.duplicated).toEqual([]);
    expect(report.inventory.unacknowledged).toEqual([]);
    expect(report.inventory.uploadsChecked).toBe(report.uploads.files);
    expect(report.inventory.postsRead).toBe(report.posts);
  });

  test("no leak that grows: the heaps and RSS level off, open files and passive listeners come back down", () => {
    const limits = size.memoryLimits;
    if (limits) {
      for (const thread of THREADS) expect(report.heaps[thread].usedRise, `${thread} thread: rise of its heap used after a full GC, MB`).toBeLessThan(limits.heapRiseMb);
      expect(report.outside.rise, "rise of RSS beyond the V8 heaps, MB").toBeLessThan(limits.outsideHeapsRiseMb);
      expect(report.rss.peak, "RSS at its peak, MB").toBeLessThan(limits.rssMb);
    }
    expect(report.openFiles.end - report.openFiles.relay).toBeLessThanOrEqual(report.openFiles.start + size.openFilesSlack);
    expect(report.passiveListeners.end).toBe(0);
  });

  test("the playground answers a fresh session of every protocol afterwards", () => {
    for (const protocol of [...PROTOCOLS, "submission" as const]) expect(report.afterwards[protocol], protocol).toBeGreaterThanOrEqual(0);
  });
}
