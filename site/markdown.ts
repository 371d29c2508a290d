// The markdown-it set-up for lesson pages. Everything the site adds to plain Markdown is here:
//   - heading ids like GitHub's (slug.ts), collected for the page's table of contents;
//   - ```ts include=path#region fences filled from the real file (includes.ts), highlighted (highlight.ts);
//   - ::: tip / ::: warning / ::: exercise callout blocks;
//   - links between lesson READMEs rewritten to the pages, links to repo files to code pages;
//   - <!-- transcript: NAME --> replaced by a recorded conversation and its sequence diagram (the
//     README's own text copy of it, up to <!-- /transcript -->, is left out; readme-sync.ts writes it).
// Every problem (missing file, region, transcript, broken link) throws an Error naming the README and
// line, and the build stops: a site with a broken include is worse than no new site.

import { existsSync, statSync } from "node:fs";
import path from "node:path";
import MarkdownIt, { type StateBlock, type Token } from "markdown-it";
import { escapeHtml, type CodeBlocks } from "./highlight.ts";
import { parseInfo, readInclude } from "./includes.ts";
import { Slugger } from "./slug.ts";


/** The transcript renderer's contract (site/transcript-render.ts). */
export interface TranscriptRenderer {
  loadTranscript(name: string): unknown;
  renderTranscript(transcript: never): string;
  renderSequenceDiagram(transcript: never): string;
}

/** What the whole build shares. */
export interface SiteContext {
  root: string;
  codeBlocks: CodeBlocks;
  /** repo-relative lesson folder ("lessons/02-tcp-client") → its page ("lessons/02-tcp-client.html") */
  lessonPages: Map<string, string>;
  /** repo files linked or included somewhere: each gets a page showing the file */
  codeFiles: Set<string>;
  transcripts: () => Promise<TranscriptRenderer>;
  /** transcripts loaded before rendering (markdown-it renders synchronously) */
  loadedTranscripts?: TranscriptRenderer;
}

export interface Heading {
  level: number;
  id: string;
  text: string;
}

/** One page being rendered. */
export interface PageEnv {
  /** repo-relative path of the Markdown file, for error messages and relative links */
  file: string;
  /** site-relative URL of the page, e.g. lessons/02-tcp-client.html */
  pageUrl: string;
  slugger: Slugger;
  headings: Heading[];
  site: SiteContext;
  /** HTML for the site's own directives (<!-- site:hints -->), filled in by the build */
  directives?: Record<string, string>;
  [key: string | symbol]: unknown; // markdown-it's env is an open record
}

const CALLOUTS: Record<string, string> = { tip: "Tip", note: "Note", warning: "Warning", exercise: "Exercise" };

/** site-relative URL of the page showing a repo file */
export function codePageUrl(file: string): string {
  return `code/${file}.html`;
}

export function relativeUrl(fromPage: string, toPage: string): string {
  const relative = path.posix.relative(path.posix.dirname(fromPage), toPage);
  return relative === "" ? path.posix.basename(toPage) : relative;
}

