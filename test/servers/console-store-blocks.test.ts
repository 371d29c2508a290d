// The console's store keeps lines as the blocks they arrive in (servers/console/sessions.ts):
// what it hands out must be what it would be had every line come alone — numbering, the
// per-session cap, the budget for all sessions, the q= filter — and a block reaches it whole.

import type http from "node:http";
import { describe, expect, test } from "vitest";
import type { Activity, LineBlock, SessionLine } from "../../servers/activity.ts";
import { reportActivity } from "../../servers/activity-bridge.ts";
import { handleSessionsApi } from "../../servers/console/api.ts";
import { SessionStore, type StoreEvent } from "../../servers/console/sessions.ts";
import { FakeResponse, fakeRequest } from "./console-live-kit.ts";

const at = "2026-12-02T13:00:00.000Z";

function open(store: SessionStore, id: string): void {
  store.sessionOpened({ id, protocol: "smtp", port: 1, client: "127.0.0.1:1", tls: false, started: at });
}

/** The lines of a block, one by one, as a worker's reporter made them. */
function linesOf(block: LineBlock): SessionLine[] {
  return block.texts.split("\n").map((text, i) => {
    const line: SessionLine = { id: block.id, side: block.sides[i] as "C" | "S", text, bytes: block.bytes[i]!, at: block.at };
    if (block.folds[i] !== "-") line.fold = block.folds[i] === "i" ? "inside" : "summary";
    return line;
  });
}

function block(id: string, texts: string[], folds = "-".repeat(texts.length)): LineBlock {
  return { id, at, sides: texts.map((_, i) => (i % 2 ? "S" : "C")).join(""), texts: texts.join("\n"), bytes: texts.map((text) => text.length + 2), folds };
}

