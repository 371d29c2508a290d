// Wrong answer: forgets the last line when the client half-closes before its "\n"
// When the client half-closes, whatever came after the last "\n" is
// dropped — the client said "Cid" and then FIN, and never hears "Hello, Cid!".
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { once } from "node:events";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    socket.setEncoding("utf8");
    socket.write("Welcome!\r\n");
    let unfinished = "";
    socket.on("data", (text: string) => {
      unfinished += text;
      let newline: number;
      while ((newline = unfinished.indexOf("\n")) !== -1) {
        const line = unfinished.slice(0, newline).replace(/\r$/, "");
        unfinished = unfinished.slice(newline + 1);
        if (socket.writableEnded || line === "") continue;
        if (line === "exit") socket.end("Bye!\r\n");
        else socket.write(`Hello, ${line}!\r\n`);
      }
    });
    socket.on("end", () => socket.end()); // the mistake: `unfinished` is thrown away
  });
  server.listen(port, host);
  await once(server, "listening");
  return server;
}
