// Run by ftp-server.test.ts as its own process: start the FTP server, let a client log in,
// list and leave, then close() — the process must then end by itself, at once. (ftp-srv
// starts a timer each time a client leaves; with a long timeout that timer kept the
// process alive for minutes after close().)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "basic-ftp";
import { startFtpServer } from "../../servers/ftp/server.ts";

const ftp = await startFtpServer({ dataDir: mkdtempSync(join(tmpdir(), "ftp-close-")), port: 0, bigFileBytes: 1000 });
const client = new Client();
await client.access({ host: "127.0.0.1", port: ftp.port, user: "anonymous", password: "learner@example.com" });
await client.list();
client.close();
await new Promise((resolve) => setTimeout(resolve, 200)); // the server sees the client leave
await ftp.close();
console.log("closed");
