// Lesson 03's examples as real processes: the echo, greeting and timestamp servers and
// clients, the seeds' Python clients against our servers, and our client against a
// Python server written like the seed.
import net from "node:net";
import { once } from "node:events";
import { expect, test } from "vitest";
import { hasPython, runExample, runProgram, startExample, startPython } from "../kit/processes.ts";

/** Connects, writes `chunks` one write each, half-closes, and collects everything until the server's FIN. */
async function converse(port: number, chunks: (string | Buffer)[]): Promise<Buffer> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  for (const chunk of chunks) socket.write(chunk);
  socket.end(); // FIN: "no more from me" — the server still answers, then closes
  await once(socket, "close");
  return Buffer.concat(received);
}


const CTIME = String.raw`[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}`;

// ---- echo ---------------------------------------------------------------------------

test("tcp-echo-client sends a line from stdin and prints the echo", async () => {
  const server = await startExample("examples/tcp-echo-server.ts");
  const { code, stdout } = await runExample("examples/tcp-echo-client.ts", { stdin: "hi\n", env: { PORT: String(server.port) } });
  expect(code).toBe(0);
  expect(stdout).toMatch(new RegExp(String.raw`^Connected to 127\.0\.0\.1:${server.port} from 127\.0\.0\.1:\d+\nhi\n$`));
  expect(server.output()).toContain("Accepted connection from 127.0.0.1:");
});

test("tcp-echo-server echoes arbitrary bytes exactly, binary included, and closes after the client's FIN", async () => {
  const server = await startExample("examples/tcp-echo-server.ts");
  const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const big = Buffer.alloc(200_000, everyByte); // more than one socket buffer: backpressure is exercised too
  const sent = [everyByte, Buffer.from("\r\n\0 张三 \xff"), big];
  const echoed = await converse(server.port, sent);
  expect(echoed.equals(Buffer.concat(sent))).toBe(true);
  expect(await server.stop()).toBe(0);
  expect(server.output()).toContain("Shutting down");
});

// ---- greeting -----------------------------------------------------------------------

test("greeting-client greets each name from stdin and says exit at the end", async () => {
  const server = await startExample("examples/greeting-server.ts");
  const { code, stdout } = await runExample("examples/greeting-client.ts", {
    stdin: "Michael\nTracy\nSarah\n",
    env: { PORT: String(server.port) },
  });
  expect(code).toBe(0);
  expect(stdout).toBe("Welcome!\nHello, Michael!\nHello, Tracy!\nHello, Sarah!\nBye!\n");
});

test("greeting-server speaks the line protocol: pieces, several lines per write, blank lines, exit", async () => {
  const server = await startExample("examples/greeting-server.ts");
  const reply = await converse(server.port, ["Mi", "chael\r\n", "\n张", "三\nexit\nSarah\n"]);
  expect(reply.toString()).toBe("Welcome!\r\nHello, Michael!\r\nHello, 张三!\r\nBye!\r\n");
});

test("greeting-server answers a last line cut short by the client's FIN, then closes", async () => {
  const server = await startExample("examples/greeting-server.ts");
  const reply = await converse(server.port, ["Ann\nBen"]);
  expect(reply.toString()).toBe("Welcome!\r\nHello, Ann!\r\nHello, Ben!\r\n");
});

// ---- timestamp ----------------------------------------------------------------------

test("timestamp-client prints each line with a ctime() timestamp", async () => {
  const server = await startExample("examples/timestamp-server.ts");
  const { code, stdout } = await runExample("examples/timestamp-client.ts", {
    stdin: "hello\n张三\n",
    env: { PORT: String(server.port) },
  });
  expect(code).toBe(0);
  expect(stdout).toMatch(new RegExp(`^\\[${CTIME}\\] hello\\n\\[${CTIME}\\] 张三\\n$`));
});

test("timestamp-server answers per line, even split lines, and closes after the client's FIN", async () => {
  const server = await startExample("examples/timestamp-server.ts");
  const reply = await converse(server.port, ["he", "llo\r\nworld\nlast"]);
  expect(reply.toString()).toMatch(new RegExp(`^\\[${CTIME}\\] hello\\r\\n\\[${CTIME}\\] world\\r\\n\\[${CTIME}\\] last\\r\\n$`));
});

// ---- all servers: many clients, resets, busy ports ----------------------------------

