// The framing examples as a learner runs them (real processes, PORT=0), through the hostile
// proxy as lesson 04's "Break it" does, and against the seeds' Python code: Core Python
// Programming's tsTservSS.py (socketserver's StreamRequestHandler, rfile.readline()) and a
// Python client that frames with struct.pack('!I', n).
import { once } from "node:events";
import { afterEach, expect, test } from "vitest";
import { hasPython, runExample, runProgram, startExample, startPython } from "../kit/processes.ts";
import { PROFILES, startTcpProxy } from "../../servers/hostile-proxy.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The hostile proxy in front of `port`, cutting every chunk into pieces of 1..maxPiece bytes. */
async function proxy(port: number, maxPiece: number) {
  const running = await startTcpProxy({ targetPort: port, seed: 4, faults: { ...PROFILES.hostile.tcp, maxPiece } });
  cleanups.push(() => running.close());
  return running.port;
}

/** Waits until a running example has printed `text` (its output comes asynchronously). */
async function printed(example: { output(): string; process: { stdout: NodeJS.ReadableStream | null } }, text: string) {
  while (!example.output().includes(text)) await once(example.process.stdout!, "data");
}

test("three write()s: the chunks server reports every 'data' event and still finds the 3 lines", async () => {
  const server = await startExample("examples/framing-chunks-server.ts");
  const { code, stdout } = await runExample("examples/framing-chunks-client.ts", {
    stdin: "hello\nworld\nbye\n",
    env: { PORT: String(server.port) },
  });
  expect(code, stdout).toBe(0);
  expect(stdout).toContain('write() 1: "hello\\n"');
  expect(stdout).toContain('write() 3: "bye\\n"');
  expect(stdout).toMatch(/^The server says: You sent 16 bytes\. They arrived in \d+ 'data' events? and held 3 lines: hello \| world \| bye$/m);
  await printed(server, "line 3: bye");
  expect(server.output()).toMatch(/'data' event 1: \d+ bytes? /);
  expect(server.output()).toContain("line 1: hello");
});

test("through the hostile proxy: many small 'data' events, 张三 among them, the same lines", async () => {
  const server = await startExample("examples/framing-chunks-server.ts");
  const { code, stdout } = await runExample("examples/framing-chunks-client.ts", {
    stdin: "hello\n张三\nbye\n",
    env: { PORT: String(await proxy(server.port, 3)) },
  });
  expect(code, stdout).toBe(0);
  const events = Number(/They arrived in (\d+) 'data' event/.exec(stdout)?.[1]);
  expect(events, "17 bytes cut into pieces of 1..3 bytes").toBeGreaterThan(1);
  expect(stdout).toContain("You sent 17 bytes.");
  expect(stdout).toContain("held 3 lines: hello | 张三 | bye");
});

test("length-prefixed frames: the frames client's lines come back as whole frames", async () => {
  const server = await startExample("examples/framing-frames-server.ts");
  const { code, stdout } = await runExample("examples/framing-frames-client.ts", {
    stdin: "hello\n张三\nbye\n",
    env: { PORT: String(server.port) },
  });
  expect(code, stdout).toBe(0);
  expect(stdout).toContain("sent a frame: header 00 00 00 06, then 6 bytes of payload");
  expect(stdout).toContain("frame 1 back (5 bytes): hello");
  expect(stdout).toContain("frame 2 back (6 bytes): 张三");
  expect(stdout).toContain("frame 3 back (3 bytes): bye");
  await printed(server, "closed after 3 frames");
  expect(server.output()).toContain("frame 2: 6 bytes  张三");
});

test("length-prefixed frames through the hostile proxy (pieces of 1..7 bytes, both ways)", async () => {
  const server = await startExample("examples/framing-frames-server.ts");
  const line = "x".repeat(1000);
  const { code, stdout } = await runExample("examples/framing-frames-client.ts", {
    stdin: `hello\n${line}\nbye\n`,
    env: { PORT: String(await proxy(server.port, 7)) },
  });
  expect(code, stdout).toBe(0);
  expect(stdout).toContain("frame 1 back (5 bytes): hello");
  expect(stdout).toContain(`frame 2 back (1000 bytes): ${line}`);
  expect(stdout).toContain("frame 3 back (3 bytes): bye");
});

test("the frames server refuses text: 'hell' read as a length is 1751477356 bytes", async () => {
  const server = await startExample("examples/framing-frames-server.ts");
  const { code, stdout } = await runExample("examples/framing-chunks-client.ts", {
    stdin: "hello\n",
    env: { PORT: String(server.port) },
  });
  expect(code, stdout).toBe(0);
  await printed(server, "closed after 0 frames");
  expect(server.output()).toContain("a frame of 1751477356 bytes was announced; the limit is 1048576");
});

