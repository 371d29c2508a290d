// The FTP view (ftp.html): #/pub/releases shows that folder; a file's name downloads it.
// The data comes from /console/api/ftp?path=… and /console/api/ftp/download?path=… (see the README).

import { announce, api, bytes, clearError, focusHeading, fromTemplate, hashLink, make, replace, route, timeElement } from "./browse.js";

route(async (parts) => {
  clearError();
  const path = "/" + parts.join("/");
  const folder = await api(`/console/api/ftp?path=${encodeURIComponent(path)}`);
  if (folder.type === "file") {
    // A link to a file: go to its folder, and offer it there.
    location.hash = "#/" + parts.slice(0, -1).map(encodeURIComponent).join("/");
    return;
  }
  showCrumbs(parts);
  const heading = document.getElementById("folder-heading");
  heading.textContent = folder.path;
  const rows = [];
  if (parts.length > 0) rows.push(row(hashLink(parts.slice(0, -1), "../"), "", null, "up"));
  for (const entry of folder.entries) {
    if (entry.type === "dir") {
      rows.push(row(hashLink([...parts, entry.name], entry.name + "/"), "folder", entry.date));
    } else {
      const link = make("a", entry.name);
      link.href = `/console/api/ftp/download?path=${encodeURIComponent(`${folder.path.replace(/\/$/, "")}/${entry.name}`)}`;
      link.setAttribute("download", "");
      link.setAttribute("aria-label", `${entry.name}, download`);
      rows.push(row(link, bytes(entry.size), entry.date));
    }
  }
  if (folder.entries.length === 0) rows.push(row(make("span", "(empty)"), "", null));
  replace(document.querySelector("#entries tbody"), ...rows);
  announce(`${folder.path}: ${folder.entries.length} ${folder.entries.length === 1 ? "entry" : "entries"}`);
  if (location.hash) focusHeading(heading);
});

function row(nameCell, size, date, className = "") {
  const tr = fromTemplate("entry-row", { size });
  tr.querySelector(".name").append(nameCell);
  if (date) replace(tr.children[2], timeElement(date));
  if (className) tr.classList.add(className);
  return tr;
}

/** "FTP / pub / releases": each step a link, the last one the current folder. */
function showCrumbs(parts) {
  const items = [["FTP", []], ...parts.map((part, at) => [part, parts.slice(0, at + 1)])].map(([name, path], at, all) => {
    const item = make("li");
    const link = hashLink(path, name);
    if (at === all.length - 1) link.setAttribute("aria-current", "page");
    item.append(link);
    return item;
  });
  replace(document.getElementById("crumbs"), ...items);
}
