// Test helpers for lesson 02: a server that keeps the exact bytes of each request, and what
// is wrong with a request, said in the learner's terms.

import net from "node:net";
import { once } from "node:events";

/**
 * Records each request byte for byte and answers a tiny 200 once the head is complete. A head
 * that ends in a bare "\n\n" is answered too, so that a wrong line ending is reported, not waited out.
 */
export async function recordingServer(): Promise<{ port: number; requests: Buffer[]; close(): void }> {
  const requests: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let request = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      request = Buffer.concat([request, chunk]);
      if (request.includes("\r\n\r\n") || request.includes("\n\n")) {
        requests.push(request);
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** What is wrong with the request bytes a client sent for `path` (null: nothing). */
export function requestProblem(request: Buffer, path: string): string | null {
  const text = request.toString("latin1");
  const shown = JSON.stringify(text);
  if (text === "") return "the server received no request at all";
  const end = text.indexOf("\r\n\r\n");
  const lines = text.split("\n");
  for (let i = 0; i < lines.length - 1; i++) {
    if (!lines[i]!.endsWith("\r")) {
      return `line ${i + 1} of your request (${JSON.stringify(lines[i])}) ended in \\n without \\r: HTTP lines end in \\r\\n (RFC 9112 §2.1). Your request: ${shown}`;
    }
  }
  if (end === -1) return `your request never ended with an empty line ("\\r\\n\\r\\n"): ${shown}`;
  if (end !== text.length - 4) return `your request goes on after its empty line ("\\r\\n\\r\\n"): a GET has no body. Your request: ${shown}`;
  const [requestLine = "", ...headerLines] = text.slice(0, end).split("\r\n");
  if (requestLine !== `GET ${path} HTTP/1.1`) {
    return `the request line should be exactly "GET ${path} HTTP/1.1", not ${JSON.stringify(requestLine)}`;
  }
  const names = headerLines.map((line) => line.slice(0, line.indexOf(":")).toLowerCase());
  if (!names.includes("host")) return `your request has no Host header (HTTP/1.1 requires it, RFC 9112 §3.2): ${shown}`;
  if (!headerLines.some((line) => /^connection:\s*close\s*$/i.test(line))) {
    return `your request has no "Connection: close" header, so the server would keep the connection open: ${shown}`;
  }
  return null;
}

/** A port on 127.0.0.1 where nothing listens (it was free a moment ago). */
export async function deadPort(): Promise<number> {
  const probe = net.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  await once(probe, "close");
  return port;
}
