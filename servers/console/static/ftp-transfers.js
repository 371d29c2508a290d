// The FTP page's "Transfers" (ftp.html): every RETR, STOR, APPE and STOU while it runs, with a
// <progress> bar, then how it ended. The event stream /console/api/events?types=transfer brings
// each change (at most 4 a second per transfer, see the README); once it is open, the list
// /console/api/transfers brings what happened before (and again after a break or missed events).
// Reports are merged, the newest of each transfer wins, whichever way it came. Screen readers hear a transfer start and end — gathered, at most
// once every few seconds — never each progress report.

import { api, bytes, fromTemplate, showError } from "./browse.js";

/** The last report of each transfer shown, by its data connection's session id. */
const shown = new Map();
const list = document.getElementById("transfer-list");
/** How many ended transfers stay on the page (the console keeps as many). */
const KEEP_ENDED = 20;

async function load() {
  const { transfers } = await api("/console/api/transfers");
  // The API gives newest first; each new item goes on top, so add the oldest first.
  for (const transfer of transfers.reverse()) show(transfer, { quiet: true });
  updateCount();
}

/** Puts one report on the page: a new item on top, or the one already there updated in place. */
function show(transfer, { quiet = false } = {}) {
  const before = shown.get(transfer.id);
  if (before && (before.at > transfer.at || (before.state !== "running" && transfer.state === "running"))) return; // older than what is shown
  shown.set(transfer.id, transfer);
  let item = document.getElementById(itemId(transfer.id));
  if (!item) {
    item = fromTemplate("transfer-item");
    item.id = itemId(transfer.id);
    list.prepend(item);
    if (!quiet) tell(`${verb(transfer)} started: ${transfer.path}${account(transfer)}`);
  }
  fill(item, transfer);
  if (!quiet && before?.state === "running" && transfer.state !== "running") tell(`${verb(transfer)} ${transfer.state}: ${transfer.path}`);
  forgetOldEnded();
  updateCount();
}

function fill(item, transfer) {
  const id = item.id;
  item.dataset.state = transfer.state;
  const text = (field, value) => (item.querySelector(`[data-field="${field}"]`).textContent = value);
  text("direction", transfer.direction === "download" ? `↓ ${transfer.command} (download)` : `↑ ${transfer.command} (upload)`);
  text("path", transfer.path);
  text("state", transfer.state === "running" ? "in progress" : transfer.state);
  text("numbers", numbers(transfer));
  text("account", transfer.account || "(not logged in)");
  item.querySelector("a.control").href = `/console/#session=${encodeURIComponent(transfer.sessionId)}`;
  item.querySelector("a.data").href = `/console/#session=${encodeURIComponent(transfer.id)}`;
  // The bar is named by the line above it and described by the numbers below it.
  const what = item.querySelector(".what");
  const numbersLine = item.querySelector(".numbers");
  what.id = `${id}-what`;
  numbersLine.id = `${id}-numbers`;
  const progress = item.querySelector("progress");
  progress.setAttribute("aria-labelledby", what.id);
  progress.setAttribute("aria-describedby", numbersLine.id);
  const total = transfer.total ?? (transfer.state === "running" ? undefined : transfer.bytes);
  if (total === undefined) {
    progress.removeAttribute("value"); // no total (an upload without ALLO): an indeterminate bar
  } else {
    progress.max = Math.max(total, 1);
    progress.value = Math.min(transfer.bytes, progress.max);
  }
}

/** "5.2 MB of 50 MB (10%) · 1.1 MB/s · 4 s", or how it ended. */
function numbers(transfer) {
  const seconds = `${(transfer.elapsedMs / 1000).toFixed(transfer.elapsedMs < 10_000 ? 1 : 0)} s`;
  const rate = `${bytes(transfer.bytesPerSecond)}/s`;
  const sofar = transfer.total === undefined ? bytes(transfer.bytes) : `${bytes(transfer.bytes)} of ${bytes(transfer.total)} (${percent(transfer)})`;
  if (transfer.state === "running") return `${sofar} · ${rate} · ${seconds}`;
  return `${sofar} in ${seconds} · ${rate} on average`;
}

function percent({ bytes: done, total }) {
  return total > 0 ? `${Math.floor((done / total) * 100)}%` : "100%";
}

function verb(transfer) {
  return transfer.direction === "download" ? "Download" : "Upload";
}

function account(transfer) {
  return transfer.account ? ` (${transfer.account})` : "";
}

function itemId(id) {
  return `transfer-${id.replace(/[^\w-]/g, "_")}`;
}

function forgetOldEnded() {
  const ended = [...shown.values()].filter((transfer) => transfer.state !== "running");
  for (const transfer of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) {
    shown.delete(transfer.id);
    document.getElementById(itemId(transfer.id))?.remove();
  }
}

function updateCount() {
  const running = [...shown.values()].filter((transfer) => transfer.state === "running").length;
  document.getElementById("transfer-count").textContent = `(${running} in progress)`;
  document.getElementById("no-transfers").hidden = shown.size > 0;
}

// ----- what a screen reader hears: news gathered, said at most every NEWS_EVERY_MS -----

const NEWS_EVERY_MS = 4000;
let news = [];
let lastNews = 0;
let newsTimer = null;

function tell(text) {
  news.push(text);
  if (newsTimer) return;
  newsTimer = setTimeout(sayNews, Math.max(0, lastNews + NEWS_EVERY_MS - Date.now()));
}

function sayNews() {
  // A client mirroring a folder starts and ends dozens in a few seconds: then only how many, and the last.
  const text = news.length <= 4 ? news.join(". ") : `${news.length} transfers started or ended; the last: ${news.at(-1)}`;
  document.getElementById("transfer-news").textContent = text;
  news = [];
  lastNews = Date.now();
  newsTimer = null;
}

// ----- live -----

function listen() {
  const events = new EventSource("/console/api/events?types=transfer");
  events.addEventListener("transfer", (event) => show(JSON.parse(event.data)));
  // Events missed (this page fell behind, or the stream broke and came back): read the list again.
  events.addEventListener("dropped", () => load().catch(showError));
  events.addEventListener("open", () => load().catch(showError));
}

listen();
