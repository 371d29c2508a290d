// Wrong answer: drops orphans (replies whose whole thread has expired)
// A reply none of whose references is still there (its whole thread expired) is
// dropped instead of starting a thread: the reader never sees it.
export * from "../../../lessons/13-network-news/solution.ts";
import type { Thread } from "../../../lessons/13-network-news/solution.ts";

export function buildThreads<T extends { number: number; messageId: string; references: string[] }>(overviews: T[]): Thread<T>[] {
  const sorted = [...overviews].sort((a, b) => a.number - b.number);
  const nodes = new Map<string, Thread<T>>();
  for (const article of sorted) nodes.set(article.messageId, { article, replies: [] });
  const roots: Thread<T>[] = [];
  for (const article of sorted) {
    const node = nodes.get(article.messageId)!;
    const parentId = [...article.references].reverse().find((id) => (nodes.get(id)?.article.number ?? Infinity) < article.number);
    if (parentId !== undefined) nodes.get(parentId)!.replies.push(node);
    else if (article.references.length === 0) roots.push(node); // a reply whose parents are gone: lost
  }
  return roots;
}
