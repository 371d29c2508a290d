// npm run reset 03            — puts lessons/03-…/exercise.ts back as the kit shipped it (asks first)
// npm run reset 03 -- --yes   — the same without asking
//
// Your file is never lost: it is copied to .backups/<lesson>/ (git-ignored) first. The stub
// comes from git: the newest version of the file in the history whose code is the stub's
// (test/kit/stubs.json) — so work you committed yourself is not mistaken for it.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createInterface } from "node:readline/promises";
import {
  exerciseFile,
  fingerprint,
  isUntouched,
  lessonList,
  lessonsMatching,
  readProgress,
  ROOT,
  stubFingerprints,
  writeProgress,
} from "./lessons.ts";

const args = process.argv.slice(2);
const word = args.find((arg) => !arg.startsWith("-"));
const matches = word ? lessonsMatching(word) : [];
if (matches.length !== 1) {
  const why = !word ? "which lesson?" : matches.length === 0 ? `no lesson matches "${word}"` : `"${word}" matches several lessons`;
  console.error(`npm run reset: ${why} Name one by its number: npm run reset 03\n\n${lessonList()}`);
  process.exit(1);
}
const lesson = matches[0]!;
const file = exerciseFile(lesson);
const shown = relative(ROOT, file);
const stubs = stubFingerprints();

if (isUntouched(lesson, stubs)) {
  console.log(`${shown} is already as the kit shipped it — nothing to reset.`);
  process.exit(0);
}

/** The stub from git: the newest committed version whose code is the stub's. */
function stubFromGit(): string | undefined {
  const git = (...gitArgs: string[]) => execFileSync("git", gitArgs, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const path = relative(ROOT, file).split("\\").join("/");
  let commits: string[];
  try {
    commits = git("log", "--format=%H", "--", path).split("\n").filter(Boolean);
  } catch {
    return undefined; // not a git checkout (a downloaded zip), or no git installed
  }
  for (const commit of commits) {
    const source = git("show", `${commit}:${path}`);
    if (!stubs[lesson] || fingerprint(source) === stubs[lesson]) return source;
  }
  return undefined;
}

const stub = stubFromGit();
if (stub === undefined) {
  console.error(
    `npm run reset: the original ${shown} was not found in git (is this a git clone of the kit?). ` +
      "Copy it from the kit's repository by hand; your file is unchanged.",
  );
  process.exit(1);
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const backup = join(ROOT, ".backups", lesson, `exercise-${stamp}.ts`);
if (!args.includes("--yes")) {
  const question = `Put ${shown} back as the kit shipped it? Your version is kept as ${relative(ROOT, backup)}. [y/N] `;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  // stdin may end without an answer (nothing typed, a closed pipe): that is a no.
  const answer = await Promise.race([prompt.question(question), new Promise<string>((resolve) => prompt.once("close", () => resolve("")))]);
  prompt.close();
  if (!/^y(es)?$/i.test(answer.trim())) {
    console.log("\nNothing changed.");
    process.exit(0);
  }
}

mkdirSync(join(ROOT, ".backups", lesson), { recursive: true });
copyFileSync(file, backup);
writeFileSync(file, stub);
if (readFileSync(file, "utf8") !== stub) throw new Error(`could not write ${shown}`);
const progress = readProgress();
progress[lesson] = { status: "not started" };
writeProgress(progress);
console.log(`${shown} is back as the kit shipped it. Your version: ${relative(ROOT, backup)}`);
console.log(`(npm run hint ${lesson.slice(0, 2)} -- --reset starts its hints from the first again.)`);
