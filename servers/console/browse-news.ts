// The console's news view: the groups, their articles in threads, one article.
//
//   GET /console/api/news                    every group: name, description, low, high, count (LIST ACTIVE's facts)
//   GET /console/api/news/<group>            its articles as threads (References:), oldest thread first
//   GET /console/api/news/<group>/<number>   one article: headers, decoded body, raw source
//
// Newsgroups are public (anyone may read them over NNTP), so every viewer sees all of them.
// The spool is read with the news server's own NewsStore, opened read-only: it reads the active
// file and the articles and never touches tmp/, where the server may be writing a post right now.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { decodeHeaderValue } from "../mail/imap-mime.ts";
import { toCrlf } from "../mail/mailbox-store.ts";
import { NewsStore, lowWaterMark, parseHeaders, splitArticle, type NewsGroup, type StoredArticle } from "../news/newsstore.ts";
import { BrowseError, sendJson, shown, type BrowseRequest } from "./browse.ts";

export async function browseNews(request: BrowseRequest): Promise<void> {
  const [, groupName, number, ...extra] = request.segments;
  const store = await openStore(request.context.dataDir);
  if (groupName === undefined) {
    const groups = store.groups.map((group) => ({ name: group.name, description: group.description, low: lowWaterMark(group), high: group.high, count: group.numbers.length }));
    return sendJson(request.response, 200, { groups });
  }
  const group = store.group(groupName);
  if (!group) throw new BrowseError(404, `there is no newsgroup ${shown(groupName)} (GET /console/api/news lists them)`);
  if (number === undefined) return sendJson(request.response, 200, { group: group.name, description: group.description, low: lowWaterMark(group), high: group.high, threads: threads(group) });
  if (extra.length > 0) throw new BrowseError(404, "below an article there is nothing more");
  const article = /^\d{1,10}$/.test(number) ? group.articles.get(Number(number)) : undefined;
  if (!article) throw new BrowseError(404, `${group.name} has no article ${shown(number)} (its numbers run ${lowWaterMark(group)}-${group.high})`);
  const content = await store.read(article).catch(() => null);
  if (content === null) throw new BrowseError(404, `article ${number} in ${group.name} was removed meanwhile`);
  const parsed = await simpleParser(content);
  return sendJson(request.response, 200, {
    group: group.name,
    number: Number(number),
    ...summary(article),
    headers: parseHeaders(splitArticle(content).head).map(([name, value]) => ({ name, value: decodeHeaderValue(value) })),
    text: parsed.text ?? "",
    raw: toCrlf(content).toString("utf8"),
  });
}

/**
 * The spool as it is now. Opening it reads every article's headers, so the last one opened is kept
 * while nothing changed: a post changes active.json (the new high water mark) and the folder of
 * each of its groups (a new file name), and both show in their modification times.
 */
async function openStore(dataDir: string): Promise<NewsStore> {
  const dir = join(dataDir, "news");
  const stamp = await spoolStamp(dir);
  if (stamp === null) throw new BrowseError(404, "there is no news spool yet: the news server makes one when it first starts");
  const kept = openStores.get(dir);
  if (kept && kept.stamp === stamp) return kept.store;
  let store: NewsStore;
  try {
    store = await NewsStore.open(dir, { readOnly: true });
  } catch {
    throw new BrowseError(404, "the news spool cannot be read (is its active.json damaged?)");
  }
  // A time has a coarse resolution on some file systems: a change in the same tick as this look
  // would leave the stamp as it is. So a spool that changed in the last 2 s is not kept.
  const newest = stamp.match(/\d{10,}/g)?.map(BigInt).reduce((a, b) => (a > b ? a : b)) ?? 0n;
  if (BigInt(Date.now()) * 1_000_000n - newest > 2_000_000_000n) openStores.set(dir, { stamp, store });
  else openStores.delete(dir);
  return store;
}
const openStores = new Map<string, { stamp: string; store: NewsStore }>();

/** The modification times of active.json and of every group folder, in ns; null without a spool. */
async function spoolStamp(dir: string): Promise<string | null> {
  const active = await stat(join(dir, "active.json"), { bigint: true }).catch(() => null);
  if (!active) return null;
  const groups = await readdir(join(dir, "groups")).catch(() => [] as string[]);
  const times = await Promise.all(groups.sort().map((name) => stat(join(dir, "groups", name), { bigint: true }).then((s) => `${name}=${s.mtimeNs}`, () => name)));
  return [active.mtimeNs, active.size, ...times].join(" ");
}

function summary(article: StoredArticle) {
  const { overview } = article;
  const date = overview.Date ? new Date(overview.Date) : null;
  return {
    messageId: article.messageId,
    subject: decodeHeaderValue(overview.Subject ?? ""),
    from: decodeHeaderValue(overview.From ?? ""),
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    bytes: article.bytes,
    lines: article.lines,
  };
}

interface ThreadNode extends ReturnType<typeof summary> {
  number: number;
  replies: ThreadNode[];
}

/**
 * Threads by References: (RFC 5536 §3.4.4): it lists the thread's Message-IDs from the first
 * article to the parent, so an article hangs under the LAST one of them that is in this group.
 * If the parent was removed (or never got here) it hangs under the nearest ancestor still
 * present, and with none it starts a thread of its own. A parent always has a lower number (it
 * arrived first), so forged References: cannot make a loop that hides articles.
 */
function threads(group: NewsGroup): ThreadNode[] {
  const byId = new Map<string, ThreadNode>();
  const nodes = group.numbers.map((number) => {
    const article = group.articles.get(number)!;
    const node: ThreadNode = { number, ...summary(article), replies: [] };
    if (!byId.has(article.messageId)) byId.set(article.messageId, node);
    return { node, references: (article.overview.References ?? "").match(/<[^<>\s]+>/g) ?? [] };
  });
  const roots: ThreadNode[] = [];
  for (const { node, references } of nodes) {
    const parent = references.reverse().map((id) => byId.get(id)).find((found) => found !== undefined && found.number < node.number);
    (parent ? parent.replies : roots).push(node);
  }
  return roots;
}
