// Checks that the NNTP bench still runs — not how fast anything is (speed belongs in the
// bench itself, never in a test). --tiny uses a 100-article group.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npx tsx test/bench/nntp.ts --tiny runs every measurement and prints the table", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/nntp.ts", "--tiny"], { timeoutMs: 55_000 });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| measurement +\| 100 articles +\|$/);
  expect(table.slice(1).map((row) => row.split("|")[1].trim())).toEqual([
    "server start: index rebuilt from the files (ms)",
    "server heap for the index, per article (bytes)",
    "OVER 1- (the whole group, one command)",
    "ARTICLE, one at a time",
    "POST, one at a time (20, fsync on)",
    "server peak RSS during the whole bench (MB)",
  ]);
  expect(stdout).toMatch(/\| \d+ lines\/s, \d+ ms/);
  expect(stdout).toMatch(/\| \d+ articles\/s, \d+\.\d MB\/s/);
  expect(stdout).toMatch(/^Verdict: /m);
}, 60_000);
