// The console's live sessions page. Plain browser JavaScript: it asks the console's JSON API
// (/console/api/sessions …) for what there is, then listens to Server-Sent Events
// (/console/api/events) for what happens next, and draws both with <template>s.
import { setUpLook } from "./look.js";

const api = "/console/api";
/** The live events this page draws (not "stored", not "transfer": other pages show those). */
const PAGE_EVENTS = "session-opened,session-changed,session-closed,lines,bytes";
const $ = (id) => document.getElementById(id);

const state = {
  /** id → session summary, as the API gives it */
  sessions: new Map(),
  selected: null,
  /** The selected session's lines are numbered; what is drawn goes up to here. */
  lastLine: 0,
  /** Lines that came live while the selected session was being fetched. */
  early: [],
  loadingSelected: false,
  paused: false,
  missed: 0,
  view: "lines",
  csrf: "",
  /** The live event stream, and the session whose lines it brings (null: none). */
  events: null,
  watching: null,
};

// ----- start -----

async function start() {
  setUpLook();
  const me = await fetch(`${api}/me`).then((response) => response.json());
  if (me.loginRequired && !me.viewer) return location.replace("login.html");
  state.csrf = me.csrf;
  if (me.viewer && !me.viewer.teacher) $("who").textContent = `Logged in as ${me.viewer.account}: your own sessions`;
  if (me.loginRequired) $("logout").hidden = false;
  setUpFilters();
  await loadList();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("session");
  if (wanted && state.sessions.has(wanted)) await select(wanted);
  else await listen(null);
}
await start();

// ----- the list -----

function filters() {
  const form = new FormData($("filters"));
  return { protocol: String(form.get("protocol") ?? ""), account: String(form.get("account") ?? "").trim(), q: String(form.get("q") ?? "").trim() };
}

async function loadList() {
  const query = new URLSearchParams({ limit: "500" });
  for (const [name, value] of Object.entries(filters())) if (value) query.set(name, value);
  const response = await fetch(`${api}/sessions?${query}`);
  if (response.status === 401) return location.replace("login.html");
  const { sessions } = await response.json();
  state.sessions.clear();
  $("session-list").replaceChildren();
  for (const session of sessions.reverse()) addSession(session, false);
  updateCount();
}

/** Does a session (a live one) pass the filters? The text filter also searches lines, so the server decides it on reload. */
function passes(session) {
  const { protocol, account, q } = filters();
  if (protocol && !protocol.split(",").includes(session.protocol)) return false;
  if (account && !(session.account ?? "").toLowerCase().includes(account.toLowerCase())) return false;
  if (q && !`${session.protocol} ${session.client} ${session.account ?? ""}`.toLowerCase().includes(q.toLowerCase())) return false;
  return true;
}

function addSession(session, live) {
  state.sessions.set(session.id, session);
  const item = $("session-item").content.firstElementChild.cloneNode(true);
  item.dataset.id = session.id;
  item.querySelector("button").addEventListener("click", () => select(session.id));
  fillSession(item, session);
  $("session-list").prepend(item);
  const list = $("session-list");
  while (list.children.length > 500) {
    state.sessions.delete(list.lastElementChild.dataset.id);
    list.lastElementChild.remove();
  }
  if (live) announce(session);
  updateCount();
}

function fillSession(item, session) {
  const set = (name, text) => (item.querySelector(`.${name}`).textContent = text);
  set("protocol", session.protocol.toUpperCase());
  set("client", session.client);
  set("account", session.account ?? "");
  set("tls", session.tls ? "TLS" : "");
  set("time", clock(session.started));
  set("state", session.ended ? `ended: ${session.how}` : "open");
  set("bytes", `${size(session.bytesIn)} in, ${size(session.bytesOut)} out`);
  item.classList.toggle("open", !session.ended);
  // What a screen reader says is the visible text, in order: "SMTP 127.0.0.1:53122 me@example.com 12:00:01 ended: QUIT …".
  item.querySelector("button").setAttribute("aria-current", String(session.id === state.selected));
}

function updateSession(session) {
  const known = state.sessions.has(session.id);
  if (!known) {
    // A session that has just become visible (a student's, once it logged in).
    if (passes(session)) addSession(session, true);
    return;
  }
  state.sessions.set(session.id, session);
  const item = $("session-list").querySelector(`li[data-id="${CSS.escape(session.id)}"]`);
  if (item) fillSession(item, session);
  if (session.id === state.selected) showFacts(session);
}

function updateCount() {
  const count = $("session-list").children.length;
  $("count").textContent = `(${count})`;
  $("empty").hidden = count > 0;
}

