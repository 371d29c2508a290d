// npx tsx test/bench/console-store.ts [messages]   — default 60,000
//
// What the console's store costs the main thread per SMTP message, in one process (no sockets,
// no worker): the blocks of lines one 2 KB message makes (servers/activity-bridge.ts — MAIL, RCPT,
// DATA; their replies; 34 body lines, 22 of them inside the fold; the fold's summary and the 250)
// are packed and structured-cloned, as a message from the mail worker arrives, unpacked and handed to reportActivity()
// on a SessionStore, 50 messages per session, the store at its 4 MB budget most of the time.
// Printed: CPU per message for the clone alone, and for the clone + the store (with no page open,
// and with a listener as an open page has); the difference is the store's part, GC included.
// A diagnostic for issue 16 (the console costs ≤ 10%), not part of `npm run bench`.

import { reportActivity, unpack, type ActivityMessage } from "../../servers/activity-bridge.ts";
import { SessionStore } from "../../servers/console/sessions.ts";

const messages = Number(process.argv[2] ?? 60_000);
const at = new Date().toISOString();

/** A block of lines as the messenger packs it (servers/activity-bridge.ts, ActivityMessage). */
function block(id: string, sides: string, texts: string[], folds: string): unknown[] {
  return ["lines", id, at, sides, texts.join("\n"), folds, ...texts.map((text) => text.length)];
}

const body = Array.from({ length: 34 }, (_, i) => `${i % 5 === 0 ? "." : ""}Lorem ipsum dolor sit amet, consectetur adipiscing elit ${i}\\r\\n`);
function messageCalls(id: string, n: number): ActivityMessage {
  const calls = [
    block(id, "CCC", ["MAIL FROM:<me@example.com>\\r\\n", "RCPT TO:<me@example.com>\\r\\n", "DATA\\r\\n"], "---"),
    block(id, "SSS", ["250 Accepted\\r\\n", "250 Accepted\\r\\n", "354 End data with <CR><LF>.<CR><LF>\\r\\n"], "---"),
    block(id, "C".repeat(34), body.map((text) => text + n), "-".repeat(12) + "i".repeat(22)),
    block(id, "CS", ["… 22 more lines (1400 bytes) not shown", `250 OK: queued as ${n}\\r\\n`], "s-"),
  ];
  return { type: "activity", calls: calls.flat() };
}

/** CPU µs per message of cloning the calls and (unless `cloneOnly`) reporting them to a fresh store. */
function run(cloneOnly: boolean, listening: boolean): number {
  const store = new SessionStore();
  if (listening) store.subscribe(() => {});
  let used = 0;
  // The messages are made 500 at a time before the clock runs: only the copy and the store are timed.
  for (let first = 0; first < messages; first += 500) {
    const made = Array.from({ length: Math.min(500, messages - first) }, (_, k) => messageCalls(`s${Math.floor((first + k) / 50)}`, first + k));
    const start = process.cpuUsage();
    for (let m = first; m < first + made.length; m++) {
      const id = `s${Math.floor(m / 50)}`;
      if (m % 50 === 0) store.sessionOpened({ id, protocol: "smtp", port: 1, client: "127.0.0.1:1", tls: false, started: at });
      const calls = unpack(structuredClone(made[m - first]!)); // as the worker's message arrives
      if (!cloneOnly) for (const call of calls) reportActivity(store, call);
    }
    const { user, system } = process.cpuUsage(start);
    used += user + system;
  }
  return used / messages;
}

run(false, false); // warm up
const clone = run(true, false);
const stored = run(false, false);
const listened = run(false, true);
console.log(`${messages} SMTP messages (40 lines each) into the console's store, CPU per message:`);
console.log(`  clone only ${clone.toFixed(1)} µs; clone + store ${stored.toFixed(1)} µs (the store: ${(stored - clone).toFixed(1)} µs); with a listener ${listened.toFixed(1)} µs (${(listened - clone).toFixed(1)} µs)`);
