// For tests only (the class simulation, test/soak/class.ts): how much memory a thread's code
// really holds. A process's RSS is a poor leak detector, and this one has four threads:
// - Each thread has its own V8 heap, which grows to a working size and is collected only when it
//   reaches a limit V8 picks; until then, garbage is resident too.
// - Outside the heap: Buffers and ArrayBuffers (socket reads, file contents), and C++ memory
//   (TLS, zlib), all from malloc — and glibc's malloc gives each thread its own arena, whose pages
//   are seldom handed back once its allocations are spread over them (fragmentation).
// Neither is a leak: both level off. A leak is memory the code still references after a full
// collection, growing with the work done. So a probe collects first (gc(), which a plain process
// does not have: --expose-gc turned on at run time, gc() taken from a fresh context that then has
// it), then reads the heap.

import v8 from "node:v8";
import vm from "node:vm";

/** One thread's memory right after a full garbage collection, MB. */
export interface ThreadMemory {
  /** Live JavaScript objects: what the code still references. */
  heapUsedMb: number;
  /** What V8 has taken from the system for this heap (the live objects and free room). */
  heapTotalMb: number;
  /** Of that, the pages really in memory (touched at least once): the heap's part of RSS. */
  heapPhysicalMb: number;
  /**
   * Of `heapTotalMb`, the young generation, where new objects are made: V8 grows it (up to two
   * semi-spaces of 16 MB each on 64-bit Node 20) while a thread allocates fast, so it is emptied
   * less often. Free room after a GC, but resident once used.
   */
  newSpaceMb: number;
  /** Memory outside the heap that JavaScript objects hold: Buffers, ArrayBuffers, strings from C++. */
  externalMb: number;
  /** Of `externalMb`, ArrayBuffers and Buffers. */
  arrayBuffersMb: number;
  /** V8's own malloc'ed memory for this heap (compiled code metadata, parser zones). */
  mallocedMb: number;
}

let gc: (() => void) | undefined;

/** A full collection of this thread's heap, then its figures. */
export function memoryAfterGc(): ThreadMemory {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
  const usage = process.memoryUsage(); // heap, external, arrayBuffers: this thread's (rss is the process's)
  const mb = (bytes: number) => bytes / 1024 / 1024;
  const heap = v8.getHeapStatistics();
  return {
    heapUsedMb: mb(usage.heapUsed),
    heapTotalMb: mb(usage.heapTotal),
    heapPhysicalMb: mb(heap.total_physical_size),
    newSpaceMb: mb(v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0),
    externalMb: mb(usage.external),
    arrayBuffersMb: mb(usage.arrayBuffers),
    mallocedMb: mb(heap.malloced_memory),
  };
}
