// The playground's HTTP demo server: the web server lesson 02's hand-written client
// talks to, so that lesson works offline. It is an ordinary node:http server; what is
// special is only the content:
//   /            under npm start: the lesson site (site/dist/, built by `npm run site`, served by
//                the handler playground.ts passes in); otherwise (tests, or the site not built
//                yet) the demo page
//   /demo.html   a small HTML page
//   /hello.txt   one line of text (the smallest possible response)
//   /big.txt     ~200 KB of numbered lines, written in many small pieces, so a client
//                that stops after the first 'data' event visibly loses most of it
//   /echo        your own request, sent back as text: see exactly what your client sent
//   anything else: 404 Not Found
// Every response has a Content-Length, never chunked encoding, so a client that reads
// "until the server closes" gets exactly the body bytes.
//
// The pages take GET and HEAD (and /echo any method, to show it back); any other method on them
// gets "405 Method Not Allowed" with an Allow: header saying what they take (RFC 9110 §15.5.6).
// Every response says "X-Content-Type-Options: nosniff": the browser must believe our
// Content-Type instead of guessing one from the bytes (a guess can turn a text file into a script).
// One client address may hold HTTP_CONNECTION_CAPS.perAddress connections at once, everybody
// together .total; a request on a connection over the cap gets "503 Service Unavailable".
// Each request for these pages (not the site's pages, not the console's) is reported to the
// console as a session of its own: the request head as C: lines, the response as S: lines.

import http from "node:http";
import { once } from "node:events";
import type { AddressInfo, Socket } from "node:net";
import { ConnectionLimits, type ConnectionCaps } from "./connection-limits.ts";
import type { Activity } from "./activity.ts";
import { SessionReporter } from "./session-report.ts";

export const HELLO_TEXT = "Hello from the Socket Playground!\n";

export function bigText(): string {
  let text = "";
  for (let line = 1; line <= 4000; line++) text += `line ${String(line).padStart(4, "0")}: the quick brown fox jumps over the lazy dog\n`;
  return text;
}

