// Checks that the SMTP bench still runs — not how fast anything is (speed belongs in the bench
// itself, never in a test). --tiny sends a few dozen messages per scenario.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npx tsx test/bench/smtp.ts --tiny runs every scenario and prints the table", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/smtp.ts", "--tiny"], { timeoutMs: 85_000 });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| scenario +\| accepted and stored +\| payload +\| server CPU per 1,000 messages +\| vs no console \(median of paired rounds\) +\|$/);
  const rows = table.slice(1);
  expect(rows.map((row) => row.split("|")[1]!.trim())).toEqual([
    "1 sender, local delivery",
    "20 senders, local delivery",
    "20 senders, local delivery, no fsync *",
    "the same as npm start runs it (worker thread), no console ***",
    "… the console recording ***",
    "… the console recording and streaming to a page ***",
    "… the console recording and streaming every line ***",
    "20 senders, relayed to example.org (2 hops)",
    "heap per idle logged-in session (5 open)",
    "server RSS after the bench",
  ]);
  for (const row of rows.slice(0, 8)) expect(row).toMatch(/\| \d+ msg\/s +\| \d+\.\d MB\/s +\| \d+ ms +\|/);
  // The console rows against the row without it: a change in msg/s and in server CPU.
  for (const row of rows.slice(4, 7)) expect(row).toMatch(/\| msg\/s [+−]\d+%, CPU [+−]\d+% +\|$/);
  expect(stdout).toMatch(/lines=none, \d+\.\d MB of events\), and/);
  expect(stdout).toMatch(/every line of every session \(\/console\/api\/events, \d+\.\d MB\)/);
  expect(stdout).toMatch(/^Verdict: /m);
}, 90_000);
