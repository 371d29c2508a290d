// Checks that `npm run bench -- --only kit` still runs — not how fast anything is (speed belongs
// in the bench itself, never in a test). --tiny measures only the fast rows, once.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npm run bench -- --only kit --tiny times vitest, a fresh npm test and a not-started lesson", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/kit.ts", "--tiny"], {
    timeoutMs: 110_000,
  });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| what +\| wall time, median +\| CPU time +\| target +\|$/);
  expect(table.slice(1).map((row) => row.split("|")[1]!.trim())).toEqual([
    "vitest start-up, one trivial test file",
    "npm test, fresh copy (every exercise untouched)",
    "npm test -- 03, not started",
  ]);
  for (const row of table.slice(1)) expect(row).toMatch(/\d+\.\d\d s/);
}, 120_000);
