// Activity reports across a thread boundary (servers/activity.ts says why they are plain data).
// A server on a worker thread gets activityMessenger(): an Activity whose every call is written
// down and sent on as a message. The supervisor hands each call in such a message to
// reportActivity(), which makes the same call on the real Activity (the console's).
//
// What a message costs is what shapes this file. postMessage copies its message (the
// structured-clone algorithm), queues it and wakes the other thread; the other thread then builds
// the copy. That costs more than cutting the line itself, and a DATA body is dozens of lines, so:
// - Batched: the calls of the next 10 ms travel together, as one message, in the order they were
//   made (at most MAX_CALLS; a page still sees each line within milliseconds).
// - Lines, nearly all of the reports, travel in blocks: the lines in a row of one session at one
//   time become one LineBlock — their texts joined into one string, their sides and folds one
//   letter each — instead of one object per line. Copying one long string is a memcpy; copying
//   40 small objects is 40 times the bookkeeping, on both threads.

import type { Activity, LineBlock, SessionLine } from "./activity.ts";

// LineBlock lives in activity.ts: the console's store keeps lines in the same packed shape.
export type { LineBlock };

/** One activity call: `activity.stored(item)` → { method: "stored", args: [item] }; or a block of sessionLine calls. */
export type ActivityCall = { method: string; args: unknown[] } | { method: "sessionLine"; lines: LineBlock };

/** The calls of a few milliseconds of the worker's life, oldest first. */
export interface ActivityMessage {
  type: "activity";
  calls: ActivityCall[];
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
  let calls: ActivityCall[] = [];
  let count = 0; // calls in this batch, each line counted
  let block: LineBlock | undefined; // the lines at the end of `calls`, still growing
  let texts: string[] = []; // the texts of `block`, joined once it is done (endBlock)
  let timer: NodeJS.Timeout | undefined;

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
  // A block's texts are collected in an array and joined once, not added one by one to a string:
  // `texts += "\n" + text` makes a rope (V8 keeps a "cons string" pointing at both halves), and
  // postMessage must flatten it into one string before copying it — a copy and a walk of the
  // rope at each send, which costs more than the copy itself (a worker posting blocks that had
  // been sent once, and so were already flat, paid about half as much as for fresh ones).
  const endBlock = () => {
    if (block) block.texts = texts.join("\n");
    block = undefined;
  };
  const call = (method: keyof Activity, arg: unknown) => {
    endBlock(); // a line after this call starts a new block: the order stays as it was
    calls.push({ method, args: [arg] });
    added();
  };
  const line = (line: SessionLine) => {
    const fold = line.fold === "inside" ? "i" : line.fold === "summary" ? "s" : "-";
    if (block && block.id === line.id && block.at === line.at) {
      block.sides += line.side;
      texts.push(line.text);
      block.bytes.push(line.bytes);
      block.folds += fold;
    } else {
      endBlock();
      texts = [line.text];
      block = { id: line.id, at: line.at, sides: line.side, texts: "", bytes: [line.bytes], folds: fold };
      calls.push({ method: "sessionLine", lines: block });
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
