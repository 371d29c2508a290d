// Lesson 02 — reference solution. Same exports as exercise.ts.
// An HTTP/1.1 GET written by hand over a plain TCP socket: no node:http, no fetch.

import net from "node:net";
import { once } from "node:events";

export interface HttpResponse {
  status: number; // 200
  statusText: string; // "OK"
  headers: Record<string, string>; // names lower-cased: { "content-type": "text/plain" }
  body: Buffer; // the exact bytes after the blank line
}

export async function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  const socket = net.connect(port, host);
  await once(socket, "connect"); // the three-way handshake (SYN, SYN-ACK, ACK) is done

  // The request is plain text; every line ends in \r\n and a blank line ends the head.
  // Host is required by HTTP/1.1 (RFC 9112 §3.2); an IPv6 address needs [ ] around it.
  // "Connection: close" asks the server to close the connection after its answer:
  // that close is how we know the response is complete.
  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${authority}\r\nConnection: close\r\n\r\n`);

  // Read until the server closes (its FIN ends the loop). TCP is a stream: the response
  // arrives in as many chunks as the network likes, so we keep them all as bytes.
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const response = Buffer.concat(chunks);

  if (response.length === 0) throw new Error(`${host}:${port} closed the connection without sending a response`);
  return parseResponse(response);
}

/** Splits "status line, headers, blank line, body" apart. The body stays bytes. */
function parseResponse(response: Buffer): HttpResponse {
  // The FIRST blank line ends the head: the body may contain \r\n\r\n itself.
  const blankLine = response.indexOf("\r\n\r\n");
  if (blankLine === -1) throw new Error("the connection closed before the end of the response head (no blank line)");
  const head = response.subarray(0, blankLine).toString("latin1"); // the head is ASCII text
  const body = response.subarray(blankLine + 4); // bytes, never decoded: it may be an image

  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const match = /^HTTP\/\d\.\d (\d{3}) ?(.*)$/.exec(statusLine); // "HTTP/1.1 404 Not Found"
  if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);

  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon === -1) throw new Error(`not a header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim().toLowerCase(); // header names ignore case
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { status: Number(match[1]), statusText: match[2]!, headers, body };
}
