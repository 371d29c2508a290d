// Serves the built site (site/dist/) over HTTP. `siteHandler` is a request handler to mount in an
// existing node:http server (the playground's HTTP demo serves the site at http://127.0.0.1:8080/
// next to its own /hello.txt, /big.txt and /echo): it answers GET/HEAD for files under distDir, 405
// (with Allow: GET, HEAD) for any other method on them, and returns false for anything else, so the
// caller can answer those itself. Every answer says X-Content-Type-Options: nosniff (the browser
// must take our Content-Type, not guess one from the bytes).
//
//   npx tsx site/serve.ts [port]     serves site/dist/ alone (default port 8000)

import { createReadStream, existsSync, statSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".txt": "text/plain; charset=utf-8",
};

export function siteHandler(distDir: string, prefix = "/"): (req: IncomingMessage, res: ServerResponse) => boolean {
  const root = path.resolve(distDir);
  const base = prefix.endsWith("/") ? prefix : `${prefix}/`; // "/site" → "/site/"
  return (req, res) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://site").pathname);
    } catch {
      return false; // a malformed %-escape: not one of our files
    }
    if (`${pathname}/` === base) {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      // "/site" → "/site/": the pages' relative links need the trailing slash
      res.writeHead(301, { Location: base, "Content-Length": 0, "X-Content-Type-Options": "nosniff" });
      res.end();
      return true;
    }
    if (!pathname.startsWith(base)) return false;
    pathname = pathname.slice(base.length - 1);
    if (pathname.endsWith("/")) pathname += "index.html";
    const file = path.join(root, pathname);
    // never serve anything outside distDir (../../etc/passwd)
    if (file !== root && !file.startsWith(root + path.sep)) return false;
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      // RFC 9110 §15.5.6: the file is here, but only for reading.
      const text = `405 Method Not Allowed: ${req.method} — the site's pages take GET and HEAD\n`;
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text), "X-Content-Type-Options": "nosniff" });
      res.end(text);
      return true;
    }
    res.writeHead(200, {
      "X-Content-Type-Options": "nosniff",
      "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "Content-Length": statSync(file).size,
      "Cache-Control": "no-cache", // a rebuilt site shows up on the next reload
    });
    if (req.method === "HEAD") res.end();
    // pipeline, not .pipe(): when the client closes before the file's end was read (a browser that
    // has its Content-Length bytes hangs up at once), pipeline destroys the read stream and so
    // closes the file; .pipe() would leave it open for good — one file descriptor lost per such page.
    else pipeline(createReadStream(file), res, () => {});
    return true;
  };
}

/** A server that serves only the site (404 for everything else). */
export function createSiteServer(distDir: string): http.Server {
  const handle = siteHandler(distDir);
  return http.createServer((req, res) => {
    if (handle(req, res)) return;
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" });
    res.end(`404 Not Found: ${req.url}\n`);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const distDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "dist");
  if (!existsSync(path.join(distDir, "index.html"))) {
    console.error("site/dist/ is empty — build the site first: npm run site");
    process.exit(1);
  }
  const port = Number(process.argv[2] ?? 8000);
  const server = createSiteServer(distDir);
  server.on("error", (err: NodeJS.ErrnoException) => {
    console.error(err.code === "EADDRINUSE" ? `port ${port} is in use — pass another: npx tsx site/serve.ts 8001` : err.message);
    process.exit(1);
  });
  server.listen(port, "127.0.0.1", () => console.log(`The lesson site: http://127.0.0.1:${port}/`));
}