test("backpressure: write() returns false, memory grows when ignored, 'drain' fires when respected", async () => {
  const { code, stdout } = await runExample("examples/backpressure.ts", { timeoutMs: 30_000 });
  expect(code, stdout).toBe(0);
  expect(stdout).toMatch(/write\(\) \d+ returned false — and we write on anyway/);
  expect(stdout).toMatch(/write\(\) \d+ returned false — waiting for 'drain'/);
  expect(stdout).toContain("'drain' fired");
  expect(stdout.match(/all 16\.00 MiB delivered\./g)).toHaveLength(2);
  const ignored = Number(/after 2048 writes: writableLength = ([\d.]+) MiB/.exec(stdout)?.[1]);
  const respected = Number(/The most ever waiting in our memory: ([\d.]+) MiB/.exec(stdout)?.[1]);
  expect(ignored, "ignoring backpressure queues much more in memory").toBeGreaterThan(respected);
});

// tsTclnt.py's way: socket(), connect(), send(), recv() — three send()s, then a half-close.
const SEED_LINE_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', int(sys.argv[1])))
s.send(b'hello\\n')
s.send(b'world\\n')
s.send(b'bye\\n')
s.shutdown(socket.SHUT_WR)
buffer = []
while True:
    d = s.recv(1024)
    if not d:
        break
    buffer.append(d)
s.close()
print(b''.join(buffer).decode('utf-8'), end='')
`;

test.skipIf(!hasPython)("the seed's Python client (three send()s) against our chunks server", async () => {
  const server = await startExample("examples/framing-chunks-server.ts");
  const { code, stdout, stderr } = await runProgram("python3", ["-c", SEED_LINE_CLIENT, String(server.port)]);
  expect(code, stderr).toBe(0);
  expect(stdout).toMatch(/^You sent 16 bytes\. They arrived in \d+ 'data' events? and held 3 lines: hello \| world \| bye$/m);
});

// tsTservSS.py, in Python 3: socketserver's StreamRequestHandler gives a file (rfile) whose
// readline() does the line framing; iterating over it reads lines until the client's FIN.
const SEED_LINE_SERVER = `
import socketserver
class MyRequestHandler(socketserver.StreamRequestHandler):
    def handle(self):
        lines = [line.rstrip(b'\\r\\n').decode('utf-8') for line in self.rfile]
        self.wfile.write(('%d lines: %s\\n' % (len(lines), ' | '.join(lines))).encode('utf-8'))
server = socketserver.TCPServer(('127.0.0.1', 0), MyRequestHandler)
print('Listening on %s:%d' % server.server_address)
server.serve_forever()
`;

test.skipIf(!hasPython)("our chunks client against the seed's socketserver (rfile.readline()) server", async () => {
  const { port } = await startPython(SEED_LINE_SERVER);
  const { code, stdout } = await runExample("examples/framing-chunks-client.ts", {
    stdin: "hello\n张三\nbye\n",
    env: { PORT: String(port) },
  });
  expect(code, stdout).toBe(0);
  expect(stdout).toContain("The server says: 3 lines: hello | 张三 | bye");
});

// Length-prefixed frames in Python: struct.pack('!I', n) is the 4-byte big-endian length.
const PYTHON_FRAME_CLIENT = `
import socket, struct, sys
def recv_exactly(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError('the connection closed in the middle of a frame')
        data += chunk
    return data
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', int(sys.argv[1])))
for data in [b'hello', b'', bytes(range(256)), '张三'.encode('utf-8')]:
    s.send(struct.pack('!I', len(data)) + data)
    (length,) = struct.unpack('!I', recv_exactly(s, 4))
    print(length, recv_exactly(s, length) == data)
s.close()
`;

test.skipIf(!hasPython)("a Python client using struct.pack('!I', n) against our frames server", async () => {
  const server = await startExample("examples/framing-frames-server.ts");
  const { code, stdout, stderr } = await runProgram("python3", ["-c", PYTHON_FRAME_CLIENT, String(server.port)]);
  expect(code, stderr).toBe(0);
  expect(stdout).toBe("5 True\n0 True\n256 True\n6 True\n");
});

const PYTHON_FRAME_SERVER = `
import socketserver, struct
class FrameEcho(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            header = self.rfile.read(4)          # waits for 4 bytes (fewer only at the end)
            if len(header) < 4:
                break
            (length,) = struct.unpack('!I', header)
            payload = self.rfile.read(length)
            self.wfile.write(struct.pack('!I', len(payload)) + payload)
server = socketserver.TCPServer(('127.0.0.1', 0), FrameEcho)
print('Listening on %s:%d' % server.server_address)
server.serve_forever()
`;

test.skipIf(!hasPython)("our frames client against a Python socketserver that reads frames with rfile.read(n)", async () => {
  const { port } = await startPython(PYTHON_FRAME_SERVER);
  const { code, stdout, stderr } = await runExample("examples/framing-frames-client.ts", {
    stdin: "hello\n张三\n",
    env: { PORT: String(port) },
  });
  expect(code, stdout + stderr).toBe(0);
  expect(stdout).toContain("frame 1 back (5 bytes): hello");
  expect(stdout).toContain("frame 2 back (6 bytes): 张三");
});
