import net from "node:net";
import { once } from "node:events";
import { createInterface } from "node:readline";

export function double(n: number): number {
  return 2 * n;
}

/** Answers every line with the line in capitals, ending with "\r\n". */
export async function startShoutServer(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    const lines = createInterface({ input: socket });
    lines.on("error", () => {});
    lines.on("line", (line) => socket.write(`${line.toUpperCase()}\r\n`));
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return server;
}
