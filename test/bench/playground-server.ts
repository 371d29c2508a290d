// The playground as `npm start` runs it, for the console rows of test/bench/smtp.ts and pop3.ts:
// the supervisor (servers/supervisor.ts) on the main thread with the HTTP server and the
// console's session store, the mail system on a worker thread, every report crossing to the
// main thread as a message. Every port is 0 (any free port).
//
//   node --import tsx test/bench/playground-server.ts <dataDir> <accounts, comma-separated> <console|none> <fsync: on|off>
//
// "console": the console as npm start makes it (servers/console/, recording every session; a
// bench that also wants it streaming opens GET /console/api/events itself, as a page would).
// "none": the same playground with no activity at all — the base the console is compared with.
// Every account's password is "secret". Prints one JSON line: the ports ({ smtp, pop3, http }).
// Stops when its stdin closes.

import { createInterface } from "node:readline";
import { createConsole } from "../../servers/console/index.ts";
import { startPlayground } from "../../servers/supervisor.ts";

const [dataDir, addresses, mode, fsync] = process.argv.slice(2);
const console_ = mode === "console" ? createConsole({ dataDir }, { open: true }) : undefined;
const playground = await startPlayground({
  host: "127.0.0.1",
  dataDir,
  ports: { http: 0, smtp: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0, ftp: 0, nntp: 0 },
  mailAccounts: addresses.split(",").map((address) => ({ address, password: "secret" })),
  ftpAccounts: [],
  newsAccounts: [],
  fsync: fsync !== "off",
  console: console_?.handle,
  activity: console_?.activity,
  log: (line) => console.error(line),
});
const { smtp, pop3, http } = playground.ports;
console.log(JSON.stringify({ smtp, pop3, http }));

for await (const _line of createInterface({ input: process.stdin }));
await playground.close();
