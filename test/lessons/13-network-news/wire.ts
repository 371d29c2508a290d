// A recorder on the wire for the lesson 13 checks: it sits right in front of the learner's
// client (before the network under test, so it sees each write as it leaves), passes every byte on unchanged, and keeps what each side sent, in the order it arrived —
// so a check can ask what the learner's client really sent (line ends, POST before 340,
// QUIT), not only what the tolerant server made of it. `dropAfter` cuts the connection
// the moment the server's side matches it: a server that dies in the middle of an answer.
import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";

/** How long the server's answer to POST is held back (see below). */
const POST_PAUSE_MS = 250;

export interface WireEvent {
  from: "C" | "S";
  data: Buffer;
}

export interface WireRecorder {
  port: number;
  events: WireEvent[];
  /** Everything the client sent, as text. */
  clientText(): string;
  close(): Promise<void>;
}

/** Listens on a free port and passes everything to and from `targetPort` (the network under test). */
export async function startWireRecorder(targetPort: number, dropAfter?: RegExp): Promise<WireRecorder> {
  const events: WireEvent[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ port: targetPort, host: "127.0.0.1", allowHalfOpen: true });
    let serverText = "";
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true); // pass each piece on at once, as the network under test cut it
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on("close", () => sockets.delete(socket));
    }
    // After the client's POST line, hold the server's answer back a moment: a client that
    // does not wait for the 340 then shows it on the wire. (Without the pause TCP may hide it:
    // Nagle's algorithm keeps the article in the client's kernel until the 340 comes back.)
    let clientText = "";
    let holdUntil = 0;
    client.on("data", (data: Buffer) => {
      events.push({ from: "C", data });
      clientText += data.toString("latin1");
      if (/(^|\n)POST\r?\n$/i.test(clientText)) holdUntil = Date.now() + POST_PAUSE_MS;
      upstream.write(data);
    });
    let toClient = Promise.resolve(); // the server's bytes, in order, held back when asked
    const deliver = (data: Buffer) => {
      const before = serverText.length;
      serverText += data.toString("latin1"); // latin1: one character per byte
      const match = dropAfter?.exec(serverText);
      if (match) {
        const upTo = data.subarray(0, match.index + match[0].length - before);
        events.push({ from: "S", data: upTo });
        client.end(upTo); // the answer up to the match, then FIN: the server is gone
        upstream.destroy();
        return;
      }
      events.push({ from: "S", data });
      client.write(data);
    };
    upstream.on("data", (data: Buffer) => {
      toClient = toClient.then(async () => {
        if (holdUntil > Date.now()) await sleep(holdUntil - Date.now());
        if (!client.destroyed) deliver(data);
      });
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => void toClient.then(() => client.end()));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    events,
    clientText: () => Buffer.concat(events.filter((event) => event.from === "C").map((event) => event.data)).toString("utf8"),
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/**
 * What the client did against the protocol, in a learner's words: lines that end in a bare
 * "\n" (RFC 3977 §3.1: every line ends in CRLF), article bytes sent before the server's
 * 340 (RFC 3977 §6.3.1: POST, wait for 340, then the article). Empty when all is well.
 */
export function wireMistakes(events: WireEvent[]): string[] {
  const mistakes: string[] = [];
  const clientText = Buffer.concat(events.filter((event) => event.from === "C").map((event) => event.data)).toString("utf8");
  const lines = clientText.split("\n").slice(0, -1); // the text after the last \n is not a whole line
  lines.forEach((line, index) => {
    if (!line.endsWith("\r") && mistakes.length < 3) {
      mistakes.push(`line ${index + 1} your client sent, ${JSON.stringify(line)}, ended in \\n without \\r (NNTP lines end in \\r\\n, the article's too)`);
    } else if (line.endsWith("\r\r") && mistakes.length < 3) {
      mistakes.push(`line ${index + 1} your client sent, ${JSON.stringify(line.slice(0, -1))}, ended in \\r\\r\\n: an article given with \\r\\n line ends got a second \\r`);
    }
  });
  // POST, then nothing more from the client until the server's 340 has arrived (the first POST).
  let sent = "";
  let postEnd = -1;
  let serverAfterPost = "";
  for (const { from, data } of events) {
    const text = data.toString("utf8");
    if (from === "S") {
      serverAfterPost += text;
      continue;
    }
    sent += text;
    if (postEnd === -1) {
      const post = /(^|\n)POST\r?\n/.exec(sent);
      if (!post) continue;
      postEnd = post.index + post[0].length;
      serverAfterPost = "";
      if (sent.length === postEnd) continue;
    } else if (/(^|\n)340 /.test(serverAfterPost)) break;
    mistakes.push("your client sent the article before the server's 340 reply to POST: send POST, wait for 340, then the article");
    break;
  }
  return mistakes;
}
