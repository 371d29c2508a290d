// Builds the real site and follows every link and #anchor in every page: all must resolve to a
// file of the site and an id on that page. Nothing may be loaded from elsewhere. And the search
// index finds the right lesson for a fixed set of queries (the browser test types the same ones).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import MiniSearch from "minisearch";
import { buildSite } from "../../site/build.ts";
import { loadTokenizer, searchOptions, type SearchDocument } from "../../site/search.ts";
import { SEARCH_QUERIES } from "./search-queries.ts";

let outDir: string;
const pages = new Map<string, string>(); // site-relative path → HTML

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".html"))
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)));
}

/** the attributes of the page's real tags (not text inside code that looks like one) */
function tagsOf(html: string): string {
  return [...html.matchAll(/<[a-zA-Z][^<>]*>/g)].map((m) => m[0]).join("\n");
}

function idList(html: string): string[] {
  return [...tagsOf(html).matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]!);
}

function idsOf(html: string): Set<string> {
  return new Set(idList(html));
}

const unescape = (text: string) => text.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">");

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), "site-links-"));
  await buildSite({ outDir });
  for (const file of htmlFiles(outDir)) pages.set(file.split(path.sep).join("/"), readFileSync(path.join(outDir, file), "utf8"));
}, 180_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

test("every lesson folder with a README has a page", () => {
  const lessons = readdirSync("lessons").filter((name) => /^\d\d-/.test(name) && existsSync(path.join("lessons", name, "README.md")));
  expect(lessons.length).toBeGreaterThan(5);
  for (const lesson of lessons) expect(pages.has(`lessons/${lesson}.html`), lesson).toBe(true);
});

test("every internal link and #anchor resolves", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const [file, html] of pages) {
    // attributes of real tags only: code on the page may well contain the text src="cid:…"
    for (const match of tagsOf(html).matchAll(/\s(href|src)="([^"]*)"/g)) {
      const url = unescape(match[2]!);
      if (/^(https?|mailto):/.test(url)) continue; // a link out (checked below: never loaded)
      checked++;
      if (url.startsWith("/") || /^[a-z]+:/i.test(url)) {
        broken.push(`${file}: ${url} is not relative (would break from file://)`);
        continue;
      }
      const [target = "", hash] = url.split("#");
      const targetFile = target === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
      if (!existsSync(path.join(outDir, targetFile))) {
        broken.push(`${file}: ${url} → ${targetFile} does not exist`);
        continue;
      }
      if (hash !== undefined && hash !== "") {
        const targetHtml = pages.get(targetFile);
        if (!targetHtml || !idsOf(targetHtml).has(decodeURIComponent(hash))) broken.push(`${file}: ${url} → no id "${hash}" in ${targetFile}`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(100);
});

test("the reference solutions show the code without the #region markers that README includes use", () => {
  const solutions = [...pages.values()].flatMap((html) => html.match(/<details class="solution">[\s\S]*?<\/details>/g) ?? []);
  expect(solutions.length).toBeGreaterThan(10);
  for (const solution of solutions) expect(solution).not.toMatch(/#(end)?region/);
});

test("ids are unique on every page", () => {
  for (const [file, html] of pages) {
    const ids = idList(html);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i), file).toEqual([]);
  }
});

test("nothing is loaded from another site: scripts, styles, images are all local", () => {
  for (const [file, html] of pages) {
    expect(html, file).not.toMatch(/<(script|img|iframe|source|video|audio)\b[^>]*\ssrc="(https?:)?\/\//i);
    expect(html, file).not.toMatch(/<link\b[^>]*\shref="(https?:)?\/\//i);
    expect(html, file).not.toMatch(/@import|url\((["']?)(https?:)?\/\//i);
  }
  const css = readFileSync(path.join(outDir, "assets", "style.css"), "utf8");
  expect(css).not.toMatch(/url\(|@import|@font-face/);
});

test("the tokenizer cuts Chinese into words and pairs, English into words and their parts", () => {
  const tokenize = loadTokenizer();
  expect(tokenize("the half-close")).toEqual(["the", "half-close", "half", "close"]);
  const chinese = tokenize("TCP编程的端口号");
  expect(chinese).toContain("TCP");
  for (const pair of ["编程", "端口", "口号"]) expect(chinese).toContain(pair);
  expect(tokenize("张")).toEqual(["张"]);
});

test.each(SEARCH_QUERIES)("searching %j finds lesson %s in the top 3", (query, lesson) => {
  const script = readFileSync(path.join(outDir, "assets", "search-index.js"), "utf8");
  const window: { SITE_SEARCH_INDEX?: unknown } = {};
  new Function("window", script)(window);
  const index = MiniSearch.loadJS<SearchDocument>(window.SITE_SEARCH_INDEX as never, searchOptions(loadTokenizer()));
  const top = index.search(query).slice(0, 3).map((hit) => String(hit.url));
  expect(top.some((url) => url.startsWith(`lessons/${lesson}.html`)), `top 3: ${top.join(", ")}`).toBe(true);
});

test("code is searched too: PASV finds lesson 11's passive-mode section, whose listing sends it", () => {
  const script = readFileSync(path.join(outDir, "assets", "search-index.js"), "utf8");
  const window: { SITE_SEARCH_INDEX?: unknown } = {};
  new Function("window", script)(window);
  const index = MiniSearch.loadJS<SearchDocument>(window.SITE_SEARCH_INDEX as never, searchOptions(loadTokenizer()));
  const hits = index.search("PASV").map((hit) => String(hit.url));
  expect(hits.some((url) => /^lessons\/11-ftp-by-hand\.html#passive-mode/.test(url)), hits.join(", ")).toBe(true);
  const first = index.search("PASV")[0]!;
  expect(`${first.text} ${first.code}`, "the result keeps its text, for the snippet").toContain("PASV");
});

test("the Sources page says where every one of Core Python's exercises 17-1 … 17-30 went", () => {
  const html = pages.get("sources.html") ?? readFileSync(path.join(outDir, "sources.html"), "utf8");
  for (let n = 1; n <= 30; n++) expect(html, `17-${n}`).toMatch(new RegExp(`<td>17-${n}</td>`));
  expect(pages.get("index.html") ?? readFileSync(path.join(outDir, "index.html"), "utf8")).toContain('href="sources.html"');
});
