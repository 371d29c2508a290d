// examples/http-get-raw.ts as a learner runs it, against the playground's HTTP demo server;
// and the Python seed (liaoxuefeng's TCP编程 client) against the same server.
import net from "node:net";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { hasPython, runExample, runProgram, startPython } from "../kit/processes.ts";
import { startHttpDemo, bigText } from "../../servers/http-demo.ts";

let demo: Awaited<ReturnType<typeof startHttpDemo>>;
let folder: string; // the files the clients save go here, not into the repository

beforeAll(async () => {
  demo = await startHttpDemo(0);
  folder = mkdtempSync(join(tmpdir(), "http-get-raw-"));
});
afterAll(() => {
  demo.server.closeAllConnections();
  demo.server.close();
  rmSync(folder, { recursive: true, force: true });
});

/** `npx tsx examples/http-get-raw.ts <path> <file>` with PORT set. */
function getRaw(port: number, path: string, file: string) {
  return runExample("examples/http-get-raw.ts", { args: [path, file], env: { PORT: String(port) } });
}

test("GET /big.txt: prints the head, saves the body byte for byte, counts many chunks", async () => {
  const file = join(folder, "big.txt");
  const { code, stdout } = await getRaw(demo.port, "/big.txt", file);
  expect(code, stdout).toBe(0);
  const expected = Buffer.from(bigText());
  expect(stdout).toMatch(/^HTTP\/1\.1 200 OK$/m);
  expect(stdout).toMatch(new RegExp(`^Content-Length: ${expected.length}$`, "m"));
  expect(readFileSync(file).equals(expected), "big.txt is exactly the server's body").toBe(true);
  expect(stdout).toContain(`Saved the body (${expected.length} bytes) to ${file}`);
  const chunks = Number(/in (\d+) 'data' chunks?/.exec(stdout)?.[1]);
  expect(chunks, "200 KB cannot arrive in one 'data' event").toBeGreaterThan(1);
});

test("GET / saves the HTML page", async () => {
  const file = join(folder, "page.html");
  const { code, stdout } = await getRaw(demo.port, "/", file);
  expect(code, stdout).toBe(0);
  expect(stdout).toMatch(/^Content-Type: text\/html; charset=utf-8$/m);
  const page = readFileSync(file, "utf8");
  expect(page.startsWith("<!doctype html>")).toBe(true);
  expect(page).toContain("<h1>Socket Playground</h1>");
});

test("GET /echo shows the request the example sent: Host and Connection: close", async () => {
  const file = join(folder, "echo.txt");
  const { code } = await getRaw(demo.port, "/echo", file);
  expect(code).toBe(0);
  expect(readFileSync(file, "utf8")).toBe(`GET /echo HTTP/1.1\nHost: 127.0.0.1:${demo.port}\nConnection: close\n`);
});

test("no server: a clear message and exit code 1", async () => {
  const closed = net.createServer().listen(0, "127.0.0.1");
  await once(closed, "listening");
  const port = (closed.address() as net.AddressInfo).port;
  closed.close(); // now nothing listens there
  const { code, stderr } = await getRaw(port, "/", join(folder, "nothing.html"));
  expect(code).toBe(1);
  expect(stderr).toContain(`Could not connect to 127.0.0.1:${port}`);
  expect(stderr).toContain("npm start");
});

// The seed, as liaoxuefeng writes it — only the address and the file name changed.
const SEED_CLIENT = `
import socket, sys
port, filename = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', port))
s.send(b'GET /big.txt HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n')
buffer = []
while True:
    d = s.recv(1024)
    if d:
        buffer.append(d)
    else:
        break
data = b''.join(buffer)
s.close()
header, html = data.split(b'\\r\\n\\r\\n', 1)
print(header.decode('utf-8'))
with open(filename, 'wb') as f:
    f.write(html)
`;

test.skipIf(!hasPython)("the Python seed fetches /big.txt from the demo server, byte for byte", async () => {
  const file = join(folder, "seed-big.txt");
  const { code, stdout, stderr } = await runProgram("python3", ["-c", SEED_CLIENT, String(demo.port), file]);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^HTTP\/1\.1 200 OK$/m);
  expect(readFileSync(file).equals(Buffer.from(bigText()))).toBe(true);
});

// A web server the way the seeds write servers: accept, recv the request, send, close.
const PYTHON_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(1)
print('Listening on %s:%d' % s.getsockname(), flush=True)
sock, addr = s.accept()
request = b''
while b'\\r\\n\\r\\n' not in request:
    d = sock.recv(1024)
    if not d:
        break
    request += d
body = b'Hello from Python\\r\\n\\r\\nand bytes that are not text: \\xff\\xfe\\x00\\n'
sock.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: application/octet-stream\\r\\n\\r\\n' + body)
sock.close()
s.close()
`;

test.skipIf(!hasPython)("the example fetches from a Python server written like the seeds", async () => {
  const python = await startPython(PYTHON_SERVER);
  try {
    const port = python.port;
    const file = join(folder, "from-python.bin");
    const { code, stdout } = await getRaw(port, "/", file);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/^HTTP\/1\.1 200 OK$/m);
    expect(readFileSync(file).toString("hex")).toBe(
      Buffer.from("Hello from Python\r\n\r\nand bytes that are not text: \xff\xfe\x00\n", "latin1").toString("hex"),
    );
  } finally {
    await python.stop();
  }
});
