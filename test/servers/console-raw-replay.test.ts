// A body's lines now cross to the console as raw text (servers/transcript.ts body(), Activity
// .sessionBody) instead of one line each. This checks that nobody can tell from what the console
// shows: real sessions are recorded — Python's smtplib (AUTH, a mail with a long fold, one over
// 64 KB, the relay hop to the MX), poplib (RETR, TOP), nntplib (POST, ARTICLE, BODY, HEAD) and
// imaplib (LOGIN, FETCH) against the real servers — as the bytes and calls each SessionReporter
// got, and then replayed, at the recorded times, through the code as it was before
// (console-before-raw/: transcript, reporter, messenger, store, API) and through today's, where
// the reporter sends the bytes uncut and they are cut and masked on arrival (activity-bridge.ts
// cutOnArrival, as the supervisor does for a worker's sessions). The API
// must answer the same — every session's lines with their folds, masks, bytes and times, the
// .txt download, the live event stream, q= searches — but for two deliberate differences: a line
// INSIDE a body is data and is no longer masked (a mail that says "AUTH PLAIN dGVzdA==" shows it;
// before, SMTP's mask took it for a command); and what follows a body starts a run of its own
// (IMAP's ")" and tagged OK after a FETCH literal show after the body's fold, not inside it).

import type http from "node:http";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { Activity, SessionChange, SessionEnd, SessionOpened } from "../../servers/activity.ts";
import * as newBridge from "../../servers/activity-bridge.ts";
import * as newApi from "../../servers/console/api.ts";
import * as newStore from "../../servers/console/sessions.ts";
import type { State } from "../../servers/mail/imap.ts";
import { maskLogin, NNTP_MASK, POP3_MASK, smtpMask } from "../../servers/masks.ts";
import * as newReport from "../../servers/session-report.ts";
import type { Side } from "../../servers/transcript.ts";
import { hasPython, runProgram } from "../kit/processes.ts";
import * as oldBridge from "./console-before-raw/activity-bridge.ts";
import * as oldApi from "./console-before-raw/api.ts";
import * as oldStore from "./console-before-raw/sessions.ts";
import * as oldReport from "./console-before-raw/session-report.ts";
import { FakeResponse, fakeRequest, startTestConsole, streamedLines, type TestConsole } from "./console-live-kit.ts";

/** One call a server made on a SessionReporter (or the session it opened), with its time. */
type Recorded =
  | { kind: "opened"; id: string; time: number; session: SessionOpened }
  | { kind: "data" | "body"; id: string; time: number; side: Side; bytes: Buffer }
  | { kind: "note"; id: string; time: number; side: Side; text: string }
  | { kind: "changed"; id: string; time: number; change: Omit<SessionChange, "id"> }
  | { kind: "closed"; id: string; time: number; how: SessionEnd };

// The mail: a fold longer than the 200 lines the console keeps of one, a line that looks like a
// command, a dot-stuffed line, a tab, UTF-8, a line past the 200 characters shown and one past
// the 1,000 bytes that go raw; the second mail is over 64 KB (several chunks, lines split across them).
const CLIENTS = String.raw`
import os, io, smtplib, poplib, imaplib, warnings
warnings.simplefilter("ignore")
import nntplib
lines = ["Subject: replay", "From: me@example.com", "", "first line", "AUTH PLAIN dGVzdA==", "QUIT", ".leading dot",
         "tab\there", "caf\u00e9 \u4f60\u597d", "x" * 300, "y" * 1500] + ["line %d of the body" % i for i in range(300)]
mail = ("\r\n".join(lines) + "\r\n").encode("utf-8")
big = ("Subject: big\r\n\r\n" + "".join("big line %05d %s\r\n" % (i, "z" * 60) for i in range(1200))).encode()
s = smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]))
s.login("me@example.com", "secret")
s.sendmail("me@example.com", ["me@example.com", "friend@example.org"], mail)
s.sendmail("me@example.com", ["me@example.com"], big)
s.sendmail("me@example.com", ["me@example.com"], b"Subject: short\r\n\r\nonly two lines\r\n")
s.quit()
p = poplib.POP3("127.0.0.1", int(os.environ["POP3_PORT"]))
p.user("me@example.com"); p.pass_("secret")
count = len(p.list()[1])
for n in range(1, count + 1): p.retr(n)
p.top(1, 3)
p.quit()
n = nntplib.NNTP("127.0.0.1", int(os.environ["NNTP_PORT"]))
article = b"From: me@example.com\r\nNewsgroups: playground.test\r\nSubject: replay\r\n\r\nAUTHINFO PASS secret\r\n" + b"".join(b"article line %d\r\n" % i for i in range(250))
reply = n.post(io.BytesIO(article))
message_id = reply.split()[-1]
n.article(message_id); n.body(message_id); n.head(message_id)
n.quit()
m = imaplib.IMAP4("127.0.0.1", int(os.environ["IMAP_PORT"]))
m.login("me@example.com", "secret")
m.select("INBOX")
m.fetch("1", "(RFC822)")
m.fetch("1:*", "(FLAGS)")
m.logout()
`;

