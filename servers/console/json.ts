// Every JSON answer the console's API gives: the value, its length, never cached (it is live state).

import type http from "node:http";

export function sendJson(response: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): true {
  const body = Buffer.from(JSON.stringify(value));
  response.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": body.length,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...headers,
  });
  response.end(body);
  return true;
}
