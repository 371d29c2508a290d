// The checker's contract, tested the way a learner meets it: a copy of the kit with an
// exercise in a given state, `npm test -- NN` run in it, and its output read.
//   not started → skipped with a note, exit 0;  wrong → fails, says which lesson and why;
//   right → done;  broken code → "does not load".
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ROOT, runProgram } from "./processes.ts";

const LESSON = "01-addresses-and-ports";

async function npmTestWith(exerciseSource: string | null, filter = "01", lesson = LESSON) {
  const copy = mkdtempSync(join(tmpdir(), "kit-"));
  for (const part of ["lessons", "examples", "test", "servers", "package.json", "tsconfig.json"]) {
    cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"));
  if (exerciseSource !== null) writeFileSync(join(copy, "lessons", lesson, "exercise.ts"), exerciseSource);
  const run = await runProgram(join(ROOT, "node_modules/.bin/vitest"), ["run", "--config", "test/vitest.config.ts", filter], {
    cwd: copy,
    env: { CI: "", FORCE_COLOR: "0", NO_COLOR: "1" },
    timeoutMs: 60_000,
  });
  return { code: run.code, output: run.stdout + run.stderr };
}

const solution = readFileSync(join(ROOT, "lessons", LESSON, "solution.ts"), "utf8");

describe("the exercise checker", { timeout: 60_000 }, () => {
  test("an untouched exercise is not started, not failed, and the run passes", async () => {
    const { code, output } = await npmTestWith(null);
    expect(code).toBe(0);
    expect(output).toContain(`○ lessons/${LESSON}/exercise.ts — not started`);
    expect(output).toContain(`next: lessons/${LESSON}/exercise.ts (hint: npm run hint 01)`);
  });

  test("a wrong answer fails, naming the lesson, the check, expected and received", async () => {
    const wrong = solution.replace("if (port <= 1023) return \"well-known\";", "if (port <= 1024) return \"well-known\";");
    expect(wrong).not.toBe(solution);
    const { code, output } = await npmTestWith(wrong);
    expect(code).toBe(1);
    expect(output).toContain(`lesson ${LESSON} — classifyPort knows the three IANA ranges, edges included`);
    expect(output).toContain("classifyPort(1024): expected 'well-known' to be 'registered'");
    expect(output).toMatch(new RegExp(`✗ lessons/${LESSON}/exercise.ts — failing \\(\\d+ of \\d+ checks pass\\)`));
  });

  test("a half-done exercise is in progress, with the rest still not started", async () => {
    const half = readFileSync(join(ROOT, "lessons", LESSON, "exercise.ts"), "utf8").replace(
      'todo("classifyPort");',
      'if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError("not a port");\n  return port < 1024 ? "well-known" : port < 49152 ? "registered" : "dynamic";',
    );
    const { code, output } = await npmTestWith(half);
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`… lessons/${LESSON}/exercise.ts — in progress \\(1 of \\d+ checks pass\\)`));
  });

  test("the reference solution copied over the exercise makes it done", async () => {
    const { code, output } = await npmTestWith(solution);
    expect(code).toBe(0);
    expect(output).toContain(`✓ lessons/${LESSON}/exercise.ts — done`);
  });

  test("a socket exercise's failure shows the conversation on the wire and the seed", async () => {
    const greeting = readFileSync(join(ROOT, "lessons/03-tcp-server/solution.ts"), "utf8");
    const wrong = greeting.replace("socket.write(`Hello, ${line}!\\r\\n`)", "socket.write(`Hello, ${line}!\\n`)");
    expect(wrong).not.toBe(greeting);
    const { code, output } = await npmTestWith(wrong, "test/lessons/03", "03-tcp-server");
    expect(code).toBe(1);
    expect(output).toContain("lesson 03-tcp-server — ");
    expect(output).toMatch(/repeat exactly with: SEED=\d+ npm test -- 03/);
    expect(output).toContain("What was said on the wire (connection 1 of");
    expect(output).toContain("S: Welcome!\\r\\n");
    expect(output).toMatch(/S: Hello, \S+!\\n/); // the missing \r, made visible
  });

  test("an exercise that does not compile is reported as not loading", async () => {
    const { code, output } = await npmTestWith(solution + "\nexport const broken = ;\n");
    expect(code).toBe(1);
    expect(output).toContain(`✗ lessons/${LESSON}/exercise.ts — does not load`);
  });
});
