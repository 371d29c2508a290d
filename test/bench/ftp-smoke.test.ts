// Checks that the FTP bench still runs — not how fast anything is (speed belongs in the
// bench itself, never in a test). --tiny moves 1 MB and logs in 20 clients.

import { expect, test } from "vitest";
import { runProgram } from "../kit/processes.ts";

test("test/bench/ftp.ts --tiny measures every scenario and prints the table", async () => {
  // node --import tsx (rather than the tsx wrapper) so a timeout kill reaches the bench itself.
  const { code, stdout, stderr } = await runProgram(process.execPath, ["--import", "tsx", "test/bench/ftp.ts", "--tiny"], { timeoutMs: 50_000 });
  expect(code, stderr).toBe(0);
  const table = stdout.split("\n").filter((line) => line.startsWith("| "));
  expect(table[0]).toMatch(/^\| scenario +\| playground \(ftp-srv\) +\|/);
  expect(table.slice(1).map((row) => row.split("|")[1].trim())).toEqual(["RETR 1 MB", "STOR 1 MB", "STOR 1 MB, ALLO first", "20 clients logged in at once"]);
  expect(table[1]).toMatch(/\d MB\/s/);
  expect(table[4]).toMatch(/\d s/);
  // With pyftpdlib installed there is a reference column with a ratio; without, a note says why.
  if (table[0].includes("pyftpdlib")) for (const row of table.slice(1)) expect(row).toMatch(/\d\.\d\d× +\|$/);
  else expect(stdout).toMatch(/pyftpdlib is not installed/);
}, 60_000);
