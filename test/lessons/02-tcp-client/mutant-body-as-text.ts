// Wrong answer: collects the response in a string (corrupts binary bodies)
// Collects the response in a string (`text += chunk`) and turns the body
// back into bytes at the end. Every chunk is decoded as UTF-8 on the way: bytes that are
// not UTF-8 (an image, a zip, or a character cut in half between two chunks) become
// U+FFFD, and the body no longer has its original bytes.
import net from "node:net";
import { once } from "node:events";
import type { HttpResponse } from "../../../lessons/02-tcp-client/solution.ts";

export async function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  const socket = net.connect(port, host);
  await once(socket, "connect");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  let text = "";
  for await (const chunk of socket) text += chunk;
  if (text === "") throw new Error("the server closed the connection without sending a response");

  const blankLine = text.indexOf("\r\n\r\n");
  if (blankLine === -1) throw new Error("no blank line after the headers");
  const [statusLine = "", ...lines] = text.slice(0, blankLine).split("\r\n");
  const [, status = "", ...reason] = statusLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), statusText: reason.join(" "), headers, body: Buffer.from(text.slice(blankLine + 4)) };
}
