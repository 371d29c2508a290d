// Activity reports across a thread boundary (servers/activity.ts says why they are plain data).
// A server on a worker thread gets activityMessenger(): an Activity whose every call is written
// down and sent on as a message. The supervisor unpacks such a message with its cutOnArrival()
// (below), which makes every call, as it was, on the real Activity (the console's store, which
// keeps a session's raw bytes as they are) — cutting the raw bytes into lines first for an
// Activity that cannot take them.
//
// What a message costs is what shapes this file. postMessage copies its message (the
// structured-clone algorithm), queues it and wakes the other thread; the other thread then builds
// the copy. That costs more than cutting the line itself, and a DATA body is dozens of lines, so:
// - Batched: the calls of the next 100 ms travel together, as one message, in the order they were
//   made (at most MAX_CALLS, or MAX_BODY_CHARS of bodies; a page sees each line within ~0.1 s).
//   Each message wakes the other thread, and on a 2-core machine a wake-up costs more than its
//   own work: every thread of the process, even the file reads of the thread pool, then takes
//   longer for the same work. POP3 RETR with the messenger sending only a placeholder per report
//   cost +13–16% CPU when a batch left every 10 ms, +4% every 100 ms (2026-12-03).
// - Lines, nearly all of the reports, travel in blocks: the lines in a row of one session at one
//   time become one LineBlock — their texts joined into one string, their sides and folds one
//   letter each — instead of one object per line.
// - Packed: a batch is one flat list of strings and numbers, not a list of objects. The copy's
//   cost is in its objects more than in its bytes: each object is written with the names of its
//   fields, and the other side must read those names back and look up the object's shape for
//   each one; strings and numbers in a list are only copied. Sending a batch's blocks as
//   { method, lines: { id, at, … } } cost 3–6 times what the same values cost as one flat list
//   (structuredClone of SMTP's blocks, one process); the other side makes the LineBlocks itself,
//   which is cheap in JavaScript. Other calls (a session opened, a mail stored) are rare and
//   travel as the object they were made with.
// - A body (a mail's DATA, a RETR: Activity.sessionBody) travels as the raw text it came as, its
//   lines not cut: one string for dozens of lines, cut on the other side only when asked.
// - Most sessions' lines are not cut on the worker at all: the messenger takes a session's raw
//   bytes (Activity.sessionRaw), and on the supervisor's side the console's store keeps them as
//   they are, and cuts and masks them only when someone asks for their lines, with the same
//   Transcript and masks (console/sessions.ts). Cutting was most of what the console cost the
//   worker — the thread that serves the class (SMTP recording, 2026-12-03: worker CPU +14%
//   cutting there, +9% cutting on the supervisor's thread as they arrived, 2026-12-04 +3–7%
//   kept raw: README ⁴).
// - Those bytes do not travel in the message at all. They are copied into memory both threads
//   share (a SharedArrayBuffer used as a ring: RingWriter, RingReader), and the message says
//   where they are. No string is made of them on the worker, postMessage copies none of them
//   twice, and the supervisor reads them where they lie. A batch that would not fit (the
//   supervisor has fallen behind) carries its bytes as text instead: slower, nothing lost.

import type { Activity, LineBlock, RawKind, SessionLine } from "./activity.ts";
import { bodyLines, lineBlocks, RawCut } from "./session-report.ts";

// LineBlock lives in activity.ts: the console's store keeps lines in the same packed shape.
export type { LineBlock };

/** One activity call: `activity.stored(item)` → { method: "stored", args: [item] }; or a block of sessionLine calls. */
export type ActivityCall = { method: string; args: unknown[] } | { method: "sessionLine"; lines: LineBlock };

/**
 * The calls of a few milliseconds of the worker's life, oldest first, packed into one list:
 *   a block of lines:   "lines", id, at, sides, texts, folds, then one number per line (its bytes)
 *   a body:             "body", id, at, side, raw, lines, plain (Activity.sessionBody's arguments)
 *   raw bytes:          "raw", id, at, kind, side, where, length (Activity.sessionRaw's arguments;
 *                       the bytes are in the ring, at `where`: RingWriter.write)
 *   raw bytes as text:  "rawtext", id, at, kind, side, text (one character per byte: no ring, or no room)
 *   any other call:     its method's name, its argument (as made)
 * unpack() turns it back into ActivityCalls.
 */
