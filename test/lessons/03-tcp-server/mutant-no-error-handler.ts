// Wrong answer: has no 'error' listener on the client socket
// The reference solution without `socket.on("error", ...)`. Fine until a
// client resets the connection: the unhandled 'error' event then kills the whole server.
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { once } from "node:events";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.setEncoding("utf8");
    socket.write("Welcome!\r\n");
    let unfinished = "";
    const answer = (line: string) => {
      if (socket.writableEnded || line === "") return;
      if (line === "exit") socket.end("Bye!\r\n");
      else socket.write(`Hello, ${line}!\r\n`);
    };
    socket.on("data", (text: string) => {
      unfinished += text;
      let newline: number;
      while ((newline = unfinished.indexOf("\n")) !== -1) {
        answer(unfinished.slice(0, newline).replace(/\r$/, ""));
        unfinished = unfinished.slice(newline + 1);
      }
    });
    socket.on("end", () => {
      if (unfinished !== "") answer(unfinished.replace(/\r$/, ""));
      socket.end();
    });
  });
  server.listen(port, host);
  await once(server, "listening");
  return server;
}
