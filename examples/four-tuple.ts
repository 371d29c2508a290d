// What is a connection? Four numbers: (client address, client port, server address, server port).
//   npx tsx examples/four-tuple.ts
// This program is both server and client: it listens on a port the system picks,
// connects to itself twice, and prints each connection's 4-tuple from both ends.

import net from "node:net";
import dns from "node:dns/promises";
import { once } from "node:events";
import { readFileSync } from "node:fs";

// Names are for people; sockets need addresses. "localhost" usually means both
// 127.0.0.1 (IPv4) and ::1 (IPv6) — the loopback interface, which never leaves this machine.
const addresses = await dns.lookup("localhost", { all: true });
console.log("localhost is:", addresses.map((a) => `${a.address} (IPv${a.family})`).join(", "));

// #region listen
// Port 0 means "any free port": the operating system picks one and address() tells us.
const server = net.createServer();
server.listen(0, "127.0.0.1");
await once(server, "listening");
const { address, port } = server.address() as net.AddressInfo;
console.log(`Listening on ${address}:${port}`);
// #endregion listen

// #region tuples
server.on("connection", (socket) => {
  console.log(`  server sees: local ${socket.localAddress}:${socket.localPort}  remote ${socket.remoteAddress}:${socket.remotePort}`);
});

for (const name of ["first", "second"]) {
  const client = net.connect(port, "127.0.0.1");
  await once(client, "connect");
  // The client never chose its port: the system gave it an "ephemeral" one.
  console.log(`${name} connection — client sees: local ${client.localAddress}:${client.localPort}  remote ${client.remoteAddress}:${client.remotePort}`);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the server print its side
  client.end();
}
// #endregion tuples

// Which ports does this system hand out as ephemeral ones? (Linux keeps it in /proc.)
try {
  const range = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
  console.log(`Ephemeral (client) ports on this Linux system: ${range[0]}–${range[1]}`);
} catch {
  console.log("Ephemeral port range: see your system's settings (IANA suggests 49152–65535)");
}

// Two servers cannot listen on the same address and port: the 4-tuples would be ambiguous.
const second = net.createServer();
second.listen(port, "127.0.0.1");
const [err] = (await once(second, "error")) as [NodeJS.ErrnoException];
console.log(`A second server on port ${port}: ${err.code} (${err.message})`);

server.close();
