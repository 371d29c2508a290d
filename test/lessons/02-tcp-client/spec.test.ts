// Spec for lessons/02-tcp-client: an HTTP/1.1 GET written by hand over node:net,
// against the playground's HTTP demo server and a few raw servers that send exactly
// the bytes a check needs.
import net from "node:net";
import { expect } from "vitest";
import { checkLesson, expectRejects, isNotStarted, type Network } from "../../kit/checker.ts";
import { codeWithoutComments } from "../../kit/source.ts";
import type { TcpFaults } from "../../../servers/hostile-proxy.ts";
import { startHttpDemo, HELLO_TEXT, bigText } from "../../../servers/http-demo.ts";
import * as exercise from "../../../lessons/02-tcp-client/exercise.ts";

type Lesson02 = typeof import("../../../lessons/02-tcp-client/solution.ts");

/** Starts the playground's HTTP demo server and puts the network in front of it. */
async function demoServer(network: Network, faults?: Partial<TcpFaults>): Promise<number> {
  const { server, port } = await startHttpDemo(0);
  network.defer(() => {
    server.closeAllConnections();
    server.close();
  });
  return network.tcp(port, faults);
}

/**
 * A server that reads one request (up to its blank line), sends `response` — exact bytes,
 * whatever they are, even nothing at all — and closes the connection.
 */
async function rawServer(response: Buffer): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let request = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      request = Buffer.concat([request, chunk]);
      if (request.includes("\r\n\r\n")) socket.end(response); // answer, then FIN
    });
    socket.on("error", () => {}); // a client that gives up early is not this server's problem
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function rawServerBehindNetwork(network: Network, response: Buffer): Promise<number> {
  const server = await rawServer(response);
  network.defer(() => server.close());
  return network.tcp(server.port);
}

// A body a text-minded client gets wrong: a blank line inside it, and bytes that are not UTF-8.
const BINARY_BODY = Buffer.concat([
  Buffer.from("part one\r\n\r\npart two: "),
  Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x89, 0x50, 0x4e, 0x47]),
  Buffer.from("\r\n\r\nthe end\n"),
]);
const BINARY_RESPONSE = Buffer.concat([
  Buffer.from(
    "HTTP/1.1 200 OK\r\n" +
      "Content-Type: application/octet-stream\r\n" +
      `Content-Length: ${BINARY_BODY.length}\r\n` +
      "X-Playground:   spaces around me   \r\n" +
      "Connection: close\r\n" +
      "\r\n",
  ),
  BINARY_BODY,
]);

// /big.txt is ~200 KB: through 1..7-byte pieces it would take far too long, so the hostile
// run cuts it into pieces of up to 1500 bytes (one Ethernet packet) instead.
const BIG_TRANSFER_FAULTS: Partial<TcpFaults> = { maxPiece: 1500, maxDelayMs: 1 };

checkLesson<Lesson02>("02-tcp-client", {
  exercise,
  checks: [
    {
      name: "GET /hello.txt: status, headers and the exact body",
      network: true,
      async run({ httpGet }, network) {
        const port = await demoServer(network);
        const response = await httpGet("127.0.0.1", port, "/hello.txt");
        expect(response.status).toBe(200);
        expect(response.statusText).toBe("OK");
        expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
        expect(response.headers["content-length"]).toBe(String(Buffer.byteLength(HELLO_TEXT)));
        for (const name of Object.keys(response.headers)) expect(name, "header names are lower-cased").toBe(name.toLowerCase());
        expect(Buffer.isBuffer(response.body), "the body is a Buffer").toBe(true);
        expect(response.body.toString()).toBe(HELLO_TEXT);
      },
    },
    {
      name: "GET of a missing page: 404 Not Found, with its body",
      network: true,
      async run({ httpGet }, network) {
        const port = await demoServer(network);
        const response = await httpGet("127.0.0.1", port, "/no-such-page");
        expect(response.status).toBe(404);
        expect(response.statusText).toBe("Not Found");
        expect(response.body.toString()).toBe("404 Not Found: /no-such-page\n");
      },
    },
    {
      name: "the request says GET <path> HTTP/1.1, Host and Connection: close (seen by /echo)",
      network: true,
      async run({ httpGet }, network) {
        const port = await demoServer(network);
        const response = await httpGet("127.0.0.1", port, "/echo");
        const request = response.body.toString();
        expect(request, "the request line").toMatch(/^GET \/echo HTTP\/1\.1$/m);
        expect(request, "a Host header: 127.0.0.1 or 127.0.0.1:port").toMatch(/^host: 127\.0\.0\.1(:\d+)?$/im);
        expect(request, "a Connection: close header").toMatch(/^connection: close$/im);
      },
    },
    {
      name: "GET /big.txt: all ~200 KB, byte for byte, however many chunks it takes",
      network: true,
      async run({ httpGet }, network) {
        const port = await demoServer(network, network.profile === "hostile" ? BIG_TRANSFER_FAULTS : undefined);
        const response = await httpGet("127.0.0.1", port, "/big.txt");
        const expected = Buffer.from(bigText());
        expect(response.status).toBe(200);
        expect(response.body.length, "body length in bytes").toBe(expected.length);
        expect(response.body.equals(expected), "the body is exactly /big.txt").toBe(true);
      },
    },
    {
      name: "a body with a blank line and non-UTF-8 bytes comes back byte-exact",
      network: true,
      async run({ httpGet }, network) {
        const port = await rawServerBehindNetwork(network, BINARY_RESPONSE);
        const response = await httpGet("127.0.0.1", port, "/binary");
        expect(response.status).toBe(200);
        expect(response.headers["content-type"]).toBe("application/octet-stream");
        expect(response.headers["x-playground"], "values are trimmed").toBe("spaces around me");
        // In hex, "efbfbd" is U+FFFD: what decoding bytes that are not UTF-8 as text leaves behind.
        expect(response.body.toString("hex"), "body bytes, in hex").toBe(BINARY_BODY.toString("hex"));
      },
    },
    {
      name: "a server that closes without answering: a rejected promise, not a hang",
      network: true,
      async run({ httpGet }, network) {
        const port = await rawServerBehindNetwork(network, Buffer.alloc(0));
        const err = await expectRejects(httpGet("127.0.0.1", port, "/"), "httpGet to a server that sends nothing");
        expect(err.message, "the error says the server closed without a response").toMatch(/clos|no response|empty/i);

        const halfHead = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
        const port2 = await rawServerBehindNetwork(network, halfHead);
        await expectRejects(httpGet("127.0.0.1", port2, "/"), "httpGet to a server that closes in the middle of the head");
      },
    },
    {
      name: "talks TCP itself: node:net only, no node:http and no fetch()",
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const server = await rawServer(Buffer.alloc(0));
        network.defer(() => server.close());
        // A todo() stub rejects at once; any real attempt gets 200 ms and its result is ignored
        // (this check is about the imports, not about how the client behaves).
        const attempt = impl.httpGet("127.0.0.1", server.port, "/").catch((err: unknown) => {
          if (isNotStarted(err)) throw err;
        });
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 200))]);
        attempt.catch(() => {});

        const path = network.sourceFile;
        const code = codeWithoutComments(path);
        expect(code, `${path} must not import an HTTP library`).not.toMatch(
          /\b(from|import|require)\s*\(?\s*["'](node:)?(http|https|http2|undici)["']/,
        );
        expect(code, `${path} must not call fetch()`).not.toMatch(/\bfetch\s*\(/);
        expect(code, `${path} should use node:net`).toMatch(/["'](node:)?net["']/);
      },
    },
  ],
});
