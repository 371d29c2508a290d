// The shared line protocol: line reading with a limit, and dot-stuffing both ways.
// TCP may cut a stream anywhere, so every input is fed in pieces split at every
// position (and every pair of positions), and must give the same result as in one piece.

import { PassThrough, Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { BlockTooBigError, DotBlockEnd, DotStuffer, LineReader, LineTooLongError, UnfinishedBlockError, writeLine } from "../../servers/line-protocol.ts";

/** Every way to cut `input` into 1, 2 or 3 pieces. */
function* splits(input: Buffer): Generator<Buffer[]> {
  yield [input];
  for (let i = 0; i <= input.length; i++) {
    yield [input.subarray(0, i), input.subarray(i)];
    for (let j = i; j <= input.length; j++) yield [input.subarray(0, i), input.subarray(i, j), input.subarray(j)];
  }
}

/** The obvious (whole-string) definition of dot-stuffing, to compare the stream against. */
function referenceEncode(content: string): string {
  const lines = content.split("\n");
  const last = lines.pop()!; // "" when the content ends with "\n"
  let out = lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line)).map((line) => (line.startsWith(".") ? "." + line : line) + "\r\n").join("");
  if (last !== "") out += (last.startsWith(".") ? "." + last : last) + "\r\n";
  return out + ".\r\n";
}

/** The DotStuffer fed `pieces` one by one, then end(): the whole block as sent. */
function stuff(pieces: Buffer[]): Buffer {
  const stuffer = new DotStuffer();
  return Buffer.concat([...pieces.map((piece) => stuffer.encode(piece)), stuffer.end()]);
}

/** A LineReader over `pieces` arriving one by one, then the end of the stream. */
function readerOver(pieces: Buffer[], maxLineLength?: number): LineReader {
  const input = new PassThrough();
  const reader = new LineReader(input, { maxLineLength });
  for (const piece of pieces) input.write(piece);
  input.end();
  return reader;
}

const CONTENTS = [
  "",
  "\n",
  ".\n",
  "..\n",
  ".",
  "hello\nworld\n",
  "hello\r\nworld\r\n",
  "mixed\r\nendings\nhere",
  ".starts with a dot\n.\n..\n...x\r\n",
  "a\n.\r\n.b\r\n\r\n.",
  "bare\rcarriage\r\n.\rreturn\n",
  "Subject: hi\n\n.\n",
  "no final newline.",
  "\r\n\r\n..\r\n",
];

describe("DotStuffer", () => {
  for (const content of CONTENTS) {
    test(`stuffs ${JSON.stringify(content)} the same, however it is split`, async () => {
      const expected = referenceEncode(content);
      for (const pieces of splits(Buffer.from(content))) {
        const out = stuff(pieces);
        expect(out.toString("latin1"), `split as ${JSON.stringify(pieces.map(String))}`).toBe(expected);
      }
    });
  }

  test("the output never contains a line that is a lone '.' before the end", async () => {
    const out = stuff([Buffer.from(".\n.\r\n..\n.")]).toString();
    expect(out).toBe("..\r\n..\r\n...\r\n..\r\n.\r\n");
    expect(out.slice(0, -3).split("\r\n")).not.toContain(".");
  });

  test("the bytes sent before stuffing equal the CRLF size of the content (what LIST promises)", async () => {
    const content = "From: a@b\n\n.x\nline\n";
    const crlfSize = Buffer.byteLength(content.replace(/\n/g, "\r\n"));
    const out = stuff([Buffer.from(content)]);
    const stuffedDots = 1; // ".x" became "..x"
    expect(out.length - ".\r\n".length - stuffedDots).toBe(crlfSize);
  });
});