export function createMarkdown() {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  md.block.ruler.before("fence", "callout", calloutRule, { alt: ["paragraph", "reference", "blockquote", "list"] });
  // A README carries a text copy of each transcript (for readers outside the site) between
  // <!-- transcript: NAME --> and <!-- /transcript -->; the site shows the rich version instead.
  md.core.ruler.push("site_transcript_text", (state) => {
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i]!.type !== "html_block" || !TRANSCRIPT.test(tokens[i]!.content.trim())) continue;
      const end = tokens.findIndex((token, j) => j > i && token.type === "html_block" && TRANSCRIPT_END.test(token.content.trim()));
      if (end !== -1) tokens.splice(i + 1, end - i);
    }
  });
  md.core.ruler.push("site_headings_and_links", (state) => {
    const env = state.env as unknown as PageEnv;
    for (const token of state.tokens) {
      if (token.type === "inline") rewriteLinks(token, env);
    }
    state.tokens.forEach((token, i) => {
      if (token.type !== "heading_open") return;
      const text = inlineText(state.tokens[i + 1]!);
      const id = env.slugger.slug(text);
      token.attrSet("id", id);
      token.meta = { id, text };
      env.headings.push({ level: Number(token.tag.slice(1)), id, text });
    });
  });

  md.renderer.rules.heading_close = (tokens, idx) => {
    const open = tokens[idx - 2]!;
    const { id, text } = open.meta as { id: string; text: string };
    if (open.tag === "h1") return `</${open.tag}>\n`;
    return ` <a class="anchor" href="#${escapeHtml(id)}" aria-label="Link to “${escapeHtml(text)}”">#</a></${open.tag}>\n`;
  };
  md.renderer.rules.fence = (tokens, idx, _options, env) => renderFence(tokens[idx]!, env as unknown as PageEnv);
  md.renderer.rules.html_block = (tokens, idx, _options, env) => renderHtmlBlock(tokens[idx]!, env as unknown as PageEnv);
  md.renderer.rules.callout_open = (tokens, idx) => {
    const token = tokens[idx]!;
    const title = (token.meta as { title: string }).title || CALLOUTS[token.info]!;
    return `<div class="callout callout-${token.info}" role="note">\n<p class="callout-title">${escapeHtml(title)}</p>\n`;
  };
  md.renderer.rules.callout_close = () => "</div>\n";
  return md;
}

function where(env: PageEnv, token: Token | undefined): string {
  return token?.map ? `${env.file}:${token.map[0] + 1}` : env.file;
}

/** The heading's text as a reader sees it (`Connection: close`, not `` `Connection: close` ``). */
function inlineText(inline: Token): string {
  return (inline.children ?? [])
    .filter((child: Token) => child.type === "text" || child.type === "code_inline")
    .map((child: Token) => child.content)
    .join("");
}

// ::: tip [title]
// Markdown, as many blocks as you like
// :::
function calloutRule(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const lineText = (line: number) => state.src.slice(state.bMarks[line]! + state.tShift[line]!, state.eMarks[line]!);
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const opening = /^:::\s*([A-Za-z]+)\s*(.*)$/.exec(lineText(startLine));
  if (!opening) return false;
  const kind = opening[1]!.toLowerCase();
  const env = state.env as unknown as PageEnv;
  if (!(kind in CALLOUTS)) {
    throw new Error(`${env.file}:${startLine + 1}: unknown callout "::: ${kind}" — use one of ${Object.keys(CALLOUTS).join(", ")}`);
  }
  if (silent) return true;

  // find the matching ":::", skipping nested callouts and fenced code
  let depth = 1;
  let fence: string | undefined;
  let line = startLine;
  while (++line < endLine) {
    const text = lineText(line).trim();
    const fenceMark = /^(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence) {
      if (fenceMark && fenceMark[0] === fence[0] && fenceMark.length >= fence.length && text === fenceMark) fence = undefined;
      continue;
    }
    if (fenceMark) fence = fenceMark;
    else if (/^:::\s*[A-Za-z]+/.test(text)) depth++;
    else if (text === ":::" && --depth === 0) break;
  }
  if (depth !== 0) throw new Error(`${env.file}:${startLine + 1}: "::: ${kind}" is never closed — end it with a line ":::"`);

  const oldParent = state.parentType;
  const oldLineMax = state.lineMax;
  state.parentType = "blockquote"; // any non-"root" value: the content is a nested block
  state.lineMax = line;
  const open = state.push("callout_open", "div", 1);
  open.block = true;
  open.info = kind;
  open.meta = { title: opening[2]!.trim() };
  open.map = [startLine, line + 1];
  state.md.block.tokenize(state, startLine + 1, line);
  const close = state.push("callout_close", "div", -1);
  close.block = true;
  state.parentType = oldParent;
  state.lineMax = oldLineMax;
  state.line = line + 1;
  return true;
}

