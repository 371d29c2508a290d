// Wrong answer: resolves on the first 'data' event (loses the rest of /big.txt)
// Treats the first 'data' event as the whole response. It works for a tiny
// /hello.txt on a quiet network, but TCP has no messages: /big.txt arrives in many chunks
// and everything after the first one is lost.
import net from "node:net";
import { once } from "node:events";
import type { HttpResponse } from "../../../lessons/02-tcp-client/solution.ts";

export async function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  const socket = net.connect(port, host);
  await once(socket, "connect");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  const [chunk] = (await once(socket, "data")) as [Buffer]; // "the response"
  socket.destroy();

  const blankLine = chunk.indexOf("\r\n\r\n");
  if (blankLine === -1) throw new Error("no blank line after the headers");
  const [statusLine = "", ...lines] = chunk.subarray(0, blankLine).toString("latin1").split("\r\n");
  const [, status = "", ...reason] = statusLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), statusText: reason.join(" "), headers, body: chunk.subarray(blankLine + 4) };
}