describe("LineReader.readDotBlock", () => {
  for (const content of CONTENTS) {
    test(`round-trips ${JSON.stringify(content)}, however the block is split`, async () => {
      const block = Buffer.from(referenceEncode(content) + "+OK next reply\r\n");
      // Decoding gives back the content with CRLF line endings (plus a final CRLF if it had none).
      const expected = referenceEncode(content)
        .slice(0, -".\r\n".length)
        .split("\r\n")
        .map((line) => (line.startsWith(".") ? line.slice(1) : line))
        .join("\r\n");
      for (const pieces of splits(block)) {
        const reader = readerOver(pieces);
        const out = await reader.readDotBlock();
        expect(out.toString("latin1"), `split as ${JSON.stringify(pieces.map(String))}`).toBe(expected);
        expect(await reader.readLine()).toBe("+OK next reply");
      }
    });
  }

  test("keeps what came after the '.' line for the next reply", async () => {
    const reader = readerOver([Buffer.from("a\r\n..b\r\n.\r\n+OK next\r\n")]);
    expect((await reader.readDotBlock()).toString()).toBe("a\r\n.b\r\n");
    expect(await reader.readLine()).toBe("+OK next");
  });

  test("a block without its final '.' line is an error, not silently accepted", async () => {
    await expect(readerOver([Buffer.from("a\r\nb\r\n")]).readDotBlock()).rejects.toThrow(UnfinishedBlockError);
    await expect(readerOver([Buffer.from("a\r\nb\r\n")]).readDotBlock()).rejects.toThrow(/no final "\." line/);
  });

  test("stuff then read gives back the content with CRLF endings", async () => {
    const content = ".a\n..b\nc\r\n.\n";
    expect((await readerOver([stuff([Buffer.from(content)])]).readDotBlock()).toString()).toBe(".a\r\n..b\r\nc\r\n.\r\n");
  });

  test("a client's block (POST), un-stuffed; too big or a too-long line is read to its end and refused", async () => {
    const receive = async (text: string, maxBytes: number, maxLineLength = 1024) => {
      const reader = readerOver([Buffer.from(text)]);
      const block = await reader.readDotBlock({ maxBytes, maxLineLength }).catch((err: Error) => err);
      return { block, next: await reader.readLine() };
    };
    const ok = await receive("Subject: x\r\n\r\n..profile\r\n.\r\nQUIT\r\n", 100);
    expect(ok.block).toEqual(Buffer.from("Subject: x\r\n\r\n.profile\r\n"));
    expect(ok.next).toBe("QUIT");
    // 3 lines of 10 octets + CRLF = 36 octets: over a 30-octet limit, yet the session stays in step.
    const big = await receive("0123456789\r\n".repeat(3) + ".\r\nQUIT\r\n", 30);
    expect(big.block).toBeInstanceOf(BlockTooBigError);
    expect(big.next).toBe("QUIT");
    const long = await receive("short\r\n" + "z".repeat(50) + "\r\nshort\r\n.\r\nQUIT\r\n", 1000, 20);
    expect(long.block).toBeInstanceOf(LineTooLongError);
    expect(long.next).toBe("QUIT");
    expect((await receive("half a block\r\n", 100)).block).toBeInstanceOf(UnfinishedBlockError); // the client vanished
  });
});

