// The activity bridge (servers/activity-bridge.ts): what a server on a worker thread reports
// reaches the console's Activity on the supervisor's thread — every method, through a real
// MessagePort (so every argument is structured-cloned, as between threads).

import { MessageChannel } from "node:worker_threads";
import { expect, test } from "vitest";
import type { Activity } from "../../servers/activity.ts";
import { activityMessenger, reportActivity, type ActivityMessage } from "../../servers/activity-bridge.ts";

/** A real Activity that writes down every call it gets. */
function recordingActivity(calls: [string, unknown][]): Activity {
  return {
    sessionOpened: (session) => calls.push(["sessionOpened", session]),
    sessionLine: (line) => calls.push(["sessionLine", line]),
    sessionChanged: (change) => calls.push(["sessionChanged", change]),
    sessionClosed: (closed) => calls.push(["sessionClosed", closed]),
    stored: (item) => calls.push(["stored", item]),
  };
}

test("every Activity method crosses a MessagePort and calls the same method, with the same data, on the other side", async () => {
  const { port1, port2 } = new MessageChannel();
  const calls: [string, unknown][] = [];
  const console_ = recordingActivity(calls);
  const arrived = new Promise<void>((done) => {
    let count = 0;
    port2.on("message", (message: ActivityMessage) => {
      expect(reportActivity(console_, message)).toBeUndefined();
      if (++count === 5) done();
    });
  });
  const worker = activityMessenger((message) => port1.postMessage(message));
  const at = new Date().toISOString();
  const opened = { id: "nntp-1119-x-1", protocol: "nntp", port: 1119, client: "127.0.0.1:50000", tls: false, started: at };
  const line = { id: opened.id, side: "C" as const, text: "GROUP playground.test\\r\\n", bytes: 23, at };
  const change = { id: opened.id, account: "me", tls: true };
  const closed = { id: opened.id, how: "QUIT" as const, bytesIn: 40, bytesOut: 900, ended: at };
  const item = { kind: "article-posted" as const, sessionId: opened.id, owner: "playground.test", ref: "<a@b>", bytes: 300, at };
  worker.sessionOpened(opened);
  worker.sessionLine(line);
  worker.sessionChanged(change);
  worker.sessionClosed(closed);
  worker.stored(item);
  await arrived;
  port1.close();
  expect(calls).toEqual([
    ["sessionOpened", opened],
    ["sessionLine", line],
    ["sessionChanged", change],
    ["sessionClosed", closed],
    ["stored", item],
  ]);
});

test("the messenger is not mistaken for a promise, and a watcher's error is returned, not thrown", async () => {
  const sent: ActivityMessage[] = [];
  const worker = activityMessenger((message) => sent.push(message));
  expect(await Promise.resolve(worker)).toBe(worker); // `then` is undefined: awaiting it gives it back
  expect(sent).toEqual([]);

  const broken = { ...recordingActivity([]), sessionLine: () => { throw new Error("console bug"); } };
  expect(reportActivity(broken, { type: "activity", method: "sessionLine", args: [] })?.message).toBe("console bug");
  expect(reportActivity(broken, { type: "activity", method: "noSuchMethod", args: [] })).toBeUndefined();
});
