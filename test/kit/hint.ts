// npm run hint 03          → the next hint for lesson 03 (each run shows one more)
// npm run hint 03 -- --all → every hint you have seen so far again, plus the next
// npm run hint 03 -- --reset → start that lesson's hints from the first again
// npm run hint             → which lessons have hints
//
// Hints live in lessons/NN-slug/hints.md, one "## " section per hint, ordered from a
// nudge to a near-answer. How far you got is kept in .hints.json (git-ignored).

import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { lessonsMatching } from "./lessons.ts";

// HINTS_FILE lets the kit's own tests keep their state elsewhere.
const STATE_FILE = process.env.HINTS_FILE ?? ".hints.json";
const args = process.argv.slice(2);
// `npm run hint 03 | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});
const wanted = args.find((arg) => !arg.startsWith("--"));
const lessons = readdirSync("lessons").filter((name) => existsSync(join("lessons", name, "hints.md"))).sort();

if (!wanted) {
  console.log("Usage: npm run hint NN   (a lesson number or a word of its name)\n\nLessons with hints:");
  for (const lesson of lessons) console.log(`  ${lesson}`);
  process.exit(0);
}

const matches = lessonsMatching(wanted, lessons);
if (matches.length !== 1) {
  const why = matches.length === 0 ? "no lesson matches" : `several lessons match (${matches.join(", ")})`;
  console.error(`hint: ${why} "${wanted}" — try one of: ${lessons.join(", ")}`);
  process.exit(1);
}
const lesson = matches[0]!;

// Split hints.md at its "## " headings: each section is one hint.
const sections = readFileSync(join("lessons", lesson, "hints.md"), "utf8").split(/^(?=## )/m);
const hints = sections.filter((section) => section.startsWith("## ")).map((section) => section.trim());

const state: Record<string, number> = existsSync(STATE_FILE) ? JSON.parse(readFileSync(STATE_FILE, "utf8")) : {};
if (args.includes("--reset")) {
  delete state[lesson];
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2) + "\n");
  console.log(`Hints for ${lesson} start from the first again.`);
  process.exit(0);
}

const seen = state[lesson] ?? 0;
function show(index: number): void {
  console.log(`\nHint ${index + 1} of ${hints.length} for ${lesson}\n`);
  console.log(hints[index]);
}

if (args.includes("--all")) {
  // Every hint unlocked so far (the first one if none yet); unlocks nothing new.
  const unlocked = Math.max(seen, 1);
  for (let index = 0; index < Math.min(unlocked, hints.length); index++) show(index);
  if (seen === 0) state[lesson] = 1;
} else if (seen >= hints.length) {
  console.log(`You have seen all ${hints.length} hints for ${lesson} (npm run hint ${lesson.slice(0, 2)} -- --all shows them again).`);
  console.log(`The reference answer is lessons/${lesson}/solution.ts — read it once your own attempt is done.`);
  console.log(`(npm run hint ${lesson.slice(0, 2)} -- --reset starts the hints again.)`);
} else {
  show(seen);
  state[lesson] = seen + 1;
  if (seen + 1 < hints.length) console.log(`\n(Run npm run hint ${lesson.slice(0, 2)} again for the next hint.)`);
}
writeFileSync(STATE_FILE, JSON.stringify(state, null, 2) + "\n");