/** Records every SessionReporter call (data, body, note, changed, closed) while `run` runs, and each session opened on `store`. */
async function recordSessions(store: newStore.SessionStore, run: () => Promise<void>): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const opened = store.sessionOpened.bind(store);
  store.sessionOpened = (session) => {
    recorded.push({ kind: "opened", id: session.id, time: Date.now(), session: { ...session } });
    opened(session);
  };
  const proto = newReport.SessionReporter.prototype;
  const originals = { data: proto.data, body: proto.body, note: proto.note, changed: proto.changed, closed: proto.closed };
  proto.data = function (side, chunk) {
    recorded.push({ kind: "data", id: this.id, time: Date.now(), side, bytes: Buffer.from(chunk) });
    return originals.data.call(this, side, chunk);
  };
  proto.body = function (side, chunk) {
    recorded.push({ kind: "body", id: this.id, time: Date.now(), side, bytes: Buffer.from(chunk) });
    return originals.body.call(this, side, chunk);
  };
  proto.note = function (side, text) {
    recorded.push({ kind: "note", id: this.id, time: Date.now(), side, text });
    return originals.note.call(this, side, text);
  };
  proto.changed = function (change) {
    recorded.push({ kind: "changed", id: this.id, time: Date.now(), change: { ...change } });
    return originals.changed.call(this, change);
  };
  proto.closed = function (how) {
    recorded.push({ kind: "closed", id: this.id, time: Date.now(), how });
    return originals.closed.call(this, how);
  };
  try {
    await run();
  } finally {
    Object.assign(proto, originals);
  }
  return recorded;
}

/** Each pipeline's modules: before, or today. */
const PIPELINES = {
  old: { report: oldReport, store: oldStore, api: oldApi },
  new: { report: newReport, store: newStore, api: newApi },
};

interface Shown {
  /** GET /console/api/sessions/<id>, per session in the order they opened (ids as recorded). */
  sessions: string[];
  texts: string[];
  /** GET /console/api/events, all of it, one event per line (oneEventPerLine). */
  events: string;
  /** GET /console/api/sessions?q=…, per query. */
  searches: string[];
  /** Bodies that reached the store as raw text (sessionBody calls). */
  bodies: number;
  /** Sessions' raw bytes that crossed the thread uncut (sessionRaw calls). */
  raws: number;
  /** Sessions the store still kept as their raw bytes at the end (cut only for each question). */
  keptRaw: number;
}

/**
 * The recorded calls made again, at their times, through one pipeline; what its API shows then.
 * An event stream is open all the while, asking for every session's lines (or `lines`, as ?lines= does).
 */
