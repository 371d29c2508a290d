// Lesson 03 — reference solution. Same exports as exercise.ts.

import net from "node:net";
import { once } from "node:events";

/**
 * The greeting server, a line protocol:
 *   on connect      → "Welcome!\r\n"
 *   "<name>\n"      → "Hello, <name>!\r\n"   ("\r\n" from the client works too)
 *   "\n" (blank)    → no answer
 *   "exit\n"        → "Bye!\r\n", then the server ends the connection
 * When the client half-closes, a last line without "\n" is still answered, then the server ends too.
 */
export async function startGreetingServer(port: number, host = "127.0.0.1"): Promise<net.Server> {
  // allowHalfOpen: when the client sends FIN ("I am done sending"), Node leaves OUR side
  // open; we end it ourselves once every answer is written.
  const server = net.createServer({ allowHalfOpen: true }, greet);
  server.listen(port, host);
  await once(server, "listening");
  return server;
}

// Runs once per accepted connection. Each connection has its own `unfinished` text,
// and the event loop takes turns between all of them: no threads needed.
function greet(socket: net.Socket): void {
  // A client that resets or vanishes causes an 'error' on ITS socket. Handle it here:
  // an unhandled 'error' event would crash the whole server, and every other client with it.
  socket.on("error", () => {});

  // setEncoding decodes UTF-8 across chunk boundaries: a 张 cut into two pieces stays whole.
  socket.setEncoding("utf8");
  socket.write("Welcome!\r\n");

  // TCP delivers bytes, not messages: a chunk may hold half a line or several lines.
  // Keep what follows the last "\n" until the rest of that line arrives.
  let unfinished = "";
  socket.on("data", (text: string) => {
    unfinished += text;
    let newline: number;
    while ((newline = unfinished.indexOf("\n")) !== -1) {
      const line = unfinished.slice(0, newline).replace(/\r$/, "");
      unfinished = unfinished.slice(newline + 1);
      answer(socket, line);
    }
  });

  // The client sent FIN. Answer a last line that had no "\n", then send our own FIN.
  socket.on("end", () => {
    if (unfinished !== "") answer(socket, unfinished.replace(/\r$/, ""));
    socket.end();
  });
}

function answer(socket: net.Socket, line: string): void {
  if (socket.writableEnded) return; // after "exit": ignore whatever else arrives
  if (line === "") return; // blank lines get no answer
  if (line === "exit") socket.end("Bye!\r\n"); // end() writes, then sends FIN
  else socket.write(`Hello, ${line}!\r\n`);
}