export interface ActivityMessage {
  type: "activity";
  calls: unknown[];
}

/** How long a batch waits for more calls. */
const FLUSH_AFTER_MS = 100;
/** A batch of this many calls (each line, each body) leaves at once: messages stay small, the other thread gets work sooner. */
const MAX_CALLS = 1_000;
/** … and so does a batch holding this many characters (bytes) of bodies: a 10 MB DATA crosses in pieces. */
const MAX_BODY_CHARS = 256 * 1024;

export interface Messenger {
  /** Give this to the servers. */
  activity: Activity;
  /** Sends the calls not sent yet, now (before the thread ends: nothing is lost). */
  flush(): void;
}

/**
 * An Activity whose calls go to `send`, batched as ActivityMessages (fire-and-forget, like every
 * Activity); sessions' raw bytes go into `ring` (newRing()), if given, whose reader is on the other side.
 */
export function activityMessenger(send: (message: ActivityMessage) => void, ring?: SharedArrayBuffer): Messenger {
  const writer = ring && new RingWriter(ring);
  let calls: unknown[] = []; // packed, as ActivityMessage says
  let count = 0; // calls in this batch, each line counted
  let bodyChars = 0; // characters of the bodies in this batch (and of raw bytes sent as text)
  let ringBytes = 0; // bytes this batch has put in the ring
  let timer: NodeJS.Timeout | undefined;
  // The lines in a row of one session at one time, packed into `calls` as one block.
  const blocks = lineBlocks((block) => {
    calls.push("lines", block.id, block.at, block.sides, block.texts, block.folds);
    for (const bytes of block.bytes) calls.push(bytes);
  });
  const endBlock = blocks.end;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (count === 0) return;
    endBlock();
    const message: ActivityMessage = { type: "activity", calls };
    calls = [];
    count = 0;
    bodyChars = 0;
    ringBytes = 0;
    send(message);
  };
  const added = () => {
    if (++count >= MAX_CALLS) flush();
    else timer ??= setTimeout(flush, FLUSH_AFTER_MS);
  };
  const call = (method: keyof Activity, arg: unknown) => {
    endBlock(); // a line after this call starts a new block: the order stays as it was
    calls.push(method, arg);
    added();
  };
  const line = (line: SessionLine) => {
    blocks.line(line);
    added();
  };
  // A body: its values straight into the batch (no object made for it). One string, however many
  // lines: it costs the copy by its bytes, not by its lines, so it counts as one call and its bytes.
  const body = (id: string, at: string, side: "C" | "S", raw: string, lines: number, plain: number) => {
    endBlock();
    calls.push("body", id, at, side, raw, lines, plain);
    bodyChars += raw.length;
    if (bodyChars >= MAX_BODY_CHARS) count = MAX_CALLS - 1; // added() sends it now
    added();
  };
  // Raw bytes of a session: copied into the ring, the batch says where. A batch that has put a
  // quarter of the ring in leaves at once, so that the other side reads it and makes room.
  // Without a ring, or room in it: as text, counted like a body.
  const raw = (id: string, at: string, kind: RawKind, side: "C" | "S", bytes: Buffer) => {
    endBlock();
    const where = writer ? writer.write(bytes) : -1;
    if (where >= 0) {
      calls.push("raw", id, at, kind, side, where, bytes.length);
      ringBytes += bytes.length;
      if (ringBytes >= writer!.size / 4) count = MAX_CALLS - 1; // added() sends it now
    } else {
      calls.push("rawtext", id, at, kind, side, bytes.toString("latin1"));
      bodyChars += bytes.length;
      if (bodyChars >= MAX_BODY_CHARS) count = MAX_CALLS - 1;
    }
    added();
  };
  // One entry per method of the Activity interface (the compiler checks that none is missing).
  const activity: Activity = {
    sessionOpened: (session) => call("sessionOpened", session),
    sessionLine: line,
    sessionBody: body,
    sessionRaw: raw,
    sessionChanged: (change) => call("sessionChanged", change),
    sessionClosed: (closed) => call("sessionClosed", closed),
    stored: (item) => call("stored", item),
    transfer: (progress) => call("transfer", progress),
  };
  return { activity, flush };
}

