// The playground's supervisor (what `npm start` runs, see playground.ts): it runs the HTTP server
// (demo pages, lesson site, /console/) itself, and every other group of servers on its own event
// loop — a worker thread each (server-worker.ts):
//
//   main thread: supervisor.ts                worker threads: server-worker.ts
//   ├─ HTTP 8080: demo, site, /console/        ├─ mail: SMTP 2525/2526/4650, POP3 1110/9950, IMAP 1143/9930
//   └─ watchdog: "ping" every 1 s ──────────▶  ├─ FTP 2121
//      ◀── "pong", trace lines, activity ───   └─ news: NNTP 1119
//
// Why: an event loop runs one handler at a time. When every server shared one loop, a handler
// stuck in a CPU-bound loop (the catastrophic wildmat RegExp of issue 13 took 14 s) froze them all;
// now it freezes its own group only, and the rest of the class works on.
// Why threads, not processes: they start faster, and they die with the playground — a kill -9
// leaves no orphan holding a port.
//
// The watchdog: a worker that has not answered a ping for 5 s, and whose loop has not once waited
// for I/O meanwhile (see check()), is stuck. The supervisor terminates it (terminate() stops even
// a loop that never yields), starts a new one on the same ports and says
// so on the playground's output. A worker that ends by itself (a crash) is restarted too, after a
// pause that doubles while it keeps crashing, so a crash loop does not spin. A new worker that does
// not say "ready" within 10 s (its start hung) is terminated and tried again the same way, and
// one that has not closed its servers 5 s after "stop" is terminated. Nothing is lost that
// was stored: mail, files and articles are on disk, written atomically, and every server cleans up
// half-written leftovers when it starts. Sessions under way on the stuck server are cut off.
//
// The FTP thread's heap. An upload arrives in 64 KiB socket reads, each a new Buffer whose bytes
// lie outside V8's heap, freed when V8 collects the Buffer. Until a collection, V8 counts those
// bytes against its old generation's limit, and it sets that limit from what the heap held at its
// last full collection: for the FTP thread's ~10 MB (ftp-srv, bunyan, moment, tsx), not far
// above it. So an upload ran a full mark-compact every ~20 MB (--trace-gc), twice the CPU of the
// FTP bench's minimal Node server, whose smaller heap never gets there: before its limit, V8's
// other rule comes first — 32 MB of such bytes held by young objects make it run a minor GC, a
// scavenge of a millisecond that frees them all. With the old generation's limit at 64 MB or more
// (V8's --initial-old-space-size), the FTP thread does the same. Node has no per-thread setting
// for it (a Worker's resourceLimits set only the maximum sizes; its execArgv refuses V8 flags),
// and the flag set for the whole process would give every group that room (and its memory). V8
// reads the flag only when it makes an isolate, which a new Worker's thread does before the
// thread says "online": so the flag is set just before the FTP thread is made, and put back to
// V8's default (0) once it is online. To keep any other thread from being made meanwhile (the
// mail and news threads at the start, a restart by the watchdog), threads are made one at a time
// (newWorker). FTP_INITIAL_OLD_SPACE_MB is in defaults.ts.

import { once } from "node:events";
import type http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { Activity } from "./activity.ts";
import { cutOnArrival, newRing } from "./activity-bridge.ts";
import type { FtpAccount } from "./ftp/server.ts";
import { startHttpDemo, type ConsoleHandler, type SiteHandler } from "./http-demo.ts";
import type { MailAccount } from "./mail/accounts.ts";
import { memoryAfterGc, type ThreadMemory } from "./memory-probe.ts";
import type { NewsAccount } from "./news/index.ts";
import { FTP_INITIAL_OLD_SPACE_MB } from "./defaults.ts";
import { ensureCertificate } from "./tls.ts";
import type { BoundPorts, FromWorker, GroupName, GroupOptions, ToWorker, WorkerStart } from "./worker-messages.ts";

