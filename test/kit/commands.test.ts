// The learner's other commands, run the way a learner runs them, in a temporary copy of the
// kit (kit-copy.ts): npm run list, npm run reset NN, npm run watch moving on — and the
// fingerprints that tell an untouched exercise (test/kit/stubs.json) kept true.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { kitCopy, LESSON, runIn, solution, stub } from "./kit-copy.ts";
import { allLessons, exerciseFile, fingerprint, stubFingerprints } from "./lessons.ts";

describe("the stub fingerprints", () => {
  test("every exercise in the kit is its stub, as test/kit/stubs.json records it", () => {
    const stubs = stubFingerprints();
    const now = Object.fromEntries(allLessons().map((lesson) => [lesson, fingerprint(readFileSync(exerciseFile(lesson), "utf8"))]));
    now[LESSON] = fingerprint(stub);
    // A changed stub (its code, not its comments) needs its new fingerprint: copy this object into test/kit/stubs.json.
    expect(stubs, "test/kit/stubs.json is out of date — the fingerprints of the exercises as they are now:").toEqual(now);
  });
});

describe("npm run list", { timeout: 180_000 }, () => {
  test("shows each lesson's status, checks and hints from the last results, without running anything", async () => {
    const copy = kitCopy(stub.replace('todo("double");', "return 2 * n;"), (copy) => {
      mkdirSync(join(copy, "lessons/97-earlier"));
      writeFileSync(join(copy, "lessons/97-earlier/exercise.ts"), "export {};\n");
      writeFileSync(join(copy, "lessons/97-earlier/hints.md"), "## One\n\n## Two\n\n## Three\n");
      writeFileSync(join(copy, ".hints.json"), JSON.stringify({ "97-earlier": 2 }));
    });
    // before any npm test: nothing known yet about the started one
    const before = await runIn(copy, "list.ts");
    expect(before.code).toBe(0);
    expect(before.output).toMatch(/97-earlier +not checked yet +2 of 3/);
    expect(before.output).toMatch(/98-fixture +not checked yet/);

    writeFileSync(join(copy, ".progress.json"), JSON.stringify({ "97-earlier": { status: "done", passed: 5, checks: 5 } }));
    await runIn(copy, "check.ts", ["98"]); // in progress: 1 of 3
    const after = await runIn(copy, "list.ts");
    expect(after.output).toMatch(/^Lesson +Status +Checks passed +Hints seen$/m);
    expect(after.output).toMatch(/^97-earlier +done +5 of 5 +2 of 3$/m);
    expect(after.output).toMatch(/^98-fixture +in progress +1 of 3 +0 of \d+$/m);
    expect(after.output).toContain("1 of 2 done — next: lessons/98-fixture/exercise.ts");
  });
});

