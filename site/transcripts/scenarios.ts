// The conversations the lesson site shows, recorded from real runs by `npm run transcripts`
// (site/record-transcripts.ts explains how, and how to add one). Each scenario is what a
// lesson's "Run this" does: the same server, the same client, the same input.
// A README shows a recording with the line `<!-- transcript: NAME -->`.

import type { Scenario } from "../record-transcripts.ts";
import { startHttpDemo } from "../../servers/http-demo.ts";
import { once } from "node:events";

/** The playground's HTTP demo server (what `npm start` runs on 8080), in this process. */
const httpDemo = {
  label: "npm start",
  transport: "tcp",
  port: 8080,
  async start() {
    const { server, port } = await startHttpDemo(0, "127.0.0.1");
    return {
      port,
      async close() {
        server.close();
        await once(server, "close");
      },
    };
  },
} as const;

/** An HTTP response's Date header says when it was sent. */
const httpDate = {
  what: "the Date header (shown as the Unix epoch)",
  pattern: /(?<=\r\nDate: )\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT/g,
  replacement: "Thu, 01 Jan 1970 00:00:00 GMT",
};

export const SCENARIOS: Scenario[] = [
  // ---- lesson 02: a TCP client ----
  {
    name: "http-get-hello",
    lesson: "02-tcp-client",
    title: "A hand-written HTTP GET for /hello.txt",
    servers: [httpDemo],
    client: { example: "examples/http-get-raw.ts", args: ["/hello.txt"] },
    normalize: [httpDate],
  },

  // ---- lesson 03: a TCP server ----
  {
    name: "tcp-echo",
    lesson: "03-tcp-server",
    title: "The echo server sends back every byte",
    servers: [{ example: "examples/tcp-echo-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/tcp-echo-client.ts", stdin: "hi\n" },
  },
  {
    name: "greeting",
    lesson: "03-tcp-server",
    title: "The greeting server: a welcome, one answer per name, Bye! on exit",
    servers: [{ example: "examples/greeting-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/greeting-client.ts", stdin: "Michael\nTracy\nSarah\n" },
    // After "Bye!" the server ends the connection, and the client ends it after reading "Bye!":
    // neither waits for the other's FIN.
    bothClose: "server first",
  },
  {
    name: "timestamp",
    lesson: "03-tcp-server",
    title: "The timestamp server puts the time in front of every line",
    servers: [{ example: "examples/timestamp-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/timestamp-client.ts", stdin: "hello\nworld\n" },
    normalize: [
      {
        what: "the time (shown as the Unix epoch)",
        pattern: /(?<=^|\n)\[\w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}\]/g,
        replacement: "[Thu Jan  1 00:00:00 1970]",
      },
    ],
  },

  // ---- lesson 04: framing ----
  {
    name: "framing-chunks",
    lesson: "04-framing",
    title: "Three writes, one byte stream: the server finds the lines again",
    servers: [{ example: "examples/framing-chunks-server.ts", transport: "tcp", port: 8888 }],
    client: { example: "examples/framing-chunks-client.ts", stdin: "hello\nworld\nbye\n" },
    normalize: [
      {
        what: "how many 'data' events the bytes arrived in (it changes from run to run: that is the point)",
        pattern: /arrived in \d+ 'data' events?/g,
        replacement: "arrived in N 'data' events",
      },
    ],
  },
  {
    name: "framing-frames",
    lesson: "04-framing",
    title: "Length-prefixed frames: 4 bytes of length, then the payload",
    servers: [{ example: "examples/framing-frames-server.ts", transport: "tcp", port: 8888 }],
    // The client sends without waiting for echoes; typed line by line, every run looks the same.
    client: { example: "examples/framing-frames-client.ts", typed: ["hello", "张三", "bye"] },
  },

  // ---- lesson 05: UDP ----
  {
    name: "udp-hello",
    lesson: "05-udp",
    title: "UDP: one datagram per name, one datagram back",
    servers: [{ example: "examples/udp-hello-server.ts", transport: "udp", port: 8888 }],
    client: { example: "examples/udp-hello-client.ts", stdin: "Michael\nTracy\nSarah\n" },
  },
  {
    name: "udp-books",
    lesson: "05-udp",
    title: "UDP: two clients in turn; the book server answers every request with the next title",
    servers: [{ example: "examples/udp-books-server.ts", transport: "udp", port: 8888 }],
    client: [
      { example: "examples/udp-books-client.ts", stdin: "next\nnext\nnext\n" },
      { example: "examples/udp-books-client.ts", stdin: "next\nnext\nnext\n" },
    ],
  },
  {
    name: "udp-echo",
    lesson: "05-udp",
    title: "UDP echo: every datagram comes back as it was",
    servers: [{ example: "examples/udp-echo-server.ts", transport: "udp", port: 8888 }],
    client: { example: "examples/udp-echo-client.ts", stdin: "one\ntwo\nthree\nfour\nfive\nsix\n" },
  },
];