/**
 * The calls of an ActivityMessage, unpacked, in the order they were made: a block of lines
 * becomes a LineBlock again; raw bytes a Buffer — in the ring, read through `ring` (its
 * messenger's ring; without it they are undefined), valid until ring.release(). Call that once
 * the calls have been handled.
 */
export function unpack(message: ActivityMessage, ring?: RingReader): ActivityCall[] {
  const calls: ActivityCall[] = [];
  eachCall(message, ring, (call) => void calls.push(call));
  return calls;
}

/** Raw bytes as eachCall() hands them over (Activity.sessionRaw's arguments; undefined bytes: in a ring not given). */
type RawCall = (id: string, at: string, kind: RawKind, side: "C" | "S", bytes: Buffer | undefined) => void;

/**
 * unpack()'s work, one call at a time, in order: each call to `each` — but raw bytes to `raw`, if
 * given, as they are (no object made for the commonest call).
 */
export function eachCall(message: ActivityMessage, ring: RingReader | undefined, each: (call: ActivityCall) => void, raw?: RawCall): void {
  const packed = message.calls;
  const rawCall: RawCall = raw ?? ((...args) => each({ method: "sessionRaw", args }));
  for (let i = 0; i < packed.length; ) {
    const method = packed[i] as string;
    if (method === "raw") {
      const id = packed[i + 1] as string;
      rawCall(id, packed[i + 2] as string, packed[i + 3] as RawKind, packed[i + 4] as "C" | "S", ring?.read(packed[i + 5] as number, packed[i + 6] as number));
      i += 7;
      continue;
    }
    if (method === "body") {
      each({ method: "sessionBody", args: packed.slice(i + 1, i + 7) });
      i += 7;
      continue;
    }
    if (method === "rawtext") {
      rawCall(packed[i + 1] as string, packed[i + 2] as string, packed[i + 3] as RawKind, packed[i + 4] as "C" | "S", Buffer.from(packed[i + 5] as string, "latin1"));
      i += 6;
      continue;
    }
    if (method !== "lines") {
      each({ method, args: [packed[i + 1]] });
      i += 2;
      continue;
    }
    const sides = packed[i + 3] as string;
    const lines: LineBlock = {
      id: packed[i + 1] as string,
      at: packed[i + 2] as string,
      sides,
      texts: packed[i + 4] as string,
      bytes: packed.slice(i + 6, i + 6 + sides.length) as number[],
      folds: packed[i + 5] as string,
    };
    each({ method: "sessionLine", lines });
    i += 6 + sides.length;
  }
}

/**
 * Makes the call an ActivityCall names on `activity`: a block of lines as it is, to an Activity
 * that takes blocks (sessionLines: the console's store), else each line of it, one by one. A method
 * it does not have is ignored (but raw bytes: they must go through cutOnArrival), and an
 * error in it is returned, not thrown: a watcher's bug must not stop the supervisor.
 */
