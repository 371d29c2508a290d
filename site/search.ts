// The search index, built once at build time and shipped as dist/assets/search-index.js (a plain
// script, so it loads from file:// too). The browser loads it, MiniSearch and the tokenizer only
// when the reader starts typing in the search box (see assets/site.js): the first page load stays small.
//
// One search document per section (h2/h3) of each page, so a result can jump to the right place.

import { readFileSync } from "node:fs";
import MiniSearch, { type Options } from "minisearch";
import type { Token } from "markdown-it";
import { chineseKeywords } from "./glossary.ts";


export interface SearchDocument {
  id: number;
  /** the page's title, e.g. "05 UDP" */
  title: string;
  /** the section's heading ("" for the text before the first h2) */
  heading: string;
  /** site-relative URL, with #anchor */
  url: string;
  text: string;
  /** the section's code blocks: searched, but weighed less than the prose (code repeats words like "close") */
  code: string;
  /** Chinese words for the English terms of the section (glossary.ts) */
  zh: string;
}

const TOKENIZER_FILE = new URL("./assets/tokenize.js", import.meta.url);

/** The tokenizer the browser uses, loaded from the same file. */
export function loadTokenizer(): (text: string) => string[] {
  const source = readFileSync(TOKENIZER_FILE, "utf8");
  return new Function(`${source}\nreturn siteTokenize;`)() as (text: string) => string[];
}

/** The options the browser repeats in assets/site.js (MiniSearch.loadJSON needs the same ones). */
const SEARCH_FIELDS = ["title", "heading", "text", "code", "zh"];
const STORE_FIELDS = ["title", "heading", "url", "text", "code"]; // text and code: for the snippet under each result

export function searchOptions(tokenize: (text: string) => string[]): Options<SearchDocument> {
  return {
    fields: SEARCH_FIELDS,
    storeFields: STORE_FIELDS,
    tokenize,
    searchOptions: { boost: { title: 3, heading: 2, code: 0.3 }, prefix: true, fuzzy: 0.1 },
  };
}

/** Cuts a page's Markdown tokens into sections at each h2/h3, keeping the readable text. */
export function sectionsOf(tokens: Token[], pageTitle: string, pageUrl: string): Omit<SearchDocument, "id">[] {
  const sections: Omit<SearchDocument, "id">[] = [];
  let current = { title: pageTitle, heading: "", url: pageUrl, text: "", code: "", zh: "" };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === "heading_open" && (token.tag === "h2" || token.tag === "h3")) {
      if (current.text.trim() || current.code.trim() || current.heading) sections.push(current);
      const { id, text } = token.meta as { id: string; text: string };
      current = { title: pageTitle, heading: text, url: `${pageUrl}#${id}`, text: "", code: "", zh: "" };
      i++; // the heading's own inline token is the heading, not body text
      continue;
    }
    if (token.type === "inline") {
      const words = (token.children ?? []).filter((c: Token) => c.type === "text" || c.type === "code_inline").map((c: Token) => c.content);
      current.text += words.join("") + "\n";
    }
    // Code is searched too: "PASV" must find the section whose listing sends it.
    if (token.type === "fence" || token.type === "code_block") current.code += token.content.replace(/[ \t]+/g, " ") + "\n";
  }
  if (current.text.trim() || current.code.trim() || current.heading) sections.push(current);
  // the title and heading count three times: they say what the section is about
  for (const section of sections) section.zh = chineseKeywords(`${section.title} ${section.title} ${section.title} ${section.heading} ${section.heading} ${section.heading} ${section.text}`);
  return sections;
}

/** `window.SITE_SEARCH_INDEX = {…}` — the serialized MiniSearch index */
export function buildSearchIndexScript(documents: Omit<SearchDocument, "id">[]): string {
  const miniSearch = new MiniSearch<SearchDocument>(searchOptions(loadTokenizer()));
  miniSearch.addAll(documents.map((document, id) => ({ id, ...document })));
  return `window.SITE_SEARCH_INDEX = ${JSON.stringify(miniSearch)};\n`;
}
