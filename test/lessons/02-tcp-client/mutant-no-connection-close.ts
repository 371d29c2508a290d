// Wrong answer: forgets Connection: close (waits for the keep-alive timeout)
// The solution without "Connection: close". HTTP/1.1 connections stay open
// by default (keep-alive), so the server answers and then waits for a next request;
// "read until the server closes" waits with it — node's http server gives up after 5 s.
import net from "node:net";
import { once } from "node:events";
import type { HttpResponse } from "../../../lessons/02-tcp-client/solution.ts";

export async function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  const socket = net.connect(port, host);
  await once(socket, "connect");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const response = Buffer.concat(chunks);
  if (response.length === 0) throw new Error("the server closed the connection without sending a response");

  const blankLine = response.indexOf("\r\n\r\n");
  if (blankLine === -1) throw new Error("no blank line after the headers");
  const [statusLine = "", ...lines] = response.subarray(0, blankLine).toString("latin1").split("\r\n");
  const [, status = "", ...reason] = statusLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), statusText: reason.join(" "), headers, body: response.subarray(blankLine + 4) };
}