/** Every port the playground listens on (0 = any free port; a restart keeps the one it got). */
export interface PlaygroundPorts {
  http: number;
  smtp: number;
  mx: number;
  smtps: number;
  pop3: number;
  pop3s: number;
  imap: number;
  imaps: number;
  ftp: number;
  nntp: number;
}

export interface PlaygroundOptions {
  host: string;
  dataDir: string;
  ports: PlaygroundPorts;
  /** FTP's passive data ports; none = any free port. */
  passivePorts?: { min: number; max: number };
  mailAccounts: MailAccount[];
  ftpAccounts: FtpAccount[];
  newsAccounts: NewsAccount[];
  /** The lesson site's handler, for the HTTP server's / (site/serve.ts; none: only the demo pages). */
  site?: SiteHandler;
  /** The console's handler for /console/ (servers/console/). */
  console?: ConsoleHandler;
  /** Default true: every delivered message flushed to disk (servers/mail/maildir.ts); the benches turn it off to measure the servers, not the disk. */
  fsync?: boolean;
  /** Every C:/S: line of every server (npm start -- --trace). */
  trace?: (line: string) => void;
  /** Gets the activity reports of every server, whichever thread it runs on (the console's). */
  activity?: Activity;
  /**
   * Ping every `pingEveryMs` (default 1 s); restart a worker silent for `stuckAfterMs` (default 5 s);
   * terminate a worker not ready `readyWithinMs` after it started (default 10 s), or not ended
   * `stopWithinMs` after "stop" (default 5 s).
   */
  watchdog?: { pingEveryMs?: number; stuckAfterMs?: number; readyWithinMs?: number; stopWithinMs?: number };
  /** Where restarts are told (default: stderr). */
  log?: (line: string) => void;
  /** Called after each restart (also kept in Playground.restarts). */
  onRestart?: (restart: Restart) => void;
}

/** One restart by the supervisor, for the playground's output and the console. */
export interface Restart {
  group: GroupName;
  /** "stuck": no answer to pings; "exited": the thread ended by itself. */
  reason: "stuck" | "exited";
  /** What the output said, e.g. "the news server stopped answering for 5 s — restarted it". */
  message: string;
  /** ISO time of the restart. */
  at: string;
}

export interface Playground {
  /** The ports really bound (port 0 replaced by the one the system gave). */
  ports: PlaygroundPorts;
  /** The certificate file a client must trust for every TLS listener. */
  caFile: string;
  /** Every restart so far, oldest first. */
  restarts: Restart[];
  /** Stops every server and worker; the ports are free when it resolves. */
  close(): Promise<void>;
  /** For tests only: faults made on purpose inside a group's thread (see server-worker.ts). */
  testHooks: {
    /** Keep the group's loop busy for `ms`, as a handler stuck in a loop would. */
    stall(group: GroupName, ms: number): void;
    /** End the group's thread, as a crash would. */
    crash(group: GroupName): void;
    /** Throw in a callback of the group's thread, where nothing catches it. */
    throwUncaught(group: GroupName): void;
    /** Reject a promise in the group's thread that nobody awaits. */
    rejectUnhandled(group: GroupName): void;
    /** The group's next start (a restart) starts its servers but never says "ready". */
    hangNextStart(group: GroupName): void;
    /** The group's thread ignores "stop" from now on. */
    hangOnStop(group: GroupName): void;
    /**
     * A full garbage collection on every thread, then each one's memory (memory-probe.ts): "main"
     * is this thread (HTTP, the console, the supervisor); a worker that did not answer within 5 s
     * (stuck, restarting) is missing.
     */
    memory(): Promise<Partial<Record<"main" | GroupName, ThreadMemory>>>;
    /** A leak on purpose: from now on every thread keeps every activity message it sends or gets (the supervisor's: returned, and growing). */
    leak(): FromWorker[];
  };
}

