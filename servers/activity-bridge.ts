// Activity reports across a thread boundary (servers/activity.ts says why they are plain data).
// A server on a worker thread gets activityMessenger(): an Activity whose every method becomes a
// message. The supervisor hands each such message to reportActivity(), which calls the same
// method on the real Activity (the console's). Both are generic — any method name crosses — so a
// method added to the Activity interface needs no change here.

import type { Activity } from "./activity.ts";

/** One activity call as a message: `activity.sessionLine(line)` → { method: "sessionLine", args: [line] }. */
export interface ActivityMessage {
  type: "activity";
  method: string;
  args: unknown[];
}

/** An Activity that sends each call to `send` as an ActivityMessage (fire-and-forget, like every Activity). */
export function activityMessenger(send: (message: ActivityMessage) => void): Activity {
  return new Proxy({} as Activity, {
    get(_target, method) {
      // "then" must stay undefined, or `await activity` would take the object for a promise.
      if (typeof method !== "string" || method === "then") return undefined;
      return (...args: unknown[]) => send({ type: "activity", method, args });
    },
  });
}

/**
 * Calls the method an ActivityMessage names on `activity`. A name it does not have is ignored, and
 * an error in it is returned, not thrown: a watcher's bug must not stop the supervisor.
 */
export function reportActivity(activity: Activity, { method, args }: ActivityMessage): Error | undefined {
  const call = (activity as unknown as Record<string, unknown>)[method];
  if (typeof call !== "function") return undefined;
  try {
    call.apply(activity, args);
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