async function replay(recorded: Recorded[], which: keyof typeof PIPELINES, lines?: string): Promise<Shown> {
  const { report, store: storeModule, api } = PIPELINES[which];
  const store = new storeModule.SessionStore();
  // Across a thread, as npm start does it: the worker's messenger, a structured clone, unpack;
  // today, the raw bytes are then cut and masked on arrival (cutOnArrival), as the supervisor does.
  let bodies = 0;
  let raws = 0;
  const target = store as unknown as Activity;
  if (target.sessionBody) {
    const sessionBody = target.sessionBody.bind(store);
    target.sessionBody = (...body) => {
      bodies++;
      sessionBody(...body);
    };
  }
  // Today the raw bytes travel in shared memory (a small ring, so that it wraps round many times).
  const ring = which === "new" ? newBridge.newRing(256 * 1024) : undefined;
  const cutter = which === "new" ? newBridge.cutOnArrival(target, ring, (method, error) => { throw new Error(`${method}: ${error.message}`); }) : undefined;
  const received = (message: newBridge.ActivityMessage) => {
    const copy = structuredClone(message);
    if (cutter) {
      raws += newBridge.unpack(copy).filter((call) => call.method === "sessionRaw").length;
      return cutter.receive(copy);
    }
    for (const call of oldBridge.unpack(copy as never)) {
      const error = oldBridge.reportActivity(target, call);
      if (error) throw error;
    }
  };
  const messenger = which === "new" ? newBridge.activityMessenger(received, ring) : oldBridge.activityMessenger(received as never);
  const stream = new FakeResponse();
  const streamRequest = fakeRequest(`/console/api/events${lines ? `?lines=${lines}` : ""}`);
  api.handleSessionsApi(streamRequest, stream as unknown as http.ServerResponse, "/console/api/events", TEACHER, store as never);

  const reporters = new Map<string, InstanceType<typeof report.SessionReporter>>();
  const imapStates = new Map<string, State>();
  const ids = new Map<string, string>(); // replayed id → recorded id
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    for (const call of recorded) {
      vi.setSystemTime(call.time);
      if (call.kind === "opened") {
        const { protocol, port, client, tls, label, relatedTo } = call.session;
        imapStates.set(call.id, "not authenticated");
        const reporter = new report.SessionReporter(messenger.activity, {
          protocol, port, client, tls, label: label ?? call.id,
          relatedTo: relatedTo && [...ids].find(([, recordedId]) => recordedId === relatedTo)?.[0],
          mask: maskOf(protocol, () => imapStates.get(call.id)!),
        });
        reporters.set(call.id, reporter);
        ids.set(reporter.id, call.id);
        continue;
      }
      const reporter = reporters.get(call.id)!;
      switch (call.kind) {
        case "data":
          reporter.data(call.side, call.bytes);
          break;
        case "body":
          // Before, there were no bodies: the same bytes were data.
          if (reporter instanceof newReport.SessionReporter) reporter.body(call.side, call.bytes);
          else reporter.data(call.side, call.bytes);
          break;
        case "note":
          reporter.note(call.side, call.text);
          break;
        case "changed": {
          if (call.change.account !== undefined) imapStates.set(call.id, "authenticated"); // what IMAP's mask asks
          const relatedTo = call.change.relatedTo && [...ids].find(([, recordedId]) => recordedId === call.change.relatedTo)?.[0];
          reporter.changed({ ...call.change, ...(relatedTo ? { relatedTo } : {}) });
          break;
        }
        case "closed":
          reporter.closed(call.how);
      }
    }
    messenger.flush();
  } finally {
    vi.useRealTimers();
  }
  await new Promise((resolve) => setImmediate(resolve)); // the event stream writes once a turn
  streamRequest.emit("close");

  const asRecorded = (text: string) => {
    for (const [replayed, original] of ids) text = text.split(replayed).join(original);
    return text;
  };
  const get = (path: string) => {
    const response = new FakeResponse();
    const url = new URL(path, "http://console");
    api.handleSessionsApi(fakeRequest(path), response as unknown as http.ServerResponse, url.pathname, TEACHER, store as never);
    return asRecorded(response.body);
  };
  const replayedIds = [...ids.keys()];
  return {
    sessions: replayedIds.map((id) => get(`/console/api/sessions/${id}`)),
    texts: replayedIds.map((id) => get(`/console/api/sessions/${id}.txt`)),
    events: oneEventPerLine(asRecorded(stream.body)),
    searches: SEARCHES.map((q) => get(`/console/api/sessions?q=${encodeURIComponent(q)}`)),
    bodies,
    raws,
    keptRaw: "keptRaw" in store ? (store as newStore.SessionStore).keptRaw() : 0,
  };
}

const SEARCHES = ["line 250", "first line", "\\r\\n", "café", "big line 01199", "article line 7", "+ok", "xxxxx"];

