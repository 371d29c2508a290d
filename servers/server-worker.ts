// One group of the playground's servers on its own event loop: a worker thread started by
// supervisor.ts (through server-worker-boot.mjs). The mail system, FTP and news each run in one,
// so a handler that hogs the CPU in one of them freezes only that one; the supervisor notices
// (it pings every second) and restarts it.
//
// The life of a worker:
//   start the group's servers ──▶ "ready" + the ports they got
//   answer every "ping" with a "pong"          (the watchdog: no pong for 5 s = stuck)
//   send trace lines, activity reports and log lines as messages (a function cannot cross threads;
//   the reports of one turn of the loop as one message, servers/activity-bridge.ts)
//   "stop" ──▶ close the servers, end the thread

import { parentPort, workerData } from "node:worker_threads";
import { activityMessenger } from "./activity-bridge.ts";
import { memoryAfterGc } from "./memory-probe.ts";
import type { BoundPorts, FromWorker, GroupOptions, ToWorker, WorkerStart } from "./worker-messages.ts";

const supervisor = parentPort!;
const { options, trace, activity, ring, neverReady } = workerData as WorkerStart;
/** Test hook "leak": every message sent from then on is kept here, as a list nobody prunes would. */
let leaked: FromWorker[] | undefined;
const send = (message: FromWorker) => {
  leaked?.push(message);
  supervisor.postMessage(message);
};

const messenger = activity ? activityMessenger(send, ring) : undefined;
const sinks = {
  trace: trace ? (line: string) => send({ type: "trace", line }) : undefined,
  activity: messenger?.activity,
};

/** Starts the group's servers with the options the supervisor sent, plus the two sinks.
 *  Each worker loads only its own group's code (the mail system alone is most of a second). */
async function startGroup(options: GroupOptions): Promise<{ ports: BoundPorts; close(): Promise<void> }> {
  switch (options.group) {
    case "mail": {
      const { startMailSystem } = await import("./mail/index.ts");
      const mail = await startMailSystem({ ...options, ...sinks });
      return { ports: { ...mail.ports }, close: mail.close };
    }
    case "ftp": {
      const { startFtpServer } = await import("./ftp/server.ts");
      const ftp = await startFtpServer({ ...options, ...sinks });
      return { ports: { ftp: ftp.port }, close: ftp.close };
    }
    case "news": {
      const { startNewsServer } = await import("./news/index.ts");
      const news = await startNewsServer({ ...options, ...sinks });
      return { ports: { nntp: news.port }, close: news.close };
    }
  }
}

// As before the split: one client running into a bug (say, a socket error nobody listened for)
// must not take a server down for the whole class. The state is on disk (Maildirs written
// atomically, FTP files, the news spool), so logging and serving on is safe. The line goes to the
// supervisor, which writes it where it writes restarts (the playground's output).
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    const line = `playground: internal error in the ${options.group} servers, still running (please report it): ${error instanceof Error ? error.stack : error}`;
    send({ type: "log", line });
  });
}

let running: { close(): Promise<void> } | undefined;
/** Test hook "hangOnStop": a "stop" that never gets done, as a close() stuck on a socket would. */
let ignoreStop = false;

supervisor.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "ping":
      send({ type: "pong" });
      break;
    case "stop":
      if (ignoreStop) break;
      // process.exit() in a worker ends this thread only, never the playground. The last
      // activity reports leave first: the sessions the close cut off say so once their sockets
      // have closed, a turn or two of the loop after the servers' close() (hence the short wait).
      void (running?.close() ?? Promise.resolve())
        .finally(() => new Promise((resolve) => setTimeout(resolve, 20)))
        .finally(() => {
          messenger?.flush();
          process.exit(0);
        });
      break;
    case "stall": {
      // Test hook: a handler stuck in a loop, as a catastrophic RegExp once was (README, Reliability).
      const until = Date.now() + message.ms;
      while (Date.now() < until);
      break;
    }
    case "crash":
      // Test hook: the thread ends as if it had died (out of memory, a native crash).
      process.exit(70);
    case "throwUncaught":
      // Test hook: a bug in a callback (a timer, a socket event): nobody is there to catch it.
      setTimeout(() => {
        throw new Error("test hook: an exception nobody caught");
      });
      break;
    case "rejectUnhandled":
      // Test hook: a promise that fails with nobody awaiting it.
      void Promise.reject(new Error("test hook: a promise nobody awaited"));
      break;
    case "hangOnStop":
      ignoreStop = true;
      break;
    case "memory":
      // Test hook: what this thread's code still holds after a full collection (memory-probe.ts).
      send({ type: "memory", memory: memoryAfterGc() });
      break;
    case "leak":
      leaked ??= [];
      break;
  }
});

try {
  const started = await startGroup(options);
  running = started;
  // Test hook: the servers listen, but the supervisor never hears so (a start that hangs).
  if (!neverReady) send({ type: "ready", ports: started.ports });
} catch (err) {
  // A busy port (EADDRINUSE) and the like: the supervisor turns code and port into advice.
  const { message, code, port } = err as NodeJS.ErrnoException & { port?: number };
  send({ type: "failed", error: { message, code, port } });
}