for (const [file, client, input] of [
  ["examples/greeting-server.ts", "examples/greeting-client.ts", "Tracy\n"],
  ["examples/timestamp-server.ts", "examples/timestamp-client.ts", "hello\n"],
  ["examples/tcp-echo-server.ts", "examples/tcp-echo-client.ts", "hi\n"],
] as const) {
  test(`${file} survives a client that resets the connection, and serves clients at once`, async () => {
    const server = await startExample(file);
    // A client that stays connected the whole time: the others must not wait for it.
    const idle = net.connect(server.port, "127.0.0.1");
    await once(idle, "connect");
    const rude = net.connect(server.port, "127.0.0.1");
    await once(rude, "connect");
    rude.write("Mallory\n".repeat(100));
    rude.resetAndDestroy(); // RST instead of FIN
    const clients = await Promise.all(
      [1, 2, 3].map(() => runExample(client, { stdin: input, env: { PORT: String(server.port) } })),
    );
    for (const { code } of clients) expect(code).toBe(0);
    idle.destroy();
    expect(server.process.exitCode).toBe(null); // still running
  });

  test(`${file} says clearly when its port is in use`, async () => {
    const first = await startExample(file);
    const second = await runExample(file, { env: { PORT: String(first.port) } });
    expect(second.code).toBe(1);
    expect(second.stdout + second.stderr).toContain(`Port ${first.port} is in use`);
  });
}

// ---- the seeds' Python code ---------------------------------------------------------

test.skipIf(!hasPython)("liaoxuefeng's greeting client (with a \\n after each name) talks to greeting-server", async () => {
  const server = await startExample("examples/greeting-server.ts");
  const seedClient = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', ${server.port}))
print(s.recv(1024).decode('utf-8'))
for data in [b'Michael\\n', b'Tracy\\n', b'Sarah\\n']:
    s.send(data)
    print(s.recv(1024).decode('utf-8'))
s.send(b'exit\\n')
s.close()
`;
  const { code, stdout, stderr } = await runProgram("python3", ["-c", seedClient]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout.replace(/\r?\n\n/g, "\n")).toBe("Welcome!\nHello, Michael!\nHello, Tracy!\nHello, Sarah!\n");
  // The seed closes without reading "Bye!": the server must shrug that off.
  const again = await runExample("examples/greeting-client.ts", { stdin: "Bob\n", env: { PORT: String(server.port) } });
  expect(again.stdout).toContain("Hello, Bob!");
});

test.skipIf(!hasPython)("tsTclnt.py (with a \\n after each line) talks to timestamp-server", async () => {
  const server = await startExample("examples/timestamp-server.ts");
  const tsTclnt = `
from socket import *

HOST = '127.0.0.1'
PORT = ${server.port}
BUFSIZ = 1024
ADDR = (HOST, PORT)

tcpCliSock = socket(AF_INET, SOCK_STREAM)
tcpCliSock.connect(ADDR)
while True:
    data = input('> ')
    if not data:
        break
    tcpCliSock.send(bytes(data + '\\n', 'utf-8'))
    data = tcpCliSock.recv(BUFSIZ)
    if not data:
        break
    print(data.decode('utf-8'))
tcpCliSock.close()
`;
  const { code, stdout, stderr } = await runProgram("python3", ["-c", tsTclnt], { stdin: "hello\nworld\n\n" });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toMatch(new RegExp(`^> \\[${CTIME}\\] hello\\r\\n\\n> \\[${CTIME}\\] world\\r\\n\\n> $`));
});

test.skipIf(!hasPython)("timestamp-client talks to a tsTserv.py-style Python server", async () => {
  const tsTserv = `
from socket import *
from time import ctime

HOST = '127.0.0.1'
PORT = 0    # any free port (the seed uses 21567)
BUFSIZ = 1024
ADDR = (HOST, PORT)

tcpSerSock = socket(AF_INET, SOCK_STREAM)
tcpSerSock.bind(ADDR)
tcpSerSock.listen(5)
print('Listening on %s:%d' % tcpSerSock.getsockname())

while True:
    print('waiting for connection...')
    tcpCliSock, addr = tcpSerSock.accept()
    print('...connected from:', addr)

    while True:
        data = tcpCliSock.recv(BUFSIZ)
        if not data:
            break
        tcpCliSock.send(bytes('[%s] %s' % (ctime(), data.decode('utf-8')), 'utf-8'))

    tcpCliSock.close()
`;
  const server = await startPython(tsTserv);
  const { code, stdout } = await runExample("examples/timestamp-client.ts", {
    stdin: "hello\nworld\n",
    env: { PORT: String(server.port) },
  });
  expect(code).toBe(0);
  expect(stdout).toMatch(new RegExp(`^\\[${CTIME}\\] hello\\n\\[${CTIME}\\] world\\n$`));
  expect(server.output()).toContain("...connected from: ('127.0.0.1'");
});
