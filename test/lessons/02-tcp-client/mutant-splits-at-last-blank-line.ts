// Wrong answer: splits head from body at the LAST blank line
// Looks for the blank line with lastIndexOf. Same result as long as the body
// never contains "\r\n\r\n" — but bodies can contain any bytes, and then part of the body
// is taken for headers.
import net from "node:net";
import { once } from "node:events";
import type { HttpResponse } from "../../../lessons/02-tcp-client/solution.ts";

export async function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  const socket = net.connect(port, host);
  await once(socket, "connect");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const response = Buffer.concat(chunks);
  if (response.length === 0) throw new Error("the server closed the connection without sending a response");

  const blankLine = response.lastIndexOf("\r\n\r\n");
  if (blankLine === -1) throw new Error("no blank line after the headers");
  const [statusLine = "", ...lines] = response.subarray(0, blankLine).toString("latin1").split("\r\n");
  const [, status = "", ...reason] = statusLine.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon === -1) continue; // skip what does not look like a header
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status), statusText: reason.join(" "), headers, body: response.subarray(blankLine + 4) };
}
