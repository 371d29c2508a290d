// What the playground's supervisor (supervisor.ts, the main thread) and a server worker
// (server-worker.ts, one worker thread per group of servers) say to each other.
//
// Two threads share no objects: everything below crosses as a message, copied by the
// structured-clone algorithm — plain data only (no functions, no sockets, no class instances).
// That is why a worker gets "trace: true" instead of a trace function, and sends every trace
// line and every activity report back as a message.

import type { ActivityMessage } from "./activity-bridge.ts";
import type { FtpAccount } from "./ftp/server.ts";
import type { MailAccount } from "./mail/accounts.ts";
import type { MailPorts } from "./mail/index.ts";
import type { ThreadMemory } from "./memory-probe.ts";
import type { NewsAccount } from "./news/index.ts";

/** The groups that each run on their own event loop. */
export type GroupName = "mail" | "ftp" | "news";

/** How to start one group: the options its start function takes, minus the functions. */
export type GroupOptions =
  // The seven mail listeners share one Maildir and in-memory state (IMAP IDLE hears of each
  // delivery), so they are one group, on one loop.
  | { group: "mail"; host: string; dataDir: string; accounts: MailAccount[]; fsync?: boolean; ports: MailPorts }
  | { group: "ftp"; host: string; dataDir: string; accounts: FtpAccount[]; port: number; passivePorts?: { min: number; max: number }; tls: { key: string; cert: string } }
  | { group: "news"; host: string; dataDir: string; accounts: NewsAccount[]; port: number; tls: { key: string; cert: string } };

/** The worker's workerData. */
export interface WorkerStart {
  options: GroupOptions;
  /** Send every C:/S: line back (npm start -- --trace). */
  trace: boolean;
  /** Send every activity report back (someone watches: the console). */
  activity: boolean;
  /** Shared memory for the sessions' raw bytes on their way to the supervisor (activity-bridge.ts: newRing). */
  ring?: SharedArrayBuffer;
  /** Test hook (the supervisor's testHooks.hangNextStart): start the servers, never say "ready". */
  neverReady?: boolean;
}

/** The ports a group really listens on, by name: mail's submission, mx, …; "ftp"; "nntp". */
export type BoundPorts = Record<string, number>;

/** Supervisor → worker. */
export type ToWorker =
  | { type: "ping" }
  | { type: "stop" }
  // Test hooks (test/servers/playground-isolation.test.ts): only code in the supervisor's
  // process can send these; nothing a network client says reaches them.
  | { type: "stall"; ms: number }
  | { type: "crash" }
  | { type: "throwUncaught" }
  | { type: "rejectUnhandled" }
  | { type: "hangOnStop" }
  // Test hooks of the class simulation (test/soak/class.ts): a full GC, then this thread's memory;
  // and a leak made on purpose (every activity message kept), to show its check catches one.
  | { type: "memory" }
  | { type: "leak" };

/** Worker → supervisor. */
export type FromWorker =
  | { type: "ready"; ports: BoundPorts }
  | { type: "failed"; error: { message: string; code?: string; port?: number } }
  | { type: "pong" }
  | { type: "trace"; line: string }
  // A line for the playground's output (the supervisor's log): an error the worker caught and lived on.
  | { type: "log"; line: string }
  // The answer to "memory".
  | { type: "memory"; memory: ThreadMemory }
  | ActivityMessage;
