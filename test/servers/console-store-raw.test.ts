// The console's store keeps a worker's line sessions as their raw bytes (Activity.sessionRaw) and
// cuts one into lines only when asked, or once someone watches it live (servers/console/sessions.ts).
// Whatever it shows must be what it shows of the same session cut as its bytes came (a store
// with a stream of every line open from the start): the same lines, numbers, folds, times and
// masks, the same counts; past the limits, the first lines and the right count of the rest.

import { describe, expect, test } from "vitest";
import type { RawKind } from "../../servers/activity.ts";
import { SessionStore, type KeptLine, type StoreEvent } from "../../servers/console/sessions.ts";

const started = "2026-12-04T09:00:00.000Z";

type Piece = { kind: RawKind; side: "C" | "S"; bytes: Buffer; at: string } | { login: true };

/** A made-up session of `protocol`: commands and replies (some cut mid-line), bodies of every size, notes; a login somewhere. */
function session(protocol: string, seed: number): Piece[] {
  const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
  let clock = Date.parse(started);
  const at = () => new Date((clock += random(3))).toISOString(); // pieces often share a millisecond
  const pieces: Piece[] = [];
  const add = (kind: RawKind, side: "C" | "S", text: string | Buffer) => pieces.push({ kind, side, bytes: Buffer.from(text as string, "latin1"), at: at() });
  // A client that sends a line in pieces (the "\n" in the next chunk, or the other side speaks first).
  const command = (text: string) => {
    const cut = random(3) === 0 ? random(text.length) : text.length;
    add("data", "C", text.slice(0, cut));
    if (cut < text.length) add("data", "C", text.slice(cut));
  };
  const secret = Buffer.from("\0me@example.com\0hunter2").toString("base64");
  add("note", "C", "connected from 127.0.0.1:5000");
  for (let exchange = 0; exchange < 12 + random(20); exchange++) {
    const what = random(10);
    if (what === 0 && protocol === "smtp") {
      command(`AUTH PLAIN ${secret}\r\n`);
      add("data", "S", "235 2.7.0 Accepted\r\n");
    } else if (what === 1 && protocol === "smtp") {
      // AUTH LOGIN: only the mask that saw the 334 knows the next line is a secret.
      command("AUTH LOGIN\r\n");
      add("data", "S", "334 VXNlcm5hbWU6\r\n");
      command(`${Buffer.from("me@example.com").toString("base64")}\r\n`);
      add("data", "S", "334 UGFzc3dvcmQ6\r\n");
      command(`${Buffer.from("hunter2").toString("base64")}\r\n`);
      add("data", "S", "235 2.7.0 Accepted\r\n");
    } else if (what === 2 && !pieces.some((piece) => "login" in piece)) {
      // The login, once (IMAP's mask masks a client's lines before it, none after).
      command(protocol === "imap" ? "A1 LOGIN me@example.com hunter2\r\n" : protocol === "pop3" ? "PASS hunter2\r\n" : protocol === "nntp" ? "AUTHINFO PASS hunter2\r\n" : "NOOP\r\n");
      add("data", "S", protocol === "imap" ? "A1 OK LOGIN completed\r\n" : "+OK\r\n");
      pieces.push({ login: true });
    } else if (what <= 5) {
      // A body: lines of every length (some past 1,000 bytes, some bare "\n", a few not ASCII), in chunks cut anywhere.
      add("data", "S", protocol === "smtp" ? "354 go ahead\r\n" : "+OK message follows\r\n");
      const lines: string[] = [];
      for (let i = random(3) === 0 ? 300 + random(300) : random(40); i >= 0; i--) {
        const length = random(8) === 0 ? 900 + random(300) : random(90);
        lines.push(`${random(20) === 0 ? "caf\xc3\xa9\x01 " : ""}${"x".repeat(length)}${random(6) === 0 ? "\n" : "\r\n"}`);
      }
      const body = Buffer.from(`${lines.join("")}.\r\n`, "latin1");
      for (let from = 0; from < body.length; ) {
        const to = Math.min(body.length, from + 1 + random(4_000));
        add("body", protocol === "smtp" ? "C" : "S", body.subarray(from, to));
        from = to;
      }
      add("data", protocol === "smtp" ? "S" : "C", protocol === "smtp" ? "250 OK queued\r\n" : "DELE 1\r\n");
    } else {
      command(`NOOP ${"y".repeat(random(300))}\r\n`); // some longer than a line is shown
      add("data", "S", random(2) ? "250 OK\r\n" : "250-one\r\n250-two\r\n250 three\r\n");
    }
  }
  if (random(2)) add("data", "C", "QUIT"); // the last line unfinished when the session closes
  add("note", "S", "connection closed");
  return pieces;
}

