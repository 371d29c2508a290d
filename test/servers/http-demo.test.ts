// The HTTP demo server also serves the lesson site at / — without hiding its own routes.
import { once } from "node:events";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { HELLO_TEXT, startHttpDemo } from "../../servers/http-demo.ts";
import { siteHandler } from "../../site/serve.ts";

async function demo(siteDir?: string) {
  // As playground.ts does: the site's handler is made from its folder and passed in.
  const { server, port } = await startHttpDemo(0, "127.0.0.1", siteDir === undefined ? undefined : siteHandler(siteDir));
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

test("every answer says X-Content-Type-Options: nosniff; methods a page does not take get 405 with Allow", async () => {
  const siteDir = mkdtempSync(join(tmpdir(), "site-"));
  mkdirSync(join(siteDir, "lessons"));
  writeFileSync(join(siteDir, "index.html"), "<h1>Lessons</h1>");
  writeFileSync(join(siteDir, "lessons", "02-tcp-client.html"), "<h1>A TCP client</h1>");
  const { port } = await startTestDemo(siteDir);
  const ask = (method: string, path: string) => fetch(`http://127.0.0.1:${port}${path}`, { method });
  for (const path of ["/", "/demo.html", "/hello.txt", "/big.txt", "/lessons/02-tcp-client.html"]) {
    const got = await ask("GET", path);
    expect(got.status, `GET ${path}`).toBe(200);
    expect(got.headers.get("x-content-type-options"), `GET ${path}`).toBe("nosniff");
    await got.arrayBuffer();
    for (const method of ["PUT", "DELETE", "OPTIONS", "POST", "PATCH"]) {
      const refused = await ask(method, path);
      expect(refused.status, `${method} ${path}`).toBe(405);
      expect(refused.headers.get("allow"), `${method} ${path}`).toBe("GET, HEAD");
      expect(refused.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await refused.text()).toMatch(new RegExp(`^405 Method Not Allowed: ${method}`));
    }
    expect((await ask("HEAD", path)).status, `HEAD ${path}`).toBe(200);
  }
  // /echo shows any request back; a path that is not there is 404 whatever the method.
  expect(await (await ask("POST", "/echo")).text()).toMatch(/^POST \/echo HTTP\/1\.1\n/);
  for (const method of ["GET", "PUT"]) {
    const missing = await ask(method, "/nothing-here.txt");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-content-type-options")).toBe("nosniff");
  }
});

test("connections are capped per client address and in total: the one over the cap gets 503, the others carry on", async () => {
  const { port } = await startTestDemo(undefined, { perAddress: 2, total: 3 });
  const first = await RawHttp.connect(port, "127.0.0.1");
  const second = await RawHttp.connect(port, "127.0.0.1");
  const third = await RawHttp.connect(port, "127.0.0.1");
  const refused = await third.get("/hello.txt");
  expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
  expect(refused).toMatch(/\r\nRetry-After: 5\r\n/i);
  expect(refused).toContain("too many connections from 127.0.0.1 (at most 2 at once)");
  await third.closed;
  // The two admitted ones are served (keep-alive: several requests each).
  for (const client of [first, second, first]) expect(await client.get("/hello.txt")).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  // Another address may still come in, up to the total.
  const other = await RawHttp.connect(port, "127.0.0.2");
  expect(await other.get("/hello.txt")).toMatch(/^HTTP\/1\.1 200 /);
  const oneTooMany = await RawHttp.connect(port, "127.0.0.3");
  expect(await oneTooMany.get("/hello.txt")).toContain("too many connections (at most 3 at once)");
  // A closed connection frees its place (once the server has seen the close: try until then).
  first.socket.destroy();
  await first.closed;
  let answer = "";
  for (let attempt = 0; attempt < 50 && !answer.startsWith("HTTP/1.1 200 "); attempt++) {
    const again = await RawHttp.connect(port, "127.0.0.1");
    answer = await again.get("/hello.txt");
  }
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
});

async function startTestDemo(siteDir?: string, caps: Parameters<typeof startHttpDemo>[3] = {}) {
  const started = await startHttpDemo(0, "127.0.0.1", siteDir === undefined ? undefined : siteHandler(siteDir), caps);
  onTestFinished(() => {
    started.server.closeAllConnections();
    started.server.close();
  });
  return started;
}

/** A raw HTTP/1.1 client on one connection from `localAddress`: one GET at a time, keep-alive. */
class RawHttp {
  private buffer = "";
  private waiting: (() => void) | null = null;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      this.buffer += text;
      this.waiting?.();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => socket.once("close", () => (resolve(), this.waiting?.())));
    onTestFinished(() => void socket.destroy());
  }

  static async connect(port: number, localAddress: string): Promise<RawHttp> {
    const socket = net.connect({ port, host: "127.0.0.1", localAddress });
    await once(socket, "connect");
    return new RawHttp(socket);
  }

  /** Sends a GET and returns the whole response (head and Content-Length bytes of body). */
  async get(path: string): Promise<string> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      const length = end === -1 ? NaN : Number(/\r\ncontent-length: *(\d+)/i.exec(this.buffer.slice(0, end))?.[1] ?? 0);
      if (end !== -1 && this.buffer.length >= end + 4 + length) {
        const response = this.buffer.slice(0, end + 4 + length);
        this.buffer = this.buffer.slice(end + 4 + length);
        return response;
      }
      if (this.socket.destroyed) return this.buffer;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
  }
}