export function reportActivity(activity: Activity, call: ActivityCall): Error | undefined {
  const method = (activity as unknown as Record<string, unknown>)[call.method];
  let failure: Error | undefined;
  if (call.method === "sessionRaw" && typeof method !== "function") {
    return new Error("a session's raw bytes reached an Activity that cannot cut them into lines (hand them to cutOnArrival)");
  }
  if (call.method === "sessionBody" && typeof method !== "function" && "args" in call) {
    // An Activity that takes lines only: the body cut into lines.
    for (const line of bodyLines(...(call.args as Parameters<typeof bodyLines>))) {
      try {
        activity.sessionLine(line);
      } catch (error) {
        failure ??= error as Error;
      }
    }
    return failure;
  }
  if (typeof method !== "function") return undefined;
  if (!("lines" in call)) {
    try {
      method.apply(activity, call.args);
    } catch (error) {
      failure = error as Error;
    }
    return failure;
  }
  const takesBlocks = (activity as { sessionLines?: unknown }).sessionLines;
  if (typeof takesBlocks === "function") {
    try {
      takesBlocks.call(activity, call.lines);
    } catch (error) {
      failure = error as Error;
    }
    return failure;
  }
  const { id, at, sides, texts, bytes, folds } = call.lines;
  const pieces = texts.split("\n");
  for (let i = 0; i < pieces.length; i++) {
    const line: SessionLine = { id, side: sides[i] as "C" | "S", text: pieces[i]!, bytes: bytes[i]!, at };
    if (folds[i] !== "-") line.fold = folds[i] === "i" ? "inside" : "summary";
    try {
      method.call(activity, line);
    } catch (error) {
      failure ??= error as Error; // the block's other lines still arrive
    }
  }
  return failure;
}

/** cutOnArrival()'s result. */
export interface ArrivalCutter {
  /** Hands on every call of one message from the worker, in order, and then lets the worker use the ring's room again. */
  receive(message: ActivityMessage): void;
}

/**
 * The supervisor's end of a worker's messages. Raw bytes (Activity.sessionRaw) go on as they are
 * to a `target` that takes them (the console's store: it keeps them so, and cuts them when
 * asked); for any other they are cut into lines and masked here, per session (RawCut), exactly
 * as a SessionReporter in the worker would have cut them, the lines in blocks, as a worker's
 * messenger makes them. Everything reaches `target` in the order it was made, and the secrets in
 * the raw bytes never reach a target that cannot take them. An error (in `target`, or in a call
 * it cannot take) is told to `failed`, not thrown. One cutter per worker start, with the ring its
 * messenger writes into (if any): a session's bytes all come from its own worker.
 */
export function cutOnArrival(target: Activity, ring: SharedArrayBuffer | undefined, failed: (method: string, error: Error) => void): ArrivalCutter {
  const reader = ring && new RingReader(ring);
  const deliver = (call: ActivityCall) => {
    const error = reportActivity(target, call);
    if (error) failed(call.method, error);
  };
  const release = () => reader?.release();
  // A target that takes raw bytes gets every call as it came (it copies what it keeps: the ring's bytes are only lent).
  const takesRaw = target.sessionRaw?.bind(target);
  if (takesRaw) {
    const raw: RawCall = (id, at, kind, side, bytes) => {
      try {
        if (!bytes) throw new Error(`raw bytes of ${id} without their ring (unpack needs the messenger's RingReader)`);
        takesRaw(id, at, kind, side, bytes);
      } catch (error) {
        failed("sessionRaw", error as Error);
      }
    };
    return {
      receive: (message) => {
        eachCall(message, reader, deliver, raw);
        release();
      },
    };
  }
  // The lines cut here go on in blocks, as a worker's messenger makes them (the lines of a session
  // in a row): what a store keeps, and an event stream sends, is a block.
  const blocks = lineBlocks((lines) => deliver({ method: "sessionLine", lines }));
  /** Any other call: after the lines before it. */
  const call = (method: keyof Activity, ...args: unknown[]) => {
    blocks.end();
    deliver({ method, args });
  };
  const sessions = new Map<string, RawCut>();
  // Where the cuts report: their lines into blocks, a body as it is.
  const cut: Pick<Activity, "sessionLine" | "sessionBody"> = { sessionLine: blocks.line, sessionBody: (...body) => call("sessionBody", ...body) };
  const activity: Activity = {
    sessionOpened: (session) => {
      call("sessionOpened", session);
      // (None for a protocol whose lines are cut where it runs, FTP: they arrive cut.)
      const raw = RawCut.of(session.protocol, session.id, session.started, cut);
      if (raw) sessions.set(session.id, raw);
    },
    sessionRaw: (id, at, kind, side, bytes) => {
      const session = sessions.get(id);
      if (!session) throw new Error(`raw bytes of a session not opened, or of a protocol without a mask: ${id}`);
      if (!bytes) throw new Error(`raw bytes of ${id} without their ring (unpack needs the messenger's RingReader)`);
      session.raw(at, kind, side, bytes);
    },
    sessionLine: blocks.line,
    // A worker's block of lines (a session cut there: FTP) goes on as it is, after what came before it.
    sessionLines: (block) => {
      blocks.end();
      deliver({ method: "sessionLine", lines: block });
    },
    sessionBody: (...body) => call("sessionBody", ...body),
    sessionChanged: (change) => {
      if (change.account !== undefined) sessions.get(change.id)?.loggedIn();
      call("sessionChanged", change);
    },
    sessionClosed: (closed) => {
      sessions.get(closed.id)?.end();
      sessions.delete(closed.id);
      call("sessionClosed", closed);
    },
    stored: (item) => call("stored", item),
    transfer: (progress) => call("transfer", progress),
  };
  const receive = (message: ActivityMessage) => {
    for (const call of unpack(message, reader)) {
      const error = reportActivity(activity, call);
      if (error) failed(call.method, error);
    }
    blocks.end(); // nothing waits for a timer: the last lines of the message go on now
    release();
  };
  return { receive };
}

