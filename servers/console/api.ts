// The console's JSON API for sessions (README "The console"); the page uses nothing else.
//
//   GET /console/api/sessions              newest first; ?protocol=smtp,mx &account=me@example.com &q=text &limit=200
//   GET /console/api/sessions/<id>         one session with its lines
//   GET /console/api/sessions/<id>.txt     the same as text, to download
//   GET /console/api/stored                what sessions made: mail delivered, articles posted, files stored
//   GET /console/api/transfers             FTP transfers under way (their progress), then the last that ended
//   GET /console/api/events                Server-Sent Events, live: session-opened, lines, session-changed,
//                                          session-closed, stored, transfer (and "dropped" when this viewer
//                                          fell behind); ?types=transfer,stored sends only those types;
//                                          ?lines=<id> the lines of that session only (none: no lines), and
//                                          for the others "bytes": how many bytes each way since the last
//
// Every answer holds only what the viewer may see (viewer.ts: the teacher everything, a
// student their own sessions).
//
// Live events and slow browsers: the servers never wait for a browser. Each event is written to
// each viewer's response at once; a browser that reads slowly (or a laptop that went to sleep)
// fills its connection's send buffer, and then its events are dropped, not queued: once the
// buffer has drained, that viewer gets one "dropped" event saying how many it missed (the page
// then reloads the list). So one viewer's memory is bounded by MAX_BUFFERED_BYTES. Lines come
// a block at a time (one "lines" event), and lines inside a fold are not streamed (the page
// fetches them when a fold is opened): a DATA body costs one event with its first 12 lines,
// and one summary line, whatever its size. The page shows one session's lines at a time, so it
// asks for that one's (?lines=<id>) and only counts the others' bytes: a class's 30 busy
// sessions cost it one small "bytes" event a turn, not every line of every session.

import type http from "node:http";
import { maySee, type Viewer } from "./viewer.ts";
import { bytesOnTheWire, isBody, type KeptBlock, type KeptLine, type SessionStore, type SessionSummary, type StoreEvent } from "./sessions.ts";
import { cutRawLines } from "../transcript.ts";
import { sendJson } from "./json.ts";

/** What one viewer's event stream may hold unsent before its events are dropped. */
export const MAX_BUFFERED_BYTES = 256 * 1024;
const HEARTBEAT_MS = 15_000;

/** Answers the sessions part of /console/api/; false if `path` is not one of its paths. */
export function handleSessionsApi(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  path: string,
  viewer: Viewer,
  store: SessionStore,
): boolean {
  const url = new URL(request.url ?? "/", "http://console");
  const mine = ["/console/api/events", "/console/api/stored", "/console/api/transfers", "/console/api/sessions"].includes(path) || path.startsWith("/console/api/sessions/");
  if (!mine) return false;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.setHeader("Allow", "GET, HEAD");
    return sendJson(response, 405, { error: `${path} takes GET` });
  }
  if (path === "/console/api/events") return streamEvents(request, response, viewer, store, url.searchParams.get("types")?.split(",").filter(Boolean), url.searchParams.get("lines") ?? undefined);
  if (path === "/console/api/transfers") return sendJson(response, 200, { transfers: store.transfers().filter((transfer) => maySee(viewer, transfer.account)) });
  if (path === "/console/api/sessions") return sendJson(response, 200, { sessions: listSessions(url.searchParams, viewer, store) });
  if (path === "/console/api/stored") {
    const items = store.storedList().filter((item) => maySee(viewer, store.ownerOf(item.sessionId)) || maySee(viewer, item.owner));
    return sendJson(response, 200, { items });
  }
  const one = /^\/console\/api\/sessions\/([\w.-]+?)(\.txt|\.json)?$/.exec(path);
  if (!one) return false;
  const session = store.get(one[1]!);
  if (!session || !maySee(viewer, store.ownerOf(session.id))) return sendJson(response, 404, { error: `no session ${one[1]} (or not yours)` });
  if (one[2] === ".txt") {
    const text = Buffer.from(asText(session));
    response.writeHead(200, {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": text.length,
      "Content-Disposition": `attachment; filename="${session.id}.txt"`,
      "Cache-Control": "no-store",
    });
    response.end(text);
    return true;
  }
  if (one[2] === ".json") response.setHeader("Content-Disposition", `attachment; filename="${session.id}.json"`);
  return sendJson(response, 200, { session });
}

function listSessions(query: URLSearchParams, viewer: Viewer, store: SessionStore): SessionSummary[] {
  const protocols = query.get("protocol")?.split(",").filter(Boolean);
  const account = query.get("account")?.toLowerCase();
  const text = query.get("q")?.toLowerCase();
  const limit = Math.min(Number(query.get("limit")) || store.maxSessions, store.maxSessions);
  const found: SessionSummary[] = [];
  for (const session of store.list()) {
    const owner = store.ownerOf(session.id);
    if (!maySee(viewer, owner)) continue;
    if (protocols && !protocols.includes(session.protocol)) continue;
    if (account && !owner?.toLowerCase().includes(account)) continue;
    if (text && !`${session.protocol} ${session.client} ${owner ?? ""}`.toLowerCase().includes(text) && !store.linesContain(session.id, text)) continue;
    found.push(session);
    if (found.length >= limit) break;
  }
  return found;
}

