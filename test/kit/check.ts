// npm test               — checks every exercise of yours, then shows your progress
// npm test -- 03         — checks lesson 03 only (a word of its name works too: npm test -- udp)
// npm run watch          — checks the exercise you are working on each time you save it, and
//                          moves on to the next one when it is done
// npm run watch -- 03    — the same, starting with lesson 03
//
// An exercise that is still its stub (see isUntouched in lessons.ts) is "not started" without
// running anything: on a fresh copy of the kit `npm test` answers at once. The others are
// checked by vitest (test/vitest.config.ts, --mode learner), through the friendly and the
// hostile network. Options starting with "-" go to vitest as they are (--reporter=verbose …).
// The kit's own tests are not run here: that is `npm run test:kit`.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { allLessons, isUntouched, lessonList, lessonsMatching, nextLesson, readProgress, ROOT } from "./lessons.ts";
import { MOVED_ON, printProgress } from "./progress-reporter.ts";

const args = process.argv.slice(2);
const watching = args.includes("--watch");
const vitestOptions = args.filter((arg) => arg.startsWith("-") && arg !== "--watch");
const words = args.filter((arg) => !arg.startsWith("-"));
const command = watching ? "npm run watch" : "npm test";

const lessons = allLessons();
const chosen: string[] = [];
for (const word of words) {
  const matches = lessonsMatching(word, lessons);
  if (matches.length === 0) {
    console.error(`${command}: no lesson matches "${word}". The lessons are:\n\n${lessonList(lessons)}\n`);
    console.error(`Name one by its number (${command} -- 03) or a word of its name (${command} -- udp).`);
    process.exit(1);
  }
  chosen.push(...matches.filter((lesson) => !chosen.includes(lesson)));
}

// Ctrl-C reaches vitest too (same terminal): wait for it to finish rather than leave it behind.
process.on("SIGINT", () => {});

/** Runs vitest on these lessons' specs, its output and exit code passed through. */
function vitest(mode: "run" | "watch", toCheck: string[], env: Record<string, string> = {}): Promise<number> {
  const vitestBin = join(ROOT, "node_modules/vitest/vitest.mjs");
  const specs = toCheck.map((lesson) => `test/lessons/${lesson}/`);
  const child = spawn(
    process.execPath,
    [vitestBin, mode, "--config", "test/vitest.config.ts", "--mode", "learner", ...vitestOptions, ...specs],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } },
  );
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 130 : 1))));
}

if (!watching) {
  const selected = chosen.length > 0 ? chosen : lessons;
  const untouched = selected.filter((lesson) => isUntouched(lesson));
  const toCheck = selected.filter((lesson) => !untouched.includes(lesson));
  if (toCheck.length === 0) {
    printProgress(new Map(untouched.map((lesson) => [lesson, { status: "not started" }])));
    process.exit(0);
  }
  process.exitCode = await vitest("run", toCheck, { KIT_NOT_STARTED: untouched.join(",") });
} else {
  // One lesson at a time: the one you named, else the one you are working on.
  const progress = readProgress();
  let lesson = chosen[0] ?? nextLesson((name) => progress[name]?.status ?? "not checked yet", lessons) ?? lessons.at(-1)!;
  for (;;) {
    console.log(`Watching lessons/${lesson}/exercise.ts — save it to check it again (q or Ctrl-C to stop).`);
    const code = await vitest("watch", [lesson]);
    if (code !== MOVED_ON) {
      process.exitCode = code;
      break;
    }
    const now = readProgress();
    const next = nextLesson((name) => now[name]?.status ?? "not checked yet", lessons);
    if (!next) break;
    lesson = next;
  }
}