// ----- The ring: a worker's raw bytes in shared memory -----
//
// One writer (the worker's messenger) and one reader (the supervisor). Places in it are counted
// from its start and only ever grow (a byte's place in memory is its place modulo the size); the
// first 8 bytes of the shared memory hold how far the reader has read, which the writer never
// overtakes by more than the size. The reader learns what was written from the message that says
// where (postMessage makes the bytes written before it visible to the other thread).

/** The ring's size: a few seconds of a busy server's bytes (POP3 RETR: ~12 MB/s; a batch leaves at a quarter). */
const RING_BYTES = 8 * 1024 * 1024;

/** Shared memory for one worker's ring: give it to activityMessenger() there, and to a RingReader here. */
export function newRing(bytes = RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(8 + bytes);
}

class RingWriter {
  readonly size: number;
  private readonly bytes: Buffer;
  private readonly readUpTo: BigInt64Array;
  private written = 0;

  constructor(shared: SharedArrayBuffer) {
    this.readUpTo = new BigInt64Array(shared, 0, 1);
    this.bytes = Buffer.from(shared, 8);
    this.size = this.bytes.length;
  }

  /** Copies `chunk` in, in one piece; where it went, or -1 when there is no room (the reader is behind, or it is too big). */
  write(chunk: Buffer): number {
    if (chunk.length > this.size / 4) return -1;
    let where = this.written;
    const offset = where % this.size;
    if (offset + chunk.length > this.size) where += this.size - offset; // not enough before the end: from the start again
    if (where + chunk.length - Number(Atomics.load(this.readUpTo, 0)) > this.size) return -1;
    chunk.copy(this.bytes, where % this.size);
    this.written = where + chunk.length;
    return where;
  }
}

/** The supervisor's end of a worker's ring. */
export class RingReader {
  private readonly shared: SharedArrayBuffer;
  private readonly size: number;
  private readonly readUpTo: BigInt64Array;
  private end = 0;

  constructor(shared: SharedArrayBuffer) {
    this.shared = shared;
    this.size = shared.byteLength - 8;
    this.readUpTo = new BigInt64Array(shared, 0, 1);
  }

  /** The bytes a message says are at `where` (a view, not a copy: valid until release()). */
  read(where: number, length: number): Buffer {
    this.end = Math.max(this.end, where + length);
    return Buffer.from(this.shared, 8 + (where % this.size), length);
  }

  /** Everything read so far has been handled: the writer may use its room again. */
  release(): void {
    Atomics.store(this.readUpTo, 0, BigInt(this.end));
  }
}
