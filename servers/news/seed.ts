// Fills a fresh news spool with the seed articles in servers/news/seed/, so a learner's first
// `GROUP comp.lang.python` finds a real-looking discussion instead of an empty group.
//
//   servers/news/seed/groups.json           [{ "name", "description", "firstNumber" }, …] in listing order
//   servers/news/seed/articles/NNN-*.txt    one article each, in posting order (headers, blank line, body)
//
// Each group's first article gets the group's firstNumber (a real server has expired older
// ones, so the low water mark is rarely 1). An article "arrives" at its Date: header, so
// NEWNEWS finds the seed articles by their dates. The server adds Path, Lines and Xref itself.
//
// Seeding happens only when <dataDir>/news does not exist yet: a learner's posts are never
// undone by a restart. Two playgrounds starting at once on a fresh data dir (parallel tests)
// each build a spool in a private temporary folder and rename it to news/; a rename is atomic
// and fails onto a folder that has files, so exactly one wins and the other throws its copy away.

import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ArticleRefused, headerValue, NewsStore, parseHeaders, splitArticle } from "./newsstore.ts";

export const SEED_DIR = fileURLToPath(new URL("./seed/", import.meta.url));

interface SeedGroup {
  name: string;
  description: string;
  firstNumber: number;
}

/** Headers every seed article must have, and headers only the server may write. */
const REQUIRED = ["From", "Newsgroups", "Subject", "Date", "Message-ID"];
const SERVER_ONLY = ["Path", "Xref", "Lines"];

/**
 * Makes `<dataDir>/news` if it does not exist: the seed groups, and (if `withArticles`) the
 * seed articles. Returns the spool folder. Throws a clear message naming a broken seed file.
 */
export async function ensureNewsSpool(dataDir: string, options: { withArticles?: boolean; seedDir?: string; fsync?: boolean } = {}): Promise<string> {
  const newsDir = join(dataDir, "news");
  if (await exists(newsDir)) return newsDir;
  const seedDir = options.seedDir ?? SEED_DIR;
  const groups = await readSeedGroups(seedDir);
  const articles = options.withArticles ?? true ? await readSeedArticles(seedDir) : [];

  // A group is "created" (NEWGROUPS) when its first seed article arrived.
  const earliest = articles.length > 0 ? articles[0].date : new Date();
  const created = (name: string) => articles.find((article) => article.groups.includes(name))?.date ?? earliest;

  await mkdir(dataDir, { recursive: true });
  const temporary = join(dataDir, `news.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    const store = await NewsStore.create(temporary, groups.map((group) => ({ ...group, created: created(group.name) })), { fsync: options.fsync });
    for (const article of articles) {
      await store.post(article.content, article.date).catch((err: Error) => {
        throw err instanceof ArticleRefused ? new Error(`${article.file}: ${err.message}`) : err;
      });
    }
    await rename(temporary, newsDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST" && err.code !== "EPERM") throw err;
    });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  return newsDir;
}

async function readSeedGroups(seedDir: string): Promise<SeedGroup[]> {
  const file = join(seedDir, "groups.json");
  let groups: SeedGroup[];
  try {
    groups = JSON.parse(await readFile(file, "utf8")) as SeedGroup[];
  } catch (err) {
    throw new Error(`cannot read the news seed ${shortName(file)}: ${(err as Error).message}`);
  }
  if (!Array.isArray(groups) || groups.some((group) => typeof group?.name !== "string" || typeof group.description !== "string" || !Number.isInteger(group.firstNumber))) {
    throw new Error(`${shortName(file)} must be a list like [{ "name": "comp.lang.python", "description": "…", "firstNumber": 1201 }]`);
  }
  return groups;
}

interface SeedArticle {
  file: string;
  content: Buffer;
  date: Date;
  groups: string[];
}

async function readSeedArticles(seedDir: string): Promise<SeedArticle[]> {
  const folder = join(seedDir, "articles");
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith(".txt")).sort();
  const articles: SeedArticle[] = [];
  for (const name of names) {
    const file = join(folder, name);
    const content = await readFile(file);
    const headers = parseHeaders(splitArticle(content).head);
    const fix = `(every seed article needs ${REQUIRED.join(", ")}; see servers/news/seed/)`;
    for (const header of REQUIRED) {
      if (!headerValue(headers, header)?.trim()) throw new Error(`${shortName(file)}: no ${header}: header ${fix}`);
    }
    for (const header of SERVER_ONLY) {
      if (headerValue(headers, header) !== undefined) throw new Error(`${shortName(file)}: remove its ${header}: header — the server adds ${SERVER_ONLY.join(", ")} itself`);
    }
    const date = new Date(headerValue(headers, "Date")!);
    if (Number.isNaN(date.getTime())) throw new Error(`${shortName(file)}: "Date: ${headerValue(headers, "Date")}" is not an RFC 5322 date like "Mon, 05 Jan 2026 09:30:00 +0800"`);
    const groups = headerValue(headers, "Newsgroups")!.split(",").map((group) => group.trim());
    articles.push({ file: shortName(file), content, date, groups });
  }
  return articles;
}

/** A path as the learner sees it in the repository (servers/news/seed/…) when it is inside it. */
function shortName(file: string): string {
  const inRepo = relative(fileURLToPath(new URL("../../", import.meta.url)), file);
  return inRepo.startsWith("..") ? file : inRepo;
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
