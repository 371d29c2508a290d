// CPU time a process has used so far, all its threads together (a worker thread's too): what a
// fixed workload costs the server, which on a shared machine says more than its wall-clock rate.
// Linux only: /proc/<pid>/stat fields 14 and 15, utime and stime, in clock ticks.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Milliseconds of CPU (user + system) process `pid` (or only its thread `tid`) has used since it started. */
export function cpuMs(pid: number, tid?: number): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString()) || 100;
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, "latin1");
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** CPU milliseconds per thread of process `pid` (tid → ms); the main thread's tid is the pid. */
export function cpuMsByThread(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), cpuMs(pid, Number(tid)));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return threads;
}

/**
 * Where the CPU between two cpuMsByThread() snapshots went: the main thread, the busiest other
 * thread (in the benches, the worker thread running the servers) and all the rest together
 * (V8's helper threads doing parallel GC and compiling, libuv's pool doing file I/O).
 */
export function threadSplit(pid: number, before: Map<number, number>, after: Map<number, number>): { main: number; busiest: number; busiestTid: number; rest: number } {
  const deltas = [...after].map(([tid, ms]) => ({ tid, ms: ms - (before.get(tid) ?? 0) }));
  const main = deltas.find((d) => d.tid === pid)?.ms ?? 0;
  const others = deltas.filter((d) => d.tid !== pid).sort((a, b) => b.ms - a.ms);
  const busiest = others[0]?.ms ?? 0;
  const rest = others.slice(1).reduce((sum, d) => sum + d.ms, 0);
  return { main, busiest, busiestTid: others[0]?.tid ?? 0, rest };
}

/** Keeps a thread (or a whole process, by its pid) on the given CPUs from now on (`taskset`; "1", "0"). */
export function pinToCpus(tid: number, cpus: string): void {
  execFileSync("taskset", ["-p", "-c", cpus, String(tid)], { stdio: "ignore" });
}
