// Spec for lessons/03-tcp-server: the greeting server. Every check starts the server on
// port 0, puts the network in front of it, and talks to it as real clients would.
import net from "node:net";
import { expect } from "vitest";
import { catchCrashes, checkLesson, expectRejects, type Network } from "../../kit/checker.ts";
import { LineClient } from "./line-client.ts";
import { canListenOn, expectListensOn, freePort, sendInPieces, withinSeconds } from "./listening.ts";
import * as exercise from "../../../lessons/03-tcp-server/exercise.ts";

type Lesson03 = typeof import("../../../lessons/03-tcp-server/solution.ts");

interface Running {
  /** The server's own port (no network in between). */
  port: number;
  /** The port of the network in front of the server: connect here. */
  proxyPort: number;
  /** The server's end of every connection it accepted. */
  serverSockets: net.Socket[];
  /** A client connected through the network. */
  connect(name?: string): Promise<LineClient>;
}

/**
 * Starts the learner's server, runs `talk` against it, and cleans everything up.
 * If the server would have crashed (an uncaught exception: usually an 'error' event
 * with no listener), the check fails at once with that error.
 */
async function withServer(impl: Lesson03, network: Network, talk: (server: Running) => Promise<void>): Promise<void> {
  let crashed: Error | null = null;
  let onCrash: (err: Error) => void = () => {};
  const crash = new Promise<never>((_, reject) => (onCrash = reject));
  const guard = catchCrashes((err) => {
    crashed ??= new Error(
      `your server crashed: "${(err as Error).message}" was thrown and nothing caught it — a real server process ` +
        "would have died here, and every client with it. Listen for 'error' on each client's socket " +
        "(and on anything that passes the socket's errors on, such as a readline interface).",
    );
    onCrash(crashed);
  });
  const clients: LineClient[] = [];
  const serverSockets: net.Socket[] = [];
  let server: net.Server | undefined;
  // Registered first, so it runs last: close everything, then stop catching crashes.
  network.defer(async () => {
    for (const socket of serverSockets) socket.destroy();
    server?.close();
    for (const client of clients) client.close();
    await new Promise((resolve) => setImmediate(resolve));
    guard.restore();
  });

  server = await impl.startGreetingServer(0);
  expect(server, "startGreetingServer should resolve with the net.Server").toBeInstanceOf(net.Server);
  const address = server.address();
  expect(address, "the server should be listening when startGreetingServer resolves").not.toBeNull();
  server.on("connection", (socket: net.Socket) => serverSockets.push(socket));
  const port = (address as net.AddressInfo).port;
  const proxyPort = await network.tcp(port);

  const running: Running = {
    port,
    proxyPort,
    serverSockets,
    async connect(name = "client") {
      const client = await LineClient.connect(proxyPort, name);
      clients.push(client);
      return client;
    },
  };
  const talking = talk(running);
  // Whichever of the two loses the race must not be reported as an unhandled rejection.
  talking.catch(() => {});
  crash.catch(() => {});
  await Promise.race([talking, crash]);
  if (crashed) throw crashed;
}

const hello = (name: string) => `Hello, ${name}!\r\n`;

const welcomeDeadline = {
  seconds: 2,
  missing: 'no "Welcome!\\r\\n": greet a client as soon as it connects, before it sends anything',
};
const endAfterFin = {
  seconds: 2,
  missing:
    "the client half-closed (sent FIN) and waits for your server to end its side too: answer a last " +
    "unfinished line, then call socket.end() in the 'end' handler",
};

