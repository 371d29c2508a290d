// The playground FTP server as the bench runs it: its own process, port 0, no trace,
// no sample content (the bench brings its own file). Usage:
//   node --import tsx test/bench/ftp-playground-server.ts <data dir>
// Prints "Listening on 127.0.0.1:PORT" like the examples do.

import { startFtpServer } from "../../servers/ftp/server.ts";

const dataDir = process.argv[2];
if (!dataDir) {
  console.error("usage: ftp-playground-server.ts <data dir>");
  process.exit(2);
}
// The bench logs in 300 clients at once from one address: above the playground's caps
// (32 per address, 256 in all), which would answer the rest with 421.
const server = await startFtpServer({
  port: 0,
  dataDir,
  seed: false,
  maxUploadBytes: 1024 * 1024 * 1024,
  maxConnections: 1000,
  maxConnectionsPerAddress: 1000,
});
console.log(`Listening on 127.0.0.1:${server.port}`);
// ftp-srv's own SIGINT handler is removed by startFtpServer: this one closes cleanly.
process.once("SIGINT", () => void server.close().then(() => process.exit(0)));
process.once("SIGTERM", () => void server.close().then(() => process.exit(0)));