describe("npm run reset", { timeout: 180_000 }, () => {
  const git = (copy: string, ...args: string[]) => {
    const run = spawnSync("git", ["-c", "user.name=kit", "-c", "user.email=kit@example.com", ...args], { cwd: copy, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`git ${args.join(" ")}: ${run.stderr}`);
  };
  /** A copy that is a git clone of the kit: the stub committed, then your work on it. */
  const clone = (work: string, commitWork = false) => {
    const copy = kitCopy(stub);
    git(copy, "init", "-q");
    git(copy, "add", "lessons", "test", "package.json");
    git(copy, "commit", "-qm", "the kit");
    writeFileSync(join(copy, "lessons", LESSON, "exercise.ts"), work);
    if (commitWork) git(copy, "commit", "-qam", "my work");
    return copy;
  };
  const mine = stub.replace('todo("double");', "return 2 * n; // my work");
  const exercise = (copy: string) => readFileSync(join(copy, "lessons", LESSON, "exercise.ts"), "utf8");

  test("asks first; no is no", async () => {
    const copy = clone(mine);
    const { code, output } = await runIn(copy, "reset.ts", ["98"], { stdin: "n\n" });
    expect(code).toBe(0);
    expect(output).toContain(`Put lessons/${LESSON}/exercise.ts back as the kit shipped it?`);
    expect(output).toContain("Nothing changed.");
    expect(exercise(copy)).toBe(mine);
  });

  test("yes: the stub is back, your version kept in .backups/, and npm test says not started", async () => {
    const copy = clone(mine);
    const { code, output } = await runIn(copy, "reset.ts", ["98"], { stdin: "y\n" });
    expect(code, output).toBe(0);
    expect(exercise(copy)).toBe(stub);
    const backups = readdirSync(join(copy, ".backups", LESSON));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(copy, ".backups", LESSON, backups[0]!), "utf8")).toBe(mine);
    expect(output).toContain(`Your version: .backups/${LESSON}/${backups[0]}`);
    expect((await runIn(copy, "check.ts", ["98"])).output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`);
  });

  test("--yes does not ask; work you committed yourself is not mistaken for the stub", async () => {
    const copy = clone(mine, true);
    const { code, output } = await runIn(copy, "reset.ts", ["fixture", "--yes"]);
    expect(code, output).toBe(0);
    expect(output).not.toContain("[y/N]");
    expect(exercise(copy)).toBe(stub);
  });

  test("an untouched exercise, an unknown lesson, no git: clear words, nothing lost", async () => {
    const untouched = await runIn(clone(stub), "reset.ts", ["98", "--yes"]);
    expect(untouched.output).toContain("is already as the kit shipped it — nothing to reset");

    const unknown = await runIn(clone(mine), "reset.ts", ["zzz"]);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('no lesson matches "zzz"');
    expect(unknown.output).toContain(`98  ${LESSON}`);

    const noGit = kitCopy(mine);
    const run = await runIn(noGit, "reset.ts", ["98", "--yes"]);
    expect(run.code).toBe(1);
    expect(run.output).toContain("was not found in git");
    expect(exercise(noGit)).toBe(mine);
  });
});

describe("npm run watch", () => {
  test("checks the exercise on each save, and moves on to the next one when it is done", { timeout: 180_000 }, async () => {
    const copy = kitCopy(stub, (copy) => {
      // a second lesson: the fixture again, as 99-second
      cpSync(join(copy, "lessons", LESSON), join(copy, "lessons/99-second"), { recursive: true });
      mkdirSync(join(copy, "test/lessons/99-second"));
      const spec = readFileSync(join(copy, "test/lessons", LESSON, "spec.test.ts"), "utf8");
      writeFileSync(join(copy, "test/lessons/99-second/spec.test.ts"), spec.replaceAll(LESSON, "99-second"));
      cpSync(join(copy, "test/lessons", LESSON, "mutant-off-by-one.ts"), join(copy, "test/lessons/99-second/mutant-off-by-one.ts"));
      const stubs = JSON.parse(readFileSync(join(copy, "test/kit/stubs.json"), "utf8"));
      writeFileSync(join(copy, "test/kit/stubs.json"), JSON.stringify({ ...stubs, "99-second": fingerprint(stub) }));
    });
    const watch = spawn(process.execPath, ["--import", "tsx", "test/kit/check.ts", "--watch"], {
      cwd: copy,
      env: { ...process.env, CI: "", FORCE_COLOR: "0", NO_COLOR: "1", PROGRESS_FILE: "", KIT_RUN: "", SEED: "" },
      detached: true, // its own process group: the vitest it starts ends with it
    });
    onTestFinished(() => {
      if (watch.exitCode === null) process.kill(-watch.pid!, "SIGKILL");
    });
    let output = "";
    watch.stdout.on("data", (chunk) => (output += chunk));
    watch.stderr.on("data", (chunk) => (output += chunk));
    const printed = async (text: string, from = 0) => {
      for (let waited = 0; !output.slice(from).includes(text); waited += 100) {
        if (waited > 60_000 || watch.exitCode !== null) throw new Error(`npm run watch did not print "${text}":\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return output.indexOf(text, from) + text.length;
    };

    let seen = await printed(`Watching lessons/${LESSON}/exercise.ts`);
    seen = await printed(`Exercises: 0 of 2 done`, seen); // the first check, of the untouched stub
    writeFileSync(join(copy, "lessons", LESSON, "exercise.ts"), solution); // the learner saves a right answer
    seen = await printed(`lessons/${LESSON}/exercise.ts is done — moving on to lessons/99-second/exercise.ts`, seen);
    await printed("Watching lessons/99-second/exercise.ts", seen);
    expect(existsSync(join(copy, ".progress.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(copy, ".progress.json"), "utf8"))[LESSON].status).toBe("done");
  });
});

