// Lesson 04 — your exercise. Replace each todo(...) with your own code, then run:
//   npm test -- 04
// Stuck? npm run hint 04
//
// Both classes are "push" parsers: the socket's 'data' handler pushes every chunk in,
// exactly as it arrived, and gets back the whole messages that chunk completed.
//   socket.on("data", (chunk) => { for (const line of splitter.push(chunk)) handle(line); });
// A chunk may hold half a message, several messages, or the end of one and the start of
// the next. The hostile network (npm test) cuts the stream into 1..7-byte pieces.

import { todo } from "../not-implemented.ts";

export interface LineSplitterOptions {
  /** The most bytes a line may have before its "\n" (a "\r" counts). Default 64 KiB (65536). */
  maxLineBytes?: number;
}

/**
 * Line framing: every message ends with "\n" (or "\r\n").
 *
 *   const splitter = new LineSplitter();
 *   splitter.push(Buffer.from("hel"))            → []
 *   splitter.push(Buffer.from("lo\r\nworld\nbye")) → ["hello", "world"]
 *   splitter.rest()                               → <Buffer "bye">
 *
 * - Lines come back without their "\n" or "\r\n", decoded as UTF-8. An empty line is "".
 * - A UTF-8 character can be cut between two chunks ("张" is 3 bytes: e5 bc a0), so keep
 *   the unfinished line as bytes and decode only whole lines.
 * - Guard against a client that never sends "\n": as soon as a line has more than
 *   maxLineBytes bytes before its "\n" (whether or not the "\n" has arrived yet), throw
 *   an Error that says the line is too long.
 */
export class LineSplitter {
  constructor(options: LineSplitterOptions = {}) {
    // keep options.maxLineBytes ?? 65536, and whatever else you need between pushes
  }

  /** Takes the next chunk of the stream; returns the lines it finished, in order. */
  push(chunk: Buffer): string[] {
    todo("LineSplitter.push");
  }

  /**
   * The bytes received after the last "\n" (an empty Buffer if there are none). At the end
   * of the stream this is a last line that has no "\n". Calling rest() changes nothing.
   */
  rest(): Buffer {
    todo("LineSplitter.rest");
  }
}

/**
 * A length-prefixed frame: 4 bytes holding the payload's length (an unsigned 32-bit
 * number, big-endian — "network byte order"), then the payload itself.
 *   encodeFrame(Buffer.from("hi")) → <Buffer 00 00 00 02 68 69>
 *   encodeFrame(Buffer.alloc(0))   → <Buffer 00 00 00 00>
 */
export function encodeFrame(payload: Buffer): Buffer {
  todo("encodeFrame");
}

export interface FrameDecoderOptions {
  /** The largest payload accepted. Default 1 MiB (1048576). */
  maxFrameBytes?: number;
}

/**
 * Finds the frames that encodeFrame() made in a stream of chunks.
 *
 *   const decoder = new FrameDecoder();
 *   decoder.push(Buffer.from([0, 0]))                     → []   (half a header)
 *   decoder.push(Buffer.from([0, 2, 104, 105, 0, 0, 0, 0])) → [<Buffer 68 69>, <Buffer >]
 *
 * - Return EVERY frame the chunk completed, in order; empty (0-length) frames included.
 * - The 4-byte header can itself be cut between chunks.
 * - As soon as a header announces more than maxFrameBytes, throw an Error (do not wait
 *   for the payload: a hostile peer could announce 4 GiB and make you buffer it).
 */
export class FrameDecoder {
  constructor(options: FrameDecoderOptions = {}) {
    // keep options.maxFrameBytes ?? 1048576, and whatever else you need between pushes
  }

  /** Takes the next chunk of the stream; returns every frame it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    todo("FrameDecoder.push");
  }

  /** The bytes of an unfinished frame (empty if none): not empty at the end of the stream means it was cut off. */
  rest(): Buffer {
    todo("FrameDecoder.rest");
  }
}
