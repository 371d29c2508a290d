// Wrong answer: threads only by the direct parent (a reply to an expired article floats alone)
// Looks only at the direct parent (the last reference). When that article has
// expired, the reply starts a thread of its own instead of hanging under its grandparent.
export * from "../../../lessons/13-network-news/solution.ts";
import type { Thread } from "../../../lessons/13-network-news/solution.ts";

export function buildThreads<T extends { number: number; messageId: string; references: string[] }>(overviews: T[]): Thread<T>[] {
  const sorted = [...overviews].sort((a, b) => a.number - b.number);
  const nodes = new Map<string, Thread<T>>();
  for (const article of sorted) nodes.set(article.messageId, { article, replies: [] });
  const roots: Thread<T>[] = [];
  for (const article of sorted) {
    const node = nodes.get(article.messageId)!;
    const direct = article.references.at(-1);
    const parent = direct === undefined ? undefined : nodes.get(direct);
    if (parent && parent.article.number < article.number) parent.replies.push(node);
    else roots.push(node);
  }
  return roots;
}
