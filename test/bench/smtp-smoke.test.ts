// Checks that the SMTP bench still runs — not how fast anything is (speed belongs in the bench
// itself, never in a test). --tiny sends a few dozen messages per scenario.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npx tsx test/bench/smtp.ts --tiny runs every scenario and prints the table", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/smtp.ts", "--tiny"], { timeoutMs: 85_000 });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| scenario +\| accepted and stored +\| payload +\|$/);
  expect(table.slice(1).map((row) => row.split("|")[1].trim())).toEqual([
    "1 sender, local delivery",
    "20 senders, local delivery",
    "20 senders, local delivery, no fsync *",
    "the same, the console recording **",
    "the same, the console recording and streaming **",
    "20 senders, relayed to example.org (2 hops)",
    "heap per idle logged-in session (5 open)",
    "server RSS after the bench",
  ]);
  for (const row of table.slice(1, 7)) expect(row).toMatch(/\| \d+ msg\/s +\| \d+\.\d MB\/s +\|$/);
  expect(stdout).toMatch(/^Verdict: /m);
}, 90_000);