describe("lines kept as blocks", () => {
  test("numbered 1, 2, … across blocks and single lines, each with its side, bytes, time and fold", () => {
    const store = new SessionStore();
    open(store, "s");
    store.sessionLines(block("s", ["EHLO me", "250 hi"]));
    store.sessionLine({ id: "s", side: "C", text: "DATA", bytes: 6, at });
    store.sessionLines(block("s", ["body 1", "body 2", "… 1 more line"], "-is"));
    const session = store.get("s")!;
    expect(session.lineCount).toBe(6);
    expect(session.lines).toEqual([
      { side: "C", text: "EHLO me", bytes: 9, at, n: 1 },
      { side: "S", text: "250 hi", bytes: 8, at, n: 2 },
      { side: "C", text: "DATA", bytes: 6, at, n: 3 },
      { side: "C", text: "body 1", bytes: 8, at, n: 4 },
      { side: "S", text: "body 2", bytes: 8, at, n: 5, fold: "inside" },
      { side: "C", text: "… 1 more line", bytes: 15, at, n: 6, fold: "summary" },
    ]);
    // Bytes so far: the line inside the fold is counted by the fold's summary, not twice.
    expect(session).toMatchObject({ bytesIn: 9 + 6 + 8 + 15, bytesOut: 8 });
  });

  test("a block that would take a session past its quarter of maxLineBytes keeps the lines that fit", () => {
    // A quarter of 4,000 bytes: 1,000. A line costs 2 bytes a character + 64: a 100-character line 264.
    const store = new SessionStore({ maxLineBytes: 4_000 });
    open(store, "s");
    const long = "x".repeat(100);
    store.sessionLines(block("s", [long, long, long, long, "ab", long]));
    const session = store.get("s")!;
    // 3 × 264 = 792; the 4th would make 1,056: dropped; "ab" (68) still fits: 860; the last does not.
    expect(session.lines.map((line) => line.n)).toEqual([1, 2, 3, 5]);
    expect(session.lines[3]).toMatchObject({ text: "ab", side: "C", bytes: 4 });
    expect(session).toMatchObject({ lineCount: 6, linesDropped: 2 });
    expect(store.usage().lineBytes).toBe(860);
  });

  test("the same lines as blocks or one by one: the same sessions, lines, counts and budget", () => {
    // Lines of every length, in blocks of every size, over sessions that outgrow their share and the budget.
    const byBlock = new SessionStore({ maxSessions: 5, maxLineBytes: 12_000 });
    const byLine = new SessionStore({ maxSessions: 5, maxLineBytes: 12_000 });
    let seed = 7;
    const random = (below: number) => (seed = (seed * 48_271) % 2_147_483_647) % below; // Park–Miller: the same every run
    for (let s = 1; s <= 6; s++) {
      for (const store of [byBlock, byLine]) open(store, `s${s}`);
      for (let b = 0; b < 12; b++) {
        const id = b < 8 ? `s${1 + random(s)}` : `s${s}`; // now and then an older session goes on talking
        const texts = Array.from({ length: 1 + random(15) }, (_, i) => `${id} ${b}.${i} ${"y".repeat(random(3) === 0 ? random(700) : random(40))}`);
        const folds = texts.map(() => "-is"[random(3)]).join("");
        byBlock.sessionLines(block(id, texts, folds));
        for (const line of linesOf(block(id, texts, folds))) byLine.sessionLine(line);
      }
    }
    expect(byBlock.usage()).toEqual(byLine.usage());
    expect(byBlock.usage().lineBytes).toBeLessThanOrEqual(12_000);
    expect(byBlock.list()).toEqual(byLine.list());
    // Both limits were reached, or this compared nothing: a session with lines and lines dropped
    // (its share), one without lines that had some (the budget).
    expect(byBlock.list().some((session) => session.linesDropped > 0 && byBlock.get(session.id)!.lines.length > 0)).toBe(true);
    expect(byBlock.list().some((session) => session.lineCount > 0 && byBlock.get(session.id)!.lines.length === 0)).toBe(true);
    for (const { id } of byLine.list()) expect(byBlock.get(id)).toEqual(byLine.get(id));
  });

  test("oldest sessions lose their lines first, block by block as line by line", () => {
    const store = new SessionStore({ maxLineBytes: 4_000 });
    const line = "z".repeat(100); // 264 bytes kept
    for (const id of ["a", "b", "c", "d", "e", "f"]) {
      open(store, id);
      store.sessionLines(block(id, [line, line, line])); // 792 each: the sixth takes the total past 4,000
    }
    expect(store.get("a")).toMatchObject({ lines: [], linesDropped: 3, lineCount: 3 });
    expect(store.get("b")!.lines).toHaveLength(3);
    expect(store.usage().lineBytes).toBe(5 * 792);
  });

  test("q= finds a text in any kept block, in any case, never across two lines", () => {
    const store = new SessionStore();
    open(store, "s");
    store.sessionLines(block("s", ["USER me", "+OK"]));
    store.sessionLines(block("s", ["RETR 1", "Subject: Hello There"]));
    expect(store.linesContain("s", "hello there")).toBe(true);
    expect(store.linesContain("s", "user me")).toBe(true);
    expect(store.linesContain("s", "+ok\nretr")).toBe(false);
    expect(store.linesContain("s", "+okretr")).toBe(false);
    expect(store.linesContain("s", "goodbye")).toBe(false);
    expect(store.linesContain("nobody", "user")).toBe(false);
  });

  test("a listener hears a block once, numbered, with every line reported (kept or not)", () => {
    const store = new SessionStore({ maxLineBytes: 1_000 }); // a quarter: 250, one 100-character line is 264
    open(store, "s");
    const events: StoreEvent[] = [];
    store.subscribe((event) => events.push(event));
    store.sessionLine({ id: "s", side: "C", text: "x".repeat(100), bytes: 102, at });
    store.sessionLines(block("s", ["a", "b"]));
    const lines = events.filter((event) => event.type === "lines");
    expect(lines.map((event) => event.type === "lines" && "texts" in event.lines.block && [event.lines.n, event.lines.block.texts])).toEqual([[1, "x".repeat(100)], [2, "a\nb"]]);
    expect(store.get("s")!.lines.map((line) => line.n)).toEqual([2, 3]);
  });

  test("reportActivity hands a block whole to an Activity that takes blocks", () => {
    const store = new SessionStore();
    open(store, "s");
    const blocks: LineBlock[] = [];
    const activity: Activity = {
      sessionOpened: () => {},
      sessionLine: () => expect.unreachable("a block is not unpacked for an Activity with sessionLines"),
      sessionChanged: () => {},
      sessionClosed: () => {},
      stored: () => {},
      transfer: () => {},
      sessionLines: (lines) => void blocks.push(lines),
    };
    const lines = block("s", ["one", "two"]);
    expect(reportActivity(activity, { method: "sessionLine", lines })).toBeUndefined();
    expect(blocks).toEqual([lines]);
    expect(reportActivity(store, { method: "sessionLine", lines })).toBeUndefined();
    expect(store.get("s")!.lines.map((line) => line.text)).toEqual(["one", "two"]);
  });
});

