// CPU time a process has used so far, all its threads together (a worker thread's too): what a
// fixed workload costs the server, which on a shared machine says more than its wall-clock rate.
// Linux only: /proc/<pid>/stat fields 14 and 15, utime and stime, in clock ticks.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Milliseconds of CPU (user + system) process `pid` has used since it started. */
export function cpuMs(pid: number): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}
