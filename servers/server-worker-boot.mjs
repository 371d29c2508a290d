// The first file a server worker thread runs (see supervisor.ts). A worker starts as plain
// Node: on Node 20 the TypeScript loader that `npm start` (tsx) put in the main thread is not
// active in it, even with --import tsx in its execArgv. So it registers tsx itself, then loads
// the worker's real code. Plain JavaScript, because nothing can read TypeScript yet.
import { register } from "tsx/esm/api";

register();
await import("./server-worker.ts");