/** The mask each protocol's server gives its reporter (IMAP's asks the session's state). */
function maskOf(protocol: string, imapState: () => State): ((line: string, side: Side) => string) | undefined {
  if (protocol === "smtp" || protocol === "mx" || protocol === "smtps") return smtpMask();
  if (protocol === "pop3") return POP3_MASK;
  if (protocol === "nntp") return NNTP_MASK;
  if (protocol === "imap") return (line, side) => maskLogin(line, side, imapState() !== "not authenticated");
  return undefined;
}

const TEACHER = { teacher: true } as const;

/** GET /console/api/sessions/<id>'s answer for an IMAP session. */
const isImap = (json: string) => json.includes('"protocol":"imap"');

/** The lines of one session as the API shows them. */
function linesOf(json: string): { side: string; text: string; fold?: string; bytes: number }[] {
  return (JSON.parse(json) as { session: { lines: { side: string; text: string; fold?: string; bytes: number }[] } }).session.lines;
}

// The deliberate difference: these lines are inside a body (a mail, an article), so they are
// data and shown as sent; before, the mask took them for the command they look like.
const UNMASKED_NOW = [
  { before: "AUTH PLAIN ******** (masked)", now: "AUTH PLAIN dGVzdA==" },
  { before: "AUTHINFO PASS ****", now: "AUTHINFO PASS secret" },
];

/**
 * An event stream's events, one per line of text: today's "lines" events (a block each) made into
 * the "line" events the code before sent, one per line, field for field. A session still open
 * (session-opened, session-changed) is sent without its bytes so far: the code before counted a
 * fold's lines twice there (as they came and in its summary), today's once (by the summary);
 * its close brings the exact totals, compared as they are.
 */
function oneEventPerLine(stream: string): string {
  const events: string[] = [];
  for (const [, type, data] of stream.matchAll(/event: (\S+)\ndata: (.*)\n\n/g)) {
    if (type === "session-opened" || type === "session-changed") events.push(`event: ${type} ${data!.replace(/"bytesIn":\d+,"bytesOut":\d+,/, "")}`);
    else if (type !== "lines") events.push(`event: ${type} ${data}`);
    else for (const line of streamedLines(`event: lines\ndata: ${data}\n\n`)) events.push(`event: line ${JSON.stringify(line)}`);
  }
  return events.join("\n");
}

/**
 * How many lines of `after` differ from `before`'s (split at `separator`), each of them only by
 * one of UNMASKED_NOW; any other difference fails.
 */
function unmaskedLines(before: string, after: string, separator = "\n"): number {
  const old = before.split(separator);
  const now = after.split(separator);
  expect(now.length).toBe(old.length);
  let differences = 0;
  for (let i = 0; i < old.length; i++) {
    if (old[i] === now[i]) continue;
    differences++;
    const change = UNMASKED_NOW.find(({ before }) => old[i]!.includes(before));
    expect(now[i]).toBe(change ? old[i]!.replace(change.before, change.now) : old[i]);
  }
  return differences;
}

