// Prints the learner's progress after every `npm test`:
//
//   Exercises: 2 of 5 done — next: lessons/03-tcp-server/exercise.ts (hint: npm run hint 03)
//
// It reads the tests that checker.ts tagged with `meta.exercise` and the lesson folders on disk.

import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

type Status = "done" | "failing" | "not started" | "in progress" | "does not load" | "not checked in this run";

export default class ProgressReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lessons = readdirSync("lessons")
      .filter((name) => /^\d\d-/.test(name) && existsSync(join("lessons", name, "exercise.ts")))
      .sort();
    if (lessons.length === 0) {
      if (process.env.CI) printTotals(testModules);
      return;
    }

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
    if (counts.size === 0 && broken.size === 0) {
      if (process.env.CI) printTotals(testModules);
      return;
    }

    const statusOf = (lesson: string): Status => {
      const count = counts.get(lesson);
      if (broken.has(lesson)) return "does not load";
      if (!count) return "not checked in this run";
      if (count.failed === 0 && count.notStarted === 0) return "done";
      if (count.passed === 0 && count.failed === 0) return "not started";
      return count.failed > 0 ? "failing" : "in progress";
    };
    const icon: Record<Status, string> = {
      done: "✓",
      failing: "✗",
      "in progress": "…",
      "not started": "○",
      "does not load": "✗",
      "not checked in this run": "·",
    };

    const done = lessons.filter((lesson) => statusOf(lesson) === "done");
    const next = lessons.find((lesson) => statusOf(lesson) !== "done");
    const lines = [""];
    for (const lesson of lessons) {
      const count = counts.get(lesson);
      const status = statusOf(lesson);
      const detail = count && status !== "done" && status !== "not started"
        ? ` (${count.passed} of ${count.passed + count.failed + count.notStarted} checks pass)`
        : "";
      lines.push(`  ${icon[status]} lessons/${lesson}/exercise.ts — ${status}${detail}`);
    }
    const headline = next
      ? `Exercises: ${done.length} of ${lessons.length} done — next: lessons/${next}/exercise.ts (hint: npm run hint ${next.slice(0, 2)})`
      : `Exercises: ${done.length} of ${lessons.length} done — every exercise passes. Well done!`;
    lines.push("", headline, "");
    process.stdout.write(lines.join("\n") + "\n");
    if (process.env.CI) printTotals(testModules);
  }
}

/** CI reads a plain "N passed, N failed" line to know that tests really ran. */
function printTotals(testModules: ReadonlyArray<TestModule>): void {
  const totals = { passed: 0, failed: 0, skipped: 0, pending: 0 };
  for (const module of testModules) for (const testCase of module.children.allTests()) totals[testCase.result().state]++;
  process.stdout.write(`\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
}
