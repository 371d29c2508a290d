// The IMAP server under test for test/bench/imap.ts, in its own process (so the bench's client
// and the server each get a core, and the server's memory is its own). It is the whole mail
// system, as `npm start` runs it, so that the IDLE measurement can deliver by SMTP.
//
//   node --expose-gc --import tsx test/bench/imap-server.ts <dataDir> <accounts, comma-separated>
//
// Prints "Listening on 127.0.0.1:IMAP_PORT submission SUBMISSION_PORT". Each line "memory" on
// stdin is answered with one JSON line (see probed-server.ts).

import { startMailSystem } from "../../servers/mail/index.ts";
import { answerMemoryProbes } from "./probed-server.ts";

const [dataDir, addresses] = process.argv.slice(2);
const system = await startMailSystem({
  dataDir,
  ports: { submission: 0, mx: 0, smtps: 0, pop3: 0, pop3s: 0, imap: 0, imaps: 0 },
  accounts: addresses.split(",").map((address) => ({ address, password: "secret" })),
  seed: false,
  fsync: false,
});
console.log(`Listening on 127.0.0.1:${system.ports.imap} submission ${system.ports.submission}`);

await answerMemoryProbes();
await system.close();
