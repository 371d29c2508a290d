// The news view (news.html): groups → threads → one article.
//   #/<group>            the group's articles, threaded
//   #/<group>/<number>   one article under its thread
// The data comes from /console/api/news… (see the README).

import { announce, api, bytes, clearError, focusHeading, fromTemplate, hashLink, make, replace, route, timeElement, visibleLineEndings, when } from "./browse.js";

const API = "/console/api/news";
let shownGroup = "";

route(async ([group, number]) => {
  clearError();
  await showGroups(group);
  const threads = document.getElementById("thread-section");
  const article = document.getElementById("article");
  if (!group) {
    threads.hidden = true;
    article.hidden = true;
    return;
  }
  if (group !== shownGroup || !number) await showThreads(group);
  for (const link of document.querySelectorAll("#threads a")) {
    if (link.dataset.number === number) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
  }
  if (number) await showArticle(group, number);
  else {
    article.hidden = true;
    focusHeading(document.getElementById("group-heading"));
  }
});

async function showGroups(current) {
  const { groups } = await api(API);
  replace(document.getElementById("groups"), ...groups.map((group) => {
    const item = make("li");
    const link = hashLink([group.name], group.name);
    link.append(make("span", ` ${group.count}`, "count"));
    link.title = group.description;
    if (group.name === current) link.setAttribute("aria-current", "page");
    item.append(link);
    return item;
  }));
}

async function showThreads(name) {
  const group = await api(`${API}/${encodeURIComponent(name)}`);
  shownGroup = name;
  document.getElementById("group-heading").textContent = group.group;
  const count = (nodes) => nodes.reduce((sum, node) => sum + 1 + count(node.replies), 0);
  const articles = count(group.threads);
  document.getElementById("group-facts").textContent = `${group.description} — articles ${group.low}–${group.high} (${articles} present, ${group.threads.length} threads)`;
  replace(document.getElementById("threads"), ...group.threads.map((node) => threadItem(name, node)));
  if (group.threads.length === 0) document.getElementById("threads").append(make("li", "No articles yet: POST one (lesson 13)."));
  document.getElementById("thread-section").hidden = false;
  announce(`${group.group}: ${articles} articles in ${group.threads.length} threads`);
}

/** An article and, nested below it, its replies. */
function threadItem(group, node) {
  const item = fromTemplate("thread-item", { subject: node.subject || "(no subject)", from: node.from });
  const link = item.querySelector("a");
  link.href = "#/" + [group, String(node.number)].map(encodeURIComponent).join("/");
  link.dataset.number = String(node.number);
  replace(item.querySelector('[data-field="date"]'), timeElement(node.date));
  if (node.replies.length > 0) {
    const replies = make("ul");
    replies.append(...node.replies.map((reply) => threadItem(group, reply)));
    item.append(replies);
  }
  return item;
}

async function showArticle(group, number) {
  const article = await api(`${API}/${encodeURIComponent(group)}/${encodeURIComponent(number)}`);
  const view = document.getElementById("article");
  document.getElementById("article-subject").textContent = article.subject || "(no subject)";
  const fill = { from: article.from, number: `${article.number} in ${article.group}`, messageId: article.messageId, size: `${bytes(article.bytes)}, ${article.lines} lines` };
  for (const [field, text] of Object.entries(fill)) view.querySelector(`.facts [data-field="${field}"]`).textContent = text;
  replace(view.querySelector('.facts [data-field="date"]'), timeElement(article.date));
  view.querySelector('.facts [data-field="date"]').title = when(article.date);
  document.getElementById("body").textContent = article.text;
  replace(document.querySelector("#headers tbody"), ...article.headers.map((header) => {
    const row = make("tr");
    row.append(make("th", header.name), make("td", header.value));
    row.firstChild.scope = "row";
    return row;
  }));
  replace(document.getElementById("raw"), visibleLineEndings(article.raw));
  view.hidden = false;
  announce(`Article ${article.number}: ${article.subject}`);
  focusHeading(document.getElementById("article-subject"));
}
