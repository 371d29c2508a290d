// Wrong answer: decodes each chunk on its own (breaks a UTF-8 character cut in two)
// Splits lines correctly, but turns each chunk into text on its own.
// When a 3-byte character like 张 is cut between two chunks, both halves become "\ufffd".
export * from "../../../lessons/03-tcp-server/solution.ts";
import net from "node:net";
import { once } from "node:events";

export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    socket.write("Welcome!\r\n");
    let unfinished = "";
    const answer = (line: string) => {
      if (socket.writableEnded || line === "") return;
      if (line === "exit") socket.end("Bye!\r\n");
      else socket.write(`Hello, ${line}!\r\n`);
    };
    socket.on("data", (chunk: Buffer) => {
      unfinished += chunk.toString("utf8"); // the mistake: no setEncoding, no StringDecoder
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
