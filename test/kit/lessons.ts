// What the learner's commands (npm test, npm run watch, list, reset, hint) know about the
// lessons: which exist, which one a word on the command line means, whether an exercise is
// still the stub it shipped as, and the results of the last check (.progress.json).

import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The kit's top folder. */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Every lesson with an exercise, in order: ["01-addresses-and-ports", …]. */
export function allLessons(): string[] {
  return readdirSync(join(ROOT, "lessons"))
    .filter((name) => /^\d\d-/.test(name) && existsSync(join(ROOT, "lessons", name, "exercise.ts")))
    .sort();
}

/** The lessons a word names: its number ("3", "03") or a word of its name ("udp"). */
export function lessonsMatching(word: string, lessons = allLessons()): string[] {
  if (/^\d+$/.test(word)) return lessons.filter((lesson) => lesson.startsWith(word.padStart(2, "0") + "-"));
  return lessons.filter((lesson) => lesson.includes(word.toLowerCase()));
}

/** "Lessons: 01-addresses-and-ports, 02-tcp-client, …" — for a word that names none. */
export function lessonList(lessons = allLessons()): string {
  return lessons.map((lesson) => `  ${lesson.slice(0, 2)}  ${lesson}`).join("\n");
}

export const exerciseFile = (lesson: string) => join(ROOT, "lessons", lesson, "exercise.ts");
export const specFile = (lesson: string) => join(ROOT, "test/lessons", lesson, "spec.test.ts");

// ---- Not started: the exercise is still its stub -----------------------------------------
//
// A lesson whose exercise.ts still holds the code it shipped with has nothing to check yet:
// every check would only meet a todo(). npm test skips such a lesson without starting a
// single server. "The code it shipped with" is a fingerprint kept in test/kit/stubs.json:
// a hash of the stub's code with its comments and white space left out — so notes you write
// in comments do not count as starting, and any change to the code does.

const STUBS_FILE = join(ROOT, "test/kit/stubs.json");

/** The fingerprint of a source text: its code without comments and white space, hashed. */
export function fingerprint(source: string): string {
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "").replace(/\s+/g, "");
  return createHash("sha256").update(code).digest("hex").slice(0, 16);
}

/** The fingerprint of each lesson's stub, as the kit ships it. */
export function stubFingerprints(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(STUBS_FILE, "utf8")) as Record<string, string>;
  } catch {
    return {}; // no fingerprints: every exercise counts as started, and its checks run
  }
}

/** True while lessons/<lesson>/exercise.ts is still the stub it shipped as. */
export function isUntouched(lesson: string, stubs = stubFingerprints()): boolean {
  const expected = stubs[lesson];
  if (!expected) return false;
  try {
    return fingerprint(readFileSync(exerciseFile(lesson), "utf8")) === expected;
  } catch {
    return false; // unreadable: let the checks say what is wrong
  }
}

// ---- The last results (.progress.json, git-ignored) ---------------------------------------

export type Status = "done" | "failing" | "not started" | "in progress" | "does not load" | "not checked yet";

export interface LessonResult {
  status: Status;
  /** Checks that passed, out of `checks` (absent for a lesson skipped as not started). */
  passed?: number;
  checks?: number;
  /** Of those that did not pass: how many failed, met a todo(), were skipped after a timeout. */
  failed?: number;
  notStarted?: number;
  afterTimeout?: number;
}

/** The note of a network check skipped because an earlier one timed out (checker.ts, the reporter). */
export const SKIPPED_AFTER_TIMEOUT =
  "skipped: an earlier check timed out — fix that one first; the transcript above shows where it stopped";

/** Where the results are kept; PROGRESS_FILE lets the kit's own tests keep theirs elsewhere. */
export const progressFile = () => process.env.PROGRESS_FILE || join(ROOT, ".progress.json");

export function readProgress(): Record<string, LessonResult> {
  try {
    const saved = JSON.parse(readFileSync(progressFile(), "utf8")) as Record<string, LessonResult | Status>;
    // (earlier versions of the kit kept only the status: "03-tcp-server": "done")
    return Object.fromEntries(
      Object.entries(saved).map(([lesson, result]) => [lesson, typeof result === "string" ? { status: result } : result]),
    );
  } catch {
    return {}; // no earlier run (or an unreadable file): start afresh
  }
}

export function writeProgress(progress: Record<string, LessonResult>): void {
  // Only real results are kept: "not checked yet" is the absence of one.
  const kept = Object.entries(progress).filter(([, result]) => result.status !== "not checked yet");
  try {
    writeFileSync(progressFile(), JSON.stringify(Object.fromEntries(kept), null, 2) + "\n");
  } catch {
    // a read-only checkout still gets its summary printed
  }
}

/**
 * The lesson to work on: the one you are in the middle of, else the one you just asked to check
 * (`npm test -- 15` on an exercise not started yet), else the first one not done.
 */
export function nextLesson(status: (lesson: string) => Status, lessons = allLessons(), askedFor: string[] = []): string | undefined {
  const started = (lesson: string) => ["failing", "in progress", "does not load"].includes(status(lesson));
  const notDone = (lesson: string) => status(lesson) !== "done";
  return lessons.find(started) ?? lessons.find((lesson) => askedFor.includes(lesson) && notDone(lesson)) ?? lessons.find(notDone);
}

/** How many hints of each lesson you have seen (npm run hint keeps it in .hints.json). */
export function hintsSeen(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(process.env.HINTS_FILE || join(ROOT, ".hints.json"), "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

/** How many hints a lesson has: the "## " sections of its hints.md. */
export function hintCount(lesson: string): number {
  try {
    return (readFileSync(join(ROOT, "lessons", lesson, "hints.md"), "utf8").match(/^## /gm) ?? []).length;
  } catch {
    return 0;
  }
}
