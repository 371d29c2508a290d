// npm run list — where you are, without running anything: each lesson's status and checks
// from your last `npm test` (kept in .progress.json), and how many of its hints you have seen.

import { statSync } from "node:fs";
import {
  allLessons,
  exerciseFile,
  hintCount,
  hintsSeen,
  isUntouched,
  nextLesson,
  progressFile,
  readProgress,
  stubFingerprints,
  type LessonResult,
} from "./lessons.ts";

const lessons = allLessons();
const progress = readProgress();
const stubs = stubFingerprints();
const seen = hintsSeen();
const checkedAt = (() => {
  try {
    return statSync(progressFile()).mtimeMs;
  } catch {
    return 0;
  }
})();

/** A lesson still its stub is not started, whatever an older result says; else its last result. */
const resultOf = (lesson: string): LessonResult =>
  isUntouched(lesson, stubs) ? { status: "not started" } : (progress[lesson] ?? { status: "not checked yet" });

const rows = lessons.map((lesson) => {
  const result = resultOf(lesson);
  const changed = result.status !== "not started" && statSync(exerciseFile(lesson)).mtimeMs > checkedAt;
  return [
    lesson,
    result.status + (changed && progress[lesson] ? " (changed since)" : ""),
    result.checks === undefined ? "" : `${result.passed} of ${result.checks}`,
    hintCount(lesson) ? `${seen[lesson] ?? 0} of ${hintCount(lesson)}` : "",
  ];
});
const header = ["Lesson", "Status", "Checks passed", "Hints seen"];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
const format = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("   ").trimEnd();
console.log(format(header));
console.log(widths.map((width) => "-".repeat(width)).join("   "));
for (const row of rows) console.log(format(row));

const done = lessons.filter((lesson) => resultOf(lesson).status === "done").length;
const next = nextLesson((lesson) => resultOf(lesson).status, lessons);
console.log(
  `\n${done} of ${lessons.length} done` +
    (next ? ` — next: lessons/${next}/exercise.ts (npm test -- ${next.slice(0, 2)} checks it, npm run hint ${next.slice(0, 2)} helps)` : "."),
);
if (rows.some((row) => row[1]!.includes("changed since"))) {
  console.log('"changed since": you edited the exercise after its last check — npm test checks it again.');
}
