// npm run hint: one more hint each run, state kept in a file, clear errors.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { runExample, ROOT } from "./processes.ts";

const hint = (stateFile: string, ...args: string[]) =>
  runExample("test/kit/hint.ts", { args, env: { HINTS_FILE: stateFile } });

test("each run shows the next hint, then says where the solution is", { timeout: 60_000 }, async () => {
  const stateFile = join(mkdtempSync(join(tmpdir(), "hints-")), "hints.json");
  const hints = readFileSync(join(ROOT, "lessons/01-addresses-and-ports/hints.md"), "utf8").match(/^## /gm)!.length;
  for (let n = 1; n <= hints; n++) {
    const run = await hint(stateFile, "01");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Hint ${n} of ${hints} for 01-addresses-and-ports`);
    expect(run.stdout).not.toContain(`Hint ${n + 1} of`);
  }
  const after = await hint(stateFile, "addresses"); // a word of the slug works too
  expect(after.stdout).toContain(`You have seen all ${hints} hints`);
  expect(after.stdout).toContain("lessons/01-addresses-and-ports/solution.ts");

  const all = await hint(stateFile, "01", "--all"); // every hint again, after all were seen
  for (let n = 1; n <= hints; n++) expect(all.stdout).toContain(`Hint ${n} of ${hints}`);

  await hint(stateFile, "01", "--reset");
  const first = await hint(stateFile, "01", "--all"); // after a reset: the first hint only…
  expect(first.stdout).toContain(`Hint 1 of ${hints}`);
  expect(first.stdout).not.toContain("Hint 2 of");
  expect((await hint(stateFile, "01", "--all")).stdout).not.toContain("Hint 2 of"); // …and --all unlocks nothing
  await hint(stateFile, "01", "--reset");
  expect((await hint(stateFile, "01")).stdout).toContain(`Hint 1 of ${hints}`);
});

test("an unknown lesson is an error that lists the lessons", async () => {
  const stateFile = join(mkdtempSync(join(tmpdir(), "hints-")), "hints.json");
  const run = await hint(stateFile, "99");
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('no lesson matches "99"');
  expect(run.stderr).toContain("01-addresses-and-ports");
});
