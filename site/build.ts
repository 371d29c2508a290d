// `npm run site`: builds the lesson site into site/dist/.
//
//   lessons/NN-slug/README.md  → lessons/NN-slug.html (with the lesson's hints and solution at the end
//                                of "Your exercise", as <details> that open without JavaScript)
//   files linked or included   → code/<path>.html (the whole file, highlighted)
//   the lesson list            → index.html
//   search                     → assets/search-index.js (+ minisearch.js, tokenize.js), loaded on demand
//
// Run it directly, or call buildSite() (the tests build into a temporary folder).

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CodeBlocks, escapeHtml, languageOfFile } from "./highlight.ts";
import { extractRegion } from "./includes.ts";
import { codePageUrl, createMarkdown, relativeUrl, usesTranscripts, type PageEnv, type SiteContext, type TranscriptRenderer } from "./markdown.ts";
import { renderPage, SITE_TITLE, type NavLesson } from "./layout.ts";
import { buildSearchIndexScript, sectionsOf, type SearchDocument } from "./search.ts";
import { Slugger } from "./slug.ts";

const SITE_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.dirname(SITE_DIR);

export interface BuildOptions {
  /** where the site goes (default: <root>/site/dist); emptied first */
  outDir?: string;
  /** the repository to build from (default: this one) */
  root?: string;
  /** keep highlighted code between builds in node_modules/.cache (default true) */
  cache?: boolean;
  /** the transcript renderer (default: site/transcript-render.ts, loaded only if a lesson uses one) */
  transcripts?: TranscriptRenderer;
}

interface Lesson extends NavLesson {
  /** repo-relative folder, e.g. lessons/02-tcp-client */
  folder: string;
}

export async function buildSite(options: BuildOptions = {}): Promise<{ pages: number; ms: number }> {
  const started = performance.now();
  const root = path.resolve(options.root ?? REPO_ROOT);
  const outDir = path.resolve(options.outDir ?? path.join(root, "site", "dist"));

  const lessons = findLessons(root);
  const sources = new Map(lessons.map((lesson) => [lesson.folder, readFileSync(path.join(root, lesson.folder, "README.md"), "utf8")]));
  const site: SiteContext = {
    root,
    codeBlocks: new CodeBlocks(options.cache === false ? undefined : path.join(root, "node_modules", ".cache", "socket-playground-site", "highlight.json")),
    lessonPages: new Map(lessons.map((lesson) => [lesson.folder, lesson.url])),
    codeFiles: new Set(),
    transcripts: async () => options.transcripts ?? (await loadTranscriptRenderer()),
  };
  if ([...sources.values()].some(usesTranscripts)) site.loadedTranscripts = await site.transcripts();
  const transcriptCss = site.loadedTranscripts && "transcriptCss" in site.loadedTranscripts ? String(site.loadedTranscripts.transcriptCss) : undefined;

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(path.join(outDir, "lessons"), { recursive: true });
  const md = createMarkdown();
  const searchDocuments: Omit<SearchDocument, "id">[] = [];
  // pages are kept in memory until their code blocks are highlighted, all at once, at the end
  const pages = new Map<string, string>();
  const write = (url: string, html: string) => pages.set(url, html);

  lessons.forEach((lesson, i) => {
    const env: PageEnv = { file: `${lesson.folder}/README.md`, pageUrl: lesson.url, slugger: new Slugger(), headings: [], site };
    const markdown = withExerciseExtras(sources.get(lesson.folder)!, root, lesson.folder);
    env.directives = {
      hints: renderHints(md, root, lesson.folder, env),
      solution: renderSolution(root, lesson.folder, site),
    };
    const tokens = md.parse(markdown, env);
    const body = md.renderer.render(tokens, md.options, env);
    searchDocuments.push(...sectionsOf(tokens, `${lesson.number} ${lesson.title}`, lesson.url));
    write(lesson.url, renderPage({ url: lesson.url, title: `${lesson.number} ${lesson.title}`, body, headings: env.headings, lessons, prev: lessons[i - 1], next: lessons[i + 1], stylesheets: transcriptCss ? ["assets/transcript.css"] : [] }));
  });

  // SOURCES.md: where each of the source tutorials' examples and exercises went in the kit.
  const hasSources = existsSync(path.join(root, "SOURCES.md"));
  if (hasSources) {
    const env: PageEnv = { file: "SOURCES.md", pageUrl: "sources.html", slugger: new Slugger(), headings: [], site };
    const tokens = md.parse(readFileSync(path.join(root, "SOURCES.md"), "utf8"), env);
    searchDocuments.push(...sectionsOf(tokens, "Sources", "sources.html"));
    write("sources.html", renderPage({ url: "sources.html", title: "Sources", body: md.renderer.render(tokens, md.options, env), headings: env.headings, lessons }));
  }

  write("index.html", renderPage({ url: "index.html", title: SITE_TITLE, body: homeBody(root, lessons, hasSources), headings: [], lessons }));

  for (const file of [...site.codeFiles].sort()) {
    const url = codePageUrl(file);
    const code = readFileSync(path.join(root, file), "utf8");
    const body = `<h1><code>${escapeHtml(file)}</code></h1>
<p class="code-page-note">The whole file, as it is in the repository. Open it in your editor: <code>${escapeHtml(file)}</code>.</p>
<div class="code">${site.codeBlocks.placeholder(code, languageOfFile(file))}</div>`;
    write(url, renderPage({ url, title: file, body, headings: [], lessons }));
  }

  const html = await site.codeBlocks.resolve([...pages.values()]);
  [...pages.keys()].forEach((url, i) => {
    const file = path.join(outDir, url);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, html[i]!);
  });

  const assets = path.join(outDir, "assets");
  mkdirSync(assets, { recursive: true });
  for (const name of ["style.css", "site.js", "tokenize.js"]) copyFileSync(path.join(SITE_DIR, "assets", name), path.join(assets, name));
  const require = createRequire(import.meta.url);
  // MiniSearch's browser build (UMD: a plain script that defines window.MiniSearch)
  copyFileSync(path.join(path.dirname(require.resolve("minisearch")), "..", "umd", "index.js"), path.join(assets, "minisearch.js"));
  writeFileSync(path.join(assets, "search-index.js"), buildSearchIndexScript(searchDocuments));
  if (transcriptCss) writeFileSync(path.join(assets, "transcript.css"), transcriptCss);

  return { pages: pages.size, ms: Math.round(performance.now() - started) };
}

