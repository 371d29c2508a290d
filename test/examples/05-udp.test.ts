// Lesson 05's UDP examples, run as real processes the way a learner runs them — and the
// seeds' Python UDP code (liaoxuefeng's UDP编程: sendto / recvfrom) talking to them.
import dgram from "node:dgram";
import { once } from "node:events";
import { afterEach, describe, expect, test } from "vitest";
import { hasPython, runExample, runProgram, startExample, startPython } from "../kit/processes.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A UDP socket bound to a free port that never answers: datagrams sent there are simply lost. */
async function silentPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  cleanups.push(() => socket.close());
  return socket.address().port;
}

/** A port nobody is bound to: the system answers datagrams sent there with ICMP "port unreachable". */
async function closedPort(): Promise<number> {
  const socket = dgram.createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  const port = socket.address().port;
  socket.close();
  return port;
}

const BOOKS = [
  "TCP/IP Illustrated, Volume 1 (W. Richard Stevens)",
  "UNIX Network Programming, Volume 1 (W. Richard Stevens)",
  "Computer Networking: A Top-Down Approach (James Kurose, Keith Ross)",
  "Computer Networks (Andrew S. Tanenbaum)",
  "Internetworking with TCP/IP, Volume 1 (Douglas Comer)",
];

describe("the UDP examples", () => {
  test("udp-echo-server.ts sends every datagram back; udp-echo-client.ts prints the echoes", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-echo-server.ts");
    const { code, stdout } = await runExample("examples/udp-echo-client.ts", { stdin: "hello\nwörld\n\nnot sent\n", env: { PORT: String(server.port) } });
    expect(code).toBe(0);
    expect(stdout).toBe("hello\nwörld\n"); // the empty line quits
    expect(server.output()).toMatch(/127\.0\.0\.1:\d+ sent 5 bytes/);
    expect(server.output()).toMatch(/127\.0\.0\.1:\d+ sent 6 bytes/); // ö is two bytes in UTF-8
    expect(await server.stop()).toBe(0); // Ctrl-C stops it cleanly
    expect(server.output()).toContain("Shutting down");
  });

  test("udp-echo-client.ts gives up on a datagram that gets no answer, instead of waiting forever", { timeout: 20_000 }, async () => {
    const port = await silentPort();
    const { code, stdout } = await runExample("examples/udp-echo-client.ts", { stdin: "anyone there?\n", env: { PORT: String(port) } });
    expect(code).toBe(0);
    expect(stdout).toContain("(no reply within 1000 ms");
  });

  test("udp-hello-server.ts answers Hello, <name>! to udp-hello-client.ts", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-hello-server.ts");
    const { code, stdout } = await runExample("examples/udp-hello-client.ts", { stdin: "Michael\nTracy\nSarah\n", env: { PORT: String(server.port) } });
    expect(code).toBe(0);
    expect(stdout).toBe("Hello, Michael!\nHello, Tracy!\nHello, Sarah!\n");
    // One client socket, one source port for all three datagrams.
    const senders = [...server.output().matchAll(/Received from 127\.0\.0\.1:(\d+)\./g)].map((match) => match[1]);
    expect(senders).toHaveLength(3);
    expect(new Set(senders).size).toBe(1);
    expect(await server.stop()).toBe(0);
  });

  test("udp-books-server.ts hands out titles in rotation, across requests and across clients", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-books-server.ts");
    const env = { PORT: String(server.port) };
    const first = await runExample("examples/udp-books-client.ts", { stdin: "next\nnext\nnext\n", env });
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(BOOKS.slice(0, 3).join("\n") + "\n");
    // A second client continues where the first one stopped, and the list wraps around.
    const second = await runExample("examples/udp-books-client.ts", { stdin: "next\nnext\nnext\n", env });
    expect(second.stdout).toBe([BOOKS[3], BOOKS[4], BOOKS[0]].join("\n") + "\n");
    expect(server.output()).toContain(`asked (4 bytes) → ${BOOKS[0]}`);
    expect(await server.stop()).toBe(0);
  });

  test("udp-books-client.ts, on a connected socket, hears ECONNREFUSED when nobody is listening", { timeout: 20_000 }, async () => {
    const port = await closedPort();
    const { code, stdout } = await runExample("examples/udp-books-client.ts", { stdin: "next\nnext\n", env: { PORT: String(port) } });
    expect(code).toBe(0);
    expect(stdout).toBe(`Nobody is listening on 127.0.0.1:${port} (the system there said "port unreachable").\n`);
  });

  test.each(["examples/udp-hello-server.ts", "examples/udp-books-server.ts"])(
    "%s explains a port that is in use",
    { timeout: 20_000 },
    async (file) => {
      const busy = await silentPort();
      const { code, stderr } = await runExample(file, { env: { PORT: String(busy) } });
      expect(code).toBe(1);
      expect(stderr).toContain(`Port ${busy} is in use`);
    },
  );

  test("udp-datagram-size.ts: 65,507 bytes arrive whole, one byte more is EMSGSIZE", { timeout: 20_000 }, async () => {
    const { code, stdout } = await runExample("examples/udp-datagram-size.ts");
    expect(code).toBe(0);
    expect(stdout).toContain("     0 bytes: sent, arrived whole (0 bytes in one 'message')");
    expect(stdout).toContain("  1472 bytes: sent, arrived whole (1472 bytes in one 'message')");
    expect(stdout).toContain(" 65507 bytes: sent, arrived whole (65507 bytes in one 'message')");
    expect(stdout).toContain(" 65508 bytes: not sent: EMSGSIZE");
  });
});

