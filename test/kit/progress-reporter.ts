// What `npm test` prints: one block per lesson it checked (each of your checks, and for each
// failing one what went wrong), then your progress:
//
//   ✓ lessons/01-addresses-and-ports/exercise.ts — done: all 15 checks pass
//   … lessons/03-tcp-server/exercise.ts — in progress: 3 of 16 checks pass (13 not started)
//   ○ lessons/04-framing/exercise.ts — not started
//
//   Exercises: 1 of 14 done — next: lessons/03-tcp-server/exercise.ts (hint: npm run hint 03)
//
// It reads the tests that checker.ts tagged with `meta.exercise`; the lessons that
// test/kit/check.ts found still untouched (KIT_NOT_STARTED: checked without running a
// spec); and .progress.json, where each lesson's last result is kept between runs. Under
// `npm run watch` it also moves on: once the lesson being watched is done, it says so and
// ends this vitest, and check.ts starts watching the next one.
//
// In a run of the kit's own tests (vitest by hand, npm run test:kit) it only adds the progress
// summary when exercises were checked, and under CI a plain line of totals.

import type { SerializedError, UserConsoleLog } from "vitest";
import type { Reporter, TestCase, TestModule, Vitest } from "vitest/node";
import {
  allLessons,
  nextLesson,
  readProgress,
  SKIPPED_AFTER_TIMEOUT,
  writeProgress,
  type LessonResult,
  type Status,
} from "./lessons.ts";

interface Counts {
  passed: number;
  failed: number;
  notStarted: number;
  afterTimeout: number;
}

/** Exit code of a watching vitest that stopped to move on to the next lesson (check.ts reads it). */
export const MOVED_ON = 75;

export default class ProgressReporter implements Reporter {
  private vitest: Vitest | undefined;
  /** Prints a block per lesson (npm test, npm run watch): the learner's report, in place of vitest's. */
  private readonly blocks: boolean;