const LABELS: Record<GroupName, string> = { mail: "the mail servers", ftp: "the FTP server", news: "the news server" };
/** A worker that ran this long before crashing restarts at once; sooner, it waits 1, 2, 4 … 30 s. */
const STEADY_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
/** A worker that has not said "ready" this long after it started is terminated: its start hung. */
const READY_TIMEOUT_MS = 10_000;
/** A worker that has not closed its servers this long after "stop" is terminated. */
const STOP_TIMEOUT_MS = 5_000;
/** A worker's answer to "memory" that takes longer than this is not waited for. */
const MEMORY_TIMEOUT_MS = 5_000;
/** Every worker starts here (it registers the TypeScript loader first, see that file). */
const BOOT = new URL("./server-worker-boot.mjs", import.meta.url);

/** Starts HTTP here and mail, FTP and news on a worker thread each; resolves when all listen. */
export async function startPlayground(options: PlaygroundOptions): Promise<Playground> {
  const { host, dataDir, ports } = options;
  // One certificate for every TLS listener, made before the workers start: three of them making
  // one at the same moment would each make their own.
  const { key, cert, caFile } = await ensureCertificate(dataDir);
  const tls = { key, cert };
  const restarts: Restart[] = [];
  const stuckAfterMs = options.watchdog?.stuckAfterMs ?? 5_000;
  const hub: Hub = {
    trace: options.trace,
    activity: options.activity,
    log: options.log ?? ((line) => console.error(line)),
    stuckAfterMs,
    readyWithinMs: options.watchdog?.readyWithinMs ?? READY_TIMEOUT_MS,
    stopWithinMs: options.watchdog?.stopWithinMs ?? STOP_TIMEOUT_MS,
    restarted(restart) {
      restarts.push(restart);
      options.onRestart?.(restart);
    },
  };
  const workers = {
    mail: new SupervisedWorker(
      { group: "mail", host, dataDir, accounts: options.mailAccounts, fsync: options.fsync, ports: { submission: ports.smtp, mx: ports.mx, smtps: ports.smtps, pop3: ports.pop3, pop3s: ports.pop3s, imap: ports.imap, imaps: ports.imaps } },
      hub,
    ),
    // The passive range is fixed here ({0, 0}: any free port), so a restart on the control port
    // the first start got does not fall back to FTP's default range 30000-30100.
    ftp: new SupervisedWorker({ group: "ftp", host, dataDir, accounts: options.ftpAccounts, port: ports.ftp, passivePorts: options.passivePorts ?? { min: 0, max: 0 }, tls }, hub),
    news: new SupervisedWorker({ group: "news", host, dataDir, accounts: options.newsAccounts, port: ports.nntp, tls }, hub),
  };

  // Everything starts at once. The first failure (a busy port) stops everything, including the
  // workers still starting, and is reported.
  const httpStart = startHttpDemo(ports.http, host, options.site, {}, options.console, options.activity); // HTTP requests are sessions too
  const closeHttp = async () => {
    const { server } = await httpStart;
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  };
  const closeAll = async () => {
    await Promise.allSettled([closeHttp(), ...Object.values(workers).map((worker) => worker.stop())]);
  };
  let started: [{ server: http.Server; port: number }, BoundPorts, BoundPorts, BoundPorts];
  try {
    started = await Promise.all([httpStart, workers.mail.start(), workers.ftp.start(), workers.news.start()]);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const [httpServer, mail, ftp, news] = started;

  const watchdog = startWatchdog(Object.values(workers), options.watchdog?.pingEveryMs ?? 1_000);
  return {
    ports: {
      http: httpServer.port,
      smtp: mail.submission!,
      mx: mail.mx!,
      smtps: mail.smtps!,
      pop3: mail.pop3!,
      pop3s: mail.pop3s!,
      imap: mail.imap!,
      imaps: mail.imaps!,
      ftp: ftp.ftp!,
      nntp: news.nntp!,
    },
    caFile,
    restarts,
    async close() {
      clearInterval(watchdog);
      await closeAll();
    },
    testHooks: {
      stall: (group, ms) => workers[group].send({ type: "stall", ms }),
      crash: (group) => workers[group].send({ type: "crash" }),
      throwUncaught: (group) => workers[group].send({ type: "throwUncaught" }),
      rejectUnhandled: (group) => workers[group].send({ type: "rejectUnhandled" }),
      hangNextStart: (group) => workers[group].hangNextStart(),
      hangOnStop: (group) => workers[group].send({ type: "hangOnStop" }),
      async memory() {
        const main = memoryAfterGc();
        const [mail, ftp, news] = await Promise.all([workers.mail.memory(), workers.ftp.memory(), workers.news.memory()]);
        return { main, mail, ftp, news };
      },
      leak() {
        hub.leaked ??= [];
        for (const worker of Object.values(workers)) worker.send({ type: "leak" });
        return hub.leaked;
      },
    },
  };
}

/** What every SupervisedWorker shares: the sinks it forwards to, and where it reports restarts. */
interface Hub {
  trace?: (line: string) => void;
  activity?: Activity;
  log(line: string): void;
  stuckAfterMs: number;
  readyWithinMs: number;
  stopWithinMs: number;
  restarted(restart: Restart): void;
  /** Test hook (testHooks.leak): every activity message from a worker is kept here. */
  leaked?: FromWorker[];
}

/** Every `pingEveryMs`, each worker is checked (stuck?) and pinged. */
function startWatchdog(workers: SupervisedWorker[], pingEveryMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const worker of workers) worker.check(Date.now());
  }, pingEveryMs);
  timer.unref(); // the servers keep the playground running, not the watchdog
  return timer;
}

