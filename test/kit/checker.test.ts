// The checker's contract, tested the way a learner meets it: the kit's machinery copied to a
// temporary folder with one small lesson (test/kit/fixture-lesson) whose exercise is put in a
// given state, `npm test` run there, and its output read.
//   not started → skipped with a note, exit 0;  wrong → fails, says which lesson and why, and
//   shows the conversation on the wire;  right → done;  broken code → "does not load".
// The fixture, not the real lessons, so the result does not depend on your own exercises.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, runProgram } from "./processes.ts";

const FIXTURE = join(ROOT, "test/kit/fixture-lesson");
const LESSON = "98-fixture";
const fixture = (file: string) => readFileSync(join(FIXTURE, file), "utf8");

async function npmTestWith(exerciseSource: string, prepare: (copy: string) => void = () => {}) {
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

  const run = await runProgram(join(ROOT, "node_modules/.bin/vitest"), ["run", "--config", "test/vitest.config.ts", "98"], {
    cwd: copy,
    env: { CI: "", FORCE_COLOR: "0", NO_COLOR: "1", KIT_SELF_CHECK: "1" }, // also under npm run watch
    timeoutMs: 60_000,
  });
  return { code: run.code, output: run.stdout + run.stderr };
}

const stub = fixture("exercise.ts");
const solution = fixture("solution.ts");

describe("the exercise checker", { timeout: 60_000 }, () => {
  test("an untouched exercise is not started, not failed, and the run passes", async () => {
    const { code, output } = await npmTestWith(stub);
    expect(code).toBe(0);
    expect(output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`);
    expect(output).toContain(`Exercises: 0 of 1 done — next: lessons/${LESSON}/exercise.ts (hint: npm run hint 98)`);
    // 3 exercise runs skipped; the solution (3 runs) and the mutant checks (2) still run and pass
    expect(output).toMatch(/Tests\s+5 passed \| 3 skipped \(8\)/);
  });

  test("a wrong answer fails, naming the lesson, the check, expected and received", async () => {
    const { code, output } = await npmTestWith(solution.replace("return 2 * n;", "return n + n + 1;"));
    expect(code).toBe(1);
    expect(output).toContain(`lesson ${LESSON} — double doubles`);
    expect(output).toContain("double(21): expected 43 to be 42");
    expect(output).toMatch(new RegExp(`✗ lessons/${LESSON}/exercise.ts — failing \\(2 of 3 checks pass\\)`));
  });

  test("a socket exercise's failure shows the conversation on the wire and the seed", async () => {
    const { code, output } = await npmTestWith(solution.replace("toUpperCase()}\\r\\n", "toUpperCase()}\\n"));
    expect(code).toBe(1);
    expect(output).toContain(`lesson ${LESSON} — the shout server answers a line in capitals`);
    expect(output).toMatch(/\(friendly network; repeat exactly with: SEED=\d+ npm test -- 98\)/);
    expect(output).toMatch(/\(hostile network; repeat exactly with: SEED=\d+ npm test -- 98\)/);
    expect(output).toContain("What was said on the wire (connection 1 of 1):\nC: hello\\n\nS: HELLO\\n");
  });

  test("code that crashes fails its own check with a clear message; the other checks still run", async () => {
    const crashing = solution.replace(
      "lines.on(\"line\", (line) => socket.write(`${line.toUpperCase()}\\r\\n`));",
      "lines.on(\"line\", (line) => { throw new Error(`cannot shout ${line}`); });",
    );
    expect(crashing).not.toBe(solution);
    const { code, output } = await npmTestWith(crashing);
    expect(code).toBe(1);
    expect(output).toContain('your code crashed: "cannot shout hello" was thrown where nothing could catch it');
    expect(output).toContain(`✗ lessons/${LESSON}/exercise.ts — failing (1 of 3 checks pass)`);
    expect(output).not.toContain("Unhandled Error");
  });

  test("a half-done exercise is in progress, with the rest still not started", async () => {
    const { code, output } = await npmTestWith(stub.replace('todo("double");', "return 2 * n;"));
    expect(code).toBe(0);
    expect(output).toContain(`… lessons/${LESSON}/exercise.ts — in progress (1 of 3 checks pass)`);
  });

  test("the reference solution copied over the exercise makes it done", async () => {
    const { code, output } = await npmTestWith(solution);
    expect(code).toBe(0);
    expect(output).toContain(`✓ lessons/${LESSON}/exercise.ts — done`);
    expect(output).toContain("Exercises: 1 of 1 done — every exercise passes. Well done!");
  });

  test("a lesson left out of this run keeps the result of its last check", async () => {
    const { code, output } = await npmTestWith(stub, (copy) => {
      mkdirSync(join(copy, "lessons/97-earlier"));
      writeFileSync(join(copy, "lessons/97-earlier/exercise.ts"), "export {};\n");
      writeFileSync(join(copy, ".progress.json"), JSON.stringify({ "97-earlier": "done" }));
    });
    expect(code).toBe(0);
    expect(output).toContain("✓ lessons/97-earlier/exercise.ts — done (not checked in this run: the result of its last check)");
    expect(output).toContain(`Exercises: 1 of 2 done — next: lessons/${LESSON}/exercise.ts`);
  });

  test("next: the exercise you are in the middle of, not an earlier untouched one; never-checked ones say so plainly", async () => {
    const { output } = await npmTestWith(stub, (copy) => {
      for (const lesson of ["96-untouched", "97-started"]) {
        mkdirSync(join(copy, `lessons/${lesson}`));
        writeFileSync(join(copy, `lessons/${lesson}/exercise.ts`), "export {};\n");
      }
      // (earlier versions of the kit also remembered "not checked yet")
      writeFileSync(join(copy, ".progress.json"), JSON.stringify({ "96-untouched": "not checked yet", "97-started": "failing" }));
    });
    expect(output).toContain("· lessons/96-untouched/exercise.ts — not checked yet\n");
    expect(output).toContain("Exercises: 0 of 3 done — next: lessons/97-started/exercise.ts (hint: npm run hint 97)");
  });

  test("an exercise that does not compile is reported as not loading", async () => {
    const { code, output } = await npmTestWith(solution + "\nexport const broken = ;\n");
    expect(code).toBe(1);
    expect(output).toContain(`✗ lessons/${LESSON}/exercise.ts — does not load`);
  });
});
