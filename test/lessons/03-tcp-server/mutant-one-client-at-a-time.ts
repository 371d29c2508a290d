// Wrong answer: serves one client at a time, like tsTserv.py's accept loop
// A literal translation of tsTserv.py's loops — accept a client, serve it
// until it leaves, only then accept the next. Correct for one client; everyone else waits.
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { on, once } from "node:events";
import { createInterface } from "node:readline";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(port, host);
  await once(server, "listening");
  void acceptLoop(server);
  return server;
}

async function acceptLoop(server: net.Server): Promise<void> {
  for await (const [socket] of on(server, "connection") as AsyncIterable<[net.Socket]>) {
    await serve(socket); // the mistake: the loop waits here until this client is gone
  }
}

async function serve(socket: net.Socket): Promise<void> {
  socket.on("error", () => {});
  socket.write("Welcome!\r\n");
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on("error", () => {});
  for await (const line of lines) {
    if (line === "") continue;
    if (line === "exit") {
      socket.end("Bye!\r\n");
      break;
    }
    socket.write(`Hello, ${line}!\r\n`);
  }
  socket.end();
  if (!socket.closed) await once(socket, "close");
}
