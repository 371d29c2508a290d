// The console's code before a body's lines crossed raw (commit c9286e3, servers/activity-bridge.ts), kept
// verbatim but for its imports: console-raw-replay.test.ts replays recorded sessions through it and
// through today's code and compares what the API shows. Not used by the playground.

// Activity reports across a thread boundary (servers/activity.ts says why they are plain data).
// A server on a worker thread gets activityMessenger(): an Activity whose every call is written
// down and sent on as a message. The supervisor unpacks such a message and hands each call to
// reportActivity(), which makes the same call on the real Activity (the console's).
//
// What a message costs is what shapes this file. postMessage copies its message (the
// structured-clone algorithm), queues it and wakes the other thread; the other thread then builds
// the copy. That costs more than cutting the line itself, and a DATA body is dozens of lines, so:
// - Batched: the calls of the next 10 ms travel together, as one message, in the order they were
//   made (at most MAX_CALLS; a page still sees each line within milliseconds).
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

import type { Activity, LineBlock, SessionLine } from "../../../servers/activity.ts";

// LineBlock lives in activity.ts: the console's store keeps lines in the same packed shape.
export type { LineBlock };

/** One activity call: `activity.stored(item)` → { method: "stored", args: [item] }; or a block of sessionLine calls. */
export type ActivityCall = { method: string; args: unknown[] } | { method: "sessionLine"; lines: LineBlock };

/**
 * The calls of a few milliseconds of the worker's life, oldest first, packed into one list:
 *   a block of lines:   "lines", id, at, sides, texts, folds, then one number per line (its bytes)
 *   any other call:     its method's name, its argument (as made)
 * unpack() turns it back into ActivityCalls.
 */
export interface ActivityMessage {
  type: "activity";
  calls: unknown[];
}

/** How long a batch waits for more calls. */
const FLUSH_AFTER_MS = 10;
/** A batch of this many calls (each line counted) leaves at once: messages stay small, the other thread gets work sooner. */
const MAX_CALLS = 1_000;

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
  // One entry per method of the Activity interface (the compiler checks that none is missing).
  const activity: Activity = {
    sessionOpened: (session) => call("sessionOpened", session),
    sessionLine: line,
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
  if (typeof method !== "function") return undefined;
  let failure: Error | undefined;
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
