// The FTP bench's second reference: the least FTP a Node server can speak for the bench client
// (USER, PASS, TYPE, ALLO, EPSV, RETR, STOR, QUIT — no checks, no sandbox, one folder), moving bytes
// with plain Node streams: a file read in 1 MiB pieces piped into the data socket (RETR), the
// data socket piped into a file (STOR). Its speed is roughly the most a Node FTP server can
// reach on this machine; the playground (ftp-srv) is measured against it. It does the same disk
// work for an upload as the playground: into a temporary file, renamed onto the real name before
// the 226 (no fsync in either). What it leaves out is the playground's checks: the sandbox, the
// size cap, and the wait (8 ms or more) that keeps a killed client's upload out (servers/ftp/adapter.ts). Usage:
//   node --import tsx test/bench/ftp-minimal-node-server.ts <folder>
// Prints "Listening on 127.0.0.1:PORT".

import { createReadStream, createWriteStream, rename } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { join } from "node:path";

const root = process.argv[2];
if (!root) {
  console.error("usage: ftp-minimal-node-server.ts <folder>");
  process.exit(2);
}

let uploads = 0;
const server = createServer((control) => {
  let dataSocket: Promise<Socket> | null = null;
  let pending = "";
  control.on("error", () => {});
  control.setNoDelay(true); // as the playground: a 226 right after a 150 must not wait for an ACK (Nagle)
  control.write("220 minimal\r\n");
  control.on("data", (chunk) => {
    pending += chunk.toString("latin1");
    for (let end = pending.indexOf("\r\n"); end !== -1; end = pending.indexOf("\r\n")) {
      const [verb, ...rest] = pending.slice(0, end).split(" ");
      pending = pending.slice(end + 2);
      const arg = rest.join(" ");
      if (verb === "USER") control.write("331 password\r\n");
      else if (verb === "PASS") control.write("230 in\r\n");
      else if (verb === "TYPE") control.write("200 ok\r\n");
      else if (verb === "ALLO") control.write("202 not needed\r\n");
      else if (verb === "QUIT") control.end("221 bye\r\n");
      else if (verb === "EPSV") {
        const listener = createServer();
        dataSocket = new Promise((resolve) => listener.once("connection", (socket) => (listener.close(), resolve(socket))));
        listener.listen(0, "127.0.0.1", () => control.write(`229 ok (|||${(listener.address() as AddressInfo).port}|)\r\n`));
      } else if ((verb === "RETR" || verb === "STOR") && dataSocket) {
        const connected = dataSocket;
        dataSocket = null;
        void connected.then((socket) => {
          control.write("150 go\r\n");
          const done = () => control.write("226 done\r\n");
          if (verb === "RETR") createReadStream(join(root, arg), { highWaterMark: 1024 * 1024 }).pipe(socket).on("close", done);
          else {
            const temp = join(root, `.upload-${process.pid}-${++uploads}.part`);
            socket.pipe(createWriteStream(temp, { highWaterMark: 1024 * 1024 })).on("close", () => rename(temp, join(root, arg), done)); // written, then in place
          }
        });
      } else control.write("502 not here\r\n");
    }
  });
});
server.listen(0, "127.0.0.1", () => console.log(`Listening on 127.0.0.1:${(server.address() as AddressInfo).port}`));
process.once("SIGINT", () => process.exit(0));
process.once("SIGTERM", () => process.exit(0));
