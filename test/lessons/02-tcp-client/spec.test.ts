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
import type { HttpResponse } from "../../../lessons/02-tcp-client/solution.ts";
import { deadPort, recordingServer, requestProblem } from "./servers.ts";

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
      "Location: http://127.0.0.1:8080/Lessons/02?at=10:30\r\n" +
      "X-Compact:no-space-after-the-colon\r\n" +
      "X-Mixed-Case: Keep THIS Case\r\n" +
      "X-Name: José\r\n" + // UTF-8 in the head (2 bytes for é): the blank line is found in bytes, not text
      "Connection: close\r\n" +
      "\r\n",
  ),
  BINARY_BODY,
]);

/**
 * Calls httpGet for a server that always sends a complete response: if the learner's code
 * throws anyway, say so (its own message alone, e.g. "no blank line", hides why).
 */
async function getComplete(httpGet: Lesson02["httpGet"], port: number, path: string): Promise<HttpResponse> {
  try {
    return await httpGet("127.0.0.1", port, path);
  } catch (err) {
    if (isNotStarted(err) || !(err instanceof Error)) throw err;
    err.message =
      `your httpGet threw "${err.message}", though the server sent a complete response (the transcript below shows ` +
      "what it sent, not what your code read). Did your client parse before the server closed the connection — at the " +
      "first 'data' event? Read every chunk until 'end', then parse.";
    throw err;
  }
}

/**
 * Fails with a message that says what is wrong when the client parsed only part of the
 * response: the transcript shows everything the server SENT, not what the client read.
 */
function expectWholeResponse(response: HttpResponse): void {
  const { status, body, headers } = response;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    expect.fail(
      `your httpGet returned status ${String(status)}: it did not parse a whole status line. The server sent a complete ` +
        "response (the transcript below shows what it sent, not what your code read): did your client stop at the " +
        "first 'data' event? Read every chunk until the server closes the connection ('end'), then parse.",
    );
  }
  const length = Number(headers["content-length"]);
  if (Number.isInteger(length) && body.length < length) {
    expect.fail(
      `your body has ${body.length} bytes, but the server's Content-Length says ${length}: your client stopped reading ` +
        "before the server closed the connection. TCP delivers the response in many 'data' chunks: keep all of them until 'end'.",
    );
  }
}

// /big.txt is ~200 KB: through 1..7-byte pieces it would take far too long, so the hostile
// run cuts it into pieces of up to 1500 bytes (one Ethernet packet) instead.
const BIG_TRANSFER_FAULTS: Partial<TcpFaults> = { maxPiece: 1500, maxDelayMs: 1 };

checkLesson<Lesson02>("02-tcp-client", {
  exercise,
  checks: [
    {
      name: "the request on the wire: each line ends in \\r\\n, then one blank line",
      network: true,
      async run({ httpGet }, network) {
        const server = await recordingServer();
        network.defer(() => server.close());
        const port = await network.tcp(server.port);
        await getComplete(httpGet, port, "/lessons/02?wire=1");
        const problem = requestProblem(server.requests[0] ?? Buffer.alloc(0), "/lessons/02?wire=1");
        if (problem) expect.fail(problem);
      },
    },
    {
      name: "GET /hello.txt: status, headers and the exact body",
      network: true,
      async run({ httpGet }, network) {
        const port = await demoServer(network);
        const response = await getComplete(httpGet, port, "/hello.txt");
        expectWholeResponse(response);
        expect(response.status).toBe(200);
        expect(response.statusText).toBe("OK");
        expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8");
        expect(response.headers["content-length"]).toBe(String(Buffer.byteLength(HELLO_TEXT)));
        expect(
          response.headers["date"],
          'the Date header, e.g. "Wed, 02 Dec 2026 01:23:45 GMT": a value may contain ":" — split a header line at its FIRST colon only',
        ).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
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
        const response = await getComplete(httpGet, port, "/no-such-page");
        expectWholeResponse(response);
        expect(response.status).toBe(404);
        expect(response.statusText, 'the reason phrase: everything after the code ("Not Found" has a space in it)').toBe("Not Found");
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
        expect(request, "a Host header").toMatch(/^host: /im);
        expect(
          request,
          `the Host header names the port too: the server listens on ${port}, not on HTTP's default 80 (RFC 9112 §3.2)`,
        ).toMatch(new RegExp(`^host: 127\\.0\\.0\\.1:${port}$`, "im"));
        expect(request, "a Connection: close header").toMatch(/^connection: close$/im);
      },
    },
    {
      name: "GET /big.txt: all ~200 KB, byte for byte, however many chunks it takes",
      network: true,
      async run({ httpGet }, network) {
        const port = await demoServer(network, network.profile === "hostile" ? BIG_TRANSFER_FAULTS : undefined);
        const response = await getComplete(httpGet, port, "/big.txt");
        const expected = Buffer.from(bigText());
        expectWholeResponse(response);
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
        expect(
          response.headers["location"],
          "the Location header: a value may contain \":\" (here three) — split a header line at its FIRST colon only",
        ).toBe("http://127.0.0.1:8080/Lessons/02?at=10:30");
        expect(response.headers["x-compact"], 'a header written "X-Compact:value" (no space after the colon is allowed)').toBe(
          "no-space-after-the-colon",
        );
        expect(response.headers["x-mixed-case"], "header NAMES are lower-cased; values stay as the server wrote them").toBe(
          "Keep THIS Case",
        );
        // In hex, "efbfbd" is U+FFFD: what decoding bytes that are not UTF-8 as text leaves behind.
        expect(
          response.body.toString("hex"),
          "body bytes, in hex (the head has a UTF-8 é: find the blank line in the bytes, not in decoded text)",
        ).toBe(BINARY_BODY.toString("hex"));
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
      name: "status lines of every shape: HTTP/1.0, a reason with spaces, an empty reason",
      network: true,
      async run({ httpGet }, network) {
        const shapes = [
          { line: "HTTP/1.0 201 Created It Is", status: 201, statusText: "Created It Is" },
          { line: "HTTP/1.1 299 ", status: 299, statusText: "" },
        ];
        for (const { line, status, statusText } of shapes) {
          const port = await rawServerBehindNetwork(network, Buffer.from(`${line}\r\nContent-Length: 2\r\n\r\nok`));
          const response = await httpGet("127.0.0.1", port, "/");
          expect(
            [response.status, response.statusText],
            `status and statusText of "${line}" (any HTTP/1.x version; the reason is everything after the code, maybe nothing)`,
          ).toEqual([status, statusText]);
          expect(response.body.toString()).toBe("ok");
        }
      },
    },
    {
      name: "a port where nothing listens: a rejected promise, not a hang",
      async run({ httpGet }) {
        const port = await deadPort();
        let timer: NodeJS.Timeout | undefined;
        const hang = new Error(
          `httpGet to 127.0.0.1:${port}, where nothing listens, neither resolved nor rejected within 2 s. The system ` +
            "refuses the connection at once (ECONNREFUSED) as an 'error' event on the socket: reject with it " +
            '(await once(socket, "connect") does).',
        );
        const attempt = httpGet("127.0.0.1", port, "/");
        attempt.catch(() => {});
        const err = await expectRejects(
          Promise.race([attempt, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(hang), 2000)))]).finally(() =>
            clearTimeout(timer),
          ),
          `httpGet to 127.0.0.1:${port}, where nothing listens`,
        );
        if (err === hang) throw hang;
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
