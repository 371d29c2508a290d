// Prints the learner's progress after every `npm test`:
//
//   Exercises: 2 of 5 done — next: lessons/03-tcp-server/exercise.ts (hint: npm run hint 03)
//
// It reads the tests that checker.ts tagged with `meta.exercise`, the lesson folders on disk,
// and .progress.json, where it remembers each lesson's last result between runs.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

type Status = "done" | "failing" | "not started" | "in progress" | "does not load" | "not checked yet";

const PROGRESS_FILE = process.env.PROGRESS_FILE ?? ".progress.json";

function readProgress(): Record<string, Status> {
  try {
    return JSON.parse(readFileSync(PROGRESS_FILE, "utf8")) as Record<string, Status>;
  } catch {
    return {}; // no earlier run (or an unreadable file): start afresh
  }
}

function writeProgress(progress: Record<string, Status>): void {
  try {
    writeFileSync(PROGRESS_FILE, JSON.stringify(progress, null, 2) + "\n");
  } catch {
    // a read-only checkout still gets its summary printed
  }
}

export default class ProgressReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    printProgress(testModules);
    if (process.env.CI) printTotals(testModules);
  }
}

function printProgress(testModules: ReadonlyArray<TestModule>): void {
  const lessons = readdirSync("lessons")
    .filter((name) => /^\d\d-/.test(name) && existsSync(join("lessons", name, "exercise.ts")))
    .sort();
  if (lessons.length === 0) return;

  const counts = new Map<string, { passed: number; failed: number; notStarted: number }>();
  const broken = new Set<string>();
  for (const module of testModules) {
    const lessonOfFile = /test\/lessons\/(\d\d-[^/]+)\//.exec(module.moduleId)?.[1];
    if (lessonOfFile && module.errors().length > 0) broken.add(lessonOfFile);
    for (const testCase of module.children.allTests()) {
      const lesson = testCase.meta().exercise;
      if (!lesson) continue;
      const count = counts.get(lesson) ?? { passed: 0, failed: 0, notStarted: 0 };
      const result = testCase.result();
      if (result.state === "passed") count.passed++;
      else if (result.state === "failed") count.failed++;
      else if (result.state === "skipped" && result.note?.startsWith("not started")) count.notStarted++;
      counts.set(lesson, count);
    }
  }

  // A run without any exercise (e.g. npm test -- servers) gets no progress summary.
  if (counts.size === 0 && broken.size === 0) return;

  const checkedNow = (lesson: string): Status | undefined => {
    const count = counts.get(lesson);
    if (broken.has(lesson)) return "does not load";
    if (!count) return undefined;
    if (count.failed === 0 && count.notStarted === 0) return "done";
    if (count.passed === 0 && count.failed === 0) return "not started";
    return count.failed > 0 ? "failing" : "in progress";
  };
  // `npm test -- 03` checks one lesson; the others keep the result of their last check,
  // remembered in .progress.json (git-ignored), so "next" stays right.
  const earlier = readProgress();
  const status = new Map<string, Status>();
  for (const lesson of lessons) status.set(lesson, checkedNow(lesson) ?? earlier[lesson] ?? "not checked yet");
  // Only real results are remembered: "not checked yet" is the absence of one.
  writeProgress(Object.fromEntries([...status].filter(([, result]) => result !== "not checked yet")));

  const icon: Record<Status, string> = {
    done: "✓",
    failing: "✗",
    "in progress": "…",
    "not started": "○",
    "does not load": "✗",
    "not checked yet": "·",
  };

  const done = lessons.filter((lesson) => status.get(lesson) === "done");
  // Next: the exercise you are in the middle of (started, not done yet), else the first one left.
  const started = (lesson: string) => ["failing", "in progress", "does not load"].includes(status.get(lesson)!);
  const next = lessons.find(started) ?? lessons.find((lesson) => status.get(lesson) !== "done");
  const lines = [""];
  for (const lesson of lessons) {
    const count = counts.get(lesson);
    const now = checkedNow(lesson);
    let detail = "";
    if (count && now !== "done" && now !== "not started") {
      detail = ` (${count.passed} of ${count.passed + count.failed + count.notStarted} checks pass)`;
    } else if (!now && earlier[lesson] && earlier[lesson] !== "not checked yet") {
      detail = " (not checked in this run: the result of its last check)";
    }
    lines.push(`  ${icon[status.get(lesson)!]} lessons/${lesson}/exercise.ts — ${status.get(lesson)}${detail}`);
  }
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
