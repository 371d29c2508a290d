// The mail system under test for test/bench/smtp.ts, in its own process (so the bench's client
// and the servers each get a core, and the servers' memory is their own).
//
//   node --expose-gc --import tsx test/bench/smtp-server.ts <dataDir> <fsync: on|off>
//
// No console here: the console's rows run the whole playground as npm start does
// (test/bench/playground-server.ts).
//
// Prints "Listening on 127.0.0.1:PORT" (the submission port). Each line "memory" on stdin is
// answered with one JSON line: the heap after a full garbage collection and the RSS.

import { createInterface } from "node:readline";
import { startMailSystem } from "../../servers/mail/index.ts";

const [dataDir, fsync] = process.argv.slice(2);
const mail = await startMailSystem({
  dataDir,
  seed: false,
  fsync: fsync !== "off",
  ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 },
});
console.log(`Listening on 127.0.0.1:${mail.ports.submission}`);

const gc = (globalThis as { gc?: () => void }).gc;
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "memory") continue;
  gc?.();
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  console.log(JSON.stringify({ heapUsed, rss, gc: Boolean(gc) }));
}
await mail.close();