// ---- the seeds' Python, against our examples and the other way round ----------------

/** Runs a Python UDP client written like liaoxuefeng's, with PORT in its code replaced by the real port. */
function runPython(code: string, port: number) {
  return runProgram("python3", ["-c", code.replaceAll("PORT", String(port))], { timeoutMs: 10_000 });
}

/** Starts a Python UDP server written like liaoxuefeng's (bound to port 0) and reads its port. */
async function startPythonServer(code: string): Promise<number> {
  return (await startPython(code, /Bind UDP on (\d+)\.\.\.\n/)).port;
}

const SEED_CLIENT = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for data in [b'Michael', b'Tracy', b'Sarah']:
    # 发送数据:
    s.sendto(data, ('127.0.0.1', PORT))
    # 接收数据:
    print(s.recv(1024).decode('utf-8'))
s.close()
`;

const SEED_HELLO_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print('Bind UDP on %d...' % s.getsockname()[1])
while True:
    data, addr = s.recvfrom(1024)
    print('Received from %s:%s.' % addr)
    s.sendto(b'Hello, %s!' % data, addr)
`;

describe.skipIf(!hasPython)("the seeds' Python UDP code and our examples", () => {
  test("liaoxuefeng's client gets its greetings from udp-hello-server.ts", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-hello-server.ts");
    const { code, stdout, stderr } = await runPython(SEED_CLIENT, server.port);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe("Hello, Michael!\nHello, Tracy!\nHello, Sarah!\n");
  });

  test("the same client's datagrams come back unchanged from udp-echo-server.ts", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-echo-server.ts");
    const { stdout } = await runPython(SEED_CLIENT, server.port);
    expect(stdout).toBe("Michael\nTracy\nSarah\n");
  });

  test("and udp-books-server.ts gives it the first three titles", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-books-server.ts");
    const { stdout } = await runPython(SEED_CLIENT, server.port);
    expect(stdout).toBe(BOOKS.slice(0, 3).join("\n") + "\n");
  });

  test("recvfrom(1024), as the seeds write it, cuts a bigger datagram short — the rest is gone", { timeout: 20_000 }, async () => {
    const server = await startExample("examples/udp-echo-server.ts");
    const { stdout } = await runPython(
      `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'x' * 2000, ('127.0.0.1', PORT))
data, addr = s.recvfrom(1024)
print(len(data))
s.close()
`,
      server.port,
    );
    expect(stdout).toBe("1024\n");
  });

  test("udp-hello-client.ts talks to liaoxuefeng's Python server", { timeout: 20_000 }, async () => {
    const port = await startPythonServer(SEED_HELLO_SERVER);
    const { stdout } = await runExample("examples/udp-hello-client.ts", { stdin: "Michael\nTracy\nSarah\n", env: { PORT: String(port) } });
    expect(stdout).toBe("Hello, Michael!\nHello, Tracy!\nHello, Sarah!\n");
  });

  test("udp-echo-client.ts talks to a Python echo server", { timeout: 20_000 }, async () => {
    const port = await startPythonServer(SEED_HELLO_SERVER.replace("b'Hello, %s!' % data", "data"));
    const { stdout } = await runExample("examples/udp-echo-client.ts", { stdin: "ping\npong\n", env: { PORT: String(port) } });
    expect(stdout).toBe("ping\npong\n");
  });

  test("udp-books-client.ts (connected socket) talks to a Python book server", { timeout: 20_000 }, async () => {
    const port = await startPythonServer(`
import socket
books = [b'TCP/IP Illustrated', b'UNIX Network Programming']
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print('Bind UDP on %d...' % s.getsockname()[1])
n = 0
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(books[n % len(books)], addr)
    n = n + 1
`);
    const { stdout } = await runExample("examples/udp-books-client.ts", { stdin: "a\nb\nc\n", env: { PORT: String(port) } });
    expect(stdout).toBe("TCP/IP Illustrated\nUNIX Network Programming\nTCP/IP Illustrated\n");
  });
});