/** lessons/NN-slug folders that have a README.md, in order */
function findLessons(root: string): Lesson[] {
  const lessonsDir = path.join(root, "lessons");
  return readdirSync(lessonsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-[\w-]+$/.test(entry.name) && existsSync(path.join(lessonsDir, entry.name, "README.md")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const firstHeading = /^# (.+)$/m.exec(readFileSync(path.join(lessonsDir, name, "README.md"), "utf8"))?.[1] ?? name;
      // "Lesson 02 — A TCP client" → "A TCP client": the number is shown separately
      const title = firstHeading.replace(/^Lesson\s+\d+\s*[—–:-]\s*/, "").trim();
      return { number: name.slice(0, 2), title, url: `lessons/${name}.html`, folder: `lessons/${name}` };
    });
}

/**
 * The lesson's Markdown with a "Hints" and a "Solution" heading added at the end of its
 * "## Your exercise" section (or at the end, for a lesson without one). Fence-aware: a "## " inside
 * a code block is not a heading.
 */
function withExerciseExtras(markdown: string, root: string, folder: string): string {
  const hasHints = existsSync(path.join(root, folder, "hints.md"));
  const hasSolution = existsSync(path.join(root, folder, "solution.ts"));
  if (!hasHints && !hasSolution) return markdown;
  const extras = [
    ...(hasHints ? ["### Hints", "", "<!-- site:hints -->", ""] : []),
    ...(hasSolution ? ["### Solution", "", "<!-- site:solution -->", ""] : []),
  ];
  const lines = markdown.split("\n");
  let fence: string | undefined;
  let inExercise = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const mark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (mark && mark[0] === fence[0] && mark.length >= fence.length && line.trim() === mark) fence = undefined;
      continue;
    }
    if (mark) {
      fence = mark;
      continue;
    }
    if (/^## /.test(line)) {
      if (inExercise) {
        lines.splice(i, 0, ...extras);
        return lines.join("\n");
      }
      inExercise = /^## Your exercise\b/i.test(line);
    }
  }
  return `${markdown.replace(/\n*$/, "\n\n")}${extras.join("\n")}`;
}

