// Spec for lessons/04-framing: line framing and length-prefixed frames.
// The pure checks feed one byte stream to the learner's parser cut in every way the
// network might cut it; the network checks put the parser inside a real TCP server and
// talk to it through the (friendly, then hostile) proxy.
import net from "node:net";
import { once } from "node:events";
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { checkLesson, expectThrows, type Network } from "../../kit/checker.ts";
import { seededRandom } from "../../../servers/hostile-proxy.ts";
import * as exercise from "../../../lessons/04-framing/exercise.ts";
import type { FrameDecoderOptions, LineSplitterOptions } from "../../../lessons/04-framing/solution.ts";

// What the exercise must export (an interface, because classes with private fields
// never match each other's types, even when their public parts are the same).
interface Lesson04 {
  LineSplitter: new (options?: LineSplitterOptions) => { push(chunk: Buffer): string[]; rest(): Buffer };
  encodeFrame(payload: Buffer): Buffer;
  FrameDecoder: new (options?: FrameDecoderOptions) => { push(chunk: Buffer): Buffer[]; rest(): Buffer };
}

const text = (value: string) => Buffer.from(value, "utf8");

/** A frame built by the spec itself, so the decoder is checked against the real format. */
function frame(payload: Buffer | string): Buffer {
  const bytes = typeof payload === "string" ? text(payload) : payload;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length);
  return Buffer.concat([header, bytes]);
}

function randomBytes(random: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

/** The same stream cut the ways a network may cut it: whole, byte by byte, random sizes. */
function chunkings(stream: Buffer, seed: number): { name: string; chunks: Buffer[] }[] {
  const random = seededRandom(seed);
  const cuts = [
    { name: "in one chunk", chunks: [stream] },
    { name: "one byte at a time", chunks: [...stream].map((byte) => Buffer.from([byte])) },
  ];
  for (const maxPiece of [3, 7, 64]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * maxPiece);
      chunks.push(stream.subarray(at, at + size));
      at += size;
    }
    cuts.push({ name: `in random pieces of 1..${maxPiece} bytes (seed ${seed})`, chunks });
  }
  return cuts;
}

/**
 * A TCP server that answers with `reply.data(chunk)` for every chunk that arrives and
 * `reply.end()` after the client's FIN, then closes. `served` rejects with whatever the
 * learner's code threw, so the check fails with that error.
 */
async function startServer(network: Network, reply: { data(chunk: Buffer): string; end(): string }) {
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const served = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  served.catch(() => {}); // the check awaits it; this only stops an early "unhandled rejection"
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: after the client's FIN we still answer, then close our side.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const fail = (err: unknown) => {
      socket.destroy();
      settle.reject(err);
    };
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      try {
        socket.write(reply.data(chunk));
      } catch (err) {
        fail(err);
      }
    });
    socket.on("end", () => {
      try {
        socket.end(reply.end());
        settle.resolve();
      } catch (err) {
        fail(err);
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  network.defer(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, served };
}

/** Connects, makes each write() in turn, half-closes, and returns everything the server said. */
async function talk(port: number, writes: Buffer[]): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  socket.on("error", () => {}); // what arrived is what we check
  await once(socket, "connect");
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => received.push(chunk));
  for (const bytes of writes) socket.write(bytes);
  socket.end();
  await once(socket, "close");
  return Buffer.concat(received).toString("utf8");
}

// One stream of lines with everything that goes wrong in practice: "\r\n" endings,
// empty lines, a lone "\r" inside a line, and characters of 2, 3 and 4 UTF-8 bytes.
const LINES = ["GET / HTTP/1.1", "张三", "", "你好，世界", "a\rb", "naïve café", "party 🎉 time", "", "x".repeat(300), "bye"];
const LINE_STREAM = text(LINES.map((line, i) => line + (i % 2 === 0 ? "\r\n" : "\n")).join("") + "李四 no newline");

