// The POP3 server under test for test/bench/pop3.ts, in its own process (so the bench's
// client and the server each get a core, and the server's memory is its own).
//
//   node --expose-gc --import tsx test/bench/pop3-server.ts <dataDir> <accounts, comma-separated>
//
// Prints "Listening on 127.0.0.1:PORT". Each line "memory" on stdin is answered with one JSON
// line: the heap after a full garbage collection, and the peak resident set size so far.

import { createInterface } from "node:readline";
import { join } from "node:path";
import { startPop3Server } from "../../servers/mail/pop3.ts";
import { ensureCertificate } from "../../servers/tls.ts";

const [dataDir, addresses] = process.argv.slice(2);
const server = await startPop3Server({
  host: "127.0.0.1",
  port: 0,
  tls: await ensureCertificate(dataDir),
  mailRoot: join(dataDir, "mail"),
  accounts: addresses.split(",").map((address) => ({ address, password: "secret" })),
});
console.log(`Listening on 127.0.0.1:${server.port}`);

const gc = (globalThis as { gc?: () => void }).gc;
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== "memory") continue;
  gc?.();
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  console.log(JSON.stringify({ heapUsed, rss, maxRss: process.resourceUsage().maxRSS * 1024, gc: Boolean(gc) }));
}
await server.close();