/** One group's worker thread, through all its lives: started, pinged, restarted, stopped. */
class SupervisedWorker {
  private worker: Worker | undefined;
  /** Answering pings (started, not being replaced). */
  private ready = false;
  /** When the worker last showed its loop runs: a pong, or time spent waiting for I/O (see check). */
  private lastSignOfLife = 0;
  /** Milliseconds the worker's loop had spent idle at the last check. */
  private idleAtLastCheck = 0;
  private startedAt = 0;
  private quickCrashes = 0;
  private stopping = false;
  /** Test hook: the next start never says "ready". */
  private neverReadyNextStart = false;
  private readonly group: GroupName;
  private readonly label: string;
  /** Test hook: who waits for the worker's answer to "memory". */
  private memoryWaiters: ((memory: ThreadMemory | undefined) => void)[] = [];

  constructor(
    private options: GroupOptions,
    private readonly hub: Hub,
  ) {
    this.group = options.group;
    this.label = LABELS[options.group];
  }

  /** Starts a worker and resolves with its ports once it listens, or rejects with its error. */
  async start(): Promise<BoundPorts> {
    const workerData: WorkerStart = { options: this.options, trace: this.hub.trace !== undefined, activity: this.hub.activity !== undefined };
    // Its sessions' raw bytes come through shared memory, and are cut into lines and masked here (activity-bridge.ts).
    if (workerData.activity) workerData.ring = newRing();
    if (this.neverReadyNextStart) workerData.neverReady = true;
    this.neverReadyNextStart = false;
    const worker = await newWorker(workerData, this.group === "ftp" ? FTP_INITIAL_OLD_SPACE_MB : 0);
    if (this.stopping) {
      // stop() came while the thread waited its turn to be made: it must not outlive the playground.
      void worker.terminate();
      throw new Error(`${this.label} stopped while starting`);
    }
    this.worker = worker;
    this.ready = false;
    this.startedAt = Date.now();
    const console_ = this.hub.activity;
    const reports = console_ && cutOnArrival(console_, workerData.ring, (method, error) => this.hub.log(`playground: the console failed on ${method}: ${error.message}`));
    return new Promise((resolve, reject) => {
      // A start that never finishes (a server waiting for something that never comes) would
      // otherwise hold the restart up for good, its ports perhaps already taken. After
      // readyWithinMs the start fails like any other, and the thread is terminated, which closes
      // whatever it had opened; restart() tries again after a pause.
      const readyTimer = setTimeout(() => {
        reject(new Error(`${this.label} did not finish starting within ${this.hub.readyWithinMs / 1000} s — terminated it`));
        void worker.terminate();
      }, this.hub.readyWithinMs);
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            clearTimeout(readyTimer);
            // From now on a restart asks for the ports this start got (port 0 was "any").
            this.options = withPorts(this.options, message.ports);
            this.ready = true;
            this.lastSignOfLife = Date.now();
            this.idleAtLastCheck = worker.performance.eventLoopUtilization().idle;
            resolve(message.ports);
            break;
          case "failed":
            clearTimeout(readyTimer);
            // Keep the error's code and port: playground.ts turns EADDRINUSE on a port into advice.
            reject(Object.assign(new Error(message.error.message), message.error));
            void worker.terminate();
            break;
          case "pong":
            this.lastSignOfLife = Date.now();
            break;
          case "trace":
            this.hub.trace?.(message.line);
            break;
          case "log":
            this.hub.log(message.line);
            break;
          case "memory":
            for (const waiter of this.memoryWaiters.splice(0)) waiter(message.memory);
            break;
          case "activity": // the calls of the last 100 ms, in order (activity-bridge.ts)
            this.hub.leaked?.push(message);
            reports?.receive(message);
            break;
        }
      });
      worker.on("error", (error) => {
        // An exception the worker did not catch (its code failed to load, say); "exit" follows.
        reject(error);
        if (this.ready) this.hub.log(`playground: ${this.label} failed: ${error.stack}`);
      });
      worker.on("exit", (code) => {
        clearTimeout(readyTimer);
        reject(new Error(`${this.label} stopped while starting (exit code ${code})`)); // no-op once settled
        if (this.worker !== worker) return; // replaced or stopped on purpose
        const wasReady = this.ready;
        this.worker = undefined;
        this.ready = false;
        if (wasReady && !this.stopping) void this.restart("exited", `stopped (exit code ${code})`, this.backoff());
      });
    });
  }

  /**
   * The watchdog's tick: restart the worker if it has shown no sign of life for too long, else ping it.
   * A missing pong alone can mislead: on a machine short of CPU, or while this thread was busy
   * itself, a pong may just be late. So the worker's loop is also looked at from outside: Node
   * measures, per thread, how long its event loop has spent idle — waiting for I/O. A loop stuck in
   * one handler never gets back to waiting; a loop that was merely slow did wait in between.
   */
  check(now: number): void {
    if (!this.worker || !this.ready || this.stopping) return;
    const { idle } = this.worker.performance.eventLoopUtilization();
    if (idle > this.idleAtLastCheck) this.lastSignOfLife = Math.max(this.lastSignOfLife, now);
    this.idleAtLastCheck = idle;
    if (now - this.lastSignOfLife > this.hub.stuckAfterMs) void this.replaceStuck();
    else this.send({ type: "ping" });
  }

  send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  /** Test hook: the worker collects its garbage and answers with its memory (undefined: no answer within 5 s). */
  memory(): Promise<ThreadMemory | undefined> {
    if (!this.worker || !this.ready) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.memoryWaiters = this.memoryWaiters.filter((waiter) => waiter !== answered);
        resolve(undefined);
      }, MEMORY_TIMEOUT_MS);
      const answered = (memory: ThreadMemory | undefined) => {
        clearTimeout(timer);
        resolve(memory);
      };
      this.memoryWaiters.push(answered);
      this.send({ type: "memory" });
    });
  }

  /** Test hook: the next start's worker starts its servers but never says "ready". */
  hangNextStart(): void {
    this.neverReadyNextStart = true;
  }

  /** Closes the servers and ends the thread (terminated if it does not end within stopWithinMs, 5 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = once(worker, "exit");
    worker.postMessage({ type: "stop" } satisfies ToWorker);
    // A close() that waits for ever (a socket that never finishes closing, a stuck loop) must
    // not keep the playground from stopping: terminate() ends the thread and frees its ports.
    const timer = setTimeout(() => {
      this.hub.log(`playground: ${this.label} did not close within ${this.hub.stopWithinMs / 1000} s of "stop" — terminated it`);
      void worker.terminate();
    }, this.hub.stopWithinMs);
    await exited;
    clearTimeout(timer);
  }

  private async replaceStuck(): Promise<void> {
    const worker = this.worker!;
    this.worker = undefined;
    this.ready = false;
    await worker.terminate(); // its listening sockets close with it: the ports are free again
    await this.restart("stuck", `stopped answering for ${this.hub.stuckAfterMs / 1000} s`, 0);
  }

  /** How long to wait before restarting after a crash: 0 the first time, then 1, 2, 4 … 30 s. */
  private backoff(): number {
    this.quickCrashes = Date.now() - this.startedAt < STEADY_MS ? this.quickCrashes + 1 : 1;
    return this.quickCrashes <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (this.quickCrashes - 2));
  }

  private async restart(reason: Restart["reason"], what: string, delayMs: number): Promise<void> {
    if (delayMs > 0) await sleep(delayMs);
    if (this.stopping) return;
    try {
      await this.start();
    } catch (err) {
      // Its port taken meanwhile, or a start that hung: try again, waiting longer each time.
      this.worker = undefined;
      if (this.stopping) return; // the playground is closing: the start was cut short on purpose
      const delay = Math.max(1_000, this.backoff());
      this.hub.log(`playground: ${this.label} ${what}; starting again failed (${(err as Error).message}) — trying again in ${delay / 1000} s`);
      return this.restart(reason, what, delay);
    }
    const message = `${this.label} ${what} — restarted it`;
    this.hub.log(`playground: ${message}`);
    this.hub.restarted({ group: this.group, reason, message, at: new Date().toISOString() });
  }
}