// Screen readers hear about new sessions, but sparingly: at most one sentence every 5 seconds.
let lastAnnounced = 0;
let unannounced = 0;
function announce(session) {
  unannounced++;
  const now = Date.now();
  if (now - lastAnnounced < 5000) return;
  $("announcer").textContent = unannounced === 1 ? `New ${session.protocol} session from ${session.client}` : `${unannounced} new sessions`;
  lastAnnounced = now;
  unannounced = 0;
}

// ----- live events -----

/**
 * Listens to the live events, with the lines of session `watching` only (the one shown; the
 * others' bytes come counted, in "bytes" events). A new stream replaces the old one once it is
 * open, so nothing is missed in between (an event both brought is taken once: lines are
 * numbered, a session known is updated). Resolves when it is open.
 */
function listen(watching) {
  const events = new EventSource(`${api}/events?types=${PAGE_EVENTS}&lines=${encodeURIComponent(watching ?? "none")}`);
  const opened = new Promise((resolve) => events.addEventListener("open", resolve, { once: true }));
  events.addEventListener("open", () => {
    if (watching !== state.selected) return events.close(); // asked for a session no longer shown
    if (state.events !== events) state.events?.close();
    state.events = events;
    state.watching = watching;
    setStatus();
  });
  events.addEventListener("error", () => ($("status").textContent = "Reconnecting…"));
  const handle = (type, work) =>
    events.addEventListener(type, (event) => {
      if (state.events !== events) return; // the stream before, still open until this one is
      if (state.paused) {
        state.missed++;
        return setStatus();
      }
      work(JSON.parse(event.data));
    });
  handle("session-opened", (session) => (state.sessions.has(session.id) ? updateSession(session) : passes(session) && addSession(session, true)));
  handle("session-changed", updateSession);
  handle("session-closed", updateSession);
  // The bytes of sessions whose lines this stream does not bring, since the last "bytes" event.
  handle("bytes", (counts) => {
    for (const [id, [fromClient, fromServer]] of Object.entries(counts)) addBytes(id, fromClient, fromServer);
  });
  // A block of lines of the session shown (README: the "lines" event): line i is line n + i of its session.
  handle("lines", (block) => {
    const lines = [...block.sides].map((side, i) => {
      const line = { side, text: block.texts[i], bytes: block.bytes[i], at: block.at, n: block.n + i };
      if (block.folds[i] === "s") line.fold = "summary";
      return line;
    });
    // A fold's lines are counted by its summary, which stands for all of them.
    const sum = (side) => lines.reduce((total, line) => total + (line.side === side ? line.bytes : 0), 0);
    addBytes(block.id, sum("C"), sum("S"));
    if (block.id !== state.selected) return;
    if (state.loadingSelected) return state.early.push(...lines);
    appendLines(lines);
    // Lines inside a fold came (not sent): the fold is there at once, closed, its summary still to come.
    const last = $("lines").lastElementChild;
    if (block.folded && !(last?.classList.contains("fold") && !last.dataset.until)) newFold(state.lastLine);
  });
  // This browser fell behind and the console skipped events for it: fetch everything again.
  events.addEventListener("dropped", () => {
    if (state.events === events) void reload();
  });
  return opened;
}

/** The bytes so far of a session still open (its close brings the exact totals), shown in the list. */
function addBytes(id, fromClient, fromServer) {
  const session = state.sessions.get(id);
  if (!session || session.ended) return;
  session.bytesIn += fromClient;
  session.bytesOut += fromServer;
  const item = $("session-list").querySelector(`li[data-id="${CSS.escape(id)}"]`);
  if (item) fillSession(item, session);
}

async function reload() {
  await loadList();
  if (state.selected) await select(state.selected, false);
}

function setStatus() {
  $("status").textContent = state.paused ? `Paused${state.missed ? `: ${state.missed} updates waiting` : ""}` : "Live";
}

// ----- one session -----

async function select(id, focus = true) {
  state.selected = id;
  state.loadingSelected = true;
  state.early = [];
  history.replaceState(null, "", `#session=${encodeURIComponent(id)}`);
  for (const item of $("session-list").children) item.querySelector("button").setAttribute("aria-current", String(item.dataset.id === id));
  // Its lines live from now on (asked for before its lines so far, so none falls in between).
  if (state.watching !== id || !state.events) await listen(id);
  if (state.selected !== id) return; // another one was chosen meanwhile
  const response = await fetch(`${api}/sessions/${encodeURIComponent(id)}`);
  if (!response.ok) {
    state.loadingSelected = false;
    return;
  }
  const { session } = await response.json();
  if (state.selected !== id) return; // another one was chosen meanwhile
  $("detail").hidden = false;
  $("detail-title").textContent = `${session.protocol.toUpperCase()} session ${session.client} → port ${session.port}`;
  showFacts(session);
  $("download-text").href = `${api}/sessions/${encodeURIComponent(id)}.txt`;
  $("download-json").href = `${api}/sessions/${encodeURIComponent(id)}.json`;
  $("lines").replaceChildren();
  state.lastLine = 0;
  appendLines(session.lines);
  appendLines(state.early);
  state.loadingSelected = false;
  state.early = [];
  if (focus) $("detail-title").focus();
}

