// The HTTP demo server also serves the lesson site at / — without hiding its own routes.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { HELLO_TEXT, startHttpDemo } from "../../servers/http-demo.ts";

async function demo(siteDir?: string) {
  const { server, port } = await startHttpDemo(0, "127.0.0.1", siteDir);
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
}

test("with a built site, / is the site's home page and /hello.txt, /echo still answer", async () => {
  const siteDir = mkdtempSync(join(tmpdir(), "site-"));
  mkdirSync(join(siteDir, "lessons"));
  writeFileSync(join(siteDir, "index.html"), "<h1>Lessons</h1>");
  writeFileSync(join(siteDir, "lessons", "02-tcp-client.html"), "<h1>A TCP client</h1>");
  const get = await demo(siteDir);
  expect(await (await get("/")).text()).toBe("<h1>Lessons</h1>");
  expect(await (await get("/lessons/02-tcp-client.html")).text()).toBe("<h1>A TCP client</h1>");
  expect(await (await get("/hello.txt")).text()).toBe(HELLO_TEXT);
  expect(await (await get("/demo.html")).text()).toContain("<h1>Socket Playground</h1>");
  expect(await (await get("/echo")).text()).toMatch(/^GET \/echo HTTP\/1\.1\n/);
  expect((await get("/lessons/nothing.html")).status).toBe(404);
  expect((await get("/../package.json")).status).toBe(404);
});

test("without a built site, / is the demo page, the same as /demo.html", async () => {
  const get = await demo(join(tmpdir(), "no-such-site-dir"));
  const page = await (await get("/")).text();
  expect(page).toContain("<h1>Socket Playground</h1>");
  expect(await (await get("/demo.html")).text()).toBe(page);
});
