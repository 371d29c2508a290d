// The class simulation of issue 13, short: ten students for twenty seconds through every lesson,
// on one `npm start` playground (`npm run soak` runs thirty for minutes; see test/soak/class.ts).
// Unlike soak-short (attacks), this is legitimate use of every server at once, by real clients,
// and what it checks is bookkeeping: every mail that got 250 is in its mailbox once, every upload
// that got 226 has its bytes, every article that got 240 can be read, and the open files come
// back down afterwards. The time bounds are loose: test:kit runs other files beside it.
import { defineClass } from "../soak/class-suite.ts";

defineClass({
  students: 10,
  minutes: 1 / 3,
  roundMs: 2_000,
  heapEveryMs: 5_000,
  thinkMs: [300, 1_500],
  slowestOpMs: 10_000,
  openFilesSlack: 5,
  buildSite: false,
});
