// site/serve.ts: siteHandler serves the built files and says "not mine" (false) for everything
// else, so the playground's HTTP demo can keep answering /hello.txt, /big.txt and /echo itself.

import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { siteHandler } from "../../site/serve.ts";

let dist: string;
let server: http.Server;
let base: string;

beforeAll(async () => {
  dist = path.join(mkdtempSync(path.join(tmpdir(), "site-serve-")), "dist");
  mkdirSync(path.join(dist, "lessons"), { recursive: true });
  writeFileSync(path.join(dist, "index.html"), "<h1>home</h1>");
  writeFileSync(path.join(dist, "lessons", "02-tcp-client.html"), "<h1>02</h1>");
  writeFileSync(path.join(dist, "lessons", "big.html"), "<p>a long page</p>\n".repeat(20_000)); // 380 KB: several reads
  writeFileSync(path.join(dist, "..", "secret.txt"), "not for the web");
  const atRoot = siteHandler(dist);
  const atSite = siteHandler(dist, "/site");
  // like the HTTP demo: the site first, then the demo's own routes
  server = http.createServer((req, res) => {
    if (atSite(req, res) || atRoot(req, res)) return;
    res.writeHead(req.url === "/hello.txt" ? 200 : 404, { "Content-Type": "text/plain" });
    res.end(req.url === "/hello.txt" ? "Hello from the demo\n" : "not found\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  rmSync(path.dirname(dist), { recursive: true, force: true });
});

async function get(url: string): Promise<{ status: number; type: string | null; body: string; location: string | null }> {
  const response = await fetch(base + url, { redirect: "manual" });
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text(), location: response.headers.get("location") };
}

test("serves the site's files with their types; / is index.html", async () => {
  expect(await get("/")).toMatchObject({ status: 200, type: "text/html; charset=utf-8", body: "<h1>home</h1>" });
  expect(await get("/lessons/02-tcp-client.html")).toMatchObject({ status: 200, body: "<h1>02</h1>" });
});

test("anything that is not a file of the site is left to the next handler", async () => {
  expect(await get("/hello.txt")).toMatchObject({ status: 200, body: "Hello from the demo\n" });
  expect(await get("/lessons/99-nope.html")).toMatchObject({ status: 404, body: "not found\n" });
  expect(await get("/lessons")).toMatchObject({ status: 404 }); // a folder is not a file
});

test("never serves a file outside the site folder", async () => {
  expect(await get("/../secret.txt")).toMatchObject({ status: 404 });
  expect(await get("/%2e%2e/secret.txt")).toMatchObject({ status: 404 });
  expect(await get("/%E0%A4%A")).toMatchObject({ status: 404 }); // a broken %-escape is not an error
});

test("mounted under a prefix: /site/ serves the site, /site redirects to it", async () => {
  expect(await get("/site/lessons/02-tcp-client.html")).toMatchObject({ status: 200, body: "<h1>02</h1>" });
  expect(await get("/site")).toMatchObject({ status: 301, location: "/site/" });
});

/** How many files of the site this process (the server runs in it) holds open: /proc/self/fd. */
function openSiteFiles(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dist);
    } catch {
      return false; // closed between the listing and the read
    }
  }).length;
}

test("a client that hangs up in the middle of a page leaves no file open (issue 13: one fd lost per page)", async () => {
  // 30 browsers that leave after the first piece of a long page, and 30 that read it whole on a
  // connection of their own (Connection: close). Before the fix (.pipe() instead of pipeline())
  // each hang-up kept its read stream, and so its file descriptor, open until the server stopped.
  const visit = (leaveEarly: boolean) =>
    new Promise<void>((resolve, reject) => {
      const request = http.get(`${base}/lessons/big.html`, { agent: false }, (response) => {
        response.once("data", () => leaveEarly && (request.destroy(), resolve()));
        response.on("end", resolve);
        response.resume();
      });
      request.on("error", (error) => (leaveEarly ? resolve() : reject(error)));
    });
  await Promise.all(Array.from({ length: 60 }, (_, i) => visit(i % 2 === 0)));
  const deadline = Date.now() + 5_000;
  while (openSiteFiles() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(openSiteFiles()).toBe(0);
});
