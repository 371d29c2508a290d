// The shared line protocol: line reading with a limit, and dot-stuffing both ways.
// TCP may cut a stream anywhere, so every input is fed in pieces split at every
// position (and every pair of positions), and must give the same result as in one piece.

import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, test } from "vitest";
import { DotDecoder, DotEncoder, LineReader, LineTooLongError, decodeDotBlock, encodeDotBlock, writeLine } from "../../servers/line-protocol.ts";

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

async function throughStream(transform: DotEncoder | DotDecoder, pieces: Buffer[]): Promise<Buffer> {
  const result = buffer(transform);
  for (const piece of pieces) transform.write(piece);
  transform.end();
  return result;
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

describe("DotEncoder", () => {
  for (const content of CONTENTS) {
    test(`stuffs ${JSON.stringify(content)} the same, however it is split`, async () => {
      const expected = referenceEncode(content);
      for (const pieces of splits(Buffer.from(content))) {
        const out = await throughStream(new DotEncoder(), pieces);
        expect(out.toString("latin1"), `split as ${JSON.stringify(pieces.map(String))}`).toBe(expected);
      }
    });
  }

  test("the output never contains a line that is a lone '.' before the end", async () => {
    const out = (await encodeDotBlock(".\n.\r\n..\n.")).toString();
    expect(out).toBe("..\r\n..\r\n...\r\n..\r\n.\r\n");
    expect(out.slice(0, -3).split("\r\n")).not.toContain(".");
  });

  test("the bytes sent before stuffing equal the CRLF size of the content (what LIST promises)", async () => {
    const content = "From: a@b\n\n.x\nline\n";
    const crlfSize = Buffer.byteLength(content.replace(/\n/g, "\r\n"));
    const out = await encodeDotBlock(content);
    const stuffedDots = 1; // ".x" became "..x"
    expect(out.length - ".\r\n".length - stuffedDots).toBe(crlfSize);
  });
});

describe("DotDecoder", () => {
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
        const decoder = new DotDecoder();
        const out = await throughStream(decoder, pieces);
        expect(out.toString("latin1"), `split as ${JSON.stringify(pieces.map(String))}`).toBe(expected);
        expect(decoder.rest.toString()).toBe("+OK next reply\r\n");
      }
    });
  }

  test("keeps what came after the '.' line for the next reply", async () => {
    const decoder = new DotDecoder();
    const out = await throughStream(decoder, [Buffer.from("a\r\n..b\r\n.\r\n+OK next\r\n")]);
    expect(out.toString()).toBe("a\r\n.b\r\n");
    expect(decoder.rest.toString()).toBe("+OK next\r\n");
  });

  test("a block without its final '.' line is an error, not silently accepted", async () => {
    await expect(decodeDotBlock("a\r\nb\r\n")).rejects.toThrow(/without its final "\." line/);
  });

  test("encode then decode gives back the content with CRLF endings", async () => {
    const content = ".a\n..b\nc\r\n.\n";
    expect((await decodeDotBlock(await encodeDotBlock(content))).toString()).toBe(".a\r\n..b\r\nc\r\n.\r\n");
  });
});

describe("LineReader", () => {
  async function readAll(pieces: Buffer[], maxLineLength?: number): Promise<(string | "TOO LONG")[]> {
    const input = new PassThrough();
    const reader = new LineReader(input, { maxLineLength });
    for (const piece of pieces) input.write(piece);
    input.end();
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
    for (let i = 0; i < 200; i++) {
      input.write(Buffer.alloc(1024, "z"));
      expect(reader.pendingBytes).toBeLessThanOrEqual(255);
    }
    input.end("\r\nQUIT\r\n");
    await expect(reader.readLine()).rejects.toBeInstanceOf(LineTooLongError);
    expect(await reader.readLine()).toBe("QUIT");
    expect(await reader.readLine()).toBeNull();
  });

  test("a long line sent in tiny pieces is collected in linear time (8 MB in 64-byte pieces)", async () => {
    // Joining "everything so far + the new piece" at every piece copied 512 GB here (issue 13's
    // audit: a 64 KB NNTP line sent one byte per segment cost a second of CPU). Now each byte
    // is copied a few times; the old way this test never finished.
    const input = new PassThrough();
    const reader = new LineReader(input, { maxLineLength: 16 * 1024 * 1024 });
    const piece = Buffer.alloc(64, "a");
    for (let i = 0; i < 128 * 1024; i++) input.write(piece);
    expect(reader.pendingBytes).toBe(8 * 1024 * 1024);
    input.end("\r\nQUIT\r\n");
    const line = await reader.readLineBytes();
    expect(line?.length).toBe(8 * 1024 * 1024);
    expect(line?.every((byte) => byte === 0x61)).toBe(true);
    expect(await reader.readLine()).toBe("QUIT");
  });

  test("reads a dot-stuffed block the way a client does after RETR", async () => {
    const input = Readable.from([Buffer.from("+OK 12 octets\r\nHi\r\n..dot\r\n.\r\n+OK bye\r\n")]);
    const reader = new LineReader(input);
    expect(await reader.readLine()).toBe("+OK 12 octets");
    expect((await reader.readDotBlock()).toString()).toBe("Hi\r\n.dot\r\n");
    expect(await reader.readLine()).toBe("+OK bye");
  });

  test("receiveDotBlock: a client's block (POST), un-stuffed; too big or a too-long line is read to its end and refused", async () => {
    const receive = async (text: string, maxBytes: number, maxLineLength = 1024) => {
      const reader = new LineReader(Readable.from([Buffer.from(text)]), { maxLineLength });
      return { block: await reader.receiveDotBlock(maxBytes), next: await reader.readLine() };
    };
    const ok = await receive("Subject: x\r\n\r\n..profile\r\n.\r\nQUIT\r\n", 100);
    expect(ok.block).toEqual({ content: Buffer.from("Subject: x\r\n\r\n.profile\r\n") });
    expect(ok.next).toBe("QUIT");
    // 3 lines of 10 octets + CRLF = 36 octets: over a 30-octet limit, yet the session stays in step.
    const big = await receive("0123456789\r\n".repeat(3) + ".\r\nQUIT\r\n", 30);
    expect(big).toEqual({ block: { refused: "too big" }, next: "QUIT" });
    const long = await receive("short\r\n" + "z".repeat(50) + "\r\nshort\r\n.\r\nQUIT\r\n", 1000, 20);
    expect(long).toEqual({ block: { refused: "line too long" }, next: "QUIT" });
    expect((await receive("half a block\r\n", 100)).block).toBeNull(); // the client vanished
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
