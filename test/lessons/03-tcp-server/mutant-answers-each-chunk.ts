// Wrong answer: answers each 'data' chunk instead of each line
// Treats every 'data' chunk as one message, like the seed's
// `data = sock.recv(1024)`. Works when each name arrives in one piece; TCP never promises that.
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { once } from "node:events";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.write("Welcome!\r\n");
    socket.on("data", (chunk: Buffer) => {
      const name = chunk.toString("utf8").trim();
      if (name === "") return;
      if (name === "exit") socket.end("Bye!\r\n");
      else socket.write(`Hello, ${name}!\r\n`);
    });
  });
  server.listen(port, host);
  await once(server, "listening");
  return server;
}