function open(store: SessionStore, id: string, protocol: string): void {
  store.sessionOpened({ id, protocol, port: 1, client: "127.0.0.1:1", tls: false, started });
}

function feed(store: SessionStore, id: string, pieces: Piece[]): void {
  for (const piece of pieces) {
    if ("login" in piece) store.sessionChanged({ id, account: "me@example.com" });
    else store.sessionRaw(id, piece.at, piece.kind, piece.side, piece.bytes);
  }
}

function close(store: SessionStore, id: string, pieces: Piece[]): void {
  const sum = (side: "C" | "S") => pieces.reduce((total, piece) => total + ("login" in piece || piece.kind === "note" || piece.side !== side ? 0 : piece.bytes.length), 0);
  store.sessionClosed({ id, how: "QUIT", bytesIn: sum("C"), bytesOut: sum("S"), ended: "2026-12-04T10:00:00.000Z" });
}

/** Every line the store's "lines" events brought, one object each, as get() shows them. */
function streamed(events: StoreEvent[], id: string): KeptLine[] {
  const store = new SessionStore(); // a scratch store cuts the events' blocks into lines exactly as get() would
  open(store, id, "ftp");
  for (const event of events) {
    if (event.type !== "lines" || event.id !== id) continue;
    if ("raw" in event.lines.block) store.sessionBody(id, event.lines.block.at, event.lines.block.side, event.lines.block.raw, event.lines.block.lines, event.lines.block.plain);
    else store.sessionLines(event.lines.block);
  }
  return store.get(id)!.lines;
}

const PROTOCOLS = ["smtp", "pop3", "imap", "nntp"];
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

