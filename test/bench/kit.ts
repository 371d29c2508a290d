// npm run bench -- --only kit            — how long a learner waits for `npm test` (a few minutes)
// npm run bench -- --only kit --quick    — 1 round, one lesson solved instead of each in turn
// npm run bench -- --only kit --tiny     — only the fast rows, once (the smoke test uses it)
//
// Wall time, as the learner sees it, of:
//   - vitest's own start-up for one trivial test file: the floor any `npm test` stands on;
//   - `npm test` on a fresh copy of the kit (every exercise still its stub);
//   - `npm test -- NN` for a lesson not started yet;
//   - `npm test -- NN` with that lesson's solution in place, for each lesson (--quick: one);
//   - `npm test` with every solution copied in (what CI's .ci/solutions-pass.sh runs).
// Targets (issue 12): fresh `npm test` within ~3× of vitest's start-up; one not-started lesson
// ≤ 3 s; all 14 solved ≤ 60 s. Each row is run `rounds` times; the table shows the median and
// the range. The copy lives in a temporary folder, so your own exercises and results are untouched.

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { printTable } from "./table.ts";

const { values: options } = parseArgs({
  options: { quick: { type: "boolean" }, tiny: { type: "boolean" }, rounds: { type: "string" } },
});
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const rounds = Number(options.rounds ?? (options.quick || options.tiny ? 1 : 3));
const lessons = readdirSync(join(ROOT, "lessons")).filter((name) => /^\d\d-/.test(name) && name !== "00-getting-started").sort();

/** A fresh copy of the kit, as a learner has it after `git clone` and `npm install`. */
function freshCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), "kit-bench-"));
  // what a fresh clone does not have: your results, your backups, the playground's data, a built site
  const skip = new Set(["node_modules", ".git", ".playground", ".progress.json", ".hints.json", ".backups", join("site", "dist")]);
  cpSync(ROOT, copy, { recursive: true, filter: (source) => !skip.has(relative(ROOT, source)) });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  return copy;
}

const solve = (copy: string, lesson: string) => cpSync(join(copy, "lessons", lesson, "solution.ts"), join(copy, "lessons", lesson, "exercise.ts"));

// CPU time (user + system, of the command and every process it waited for) says what a run
// costs even when other work slows the wall clock down; GNU time measures it where installed.
const GNU_TIME = "/usr/bin/time";
const hasGnuTime = existsSync(GNU_TIME);
const cpuTimes: number[] = [];

/** Rows in which a check failed (a busy machine can time out a reference solution): said in the table. */
const failures = new Set<string>();

/** Runs a command to the end and returns its wall time in ms; its CPU time goes to cpuTimes. */
function timed(cwd: string, command: string, args: string[]): number {
  const [program, programArgs] = hasGnuTime ? [GNU_TIME, ["-f", "cpu %U %S", command, ...args]] : [command, args];
  const start = performance.now();
  const run = spawnSync(program, programArgs, { cwd, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", CI: "" } });
  const ms = performance.now() - start;
  if (run.status !== 0) {
    const failed = /^ +✗ .*$/m.exec(run.stdout)?.[0].trim() ?? run.stderr.trim().split("\n").at(-1);
    console.log(`  (${command} ${args.join(" ")} exited with ${run.status}: ${failed})`);
    failures.add(args.join(" "));
  }
  const cpu = /^cpu (\S+) (\S+)$/m.exec(run.stderr);
  if (cpu) cpuTimes.push((Number(cpu[1]) + Number(cpu[2])) * 1000);
  return ms;
}

interface Row {
  what: string;
  target?: (ms: number) => string;
  measure: () => number;
}

const trivial = mkdtempSync(join(tmpdir(), "kit-bench-trivial-"));
writeFileSync(join(trivial, "trivial.test.ts"), 'import { expect, test } from "vitest";\ntest("one", () => expect(1 + 1).toBe(2));\n');
symlinkSync(join(ROOT, "node_modules"), join(trivial, "node_modules"));
const vitestBin = join(ROOT, "node_modules/vitest/vitest.mjs");
const fresh = freshCopy();
const notStarted = lessons[2]!; // 03-tcp-server: a server exercise, untouched
const solvedOne = freshCopy();
const allSolved = freshCopy();
for (const lesson of lessons) solve(allSolved, lesson);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

let vitestStartUp = 0;
const rows: Row[] = [
  { what: "vitest start-up, one trivial test file", measure: () => (vitestStartUp = timed(trivial, process.execPath, [vitestBin, "run"])) },
  { what: "npm test, fresh copy (every exercise untouched)", target: (ms) => `≤ 3× vitest (${(ms / vitestStartUp).toFixed(1)}×)`, measure: () => timed(fresh, "npm", ["test"]) },
  { what: `npm test -- ${notStarted.slice(0, 2)}, not started`, target: (ms) => (ms <= 3000 ? "≤ 3 s: met" : "≤ 3 s: MISSED"), measure: () => timed(fresh, "npm", ["test", "--", notStarted.slice(0, 2)]) },
];
if (!options.tiny) {
  for (const lesson of options.quick ? [notStarted] : lessons) {
    rows.push({
      what: `npm test -- ${lesson.slice(0, 2)}, solved (${lesson})`,
      measure: () => {
        solve(solvedOne, lesson);
        return timed(solvedOne, "npm", ["test", "--", lesson.slice(0, 2)]);
      },
    });
  }
  rows.push({
    what: `npm test, all ${lessons.length} solved`,
    target: (ms) => (ms <= 60_000 ? "≤ 60 s: met" : "≤ 60 s: MISSED"),
    measure: () => timed(allSolved, "npm", ["test"]),
  });
}

console.log(`${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the start; ${rounds} round(s) each\n`);
const table: string[][] = [];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const row of rows) {
  cpuTimes.length = 0;
  const times = Array.from({ length: rounds }, () => row.measure()).sort((a, b) => a - b);
  const range = times.length > 1 ? ` (${secs(times[0]!)}–${secs(times.at(-1)!)})` : "";
  const cpu = cpuTimes.length > 0 ? secs(median(cpuTimes)) : "n/a";
  const failedNote = failures.size > 0 ? " — a check failed, see above" : "";
  failures.clear();
  table.push([row.what, `${secs(median(times))}${range}`, cpu, (row.target?.(median(times)) ?? "") + failedNote]);
  console.log(`${row.what}: ${table.at(-1)![1]}`);
}
console.log("");
printTable(["what", "wall time, median", "CPU time", "target"], table);
console.log(`\nLoad average ${loadavg()[0]!.toFixed(1)} at the end: on a machine busy with other work every row grows; compare rows, not runs.`);
for (const folder of [trivial, fresh, solvedOne, allSolved]) rmSync(folder, { recursive: true, force: true });
