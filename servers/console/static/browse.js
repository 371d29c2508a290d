// What the three browse pages (mail.html, ftp.html, news.html) share: asking the console's JSON
// API, showing its errors, filling <template>s, and the address bar as the page's state
// (#/friend@example.org/INBOX/<id>), so Back, bookmarks and links to a message work.
// Plain browser modules, no framework: everything the page shows is put in with textContent,
// never innerHTML — a subject line is a stranger's text and must never become markup.
import { setUpLook } from "./look.js";

/** GET a JSON answer of /console/api/…; an error answer ({error}) becomes an Error with its text. */
export async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

/** The text of a GET (the raw source of a message). */
export async function apiText(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return response.text();
}

/** A copy of <template id=…>'s content; `fill` maps data-field names to text. */
export function fromTemplate(id, fill = {}) {
  const template = document.getElementById(id);
  const copy = template.content.firstElementChild.cloneNode(true);
  for (const [field, text] of Object.entries(fill)) {
    const target = copy.matches(`[data-field="${field}"]`) ? copy : copy.querySelector(`[data-field="${field}"]`);
    if (target) target.textContent = text ?? "";
  }
  return copy;
}

/** An element with text, e.g. make("td", "42", "number"). */
export function make(tag, text = "", className = "") {
  const element = document.createElement(tag);
  if (text !== "") element.textContent = text;
  if (className) element.className = className;
  return element;
}

/** A link inside the page: #/a/b/c with each part URL-encoded. */
export function hashLink(parts, text) {
  const link = make("a", text);
  link.href = "#/" + parts.map(encodeURIComponent).join("/");
  return link;
}

/** The parts of the address bar's #/a/b/c, decoded. */
export function hashParts() {
  return location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
}

/** Calls `show(parts)` now and whenever the #… changes (a click, Back, Forward). */
export function route(show) {
  const run = () => show(hashParts()).catch(showError);
  addEventListener("hashchange", run);
  run();
}

/** Shows what went wrong in the page's alert region (a screen reader says it at once). */
export function showError(error) {
  const region = document.getElementById("problem");
  region.textContent = error instanceof Error ? error.message : String(error);
  region.hidden = false;
}

export function clearError() {
  const region = document.getElementById("problem");
  region.textContent = "";
  region.hidden = true;
}

/** Says something politely to screen readers and shows it ("12 messages"). */
export function announce(text) {
  document.getElementById("status").textContent = text;
}

/** 1234567 → "1.2 MB"; under 10 KB the exact bytes. */
export function bytes(count) {
  if (count < 10_000) return `${count} B`;
  const units = ["KB", "MB", "GB"];
  let value = count / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** ISO time → local date and time, in the reader's language; "—" when there is none. */
export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** A <time> element for an ISO time. */
export function timeElement(iso) {
  const element = make("time", when(iso));
  if (iso) element.dateTime = iso;
  return element;
}

/** Empties an element and puts `children` in. */
export function replace(element, ...children) {
  element.replaceChildren(...children);
  return element;
}

/** Moves keyboard focus to a heading that just appeared, so a screen reader reads where we are. */
export function focusHeading(heading) {
  heading.tabIndex = -1;
  heading.focus({ preventScroll: false });
}

/**
 * Text with its line endings made visible, as the conversation shows them: every CRLF as a
 * dim "\r\n" at the end of its line, a lone LF as "\n". Long sources are cut after `maxLines`.
 */
export function visibleLineEndings(text, maxLines = 4000) {
  const fragment = document.createDocumentFragment();
  const pieces = text.split(/(\r\n|\n)/);
  let lines = 0;
  for (let at = 0; at < pieces.length && lines < maxLines; at += 2) {
    const ending = pieces[at + 1];
    if (pieces[at] !== "") fragment.append(pieces[at]);
    if (ending !== undefined) {
      fragment.append(make("span", ending === "\r\n" ? "\\r\\n" : "\\n", "eol"), "\n");
      lines++;
    }
  }
  if (lines >= maxLines && pieces.length > 2 * maxLines + 1) {
    fragment.append(make("span", `… (${Math.floor(pieces.length / 2) - maxLines} more lines: download the raw source to see all)`, "note"));
  }
  return fragment;
}

// Larger text and colours, as on every console page.
setUpLook();
