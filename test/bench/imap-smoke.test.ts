// Checks that the IMAP bench still runs — not how fast anything is (speed belongs in the
// bench itself, never in a test). --tiny uses an INBOX of 100 messages and 5 idle sessions.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("npx tsx test/bench/imap.ts --tiny runs every measurement and prints the table", async () => {
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/imap.ts", "--tiny"], { timeoutMs: 55_000 });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| measurement +\| playground, 100 messages +\| Dovecot[^|]* +\| playground vs Dovecot +\|$/);
  const rows = table.slice(1).map((row) => row.split("|")[1].trim());
  expect(rows).toEqual([
    "LOGIN + SELECT INBOX, first time (ms)",
    "FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])",
    "FETCH 1:* (BODY.PEEK[])",
    "SEARCH SUBJECT, whole folder (ms, median of 3)",
    "SEARCH BODY, whole folder (ms, median of 3)",
    "memory per idle session, INBOX selected (5 open) (KB)",
    "IDLE wake-up, message written into the Maildir (ms, median of 2)",
    'IDLE wake-up, SMTP "." → "* n EXISTS" (ms, median of 2)',
    "server peak RSS during the whole bench (MB)",
  ]);
  for (const row of table.filter((line) => line.includes("FETCH 1:*"))) expect(row).toMatch(/\| \d+ msg\/s, \d+\.\d MB\/s/);
  // Dovecot, where it is installed (always in CI), in the same rows: a rate and a ratio.
  if (!stdout.includes("no reference column")) {
    for (const row of table.filter((line) => line.includes("FETCH 1:*"))) expect(row).toMatch(/msg\/s.*\| \d+ msg\/s, \d+\.\d MB\/s +\| \d+\.\d\d× the rate/);
    expect(table.find((line) => line.includes("memory per idle session"))).toMatch(/\d+\.\d heap +\| \d+\.\d PSS/);
  }
  expect(stdout).toMatch(/^Verdict: /m);
}, 60_000);