/** A session as a text file: a header, then one line per C:/S: line with its time. */
export function asText(session: SessionSummary & { lines: KeptLine[] }): string {
  const head = [
    `# ${session.protocol} session ${session.id}`,
    `# client ${session.client} → port ${session.port}${session.tls ? " (TLS)" : ""}${session.account ? `, logged in as ${session.account}` : ""}`,
    `# started ${session.started}${session.ended ? `, ended ${session.ended} (${session.how})` : ", still open"}; ${session.bytesIn} bytes from the client, ${session.bytesOut} from the server`,
  ];
  const causes = session.causes ?? (session.relatedTo ? [session.relatedTo] : []);
  if (causes.length > 0) head.push(`# caused by session${causes.length > 1 ? "s" : ""} ${causes.join(", ")}`);
  if (session.effects?.length) head.push(`# led to session${session.effects.length > 1 ? "s" : ""} ${session.effects.join(", ")}`);
  if (session.linesDropped > 0) head.push(`# ${session.linesDropped} lines not kept (the console's memory limit)`);
  const lines = session.lines.map((line) => `${line.at.slice(11, 23)} ${line.fold === "inside" ? "  " : ""}${line.side}: ${line.text}`);
  return [...head, "", ...lines, ""].join("\n");
}

// ----- Server-Sent Events -----

/**
 * The text/event-stream of one viewer: every event it may see, as it happens; only the event
 * `types` asked for, if asked (the FTP page wants transfers, not every line of every session).
 * `lines`: the one session whose lines it wants ("none": no session's); the others' lines are
 * only counted, into one "bytes" event a turn: {"<id>": [bytes from the client, bytes from the server], …}
 * since the last one (a session's close then says its exact totals).
 */
function streamEvents(request: http.IncomingMessage, response: http.ServerResponse, viewer: Viewer, store: SessionStore, types: string[] | undefined, lines: string | undefined): true {
  response.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",
  });
  // "retry": how long the browser's EventSource waits before it reconnects after a break.
  response.write("retry: 2000\n\n");
  // Events of one turn of the event loop go out in one write (one system call, not one each),
  // collected in an array and joined once (adding each to a string would build a rope that the
  // write must walk and flatten); `batchLength` is what they hold, in characters.
  let batch: string[] = [];
  let batchLength = 0;
  let scheduled = false;
  /** Bytes of sessions whose lines this viewer does not get, since the last "bytes" event: id → [C, S]. */
  let counted = new Map<string, [number, number]>();
  let dropped = 0;
  let waitingForDrain = false;
  const flush = () => {
    scheduled = false;
    if (response.destroyed || response.writableEnded) return;
    if (dropped > 0 && !waitingForDrain) {
      batch.push(`event: dropped\ndata: ${JSON.stringify({ count: dropped })}\n\n`);
      dropped = 0;
    }
    if (counted.size > 0 && !waitingForDrain) {
      batch.push(`event: bytes\ndata: ${JSON.stringify(Object.fromEntries(counted))}\n\n`);
      counted = new Map();
    }
    if (batch.length > 0) response.write(batch.join(""));
    batch = [];
    batchLength = 0;
  };
  const schedule = () => {
    if (!scheduled) setImmediate(flush);
    scheduled = true;
  };
  // `events`: `count` events, each "event: …\ndata: …\n\n" (a block's lines come as one string).
  const sendEvents = (events: string, count: number) => {
    if (response.destroyed || response.writableEnded || count === 0) return;
    // Full: drop, and say so ("dropped") once the browser has caught up.
    if (waitingForDrain || response.writableLength + batchLength > MAX_BUFFERED_BYTES) {
      dropped += count;
      if (!waitingForDrain && response.writableNeedDrain) {
        waitingForDrain = true;
        response.once("drain", () => {
          waitingForDrain = false;
          schedule();
        });
      }
      return;
    }
    batch.push(events);
    batchLength += events.length;
    schedule();
  };
  const send = (type: string, json: string) => sendEvents(`event: ${type}\ndata: ${json}\n\n`, 1);
  const wants = (type: string) => !types || types.includes(type);
  const unsubscribe = store.subscribe((event: StoreEvent) => {
    if (!wants(event.type) && !(event.type === "lines" && wants("bytes"))) return;
    if (event.type === "bytes") {
      // Sessions' bytes not cut into lines (they are kept raw: nobody watches their lines).
      for (const [id, count] of event.counts) if (viewer.teacher || maySee(viewer, store.ownerOf(id))) addCount(counted, id, count);
      return schedule();
    }
    if (event.type === "transfer") {
      if (maySee(viewer, event.transfer.account)) send("transfer", JSON.stringify(event.transfer));
    } else if (event.type === "stored") {
      if (maySee(viewer, store.ownerOf(event.item.sessionId)) || maySee(viewer, event.item.owner)) send("stored", JSON.stringify(event.item));
    } else if (event.type === "lines") {
      if (!viewer.teacher && !maySee(viewer, store.ownerOf(event.id))) return;
      if (lines === undefined || lines === event.id) return wants("lines") ? sendLines(sendEvents, event.id, event.lines) : undefined;
      if (!wants("bytes")) return;
      countBytes(counted, event.id, event.lines.block);
      schedule();
    } else if (maySee(viewer, store.ownerOf(event.session.id))) {
      send(event.type, JSON.stringify(event.session));
    }
  }, wants("lines") ? lines : "none");
  // A comment line now and then keeps proxies and sleeping laptops from holding a dead stream open.
  const heartbeat = setInterval(() => waitingForDrain || response.write(": still here\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  const stop = () => {
    clearInterval(heartbeat);
    unsubscribe();
  };
  request.once("close", stop);
  response.once("close", stop);
  return true;
}

