// Lesson 02 — your exercise. Replace the todo(...) with your own code, then run:
//   npm test -- 02
// Stuck? npm run hint 02

import { todo } from "../not-implemented.ts";

export interface HttpResponse {
  status: number; // 200
  statusText: string; // "OK"
  headers: Record<string, string>; // names lower-cased: { "content-type": "text/plain" }
  body: Buffer; // the exact bytes after the blank line
}

/**
 * Fetches http://host:port/path with an HTTP/1.1 GET you write by hand over a TCP socket.
 *
 * - Use node:net only (net.connect). Importing node:http or calling fetch() does not count:
 *   the checker reads this file and rejects them.
 * - Send "GET <path> HTTP/1.1", a Host header (host:port) and "Connection: close", each line
 *   ending in \r\n, then an empty line.
 * - Read until the server closes the connection. The response comes in many chunks.
 * - Split the head from the body at the FIRST "\r\n\r\n". Keep the body as bytes (a Buffer):
 *   it may contain "\r\n\r\n" itself, or bytes that are not UTF-8 text.
 * - Head: "HTTP/1.1 200 OK" gives status 200 and statusText "OK"; each "Name: value" line
 *   goes into `headers` with the name lower-cased and spaces around the value trimmed.
 * - If the server closes without sending a response, reject with an Error whose message
 *   says so (e.g. "closed the connection without sending a response"), never hang.
 */
export async function httpGet(host: string, port: number, path: string): Promise<HttpResponse> {
  todo("httpGet");
}