function showFacts(session) {
  const facts = [
    ["Client", session.client],
    ["Server port", String(session.port)],
    ["Account", accountOf(session)],
    ["TLS", session.tls ? "yes" : "no"],
    ["Started", clock(session.started)],
    ["Ended", session.ended ? `${clock(session.ended)} (${session.how})` : "still open"],
    ["Bytes", `${size(session.bytesIn)} from the client, ${size(session.bytesOut)} from the server`],
  ];
  if (session.linesDropped > 0) facts.push(["Not kept", `${session.linesDropped} lines (the console's memory limit)`]);
  $("detail-facts").replaceChildren(
    ...facts.flatMap(([name, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  // Links between sessions: the relay hop and its cause, an FTP data connection and its control connection.
  const links = $("detail-links");
  links.replaceChildren();
  // One relay connection to the MX carries the messages of several submission sessions: it has
  // several causes, and each of them lists it among the sessions it led to.
  const causes = session.causes ?? (session.relatedTo ? [session.relatedTo] : []);
  const effects = new Set(session.effects ?? []);
  for (const other of state.sessions.values()) if (other.relatedTo === session.id || other.causes?.includes(session.id)) effects.add(other.id);
  appendLinks(links, causes, "Caused by ", "Caused by these sessions: ");
  appendLinks(links, [...effects], "Led to ", "Led to these sessions: ");
}

/**
 * Who the session is for: its own login, or — an FTP data connection, a relay hop that carried
 * one session's mail — the login of the session it belongs to.
 */
function accountOf(session) {
  if (session.account) return session.account;
  const causes = session.causes ?? (session.relatedTo ? [session.relatedTo] : []);
  const owner = causes.length === 1 ? state.sessions.get(causes[0])?.account : undefined;
  return owner ? `${owner} (the login of the session it belongs to)` : "not logged in";
}

function appendLinks(links, ids, one, several) {
  if (ids.length === 0) return;
  links.append(ids.length === 1 ? one : several);
  ids.forEach((id, index) => links.append(index > 0 ? ", " : "", sessionLink(id)));
  links.append(". ");
}

function sessionLink(id) {
  const other = state.sessions.get(id);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.textContent = other ? `${other.protocol.toUpperCase()} ${other.client}` : id;
  button.addEventListener("click", () => select(id));
  return button;
}

/**
 * Lines, in order, each once (they are numbered). A run of "inside" lines (the middle of a
 * DATA body, a RETR) goes into a closed <details>; the "summary" line that ends the run
 * becomes its summary: "… 300 more lines (18000 bytes)". Live, the console streams only the
 * summary: the lines inside are fetched when the fold is opened.
 */
function appendLines(lines) {
  const list = $("lines");
  for (const line of lines) {
    if (line.n <= state.lastLine) continue;
    const before = state.lastLine;
    state.lastLine = line.n;
    if (line.fold === "inside" || line.fold === "summary") {
      const last = list.lastElementChild;
      let fold = last?.classList.contains("fold") && !last.dataset.until ? last : null;
      if (!fold) fold = newFold(before);
      if (line.fold === "inside") fold.querySelector("ol").append(lineItem(line));
      else {
        fold.dataset.until = String(line.n);
        fold.querySelector("summary").textContent = `${line.side}: ${line.text.replace(/ not shown$/, "")}, folded: open to see them`;
      }
    } else list.append(lineItem(line));
  }
  if (state.view === "diagram") drawDiagram();
}

/** A fold after line number `after`: a closed <details> that fetches its lines when opened. */
function newFold(after) {
  const fold = document.createElement("li");
  fold.className = "fold";
  fold.dataset.after = String(after);
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "… more lines (arriving)";
  details.append(summary, document.createElement("ol"));
  details.addEventListener("toggle", () => void (details.open && fillFold(fold)));
  fold.append(details);
  $("lines").append(fold);
  return fold;
}

async function fillFold(fold) {
  const id = state.selected;
  const response = await fetch(`${api}/sessions/${encodeURIComponent(id)}`);
  if (!response.ok || state.selected !== id) return;
  const { session } = await response.json();
  const after = Number(fold.dataset.after);
  const until = Number(fold.dataset.until || Infinity);
  const inside = session.lines.filter((line) => line.fold === "inside" && line.n > after && line.n < until);
  const list = fold.querySelector("ol");
  if (inside.length > 0) list.replaceChildren(...inside.map(lineItem));
  else if (list.children.length === 0) {
    const note = document.createElement("li");
    note.textContent = "(these lines are no longer kept: the console's memory limit)";
    list.append(note);
  }
}

function lineItem(line) {
  const item = $("line-item").content.firstElementChild.cloneNode(true);
  item.classList.add(line.side === "C" ? "client-line" : "server-line");
  const time = item.querySelector("time");
  time.dateTime = line.at;
  time.textContent = clock(line.at, true);
  item.querySelector(".side").textContent = `${line.side}:`;
  item.querySelector(".text").textContent = line.text;
  return item;
}

// ----- the sequence diagram: client and server as two lifelines, each line an arrow -----

const SVG = "http://www.w3.org/2000/svg";

function drawDiagram() {
  const rows = [];
  for (const item of $("lines").children) {
    if (item.classList.contains("fold")) {
      const summary = item.querySelector("summary").textContent;
      rows.push({ side: summary.startsWith("C") ? "C" : "S", text: summary.replace(/, folded: open.*$/, "").slice(3) });
    } else rows.push({ side: item.classList.contains("client-line") ? "C" : "S", text: item.querySelector(".text").textContent });
  }
  const shown = rows.slice(0, 300);
  const width = 640;
  const rowHeight = 30;
  const height = 60 + shown.length * rowHeight;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const session = state.sessions.get(state.selected);
  svg.setAttribute("aria-label", `Sequence diagram: ${shown.length} messages between the client and the ${session?.protocol ?? ""} server`);
  const add = (name, attributes, text) => {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    svg.append(element);
    return element;
  };
  const defs = add("defs", {});
  const marker = document.createElementNS(SVG, "marker");
  for (const [key, value] of Object.entries({ id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" })) marker.setAttribute(key, String(value));
  const tip = document.createElementNS(SVG, "path");
  tip.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
  tip.setAttribute("class", "arrow-tip");
  marker.append(tip);
  defs.append(marker);
  const left = 90;
  const right = width - 90;
  add("text", { x: left, y: 20, class: "actor" }, "Client");
  add("text", { x: right, y: 20, class: "actor" }, `Server${session ? ` :${session.port}` : ""}`);
  add("line", { x1: left, y1: 30, x2: left, y2: height - 10, class: "lifeline" });
  add("line", { x1: right, y1: 30, x2: right, y2: height - 10, class: "lifeline" });
  shown.forEach((row, index) => {
    const y = 60 + index * rowHeight;
    const [from, to] = row.side === "C" ? [left, right] : [right, left];
    add("line", { x1: from, y1: y, x2: to, y2: y, class: row.side === "C" ? "client-arrow" : "server-arrow", "marker-end": "url(#arrow)" });
    const label = row.text.length > 70 ? `${row.text.slice(0, 69)}…` : row.text;
    add("text", { x: width / 2, y: y - 6, class: "label" }, label);
  });
  $("diagram").replaceChildren(svg);
  if (rows.length > shown.length) {
    const more = document.createElement("p");
    more.textContent = `The diagram shows the first ${shown.length} of ${rows.length} lines.`;
    $("diagram").append(more);
  }
}

function setView(view) {
  state.view = view;
  $("view-lines").setAttribute("aria-pressed", String(view === "lines"));
  $("view-diagram").setAttribute("aria-pressed", String(view === "diagram"));
  $("lines").hidden = view !== "lines";
  $("diagram").hidden = view !== "diagram";
  if (view === "diagram") drawDiagram();
}

// ----- controls -----

function setUpFilters() {
  let timer = 0;
  const form = $("filters");
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void loadList(), 250);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  $("pause").addEventListener("click", async () => {
    state.paused = !state.paused;
    $("pause").setAttribute("aria-pressed", String(state.paused));
    $("pause").textContent = state.paused ? "Resume" : "Pause";
    if (!state.paused && state.missed > 0) {
      state.missed = 0;
      await reload();
    }
    state.missed = 0;
    setStatus();
  });
  $("view-lines").addEventListener("click", () => setView("lines"));
  $("view-diagram").addEventListener("click", () => setView("diagram"));
  $("logout").addEventListener("click", async () => {
    await fetch(`${api}/logout`, { method: "POST", headers: { "X-CSRF-Token": state.csrf } });
    location.replace("login.html");
  });
}

// ----- small helpers -----

function clock(iso, precise = false) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour12: false });
  return precise ? `${time}.${String(date.getMilliseconds()).padStart(3, "0")}` : time;
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