/** Adds a block's bytes on the wire to its session's count, by side, as the store counts them (bytesOnTheWire). */
function countBytes(counted: Map<string, [number, number]>, id: string, block: KeptBlock["block"]): void {
  addCount(counted, id, bytesOnTheWire(block));
}

function addCount(counted: Map<string, [number, number]>, id: string, [fromClient, fromServer]: [number, number]): void {
  const count = counted.get(id);
  if (count) {
    count[0] += fromClient;
    count[1] += fromServer;
  } else counted.set(id, [fromClient, fromServer]);
}

/**
 * One "lines" event per block of lines as the store keeps it (a LineBlock, or a body still raw):
 *
 *   event: lines
 *   data: {"id":"smtp-…","at":"…","n":17,"sides":"CCC","folds":"---","texts":["MAIL FROM:<…>\\r\\n",…],"bytes":[27,…]}
 *
 * Line i of the event is line n + i of its session: side sides[i], text texts[i], bytes[i], and
 * fold "summary" where folds[i] is "s". Lines inside a fold (the middle of a DATA body, a RETR)
 * are not streamed: the page shows the fold closed, and fetches its lines (GET
 * /console/api/sessions/<id>) when it is opened. Where some came, the event says how many and
 * their bytes — "folded": {"side":"C","lines":53,"bytes":738}, the lines right after the event's own — so a
 * page can count the session's bytes and open a fold for them. A block with lines inside a fold
 * between lines shown (rare: a body is always raw, its shown lines first) is sent as one event
 * per run of lines shown.
 *
 * One event for a whole block, not one per line: a busy SMTP server's blocks are nearly all of
 * the events, and a page handles each event on its own. Written straight from the block (the
 * store keeps no object per line); of a body still raw, only its first, plain lines are cut here.
 */
function sendLines(sendEvents: (events: string, count: number) => void, id: string, { block, n }: KeptBlock): void {
  const head = `event: lines\ndata: {"id":${JSON.stringify(id)},"at":"${block.at}","n":`;
  const event = (first: number, sides: string, folds: string, texts: string[], bytes: number[], foldedLines = 0, foldedBytes = 0, foldedSide = "") => {
    const folded = foldedLines > 0 ? `,"folded":{"side":"${foldedSide}","lines":${foldedLines},"bytes":${foldedBytes}}` : "";
    return `${head}${first},"sides":"${sides}","folds":"${folds}","texts":${JSON.stringify(texts)},"bytes":${JSON.stringify(bytes)}${folded}}\n\n`;
  };
  if (isBody(block)) {
    const { texts, bytes, end } = cutRawLines(block.raw, block.plain);
    // The body's lines past `plain` are inside its fold: one character per byte, so their bytes are what is left of raw.
    return sendEvents(event(n, block.side.repeat(block.plain), "-".repeat(block.plain), texts, bytes, block.lines - block.plain, block.raw.length - end, block.side), 1);
  }
  const texts = block.texts.split("\n");
  if (!block.folds.includes("i")) return sendEvents(event(n, block.sides, block.folds, texts, block.bytes), 1);
  // Runs: lines shown [from, inside), then lines inside a fold [inside, to), one event each.
  let events = "";
  let count = 0;
  for (let from = 0; from < texts.length; ) {
    let inside = from;
    while (inside < texts.length && block.folds[inside] !== "i") inside++;
    let to = inside;
    let foldedBytes = 0;
    while (to < texts.length && block.folds[to] === "i") foldedBytes += block.bytes[to++]!;
    events += event(n + from, block.sides.slice(from, inside), block.folds.slice(from, inside), texts.slice(from, inside), block.bytes.slice(from, inside), to - inside, foldedBytes, block.sides[inside]);
    count++;
    from = to;
  }
  sendEvents(events, count);
}