const HOME_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Socket Playground</title></head>
<body>
<h1>Socket Playground</h1>
<p>You fetched this page from the playground's HTTP demo server.</p>
<p>Try <a href="/hello.txt">/hello.txt</a>, <a href="/big.txt">/big.txt</a> and <a href="/echo">/echo</a>.</p>
</body>
</html>
`;

/**
 * The lesson site (site/serve.ts's siteHandler, passed in by playground.ts: servers/ never imports
 * site/): answers a request for one of its pages and returns true, or returns false for anything else.
 */
export type SiteHandler = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;
/** The console (servers/console/): answers /console/… and returns true, or false for anything else. */
export type ConsoleHandler = (request: http.IncomingMessage, response: http.ServerResponse) => Promise<boolean>;

/** Per server: one client address may hold 200 connections at once, everybody together 1,000 (as POP3 and NNTP). */
export const HTTP_CONNECTION_CAPS: ConnectionCaps = { perAddress: 200, total: 1000 };

/** The methods the pages take; /echo takes any. */
const PAGE_METHODS = ["GET", "HEAD"];
const PAGES = new Set(["/", "/demo.html", "/hello.txt", "/big.txt"]);

async function handle(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  serveSite?: SiteHandler,
  serveConsole?: ConsoleHandler,
  activity?: Activity,
): Promise<void> {
  response.setHeader("X-Content-Type-Options", "nosniff");
  const path = new URL(request.url ?? "/", "http://playground").pathname;
  let watched = false;
  const watch = () => {
    if (activity && !watched) reportRequest(activity, request, response);
    watched = true;
  };
  const refused = refusals.get(request.socket);
  if (refused) {
    watch();
    // RFC 9110 §15.6.4: 503 = overloaded for now; Retry-After says when to come back.
    response.setHeader("Retry-After", "5");
    response.setHeader("Connection", "close");
    return send(response, 503, "text/plain; charset=utf-8", `503 Service Unavailable: ${refused}\n`);
  }
  if (serveConsole && (await serveConsole(request, response))) return;
  if ((PAGES.has(path) && path !== "/") || path === "/echo" || (PAGES.has(path) && !PAGE_METHODS.includes(request.method ?? ""))) watch();
  if (PAGES.has(path) && !PAGE_METHODS.includes(request.method ?? "")) return methodNotAllowed(response, request.method);
  if (path === "/demo.html") return send(response, 200, "text/html; charset=utf-8", HOME_PAGE);
  if (path === "/hello.txt") return send(response, 200, "text/plain; charset=utf-8", HELLO_TEXT);
  if (path === "/big.txt") {
    void sendInPieces(response, Buffer.from(bigText()));
    return;
  }
  if (path === "/echo") {
    const head = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
    for (let i = 0; i < request.rawHeaders.length; i += 2) head.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    return send(response, 200, "text/plain; charset=utf-8", head.join("\n") + "\n");
  }
  // Everything else may be a page of the lesson site (read from disk on each request, so a
  // rebuilt site shows up without restarting the playground).
  if (serveSite?.(request, response)) return;
  watch();
  if (path === "/") return send(response, 200, "text/html; charset=utf-8", HOME_PAGE);
  send(response, 404, "text/plain; charset=utf-8", `404 Not Found: ${path}\n`);
}

/** RFC 9110 §15.5.6: 405 names the methods the path does take in Allow. */
function methodNotAllowed(response: http.ServerResponse, method: string | undefined): void {
  response.setHeader("Allow", PAGE_METHODS.join(", "));
  send(response, 405, "text/plain; charset=utf-8", `405 Method Not Allowed: ${method} — this page takes ${PAGE_METHODS.join(" and ")}\n`);
}

/**
 * One request and its response as a console session: the request line and headers as they came
 * (Node has parsed them; rawHeaders keeps their spelling and order), then the response head as
 * Node wrote it and the body, folded after its first lines.
 */
function reportRequest(activity: Activity, request: http.IncomingMessage, response: http.ServerResponse): void {
  const socket = request.socket;
  const report = new SessionReporter(activity, {
    protocol: "http",
    port: socket.localPort ?? 0,
    client: `${socket.remoteAddress}:${socket.remotePort}`,
    tls: false,
    label: `http ${socket.localPort}`,
  });
  let head = `${request.method} ${request.url} HTTP/${request.httpVersion}\r\n`;
  for (let i = 0; i < request.rawHeaders.length; i += 2) head += `${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}\r\n`;
  report.data("C", Buffer.from(head + "\r\n"));
  let headReported = false;
  const reportOut = (chunk: unknown) => {
    if (!headReported && response.headersSent) {
      headReported = true;
      // The status line and headers exactly as Node put them on the wire.
      report.data("S", Buffer.from(String((response as unknown as { _header?: string })._header ?? "")));
    }
    if (typeof chunk === "string" || Buffer.isBuffer(chunk)) report.data("S", Buffer.from(chunk));
  };
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => http.ServerResponse;
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    const result = write(chunk, ...rest);
    reportOut(chunk);
    return result;
  }) as typeof response.write;
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    const result = end(chunk, ...rest);
    reportOut(typeof chunk === "function" ? undefined : chunk);
    return result;
  }) as typeof response.end;
  // A response that never finished: the client went away (reset) before it was all sent.
  response.once("close", () => report.closed(response.writableFinished ? "FIN" : "reset"));
}

/** Connections over the cap, with the reason: their requests are answered 503. */
const refusals = new WeakMap<Socket, string>();

function send(response: http.ServerResponse, status: number, type: string, body: string): void {
  const bytes = Buffer.from(body);
  response.writeHead(status, { "Content-Type": type, "Content-Length": bytes.length });
  response.end(bytes);
}

// Many small writes with pauses between them: the client's 'data' events will be many.
async function sendInPieces(response: http.ServerResponse, body: Buffer): Promise<void> {
  response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": body.length });
  for (let at = 0; at < body.length && !response.destroyed; at += 16 * 1024) {
    response.write(body.subarray(at, at + 16 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  response.end();
}

export async function startHttpDemo(
  port = 0,
  host = "127.0.0.1",
  serveSite?: SiteHandler, // npm start passes the lesson site's; tests and lessons leave it out, so "/" is always the demo page
  connectionCaps: Partial<ConnectionCaps> = {},
  serveConsole?: ConsoleHandler, // npm start passes the console (servers/console/); tests of the demo pages leave it out
  activity?: Activity, // where requests are reported (the console)
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((request, response) => {
    handle(request, response, serveSite, serveConsole, activity).catch((err: Error) => {
      if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", `500 Internal Server Error: ${err.message}\n`);
      else response.destroy();
    });
  });
  // A connection over the cap still gets its request read, so that it can be answered with a
  // real HTTP response (503) instead of a connection that just closes; then it is closed.
  const limits = new ConnectionLimits({ ...HTTP_CONNECTION_CAPS, ...connectionCaps });
  server.on("connection", (socket: Socket) => {
    const refused = limits.admit(socket);
    if (refused === null) return;
    refusals.set(socket, refused);
    socket.setTimeout(5_000, () => socket.destroy()); // one chance, quickly
  });
  // Refused connections are held for a moment too; past twice the cap Node closes new ones at once.
  server.maxConnections = limits.caps.total * 2;
  server.listen(port, host);
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}