/** The thread made last: settles once it is online (or has ended). */
let lastMade: Promise<unknown> = Promise.resolve();

/**
 * Makes a group's thread once the one made before it is online: one at a time, so that V8's
 * --initial-old-space-size, set while this one is made (initialOldSpaceMb; 0: leave V8 to size
 * the heap), reaches no other thread (see "The FTP thread's heap" at the top).
 */
function newWorker(workerData: WorkerStart, initialOldSpaceMb: number): Promise<Worker> {
  const made = lastMade.then(() => {
    const putBack = () => initialOldSpaceMb > 0 && setFlagsFromString("--initial-old-space-size=0"); // V8's default
    if (initialOldSpaceMb > 0) setFlagsFromString(`--initial-old-space-size=${initialOldSpaceMb}`);
    try {
      // execArgv []: the main thread's own flags (tsx's loader) do nothing in a worker on Node 20
      // but cost start-up time; the worker registers tsx itself (server-worker-boot.mjs).
      const worker = new Worker(BOOT, { workerData, execArgv: [] });
      // Its isolate, and so its heap, exist once it is online. A thread that fails before that
      // (start() hears its "error") ends with "exit".
      const online = new Promise((resolve) => worker.once("online", resolve).once("exit", resolve)).finally(putBack);
      return { worker, online };
    } catch (err) {
      putBack();
      throw err;
    }
  });
  lastMade = made.then(({ online }) => online).catch(() => {});
  return made.then(({ worker }) => worker);
}

/** The same group's options, with the ports one start got, for every start after it. */
function withPorts(options: GroupOptions, bound: BoundPorts): GroupOptions {
  switch (options.group) {
    case "mail":
      return { ...options, ports: { ...options.ports, ...bound } };
    case "ftp":
      return { ...options, port: bound.ftp! };
    case "news":
      return { ...options, port: bound.nntp! };
  }
}
