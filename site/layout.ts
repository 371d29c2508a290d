// The one page template: top bar (title, search, dark-mode switch), the lesson list on the left,
// the lesson in the middle, "On this page" on the right, previous/next at the bottom.
// All URLs are relative, so the same files work opened from disk (file://) and served over HTTP.

import { escapeHtml } from "./highlight.ts";
import { relativeUrl, type Heading } from "./markdown.ts";

export const SITE_TITLE = "Socket Playground";

export interface NavLesson {
  number: string;
  title: string;
  /** site-relative URL */
  url: string;
}

export interface Page {
  /** site-relative URL of this page, e.g. lessons/02-tcp-client.html */
  url: string;
  title: string;
  body: string;
  headings: Heading[];
  lessons: NavLesson[];
  prev?: NavLesson;
  next?: NavLesson;
  /** extra site-relative stylesheets (e.g. assets/transcript.css, from the transcript renderer) */
  stylesheets?: string[];
}

export function renderPage(page: Page): string {
  const link = (to: string) => escapeHtml(relativeUrl(page.url, to));
  const root = relativeUrl(page.url, "index.html").replace(/index\.html$/, "");
  const sidebar = page.lessons
    .map((lesson) => {
      const current = lesson.url === page.url ? ` aria-current="page"` : "";
      return `<li><a href="${link(lesson.url)}"${current}><span class="nr">${escapeHtml(lesson.number)}</span> ${escapeHtml(lesson.title)}</a></li>`;
    })
    .join("\n");
  const toc = renderToc(page.headings);
  const prevNext =
    page.prev || page.next
      ? `<nav class="prev-next" aria-label="Previous and next lesson">
${page.prev ? `<a class="prev" rel="prev" href="${link(page.prev.url)}"><span class="dir">Previous</span><span class="name">${escapeHtml(`${page.prev.number} ${page.prev.title}`)}</span></a>` : "<span></span>"}
${page.next ? `<a class="next" rel="next" href="${link(page.next.url)}"><span class="dir">Next</span><span class="name">${escapeHtml(`${page.next.number} ${page.next.title}`)}</span></a>` : "<span></span>"}
</nav>`
      : "";
  return `<!doctype html>
<html lang="en" data-root="${escapeHtml(root)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(page.title === SITE_TITLE ? SITE_TITLE : `${page.title} — ${SITE_TITLE}`)}</title>
<link rel="stylesheet" href="${link("assets/style.css")}">
<script>document.documentElement.classList.add("js");try{var t=localStorage.getItem("theme");if(t)document.documentElement.dataset.theme=t}catch(e){}</script>
${(page.stylesheets ?? []).map((sheet) => `<link rel="stylesheet" href="${link(sheet)}">\n`).join("")}<script src="${link("assets/site.js")}" defer></script>
</head>
<body>
<a class="skip-link" href="#content">Skip to the content</a>
<header class="topbar">
<button class="menu-button" type="button" aria-controls="sidebar" aria-expanded="false">Lessons</button>
<a class="brand" href="${link("index.html")}">${SITE_TITLE}</a>
<div class="search" role="search">
<label class="visually-hidden" for="search-input">Search the lessons</label>
<input id="search-input" type="search" placeholder="Search lessons…" autocomplete="off" spellcheck="false">
<div id="search-results" class="search-results" hidden></div>
</div>
<button class="theme-button" type="button" aria-label="Dark mode" aria-pressed="false"><span aria-hidden="true">◐</span></button>
</header>
<div class="layout">
<nav id="sidebar" class="sidebar" aria-label="Lessons">
<ol>
${sidebar}
</ol>
</nav>
<main id="content" class="content">
<article>
${page.body}
</article>
${prevNext}
</main>
${toc ? `<nav class="toc" aria-label="On this page">\n<p class="toc-title">On this page</p>\n${toc}\n</nav>` : ""}
</div>
<footer class="footer"><p>${SITE_TITLE} — built from the lessons in this repository. Everything here works offline.</p></footer>
</body>
</html>
`;
}

/** h2 with their h3 nested under them */
function renderToc(headings: Heading[]): string {
  const shown = headings.filter((heading) => heading.level === 2 || heading.level === 3);
  if (shown.length < 2) return "";
  let html = "<ul>";
  let inSub = false;
  shown.forEach((heading, i) => {
    if (heading.level === 3 && !inSub && i > 0) {
      html = html.replace(/<\/li>$/, "");
      html += "<ul>";
      inSub = true;
    } else if (heading.level === 2 && inSub) {
      html += "</ul></li>";
      inSub = false;
    }
    html += `<li><a href="#${escapeHtml(heading.id)}">${escapeHtml(heading.text)}</a></li>`;
  });
  if (inSub) html += "</ul></li>";
  return html + "</ul>";
}
