// The news server under test for test/bench/nntp.ts, in its own process (so the bench's client
// and the server each get a core, and the server's memory is its own).
//
//   node --expose-gc --import tsx test/bench/nntp-server.ts <dataDir>
//
// Serves the spool already in <dataDir>/news. Prints "Listening on 127.0.0.1:PORT (started in N ms)":
// the start time is the index rebuild (every article's headers read). Each line "memory" on
// stdin is answered with one JSON line: the heap after a full garbage collection, and the peak RSS.

import { performance } from "node:perf_hooks";
import { startNewsServer } from "../../servers/news/index.ts";
import { answerMemoryProbes } from "./probed-server.ts";

const [dataDir] = process.argv.slice(2);
const start = performance.now();
// The bench posts as fast as it can: no POST rate limit here.
const server = await startNewsServer({ dataDir, port: 0, postsPerMinute: { perAddress: Infinity, perAccount: Infinity } });
console.log(`Listening on 127.0.0.1:${server.port} (started in ${(performance.now() - start).toFixed(0)} ms)`);

await answerMemoryProbes();
await server.close();
