// Backpressure: what it means when write() returns false, and why you wait for 'drain'.
//   npx tsx examples/backpressure.ts          both runs, one after the other
//   npx tsx examples/backpressure.ts ignore   only the writer that ignores write()'s answer
//   npx tsx examples/backpressure.ts drain    only the writer that waits for 'drain'
// One process plays both sides over loopback: a reader that takes a short pause after
// every chunk it reads, and a writer with 16 MiB to send in 8 KiB pieces. (The kernel
// buffers a few MiB on its own, so it takes a lot of data to see Node's buffer grow.)

import net from "node:net";
import { once } from "node:events";

const PIECE = 8 * 1024;
const PIECES = 2048; // 16 MiB in all
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/** A server that reads slower than we write: after every chunk it stops reading for 1 ms. */
async function startSlowReader(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on("data", () => {
      socket.pause(); // while paused, the kernel's buffers fill and TCP tells the sender to wait
      setTimeout(() => socket.resume(), 1);
    });
    socket.on("end", () => socket.end());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return server;
}

// #region ignore
function ignoreBackpressure(socket: net.Socket): void {
  let falses = 0;
  for (let i = 1; i <= PIECES; i++) {
    const accepted = socket.write(Buffer.alloc(PIECE));
    if (!accepted && falses++ === 0) console.log(`  write() ${i} returned false — and we write on anyway`);
    if (i % 512 === 0) console.log(`  after ${i} writes: writableLength = ${mib(socket.writableLength)} waiting in our memory`);
  }
  console.log(`  write() returned false ${falses} times; every piece not yet sent is held in this process.`);
  console.log("  With an endless source (a big file, a camera) this grows until the process runs out of memory.");
}
// #endregion ignore

// #region drain
async function respectBackpressure(socket: net.Socket): Promise<void> {
  let falses = 0;
  let peak = 0;
  for (let i = 1; i <= PIECES; i++) {
    const accepted = socket.write(Buffer.alloc(PIECE));
    peak = Math.max(peak, socket.writableLength);
    if (!accepted) {
      // false: "my buffer is over its limit, stop until I say 'drain'". The piece is
      // queued all the same; what we must not do is queue the next one.
      falses++;
      if (falses === 1) console.log(`  write() ${i} returned false — waiting for 'drain'`);
      await once(socket, "drain");
      if (falses === 1) console.log(`  'drain' fired: writableLength = ${mib(socket.writableLength)}, writing again`);
    }
  }
  console.log(`  write() returned false ${falses} times and we waited for 'drain' each time.`);
  console.log(`  The most ever waiting in our memory: ${mib(peak)}.`);
}
// #endregion drain

async function run(title: string, write: (socket: net.Socket) => void | Promise<void>): Promise<void> {
  console.log(title);
  const server = await startSlowReader();
  const socket = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await once(socket, "connect");
  await write(socket);
  socket.resume(); // the reader sends nothing back but its FIN; read it so the connection can close
  const closed = once(socket, "close");
  socket.end(); // FIN after the last queued byte
  console.log(`  done writing; ${mib(socket.writableLength)} still waiting in our memory for the slow reader`);
  await closed;
  server.close();
  console.log(`  all ${mib(PIECE * PIECES)} delivered.\n`);
}

const mode = process.argv[2] ?? "both";
if (!["both", "ignore", "drain"].includes(mode)) {
  console.error(`unknown mode "${mode}": use ignore, drain, or nothing for both`);
  process.exit(1);
}
if (mode !== "drain") await run("Ignoring write()'s return value:", ignoreBackpressure);
if (mode !== "ignore") await run("Waiting for 'drain' whenever write() returns false:", respectBackpressure);