/** hints.md: one <details> per "## " section, closed, in order — open them one at a time. */
function renderHints(md: ReturnType<typeof createMarkdown>, root: string, folder: string, lessonEnv: PageEnv): string {
  const file = `${folder}/hints.md`;
  if (!existsSync(path.join(root, file))) return "";
  const sections = readFileSync(path.join(root, file), "utf8").split(/^(?=## )/m).filter((section) => section.startsWith("## "));
  const details = sections.map((section) => {
    const [titleLine = "", ...rest] = section.split("\n");
    // a separate slugger and heading list: nothing inside a hint belongs in the page's table of contents
    const env: PageEnv = { file, pageUrl: lessonEnv.pageUrl, slugger: new Slugger(), headings: [], site: lessonEnv.site };
    return `<details class="hint">\n<summary>${escapeHtml(titleLine.slice(3).trim())}</summary>\n<div class="details-body">\n${md.render(rest.join("\n"), env)}</div>\n</details>`;
  });
  return `<div class="hints">\n<p>Try on your own first. Open one hint at a time: they go from a nudge to a near-answer.</p>\n${details.join("\n")}\n</div>\n`;
}

/** The reference solution, closed, as a <details>. */
function renderSolution(root: string, folder: string, site: SiteContext): string {
  const file = `${folder}/solution.ts`;
  if (!existsSync(path.join(root, file))) return "";
  // The "// #region" lines are there for README includes; the reader needs only the code.
  const code = extractRegion(readFileSync(path.join(root, file), "utf8"), undefined, file);
  return `<details class="solution">\n<summary>Show the reference solution (<code>${escapeHtml(file)}</code>)</summary>\n<div class="code">${site.codeBlocks.placeholder(code, "ts")}</div>\n</details>\n`;
}

function homeBody(root: string, lessons: Lesson[], hasSources: boolean): string {
  // the first paragraph of the repository's README says what this is
  const readme = existsSync(path.join(root, "README.md")) ? readFileSync(path.join(root, "README.md"), "utf8") : "";
  const intro = readme.split(/\n\s*\n/).find((block) => block.trim() && !block.startsWith("#"))?.replace(/\s+/g, " ").trim();
  const items = lessons
    .map((lesson) => `<li><a href="${escapeHtml(relativeUrl("index.html", lesson.url))}"><span class="nr">${escapeHtml(lesson.number)}</span> ${escapeHtml(lesson.title)}</a></li>`)
    .join("\n");
  const introHtml = intro ? `<p class="lead">${escapeHtml(intro).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>").replace(/`(.+?)`/g, "<code>$1</code>")}</p>` : "";
  return `<h1>${SITE_TITLE}</h1>
${introHtml}
<p>Start the playground with <code>npm start</code> in one terminal, then follow the lessons in order.</p>
<h2 id="lessons">Lessons</h2>
<ol class="lesson-list">
${items}
</ol>${hasSources ? `\n<p>Coming from the Chinese Python tutorials (liaoxuefeng, Core Python Programming)? <a href="sources.html">Sources</a> says where each of their examples and exercises is.</p>` : ""}`;
}

async function loadTranscriptRenderer(): Promise<TranscriptRenderer> {
  const file = path.join(SITE_DIR, "transcript-render.ts");
  if (!existsSync(file)) throw new Error(`a lesson uses <!-- transcript: … --> but ${path.relative(REPO_ROOT, file)} does not exist`);
  const modulePath: string = "./transcript-render.ts"; // a variable: typechecks while that file is being written
  return (await import(modulePath)) as TranscriptRenderer;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = path.join(REPO_ROOT, "site", "dist");
  buildSite({ outDir }).then(
    ({ pages, ms }) => console.log(`Built ${pages} pages in ${ms} ms → ${path.relative(process.cwd(), outDir) || "."}/index.html`),
    (error: Error) => {
      console.error(`site: ${error.message}`);
      process.exit(1);
    },
  );
}