describe.skipIf(!hasPython)("a body's lines raw: the console shows what it showed before", () => {
  let running: TestConsole;
  let recorded: Recorded[];
  let before: Shown;
  let after: Shown;
  let unwatched: Shown;
  beforeAll(async () => {
    running = await startTestConsole();
    recorded = await recordSessions(running.console.store, async () => {
      const result = await runProgram("python3", ["-c", CLIENTS], {
        env: {
          SMTP_PORT: String(running.mail.ports.submission),
          POP3_PORT: String(running.mail.ports.pop3),
          IMAP_PORT: String(running.mail.ports.imap),
          NNTP_PORT: String(running.nntpPort),
        },
        timeoutMs: 60_000,
      });
      if (result.code !== 0) throw new Error(`python failed:\n${result.stdout}${result.stderr}`);
      await running.stop(); // the relay's connection to the MX closes too: every session ends
    });
    before = await replay(recorded, "old");
    after = await replay(recorded, "new");
    unwatched = await replay(recorded, "new", "none");
  }, 120_000);
  afterAll(async () => {
    await running?.stop().catch(() => {});
  });

  test("the recording holds every kind of body, marked", () => {
    const protocols = new Set(recorded.flatMap((call) => (call.kind === "opened" ? [call.session.protocol] : [])));
    expect([...protocols].sort()).toEqual(["imap", "mx", "nntp", "pop3", "smtp"]);
    const bodies = (protocol: string) => {
      const ids = new Set(recorded.filter((call) => call.kind === "opened" && call.session.protocol === protocol).map((call) => call.id));
      return recorded.filter((call) => call.kind === "body" && ids.has(call.id)).length;
    };
    expect(bodies("smtp")).toBeGreaterThanOrEqual(3); // three mails (the big one in several chunks)
    expect(bodies("mx")).toBeGreaterThanOrEqual(1);
    expect(bodies("pop3")).toBeGreaterThanOrEqual(4); // three RETR and a TOP
    expect(bodies("nntp")).toBeGreaterThanOrEqual(4); // the POST, ARTICLE, BODY, HEAD
    expect(bodies("imap")).toBeGreaterThanOrEqual(1); // FETCH RFC822: the message in its literal
    // IMAP's body is exactly the literal's content: the message, not the FETCH response's words around it.
    const imapIds = new Set(recorded.filter((call) => call.kind === "opened" && call.session.protocol === "imap").map((call) => call.id));
    const imapBody = Buffer.concat(recorded.flatMap((call) => (call.kind === "body" && imapIds.has(call.id) ? [call.bytes] : []))).toString("latin1");
    expect(imapBody).toMatch(/^[A-Za-z-]+: /); // a header line first
    expect(imapBody).toContain("\r\n\r\n"); // its header, a blank line, its text
    expect(imapBody).not.toContain("FETCH (");
    expect(imapBody).not.toMatch(/\{\d+\}\r\n/);
    // Today's code sent them raw; the code before had no such thing.
    expect(after.bodies).toBeGreaterThanOrEqual(12);
    expect(before.bodies).toBe(0);
    // Today every session here crossed uncut, and was cut and masked on arrival.
    expect(after.raws).toBeGreaterThan(100);
    expect(before.raws).toBe(0);
  });

  test("every session's lines: the same texts, folds, bytes, times and numbers — but a body's command-like lines, now unmasked", () => {
    expect(after.sessions).toHaveLength(before.sessions.length);
    let differences = 0;
    for (let i = 0; i < before.sessions.length; i++) {
      if (isImap(before.sessions[i]!)) continue; // (below)
      // One JSON text per session: compared line object by line object ("},{" between them).
      differences += unmaskedLines(before.sessions[i]!, after.sessions[i]!, "},{");
    }
    // The mail's "AUTH PLAIN" line in the submission session and in the MX hop; the article's in its POST.
    expect(differences).toBe(3);
    // The real AUTH command is masked as ever, and its secret is nowhere.
    const smtp = after.sessions.find((json) => json.includes('"protocol":"smtp"'))!;
    const texts = linesOf(smtp).map((line) => `${line.side}: ${line.text}`);
    expect(texts[texts.indexOf("S: 250 SIZE 10485760\\r\\n") + 1]).toBe("C: AUTH PLAIN ******** (masked)\\r\\n");
    expect(texts).toContain("C: AUTH PLAIN dGVzdA==\\r\\n"); // the mail's line
    expect(smtp).not.toContain(Buffer.from("\0me@example.com\0secret").toString("base64"));
    // Folds as before: the big mail's fold kept 200 lines and counted the rest.
    expect(linesOf(smtp).some((line) => line.fold === "summary" && /^… \d+ more lines \(\d+ bytes\) not shown$/.test(line.text))).toBe(true);
  });

  // The second deliberate difference: what follows a body starts a run of its own (2026-12-04), so
  // IMAP's ")" and tagged OK after a FETCH literal show after the body's fold, not inside it (the
  // code before, with no bodies, ran them into the fold). The same lines, but for the folds.
  test("IMAP: the same lines, but the FETCH's \")\" and tagged OK after the body's fold, shown", () => {
    const i = before.sessions.findIndex(isImap);
    const [old, now] = [linesOf(before.sessions[i]!), linesOf(after.sessions[i]!)];
    const unfolded = (lines: typeof old) => lines.filter((line) => line.fold !== "summary").map(({ side, text, bytes }) => ({ side, text, bytes }));
    expect(unfolded(now)).toEqual(unfolded(old));
    const shown = now.filter((line) => line.fold !== "inside").map((line) => `${line.side}: ${line.text}`);
    const ok = shown.findIndex((text) => /^S: \S+ OK FETCH completed/.test(text));
    expect(shown.slice(ok - 2, ok)).toEqual([expect.stringMatching(/^S: … \d+ more lines \(\d+ bytes\) not shown$/), "S: )\\r\\n"]);
    expect(old.find((line) => /OK FETCH completed/.test(line.text))?.fold).toBe("inside"); // before: hidden in the fold
  });

  test("the .txt downloads, the event stream and q= searches are the same", () => {
    expect(after.texts).toHaveLength(before.texts.length);
    const imap = before.sessions.findIndex(isImap); // its folds differ (the test above)
    expect(before.texts.reduce((sum, text, i) => sum + (i === imap ? 0 : unmaskedLines(text, after.texts[i]!)), 0)).toBe(3);
    // The stream: every event the page got, in order; the body's plain lines among them.
    expect(after.events.length).toBeGreaterThan(10_000);
    expect(after.events).toContain("event: line "); // the blocks' lines, made one each
    const imapId = (JSON.parse(before.sessions[imap]!) as { session: { id: string } }).session.id;
    const withoutImapLines = (events: string) => events.split("\n").filter((event) => !event.startsWith(`event: line {"id":"${imapId}"`)).join("\n");
    expect(unmaskedLines(withoutImapLines(before.events), withoutImapLines(after.events))).toBe(3);
    expect(after.searches).toEqual(before.searches);
    expect(after.searches.filter((found) => found.includes('"id"')).length).toBeGreaterThanOrEqual(6);
  });

  // With nobody watching their lines (the page open on its list only: ?lines=none), the store
  // keeps the sessions as their raw bytes and cuts one only when asked. What it shows must be
  // exactly what it shows of the sessions it cut as they came (above: a stream of every line).
  test("sessions kept as their raw bytes, cut only when asked: exactly the same lines, .txt downloads and searches", () => {
    expect(after.keptRaw).toBe(0); // every session was watched, so cut as it came
    expect(unwatched.keptRaw).toBe(recorded.filter((call) => call.kind === "opened").length); // none was
    expect(unwatched.sessions).toEqual(after.sessions);
    expect(unwatched.texts).toEqual(after.texts);
    expect(unwatched.searches).toEqual(after.searches);
    expect(unwatched.events).not.toContain("event: line "); // it asked for none
  });
});

