// Wrong answer: uses readline but leaves the interface's 'error' unhandled
// Reads lines with node:readline and handles 'error' on the socket — but
// readline passes the socket's errors on to the interface, where nobody listens for them.
// A client that resets the connection still crashes the server.
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {}); // looks safe…
    socket.write("Welcome!\r\n");
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    // …but `lines.on("error", ...)` is missing.
    lines.on("line", (line) => {
      if (socket.writableEnded || line === "") return;
      if (line === "exit") socket.end("Bye!\r\n");
      else socket.write(`Hello, ${line}!\r\n`);
    });
    lines.on("close", () => socket.end());
  });
  server.listen(port, host);
  await once(server, "listening");
  return server;
}
