// Syntax highlighting at build time with Shiki: the browser gets plain HTML with colours, no
// highlighter script. Each token carries both themes as CSS variables (--shiki-light,
// --shiki-dark); style.css picks one, so dark mode needs no second copy of the code.
//
// Shiki is the slow part of the build (compiling the grammars, then running their regular
// expressions), so: the highlighter is created once, with only the languages the lessons use, and
// only if some block is not in the cache of blocks highlighted by the previous build
// (node_modules/.cache/socket-playground-site/, keyed by a hash of the code): the renderer leaves a
// placeholder per code block (CodeBlocks.placeholder) and CodeBlocks.resolve fills them all at the end.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createHighlighterCore, type HighlighterCore } from "shiki/core";
import { createOnigurumaEngine } from "shiki/engine/oniguruma";

/** What a fence may say → the Shiki grammar. Anything else is shown as plain text. */
const LANGUAGES: Record<string, string> = {
  ts: "typescript",
  typescript: "typescript",
  js: "javascript",
  javascript: "javascript",
  py: "python",
  python: "python",
  sh: "shellscript",
  bash: "shellscript",
  shell: "shellscript",
  json: "json",
  http: "http",
};

let highlighter: Promise<HighlighterCore> | undefined;

function getHighlighter(): Promise<HighlighterCore> {
  highlighter ??= createHighlighterCore({
    themes: [import("shiki/themes/github-light-default.mjs"), import("shiki/themes/github-dark-default.mjs")],
    langs: [
      import("shiki/langs/typescript.mjs"),
      import("shiki/langs/javascript.mjs"),
      import("shiki/langs/python.mjs"),
      import("shiki/langs/shellscript.mjs"),
      import("shiki/langs/json.mjs"),
      import("shiki/langs/http.mjs"),
    ],
    engine: createOnigurumaEngine(import("shiki/wasm")),
  });
  return highlighter;
}

function languageFor(fence: string): string | undefined {
  return LANGUAGES[fence.toLowerCase()];
}

/** A file's extension → the fence language used to show it on a code page. */
export function languageOfFile(file: string): string {
  const extension = file.slice(file.lastIndexOf(".") + 1);
  return { ts: "ts", js: "js", mjs: "js", py: "python", sh: "sh", json: "json" }[extension] ?? "text";
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** `<pre class="shiki">…</pre>`; lines in `highlight` (1-based) get the class "hl". */
function highlightCode(shiki: HighlighterCore | undefined, code: string, fence: string, highlight = new Set<number>()): string {
  const lang = languageFor(fence);
  const text = code.replace(/\n$/, "");
  if (!lang || !shiki) {
    // Program output and plain text: same markup as highlighted code, so it gets the same styling.
    const lines = text.split("\n").map((line, i) => `<span class="line${highlight.has(i + 1) ? " hl" : ""}">${escapeHtml(line)}</span>`);
    return `<pre class="shiki plain" tabindex="0"><code>${lines.join("\n")}</code></pre>`;
  }
  return shiki.codeToHtml(text, {
    lang,
    themes: { light: "github-light-default", dark: "github-dark-default" },
    defaultColor: false,
    transformers: [
      {
        line(node, line) {
          if (highlight.has(line)) this.addClassToHast(node, "hl");
        },
        pre(node) {
          // the theme colours come from style.css; the inline background would fight dark mode
          delete node.properties.style;
        },
      },
    ],
  });
}

/** Bump when the HTML produced for a block changes (transformers, themes): old cache entries are then ignored. */
const CACHE_VERSION = "2";

interface Block {
  code: string;
  fence: string;
  highlight: Set<number>;
}

/** Collects the code blocks of a whole build and highlights them in one go, with a cache. */
export class CodeBlocks {
  private blocks: Block[] = [];
  /** how many blocks the last resolve() had to highlight (the rest came from the cache) */
  highlighted = 0;

  constructor(private cacheFile?: string) {}

  /** A marker to put in the HTML where the highlighted block goes. */
  placeholder(code: string, fence: string, highlight = new Set<number>()): string {
    this.blocks.push({ code, fence, highlight });
    return `<!--code-block:${this.blocks.length - 1}-->`;
  }

  /** Replaces every placeholder in these pages by its highlighted block. */
  async resolve(pages: string[]): Promise<string[]> {
    const cache: Record<string, string> = this.cacheFile && existsSync(this.cacheFile) ? readCache(this.cacheFile) : {};
    const used: Record<string, string> = {};
    const keys = this.blocks.map((block) => hashOf(block));
    const missing = this.blocks.filter((_, i) => cache[keys[i]!] === undefined);
    this.highlighted = missing.length;
    const shiki = missing.some((block) => languageFor(block.fence)) ? await getHighlighter() : undefined;
    const html = this.blocks.map((block, i) => {
      const key = keys[i]!;
      used[key] = cache[key] ?? highlightCode(shiki!, block.code, block.fence, block.highlight);
      return used[key]!;
    });
    if (this.cacheFile && missing.length) {
      mkdirSync(path.dirname(this.cacheFile), { recursive: true });
      // write-then-rename: a build running at the same time never reads half a file
      const temporary = `${this.cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(used));
      renameSync(temporary, this.cacheFile);
    }
    return pages.map((page) => page.replace(/<!--code-block:(\d+)-->/g, (_, i: string) => html[Number(i)]!));
  }
}

function hashOf(block: Block): string {
  const highlight = [...block.highlight].sort((a, b) => a - b).join(",");
  return createHash("sha1").update(`${CACHE_VERSION}\0${block.fence}\0${highlight}\0${block.code}`).digest("base64url");
}

function readCache(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  } catch {
    return {}; // a damaged cache is only a slower build
  }
}