describe("a body kept raw counts against the store's limits as its lines did", () => {
  test("under memory pressure the same lines are kept and dropped (printable ASCII bodies of every line length)", () => {
    const limits = { maxLineBytes: 40_000, maxSessions: 6 }; // a session's share: 10,000
    const before = new oldStore.SessionStore(limits);
    const after = new newStore.SessionStore(limits);
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48_271) % 2_147_483_647) % n;
    const at = "2026-12-03T12:00:00.000Z";
    for (let session = 0; session < 10; session++) {
      const id = `s${session}`;
      for (const store of [before, after]) store.sessionOpened({ id, protocol: "pop3", port: 1, client: "127.0.0.1:1", tls: false, started: at });
      for (let message = 0; message < 30; message++) {
        const lines = Array.from({ length: 1 + random(40) }, () => "x".repeat(random(260)) + (random(4) === 0 ? "\n" : "\r\n"));
        const raw = lines.join("");
        const plain = Math.min(lines.length, random(13));
        const body = { id, at, side: "S" as const, raw, lines: lines.length, plain };
        before.sessionLines(newStore.cutBody(body)); // as the lines came before, cut one by one
        after.sessionBody(id, at, "S", raw, lines.length, plain);
        const command = { id, at, sides: "C", texts: `RETR ${message}\\r\\n`, bytes: [8], folds: "-" };
        before.sessionLines(command);
        after.sessionLines(command);
      }
    }
    expect(after.usage()).toEqual(before.usage());
    // (All but the bytes so far of these open sessions: the store before counted a body's lines inside its fold, today's leaves them to the fold's summary.)
    const withoutBytes = (session: ReturnType<typeof after.get>) => session && { ...session, bytesIn: 0, bytesOut: 0 };
    for (const { id } of before.list()) expect(withoutBytes(after.get(id))).toEqual(withoutBytes(before.get(id)));
    expect(before.list().some((session) => session.linesDropped > 0 && session.lineCount > session.linesDropped)).toBe(true); // some kept, some dropped
  });
});
