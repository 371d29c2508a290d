// Checks that the POP3 bench still runs — not how fast anything is (speed belongs in the
// bench itself, never in a test). --tiny uses mailboxes of 100 and 10 messages.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npx tsx test/bench/pop3.ts --tiny runs every measurement and prints the table", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/pop3.ts", "--tiny"], { timeoutMs: 55_000 });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  const consoleAt = table.findIndex((line) => line.startsWith("| measurement, 100 messages"));
  expect(table[0]).toMatch(/^\| measurement +\| 10 messages +\| 100 messages +\| Dovecot[^|]*, 100 messages +\| playground vs Dovecot +\|$/);
  const rows = table.slice(1, consoleAt).map((row) => row.split("|")[1]!.trim());
  expect(rows).toEqual([
    "PASS → +OK, first login (ms)",
    "PASS → +OK, warm: median of 5 logins (ms)",
    "STAT (ms)",
    "LIST, all messages (ms)",
    "server heap with this one session open (KB)",
    "… per message of the index (bytes)",
    "RETR all, one at a time, first time (new/ → cur/ renames)",
    "RETR all, one at a time",
    "RETR all, pipelined (64 in flight)",
    "heap per idle logged-in session (5 open) (KB)",
    "server peak RSS during the whole bench (MB)",
  ]);
  for (const row of table.slice(0, consoleAt).filter((line) => line.includes("RETR all"))) expect(row).toMatch(/\d+ msg\/s, \d+\.\d MB\/s/);
  // Dovecot, where it is installed (always in CI), in the same rows: a rate and a ratio.
  if (!stdout.includes("no reference column")) {
    for (const row of table.slice(0, consoleAt).filter((line) => line.includes("RETR all"))) expect(row).toMatch(/msg\/s.*\| \d+ msg\/s, \d+\.\d MB\/s +\| \d+\.\d\d× the rate/);
  }
  // What the console costs: the same RETR on the playground as npm start runs it, without and with it.
  expect(table.slice(consoleAt + 1).map((row) => row.split("|")[1]!.trim())).toEqual([
    "RETR all, one at a time, as npm start runs it: no console",
    "RETR all, one at a time, as npm start runs it: the console recording",
    "RETR all, one at a time, as npm start runs it: the console recording and streaming to a page",
    "RETR all, one at a time, as npm start runs it: the console recording and streaming every line",
  ]);
  for (const row of table.slice(consoleAt + 2)) expect(row).toMatch(/\| \d+ msg\/s +\| \d+ ms +\| msg\/s [+−]\d+%, CPU [+−]\d+% +\|$/);
  expect(stdout).toMatch(/^Verdict: /m);
}, 60_000);
