// The playground console at /console/: every conversation live, and what the servers stored.
//   /console/            the page (static/index.html: live sessions)
//   /console/<file>      the page's other files (static/*.html, *.js, *.css)
//   /console/api/…       the JSON API the page itself uses (README "The console")
//
// Its parts: sessions.ts keeps what the servers report (a bounded ring), api.ts answers the
// sessions API and streams live events, auth.ts decides who is looking (viewer.ts),
// browse.ts shows what the servers stored (mailboxes, FTP, news).

import { readFile } from "node:fs/promises";
import type http from "node:http";
import { fileURLToPath } from "node:url";
import type { Activity } from "../activity.ts";
import { handleSessionsApi } from "./api.ts";
import { ConsoleAuth, type AuthOptions } from "./auth.ts";
import { handleBrowse, type BrowseContext } from "./browse.ts";
import { SessionStore, type StoreLimits } from "./sessions.ts";
import { sendJson } from "./json.ts";

const STATIC_DIR = fileURLToPath(new URL("./static/", import.meta.url));
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};
// The console's pages load nothing from anywhere else: no third-party requests, works offline.
const PAGE_CSP = "default-src 'self'; frame-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

export interface ConsoleOptions extends Partial<AuthOptions>, StoreLimits {}

export interface Console {
  /** Give this to every server: it records their sessions. */
  activity: Activity;
  /** What the console keeps (for tests and the banner). */
  store: SessionStore;
  /** Answers /console/…; false if the request is not the console's. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<boolean>;
}

/**
 * The console. `options.open` (default true: loopback) lets everyone in as the teacher; else
 * a login is needed (auth.ts) with `teacherPassword` or an account `verify` accepts.
 */
export function createConsole(context: BrowseContext, options: ConsoleOptions = {}): Console {
  const store = new SessionStore(options);
  const auth = new ConsoleAuth({ open: options.open ?? true, teacherPassword: options.teacherPassword, verify: options.verify });
  return {
    activity: store,
    store,
    async handle(request, response) {
      const path = new URL(request.url ?? "/", "http://playground").pathname;
      if (path === "/console") return redirect(response, "/console/");
      if (!path.startsWith("/console/")) return false;
      if (path.startsWith("/console/api/")) {
        if (await auth.handle(request, response, path)) return true;
        const viewer = auth.viewerOf(request);
        if (!viewer) return sendJson(response, 401, { error: "log in first: POST /console/api/login (the page: /console/login.html)" });
        if (handleSessionsApi(request, response, path, viewer, store)) return true;
        if (await handleBrowse(request, response, path, viewer, context)) return true;
        return sendJson(response, 404, { error: `no such API path: ${path}` });
      }
      return serveStatic(request, response, path.slice("/console/".length) || "index.html");
    },
  };
}

/** One of the page's own files; names are plain (no folders), so nothing outside static/ can be asked for. */
async function serveStatic(request: http.IncomingMessage, response: http.ServerResponse, name: string): Promise<boolean> {
  const type = TYPES[name.slice(name.lastIndexOf("."))];
  if (!/^[a-z0-9-]+\.[a-z]+$/.test(name) || !type) return false;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
    response.end(`405 Method Not Allowed: ${request.method} — the console's pages take GET and HEAD\n`);
    return true;
  }
  let body: Buffer;
  try {
    body = await readFile(STATIC_DIR + name);
  } catch {
    return false;
  }
  response.writeHead(200, {
    "Content-Type": type,
    "Content-Length": body.length,
    "Cache-Control": "no-cache",
    "Content-Security-Policy": PAGE_CSP,
  });
  response.end(request.method === "HEAD" ? undefined : body);
  return true;
}


function redirect(response: http.ServerResponse, location: string): true {
  response.writeHead(301, { Location: location, "Content-Length": 0 });
  response.end();
  return true;
}
