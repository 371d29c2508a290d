// Checks that `npm run bench` still runs — not how fast anything is (speed belongs in the
// bench itself, never in a test). --tiny moves a few hundred KB, so this takes seconds.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npm run bench -- --tiny runs every scenario and prints the table", async () => {
  // node --import tsx (rather than the tsx wrapper) so a timeout kill reaches the bench itself.
  const { code, stdout, stderr } = await runProgram(
    process.execPath,
    ["--import", "tsx", "test/bench/run.ts", "--tiny", "--rounds", "1"],
    { timeoutMs: 25_000 },
  );
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| scenario +\| example +\| minimal reference +\| ratio +\|$/);
  expect(table.slice(1).map((row) => row.split("|")[1].trim())).toEqual([
    "TCP, 1 connection",
    "TCP, 50 connections",
    "UDP, 512-byte datagrams",
    "UDP, same, example's log line dropped *",
  ]);
  for (const row of table.slice(1)) expect(row).toMatch(/\d+\.\d+×/);
  expect(stdout).toMatch(/^Verdict: /m);
}, 30_000);
