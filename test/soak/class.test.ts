// `npm run soak` (and `npm run soak:class` alone): a teacher's class of 30 on one playground, issue 13.
// CLASS_MINUTES=180 is a whole afternoon; the default is a few minutes. See test/soak/class.ts.
import { defineClass } from "./class-suite.ts";

defineClass({
  students: Number(process.env.CLASS_STUDENTS ?? 30),
  minutes: Number(process.env.CLASS_MINUTES ?? 3.5),
  roundMs: 2_000,
  heapEveryMs: 10_000,
  thinkMs: [500, 3_000],
  slowestOpMs: Number(process.env.CLASS_SLOWEST_MS ?? 5_000),
  memoryLimits: {
    heapRiseMb: Number(process.env.CLASS_HEAP_RISE_MB ?? 4),
    outsideHeapsRiseMb: Number(process.env.CLASS_OUTSIDE_RISE_MB ?? 30),
    rssMb: Number(process.env.CLASS_RSS_MB ?? 450),
  },
  openFilesSlack: 5,
  leak: process.env.CLASS_LEAK === "1",
});