describe("LineReader", () => {
  async function readAll(pieces: Buffer[], maxLineLength?: number): Promise<(string | "TOO LONG")[]> {
    const reader = readerOver(pieces, maxLineLength);
    const lines: (string | "TOO LONG")[] = [];
    for (;;) {
      try {
        const line = await reader.readLine();
        if (line === null) return lines;
        lines.push(line);
      } catch (err) {
        expect(err).toBeInstanceOf(LineTooLongError);
        lines.push("TOO LONG");
      }
    }
  }

  test("cuts CRLF and bare-LF lines the same, however the bytes are split", async () => {
    const input = Buffer.from("USER me@example.com\r\nPASS secret\nSTAT\r\n\r\nLIST 1\r\nunfinished");
    for (const pieces of splits(input)) {
      // A last line without "\n" is not a line: the peer closed before finishing it.
      expect(await readAll(pieces)).toEqual(["USER me@example.com", "PASS secret", "STAT", "", "LIST 1"]);
    }
  });

  test("reports a too-long line once, in its place, and carries on with the next line", async () => {
    const input = Buffer.from("NOOP\r\n" + "x".repeat(20) + "\r\nSTAT\r\n" + "y".repeat(9) + "\r\nQUIT\r\n");
    for (const pieces of splits(input)) {
      // limit 11 octets including CRLF: "yyyyyyyyy\r\n" (11) fits, 20 x's do not.
      expect(await readAll(pieces, 11)).toEqual(["NOOP", "TOO LONG", "STAT", "y".repeat(9), "QUIT"]);
    }
  });

  test("never buffers a 200 KB line: memory stays within the limit", async () => {
    const input = new PassThrough();
    const reader = new LineReader(input, { maxLineLength: 255 });
    const first = reader.readLine(); // the server waits for a command, and a huge one comes
    for (let i = 0; i < 200; i++) {
      input.write(Buffer.alloc(1024, "z"));
      await new Promise((resolve) => setImmediate(resolve));
      expect(reader.pendingBytes).toBeLessThanOrEqual(255);
    }
    input.end("\r\nQUIT\r\n");
    await expect(first).rejects.toBeInstanceOf(LineTooLongError);
    expect(await reader.readLine()).toBe("QUIT");
    expect(await reader.readLine()).toBeNull();
  });

  test("a too-long line in chunks bigger than the pause mark is still skipped (the socket is resumed)", async () => {
    const input = new PassThrough();
    const reader = new LineReader(input, { maxLineLength: 255 });
    const first = reader.readLine();
    for (let i = 0; i < 3; i++) {
      input.write(Buffer.alloc(100 * 1024, "z"));
      await new Promise((resolve) => setImmediate(resolve));
    }
    input.end("\r\nQUIT\r\n");
    await expect(first).rejects.toBeInstanceOf(LineTooLongError);
    expect(await reader.readLine()).toBe("QUIT");
  });

  test("a long line sent in tiny pieces is collected in linear time (8 MB in 64-byte pieces)", async () => {
    // Joining "everything so far + the new piece" at every piece would copy 512 GB here (issue
    // 13's audit: a 64 KB NNTP line sent one byte per segment cost a second of CPU).
    const input = new PassThrough();
    const reader = new LineReader(input, { maxLineLength: 16 * 1024 * 1024 });
    const line = reader.readLineBytes();
    const piece = Buffer.alloc(64, "a");
    for (let i = 0; i < 128 * 1024; i++) input.write(piece);
    input.end("\r\nQUIT\r\n");
    const bytes = await line;
    expect(bytes?.length).toBe(8 * 1024 * 1024);
    expect(bytes?.every((byte) => byte === 0x61)).toBe(true);
    expect(await reader.readLine()).toBe("QUIT");
  });

  test("a line or a literal longer than the 64 KB pause mark (within its limit) still arrives: the paused socket is resumed for it", async () => {
    const input = new PassThrough();
    const reader = new LineReader(input, { maxLineLength: 1024 * 1024 });
    // In 16 KB pieces, as TCP would bring them, while nobody reads: past 64 KB the stream is paused.
    for (let i = 0; i < 19; i++) input.write("z".repeat(16 * 1024));
    input.write("\r\n");
    for (let i = 0; i < 13; i++) input.write(Buffer.alloc(16 * 1024, "y"));
    input.end("NEXT\r\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(input.isPaused()).toBe(true);
    expect((await reader.readLine())?.length).toBe(19 * 16 * 1024);
    expect((await reader.readBytes(13 * 16 * 1024))?.every((byte) => byte === 0x79)).toBe(true);
    expect(await reader.readLine()).toBe("NEXT");
  });

  test("reads a dot-stuffed block the way a client does after RETR", async () => {
    const input = Readable.from([Buffer.from("+OK 12 octets\r\nHi\r\n..dot\r\n.\r\n+OK bye\r\n")]);
    const reader = new LineReader(input);
    expect(await reader.readLine()).toBe("+OK 12 octets");
    expect((await reader.readDotBlock()).toString()).toBe("Hi\r\n.dot\r\n");
    expect(await reader.readLine()).toBe("+OK bye");
  });

  test("readBytes: a line ending in {n}, exactly n raw bytes (CRLF inside them too), then lines again — however it is split", async () => {
    const input = Buffer.from("A1 LOGIN {5}\r\nme\r\n. {6}\r\nse\ncr\t\r\nA2 NOOP\r\n");
    for (const pieces of splits(input)) {
      const reader = readerOver(pieces);
      expect(await reader.readLine()).toBe("A1 LOGIN {5}");
      expect((await reader.readBytes(5))?.toString()).toBe("me\r\n.");
      expect(await reader.readLine()).toBe(" {6}");
      expect((await reader.readBytes(6))?.toString()).toBe("se\ncr\t");
      expect(await reader.readLine()).toBe("");
      expect(await reader.readLine()).toBe("A2 NOOP");
      expect(await reader.readLine()).toBeNull();
    }
  });

  test("readBytes: null when the peer closes before all bytes came; 0 bytes is an empty buffer", async () => {
    expect(await readerOver([Buffer.from("abc")]).readBytes(4)).toBeNull();
    expect(await readerOver([Buffer.from("abc")]).readBytes(0)).toEqual(Buffer.alloc(0));
  });

  test("a line limit per call: commands short, the lines of a posted article longer", async () => {
    const reader = readerOver([Buffer.from("x".repeat(30) + "\r\n" + "y".repeat(30) + "\r\n")], 16);
    await expect(reader.readLine()).rejects.toBeInstanceOf(LineTooLongError);
    expect(await reader.readLine(64)).toBe("y".repeat(30));
  });

  test("a flood of pipelined lines pauses the socket instead of filling memory", async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    for (let i = 0; i < 2000 && !input.isPaused(); i++) {
      input.write("NOOP ".repeat(20) + "\r\n");
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(input.isPaused()).toBe(true);
    expect(reader.pendingBytes).toBeLessThan(128 * 1024);
    expect(await reader.readLine()).toBe("NOOP ".repeat(20));
  });

  test("detach() drops lines that were received but not read (no STARTTLS injection)", async () => {
    const input = new PassThrough();
    const reader = new LineReader(input);
    input.write("STLS\r\nUSER injected\r\n");
    expect(await reader.readLine()).toBe("STLS");
    reader.detach();
    expect(await reader.readLine()).toBeNull();
    expect(input.listenerCount("data")).toBe(0);
  });
});

test("writeLine adds CRLF and refuses a line break inside a reply", () => {
  const output = new PassThrough();
  writeLine(output, "+OK fine");
  expect(output.read().toString()).toBe("+OK fine\r\n");
  expect(() => writeLine(output, "-ERR no such user bob\r\n+OK")).toThrow(/must not contain CR or LF/);
});

describe("DotBlockEnd: where a block ends in bytes only watched (the transcript's body)", () => {
  // [the bytes, how many belong to the block]
  const cases: [string, number][] = [
    ["hello\r\n.\r\nQUIT\r\n", 10], // the usual: the next command in the same chunk
    [".\r\n", 3], // an empty body
    ["..stuffed\r\n.x\r\nnot yet\r\n.\nMAIL FROM:<a>\r\n", 26], // "..", ".x" are content; a bare "\n" after "." ends it
    ["a\n\n.\r\n", 6],
    ["no end\r\n.. \r\n.\r", -1], // ".\r" without its "\n" yet
    ["\r\n.\r\n", 5],
    ["a\r\n..b\r\n..\r\n.\r\nRSET\r\n", 15], // stuffed lines, one of them ".." alone, right before the end
    ["x\n.y\n.\r.\r\n.\n", 12], // ".\r" then more is content; the end is the bare-"\n" one
  ];
  for (const [text, end] of cases) {
    test(`${JSON.stringify(text)}: ${end}, however it is split`, () => {
      for (const pieces of splits(Buffer.from(text))) {
        const finder = new DotBlockEnd();
        let offset = 0;
        let found = -1;
        for (const piece of pieces) {
          const at = finder.feed(piece);
          if (at !== -1) {
            found = offset + at;
            break;
          }
          offset += piece.length;
        }
        expect(found).toBe(end);
      }
    });
  }
});