checkLesson<Lesson04>("04-framing", {
  exercise,
  checks: [
    {
      name: "LineSplitter returns the lines a chunk finished and keeps the rest for later",
      run({ LineSplitter }) {
        const splitter = new LineSplitter();
        expect(splitter.push(text("hello\nwor"))).toEqual(["hello"]);
        expect(splitter.push(text("ld\n"))).toEqual(["world"]);
        expect(splitter.push(text("no newline yet"))).toEqual([]);
        expect(splitter.push(text("...\n\nlast\n"))).toEqual(["no newline yet...", "", "last"]);
        expect(splitter.push(Buffer.alloc(0))).toEqual([]);
      },
    },
    {
      name: 'LineSplitter removes "\\n" and "\\r\\n" line endings, and nothing else',
      run({ LineSplitter }) {
        const splitter = new LineSplitter();
        expect(splitter.push(text("a\r\nb\nc\rd\n\r\n\n"))).toEqual(["a", "b", "c\rd", "", ""]);
        expect(
          splitter.push(text("  indented, trailing spaces and a tab \t\r\n")),
          "spaces and tabs are part of the line: remove only the line ending (no trim(), no trimEnd())",
        ).toEqual(["  indented, trailing spaces and a tab \t"]);
        // the "\r" and the "\n" of one line ending, in two different chunks
        expect(splitter.push(text("two chunks\r"))).toEqual([]);
        expect(splitter.push(text("\n"))).toEqual(["two chunks"]);
      },
    },
    {
      name: "LineSplitter decodes 张三 correctly when it arrives one byte at a time",
      run({ LineSplitter }) {
        const splitter = new LineSplitter();
        const lines = [...text("张三\n")].flatMap((byte) => splitter.push(Buffer.from([byte])));
        expect(lines, "张 is e5 bc a0 and 三 is e4 b8 89: decode a line only once all its bytes are there").toEqual(["张三"]);
      },
    },
    {
      name: "LineSplitter gives the same lines however the stream is cut",
      run({ LineSplitter }, network) {
        for (const { name, chunks } of chunkings(LINE_STREAM, network.seed)) {
          const splitter = new LineSplitter();
          const lines = chunks.flatMap((chunk) => splitter.push(chunk));
          expect(lines, `the stream ${name}`).toEqual(LINES);
          expect(splitter.rest().toString("utf8"), `rest() after the stream ${name}`).toBe("李四 no newline");
        }
      },
    },
    {
      name: 'rest() returns the bytes after the last "\\n", and changes nothing',
      run({ LineSplitter }) {
        const splitter = new LineSplitter();
        expect(splitter.rest().length, "rest() before any data").toBe(0);
        splitter.push(text("a\nbc"));
        expect(splitter.rest().toString(), "rest() after a\\nbc").toBe("bc");
        expect(splitter.rest().toString(), "rest() asked twice").toBe("bc");
        splitter.push(Buffer.from([0xe5, 0xbc])); // the first two bytes of 张
        expect(splitter.rest(), "rest() holding half a character").toEqual(Buffer.from([0x62, 0x63, 0xe5, 0xbc]));
        expect(splitter.push(Buffer.from([0xa0, 0x0a]))).toEqual(["bc张"]);
        expect(splitter.rest().length, "rest() right after a \\n").toBe(0);
      },
    },
    {
      name: "LineSplitter throws once a line is longer than maxLineBytes, with or without its \\n",
      run({ LineSplitter }) {
        const limited = () => new LineSplitter({ maxLineBytes: 8 });
        expect(limited().push(text("12345678\n1234567\r"))).toEqual(["12345678"]);
        expect(limited().push(text("1234567\r\n")), 'a 7-byte line and its "\\r": 8 bytes before the "\\n" (maxLineBytes 8)').toEqual(["1234567"]);
        expectThrows(
          () => limited().push(text("12345678\r\n")),
          'an 8-byte line and its "\\r": 9 bytes before the "\\n" — the "\\r" counts (maxLineBytes 8)',
        );
        // The limit counts BYTES: 张 is one character but three bytes.
        expect(limited().push(text("张三\n")), "张三: 2 characters, 6 bytes (maxLineBytes 8)").toEqual(["张三"]);
        expectThrows(
          () => limited().push(text("张三四\n")),
          "张三四: 3 characters but 9 bytes (maxLineBytes 8) — count the line's bytes, not the length of the decoded text",
        );
        expectThrows(() => limited().push(text("张三四")), "张三四 without a \\n: 9 bytes waiting (maxLineBytes 8)");
        expectThrows(() => limited().push(text("123456789\n")), "a 9-byte line in one chunk (maxLineBytes 8)");
        expectThrows(() => limited().push(text("ok\n123456789\n")), "a 9-byte line after a short one (maxLineBytes 8)");
        const waiting = limited();
        expect(waiting.push(text("12345"))).toEqual([]);
        expectThrows(() => waiting.push(text("6789")), "9 bytes without a \\n, in two chunks (maxLineBytes 8)");
        const trickle = limited();
        expectThrows(() => {
          for (let i = 0; i < 100; i++) trickle.push(text("x"));
        }, "100 bytes without a \\n, one byte at a time (maxLineBytes 8)");
      },
    },
    {
      name: "LineSplitter's default limit is 64 KiB",
      run({ LineSplitter }) {
        const atLimit = "a".repeat(65536);
        expect(new LineSplitter().push(text(atLimit + "\n"))).toEqual([atLimit]);
        expectThrows(() => new LineSplitter().push(text(atLimit + "a")), "65537 bytes without a \\n");
      },
    },
    {
      name: "encodeFrame writes a 4-byte big-endian length, then the payload",
      run({ encodeFrame }) {
        expect(encodeFrame(text("hi"))).toEqual(Buffer.from([0, 0, 0, 2, 0x68, 0x69]));
        expect(encodeFrame(Buffer.alloc(0))).toEqual(Buffer.from([0, 0, 0, 0]));
        const big = Buffer.alloc(70000, 7);
        const encoded = encodeFrame(big);
        expect(encoded.subarray(0, 4), "the header of a 70000-byte payload (0x00011170)").toEqual(Buffer.from([0x00, 0x01, 0x11, 0x70]));
        expect(encoded.subarray(4).equals(big), "the payload follows the header unchanged").toBe(true);
      },
    },
    {
      name: "FrameDecoder returns every frame in a chunk, empty frames included",
      run({ FrameDecoder }) {
        const decoder = new FrameDecoder();
        const frames = decoder.push(Buffer.concat([frame("one"), frame(""), frame("three"), frame("")]));
        expect(frames.map(String)).toEqual(["one", "", "three", ""]);
        expect(decoder.rest().length).toBe(0);
      },
    },
    {
      name: "FrameDecoder waits when the 4-byte header itself is cut between chunks",
      run({ FrameDecoder }) {
        const decoder = new FrameDecoder();
        expect(decoder.push(Buffer.from([0, 0])), "after 2 bytes of the header").toEqual([]);
        expect(decoder.push(Buffer.from([1])), "after 3 bytes of the header").toEqual([]);
        expect(decoder.push(Buffer.from([0x2c, 0x41])), "after the header and 1 payload byte").toEqual([]);
        const [payload, ...more] = decoder.push(Buffer.alloc(299, 0x42));
        expect(more, "only one frame was sent").toEqual([]);
        expect(payload?.length, "the frame's length: header 00 00 01 2c is 300").toBe(300);
        expect(decoder.rest().length, "rest() after a complete frame").toBe(0);
        decoder.push(Buffer.from([0, 0, 0]));
        expect(decoder.rest(), "rest() holding 3 bytes of a header").toEqual(Buffer.from([0, 0, 0]));
      },
    },
    {
      name: "FrameDecoder gives the same frames however the stream is cut (binary, empty, 3 KB)",
      run({ FrameDecoder }, network) {
        const random = seededRandom(network.seed);
        const payloads = [
          text("hello"),
          Buffer.alloc(0),
          Buffer.from(Array.from({ length: 256 }, (_, byte) => byte)), // every byte value, "\n" and 0 included
          frame("a frame inside a frame"),
          randomBytes(random, 3000),
          Buffer.alloc(0),
          text("bye 再见\n"),
        ];
        const stream = Buffer.concat(payloads.map(frame));
        for (const { name, chunks } of chunkings(stream, network.seed)) {
          const decoder = new FrameDecoder();
          const frames = chunks.flatMap((chunk) => decoder.push(chunk));
          expect(frames.length, `how many frames came out of the stream ${name}`).toBe(payloads.length);
          frames.forEach((got, i) => expect(got.equals(payloads[i]!), `frame ${i} of the stream ${name}`).toBe(true));
          expect(decoder.rest().length, `rest() after the stream ${name}`).toBe(0);
        }
      },
    },
    {
      name: "encodeFrame's frames come back out of FrameDecoder unchanged",
      run({ encodeFrame, FrameDecoder }) {
        const payloads = [text("ping"), Buffer.alloc(0), Buffer.alloc(1000, 0xff), text("\x00\x00\x00\x05")];
        const decoder = new FrameDecoder();
        const frames = decoder.push(Buffer.concat(payloads.map((payload) => encodeFrame(payload))));
        expect(frames.map((f) => f.toString("hex"))).toEqual(payloads.map((p) => p.toString("hex")));
      },
    },
    {
      name: "FrameDecoder throws as soon as a header announces more than maxFrameBytes",
      run({ FrameDecoder }) {
        const limited = () => new FrameDecoder({ maxFrameBytes: 100 });
        expect(limited().push(frame(Buffer.alloc(100))).map((f) => f.length)).toEqual([100]);
        expectThrows(() => limited().push(Buffer.from([0, 0, 0, 101])), "a header announcing 101 bytes (maxFrameBytes 100), payload not sent yet");
        expectThrows(() => limited().push(frame(Buffer.alloc(101))), "a 101-byte frame (maxFrameBytes 100)");
        expectThrows(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff])), "a header announcing 4 GiB (default limit)");
        // the default is 1 MiB: exactly 1 MiB passes, one byte more does not
        expect(new FrameDecoder().push(frame(Buffer.alloc(1048576))).map((f) => f.length)).toEqual([1048576]);
        expectThrows(() => new FrameDecoder().push(Buffer.from([0, 0x10, 0, 1])), "a header announcing 1 MiB + 1 byte (default limit)");
      },
    },
    {
      name: "a TCP server using LineSplitter gets every line whole and in order",
      network: true,
      async run({ LineSplitter }, network) {
        // The server answers each line as JSON, so the client can see exactly what arrived.
        const splitter = new LineSplitter();
        const { port, served } = await startServer(network, {
          data: (chunk) => splitter.push(chunk).map((line) => JSON.stringify(line) + "\n").join(""),
          end: () => `rest ${JSON.stringify(splitter.rest().toString("utf8"))}\n`,
        });
        const writes = [text("hello\n"), text("world\r\n"), text("张三\n"), text("\nfirst\r\nsecond 🎉\n你好"), text("\n"), text("unfinished")];
        const [, replies] = await Promise.all([served, talk(await network.tcp(port), writes)]);
        expect(replies.split("\n")).toEqual(['"hello"', '"world"', '"张三"', '""', '"first"', '"second 🎉"', '"你好"', 'rest "unfinished"', ""]);
      },
    },
    {
      name: "a TCP server using FrameDecoder gets every frame whole: binary, empty and 3 KB ones",
      network: true,
      timeoutMs: 8000,
      async run({ FrameDecoder }, network) {
        // The server answers each frame with its length and a digest: short replies, exact checks.
        const summary = (payload: Buffer) => `${payload.length} ${createHash("sha256").update(payload).digest("hex").slice(0, 16)}`;
        const decoder = new FrameDecoder();
        const { port, served } = await startServer(network, {
          data: (chunk) => decoder.push(chunk).map((payload) => summary(payload) + "\n").join(""),
          end: () => `rest ${decoder.rest().length}\n`,
        });
        const random = seededRandom(network.seed);
        const payloads = [text("hello"), Buffer.alloc(0), Buffer.from([0, 0, 0, 4, 10, 13, 10, 255]), randomBytes(random, 3000), Buffer.alloc(0), text("再见")];
        // Several frames in one write, and the empty frame's header cut between two writes.
        const stream = Buffer.concat(payloads.map(frame));
        const writes = [stream.subarray(0, 11), stream.subarray(11, 30), stream.subarray(30)];
        const [, replies] = await Promise.all([served, talk(await network.tcp(port), writes)]);
        expect(
          replies.split("\n"),
          "the server's answer per frame it decoded: \"<payload length> <first 16 hex digits of its SHA-256>\", " +
            "then \"rest <leftover bytes>\" at the end (the frames sent: hello, empty, 8 binary bytes, 3000 random bytes, empty, 再见)",
        ).toEqual([...payloads.map(summary), "rest 0", ""]);
      },
    },
  ],
});
