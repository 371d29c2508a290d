// The mailbox view: folders → messages → one message (mail.html).
//   #/                                   the mailboxes and their folders
//   #/<address>/<folder>[/<offset>]      a folder's messages, newest first
//   #/<address>/<folder>/m/<id>          one message taken apart
// The data comes from the console's API (/console/api/mailboxes…, see the README).

import { announce, api, apiText, bytes, clearError, focusHeading, fromTemplate, hashLink, make, replace, route, timeElement, visibleLineEndings, when } from "./browse.js";

const API = "/console/api/mailboxes";
const PAGE = 50;
const ROLES = {
  MUA: "Mail User Agent: the program that wrote and sent it",
  MTA: "Mail Transfer Agent: a mail server that passed it on",
  MDA: "Mail Delivery Agent: the mailbox that keeps it",
};

let shownFolder = ""; // "<address>/<folder>/<offset>" whose list is on the screen

route(async (parts) => {
  clearError();
  await showFolders(parts);
  const [address, folder, third, id] = parts;
  const listSection = document.getElementById("list-section");
  const article = document.getElementById("message");
  if (!address || !folder) {
    listSection.hidden = true;
    article.hidden = true;
    return;
  }
  if (third === "m" && id) {
    if (!shownFolder.startsWith(`${address}/${folder}/`)) await showList(address, folder, 0);
    await showMessage(address, folder, id);
  } else {
    article.hidden = true;
    await showList(address, folder, Number(third) || 0);
    focusHeading(document.getElementById("list-heading"));
  }
});

/** The sidebar: every mailbox the viewer may see, its folders with counts; the open one marked. */
async function showFolders([address, folder]) {
  const { mailboxes } = await api(API);
  const sidebar = document.getElementById("folders");
  if (mailboxes.length === 0) return replace(sidebar, make("p", "No mailboxes yet: send a mail (lesson 07) and it appears here."));
  const groups = mailboxes.map((mailbox) => {
    const group = fromTemplate("folder-group", { address: mailbox.address });
    const list = group.querySelector("ul");
    for (const one of mailbox.folders) {
      const link = hashLink([mailbox.address, one.name], one.displayName);
      link.append(make("span", ` ${one.messages}${one.unseen ? ` (${one.unseen} unseen)` : ""}`, "count"));
      if (mailbox.address === address?.toLowerCase() && one.name === folder) link.setAttribute("aria-current", "page");
      const item = make("li");
      item.append(link);
      list.append(item);
    }
    return group;
  });
  replace(sidebar, ...groups);
}

/** The message list of one folder, one page of it. */
async function showList(address, folder, offset) {
  const list = await api(`${API}/${encodeURIComponent(address)}/${encodeURIComponent(folder)}?offset=${offset}&limit=${PAGE}`);
  shownFolder = `${address}/${folder}/${offset}`;
  document.getElementById("list-heading").textContent = `${list.address} — ${folder}`;
  const rows = list.messages.map((message) => {
    const row = fromTemplate("message-row", {
      from: message.from || "(no sender)",
      subject: message.subject || "(no subject)",
      size: bytes(message.size),
      flags: flagText(message.flags),
    });
    row.querySelector("a").href = "#/" + [address, folder, "m", message.id].map(encodeURIComponent).join("/");
    replace(row.children[2], timeElement(message.date));
    if (!message.flags.includes("\\Seen")) row.classList.add("unseen");
    row.dataset.id = message.id;
    return row;
  });
  replace(document.querySelector("#messages tbody"), ...rows);
  if (rows.length === 0) document.querySelector("#messages tbody").append(emptyRow("This folder is empty."));
  pager("newer", offset > 0, [address, folder, String(Math.max(0, offset - PAGE))]);
  pager("older", offset + PAGE < list.total, [address, folder, String(offset + PAGE)]);
  document.getElementById("list-section").hidden = false;
  const last = Math.min(offset + PAGE, list.total);
  announce(list.total === 0 ? "No messages." : `Messages ${offset + 1}–${last} of ${list.total}, newest first.`);
}

function pager(id, shown, parts) {
  const link = document.getElementById(id);
  link.hidden = !shown;
  link.href = "#/" + parts.map(encodeURIComponent).join("/");
}

function emptyRow(text) {
  const row = make("tr");
  const cell = make("td", text);
  cell.colSpan = 5;
  row.append(cell);
  return row;
}

/** IMAP's flags in words: "\Seen \Flagged" → "seen, flagged"; none → "unseen". */
function flagText(flags) {
  return flags.length === 0 ? "unseen" : flags.map((flag) => flag.replace(/^\\/, "").toLowerCase()).join(", ");
}

/** "3 (UIDVALIDITY 1764633600)", or why there is none yet. */
function uidText(message) {
  if (message.uid === null) return "none yet: the IMAP server numbers a message when a client next opens the folder";
  return `${message.uid} (UIDVALIDITY ${message.uidValidity})`;
}