describe("a session kept as its raw bytes", () => {
  test("cut when asked: the same lines, numbers, folds, times, counts and masks as cut as it came — open, then closed", () => {
    for (const protocol of PROTOCOLS) {
      for (const seed of SEEDS) {
        const pieces = session(protocol, seed);
        const live = new SessionStore();
        live.subscribe(() => {}); // every line, from the start: cut as it comes
        const raw = new SessionStore();
        for (const store of [live, raw]) open(store, "s", protocol);
        const half = Math.floor(pieces.length / 2);
        feed(live, "s", pieces.slice(0, half));
        feed(raw, "s", pieces.slice(0, half));
        expect(raw.keptRaw()).toBe(1);
        expect(live.keptRaw()).toBe(0);
        const [a, b] = [live.get("s")!, raw.get("s")!];
        expect(b.lines).toEqual(a.lines);
        expect(b.lineCount).toBe(a.lineCount);
        // Open, its bytes so far: raw counts every byte as it comes, the lines only those of lines finished (and a fold's by its summary).
        expect(b.bytesIn + b.bytesOut).toBeGreaterThanOrEqual(a.bytesIn + a.bytesOut);
        feed(live, "s", pieces.slice(half));
        feed(raw, "s", pieces.slice(half));
        close(live, "s", pieces);
        close(raw, "s", pieces);
        expect(raw.get("s")).toEqual(live.get("s"));
        expect(raw.list()).toEqual(live.list());
        const text = JSON.stringify(raw.get("s"));
        expect(text).not.toContain("hunter2");
        expect(text).not.toContain(Buffer.from("hunter2").toString("base64"));
        expect(text).not.toContain(Buffer.from("\0me@example.com\0hunter2").toString("base64"));
        for (const q of ["noop", "caf", "xxxxxxxxxx\\r\\n", "\\x01", "more lines", "not there"]) expect(raw.linesContain("s", q)).toBe(live.linesContain("s", q));
      }
    }
  });

  test("watched halfway: its bytes so far are cut first (masked as ever), then each as it comes, streamed", () => {
    for (const protocol of PROTOCOLS) {
      for (const seed of SEEDS) {
        const pieces = session(protocol, seed);
        const live = new SessionStore();
        live.subscribe(() => {});
        const watched = new SessionStore();
        for (const store of [live, watched]) open(store, "s", protocol);
        feed(live, "s", pieces);
        close(live, "s", pieces);
        // Right after a piece that a mask learns from (SMTP's 334), where there is one.
        let half = pieces.findIndex((piece) => "kind" in piece && piece.bytes.toString().startsWith("334 UGFzc3dvcmQ6"));
        if (half === -1) half = Math.floor(pieces.length / 2);
        feed(watched, "s", pieces.slice(0, half + 1));
        const events: StoreEvent[] = [];
        const stop = watched.subscribe((event) => events.push(event), "s");
        expect(watched.keptRaw()).toBe(0); // cut from now on
        const before = watched.get("s")!.lines.length;
        expect(events).toEqual([]); // its lines so far: fetched (get), not streamed again
        feed(watched, "s", pieces.slice(half + 1));
        close(watched, "s", pieces);
        stop();
        expect(watched.get("s")).toEqual(live.get("s"));
        expect(streamed(events, "s").map(({ n, ...line }) => ({ ...line, n: n + before }))).toEqual(live.get("s")!.lines.slice(before));
        expect(JSON.stringify(events)).not.toContain(Buffer.from("hunter2").toString("base64"));
      }
    }
  });

  test("past its share it keeps its first lines; the rest are counted, as any session's", () => {
    for (const seed of SEEDS) {
      const pieces = session("pop3", seed);
      const live = new SessionStore();
      live.subscribe(() => {});
      open(live, "s", "pop3");
      feed(live, "s", pieces);
      close(live, "s", pieces);
      const all = live.get("s")!;
      const bytes = pieces.reduce((total, piece) => total + ("bytes" in piece ? piece.bytes.length : 0), 0);
      const small = new SessionStore({ maxLineBytes: bytes * 2 }); // a share of half its bytes
      open(small, "s", "pop3");
      feed(small, "s", pieces);
      close(small, "s", pieces);
      const kept = small.get("s")!;
      expect(kept.lineCount).toBe(all.lineCount);
      expect(kept.lines.length).toBeGreaterThan(0);
      expect(kept.linesDropped).toBeGreaterThan(0);
      expect(kept.lines.length + kept.linesDropped).toBe(all.lineCount);
      expect(kept.lines).toEqual(all.lines.slice(0, kept.lines.length));
      expect(small.usage().lineBytes).toBeLessThanOrEqual(bytes / 2 + 64);
      // Watched now, it cannot be cut from here on (the bytes before are not all kept): it stays counted.
      const events: StoreEvent[] = [];
      const again = new SessionStore({ maxLineBytes: bytes * 2 });
      open(again, "s", "pop3");
      feed(again, "s", pieces.slice(0, -1));
      again.subscribe((event) => events.push(event), "s");
      feed(again, "s", pieces.slice(-1));
      expect(events.filter((event) => event.type === "lines")).toEqual([]);
    }
  });

  test("the oldest sessions give up their bytes for room: their lines are then all counted, as dropped; the newest keep theirs", async () => {
    const sessions = SEEDS.map((seed) => session("smtp", seed));
    // What each costs kept raw (its bytes, and 40 bytes a piece): the share of the largest, so that none is past its share.
    const costs = sessions.map((pieces) => pieces.reduce((total, piece) => total + ("bytes" in piece ? piece.bytes.length + 40 : 40), 0));
    const limit = Math.max(...costs) * 4;
    const store = new SessionStore({ maxLineBytes: limit });
    const live = new SessionStore();
    live.subscribe(() => {});
    const counts: Record<string, [number, number]> = {};
    store.subscribe((event) => {
      if (event.type !== "bytes") return;
      for (const [id, [c, s]] of event.counts) counts[id] = [(counts[id]?.[0] ?? 0) + c, (counts[id]?.[1] ?? 0) + s];
    }, "none");
    for (const [i, pieces] of sessions.entries()) {
      for (const each of [store, live]) {
        open(each, `s${i}`, "smtp");
        feed(each, `s${i}`, pieces);
        close(each, `s${i}`, pieces);
      }
    }
    expect(store.usage().lineBytes).toBeLessThanOrEqual(limit);
    const gone = store.list().filter((session) => session.linesDropped > 0);
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.length).toBeLessThan(sessions.length);
    for (const session of store.list()) {
      const cut = live.get(session.id)!;
      expect(session.lineCount).toBe(cut.lineCount);
      expect(store.get(session.id)!.lines).toEqual(session.linesDropped > 0 ? [] : cut.lines);
      if (session.linesDropped > 0) expect(session.linesDropped).toBe(cut.lineCount);
    }
    expect(store.get("s7")!.linesDropped).toBe(0); // the newest
    // Nobody watched their lines: a listener heard their bytes, once a turn, each way as they came.
    await new Promise((resolve) => setImmediate(resolve));
    for (const [i, pieces] of sessions.entries()) {
      const sum = (side: "C" | "S") => pieces.reduce((total, piece) => total + ("kind" in piece && piece.kind !== "note" && piece.side === side ? piece.bytes.length : 0), 0);
      expect(counts[`s${i}`]).toEqual([sum("C"), sum("S")]);
    }
  });
});
