// The POP3 server under test for test/bench/pop3.ts, in its own process (so the bench's
// client and the server each get a core, and the server's memory is its own).
//
//   node --expose-gc --import tsx test/bench/pop3-server.ts <dataDir> <accounts, comma-separated>
//
// Prints "Listening on 127.0.0.1:PORT". Each line "memory" on stdin is answered with one JSON
// line: the heap after a full garbage collection, and the peak resident set size so far.

import { join } from "node:path";
import { startPop3Server } from "../../servers/mail/pop3.ts";
import { ensureCertificate } from "../../servers/tls.ts";
import { answerMemoryProbes } from "./probed-server.ts";

const [dataDir, addresses] = process.argv.slice(2);
const server = await startPop3Server({
  host: "127.0.0.1",
  port: 0,
  tls: await ensureCertificate(dataDir),
  mailRoot: join(dataDir, "mail"),
  accounts: addresses.split(",").map((address) => ({ address, password: "secret" })),
});
console.log(`Listening on 127.0.0.1:${server.port}`);

await answerMemoryProbes();
await server.close();