/** One message: its facts, journey, text, sandboxed HTML, attachments, MIME tree, headers, raw source. */
async function showMessage(address, folder, id) {
  const base = `${API}/${encodeURIComponent(address)}/${encodeURIComponent(folder)}/${encodeURIComponent(id)}`;
  const message = await api(base);
  for (const row of document.querySelectorAll("#messages tbody tr")) {
    if (row.dataset.id === id) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  }
  const article = document.getElementById("message");
  document.getElementById("message-subject").textContent = message.subject || "(no subject)";
  const fill = { from: message.from, to: [message.to, message.cc].filter(Boolean).join(", "), size: `${bytes(message.size)} (${message.size} bytes with CRLF line endings)`, flags: flagText(message.flags), file: message.file, uid: uidText(message) };
  for (const [field, text] of Object.entries(fill)) article.querySelector(`.facts [data-field="${field}"]`).textContent = text;
  replace(article.querySelector('.facts [data-field="date"]'), timeElement(message.date));

  showJourney(message.journey);
  document.getElementById("text").textContent = message.text || "(this message has no text part)";

  const htmlSection = document.getElementById("html-section");
  const frame = document.getElementById("html");
  htmlSection.hidden = !message.hasHtml;
  // A fresh iframe each time: the sandbox attribute is set before it loads anything.
  if (message.hasHtml) {
    const fresh = frame.cloneNode(false);
    fresh.setAttribute("sandbox", "");
    fresh.src = `${base}/html`;
    frame.replaceWith(fresh);
  } else frame.removeAttribute("src");

  const attachments = message.attachments.map((attachment) => {
    const item = make("li");
    const link = make("a", attachment.filename);
    link.href = `${base}/attachments/${attachment.n}`;
    link.setAttribute("download", "");
    item.append(link, make("span", ` ${attachment.contentType}, ${bytes(attachment.size)}${attachment.inline ? ", inline" : ""}`, "note"));
    return item;
  });
  document.getElementById("attachments-section").hidden = attachments.length === 0;
  replace(document.getElementById("attachments"), ...attachments);

  replace(document.getElementById("mime"), mimeItem(message.mime));
  replace(document.querySelector("#headers tbody"), ...message.headers.map((header) => {
    const row = make("tr");
    row.append(make("th", header.name), make("td", header.value));
    row.firstChild.scope = "row";
    return row;
  }));

  const rawLink = document.getElementById("raw-link");
  rawLink.href = `${base}/raw`;
  const raw = document.getElementById("raw");
  raw.replaceChildren();
  const details = document.getElementById("raw-details");
  details.open = false;
  details.ontoggle = async () => {
    if (details.open && raw.childNodes.length === 0) raw.append(visibleLineEndings(await apiText(`${base}/raw`)));
  };

  article.hidden = false;
  announce(`Message from ${message.from || "an unknown sender"}: ${message.subject}`);
  focusHeading(document.getElementById("message-subject"));
}

/** MUA → MTA → … → MDA, each arrow labelled with the protocol and the time of that hop. */
function showJourney(stops) {
  const list = document.getElementById("journey");
  if (stops.length === 0) return replace(list, make("li", "No Received: headers: this message was not delivered over SMTP (IMAP APPEND, or a file put there)."));
  replace(list, ...stops.map((stop, at) => {
    const item = fromTemplate("journey-stop", { role: stop.role, name: stop.name + (stop.address && stop.address !== stop.name ? ` ${stop.address}` : "") });
    item.querySelector("abbr").title = ROLES[stop.role];
    const via = item.querySelector(".via");
    if (at === 0) via.remove();
    else if (stop.via) via.textContent = `${stop.via.protocol ?? "SMTP"}${stop.via.date ? ` · ${new Date(stop.via.date).toLocaleTimeString()}` : ""}`;
    else via.textContent = "stored";
    if (stop.via?.date) via.title = `${when(stop.via.date)}${stop.via.id ? `, id ${stop.via.id}` : ""}`;
    return item;
  }));
}

/** One node of the MIME tree and its children, as nested lists. */
function mimeItem(node) {
  const item = make("li");
  const facts = [node.encoding, node.charset && `charset ${node.charset}`, node.disposition, bytes(node.size)].filter(Boolean).join(", ");
  item.append(make("span", node.part ? `${node.part} ` : "message ", "part"), make("code", node.type));
  if (node.filename) item.append(" ", make("span", `“${node.filename}”`, "filename"));
  item.append(make("span", ` ${facts}`, "note"));
  if (node.children.length > 0) {
    const children = make("ul");
    children.append(...node.children.map(mimeItem));
    item.append(children);
  }
  return item;
}