function rewriteLinks(inline: Token, env: PageEnv): void {
  for (const child of inline.children ?? []) {
    if (child.type !== "link_open") continue;
    const href = String(child.attrGet("href") ?? "");
    const target = resolveLink(href, env, where(env, inline));
    if (target === null) {
      // a folder of the repository: there is no page for it, so it is shown as a name, not a link
      child.tag = "span";
      child.attrs = [["class", "repo-path"]];
      const close = inline.children!.find((c: Token, i: number) => c.type === "link_close" && i > inline.children!.indexOf(child));
      if (close) close.tag = "span";
    } else child.attrSet("href", target);
  }
}

/**
 * Where a link in a lesson README goes on the site. null: a repo folder, shown as text.
 * Throws for a link to a file that does not exist.
 */
function resolveLink(href: string, env: PageEnv, location: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("//")) return href; // http:, mailto:
  if (href.startsWith("#")) return href;
  const hashAt = href.indexOf("#");
  const pathPart = decodeURI(hashAt === -1 ? href : href.slice(0, hashAt));
  const fragment = hashAt === -1 ? "" : href.slice(hashAt);
  const { root, lessonPages, codeFiles } = env.site;
  const repoPath = path.posix.normalize(path.posix.join(path.posix.dirname(env.file), pathPart)).replace(/\/$/, "");
  if (repoPath.startsWith("..")) throw new Error(`${location}: the link ${href} points outside the repository`);

  if (repoPath === "README.md" || repoPath === ".") return relativeUrl(env.pageUrl, "index.html");
  const lessonFolder = path.posix.basename(repoPath) === "README.md" ? path.posix.dirname(repoPath) : repoPath;
  const lessonPage = lessonPages.get(lessonFolder);
  if (lessonPage) return relativeUrl(env.pageUrl, lessonPage) + fragment;

  const absolute = path.join(root, repoPath);
  if (!existsSync(absolute)) throw new Error(`${location}: broken link ${href} — ${repoPath} does not exist`);
  if (statSync(absolute).isDirectory()) return null;
  codeFiles.add(repoPath);
  return relativeUrl(env.pageUrl, codePageUrl(repoPath));
}

function renderFence(token: Token, env: PageEnv): string {
  const { lang, include, highlight } = parseInfo(token.info);
  let code = token.content;
  let caption = "";
  if (include) {
    try {
      code = readInclude(env.site.root, include.file, include.region);
    } catch (error) {
      throw new Error(`${where(env, token)}: ${(error as Error).message}`);
    }
    env.site.codeFiles.add(include.file);
    const label = include.region ? `${include.file} (${include.region})` : include.file;
    caption = `<div class="code-caption"><a href="${escapeHtml(relativeUrl(env.pageUrl, codePageUrl(include.file)))}">${escapeHtml(label)}</a></div>`;
  }
  const html = env.site.codeBlocks.placeholder(code, lang, highlight);
  return `<div class="code${include ? " included" : ""}">${caption}${html}</div>\n`;
}

const TRANSCRIPT = /^<!--\s*transcript:\s*([\w.-]+)\s*-->\s*$/;
const TRANSCRIPT_END = /^<!--\s*\/transcript\s*-->\s*$/;
const DIRECTIVE = /^<!--\s*site:([\w-]+)\s*-->\s*$/;

function renderHtmlBlock(token: Token, env: PageEnv): string {
  const transcript = TRANSCRIPT.exec(token.content.trim());
  if (transcript) {
    const renderer = env.site.loadedTranscripts;
    if (!renderer) throw new Error(`${where(env, token)}: transcripts were not loaded`);
    let recording: never;
    try {
      recording = renderer.loadTranscript(transcript[1]!) as never;
    } catch (error) {
      throw new Error(`${where(env, token)}: transcript "${transcript[1]}" — ${(error as Error).message}`);
    }
    return `<div class="transcript-block">\n${renderer.renderTranscript(recording)}\n${renderer.renderSequenceDiagram(recording)}\n</div>\n`;
  }
  const directive = DIRECTIVE.exec(token.content.trim());
  if (directive) return env.directives?.[directive[1]!] ?? "";
  return token.content;
}

/** Does this Markdown use <!-- transcript: … -->? (then the build loads the transcript renderer) */
export function usesTranscripts(markdown: string): boolean {
  return markdown.split("\n").some((line) => TRANSCRIPT.test(line.trim()));
}
