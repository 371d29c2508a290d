// Activity reports across a thread boundary (servers/activity.ts says why they are plain data).
// A server on a worker thread gets activityMessenger(): an Activity whose every method call is
// written down and sent on as a message. The supervisor hands each call in such a message to
// reportActivity(), which calls the same method on the real Activity (the console's). Both are
// generic — any method name crosses — so a method added to the Activity interface needs no change here.
//
// Why batched: one postMessage costs more than a whole line's transcript work (the message is
// copied, queued, and wakes the other thread). A DATA body is dozens of lines arriving in one
// turn of the event loop, so the calls of one turn travel together, as one message, in the order
// they were made. The batch leaves when the turn ends (setImmediate: the loop is done with the I/O
// it found), or sooner when it holds MAX_CALLS — lines reach the console within milliseconds.
// And lines, nearly all of the reports, travel as columns: the lines of a batch in a row become one
// array per field (texts, bytes, times …) instead of one object each, which is what copying a
// message costs (a string or a number is cheap to copy, every object around them is not).

import type { Activity, SessionLine } from "./activity.ts";

/** One activity call: `activity.stored(item)` → { method: "stored", args: [item] }; or many sessionLine calls in a row. */
export type ActivityCall = { method: string; args: unknown[] } | { method: "sessionLine"; lines: LineColumns };

/** sessionLine calls in a row, line i being { id: ids[i], side: sides[i], text: texts[i], … }. */
export interface LineColumns {
  ids: string[];
  /** One letter per line: "C" or "S". */
  sides: string;
  texts: string[];
  bytes: number[];
  ats: string[];
  /** One letter per line: "-" not folded, "i" inside a fold, "s" a fold's summary. */
  folds: string;
}

/** The calls of one turn of the worker's loop, oldest first. */
export interface ActivityMessage {
  type: "activity";
  calls: ActivityCall[];
}

/** A batch this long leaves at once (the message stays small; the other thread gets work sooner). */
const MAX_CALLS = 1_000;

export interface Messenger {
  /** Give this to the servers. */
  activity: Activity;
  /** Sends the calls not sent yet now (before the thread ends: nothing is lost). */
  flush(): void;
}

/** An Activity whose calls go to `send`, batched as ActivityMessages (fire-and-forget, like every Activity). */
export function activityMessenger(send: (message: ActivityMessage) => void): Messenger {
  let calls: ActivityCall[] = [];
  let count = 0; // calls in this batch, each line counted
  let lines: LineColumns | undefined; // the lines at the end of `calls`, still growing
  const flush = () => {
    if (count === 0) return;
    const message: ActivityMessage = { type: "activity", calls };
    calls = [];
    count = 0;
    lines = undefined;
    send(message);
  };
  const add = (method: string, args: unknown[]) => {
    if (count++ === 0) setImmediate(flush);
    if (method === "sessionLine") {
      const line = args[0] as SessionLine;
      if (!lines) {
        lines = { ids: [], sides: "", texts: [], bytes: [], ats: [], folds: "" };
        calls.push({ method, lines });
      }
      lines.ids.push(line.id);
      lines.sides += line.side;
      lines.texts.push(line.text);
      lines.bytes.push(line.bytes);
      lines.ats.push(line.at);
      lines.folds += line.fold === "inside" ? "i" : line.fold === "summary" ? "s" : "-";
    } else {
      lines = undefined; // a line after this call starts new columns: the order stays as it was
      calls.push({ method, args });
    }
    if (count >= MAX_CALLS) flush();
  };
  const activity = new Proxy({} as Activity, {
    get(_target, method) {
      // "then" must stay undefined, or `await activity` would take the object for a promise.
      if (typeof method !== "string" || method === "then") return undefined;
      return (...args: unknown[]) => add(method, args);
    },
  });
  return { activity, flush };
}

/**
 * Calls the method an ActivityCall names on `activity`. A name it does not have is ignored, and
 * an error in it is returned, not thrown: a watcher's bug must not stop the supervisor.
 */
export function reportActivity(activity: Activity, call: ActivityCall): Error | undefined {
  const method = (activity as unknown as Record<string, unknown>)[call.method];
  if (typeof method !== "function") return undefined;
  try {
    if ("lines" in call) {
      const { ids, sides, texts, bytes, ats, folds } = call.lines;
      for (let i = 0; i < ids.length; i++) {
        const line: SessionLine = { id: ids[i]!, side: sides[i] as "C" | "S", text: texts[i]!, bytes: bytes[i]!, at: ats[i]! };
        if (folds[i] !== "-") line.fold = folds[i] === "i" ? "inside" : "summary";
        method.call(activity, line);
      }
    } else method.apply(activity, call.args);
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
