// Activity reports across a thread boundary (servers/activity.ts says why they are plain data).
// A server on a worker thread gets activityMessenger(): an Activity whose every call is written
// down and sent on as a message. The supervisor unpacks such a message and hands each call to
// reportActivity(), which makes the same call on the real Activity (the console's).
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

import type { Activity, LineBlock, SessionLine } from "./activity.ts";
import { bodyLines } from "./session-report.ts";

// LineBlock lives in activity.ts: the console's store keeps lines in the same packed shape.
export type { LineBlock };

/** One activity call: `activity.stored(item)` → { method: "stored", args: [item] }; or a block of sessionLine calls. */
export type ActivityCall = { method: string; args: unknown[] } | { method: "sessionLine"; lines: LineBlock };

/**
 * The calls of a few milliseconds of the worker's life, oldest first, packed into one list:
 *   a block of lines:   "lines", id, at, sides, texts, folds, then one number per line (its bytes)
 *   a body:             "body", id, at, side, raw, lines, plain (Activity.sessionBody's arguments)
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

/** An Activity whose calls go to `send`, batched as ActivityMessages (fire-and-forget, like every Activity). */
export function activityMessenger(send: (message: ActivityMessage) => void): Messenger {
  let calls: unknown[] = []; // packed, as ActivityMessage says
  let count = 0; // calls in this batch, each line counted
  let bodyChars = 0; // characters of the bodies in this batch
  let timer: NodeJS.Timeout | undefined;
  // The block still growing (the lines in a row of one session at one time), packed into
  // `calls` once the next call is not one of its lines. Its texts are collected in an array and
  // joined once, not added one by one to a string: `texts += "\n" + text` makes a rope (V8 keeps
  // a "cons string" pointing at both halves) that postMessage must walk and flatten into one
  // string before it can copy it — fresh blocks posted cost about twice as much as blocks that
  // had been sent once, and so were already flat.
  let block: { id: string; at: string; sides: string; folds: string; texts: string[]; bytes: number[] } | undefined;

  const endBlock = () => {
    if (!block) return;
    calls.push("lines", block.id, block.at, block.sides, block.texts.join("\n"), block.folds);
    for (const bytes of block.bytes) calls.push(bytes);
    block = undefined;
  };
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (count === 0) return;
    endBlock();
    const message: ActivityMessage = { type: "activity", calls };
    calls = [];
    count = 0;
    bodyChars = 0;
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
    const fold = line.fold === "inside" ? "i" : line.fold === "summary" ? "s" : "-";
    if (block && block.id === line.id && block.at === line.at) {
      block.sides += line.side;
      block.folds += fold;
      block.texts.push(line.text);
      block.bytes.push(line.bytes);
    } else {
      endBlock();
      block = { id: line.id, at: line.at, sides: line.side, folds: fold, texts: [line.text], bytes: [line.bytes] };
    }
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
  // One entry per method of the Activity interface (the compiler checks that none is missing).
  const activity: Activity = {
    sessionOpened: (session) => call("sessionOpened", session),
    sessionLine: line,
    sessionBody: body,
    sessionChanged: (change) => call("sessionChanged", change),
    sessionClosed: (closed) => call("sessionClosed", closed),
    stored: (item) => call("stored", item),
    transfer: (progress) => call("transfer", progress),
  };
  return { activity, flush };
}

/** The calls of an ActivityMessage, unpacked, in the order they were made: a block of lines becomes a LineBlock again. */
export function unpack(message: ActivityMessage): ActivityCall[] {
  const packed = message.calls;
  const calls: ActivityCall[] = [];
  for (let i = 0; i < packed.length; ) {
    const method = packed[i] as string;
    if (method === "body") {
      calls.push({ method: "sessionBody", args: packed.slice(i + 1, i + 7) });
      i += 7;
      continue;
    }
    if (method !== "lines") {
      calls.push({ method, args: [packed[i + 1]] });
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
    calls.push({ method: "sessionLine", lines });
    i += 6 + sides.length;
  }
  return calls;
}

/**
 * Makes the call an ActivityCall names on `activity`: a block of lines as it is, to an Activity
 * that takes blocks (sessionLines: the console's store), else each line of it, one by one. A method
 * it does not have is ignored, and an error in it is returned, not thrown: a watcher's bug must
 * not stop the supervisor.
 */
export function reportActivity(activity: Activity, call: ActivityCall): Error | undefined {
  const method = (activity as unknown as Record<string, unknown>)[call.method];
  let failure: Error | undefined;
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
