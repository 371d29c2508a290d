// A relay that counts connections for the lesson 12 checks: put it in front of a server,
// connect through it, and ask how many connections the client has not closed yet — the
// check that a failed login (530) closes its control connection.
import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

export interface ConnectionCounter {
  port: number;
  /** Waits up to `ms` for the client to close every connection; how many are still open. */
  stillOpen(ms: number): Promise<number>;
  close(): Promise<void>;
}

export async function startConnectionCounter(targetPort: number): Promise<ConnectionCounter> {
  let open = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open++;
    let counted = true;
    const closed = () => {
      if (counted) open--;
      counted = false;
    };
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.on("end", closed); // the client's FIN
    client.on("close", () => {
      closed();
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy()); // the server gave up: not the client's doing
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    async stillOpen(ms) {
      const deadline = Date.now() + ms;
      while (open > 0 && Date.now() < deadline) await sleep(20);
      return open;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
