// The checker's contract, tested the way a learner meets it: the kit's machinery copied to a
// temporary folder with one small lesson (test/kit/fixture-lesson, see kit-copy.ts) whose
// exercise is put in a given state, `npm test` run there, and its output read.
//   still the stub → not started without loading its spec, exit 0;  wrong → fails, says which
//   lesson and why, and shows the conversation on the wire and the seed;  right → done;
//   broken code → "does not load";  a hang → one timeout, the lesson's other network checks
//   skipped.  `npm test` runs only your checks; `npm run test:kit` only the kit's own.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { kitCopy, LESSON, npmTestWith, runIn, solution, stub } from "./kit-copy.ts";
import { runProgram, ROOT } from "./processes.ts";

/** A line every run of the spec file writes, so a test can tell whether it was loaded. */
const markSpecLoaded = (copy: string) => {
  const spec = join(copy, "test/lessons", LESSON, "spec.test.ts");
  writeFileSync(spec, `${readFileSync(spec, "utf8")}\n(await import("node:fs")).writeFileSync("spec-was-loaded", "");\n`);
};

describe("npm test: the learner's checks", { timeout: 120_000 }, () => {
  test("an untouched exercise is not started without loading its spec or starting a server, and the run passes", async () => {
    const copy = kitCopy(stub, markSpecLoaded);
    const { code, output } = await runIn(copy, "check.ts");
    expect(code).toBe(0);
    expect(output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`);
    expect(output).toContain(`Exercises: 0 of 1 done — next: lessons/${LESSON}/exercise.ts (hint: npm run hint 98)`);
    expect(existsSync(join(copy, "spec-was-loaded")), "the spec of a not-started lesson was loaded").toBe(false);
  });

  test("notes written in comments do not make an exercise started; a change to its code does", async () => {
    const withNotes = kitCopy(`// my notes: double is 2 * n\n${stub.replace("todo(", "/* soon */ todo(")}`, markSpecLoaded);
    expect((await runIn(withNotes, "check.ts", ["98"])).output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`);
    expect(existsSync(join(withNotes, "spec-was-loaded"))).toBe(false);

    const helperAdded = kitCopy(`${stub}\nexport const triple = (n: number) => 3 * n;\n`, markSpecLoaded);
    const { code, output } = await runIn(helperAdded, "check.ts", ["98"]);
    expect(code).toBe(0);
    expect(existsSync(join(helperAdded, "spec-was-loaded")), "a changed exercise must be checked").toBe(true);
    expect(output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`); // every check met a todo()
  });

  test("a wrong answer fails, naming the check, expected and received; only your checks are shown", async () => {
    const { code, output } = await npmTestWith(solution.replace("return 2 * n;", 'console.log("my debug line"); return n + n + 1;'));
    expect(code).toBe(1);
    expect(output).toContain("my debug line"); // what your code prints is shown
    expect(output).toContain("  ✗ double doubles\n      double(21): expected 43 to be 42");
    expect(output).toContain(`(repeat exactly with: SEED=`); // the seed, even for a check without a network
    expect(output).toContain("  ✓ the shout server answers a line in capitals (hostile network)");
    expect(output).toMatch(new RegExp(`✗ lessons/${LESSON}/exercise.ts — failing: 2 of 3 checks pass \\(1 fails\\)`));
    // neither the reference solution nor the wrong answers run in npm test
    expect(output).not.toMatch(/reference solution|rejects:|wrong answer/);
    expect(output).not.toContain("Test Files"); // one block per lesson, not vitest's report
  });

  test("a socket exercise's failure shows the conversation on the wire and the seed", async () => {
    const { code, output } = await npmTestWith(solution.replace("toUpperCase()}\\r\\n", "toUpperCase()}\\n"));
    expect(code).toBe(1);
    expect(output).toContain("  ✗ the shout server answers a line in capitals (friendly network)");
    expect(output).toMatch(/\(friendly network; repeat exactly with: SEED=\d+ npm test -- 98\)/);
    expect(output).toMatch(/\(hostile network; repeat exactly with: SEED=\d+ npm test -- 98\)/);
    expect(output).toContain("What was said on the wire (connection 1 of 1):\n      C: hello\\n\n      S: HELLO\\n");
  });

  test("a check that hangs costs one timeout: the lesson's other network checks are skipped with one line", async () => {
    const silent = solution.replace("lines.on(\"line\", (line) => socket.write(`${line.toUpperCase()}\\r\\n`));", "");
    expect(silent).not.toBe(solution);
    const { code, output } = await npmTestWith(silent);
    expect(code).toBe(1);
    // the first timeout as clear as ever: what timed out, and what had crossed the wire by then
    expect(output).toContain("  ✗ the shout server answers a line in capitals (friendly network)\n      timed out after 4 s");
    expect(output).toContain("What was said on the wire (connection 1 of 1):\n      C: hello\\n\n");
    expect(output).not.toContain("(hostile network)"); // not run, so not waited for
    expect(output).toContain(
      "  - 1 skipped: an earlier check timed out — fix that one first; the transcript above shows where it stopped",
    );
    expect(output).toContain("  ✓ double doubles"); // a check without the network still runs
    expect(output).toContain(`✗ lessons/${LESSON}/exercise.ts — failing: 1 of 3 checks pass (1 fails, 1 skipped after a timeout)`);
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
    expect(output).toContain(`  ✗ lessons/${LESSON}/exercise.ts — failing: 1 of 3 checks pass (2 fail)`);
    expect(output).not.toContain("Unhandled Error");
  });

  test("a half-done exercise is in progress and runs every check; the rest are not started", async () => {
    const { code, output } = await npmTestWith(stub.replace('todo("double");', "return 2 * n;"));
    expect(code).toBe(0);
    expect(output).toContain("  ✓ double doubles");
    expect(output).toContain("  ○ 2 not started: they call a function that still says todo()");
    expect(output).toContain(`  … lessons/${LESSON}/exercise.ts — in progress: 1 of 3 checks pass (2 not started)`);
  });

  test("the reference solution copied over the exercise makes it done", async () => {
    const { code, output } = await npmTestWith(solution);
    expect(code).toBe(0);
    expect(output).toContain(`  ✓ lessons/${LESSON}/exercise.ts — done: all 3 checks pass`);
    expect(output).toContain("Exercises: 1 of 1 done — every exercise passes. Well done!");
  });

  test("lessons left out of this run keep the result of their last check, under one heading", async () => {
    const { code, output } = await npmTestWith(stub, (copy) => {
      for (const lesson of ["96-earlier", "97-earlier"]) {
        mkdirSync(join(copy, `lessons/${lesson}`));
        writeFileSync(join(copy, `lessons/${lesson}/exercise.ts`), "export {};\n");
      }
      const progress = { "96-earlier": "done", "97-earlier": { status: "in progress", passed: 3, checks: 16, notStarted: 13 } };
      writeFileSync(join(copy, ".progress.json"), JSON.stringify(progress));
    });
    expect(code).toBe(0);
    expect(output.match(/not checked in this run/gi)).toHaveLength(1);
    expect(output).toContain(
      [
        `  ○ lessons/${LESSON}/exercise.ts — not started`,
        "  Not checked in this run (the result of their last check):",
        "  ✓ lessons/96-earlier/exercise.ts — done",
        "  … lessons/97-earlier/exercise.ts — in progress: 3 of 16 checks pass (13 not started)",
      ].join("\n"),
    );
    expect(output).toContain("Exercises: 1 of 3 done — next: lessons/97-earlier/exercise.ts");
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

  test("next: after `npm test -- NN` on an exercise not started yet, that one, not the first lesson", async () => {
    const copy = kitCopy(stub, (copy) => {
      mkdirSync(join(copy, "lessons/97-earlier"));
      writeFileSync(join(copy, "lessons/97-earlier/exercise.ts"), "export {};\n");
    });
    const { output } = await runIn(copy, "check.ts", ["98"]);
    expect(output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`);
    expect(output).toContain(`Exercises: 0 of 2 done — next: lessons/${LESSON}/exercise.ts (hint: npm run hint 98)`);
  });

  test("an exercise that does not compile is reported as not loading, with the compiler's message", async () => {
    const { code, output } = await npmTestWith(solution + "\nexport const broken = ;\n");
    expect(code).toBe(1);
    expect(output).toContain(`✗ lessons/${LESSON}/exercise.ts — does not load`);
    expect(output).toContain("exercise.ts:");
  });

  test("npm test -- <a word that names no lesson> lists the lessons instead of vitest's 'No test files found'", async () => {
    const { code, output } = await npmTestWith(stub, () => {}, ["zzz"]);
    expect(code).toBe(1);
    expect(output).toContain('npm test: no lesson matches "zzz". The lessons are:');
    expect(output).toContain(`  98  ${LESSON}`);
    expect(output).not.toContain("No test files found");
  });
});

describe("npm run test:kit: the kit checks itself", { timeout: 120_000 }, () => {
  const testKit = (copy: string) =>
    runProgram(process.execPath, [join(ROOT, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/vitest.config.ts", "--mode", "kit", "98"], {
      cwd: copy,
      env: { CI: "", FORCE_COLOR: "0", NO_COLOR: "1", PROGRESS_FILE: "", KIT_RUN: "", SEED: "" },
      timeoutMs: 110_000,
    }).then((run) => ({ code: run.code, output: run.stdout + run.stderr }));

  test("runs the reference solution and the wrong answers, not your exercise", async () => {
    const { code, output } = await testKit(kitCopy(solution.replace("return 2 * n;", "return n + n + 1;")));
    expect(code, output).toBe(0); // your wrong exercise is not its business
    // the solution's 3 runs, "there is at least one wrong answer", and the wrong answer rejected
    expect(output).toMatch(/Tests\s+5 passed \(5\)/);
    expect(output).not.toContain("your exercise");
    expect(output).not.toContain("Exercises:");
  });

  test("a wrong answer that no check rejects fails, and says the seed that repeats the run", async () => {
    const { code, output } = await testKit(
      kitCopy(stub, (copy) => writeFileSync(join(copy, "test/lessons", LESSON, "mutant-off-by-one.ts"), `// Wrong answer: not wrong at all\n${solution}`)),
    );
    expect(code).toBe(1);
    expect(output).toMatch(/no check rejected the wrong answer "not wrong at all" \(repeat exactly with: SEED=\d+ npm run test:kit -- test\/lessons\/98-fixture\/\)/);
  });
});