checkLesson<Lesson03>("03-tcp-server", {
  exercise,
  checks: [
    {
      name: "listens on exactly the port and the host it is given; a port already in use makes it reject",
      run: async (impl, network) => {
        const port = await freePort("127.0.0.1");
        const server = await impl.startGreetingServer(port);
        network.defer(() => server.close());
        expectListensOn(server, "127.0.0.1", port, `startGreetingServer(${port})`);

        // Some machines have no IPv6 loopback; where there is one, an explicit host must be used too.
        if (await canListenOn("::1")) {
          const port6 = await freePort("::1");
          const server6 = await impl.startGreetingServer(port6, "::1");
          network.defer(() => server6.close());
          expectListensOn(server6, "::1", port6, `startGreetingServer(${port6}, "::1")`);
        }

        // The port is taken now (by the first server): listen() reports EADDRINUSE as an
        // 'error' event on the server, and startGreetingServer must pass it on.
        const second = impl.startGreetingServer(port);
        second.then((server) => network.defer(() => server.close()), () => {});
        const hang = new Error(
          `startGreetingServer(${port}) neither resolved nor rejected within 2 s while port ${port} was already in use. ` +
            "listen() reports EADDRINUSE as an 'error' event on the server: reject with it (once(server, \"listening\") does).",
        );
        const err = await expectRejects(
          withinSeconds(2, second, hang),
          `startGreetingServer(${port}) while your first server still listens on port ${port}`,
        );
        if (err === hang) throw hang;
      },
    },
    {
      name: 'greets every new client with "Welcome!\\r\\n"',
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect }) => {
          const client = await connect();
          expect(await client.nextLine(welcomeDeadline), "the first line a client receives").toBe("Welcome!\r\n");
        }),
    },
    {
      name: "answers every line with Hello, <name>!, in order — lines split into pieces, or several in one write",
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect }) => {
          const client = await connect();
          expect(await client.nextLine()).toBe("Welcome!\r\n");
          client.write("Michael\n");
          const bareNewline = { seconds: 2, missing: 'no answer to "Michael\\n": a client\'s line may end in a bare "\\n" (no "\\r")' };
          expect(await client.nextLine(bareNewline), 'after "Michael\\n"').toBe(hello("Michael"));
          client.write("Tracy\r\n");
          expect(await client.nextLine(), 'after "Tracy\\r\\n" (the "\\r" is part of the line ending, not the name)').toBe(hello("Tracy"));
          client.write("Sa");
          client.write("rah\n");
          expect(await client.nextLine(), 'after "Sa" and then "rah\\n" (one line, sent in two writes)').toBe(hello("Sarah"));
          client.write("Bob\nAlice\r\nEve\n");
          for (const name of ["Bob", "Alice", "Eve"]) {
            expect(await client.nextLine(), `after "Bob\\nAlice\\r\\nEve\\n" in ONE write: the answer for ${name}`).toBe(hello(name));
          }
          client.write("  Ann Lee \n");
          expect(
            await client.nextLine(),
            'after "  Ann Lee \\n": spaces are part of the name — remove only the line ending ("\\n" or "\\r\\n"), do not trim()',
          ).toBe(hello("  Ann Lee "));
        }),
    },
    {
      name: "a blank line gets no answer",
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect }) => {
          const client = await connect();
          expect(await client.nextLine()).toBe("Welcome!\r\n");
          client.write("\n");
          client.write("\r\n");
          client.write("Tracy\n");
          expect(await client.nextLine(), 'after "\\n", "\\r\\n" and "Tracy\\n": the only answer is Tracy\'s').toBe(hello("Tracy"));
        }),
    },
    {
      name: '"exit" gets "Bye!\\r\\n", then the server ends the connection',
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect }) => {
          const client = await connect();
          expect(await client.nextLine()).toBe("Welcome!\r\n");
          client.write("Sarah\r\nexit\r\nMichael\r\n");
          expect(await client.nextLine()).toBe(hello("Sarah"));
          expect(await client.nextLine(), 'the answer to "exit"').toBe("Bye!\r\n");
          const afterBye = (
            await client.untilEnd({ seconds: 2, missing: 'after "Bye!\\r\\n" the server must end the connection: socket.end("Bye!\\r\\n") writes, then sends FIN' })
          ).join("");
          expect(afterBye, 'after "Bye!" the server ends the connection — and does not answer Michael, who came after "exit"').toBe("");
        }),
    },
    {
      name: "names in UTF-8 (张三, José) come back whole, even when a character is cut in two",
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect, serverSockets }) => {
          const client = await connect();
          expect(await client.nextLine()).toBe("Welcome!\r\n");
          const names = ["张三", "李四", "José", "Ωμέγα", "王小明"];
          client.write(names.map((name) => `${name}\n`).join(""));
          for (const name of names) {
            expect(await client.nextLine(), `the answer to ${name}, sent in UTF-8: read the bytes as UTF-8 text`).toBe(hello(name));
          }

          // Now cut 张 and 三 in the middle, for sure: each piece is sent only once the server
          // has read the one before, so it arrives as a 'data' event of its own.
          const bytes = Buffer.from("张三\n");
          await sendInPieces(client.socket, serverSockets[0]!, [bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)]);
          const answer = await client.nextLine();
          expect(
            answer,
            answer.includes("\ufffd")
              ? `"张三\\n" sent as 3 pieces (张 and 三 each cut in two) came back as ${JSON.stringify(answer)}: "\\ufffd" is what ` +
                  "decoding half a character gives. Decode UTF-8 across chunks: socket.setEncoding(\"utf8\") before reading"
              : '"张三\\n" sent as 3 pieces, 张 and 三 each cut in two',
          ).toBe(hello("张三"));
        }),
    },
    {
      name: "serves 25 clients at once; each gets its own answers",
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect }) => {
          // Everyone connects first, and nobody leaves: a server that finishes one client
          // before it greets the next never greets client 2.
          const clients = await Promise.all(Array.from({ length: 25 }, (_, i) => connect(`client ${i + 1}`)));
          let greeted = 0;
          const greetings = Promise.all(
            clients.map(async (client, i) => {
              expect(await client.nextLine(), `the greeting of client ${i + 1}`).toBe("Welcome!\r\n");
              greeted++;
            }),
          );
          // Not a speed test: 25 greetings take milliseconds. This only turns the checker's
          // plain "timed out" into a message that says what is missing.
          let timer: NodeJS.Timeout | undefined;
          const stuck = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(
              `only ${greeted} of 25 connected clients were greeted after 3 s. Is your server still busy with the ` +
                "first client? Do not wait for one client to leave before you serve the next: handle each " +
                "connection in its own event handlers, and the event loop takes turns between them.",
            )), 3000);
          });
          try {
            await Promise.race([greetings, stuck]);
          } finally {
            clearTimeout(timer);
          }
          // Interleaved: round 1 for everyone, then round 2 for everyone, ...
          for (const round of [1, 2, 3]) {
            clients.forEach((client, i) => client.write(`guest${i + 1}-round${round}\n`));
          }
          await Promise.all(
            clients.map(async (client, i) => {
              for (const round of [1, 2, 3]) {
                const answer = await client.nextLine();
                const mixed = answer !== hello(`guest${i + 1}-round${round}`) && !answer.includes(`guest${i + 1}-`);
                expect(
                  answer,
                  `client ${i + 1}, round ${round}` +
                    (mixed ? ": this answer is made of pieces of other clients' lines — keep the unfinished text per connection (a let inside the createServer callback), not one for all" : ""),
                ).toBe(hello(`guest${i + 1}-round${round}`));
              }
              client.write("exit\n");
              expect(await client.nextLine(), `client ${i + 1} after "exit"`).toBe("Bye!\r\n");
            }),
          );
        }),
    },
    {
      name: "a client that half-closes (sends FIN) after its names still gets every answer, then the end",
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect }) => {
          const client = await connect();
          expect(await client.nextLine()).toBe("Welcome!\r\n");
          // The last name has no "\n": the FIN tells the server that the line is complete.
          client.socket.end("Ann\nBen\nCid");
          const answers = (await client.untilEnd(endAfterFin)).join("");
          expect(answers, 'after "Ann\\nBen\\nCid" and FIN: three answers (Cid too), then the server ends the connection').toBe(
            hello("Ann") + hello("Ben") + hello("Cid"),
          );
          // Same again with "\r\n" lines: the "\r" before the FIN is line ending too, not name.
          const crlf = await connect("crlf client");
          expect(await crlf.nextLine()).toBe("Welcome!\r\n");
          crlf.socket.end("Dan\r\nEve\r");
          const crlfAnswers = (await crlf.untilEnd(endAfterFin)).join("");
          expect(
            crlfAnswers,
            'after "Dan\\r\\nEve\\r" and FIN: two answers — remove the "\\r" of the last line too, then end the connection',
          ).toBe(hello("Dan") + hello("Eve"));
        }),
    },
    {
      name: "a client that resets the connection does not crash the server; the others carry on",
      network: true,
      run: (impl, network) =>
        withServer(impl, network, async ({ connect, port, serverSockets }) => {
          const alice = await connect("alice");
          expect(await alice.nextLine()).toBe("Welcome!\r\n");

          // Mallory connects straight to the server (a proxy would turn her reset into a
          // polite close), says a name and resets (RST) without reading the answer.
          const mallory = await LineClient.connect(port, "mallory");
          network.defer(() => mallory.close());
          expect(await mallory.nextLine()).toBe("Welcome!\r\n");
          const atServer = serverSockets.find((socket) => socket.remotePort === mallory.socket.localPort);
          mallory.write("Mallory\n".repeat(20));
          mallory.socket.resetAndDestroy();
          // Wait until the server has seen the reset (once() would reject on the 'error' event).
          if (atServer && !atServer.closed) await new Promise((resolve) => atServer.on("close", resolve));

          alice.write("Alice\n");
          expect(await alice.nextLine(), "a client connected before the reset").toBe(hello("Alice"));
          const bob = await connect("bob");
          expect(await bob.nextLine(), "a client that connects after the reset").toBe("Welcome!\r\n");
          bob.write("Bob\n");
          expect(await bob.nextLine()).toBe(hello("Bob"));
        }),
    },
  ],
});
