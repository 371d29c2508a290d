// Wrong answer: ignores "exit"
// Forgot the "exit" command — "exit" is greeted like any other name,
// and the connection stays open until the client closes it.
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { once } from "node:events";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    socket.setEncoding("utf8");
    socket.write("Welcome!\r\n");
    let unfinished = "";
    const answer = (line: string) => {
      if (line !== "") socket.write(`Hello, ${line}!\r\n`);
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