describe('the event stream: one "lines" event per block', () => {
  /** GET /console/api/events on `store` as the teacher, into a string; `feed` runs with it open. */
  async function stream(store: SessionStore, feed: () => void, query = ""): Promise<{ type: string; data: Record<string, unknown> }[]> {
    const response = new FakeResponse();
    const request = fakeRequest(`/console/api/events${query}`);
    handleSessionsApi(request, response as unknown as http.ServerResponse, "/console/api/events", { teacher: true }, store);
    feed();
    await new Promise((resolve) => setImmediate(resolve)); // a turn's events are written together
    request.emit("close");
    return [...response.body.matchAll(/event: (\S+)\ndata: (.*)\n\n/g)].map((match) => ({ type: match[1]!, data: JSON.parse(match[2]!) }));
  }

  test("a block of lines: one event, line i is line n + i; a summary line marked", async () => {
    const store = new SessionStore();
    open(store, "s");
    const events = await stream(store, () => {
      store.sessionLines(block("s", ["EHLO me", "250 hi"]));
      store.sessionLines(block("s", ["QUIT", "… 3 more lines (40 bytes) not shown"], "-s"));
    });
    expect(events.filter((event) => event.type === "lines").map((event) => event.data)).toEqual([
      { id: "s", at, n: 1, sides: "CS", folds: "--", texts: ["EHLO me", "250 hi"], bytes: [9, 8] },
      { id: "s", at, n: 3, sides: "CS", folds: "-s", texts: ["QUIT", "… 3 more lines (40 bytes) not shown"], bytes: [6, 37] },
    ]);
  });

  test("lines inside a fold are not sent, but counted: one event per run of lines shown, each saying what came folded after it", async () => {
    const store = new SessionStore();
    open(store, "s");
    const events = await stream(store, () => {
      store.sessionLine({ id: "s", side: "C", text: "DATA", bytes: 6, at });
      // Lines 2-8: two shown, three inside a fold, its summary, one more shown; then a block that starts inside a fold.
      store.sessionLines({ id: "s", at, sides: "SSSSSSC", texts: ["a", "b", "c", "d", "e", "… 3 more", "x"].join("\n"), bytes: [1, 2, 30, 40, 50, 120, 3], folds: "--iiis-" });
      store.sessionLines({ id: "s", at, sides: "CCC", texts: "p\nq\nr", bytes: [5, 6, 7], folds: "ii-" });
    });
    const lines = events.filter((event) => event.type === "lines").map((event) => event.data);
    expect(lines).toEqual([
      { id: "s", at, n: 1, sides: "C", folds: "-", texts: ["DATA"], bytes: [6] },
      { id: "s", at, n: 2, sides: "SS", folds: "--", texts: ["a", "b"], bytes: [1, 2], folded: { side: "S", lines: 3, bytes: 120 } },
      { id: "s", at, n: 7, sides: "SC", folds: "s-", texts: ["… 3 more", "x"], bytes: [120, 3] },
      { id: "s", at, n: 9, sides: "", folds: "", texts: [], bytes: [], folded: { side: "C", lines: 2, bytes: 11 } },
      { id: "s", at, n: 11, sides: "C", folds: "-", texts: ["r"], bytes: [7] },
    ]);
    // Nothing inside a fold crossed: its texts are nowhere in the stream.
    expect(JSON.stringify(events)).not.toMatch(/"[cdepq]"/);
  });

  test("a body still raw: its plain lines cut, the rest only counted", async () => {
    const store = new SessionStore();
    open(store, "s");
    const raw = "Subject: hi\r\n\r\nline 1\r\nline 2\r\n.\r\n";
    const events = await stream(store, () => store.sessionBody("s", at, "C", raw, 5, 2));
    expect(events.filter((event) => event.type === "lines").map((event) => event.data)).toEqual([
      { id: "s", at, n: 1, sides: "CC", folds: "--", texts: ["Subject: hi\\r\\n", "\\r\\n"], bytes: [13, 2], folded: { side: "C", lines: 3, bytes: raw.length - 15 } },
    ]);
  });

  // A session's traffic: a command, a body of 5 lines (2 plain, 3 inside its fold) and the
  // fold's summary (it stands for the 3: 23 bytes), a reply. On the wire: 6 + 38 from the client, 8 from the server.
  const traffic = (store: SessionStore, id: string) => {
    store.sessionLines({ id, at, sides: "C", texts: "DATA\\r\\n", bytes: [6], folds: "-" });
    store.sessionBody(id, at, "C", "Subject: hi\r\n\r\nline 1\r\nline 2\r\n.\r\n", 5, 2);
    store.sessionLines({ id, at, sides: "CS", texts: "… 3 more lines (23 bytes) not shown\n250 ok\\r\\n", bytes: [23, 8], folds: "s-" });
  };

  test("?lines=<id>: that session's lines only; the others' bytes counted into one \"bytes\" event a turn, a fold once", async () => {
    const store = new SessionStore();
    for (const id of ["a", "b", "c"]) open(store, id);
    const events = await stream(store, () => ["a", "b", "c", "b"].forEach((id) => traffic(store, id)), "?lines=a");
    expect([...new Set(events.filter((event) => event.type === "lines").map((event) => event.data.id))]).toEqual(["a"]);
    const counts = events.filter((event) => event.type === "bytes").map((event) => event.data);
    expect(counts).toEqual([{ b: [88, 16], c: [44, 8] }]);
    // As the store counts a session still open: the same bytes, the fold's lines once (by its summary).
    expect(store.get("c")).toMatchObject({ bytesIn: 44, bytesOut: 8 });
    // ?lines=none: no lines at all; ?types= without "bytes": no counts either.
    const none = await stream(store, () => traffic(store, "a"), "?lines=none");
    expect(none.map((event) => event.type)).toEqual(["bytes"]);
    expect(none[0]!.data).toEqual({ a: [44, 8] });
    expect(await stream(store, () => traffic(store, "a"), "?lines=none&types=session-closed")).toEqual([]);
    expect((await stream(store, () => traffic(store, "a"), "?lines=none&types=bytes")).map((event) => event.type)).toEqual(["bytes"]);
  });
});
