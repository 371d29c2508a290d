// A copy of the kit's machinery in a temporary folder, with one small lesson
// (test/kit/fixture-lesson, installed as lessons/98-fixture) whose exercise is in a given
// state: the kit's tests of its own commands run `npm test`, `npm run list` … there and read
// what they print, whatever state your own exercises are in.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runProgram } from "./processes.ts";

export const FIXTURE = join(ROOT, "test/kit/fixture-lesson");
export const LESSON = "98-fixture";
export const fixture = (file: string) => readFileSync(join(FIXTURE, file), "utf8");

/** The fixture's exercise as it ships (todo() stubs) and its reference solution. */
export const stub = fixture("exercise.ts");
export const solution = fixture("solution.ts");

/** Makes the copy, with `exerciseSource` as lessons/98-fixture/exercise.ts; returns its folder. */
export function kitCopy(exerciseSource: string, prepare: (copy: string) => void = () => {}): string {
  const copy = mkdtempSync(join(tmpdir(), "kit-"));
  for (const part of ["servers", "test/kit", "test/vitest.config.ts", "lessons/not-implemented.ts", "package.json", "tsconfig.json"]) {
    cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  const lesson = join(copy, "lessons", LESSON);
  const spec = join(copy, "test/lessons", LESSON);
  mkdirSync(lesson, { recursive: true });
  mkdirSync(spec, { recursive: true });
  writeFileSync(join(lesson, "exercise.ts"), exerciseSource);
  cpSync(join(FIXTURE, "solution.ts"), join(lesson, "solution.ts"));
  cpSync(join(FIXTURE, "hints.md"), join(lesson, "hints.md"));
  cpSync(join(FIXTURE, "spec.ts"), join(spec, "spec.test.ts"));
  cpSync(join(FIXTURE, "mutant-off-by-one.ts"), join(spec, "mutant-off-by-one.ts"));
  prepare(copy);
  return copy;
}

/** Runs one of the kit's commands in the copy, the way `npm run …` does: `node --import tsx test/kit/<script>`. */
export async function runIn(copy: string, script: string, args: string[] = [], options: { stdin?: string; env?: Record<string, string> } = {}) {
  const run = await runProgram(process.execPath, ["--import", "tsx", `test/kit/${script}`, ...args], {
    cwd: copy,
    stdin: options.stdin,
    env: { CI: "", FORCE_COLOR: "0", NO_COLOR: "1", PROGRESS_FILE: "", HINTS_FILE: "", KIT_RUN: "", SEED: "", ...options.env },
    timeoutMs: 110_000,
  });
  return { code: run.code, output: run.stdout + run.stderr };
}

/** `npm test -- 98` (or other arguments) in a fresh copy with this exercise. */
export function npmTestWith(exerciseSource: string, prepare?: (copy: string) => void, args = ["98"]) {
  return runIn(kitCopy(exerciseSource, prepare), "check.ts", args);
}
