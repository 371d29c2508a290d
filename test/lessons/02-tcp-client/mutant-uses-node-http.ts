// Wrong answer: uses node:http instead of a socket
// Lets node:http do the work. It gets every response right — and teaches
// nothing about sockets, which is the point of this lesson. The checker reads the source.
import http from "node:http";
import type { HttpResponse } from "../../../lessons/02-tcp-client/solution.ts";

export function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host, port, path, agent: false, headers: { Connection: "close" } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers)) headers[name] = String(value);
        resolve({ status: response.statusCode!, statusText: response.statusMessage!, headers, body: Buffer.concat(chunks) });
      });
      response.on("error", reject);
    });
    request.on("error", (err) => reject(new Error(`the server closed the connection without sending a response (${err.message})`)));
  });
}
