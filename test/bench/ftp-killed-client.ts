// What a client killed with kill -9 in the middle of an upload looks like to the server, on
// loopback: does each of its two connections end with FIN (an ordinary end of stream) or RST
// (ECONNRESET), which one ends first, and how long after the first the second. Behind the wait
// that every STOR waits before its 226 (UPLOAD_SETTLE_MS in servers/ftp/adapter.ts). Usage:
//   npx tsx test/bench/ftp-killed-client.ts [times]     (default 50)
//   npx tsx test/bench/ftp-killed-client.ts --ftp [times]
// The second form kills real FTP clients mid-STOR against the playground's FTP server (in this
// process) and counts the partial uploads it kept: it must keep none. Run it beside busy loops
// (`for i in 1 2 3 4 5 6 7 8; do timeout 120 sh -c 'while :; do :; done' & done`) to see the wait
// grow with the load.
//
// The client, a process of its own, opens a "control" connection, then a "data" connection,
// sends 200,000 bytes on the data one (as ftp-upload-and-hang.ts does mid-STOR), and is killed.
// On Linux a dying process's sockets are closed by the kernel like close(): FIN when nothing
// unread is waiting in them (RST only when received bytes were left unread), so the data
// connection's end looks exactly like the end of a complete file. Only the control connection,
// ending too, tells a dead client from one waiting for its 226 — and it ends a little later.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFtpServer } from "../../servers/ftp/server.ts";

const ftpMode = process.argv[2] === "--ftp";
const times = Number(process.argv[ftpMode ? 3 : 2] ?? 50);
if (!Number.isInteger(times) || times < 1) {
  console.error("usage: ftp-killed-client.ts [--ftp] [times]");
  process.exit(2);
}
if (ftpMode) {
  await killFtpClients(times);
  process.exit(0);
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

/** --ftp: kill `times` clients mid-STOR; every partial upload the server kept is a failure. */
async function killFtpClients(times: number): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "ftp-killed-"));
  let closed = 0;
  const server = await startFtpServer({ port: 0, dataDir, trace: (line) => line.endsWith("[connection closed]") && closed++ });
  const home = join(dataDir, "ftp", "home", "me");
  const loads: number[] = [];
  let kept = 0;
  const waits: number[] = [];
  for (let time = 0; time < times; time++) {
    const name = `killed-${time}.bin`;
    const closedBefore = closed;
    // The kill -9 test's own client (a Node process with tsx, several threads). A plain `node -e`
    // client shows a gap between its two closes far less often under load.
    const child = spawn(process.execPath, ["--import", "tsx", "test/servers/ftp-upload-and-hang.ts", String(server.port), name, "200000"]);
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    while (!output.includes("sent")) {
      const [chunk] = await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [null])]);
      if (chunk === null) throw new Error(`client ${time} exited: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // the server has read the bytes
    child.kill("SIGKILL");
    await once(child, "exit");
    loads.push(Number(readFileSync("/proc/loadavg", "latin1").split(" ")[0]));
    while (closed === closedBefore || readdirSync(home).some((file) => file.startsWith("."))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (readdirSync(home).includes(name)) kept++;
    waits.push(await liveUpload(server.port, `live-${time}.bin`));
  }
  await server.close();
  loads.sort((a, b) => a - b);
  waits.sort((a, b) => a - b);
  console.log(`${times} FTP clients killed mid-STOR: ${kept} partial uploads kept (must be 0); load average ${loads[0]}–${loads.at(-1)}`);
  const at = (share: number) => waits[Math.min(waits.length - 1, Math.floor(waits.length * share))].toFixed(0);
  console.log(`a live client's STOR, data connection's end to 226 (ms): median ${at(0.5)}, 90% ${at(0.9)}, max ${at(1)}`);
  if (kept > 0) process.exitCode = 1;
}

/** One live upload of 200,000 bytes; resolves with the time from the data connection's end to the 226. */
async function liveUpload(port: number, name: string): Promise<number> {
  const control = connect(port, "127.0.0.1");
  let replies = "";
  control.setEncoding("utf8");
  control.on("data", (text: string) => (replies += text));
  const reply = async (code: string) => {
    const line = new RegExp(`^${code} .*\\r\\n`, "m");
    while (!line.test(replies)) await once(control, "data");
    const found = line.exec(replies)![0];
    replies = replies.slice(replies.indexOf(found) + found.length);
    return found;
  };
  await reply("220");
  control.write("USER me\r\nPASS secret\r\nTYPE I\r\nEPSV\r\n");
  const data = connect(Number(/\|\|\|(\d+)\|/.exec(await reply("229"))![1]), "127.0.0.1");
  await once(data, "connect");
  control.write(`STOR ${name}\r\n`);
  await reply("150");
  await new Promise<void>((resolve) => data.end(Buffer.alloc(200_000, 120), resolve));
  const ended = performance.now();
  await reply("226");
  const waited = performance.now() - ended;
  control.end("QUIT\r\n");
  await once(control, "close");
  return waited;
}
