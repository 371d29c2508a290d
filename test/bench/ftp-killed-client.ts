// What a client killed with kill -9 in the middle of an upload looks like to the server, on
// loopback: does each of its two connections end with FIN (an ordinary end of stream) or RST
// (ECONNRESET), which one ends first, and how long after the first the second. Behind the 30 ms
// that every STOR waits before its 226 (UPLOAD_SETTLE_MS in servers/ftp/adapter.ts). Usage:
//   npx tsx test/bench/ftp-killed-client.ts [times]     (default 50)
//
// The client, a process of its own, opens a "control" connection, then a "data" connection,
// sends 200,000 bytes on the data one (as ftp-upload-and-hang.ts does mid-STOR), and is killed.
// On Linux a dying process's sockets are closed by the kernel like close(): FIN when nothing
// unread is waiting in them (RST only when received bytes were left unread), so the data
// connection's end looks exactly like the end of a complete file. Only the control connection,
// ending too, tells a dead client from one waiting for its 226 — and it ends a little later.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";

const times = Number(process.argv[2] ?? 50);
if (!Number.isInteger(times) || times < 1) {
  console.error("usage: ftp-killed-client.ts [times]");
  process.exit(2);
}

/** The client: control first, then data (a higher descriptor), bytes on data, "sent", then it waits to be killed. */
const client = (port: number) => `
  const net = require("node:net");
  const control = net.connect(${port}, "127.0.0.1", () => {
    const data = net.connect(${port}, "127.0.0.1", () => {
      control.write("STOR x\\r\\n");
      data.write(Buffer.alloc(200000, 120), () => console.log("sent"));
    });
  });
  setInterval(() => {}, 60000);`;

interface End {
  how: string; // "FIN" or the error code (ECONNRESET: RST)
  at: number;
}

const seen: { data: End; control: End }[] = [];
for (let time = 0; time < times; time++) {
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const ends: Partial<Record<"control" | "data", End>> = {};
  let accepted = 0;
  const bothEnded = new Promise<void>((resolve) => {
    server.on("connection", (socket: Socket) => {
      const role = accepted++ === 0 ? "control" : "data";
      const ended = (how: string) => {
        ends[role] ??= { how, at: performance.now() };
        if (ends.control && ends.data) resolve();
      };
      socket.resume(); // read everything, as the server's upload does
      socket.on("end", () => ended("FIN"));
      socket.on("error", (err: NodeJS.ErrnoException) => ended(err.code ?? err.message));
    });
  });
  const child = spawn(process.execPath, ["-e", client((server.address() as AddressInfo).port)]);
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  while (!output.includes("sent")) await once(child.stdout, "data");
  await new Promise((resolve) => setTimeout(resolve, 20)); // the server has read the bytes
  child.kill("SIGKILL");
  await bothEnded;
  seen.push({ data: ends.data!, control: ends.control! });
  server.close();
}

const kinds = new Map<string, number>();
for (const { data, control } of seen) {
  const kind = `data ${data.how}, control ${control.how}`;
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
}
const gaps = seen.map(({ data, control }) => control.at - data.at).sort((a, b) => a - b);
const at = (share: number) => gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * share))].toFixed(2);
console.log(`${times} clients killed mid-upload: ` + [...kinds].map(([kind, count]) => `${kind}: ${count}`).join("; "));
console.log(`control ended after data by (ms): min ${at(0)}, median ${at(0.5)}, 90% ${at(0.9)}, max ${at(1)} (negative: control first)`);