  constructor(options: { blocks?: boolean } = {}) {
    this.blocks = options.blocks ?? false;
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestModuleEnd(module: TestModule): void {
    if (!this.blocks) return;
    const lesson = lessonOf(module);
    if (lesson) process.stdout.write(lessonBlock(lesson, module));
  }

  /** What your code prints (console.log …) while it is checked: shown as it comes. */
  onUserConsoleLog(log: UserConsoleLog): void {
    if (this.blocks) (log.type === "stderr" ? process.stderr : process.stdout).write(log.content);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    // An error thrown after its check ended (a timer of yours still running, say): vitest's own
    // report would show it, and this one replaces that report in npm test.
    if (this.blocks) {
      for (const error of unhandledErrors) {
        process.stdout.write(`\n✗ an error outside any check (the run fails because of it):\n${indent(error.stack ?? error.message, "    ")}\n`);
      }
    }
    const checked = resultsOf(testModules);
    for (const lesson of (process.env.KIT_NOT_STARTED ?? "").split(",").filter(Boolean)) {
      checked.set(lesson, { status: "not started" });
    }
    // A run without any exercise (the kit's own tests) gets no progress summary.
    if (checked.size > 0) printProgress(checked);
    if (this.vitest?.config.watch) this.moveOnWhenDone(checked);
    if (process.env.CI && !this.blocks) printTotals(testModules);
  }

  /** npm run watch: the lesson being watched is done — say so, and let check.ts watch the next. */
  private moveOnWhenDone(checked: Map<string, LessonResult>): void {
    const watched = [...checked.keys()];
    if (watched.length !== 1 || checked.get(watched[0]!)!.status !== "done") return;
    const progress = readProgress();
    const next = nextLesson((lesson) => progress[lesson]?.status ?? "not checked yet");
    if (!next) {
      process.stdout.write("Every exercise passes — nothing left to watch. Well done!\n");
    } else {
      process.stdout.write(`lessons/${watched[0]}/exercise.ts is done — moving on to lessons/${next}/exercise.ts\n\n`);
    }
    const vitest = this.vitest!;
    setImmediate(() => void vitest.close().then(() => process.exit(next ? MOVED_ON : 0)));
  }
}

/** The lesson a spec file checks: test/lessons/<lesson>/spec.test.ts. */
function lessonOf(module: TestModule): string | undefined {
  return /test\/lessons\/(\d\d-[^/]+)\//.exec(module.moduleId)?.[1];
}

/** The learner's checks in a spec file (the ones checker.ts tagged with the lesson). */
function exerciseChecks(module: TestModule): TestCase[] {
  return [...module.children.allTests()].filter((testCase) => testCase.meta().exercise);
}

function countsOf(checks: TestCase[]): Counts {
  const counts: Counts = { passed: 0, failed: 0, notStarted: 0, afterTimeout: 0 };
  for (const check of checks) {
    const result = check.result();
    if (result.state === "passed") counts.passed++;
    else if (result.state === "failed") counts.failed++;
    else if (result.state === "skipped" && result.note?.startsWith("not started")) counts.notStarted++;
    else if (result.state === "skipped" && result.note === SKIPPED_AFTER_TIMEOUT) counts.afterTimeout++;
  }
  return counts;
}

function resultOf(module: TestModule): LessonResult | undefined {
  if (module.errors().length > 0) return { status: "does not load" };
  const checks = exerciseChecks(module);
  if (checks.length === 0) return undefined; // the kit checking itself: no exercise here
  const { passed, failed, notStarted, afterTimeout } = countsOf(checks);
  const total = checks.length;
  const status: Status = failed > 0 ? "failing" : passed === total ? "done" : passed === 0 ? "not started" : "in progress";
  const result: LessonResult = { status, passed, checks: total };
  if (failed) result.failed = failed;
  if (notStarted) result.notStarted = notStarted;
  if (afterTimeout) result.afterTimeout = afterTimeout;
  return result;
}

function resultsOf(testModules: ReadonlyArray<TestModule>): Map<string, LessonResult> {
  const results = new Map<string, LessonResult>();
  for (const module of testModules) {
    const lesson = lessonOf(module);
    const result = lesson && resultOf(module);
    if (lesson && result) results.set(lesson, result);
  }
  return results;
}

/** ": 3 of 16 checks pass (1 fails, 12 not started)" */
function checksLine(result: LessonResult): string {
  if (result.checks === undefined || result.status === "not started") return "";
  if (result.status === "done") return `: all ${result.checks} checks pass`;
  const notes = [];
  if (result.failed) notes.push(`${result.failed} ${result.failed === 1 ? "fails" : "fail"}`);
  if (result.notStarted) notes.push(`${result.notStarted} not started`);
  if (result.afterTimeout) notes.push(`${result.afterTimeout} skipped after a timeout`);
  return `: ${result.passed} of ${result.checks} checks pass${notes.length ? ` (${notes.join(", ")})` : ""}`;
}

const ICON: Record<Status, string> = {
  done: "✓",
  failing: "✗",
  "in progress": "…",
  "not started": "○",
  "does not load": "✗",
  "not checked yet": "·",
};

const indent = (text: string, by: string) => text.replace(/^(?=.)/gm, by);

/** Failures shown in full (message, transcript, where in your code); later ones in one line each. */
const SHOWN_IN_FULL = 3;

/** One lesson's block: every check of yours, and what went wrong in each one that failed. */
function lessonBlock(lesson: string, module: TestModule): string {
  const result = resultOf(module);
  // Done or not started: the summary's line says it all.
  if (!result || result.status === "not started" || result.status === "done") return "";
  const lines = ["", `${ICON[result.status]} lessons/${lesson}/exercise.ts — ${result.status}${checksLine(result)}`];
  if (result.status === "does not load") {
    for (const error of module.errors()) lines.push("", indent(error.message, "    "));
    return lines.join("\n") + "\n";
  }
  let failures = 0;
  for (const check of exerciseChecks(module)) {
    const outcome = check.result();
    if (outcome.state === "passed") lines.push(`  ✓ ${check.name}`);
    if (outcome.state !== "failed") continue;
    lines.push(`  ✗ ${check.name}`);
    for (const error of outcome.errors ?? []) {
      // The checker's message starts "lesson NN — <check>": the line above already says it.
      const message = error.message.replace(/^lesson \S+ — .*\n/, "");
      if (++failures > SHOWN_IN_FULL) {
        lines.push(`      ${message.split("\n", 1)[0]}`);
        continue;
      }
      lines.push(indent(message, "      "));
      // Where in your code it happened (not in the checks, not in the kit).
      const yours = (error.stack ?? "").split("\n").filter((line) => /[/\\]lessons[/\\]\d\d-/.test(line) && !/test[/\\]lessons/.test(line));
      for (const line of yours.slice(0, 2)) lines.push(`      ${line.trim()}`);
      lines.push("");
    }
  }
  if (failures > SHOWN_IN_FULL) lines.push(`  (the first ${SHOWN_IN_FULL} failures are shown in full above)`);
  if (result.notStarted) lines.push(`  ○ ${result.notStarted} not started: they call a function that still says todo()`);
  if (result.afterTimeout) lines.push(`  - ${result.afterTimeout} ${SKIPPED_AFTER_TIMEOUT}`);
  return lines.join("\n") + "\n";
}

/**
 * The summary: each lesson once, in order — those checked in this run, then those that keep
 * the result of their last check — and the headline with the next exercise to work on.
 */
export function printProgress(checked: Map<string, LessonResult>): void {
  const lessons = allLessons();
  if (lessons.length === 0) return;
  const earlier = readProgress();
  const results = new Map<string, LessonResult>();
  for (const lesson of lessons) results.set(lesson, checked.get(lesson) ?? earlier[lesson] ?? { status: "not checked yet" });
  writeProgress(Object.fromEntries(results));

  const line = (lesson: string) => {
    const result = results.get(lesson)!;
    return `  ${ICON[result.status]} lessons/${lesson}/exercise.ts — ${result.status}${checksLine(result)}`;
  };
  const lines = ["", ...lessons.filter((lesson) => checked.has(lesson)).map(line)];
  const others = lessons.filter((lesson) => !checked.has(lesson));
  if (others.length > 0) lines.push("  Not checked in this run (the result of their last check):", ...others.map(line));

  const done = lessons.filter((lesson) => results.get(lesson)!.status === "done");
  const next = nextLesson((lesson) => results.get(lesson)!.status, lessons, [...checked.keys()]);
  const headline = next
    ? `Exercises: ${done.length} of ${lessons.length} done — next: lessons/${next}/exercise.ts (hint: npm run hint ${next.slice(0, 2)})`
    : `Exercises: ${done.length} of ${lessons.length} done — every exercise passes. Well done!`;
  lines.push("", headline, "");
  process.stdout.write(lines.join("\n") + "\n");
}

/** CI reads a plain "N passed, N failed" line to know that tests really ran. */
function printTotals(testModules: ReadonlyArray<TestModule>): void {
  const totals = { passed: 0, failed: 0, skipped: 0, pending: 0 };
  for (const module of testModules) for (const testCase of module.children.allTests()) totals[testCase.result().state]++;
  process.stdout.write(`\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
}
