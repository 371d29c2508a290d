// The lesson site's budgets (issue 5), measured and reported — never asserted in a test:
//   full build ≤ 3 s for all lessons, HTML ≤ 60 KB gzipped per page, JS on first load ≤ 15 KB gzipped.
//   npx tsx test/bench/site.ts
// The build is measured cold (no cache of highlighted code: Shiki highlights every block) and warm
// (every block from the cache in node_modules/.cache, as on a second `npm run site`), with CPU time
// next to wall time: on a machine shared with other work, wall time says little.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { buildSite } from "../../site/build.ts";

const BUILD_BUDGET_MS = 3000;
const PAGE_BUDGET = 60 * 1024;
const FIRST_LOAD_JS_BUDGET = 15 * 1024;

const outDir = mkdtempSync(path.join(tmpdir(), "site-bench-"));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const verdict = (ok: boolean) => (ok ? "within budget" : "OVER BUDGET");

async function measure(label: string, cache: boolean): Promise<number> {
  const cpu = process.cpuUsage();
  const { pages, ms } = await buildSite({ outDir, cache });
  const used = process.cpuUsage(cpu);
  const cpuMs = Math.round((used.user + used.system) / 1000);
  console.log(`${label.padEnd(34)} ${String(ms).padStart(5)} ms wall, ${String(cpuMs).padStart(5)} ms CPU, ${pages} pages — ${verdict(ms <= BUILD_BUDGET_MS)} (${BUILD_BUDGET_MS} ms)`);
  return ms;
}

// The first build in a process also loads the modules and creates the highlighter: that is what
// `npm run site` pays every time, so it is the number that counts.
await measure("build, cold (no highlight cache)", false);
await measure("build, warm process, no cache", false);
await measure("build, warm (highlight cache)", true);

const pages = readdirSync(outDir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".html"));
const sizes = pages.map((file) => ({ file, gzip: gzipSync(readFileSync(path.join(outDir, file))).length })).sort((a, b) => b.gzip - a.gzip);
const biggest = sizes[0]!;
console.log(`\nHTML per page, gzipped: largest ${biggest.file} ${kb(biggest.gzip)}, median ${kb(sizes[Math.floor(sizes.length / 2)]!.gzip)} — ${verdict(biggest.gzip <= PAGE_BUDGET)} (${kb(PAGE_BUDGET)})`);
for (const { file, gzip } of sizes.slice(0, 5)) console.log(`  ${kb(gzip).padStart(9)}  ${file}`);

// First load = the scripts a page references itself (site.js); MiniSearch, the tokenizer and the
// index load only when the reader types in the search box.
const firstLoad = ["site.js"].map((name) => gzipSync(readFileSync(path.join(outDir, "assets", name))).length).reduce((a, b) => a + b, 0);
const inline = Math.max(...pages.map((file) => [...readFileSync(path.join(outDir, file), "utf8").matchAll(/<script>([\s\S]*?)<\/script>/g)].reduce((n, m) => n + m[1]!.length, 0)));
console.log(`\nJS on first load, gzipped: ${kb(firstLoad)} (assets/site.js) + ${inline} bytes inline — ${verdict(firstLoad + inline <= FIRST_LOAD_JS_BUDGET)} (${kb(FIRST_LOAD_JS_BUDGET)})`);
const onDemand = ["minisearch.js", "tokenize.js", "search-index.js"].map((name) => `${name} ${kb(gzipSync(readFileSync(path.join(outDir, "assets", name))).length)}`);
console.log(`Loaded on the first search, gzipped: ${onDemand.join(", ")}`);

rmSync(outDir, { recursive: true, force: true });
